#!/usr/bin/env bash
# Instruction-level profile of training steps with callgrind (reliable on noisy, shared machines:
# it counts instructions, not time). Only Trainer::iteration is counted (6 steps: 3 warm-up, 3 timed).
#
# usage: bench/profile.sh [mlp-gan|dcgan] [batch] [binary]
# then:  bench/callgrind_breakdown.py bench/callgrind.<model>-<batch>.out 6
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-mlp-gan}"
batch="${2:-64}"
bin="${3:-${CARGO_TARGET_DIR:-target}/release/latent-lab}"
[[ -x "$bin" ]] || cargo build --release --locked -q
out="bench/callgrind.$model-$batch.out"
valgrind --tool=callgrind --toggle-collect='latent_lab::train::trainer::Trainer::iteration' \
  --callgrind-out-file="$out" "$bin" bench --seconds 0.01 --threads 1 --model "$model" --batch "$batch" >/dev/null 2>&1
bench/callgrind_breakdown.py "$out" 6
