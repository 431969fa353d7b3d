#!/usr/bin/env python3
"""Where a training step's CPU time goes, by family, from a `perf record` of `latent-lab bench`.

Reads `perf script -F ip,sym,dso --show-mmap-events`, maps each sample inside latent-lab to
its source line with addr2line (the release build keeps line tables), and sums the samples
into families: gemm micro-kernels, gemm packing, layout work (im2col / col2im / swaps /
transposes), batch norm, activations and losses, Adam, candle's gradient sums, memset,
memcpy, thread wake-ups. Percentages are of all samples of the process (every thread).

usage: bench/perf_breakdown.py BINARY PERF_SCRIPT_OUTPUT [--lines N]
"""
import collections
import os
import re
import subprocess
import sys


def segments(binary):
    """(file offset, virtual address) of the executable LOAD segment."""
    out = subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD" and "E" in f[6:-1]:
            return int(f[1], 16), int(f[2], 16)
    raise SystemExit(f"{binary}: no executable segment")


FAMILIES = [
    ("gemm micro-kernels", r"microkernel|x\dx\d\b|gemm_basic|gemv"),
    ("gemm operand packing", r"pack_lhs|pack_rhs"),
    ("Adam (fused, in place)", r"FusedAdam|optim\.rs"),
    ("candle's gradient sums in backward (zeros + add)", r"candle|binary_map|unary_map|execute_chunked|fn\(f32, f32\) -> f32"),
    ("memset (zero-filled buffers)", r"memset"),
    ("memcpy", r"memmove|memcpy"),
    ("layout: im2col / col2im / swaps / transposes / bias", r"conv\.rs|tiles\.rs|transpose_into|swap01"),
    ("batch norm", r"batchnorm\.rs"),
    ("activations and losses", r"backward_from_output|apply@|tanh|linear\.rs|loss\.rs|act_backward|expm1|exp|log"),
    ("threads: wake-ups, scheduling, rayon", r"_raw_spin|finish_task|schedule|sched_yield|syscall|futex|wake|rayon|crossbeam"),
    ("data: batches, normal samples", r"rng\.rs|__cos|__sin|data/"),
]


def main():
    binary, script = sys.argv[1], sys.argv[2]
    lines = int(sys.argv[sys.argv.index("--lines") + 1]) if "--lines" in sys.argv else 0
    seg_off, seg_vaddr = segments(binary)
    own = os.getcwd() + "/src/"  # Latent Lab's own sources (run from the repository root)
    name = binary.rsplit("/", 1)[-1]
    base = pgoff = None
    ours, others, total = collections.Counter(), collections.Counter(), 0
    for line in open(script, errors="replace"):
        if "PERF_RECORD_MMAP" in line:
            m = re.search(r"\[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (0x[0-9a-f]+) .* r-xp (\S+)", line)
            if m and m.group(4).endswith(name):
                base, pgoff = int(m.group(1), 16), int(m.group(3), 16)
            continue
        parts = line.split(None, 1)
        if len(parts) < 2:
            continue
        total += 1
        ip, rest = int(parts[0], 16), parts[1]
        if name in rest and base is not None:
            ours[ip - base + pgoff - seg_off + seg_vaddr] += 1
        else:
            others[re.sub(r"\s*\(.*\)\s*$", "", rest).strip()] += 1
    where = collections.Counter()
    addrs = list(ours)
    for i in range(0, len(addrs), 2000):
        chunk = addrs[i : i + 2000]
        out = subprocess.run(
            ["addr2line", "-e", binary, "-f", "-i", "-a"] + [hex(a) for a in chunk],
            capture_output=True, text=True, check=True,
        ).stdout.splitlines()
        blocks, cur = [], None
        for l in out:
            if l.startswith("0x"):
                if cur is not None:
                    blocks.append(cur)
                cur = []
            else:
                cur.append(l)
        blocks.append(cur or [])
        for a, frames in zip(chunk, blocks):
            pairs = list(zip(frames[0::2], frames[1::2]))
            src = [f"{fn}@{loc.rsplit('/', 1)[-1].split(' ')[0]}" for fn, loc in pairs if loc.startswith(own)]
            where[" < ".join(src[:2]) if src else (pairs[-1][0] if pairs else "?")] += ours[a]
    where.update({f"[other] {k}": v for k, v in others.items()})
    fam = collections.Counter()
    for key, n in where.items():
        fam[next((f for f, pat in FAMILIES if re.search(pat, key)), "other")] += n
    print("| family | share of CPU samples |\n|---|---|")
    for f, n in fam.most_common():
        print(f"| {f} | {100 * n / total:.1f} % |")
    if lines:
        print()
        for key, n in where.most_common(lines):
            print(f"{100 * n / total:5.1f} %  {key[:140]}")


if __name__ == "__main__":
    main()
