#!/usr/bin/python3
"""PyTorch CPU training iterations of the workloads `easel bench train` times, for scripts/bench-train.sh.

Prints one line per case: "torch <case> <median ms> <best ms> <GFLOP> <threads> <median CPU ms>"
(CPU time of the process, every thread, per iteration: what other load on the machine
changes little).
Cases:
  train-dcgan-<B>: one iteration of pytorch/examples dcgan/main.py's training loop on a batch
      of B (--nz, --ngf, --ndf, --nc): netD.zero_grad(); D on the real batch, BCE with label
      1, backward; G(z), D on G(z).detach() with label 0, backward; Adam step of D;
      netG.zero_grad(); D on G(z) with label 1, backward; Adam step of G (lr 0.0002,
      betas (0.5, 0.999)), and the .item() reads main.py prints. The real batch (uniform in
      -1..1) and the latents are fixed: data loading is not timed.
  train-cgan-<B>, train-infogan-<B>, train-wgan-<B>: one iteration of `easel train cgan`,
      `infogan` and `wgan` (models.GANTrainer) as models/testdata/make_gan_kinds.py runs it
      in PyTorch (the parity fixtures Easel's trainer is checked against), on its networks
      (32×32) or pytorch/examples dcgan's (64×64, make_golden.py) by --gan-size, with the
      hyperparameters of `easel train`: cgan is the dcgan iteration with the class one-hot
      after z in G's input and as one-hot maps after the image's channels in D's (--classes);
      infogan adds the Q head (--cat, --cont) and its mutual-information loss (1·CE +
      0.1·MSE) on the fakes, in D's step and in G's; both Adam lr 0.0002, betas (0.5, 0.999),
      the logits through a sigmoid into BCELoss, and the figures read with .item(). wgan is
      --n-critic critic steps (G's forward under no_grad in training mode, the critic on a
      real batch and on the fakes, RMSprop lr 5e-5, every critic parameter clamped to
      ±0.01) and one generator step, and the four figures read. Real batches (uniform in
      -1..1), latents, classes and codes are fixed.
  train-transformer-<S>: fast_neural_style's TransformerNet (--c1 --c2 --c3 --blocks; the
      defaults are the standard network) on a --tbatch x3xSxS input in 0..255: zero_grad,
      forward, MSE against a fixed target of the output's shape, backward, Adam step (lr
      1e-3), loss.item(). No loss network.
The architectures are those of models/testdata/make_golden.py (copied from pytorch/examples);
modules run in training mode. Each case is warmed up, then timed per iteration, and the
median reported.

GFLOP is the nominal work of an iteration as `easel bench train` counts it: 3x the
2·multiply-adds of the convolutions and transposed convolutions of every forward pass that
is differentiated (forward 1x, backward 2x: input and weight gradients) and 1x those of a
forward pass under no_grad (WGAN's critic-step fakes), whatever PyTorch skips (the input
gradient of a first layer) or adds (D's weight gradients in the generator's backward pass,
which these loops, as dcgan/main.py, compute and zero unused).

--label names the case in the output line instead (scripts/bench-train.sh pairs lines
with Easel's by it).

Needs Debian's python3-torch: run /usr/bin/python3, not a virtualenv without torch.
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "testdata"))
from make_golden import Discriminator, Generator, TransformerNet  # noqa: E402
import make_gan_kinds as kinds  # noqa: E402


class ConvFlops:
    """Counts 2·multiply-adds of every Conv2d and ConvTranspose2d forward pass in models,
    3x where autograd records it (it is differentiated), 1x under no_grad."""

    def __init__(self, *models):
        self.total = 0
        self.hooks = [m.register_forward_hook(self.conv) for model in models for m in model.modules()
                      if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]

    def conv(self, mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1]
        times = 3 if torch.is_grad_enabled() else 1
        if isinstance(mod, nn.ConvTranspose2d):
            n, ci, h, w = inp[0].shape
            self.total += times * 2 * n * ci * h * w * mod.out_channels * k
        else:
            n, co, h, w = out.shape
            self.total += times * 2 * n * co * h * w * mod.in_channels * k

    def remove(self):
        for h in self.hooks:
            h.remove()


def bench(name, step, models, repeats, warmup):
    """Times step() (one iteration); the first call also counts the forward convolutions."""
    count = ConvFlops(*models)
    step()
    count.remove()
    gflop = count.total / 1e9
    for _ in range(max(warmup - 1, 0)):
        step()
    times, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    print(f"torch {name} {statistics.median(times) * 1e3:.2f} {min(times) * 1e3:.2f} {gflop:.3f} {torch.get_num_threads()} "
          f"{statistics.median(cpus) * 1e3:.2f}", flush=True)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def dcgan_step(batch, nz, ngf, ndf, nc):
    """One iteration of dcgan/main.py's loop, as a closure over fixed data."""
    netG = Generator(nz, ngf, nc)
    netG.apply(weights_init)
    netD = Discriminator(ndf, nc)
    netD.apply(weights_init)
    netG.train()
    netD.train()
    criterion = nn.BCELoss()
    optimizerD = torch.optim.Adam(netD.parameters(), lr=0.0002, betas=(0.5, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=0.0002, betas=(0.5, 0.999))
    real_cpu = torch.rand(batch, nc, 64, 64) * 2 - 1
    noise = torch.randn(batch, nz, 1, 1)
    real_label, fake_label = 1., 0.

    def step():
        netD.zero_grad()
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        return errD.item(), errG.item(), D_x, D_G_z1, D_G_z2

    return step, (netG, netD)


class KindD(nn.Module):
    """The discriminator as models.GANTrainer runs it: forward returns the logit of each
    image (before the sigmoid; WGAN's critic output) and the features before the last
    convolution, which InfoGAN's Q head (self.q) reads. 32×32: make_gan_kinds.py's network;
    64×64: pytorch/examples dcgan's (make_golden.py) and make_gan_kinds.py's Q head on its
    ndf·8 features. nin is the image's channels plus the class maps. The final Sigmoid of
    main is not used."""

    def __init__(self, size, nin, ndf, cat, cont):
        super().__init__()
        if size == 32:
            net = kinds.Discriminator(nin, ndf, cat, cont)
            self.main, self.last = net.main, 8
            if cat or cont:
                self.q = net.q
        else:
            self.main, self.last = Discriminator(ndf, nin).main, 11
            if cat or cont:
                self.q = kinds.Q(ndf * 8, cat, cont)

    def forward(self, x):
        feat = self.main[:self.last](x)
        return self.main[self.last](feat).view(-1), feat


def kind_nets(size, nin, ngf, nc, ndf, d_nin, cat=0, cont=0):
    """G (nin inputs: z and the codes) and D of either size, after weights_init."""
    netG = kinds.Generator(nin, ngf, nc) if size == 32 else Generator(nin, ngf, nc)
    netD = KindD(size, d_nin, ndf, cat, cont)
    netG.apply(weights_init)
    netD.apply(weights_init)
    netG.train()
    netD.train()
    return netG, netD


def cgan_infogan_step(kind, batch, size, nz, ngf, ndf, nc, classes, cat, ncont):
    """One iteration of make_gan_kinds.py's cgan or infogan loop (GANTrainer.record)."""
    lr, beta1, info_cat, info_cont = 0.0002, 0.5, 1.0, 0.1
    fc = real_cls = code = u = None  # cgan's classes; infogan's codes
    if kind == "cgan":
        cat = ncont = 0
        netG, netD = kind_nets(size, nz + classes, ngf, nc, ndf, nc + classes)
        fc = torch.randint(0, classes, (batch,))
        real_cls = torch.randint(0, classes, (batch,))
        g_in = torch.cat([torch.randn(batch, nz), kinds.onehot(fc, classes, torch.float32)], 1).view(batch, -1, 1, 1)
    else:
        classes = 0
        if cat < 2 or ncont < 1:
            sys.exit(f"infogan: --cat {cat} --cont {ncont}: this script wants both codes (cat ≥ 2, cont ≥ 1)")
        netG, netD = kind_nets(size, nz + cat + ncont, ngf, nc, ndf, nc, cat, ncont)
        code = torch.randint(0, cat, (batch,))
        u = torch.rand(batch, ncont) * 2 - 1
        g_in = torch.cat([torch.randn(batch, nz), kinds.onehot(code, cat, torch.float32), u], 1).view(batch, -1, 1, 1)
    real = torch.rand(batch, nc, size, size) * 2 - 1

    def d_in(img, cls):
        if not classes:
            return img
        maps = kinds.onehot(cls, classes, torch.float32).view(-1, classes, 1, 1).expand(-1, classes, size, size)
        return torch.cat([img, maps], 1)

    def info_loss(feat):
        qcat, qcont = netD.q(feat)
        return info_cat * F.cross_entropy(qcat, code) + info_cont * F.mse_loss(qcont, u)

    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=lr, betas=(beta1, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=lr, betas=(beta1, 0.999))
    ones, zeros = torch.ones(batch), torch.zeros(batch)

    def step():
        netD.zero_grad()
        out = torch.sigmoid(netD(d_in(real, real_cls))[0])
        errD_real = criterion(out, ones)
        errD_real.backward()
        d_x = out.mean().item()
        fake = netG(g_in)
        logit, feat = netD(d_in(fake.detach(), fc))
        out = torch.sigmoid(logit)
        errD_fake = criterion(out, zeros)
        if classes:
            errD_fake.backward()
        else:
            (errD_fake + info_loss(feat)).backward()
        d_g_z1 = out.mean().item()
        optD.step()
        netG.zero_grad()
        logit, feat = netD(d_in(fake, fc))
        out = torch.sigmoid(logit)
        errG = criterion(out, ones)
        figures = [(errD_real + errD_fake).item(), errG.item(), d_x, d_g_z1, out.mean().item()]
        if classes:
            errG.backward()
        else:
            li = info_loss(feat)
            (errG + li).backward()
            figures.append(li.item())
        optG.step()
        return figures

    return step, (netG, netD)


def wgan_step(batch, size, nz, ngf, ndf, nc, ncritic):
    """One iteration of make_gan_kinds.py's wgan loop (GANTrainer.recordWGAN): ncritic
    critic steps on their own real batches and latents, then a generator step."""
    lr, clip = 0.00005, 0.01
    netG, netD = kind_nets(size, nz, ngf, nc, ndf, nc)
    reals = torch.rand(ncritic, batch, nc, size, size) * 2 - 1
    z = torch.randn(ncritic + 1, batch, nz, 1, 1)
    optD = torch.optim.RMSprop(netD.parameters(), lr=lr, alpha=0.99, eps=1e-8)
    optG = torch.optim.RMSprop(netG.parameters(), lr=lr, alpha=0.99, eps=1e-8)

    def step():
        for k in range(ncritic):
            netD.zero_grad()
            with torch.no_grad():
                fake = netG(z[k])
            c_real = netD(reals[k])[0].mean()
            c_fake = netD(fake)[0].mean()
            (c_fake - c_real).backward()
            optD.step()
            for p in netD.parameters():
                p.data.clamp_(-clip, clip)
        netG.zero_grad()
        errG = -netD(netG(z[ncritic]))[0].mean()
        errG.backward()
        optG.step()
        return (c_real - c_fake).item(), errG.item(), c_real.item(), c_fake.item()

    return step, (netG, netD)


def transformer_step(batch, size, c1, c2, c3, blocks):
    """Forward, MSE against a fixed target, backward and an Adam step of TransformerNet."""
    net = TransformerNet(c1, c2, c3, blocks)
    net.train()
    x = torch.rand(batch, 3, size, size) * 255
    with torch.no_grad():
        target = torch.rand_like(net(x)) * 255
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    mse = nn.MSELoss()

    def step():
        opt.zero_grad()
        loss = mse(net(x), target)
        loss.backward()
        opt.step()
        return loss.item()

    return step, (net,)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--cases", default="dcgan,transformer",
                    help="comma-separated: dcgan, cgan, infogan, wgan, transformer")
    ap.add_argument("--label", default="", help="the case's name in the output (one case only)")
    ap.add_argument("--batch", type=int, default=64, help="GAN batch size")
    ap.add_argument("--nz", type=int, default=0, help="latent size (default: 62 for infogan, 100 otherwise)")
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--nc", type=int, default=0, help="image channels (default: 1 for cgan and infogan, 3 otherwise)")
    ap.add_argument("--gan-size", type=int, default=0, choices=[0, 32, 64],
                    help="cgan, infogan, wgan image side (default: 32 for cgan and infogan, 64 for wgan; dcgan is 64)")
    ap.add_argument("--classes", type=int, default=10, help="cgan classes")
    ap.add_argument("--cat", type=int, default=10, help="infogan categorical code")
    ap.add_argument("--cont", type=int, default=2, help="infogan continuous codes")
    ap.add_argument("--n-critic", type=int, default=5, help="wgan critic steps per generator step")
    ap.add_argument("--size", type=int, default=256, help="TransformerNet image side")
    ap.add_argument("--tbatch", type=int, default=1, help="TransformerNet batch size")
    ap.add_argument("--c1", type=int, default=32)
    ap.add_argument("--c2", type=int, default=64)
    ap.add_argument("--c3", type=int, default=128)
    ap.add_argument("--blocks", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cases = [c for c in args.cases.split(",") if c]
    if args.label and len(cases) != 1:
        sys.exit("--label names one case: give one in --cases")
    for c in cases:
        digits = c in ("cgan", "infogan")
        nz = args.nz or (62 if c == "infogan" else 100)
        nc = args.nc or (1 if digits else 3)
        size = args.gan_size or (32 if digits else 64)
        if c == "dcgan":
            step, models = dcgan_step(args.batch, nz, args.ngf, args.ndf, nc)
            name = f"train-dcgan-{args.batch}"
        elif c in ("cgan", "infogan"):
            step, models = cgan_infogan_step(c, args.batch, size, nz, args.ngf, args.ndf, nc, args.classes, args.cat, args.cont)
            name = f"train-{c}-{args.batch}"
        elif c == "wgan":
            step, models = wgan_step(args.batch, size, nz, args.ngf, args.ndf, nc, args.n_critic)
            name = f"train-wgan-{args.batch}"
        elif c == "transformer":
            step, models = transformer_step(args.tbatch, args.size, args.c1, args.c2, args.c3, args.blocks)
            name = f"train-transformer-{args.size}"
        else:
            sys.exit(f"unknown case {c!r}: want dcgan, cgan, infogan, wgan or transformer")
        bench(args.label or name, step, models, args.repeats, args.warmup)


if __name__ == "__main__":
    main()
