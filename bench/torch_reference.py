#!/usr/bin/env python3
"""PyTorch reference for `latent-lab bench`: the same models, trained the same way, on the CPU.

Models: mlp-gan, dcgan, dcgan-fc (the GANs; dcgan-fc is `--fc 256`: a 256-unit fully connected layer with
batch norm at the start of G and at the end of D's body), ae, conv-ae (autoencoders), vae, conv-vae (VAEs), cgan, conv-cgan
(the conditional GANs), infogan, pixelcnn (the autoregressive model), pix2pix (paired translation), cyclegan
(unpaired translation).

What is the same as the Rust trainer (src/nets, src/train) for the GANs:
- MLP GAN: G z(100) -> 256 -> 512 -> 1024 -> 784, LeakyReLU(0.2), tanh; D 784 -> 512 -> 256 -> 1,
  LeakyReLU(0.2), a logit. nn.Linear's default init (U(+-1/sqrt(fan_in)) for weight and bias).
- DCGAN: G z -> linear 128*7*7 -> BN -> ReLU -> convT 4x4/2 (128->64) -> BN -> ReLU -> convT 4x4/2 (64->1)
  -> tanh; D conv 4x4/2 (1->64) -> LeakyReLU(0.2) -> conv 4x4/2 (64->128) -> BN -> LeakyReLU(0.2)
  -> linear 6272 -> 1. Weights N(0, 0.02), biases 0, BN scale N(1, 0.02), shift 0. BN in training mode
  (batch statistics, running statistics updated with momentum 0.1, eps 1e-5).
- One iteration of Algorithm 1 with k = 1: a D update on a real batch (MNIST digits scaled to [-1, 1],
  indices drawn at random) and a detached fake batch, BCE on logits, then a G update with the
  non-saturating loss -log D(G(z)). Adam lr 2e-4, betas (0.5, 0.999), eps 1e-8, for both networks.
- D's per-sample probabilities sigmoid(logits) are copied out each step, as the Rust trainer reports them.

Idiomatic PyTorch: real and fake go through D as two calls (so BN sees separate batches, like the Rust
trainer), and the G step computes D's parameter gradients too (loss.backward() does, then they are
zeroed at the next D step); this is what usual PyTorch GAN code does. torch.set_num_threads(n).

The autoencoders and VAEs (src/family/ae.rs, src/family/vae.rs), latent size z = 16:
- MLP: encoder 784 -> 512 -> 256 -> out, decoder z -> 256 -> 512 -> 784 (one logit per pixel), ReLU
  between layers.
- conv: encoder conv 4x4/2 1->32 (14x14) -> ReLU -> conv 4x4/2 32->64 (7x7) -> ReLU -> linear 3136 -> out,
  decoder linear z -> 64*7*7 -> ReLU -> convT 4x4/2 64->32 (14x14) -> ReLU -> convT 4x4/2 32->1 (28x28 logits).
- out = z for the AE, 2z (mu, log sigma^2) for the VAE. PyTorch's default init (the Rust side's `Torch`
  scheme: U(+-1/sqrt(fan_in)) for weights and biases).
- One step: a batch of random indices, target t = (x + 1) / 2; AE loss = BCE on logits summed over the
  pixels, mean over the batch; VAE: z = mu + exp(logvar / 2) * eps, eps ~ N(0, 1), loss = that BCE + KL
  (sum over z of (mu^2 + exp(logvar) - 1 - logvar) / 2, mean over the batch, weight 1); backward, one Adam
  step (lr 1e-3, betas (0.9, 0.999), eps 1e-8) over encoder and decoder together. The values the Rust
  trainer reports are copied out each step (the loss; for the VAE reconstruction, KL and KL per dimension).

The conditional GANs (src/family/cgan.rs) are the GANs above with the one-hot class joined to both
inputs: G reads [z | one-hot] (110 values); the MLP's D reads [784 pixels | one-hot] (794), the conv D
the image and ten constant maps of the one-hot (11 x 28 x 28). Real digits come with their labels,
fakes with classes drawn uniformly, in both updates.

InfoGAN (src/family/infogan.rs, src/nets/infogan.rs; `infogan` is the default network, `narrow`): G reads
[z (62) | c1 one-hot (10) | c2, c3 ~ U(-1, 1)] through a linear 74 -> 256, BN, ReLU, then the DCGAN's G;
D's conv body (the DCGAN's) ends in a linear 6272 -> 256, BN, LeakyReLU(0.2), shared by D's logit
(linear 256 -> 1) and Q (linear 256 -> 128, BN, LeakyReLU(0.2), linear 128 -> 12: c1's logits, c2 and
c3's means): the paper's MNIST network with 256 units where it has 1,024 (`infogan-paper`, `--net paper`).
One iteration is three updates, each with its own Adam (betas 0.5, 0.999; G 1e-3, D and the information
update 2e-4, the paper's rates): D on real and fake (BCE), G on D's verdict (non-saturating), then G, D's
body and Q together on L_I = 1 * CE(c1) + 0.1 * MSE(c2, c3), as PyTorch-GAN's infogan.py does it.
`infogan-dcgan` (`--net dcgan`) is PyTorch-GAN's smaller network (no fully connected layers, Q linear on
the 6272 conv features, every rate 2e-4).

PixelCNN (src/nets/pixelcnn.rs, src/family/pixelcnn.rs; defaults: 32 channels, 5 middle layers, 2 levels):
digits binarised (pixel >= 128 -> 1, else 0) and fed as -1 / +1, (B, 1, 28, 28); masked conv 7x7 type A
(the centre tap and every tap after it in raster order zeroed) 1->32, padding 3, ReLU; 5 x residual
h = h + ReLU(masked conv 3x3 type B (centre kept) 32->32, padding 1); conv 1x1 32->32 ReLU; conv 1x1
32->1 (one logit per pixel). The masks multiply the weights in forward, as the Rust code does. Loss = BCE
on logits against the 0/1 pixels, summed over the pixels, mean over the batch (nats per image); one
Adam step (lr 1e-3, betas (0.9, 0.999), eps 1e-8); PyTorch's default init. The loss is copied out each step.

pix2pix (src/nets/unet.rs, src/family/pix2pix.rs; defaults: 32 channels, inpainting, lambda 100): U-Net
G: e1 conv 4x4/2 1->c LeakyReLU(0.2), e2 conv 4x4/2 c->2c LeakyReLU, m1, m2 conv 3x3 2c->2c ReLU,
d2 convT 4x4/2 [m2|e2] 4c->c ReLU, d1 convT 4x4/2 [d2|e1] 2c->c ReLU, out conv 3x3 [d1|x] c+1->1, linear.
PatchGAN D: conv 4x4/2 [x|y] 2->c LeakyReLU, conv 4x4/2 c->2c LeakyReLU, conv 3x3 2c->1 (7x7 logits).
PyTorch's default init. One iteration: a D update on one batch (targets y drawn at random, inputs x made
by the inpainting task: per digit, half the time a centre square of side 6-12, else a rectangle of sides
4-12 anywhere, set to grey 128), 0.5 * (BCE(D(x, y), 1) + BCE(D(x, G(x).detach()), 0)); then a G update
on a fresh batch, BCE(D(x, G(x)), 1) + 100 * mean |G(x) - y|. Adam lr 1e-3, betas (0.5, 0.999), one
per network. The losses are copied out each step.

cyclegan (src/family/cyclegan.rs; defaults: 32 channels, thin-thick, lambda_cycle 10, identity 5): G and F
are the U-Net above, D_A and D_B the PatchGAN above reading one image (conv 4x4/2 1->c first). The domains
are made once for the whole data (A: Zhang-Suen skeleton of the digit binarised at half grey; B: 3x3 grey
dilation), A drawn from the first half, B from the second (the Rust code makes them per batch, about 1 % of
its step). One iteration: a D update on one batch pair (a, b), 0.5 * ((D_B(b) - 1)^2 + D_B(G(a))^2) +
0.5 * ((D_A(a) - 1)^2 + D_A(F(b))^2), means over patches, fakes detached; then a G update on a fresh pair,
(D_B(G(a)) - 1)^2 + (D_A(F(b)) - 1)^2 + 10 * (|F(G(a)) - a| + |G(F(b)) - b|) + 5 * (|G(b) - b| + |F(a) - a|).
Adam lr 1e-3, betas (0.5, 0.999): one over both generators, one over both discriminators.

Prints one JSON line per measurement round: {"model", "batch", "threads", "steps_per_s"}.
"""

import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT = 100
AE_LATENT = 16
# The DCGAN with `--fc 256`: a 256-unit fully connected layer at the start of G and the end of D.
DCGAN_FC_UNITS = 256
GANS = ["mlp-gan", "dcgan", "dcgan-fc", "cgan", "conv-cgan", "infogan", "infogan-paper", "infogan-dcgan"]
INFO_LATENT = 62
INFO_CODES = 2
CLASSES = 10
AUTOENCODERS = ["ae", "conv-ae", "vae", "conv-vae"]
AUTOREGRESSIVE = ["pixelcnn"]
TRANSLATION = ["pix2pix", "cyclegan"]
PIX2PIX_CHANNELS = 32
PIXELCNN_CHANNELS = 32
PIXELCNN_LAYERS = 5
HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(HERE, "..", "assets", "mnist", "train-images-idx3-ubyte.gz")
LABELS = os.path.join(HERE, "..", "assets", "mnist", "train-labels-idx1-ubyte.gz")


def load_labels():
    with gzip.open(LABELS, "rb") as f:
        raw = f.read()
    return torch.from_numpy(np.frombuffer(raw, dtype=np.uint8, offset=8).astype(np.int64))


def load_mnist():
    with gzip.open(MNIST, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[4:8], "big")
    pixels = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, 1, 28, 28)
    return torch.from_numpy(pixels.astype(np.float32) * (2.0 / 255.0) - 1.0)


class MlpG(nn.Module):
    def __init__(self, extra=0):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(LATENT + extra, 256), nn.Linear(256, 512)
        self.fc3, self.fc4 = nn.Linear(512, 1024), nn.Linear(1024, 784)

    def forward(self, z):
        h = F.leaky_relu(self.fc1(z), 0.2)
        h = F.leaky_relu(self.fc2(h), 0.2)
        h = F.leaky_relu(self.fc3(h), 0.2)
        return torch.tanh(self.fc4(h)).view(-1, 1, 28, 28)


class MlpD(nn.Module):
    def __init__(self, extra=0):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784 + extra, 512), nn.Linear(512, 256), nn.Linear(256, 1)

    def forward(self, x):
        h = F.leaky_relu(self.fc1(x.flatten(1)), 0.2)
        h = F.leaky_relu(self.fc2(h), 0.2)
        return self.fc3(h).squeeze(1)


class DcganG(nn.Module):
    def __init__(self, extra=0):
        super().__init__()
        self.fc = nn.Linear(LATENT + extra, 128 * 7 * 7)
        self.bn0 = nn.BatchNorm2d(128)
        self.up1 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
        self.bn1 = nn.BatchNorm2d(64)
        self.up2 = nn.ConvTranspose2d(64, 1, 4, 2, 1)

    def forward(self, z):
        h = F.relu(self.bn0(self.fc(z).view(-1, 128, 7, 7)))
        h = F.relu(self.bn1(self.up1(h)))
        return torch.tanh(self.up2(h))


class DcganD(nn.Module):
    def __init__(self, extra=0, units=0):
        super().__init__()
        self.units = units
        self.conv1 = nn.Conv2d(1 + extra, 64, 4, 2, 1)
        self.conv2 = nn.Conv2d(64, 128, 4, 2, 1)
        self.bn2 = nn.BatchNorm2d(128)
        features = 128 * 7 * 7
        if units:
            # `--fc N`: a fully connected layer ending the body, as InfoGAN's MNIST network.
            self.body_fc = nn.Linear(features, units)
            self.bn_body_fc = nn.BatchNorm1d(units)
            features = units
        self.fc = nn.Linear(features, 1)

    def body(self, x):
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.bn2(self.conv2(h)), 0.2).flatten(1)
        if self.units:
            h = F.leaky_relu(self.bn_body_fc(self.body_fc(h)), 0.2)
        return h

    def forward(self, x):
        return self.fc(self.body(x)).squeeze(1)


def dcgan_init(m):
    # The DCGAN paper's scheme, as src/nets/init.rs applies it.
    for name, p in m.named_parameters():
        with torch.no_grad():
            if name.endswith("bias"):
                p.zero_()
            elif name.split(".")[-2].startswith("bn"):
                p.normal_(1.0, 0.02)
            else:
                p.normal_(0.0, 0.02)


def build(model):
    extra = CLASSES if model in ("cgan", "conv-cgan") else 0
    if model in ("mlp-gan", "cgan"):
        return MlpG(extra), MlpD(extra)
    if model == "dcgan-fc":
        g, d = InfoG(DCGAN_FC_UNITS, LATENT), DcganD(0, DCGAN_FC_UNITS)
    else:
        g, d = DcganG(extra), DcganD(extra)
    dcgan_init(g)
    dcgan_init(d)
    return g, d


class MlpEncoder(nn.Module):
    def __init__(self, out):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 512), nn.Linear(512, 256), nn.Linear(256, out)

    def forward(self, x):
        h = F.relu(self.fc1(x.flatten(1)))
        h = F.relu(self.fc2(h))
        return self.fc3(h)


class MlpDecoder(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(latent, 256), nn.Linear(256, 512), nn.Linear(512, 784)

    def forward(self, z):
        h = F.relu(self.fc1(z))
        h = F.relu(self.fc2(h))
        return self.fc3(h).view(-1, 1, 28, 28)


class ConvEncoder(nn.Module):
    def __init__(self, out):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 4, 2, 1)
        self.conv2 = nn.Conv2d(32, 64, 4, 2, 1)
        self.fc = nn.Linear(64 * 7 * 7, out)

    def forward(self, x):
        h = F.relu(self.conv1(x))
        h = F.relu(self.conv2(h))
        return self.fc(h.flatten(1))


class ConvDecoder(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.fc = nn.Linear(latent, 64 * 7 * 7)
        self.up1 = nn.ConvTranspose2d(64, 32, 4, 2, 1)
        self.up2 = nn.ConvTranspose2d(32, 1, 4, 2, 1)

    def forward(self, z):
        h = F.relu(self.fc(z).view(-1, 64, 7, 7))
        h = F.relu(self.up1(h))
        return self.up2(h)


def build_autoencoder(model):
    """Encoder and decoder of `model`; the VAE's encoder gives 2z outputs (mu, log sigma^2)."""
    out = 2 * AE_LATENT if model.endswith("vae") else AE_LATENT
    if model.startswith("conv-"):
        return ConvEncoder(out), ConvDecoder(AE_LATENT)
    return MlpEncoder(out), MlpDecoder(AE_LATENT)


def time_steps(step, seconds):
    """Warm-up (>= 3 steps and 0.5 s), then steps/s over >= 3 steps and `seconds`."""
    warm = time.perf_counter()
    steps = 0
    while steps < 3 or time.perf_counter() - warm < 0.5:
        step()
        steps += 1
    start = time.perf_counter()
    steps = 0
    while steps < 3 or time.perf_counter() - start < seconds:
        step()
        steps += 1
    return steps / (time.perf_counter() - start)


def bench_autoencoder(model, batch, threads, seconds, data, gen):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    enc, dec = build_autoencoder(model)
    enc.train()
    dec.train()
    vae = model.endswith("vae")
    params = list(enc.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    n = data.shape[0]

    def step():
        x = data[torch.randint(0, n, (batch,), generator=gen)]
        target = (x + 1.0) * 0.5
        h = enc(x)
        if vae:
            mu, logvar = h[:, :AE_LATENT], h[:, AE_LATENT:]
            eps = torch.randn(batch, AE_LATENT, generator=gen)
            z = mu + torch.exp(0.5 * logvar) * eps
        else:
            z = h
        logits = dec(z)
        recon = F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / batch
        if vae:
            kl_per_dim = (0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)).sum(0) / batch
            kl = kl_per_dim.sum()
            loss = recon + kl
        else:
            loss = recon
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if vae:
            return recon.item(), kl.item(), kl_per_dim.detach().tolist()
        return loss.item()

    return time_steps(step, seconds)


def pixelcnn_mask(k, kind):
    """(1, 1, k, k): taps above the centre row and left of the centre kept; the centre too for "B"."""
    m = torch.zeros(k, k)
    mid = k // 2
    m[:mid, :] = 1.0
    m[mid, :mid] = 1.0
    if kind == "B":
        m[mid, mid] = 1.0
    return m.view(1, 1, k, k)


class MaskedConv2d(nn.Conv2d):
    def __init__(self, cin, cout, k, kind):
        super().__init__(cin, cout, k, 1, k // 2)
        self.register_buffer("mask", pixelcnn_mask(k, kind))

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, 1, self.padding)


class PixelCnn(nn.Module):
    def __init__(self, c=PIXELCNN_CHANNELS, layers=PIXELCNN_LAYERS):
        super().__init__()
        self.first = MaskedConv2d(1, c, 7, "A")
        self.middle = nn.ModuleList(MaskedConv2d(c, c, 3, "B") for _ in range(layers))
        self.head = nn.Conv2d(c, c, 1)
        self.out = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        h = F.relu(self.first(x))
        for layer in self.middle:
            h = h + F.relu(layer(h))
        return self.out(F.relu(self.head(h)))


def bench_pixelcnn(batch, threads, seconds, data, gen):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = PixelCnn()
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    n = data.shape[0]

    def step():
        # data is p * 2/255 - 1, so p >= 128 exactly where it is > 0.
        target = (data[torch.randint(0, n, (batch,), generator=gen)] > 0).float()
        logits = net(target * 2.0 - 1.0)
        loss = F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / batch
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    return time_steps(step, seconds)


class UNet(nn.Module):
    def __init__(self, c=PIX2PIX_CHANNELS):
        super().__init__()
        self.e1 = nn.Conv2d(1, c, 4, 2, 1)
        self.e2 = nn.Conv2d(c, 2 * c, 4, 2, 1)
        self.m1 = nn.Conv2d(2 * c, 2 * c, 3, 1, 1)
        self.m2 = nn.Conv2d(2 * c, 2 * c, 3, 1, 1)
        self.d2 = nn.ConvTranspose2d(4 * c, c, 4, 2, 1)
        self.d1 = nn.ConvTranspose2d(2 * c, c, 4, 2, 1)
        self.out = nn.Conv2d(c + 1, 1, 3, 1, 1)

    def forward(self, x):
        e1 = F.leaky_relu(self.e1(x), 0.2)
        e2 = F.leaky_relu(self.e2(e1), 0.2)
        m = F.relu(self.m2(F.relu(self.m1(e2))))
        d2 = F.relu(self.d2(torch.cat([m, e2], 1)))
        d1 = F.relu(self.d1(torch.cat([d2, e1], 1)))
        return self.out(torch.cat([d1, x], 1))


class PatchD(nn.Module):
    """The PatchGAN reading `images` stacked images: pix2pix's (input, output), CycleGAN's one."""

    def __init__(self, c=PIX2PIX_CHANNELS, images=2):
        super().__init__()
        self.h1 = nn.Conv2d(images, c, 4, 2, 1)
        self.h2 = nn.Conv2d(c, 2 * c, 4, 2, 1)
        self.out = nn.Conv2d(2 * c, 1, 3, 1, 1)

    def forward(self, *xs):
        h = F.leaky_relu(self.h1(torch.cat(xs, 1)), 0.2)
        return self.out(F.leaky_relu(self.h2(h), 0.2))


def inpaint_inputs(y, gen):
    """The inpainting task: one grey rectangle per digit (y in [-1, 1])."""
    x = y.clone()
    grey = 128 * 2.0 / 255.0 - 1.0
    for i in range(y.shape[0]):
        if torch.rand(1, generator=gen).item() < 0.5:
            s = 6 + int(torch.randint(0, 7, (1,), generator=gen))
            top = left = (28 - s) // 2
            h = w = s
        else:
            h = 4 + int(torch.randint(0, 9, (1,), generator=gen))
            w = 4 + int(torch.randint(0, 9, (1,), generator=gen))
            top = int(torch.randint(0, 28 - h + 1, (1,), generator=gen))
            left = int(torch.randint(0, 28 - w + 1, (1,), generator=gen))
        x[i, :, top : top + h, left : left + w] = grey
    return x


def bench_pix2pix(batch, threads, seconds, data, gen):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g, d = UNet(), PatchD()
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-3, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999), eps=1e-8)
    n = data.shape[0]

    def pair():
        y = data[torch.randint(0, n, (batch,), generator=gen)]
        return inpaint_inputs(y, gen), y

    def step():
        x, y = pair()
        fake = g(x).detach()
        real_l, fake_l = d(x, y), d(x, fake)
        real_t = F.binary_cross_entropy_with_logits(real_l, torch.ones_like(real_l))
        fake_t = F.binary_cross_entropy_with_logits(fake_l, torch.zeros_like(fake_l))
        loss_d = 0.5 * (real_t + fake_t)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        x, y = pair()
        fake = g(x)
        logits = d(x, fake)
        gan = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        l1 = (fake - y).abs().mean()
        loss_g = gan + 100.0 * l1
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        return real_t.item(), fake_t.item(), gan.item(), l1.item()

    return time_steps(step, seconds)


def skeleton(images):
    """Zhang-Suen thinning of images (N, 28, 28) in [0, 1], binarised at half grey, vectorised over N."""
    on = np.pad(images >= 0.5, ((0, 0), (1, 1), (1, 1)))
    while True:
        changed = False
        for step in range(2):
            # P2 ... P9 clockwise from north.
            n = [
                on[:, :-2, 1:-1], on[:, :-2, 2:], on[:, 1:-1, 2:], on[:, 2:, 2:],
                on[:, 2:, 1:-1], on[:, 2:, :-2], on[:, 1:-1, :-2], on[:, :-2, :-2],
            ]
            b = sum(v.astype(np.int32) for v in n)
            a = sum(((~n[i]) & n[(i + 1) % 8]).astype(np.int32) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            cond = ~(p4 & p6 & (p2 | p8)) if step == 0 else ~(p2 & p8 & (p4 | p6))
            remove = on[:, 1:-1, 1:-1] & (b >= 2) & (b <= 6) & (a == 1) & cond
            if remove.any():
                changed = True
                on[:, 1:-1, 1:-1] &= ~remove
        if not changed:
            return on[:, 1:-1, 1:-1].astype(np.float32)


def bench_cyclegan(batch, threads, seconds, data, gen):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g, f, d_a, d_b = UNet(), UNet(), PatchD(images=1), PatchD(images=1)
    adam = lambda params: torch.optim.Adam(params, lr=1e-3, betas=(0.5, 0.999), eps=1e-8)
    opt_g = adam(list(g.parameters()) + list(f.parameters()))
    opt_d = adam(list(d_a.parameters()) + list(d_b.parameters()))
    x01 = ((data + 1) / 2).squeeze(1).numpy()
    half = data.shape[0] // 2
    thin = torch.from_numpy(skeleton(x01[:half]) * 2 - 1).unsqueeze(1)
    thick = F.max_pool2d(data[half:], 3, 1, 1)

    def pair():
        a = thin[torch.randint(0, thin.shape[0], (batch,), generator=gen)]
        b = thick[torch.randint(0, thick.shape[0], (batch,), generator=gen)]
        return a, b

    def ls(x, t):
        return ((x - t) ** 2).mean()

    def step():
        a, b = pair()
        with torch.no_grad():
            fake_b, fake_a = g(a), f(b)
        loss_db = 0.5 * (ls(d_b(b), 1.0) + ls(d_b(fake_b), 0.0))
        loss_da = 0.5 * (ls(d_a(a), 1.0) + ls(d_a(fake_a), 0.0))
        opt_d.zero_grad(set_to_none=True)
        (loss_db + loss_da).backward()
        opt_d.step()
        a, b = pair()
        fake_b, fake_a = g(a), f(b)
        gan = ls(d_b(fake_b), 1.0) + ls(d_a(fake_a), 1.0)
        cycle = (f(fake_b) - a).abs().mean() + (g(fake_a) - b).abs().mean()
        ident = (g(b) - b).abs().mean() + (f(a) - a).abs().mean()
        loss_g = gan + 10.0 * cycle + 5.0 * ident
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        return loss_db.item(), loss_da.item(), gan.item(), cycle.item(), ident.item()

    return time_steps(step, seconds)


class InfoG(nn.Module):
    """The paper's G: a fully connected layer of `units` in front of the DCGAN's G (reading
    InfoGAN's z and codes, or `inputs` values: the DCGAN's z for `dcgan-fc`)."""

    def __init__(self, units, inputs=INFO_LATENT + CLASSES + INFO_CODES):
        super().__init__()
        self.hidden = nn.Linear(inputs, units)
        self.bn_hidden = nn.BatchNorm1d(units)
        self.g = DcganG(units - LATENT)

    def forward(self, z):
        return self.g(F.relu(self.bn_hidden(self.hidden(z))))


class InfoD(DcganD):
    """The DCGAN's D (with the fully connected layer when `units`) and a Q head on its body."""

    def __init__(self, units):
        super().__init__(0, units)
        features = units or 128 * 7 * 7
        if units:
            self.q_hidden = nn.Linear(features, 128)
            self.bn_q_hidden = nn.BatchNorm1d(128)
        self.q = nn.Linear(128 if units else features, CLASSES + INFO_CODES)

    def info(self, x):
        h = self.body(x)
        if self.units:
            h = F.leaky_relu(self.bn_q_hidden(self.q_hidden(h)), 0.2)
        return self.q(h)


# Units of InfoGAN's fully connected layers: the default network, the paper's, the DCGAN's.
INFO_UNITS = {"infogan": 256, "infogan-paper": 1024, "infogan-dcgan": 0}


def bench_infogan(batch, threads, seconds, data, gen, units=256):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g = InfoG(units) if units else DcganG(INFO_LATENT + CLASSES + INFO_CODES - LATENT)
    d = InfoD(units)
    dcgan_init(g)
    dcgan_init(d)
    g.train()
    d.train()
    adam = lambda params, lr=2e-4: torch.optim.Adam(params, lr=lr, betas=(0.5, 0.999), eps=1e-8)
    opt_g, opt_d = adam(g.parameters(), 1e-3 if units else 2e-4), adam(d.parameters())
    opt_info = adam(list(g.parameters()) + list(d.parameters()))
    n = data.shape[0]

    def g_input():
        z = torch.randn(batch, INFO_LATENT, generator=gen)
        c1 = torch.randint(0, CLASSES, (batch,), generator=gen)
        cont = torch.rand(batch, INFO_CODES, generator=gen) * 2 - 1
        return torch.cat([z, F.one_hot(c1, CLASSES).float(), cont], 1), c1, cont

    def step():
        real = data[torch.randint(0, n, (batch,), generator=gen)]
        z, _, _ = g_input()
        fake = g(z).detach()
        real_logits, fake_logits = d(real), d(fake)
        d_loss = F.binary_cross_entropy_with_logits(
            real_logits, torch.ones_like(real_logits)
        ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        d_real = torch.sigmoid(real_logits.detach()).tolist()
        d_fake = torch.sigmoid(fake_logits.detach()).tolist()
        z, _, _ = g_input()
        logits = d(g(z))
        g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        z, c1, cont = g_input()
        q = d.info(g(z))
        cat = F.cross_entropy(q[:, :CLASSES], c1)
        mse = F.mse_loss(q[:, CLASSES:], cont)
        info = cat + 0.1 * mse
        opt_info.zero_grad(set_to_none=True)
        info.backward()
        opt_info.step()
        return d_loss.item(), g_loss.item(), d_real, d_fake, cat.item(), mse.item()

    return time_steps(step, seconds)


def join_label(model, x, onehot):
    """D's input: the pixels then the class (MLP), or the image and one constant map per class (conv)."""
    if model == "cgan":
        return torch.cat([x.flatten(1), onehot], 1)
    b, c = onehot.shape
    return torch.cat([x, onehot.view(b, c, 1, 1).expand(b, c, 28, 28)], 1)


def bench(model, batch, threads, seconds, data, gen, labels=None):
    if model in AUTOENCODERS:
        return bench_autoencoder(model, batch, threads, seconds, data, gen)
    if model in INFO_UNITS:
        return bench_infogan(batch, threads, seconds, data, gen, INFO_UNITS[model])
    if model == "pixelcnn":
        return bench_pixelcnn(batch, threads, seconds, data, gen)
    if model == "pix2pix":
        return bench_pix2pix(batch, threads, seconds, data, gen)
    if model == "cyclegan":
        return bench_cyclegan(batch, threads, seconds, data, gen)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    g, d = build(model)
    g.train()
    d.train()
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
    n = data.shape[0]
    conditional = model in ("cgan", "conv-cgan")

    def g_input():
        z = torch.randn(batch, LATENT, generator=gen)
        if not conditional:
            return z, None
        y = F.one_hot(torch.randint(0, CLASSES, (batch,), generator=gen), CLASSES).float()
        return torch.cat([z, y], 1), y

    def d_input(x, y):
        return x if y is None else join_label(model, x, y)

    def step():
        # D update: raise D on real, lower it on a detached fake batch.
        idx = torch.randint(0, n, (batch,), generator=gen)
        real = data[idx]
        if conditional:
            real = join_label(model, real, F.one_hot(labels[idx], CLASSES).float())
        z, y = g_input()
        fake = d_input(g(z).detach(), y)
        real_logits = d(real)
        fake_logits = d(fake)
        d_loss = F.binary_cross_entropy_with_logits(
            real_logits, torch.ones_like(real_logits)
        ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        d_real = torch.sigmoid(real_logits.detach()).tolist()
        d_fake = torch.sigmoid(fake_logits.detach()).tolist()
        # G update: the non-saturating loss -log D(G(z)).
        z, y = g_input()
        logits = d(d_input(g(z), y))
        g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        return d_loss.item(), g_loss.item(), d_real, d_fake

    return time_steps(step, seconds)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--model",
        action="append",
        choices=GANS + AUTOENCODERS + AUTOREGRESSIVE + TRANSLATION,
        help="repeat for several (default: mlp-gan and dcgan)",
    )
    ap.add_argument("--batch", action="append", type=int)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=5.0)
    a = ap.parse_args()
    data = load_mnist()
    labels = load_labels()
    gen = torch.Generator().manual_seed(0)
    for model in a.model or ["mlp-gan", "dcgan"]:
        for batch in a.batch or [64, 128]:
            sps = bench(model, batch, a.threads, a.seconds, data, gen, labels)
            print(
                json.dumps(
                    {
                        "model": model,
                        "batch": batch,
                        "threads": torch.get_num_threads(),
                        "steps_per_s": round(sps, 2),
                        "torch": torch.__version__,
                    }
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
