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
  train-transformer-<S>: fast_neural_style's TransformerNet (--c1 --c2 --c3 --blocks; the
      defaults are the standard network) on a --tbatch x3xSxS input in 0..255: zero_grad,
      forward, MSE against a fixed target of the output's shape, backward, Adam step (lr
      1e-3), loss.item(). No loss network.
The architectures are those of models/testdata/make_golden.py (copied from pytorch/examples);
modules run in training mode. Each case is warmed up, then timed per iteration, and the
median reported.

GFLOP is the nominal work of an iteration as `easel bench train` counts it: 3x the
2·multiply-adds of the convolutions and transposed convolutions of every forward pass that
is differentiated (forward 1x, backward 2x: input and weight gradients), whatever
PyTorch skips (the input gradient of a first layer) or adds (D's weight gradients in
errG.backward(), which dcgan computes and zeroes unused).

Needs Debian's python3-torch: run /usr/bin/python3, not a virtualenv without torch.
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "testdata"))
from make_golden import Discriminator, Generator, TransformerNet  # noqa: E402


class ConvFlops:
    """Counts 2·multiply-adds of every Conv2d and ConvTranspose2d forward pass in models."""

    def __init__(self, *models):
        self.total = 0
        self.hooks = [m.register_forward_hook(self.conv) for model in models for m in model.modules()
                      if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]

    def conv(self, mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1]
        if isinstance(mod, nn.ConvTranspose2d):
            n, ci, h, w = inp[0].shape
            self.total += 2 * n * ci * h * w * mod.out_channels * k
        else:
            n, co, h, w = out.shape
            self.total += 2 * n * co * h * w * mod.in_channels * k

    def remove(self):
        for h in self.hooks:
            h.remove()


def bench(name, step, models, repeats, warmup):
    """Times step() (one iteration); the first call also counts the forward convolutions."""
    count = ConvFlops(*models)
    step()
    count.remove()
    gflop = 3 * count.total / 1e9
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
    ap.add_argument("--cases", default="dcgan,transformer", help="comma-separated: dcgan, transformer")
    ap.add_argument("--batch", type=int, default=64, help="DCGAN batch size")
    ap.add_argument("--nz", type=int, default=100)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--nc", type=int, default=3)
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
    for c in cases:
        if c == "dcgan":
            step, models = dcgan_step(args.batch, args.nz, args.ngf, args.ndf, args.nc)
            bench(f"train-dcgan-{args.batch}", step, models, args.repeats, args.warmup)
        elif c == "transformer":
            step, models = transformer_step(args.tbatch, args.size, args.c1, args.c2, args.c3, args.blocks)
            bench(f"train-transformer-{args.size}", step, models, args.repeats, args.warmup)
        else:
            sys.exit(f"unknown case {c!r}: want dcgan or transformer")


if __name__ == "__main__":
    main()
