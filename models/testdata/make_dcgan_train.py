#!/usr/bin/python3
"""Writes the PyTorch fixtures for Easel's DCGAN training parity test (models/dcgan_train_test.go).

Run with Debian's python3-torch:  /usr/bin/python3 models/testdata/make_dcgan_train.py

Three iterations of pytorch/examples dcgan/main.py's training loop, unchanged but for the
sizes (small widths so the fixtures stay tiny), a larger learning rate (so that three steps
move the weights enough for a wrong gradient to show), data taken in order (shuffle off)
and latents read from a file instead of drawn. The networks are copied from
models/testdata/make_golden.py (pytorch/examples dcgan).

Outputs (in train/):
  g_init.pth, d_init.pth   torch.save(state_dict()) before training (weights_init as main.py)
  x.npy                    float32 [8,3,64,64] in -1..1, the data set (two batches of 4)
  z.npy                    float32 [3,4,nz,1,1], the latents of each iteration
  losses.npy               float64 [3,5]: errD (real+fake), errG, D_x, D_G_z1, D_G_z2 per step
  g_eval_z.npy, g_eval_out.npy   the trained generator in eval mode on fixed latents
  g_trained.pth, d_trained.pth   the networks after three steps (running stats included)
"""
import os

import numpy as np
import torch
import torch.nn as nn

import importlib.util

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("golden", os.path.join(here, "make_golden.py"))
golden = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden)  # its fixtures are written only under __main__
Generator, Discriminator = golden.Generator, golden.Discriminator

NZ, NGF, NDF, NC, BATCH, STEPS = 8, 4, 4, 3, 4, 3
LR, BETA1 = 0.002, 0.5


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def main():
    out = os.path.join(here, "train")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(7)
    netG = Generator(NZ, NGF, NC)
    netG.apply(weights_init)
    netD = Discriminator(NDF, NC)
    netD.apply(weights_init)
    torch.save(netG.state_dict(), os.path.join(out, "g_init.pth"))
    torch.save(netD.state_dict(), os.path.join(out, "d_init.pth"))

    # Smooth images with structure, in -1..1 (as a tanh generator's data).
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 64), torch.linspace(-1, 1, 64), indexing="ij")
    data = []
    for i in range(2 * BATCH):
        phase = torch.rand(NC, 1, 1) * 6.28
        freq = 1 + 3 * torch.rand(NC, 1, 1)
        img = torch.sin(freq * (xx + (i % 3) * yy) + phase) * 0.8 + 0.1 * torch.randn(NC, 64, 64)
        data.append(img.clamp(-1, 1))
    x = torch.stack(data).float()
    z = torch.randn(STEPS, BATCH, NZ, 1, 1)
    np.save(os.path.join(out, "x.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, "z.npy"), z.numpy().astype(np.float32))

    criterion = nn.BCELoss()
    real_label, fake_label = 1., 0.
    optimizerD = torch.optim.Adam(netD.parameters(), lr=LR, betas=(BETA1, 0.999))
    optimizerG = torch.optim.Adam(netG.parameters(), lr=LR, betas=(BETA1, 0.999))
    losses = []
    nbatches = x.shape[0] // BATCH
    for i in range(STEPS):
        k = i % nbatches
        real_cpu = x[k * BATCH:(k + 1) * BATCH]
        # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        batch_size = real_cpu.size(0)
        label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()
        noise = z[i]
        fake = netG(noise)
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()
        # (2) Update G network: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()
        losses.append([errD.item(), errG.item(), D_x, D_G_z1, D_G_z2])
        print('[%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f'
              % (i + 1, STEPS, errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
    np.save(os.path.join(out, "losses.npy"), np.array(losses, dtype=np.float64))
    torch.save(netG.state_dict(), os.path.join(out, "g_trained.pth"))
    torch.save(netD.state_dict(), os.path.join(out, "d_trained.pth"))
    netG.eval()
    ez = torch.randn(2, NZ, 1, 1)
    with torch.no_grad():
        eo = netG(ez)
    np.save(os.path.join(out, "g_eval_z.npy"), ez.numpy().astype(np.float32))
    np.save(os.path.join(out, "g_eval_out.npy"), eo.numpy().astype(np.float32))


if __name__ == "__main__":
    main()
