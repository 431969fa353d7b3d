#!/usr/bin/env python3
"""Groups a callgrind profile of `latent-lab bench` into kernel families.

usage: bench/callgrind_breakdown.py callgrind.out [steps]
Record with bench/profile.sh (only Trainer::iteration is counted). Exclusive instruction
counts per function are summed by family (first matching pattern wins); the optimizer's and
the backward pass's inclusive totals are shown beside them.
"""
import re
import subprocess
import sys

FAMILIES = [
    ("matmul (gemm kernels + packing)", r"gemm"),
    ("allocation, memset, memcpy", r"memset|memmove|memcpy|malloc|_int_free|cfree|realloc|calloc|page"),
    ("fused Adam / SGD", r"src/nets/ops/optim.rs|FusedAdam|FusedSgd"),
    ("fused conv: im2col, col2im, layout", r"src/nets/ops/conv.rs|swap01"),
    ("fused batch norm", r"src/nets/ops/batchnorm.rs"),
    ("fused linear / activation / loss", r"src/nets/ops/"),
    ("candle conv / conv-transpose loops", r"conv2d.rs|conv|vec_dot"),
    ("candle elementwise + reductions", r"candle-core|candle_core"),
    ("random numbers, batches", r"rand|chacha|rng.rs|/data/"),
    ("other (autograd, rayon, libm, ...)", r"."),
]


def main():
    path = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    out = subprocess.run(
        ["callgrind_annotate", "--inclusive=no", "--threshold=100", "--auto=no", path], capture_output=True, text=True
    ).stdout
    total = 0
    fam = {name: 0 for name, _ in FAMILIES}
    for line in out.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        name = m.group(2)
        if "PROGRAM TOTALS" in name:
            total = n
            continue
        for fname, pat in FAMILIES:
            if re.search(pat, name):
                fam[fname] += n
                break
    inc = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", "--auto=no", path], capture_output=True, text=True).stdout
    phases = {}
    for line in inc.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)", line)
        if not m:
            continue
        for key, pat in [
            ("D step", r"Trainer::d_step"),
            ("G step", r"Trainer::g_step"),
            ("backward passes", r"Tensor::backward"),
            ("optimizer steps", r"Optimizer::step"),
            ("candle conv_transpose2d", r"Tensor::conv_transpose2d"),
            ("candle conv2d", r"Tensor::conv2d"),
            ("candle matmul", r"Tensor::matmul"),
        ]:
            if re.search(pat, m.group(2)):
                phases[key] = max(phases.get(key, 0), int(m.group(1).replace(",", "")))
    print(f"total: {total / steps / 1e6:,.0f} M instructions per step ({steps} steps)")
    for name, n in sorted(fam.items(), key=lambda kv: -kv[1]):
        if n:
            print(f"  {name:36} {n / steps / 1e6:>9,.0f} M  {100 * n / max(total, 1):5.1f}%")
    for k, n in phases.items():
        print(f"  (inclusive) {k:24} {n / steps / 1e6:>9,.0f} M  {100 * n / max(total, 1):5.1f}%")


if __name__ == "__main__":
    main()
