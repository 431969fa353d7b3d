#!/usr/bin/env python3
"""FLOPs of one training step (one D update + one G update), counted from the layer shapes.

Counts multiply-adds of the matrix products and convolutions only (2 FLOPs each); batch norm,
activations, losses and the optimizer are memory-bound extras left out. A layer's backward pass
costs one product for the weight gradient and one for the input gradient; the input gradient is
skipped where nothing needs it (a data batch, z, a detached fake batch). Latent Lab also skips
D's weight gradients in the G step (D's weights enter as constants there); idiomatic PyTorch
computes them, so both counts are given.

usage: bench/flops.py  (prints a table; steps/s at a given % of peak follow from it)
"""

LATENT = 100


def mlp():
    g = [LATENT * 256, 256 * 512, 512 * 1024, 1024 * 784]
    d = [784 * 512, 512 * 256, 256 * 1]
    return g, d


def dcgan():
    g = [LATENT * 128 * 7 * 7, 128 * 64 * 16 * 7 * 7, 64 * 1 * 16 * 14 * 14]
    d = [1 * 64 * 16 * 14 * 14, 64 * 128 * 16 * 7 * 7, 128 * 7 * 7 * 1]
    return g, d


def step_macs(g, d, d_weight_grads_in_g_step):
    gf, df = sum(g), sum(d)
    d_step = gf + 2 * df + 2 * df + 2 * (df - d[0])  # G fwd; D fwd, weight grads, input grads (not layer 1) on real and fake
    g_step = gf + df + df + gf + (gf - g[0])  # G fwd, D fwd, D input grads, G weight grads, G input grads (not layer 1)
    if d_weight_grads_in_g_step:
        g_step += df
    return d_step + g_step


if __name__ == "__main__":
    print(f"{'model':8} {'batch':>5} {'GFLOP/step (ours)':>18} {'GFLOP/step (PyTorch)':>21}")
    for name, f in [("mlp-gan", mlp), ("dcgan", dcgan)]:
        g, d = f()
        for b in (64, 128):
            ours = 2 * b * step_macs(g, d, False) / 1e9
            torch = 2 * b * step_macs(g, d, True) / 1e9
            print(f"{name:8} {b:>5} {ours:>18.3f} {torch:>21.3f}")
