#!/usr/bin/env bash
# Builds target/release/latent-lab with candle's CUDA backend (`--features cuda`) on a
# machine with no CUDA toolkit and no GPU, stripped so that it can be copied to one.
#
#   bash scripts/build_cuda.sh            # CUDA 13.0 wheels, kernels for compute capability 9.0
#   CUDA_WHEELS=13.2 CUDA_COMPUTE_CAP=80 bash scripts/build_cuda.sh
#
# What it does:
#   1. installs NVIDIA's CUDA wheels from PyPI (nvcc, NVVM, the C runtime and runtime headers,
#      NVRTC, cuBLAS, cuRAND, CCCL) into target/cuda-toolkit/, one toolkit folder. CUDA 13 is
#      the first whose wheels carry nvcc itself (the CUDA 12 ones have ptxas only);
#   2. makes a link-time stub of the driver library (libcuda.so, soname libcuda.so.1) from
#      the driver functions cudarc declares: the real one comes with the GPU machine's driver;
#   3. builds with CUDA_HOME pointing there and CUDA_COMPUTE_CAP set (there is no GPU here for
#      nvcc to ask), strips the binary and packs it as target/release/latent-lab.gz, which must
#      be at most 64 MiB (what a device run may carry).
#
# The binary links cuBLAS, cuRAND and NVRTC of the CUDA major version it was built with
# (libcublas.so.13): the GPU machine needs those libraries and a driver that can load that
# version's PTX (CUDA 13.0: driver 580 or newer). `scripts/gpu_check.sh` says which is
# missing. Not part of .ci/run: CI has no GPU, and the wheels are about 1 GiB.
set -euo pipefail
cd "$(dirname "$0")/.."

ver=${CUDA_WHEELS:-13.0}
cap=${CUDA_COMPUTE_CAP:-90}
root=${CUDA_TOOLKIT_DIR:-$PWD/target/cuda-toolkit}
python=${PYTHON:-python3}

if [ ! -x "$root/bin/nvcc" ]; then
  echo "== installing the CUDA $ver wheels into $root" >&2
  rm -rf "$root" "$root.wheels"
  "$python" -m pip install -q --no-deps --target "$root.wheels" \
    "nvidia-cuda-nvcc==$ver.*" "nvidia-nvvm==$ver.*" "nvidia-cuda-crt==$ver.*" \
    "nvidia-cuda-runtime==$ver.*" "nvidia-cuda-nvrtc==$ver.*" "nvidia-cuda-cccl==$ver.*" \
    "nvidia-cublas==$ver.*" "nvidia-curand"
  # The CUDA 13 wheels share one folder, nvidia/cu13 (bin, include, lib, nvvm).
  mv "$root.wheels"/nvidia/cu13 "$root"
  rm -rf "$root.wheels"
  # The wheels ship versioned libraries only (libcublas.so.13); the linker asks for libcublas.so.
  for lib in "$root"/lib/lib*.so.*; do
    base=${lib%%.so.*}.so
    [ -e "$base" ] || ln -s "$(basename "$lib")" "$base"
  done
  [ -e "$root/lib64" ] || ln -s lib "$root/lib64"
  # The driver library is not a wheel: a stub with every driver function cudarc declares.
  cudarc=$(cargo metadata --format-version 1 --locked --features cuda 2>/dev/null |
    "$python" -c 'import json,sys; print(next(p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"]=="cudarc"))')
  mkdir -p "$root/lib/stubs"
  grep -ohP '^\s+fn \Kcu[A-Za-z0-9_]+(?=\()' "$(dirname "$cudarc")/src/driver/sys/mod.rs" | sort -u |
    sed 's/.*/void &(void) {}/' >"$root/lib/stubs/cuda_stub.c"
  gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$root/lib/stubs/libcuda.so" "$root/lib/stubs/cuda_stub.c"
fi
"$root/bin/nvcc" --version | tail -2

export CUDA_HOME="$root" CUDA_PATH="$root" CUDA_ROOT="$root" CUDA_COMPUTE_CAP="$cap"
export NVCC="$root/bin/nvcc" PATH="$root/bin:$PATH"
# The static kernels are compiled for this capability only; PTX is JIT-compiled for newer ones.
cargo build --release --locked --features cuda
strip target/release/latent-lab
# The embedded digits and models and candle's CUDA kernels make it about 100 MiB; gzip brings it
# under the 64 MiB a device run may carry (scripts/gpu_check.sh unpacks it).
gzip -9 -c target/release/latent-lab >target/release/latent-lab.gz
size=$(stat -c %s target/release/latent-lab.gz)
echo "target/release/latent-lab: $(($(stat -c %s target/release/latent-lab) / 1048576)) MiB," \
  "target/release/latent-lab.gz: $((size / 1048576)) MiB; CUDA $ver, compute capability $cap"
if [ "$size" -gt $((64 * 1048576)) ]; then
  echo "error: target/release/latent-lab.gz is over 64 MiB and cannot be carried to the GPU machine" >&2
  exit 1
fi
