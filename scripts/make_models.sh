#!/usr/bin/env bash
# Rebuilds the pretrained models in models/ with Latent Lab's own headless trainer.
# Each run is a plain `latent-lab train` from seed 0 on the embedded MNIST with the
# model's default hyperparameters (the MLP GAN: Adam 5e-4, β1 0.5, batch 64, k 1,
# non-saturating G loss, real label 0.9, reused fakes, samples from G's average (decay
# 0.999); the conditional DCGAN: the same with Adam 2e-4, real label 1, a fresh z and no
# average; the DCGANs: the same with 256-unit fully connected layers (--fc 256) and G at
# Adam 1e-3; InfoGAN: the paper's network at 256 units, Adam 1e-3 for G and 2e-4 for D and
# the information update; autoencoders and VAEs: Adam 1e-3, β1 0.9, batch 64, β 1), then a
# weights-only f16 copy (no optimizer state) for shipping. Every model trains without the
# last 1,000 embedded digits (--hold-out 1000), which the tests and `latent-lab score`
# measure them on.
#
#   scripts/make_models.sh [RUN_DIR]     (default RUN_DIR: target/model-runs)
#
# Training is deterministic for a seed on one machine; another CPU may round
# differently and end with slightly different (equally good) weights.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-target/model-runs}
mkdir -p "$runs"
cargo build --release --locked
bin=target/release/latent-lab

train() { # name model latent steps [extra train options]
  local name=$1 model=$2 latent=$3 steps=$4
  shift 4
  local ck="$runs/$name.safetensors"
  local start=$SECONDS
  "$bin" train --model "$model" --latent "$latent" --seed 0 --steps "$steps" "$@" --force \
    --out "$ck" --grid "$runs/$name-grid.png"
  # Same step count as the checkpoint: no training, just the f16 weights-only copy.
  "$bin" train --resume "$ck" --steps "$steps" "$@" --f16 --force --out "models/$name.safetensors"
  echo "$name: $steps steps in $((SECONDS - start)) s"
}

train mlp-gan mlp-gan 100 40000 --hold-out 1000 --lr-d 1e-4
train dcgan dcgan 100 6000 --hold-out 1000 --fc 256 --lr-g 1e-3
train dcgan-z2 dcgan 2 6000 --hold-out 1000 --fc 256 --lr-g 1e-3
train ae conv-ae 16 10000 --hold-out 1000
train ae-z2 ae 2 20000 --hold-out 1000
train vae conv-vae 16 20000 --hold-out 1000
train vae-z2 vae 2 20000 --hold-out 1000
train cgan conv-cgan 100 5000 --hold-out 1000
train infogan infogan 62 5000 --hold-out 1000
# The digit judge (a classifier, not a generative model): no sample grid.
start=$SECONDS
"$bin" train --model judge --seed 0 --steps 10000 --hold-out 1000 --force --out "$runs/judge.safetensors"
"$bin" train --resume "$runs/judge.safetensors" --steps 10000 --hold-out 1000 --f16 --force --out models/judge.safetensors
echo "judge: 10000 steps in $((SECONDS - start)) s"
