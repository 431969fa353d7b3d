#!/usr/bin/env bash
# Side-by-side training speed: Latent Lab (candle) against the PyTorch reference
# (bench/torch_reference.py: the same models, losses, initialisation, optimizer and batch).
#
# Runs both alternately (A B A B ...) for several rounds, each after its own warm-up, and
# prints steps/s per side (median over rounds) and the median of the per-round ratios
# candle / PyTorch. A benchmark, not a test: on a shared machine, read the ratios.
#
# usage: bench/compare.sh [--rounds 3] [--seconds 3] [--threads "2 1"] [--models "mlp-gan dcgan"]
#                         [--batches "64 128"] [--baseline OLD_LATENT_LAB_BINARY] [--bin LATENT_LAB_BINARY]
#                         [--no-decode]
# --models takes any of mlp-gan dcgan dcgan-fc ae conv-ae vae conv-vae cgan conv-cgan infogan pixelcnn pix2pix
# cyclegan (dcgan-fc: the DCGAN with 256-unit fully connected layers, `--fc 256`); "gans"
# stands for mlp-gan and dcgan, "autoencoders" for the four autoencoders and VAEs, "conditional" for
# the two conditional GANs and InfoGAN, "all" for all eleven.
# With --baseline, an older latent-lab binary runs in each round too (A B C A B C ...), for a
# before/after table. --bin times that binary instead of building one (no cargo run).
# --no-decode passes `--no-decode` to latent-lab bench (training steps only; no decode column;
# the --baseline binary must know the flag too).
# Installs PyTorch's CPU wheel into bench/.venv on first use (PyTorch's CPU index if it can
# be reached, otherwise PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
seconds=3
threads="2 1"
models="mlp-gan dcgan"
batches="64 128"
baseline=""
bin=""
no_decode=()
while (($#)); do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --models) models="$2"; shift 2 ;;
    --batches) batches="$2"; shift 2 ;;
    --baseline) baseline="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --no-decode) no_decode=(--no-decode); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

known="mlp-gan dcgan dcgan-fc ae conv-ae vae conv-vae cgan conv-cgan infogan pixelcnn pix2pix cyclegan"
expanded=""
for m in $models; do
  case "$m" in
    all) expanded+=" $known" ;;
    gans) expanded+=" mlp-gan dcgan" ;;
    autoencoders) expanded+=" ae conv-ae vae conv-vae" ;;
    conditional) expanded+=" cgan conv-cgan infogan" ;;
    *)
      if [[ " $known " != *" $m "* ]]; then
        echo "unknown model $m (expected some of: $known, gans, autoencoders, conditional, all)" >&2; exit 2
      fi
      expanded+=" $m" ;;
  esac
done
models="$expanded"

venv=bench/.venv
if ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
  echo "== installing PyTorch (CPU) into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >&2
  "$venv/bin/pip" install -q torch numpy --index-url https://download.pytorch.org/whl/cpu >&2 ||
    "$venv/bin/pip" install -q torch numpy >&2
fi

if [[ -z "$bin" ]]; then
  echo "== building latent-lab (release)" >&2
  cargo build --release --locked -q
  bin="${CARGO_TARGET_DIR:-target}/release/latent-lab"
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in $threads; do
  for m in $models; do
    for b in $batches; do
      # Variants of a family: its id and settings on our side, the name on PyTorch's.
      ours=(--model "$m")
      [[ "$m" == dcgan-fc ]] && ours=(--model dcgan --set fc_units=256)
      for r in $(seq "$rounds"); do
        c=$(RAYON_NUM_THREADS=$t "$bin" bench --seconds "$seconds" --threads "$t" "${ours[@]}" --batch "$b" ${no_decode[@]+"${no_decode[@]}"} 2>/dev/null)
        p=$(OMP_NUM_THREADS=$t "$venv/bin/python" bench/torch_reference.py --seconds "$seconds" --threads "$t" --model "$m" --batch "$b")
        o=null
        if [[ -n "$baseline" ]]; then
          o=$(RAYON_NUM_THREADS=$t "$baseline" bench --seconds "$seconds" --threads "$t" "${ours[@]}" --batch "$b" ${no_decode[@]+"${no_decode[@]}"} 2>/dev/null)
        fi
        echo "{\"round\": $r, \"name\": \"$m\", \"threads\": $t, \"candle\": $c, \"torch\": $p, \"baseline\": $o}" >>"$out"
        echo "  $m b$b t$t round $r done" >&2
      done
    done
  done
done

"$venv/bin/python" - "$out" <<'EOF'
import json, statistics, sys, platform
rows = [json.loads(l) for l in open(sys.argv[1])]
groups = {}
for r in rows:
    c = r["candle"]["results"][0]
    key = (r.get("name") or c["model"], c["batch"], r["threads"])
    old = r["baseline"]["results"][0]["steps_per_s"] if r.get("baseline") else None
    groups.setdefault(key, []).append((c["steps_per_s"], r["torch"]["steps_per_s"], c, old))
machine = rows[0]["candle"]["machine"] if rows else {}
print(f"machine: {machine.get('cpu')} , {machine.get('cores')} cores; torch {rows[0]['torch']['torch'] if rows else '?'}")
print(f"{'model':8} {'batch':>5} {'thr':>3} {'candle steps/s':>15} {'torch steps/s':>14} {'ratio (median)':>15}  {'decode 1 / 64 ms':>17}  {'baseline steps/s':>16}")
for (m, b, t), v in groups.items():
    cs = [x[0] for x in v]; ts = [x[1] for x in v]
    ratios = [x[0] / x[1] for x in v if x[1] > 0]
    d1s = [x[2]["decode_1_ms"] for x in v if x[2].get("decode_1_ms") is not None]
    d64s = [x[2]["decode_64_ms"] for x in v if x[2].get("decode_64_ms") is not None]
    dec = f"{statistics.median(d1s):>8.3f} / {statistics.median(d64s):<7.2f}" if d1s and d64s else f"{'-':>17}"
    olds = [x[3] for x in v if x[3] is not None]
    old = f"{statistics.median(olds):>16.2f}" if olds else f"{'-':>16}"
    print(f"{m:8} {b:>5} {t:>3} {statistics.median(cs):>15.2f} {statistics.median(ts):>14.2f} {statistics.median(ratios):>15.2f}  {dec}  {old}")
EOF
