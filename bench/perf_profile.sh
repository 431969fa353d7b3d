#!/usr/bin/env bash
# Where a training step's CPU time goes (perf, all threads), by family; see perf_breakdown.py.
# usage: bench/perf_profile.sh [MODEL] [BATCH] [THREADS] [SECONDS]   (needs perf and addr2line)
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-dcgan}
batch=${2:-64}
threads=${3:-2}
seconds=${4:-5}
cargo build --release --locked -q
bin="$(pwd)/${CARGO_TARGET_DIR:-target}/release/latent-lab"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# --no-decode: only training steps (the decode timings would otherwise add ~2 s of inference).
perf record -q -o "$tmp/perf.data" "$bin" bench --seconds "$seconds" --threads "$threads" --model "$model" --batch "$batch" --no-decode >/dev/null 2>&1
perf script -i "$tmp/perf.data" -F ip,sym,dso --show-mmap-events 2>/dev/null >"$tmp/script.txt"
echo "$model, batch $batch, $threads threads:"
python3 bench/perf_breakdown.py "$bin" "$tmp/script.txt" --lines "${LINES_SHOWN:-0}"
