#!/usr/bin/env bash
# The CUDA check, run once on a GPU machine in a copy of this repository that carries
# target/release/latent-lab.gz from scripts/build_cuda.sh (the GPU machine has no Rust):
#
#   bash scripts/gpu_check.sh [OUT_DIR]     # default OUT_DIR: $OUT, else gpu-check/
#
# In about six minutes it writes to OUT_DIR and prints:
#   1. the GPU, its driver, and any CUDA library the binary cannot find (then it stops);
#   2. `latent-lab bench --device cuda` for every model at batch 64, 128 and 512, with the
#      decode latency (bench-cuda.json), and the same at batch 64 on the CPU (bench-cpu.json);
#   3. the MLP GAN and the DCGAN trained for 60 s each on CUDA (stopped by Ctrl-C, which
#      saves), their sample grids and 64 samples each;
#   4. the first 20 steps of both GANs from seed 0 on CUDA and on the CPU (train --log),
#      and the largest difference of each logged metric between the two; they should agree
#      within 1 % (float sums run in another order on the GPU, and 20 Adam steps amplify it).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:-gpu-check}}
mkdir -p "$out"
bin=target/release/latent-lab
if [ -f "$bin.gz" ]; then
  gunzip -c "$bin.gz" >"$bin" && chmod +x "$bin"
fi
log="$out/gpu-check.txt"
say() { echo "$@" | tee -a "$log"; }
: >"$log"

say "== machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv 2>&1 | tee -a "$log"
nproc | sed 's/^/CPU cores: /' | tee -a "$log"
# The CUDA libraries where toolkits and containers usually keep them, if the loader lacks them.
for d in /usr/local/nvidia/lib64 /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
  /usr/local/cuda-13*/lib64; do
  [ -d "$d" ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
done
missing=$(ldd "$bin" | grep "not found")
if [ -n "$missing" ]; then
  say "error: $bin cannot start here, these libraries are missing:"
  say "$missing"
  say "(rebuild with CUDA_WHEELS set to this machine's CUDA version, or put the libraries on LD_LIBRARY_PATH)"
  exit 1
fi
"$bin" --version | tee -a "$log"

say "== bench on CUDA (batch 64, 128, 512)"
timeout 240 "$bin" bench --device cuda --seconds 2 --batch 64 --batch 128 --batch 512 >"$out/bench-cuda.json" 2>>"$log"
say "exit $?"
say "== bench on the CPU (batch 64)"
timeout 150 "$bin" bench --device cpu --seconds 2 --batch 64 --no-decode >"$out/bench-cpu.json" 2>>"$log"
say "exit $?"

for m in mlp-gan dcgan; do
  say "== $m: 60 s of training on CUDA"
  timeout -s INT 60 "$bin" train --device cuda --model "$m" --steps 100000000 --seed 0 \
    --out "$out/$m-60s.safetensors" --grid "$out/$m-60s.png" --force 2>&1 | tail -3 | tee -a "$log"
  "$bin" sample --device cuda --checkpoint "$out/$m-60s.safetensors" --count 64 --out "$out/$m-samples" 2>&1 |
    tail -2 | tee -a "$log"
done

for m in mlp-gan dcgan; do
  say "== $m: the first 20 steps from seed 0, CUDA against the CPU"
  for d in cuda cpu; do
    "$bin" train --device "$d" --model "$m" --steps 20 --seed 0 --out "$out/$m-20-$d.safetensors" \
      --log "$out/$m-20-$d.csv" --force 2>&1 | tail -1 | tee -a "$log"
  done
  # Per column: the largest |cuda - cpu| over the 20 steps, and relative to |cpu|.
  paste -d, "$out/$m-20-cuda.csv" "$out/$m-20-cpu.csv" | awk -F, '
    NR == 1 { n = NF / 2; for (i = 2; i <= n; i++) name[i] = $i; next }
    { for (i = 2; i <= n; i++) { a = $i; b = $(i + n); if (a == "" || b == "") continue
        d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b
        if (d > worst[i]) worst[i] = d; r = d / (m > 1e-12 ? m : 1e-12); if (r > rel[i]) rel[i] = r } }
    END { for (i = 2; i <= n; i++) printf "%-28s max |cuda-cpu| %.3g (relative %.3g): %s\n", name[i], worst[i],
      rel[i], rel[i] <= 0.01 ? "agree within 1 %" : "DIFFER by more than 1 %" }' |
    tee -a "$log"
done
say "== done; outputs in $out"
