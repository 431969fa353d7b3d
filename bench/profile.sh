#!/usr/bin/env bash
# Instruction-level profile of training steps with callgrind (reliable on noisy, shared machines:
# it counts instructions, not time). Only Trainer::iteration is counted, for STEPS iterations of
# `latent-lab train` on one thread (start-up, data loading and saving are excluded).
#
# usage: bench/profile.sh [mlp-gan|dcgan] [batch] [steps] [binary]
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-mlp-gan}"
batch="${2:-64}"
steps="${3:-2}"
bin="${4:-${CARGO_TARGET_DIR:-target}/release/latent-lab}"
[[ -x "$bin" ]] || cargo build --release --locked -q
out="bench/callgrind.$model-$batch.out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
valgrind --tool=callgrind --toggle-collect='latent_lab::train::trainer::Trainer::iteration' \
  --callgrind-out-file="$out" "$bin" train --model "$model" --batch "$batch" --steps "$steps" \
  --threads 1 --out "$tmp/run.safetensors" >/dev/null 2>&1
bench/callgrind_breakdown.py "$out" "$steps"
