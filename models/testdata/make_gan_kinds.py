#!/usr/bin/python3
"""Writes the PyTorch fixtures for Easel's cgan, infogan and wgan training parity test
(models/gan_kinds_parity_test.go).

Run with Debian's python3-torch:  /usr/bin/python3 models/testdata/make_gan_kinds.py

Three iterations of each algorithm as models.GANTrainer runs it, in real PyTorch, on 32×32
networks of tiny widths with a large learning rate (Adam 0.002), so that three steps move
the weights enough for a wrong gradient to show:

  cgan     pytorch/examples dcgan's step (BCE on the sigmoid, Adam) with the class as a
           one-hot vector after z in G's input and as one-hot maps after the image's
           channels in D's input. Real images carry their labels, fakes the asked classes.
  infogan  the dcgan step plus the Q head on D's features before its last convolution;
           D's body and Q learn the mutual-information loss (info_cat·CE of the categorical
           code + info_cont·MSE of the continuous codes) on the detached fakes, G learns it
           through D. loss_info is the G phase's.
  wgan     Algorithm 1 of Arjovsky et al.: ncritic critic steps (mean C(G(z)) − mean C(x),
           RMSprop, every critic parameter clamped), then one generator step (−mean C(G(z))).
           G runs in training mode for the critic's fakes too (its running statistics move).

Outputs (in gankinds/):
  x.npy          float32 [8,1,32,32] in -1..1, the data set (two batches of 4)
  labels.npy     int64 [8], the class of each image (cgan)
  <kind>/config.json               the networks' configs and the training hyperparameters
  <kind>/g_init.pth, d_init.pth    torch.save(state_dict()) before training
  <kind>/z.npy                     float32 [3,zbatches,4,nz]: the latents of each iteration
  cgan/fake_class.npy              int64 [3,4]: the classes G is asked for
  infogan/code.npy, cont.npy       int64 [3,4] and float32 [3,4,cont]: the codes of the fakes
  <kind>/figures.npy               float64 [3,len(stat names)]: each iteration's figures
  <kind>/g_trained.pth, d_trained.pth   the networks after three steps (running stats included)

Iteration i takes real batch i mod 2 (wgan: critic step k of iteration i takes batch
(i·ncritic + k) mod 2).

Conditioning. Adam's and RMSprop's first steps are close to lr·sign(g) whatever the size of
g, so a gradient near zero turns rounding into a whole step, and WGAN's clipped critic
(batch norm over nearly constant maps) amplifies it further: with most seeds, or RMSprop at
lr 0.005, float32 PyTorch itself ends three steps 1e-3..1e-1 away from float64 PyTorch, and
no float32 implementation can match it. So each kind is also trained in float64, and again
with the initial weights moved by PERTURB; the script refuses to write a fixture that moves
by more than MAX_AMPLIFIED. The seeds and WGAN's lr 0.0005 (its clip 0.05 still binds every
critic batch norm weight and some convolution weights) are ones that pass.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))

SIZE, NC, BATCH, STEPS = 32, 1, 4, 3
Q_WIDTH = 128  # models.infoGANQWidth
# Seeds of each kind's networks and inputs (see the conditioning check in main).
SEEDS = {"cgan": 11, "infogan": 10, "wgan": 14}
WGAN_LR = 0.0005
# The conditioning check: the initial weights move by PERTURB (relative, about ten times
# float32's rounding; three draws); no tensor after training may then move by more than
# MAX_AMPLIFIED of its largest value (the parity test's tolerance is 2e-3).
PERTURB, MAX_AMPLIFIED = 1e-6, 2e-4


class Generator(nn.Module):
    """The 32×32 DCGAN generator (four transposed convolutions); nin is z plus the codes."""

    def __init__(self, nin, ngf, nc):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nin, ngf * 4, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, x):
        return self.main(x)


class Q(nn.Module):
    """InfoGAN's Q head: conv 4×4 to 128, BatchNorm2d, LeakyReLU(0.1), then 1×1 convs to
    the categorical code's logits (cat) and the continuous codes' means (cont)."""

    def __init__(self, nin, cat, cont):
        super().__init__()
        self.add_module("0", nn.Conv2d(nin, Q_WIDTH, 4, 1, 0, bias=False))
        self.add_module("1", nn.BatchNorm2d(Q_WIDTH))
        self.cat = nn.Conv2d(Q_WIDTH, cat, 1)
        self.cont = nn.Conv2d(Q_WIDTH, cont, 1)

    def forward(self, feat):
        h = F.leaky_relu(self._modules["1"](self._modules["0"](feat)), 0.1)
        return self.cat(h).flatten(1), self.cont(h).flatten(1)


class Discriminator(nn.Module):
    """The 32×32 DCGAN discriminator; nin is the image's channels plus the class maps.
    forward returns the logit of each image (before the sigmoid) and the features before
    the last convolution."""

    def __init__(self, nin, ndf, cat=0, cont=0):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nin, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )
        if cat or cont:
            self.q = Q(ndf * 4, cat, cont)

    def forward(self, x):
        feat = self.main[:8](x)
        return self.main[8](feat).view(-1), feat


def weights_init(m):
    """pytorch/examples dcgan's init; the Q head's biases keep PyTorch's default init."""
    classname = m.__class__.__name__
    if classname.find('Conv') != -1:
        torch.nn.init.normal_(m.weight, 0.0, 0.02)
    elif classname.find('BatchNorm') != -1:
        torch.nn.init.normal_(m.weight, 1.0, 0.02)
        torch.nn.init.zeros_(m.bias)


def state(net):
    """The state_dict without num_batches_tracked, which Easel does not keep."""
    return {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}


def onehot(classes, k, dtype):
    return F.one_hot(classes, k).to(dtype)


def data():
    """Smooth images with structure and noise in -1..1, and a class for each."""
    torch.manual_seed(5)
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, SIZE), torch.linspace(-1, 1, SIZE), indexing="ij")
    imgs = []
    for i in range(2 * BATCH):
        phase = torch.rand(NC, 1, 1) * 6.28
        freq = 1 + 3 * torch.rand(NC, 1, 1)
        img = torch.sin(freq * (xx + (i % 3) * yy) + phase) * 0.8 + 0.1 * torch.randn(NC, SIZE, SIZE)
        imgs.append(img.clamp(-1, 1))
    return torch.stack(imgs).float(), torch.randint(0, 3, (2 * BATCH,))


def networks(seed, g_args, d_args):
    """The networks initialised from seed, and their state before training."""
    torch.manual_seed(seed)
    netG = Generator(*g_args)
    netG.apply(weights_init)
    netD = Discriminator(*d_args)
    netD.apply(weights_init)
    init = tuple({k: v.clone() for k, v in s.items()} for s in (state(netG), state(netD)))
    return netG, netD, init


def prepare(netG, netD, dtype, perturb):
    """Casts the networks to dtype and, for the conditioning check, multiplies every
    parameter by 1 + perturb[0]·N(0,1) drawn with seed perturb[1]."""
    netG.to(dtype)
    netD.to(dtype)
    if perturb:
        rng = torch.Generator().manual_seed(perturb[1])
        with torch.no_grad():
            for p in list(netG.parameters()) + list(netD.parameters()):
                p.mul_(1 + perturb[0] * torch.randn(p.shape, generator=rng, dtype=dtype))


class Run:
    """What one kind's training gives: the fixture's content."""

    def __init__(self, cfg, init, arrays, figures, netG, netD):
        self.cfg, self.init, self.arrays, self.figures = cfg, init, arrays, figures
        self.trained = (state(netG), state(netD))

    def write(self):
        out = os.path.join(here, "gankinds", self.cfg["kind"])
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(self.cfg, f, indent=1, sort_keys=True)
            f.write("\n")
        for name, sd in zip(["g_init", "d_init", "g_trained", "d_trained"], self.init + self.trained):
            torch.save({k: v.float() for k, v in sd.items()}, os.path.join(out, name + ".pth"))
        for name, a in self.arrays.items():
            np.save(os.path.join(out, name + ".npy"), a)
        np.save(os.path.join(out, "figures.npy"), np.array(self.figures, dtype=np.float64))


def cgan(x, labels, dtype=torch.float32, perturb=None):
    nz, ngf, ndf, classes, lr, beta1 = 6, 4, 4, 3, 0.002, 0.5
    netG, netD, init = networks(SEEDS["cgan"], (nz + classes, ngf, NC), (NC + classes, ndf))
    z = torch.randn(STEPS, 1, BATCH, nz)
    fake_class = torch.randint(0, classes, (STEPS, BATCH))
    arrays = {"z": z.numpy(), "fake_class": fake_class.numpy()}
    prepare(netG, netD, dtype, perturb)
    x, z = x.to(dtype), z.to(dtype)

    def d_in(img, cls):
        maps = onehot(cls, classes, dtype).view(-1, classes, 1, 1).expand(-1, classes, SIZE, SIZE)
        return torch.cat([img, maps], 1)

    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=lr, betas=(beta1, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=lr, betas=(beta1, 0.999))
    ones, zeros = torch.ones(BATCH, dtype=dtype), torch.zeros(BATCH, dtype=dtype)
    figures = []
    for i in range(STEPS):
        k = i % 2
        real, real_cls = x[k * BATCH:(k + 1) * BATCH], labels[k * BATCH:(k + 1) * BATCH]
        fc = fake_class[i]
        netD.zero_grad()
        out = torch.sigmoid(netD(d_in(real, real_cls))[0])
        errD_real = criterion(out, ones)
        errD_real.backward()
        d_x = out.mean().item()
        fake = netG(torch.cat([z[i, 0], onehot(fc, classes, dtype)], 1).view(BATCH, -1, 1, 1))
        out = torch.sigmoid(netD(d_in(fake.detach(), fc))[0])
        errD_fake = criterion(out, zeros)
        errD_fake.backward()
        d_g_z1 = out.mean().item()
        optD.step()
        netG.zero_grad()
        out = torch.sigmoid(netD(d_in(fake, fc))[0])
        errG = criterion(out, ones)
        errG.backward()
        optG.step()
        figures.append([(errD_real + errD_fake).item(), errG.item(), d_x, d_g_z1, out.mean().item()])
    cfg = {"kind": "cgan", "batch": BATCH, "lr": lr, "beta1": beta1,
           "g": {"nz": nz, "ngf": ngf, "nc": NC, "size": SIZE, "classes": classes},
           "d": {"ndf": ndf, "nc": NC, "size": SIZE, "classes": classes}}
    return Run(cfg, init, arrays, figures, netG, netD)


def infogan(x, labels, dtype=torch.float32, perturb=None):
    nz, ngf, ndf, cat, ncont, lr, beta1 = 5, 4, 2, 4, 2, 0.002, 0.5
    info_cat, info_cont = 0.8, 0.5
    netG, netD, init = networks(SEEDS["infogan"], (nz + cat + ncont, ngf, NC), (NC, ndf, cat, ncont))
    z = torch.randn(STEPS, 1, BATCH, nz)
    code = torch.randint(0, cat, (STEPS, BATCH))
    cont = torch.rand(STEPS, BATCH, ncont) * 2 - 1
    arrays = {"z": z.numpy(), "code": code.numpy(), "cont": cont.numpy()}
    prepare(netG, netD, dtype, perturb)
    x, z, cont = x.to(dtype), z.to(dtype), cont.to(dtype)

    def info_loss(feat, c, u):
        qcat, qcont = netD.q(feat)
        return info_cat * F.cross_entropy(qcat, c) + info_cont * F.mse_loss(qcont, u)

    criterion = nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=lr, betas=(beta1, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=lr, betas=(beta1, 0.999))
    ones, zeros = torch.ones(BATCH, dtype=dtype), torch.zeros(BATCH, dtype=dtype)
    figures = []
    for i in range(STEPS):
        k = i % 2
        real = x[k * BATCH:(k + 1) * BATCH]
        c, u = code[i], cont[i]
        netD.zero_grad()
        out = torch.sigmoid(netD(real)[0])
        errD_real = criterion(out, ones)
        errD_real.backward()
        d_x = out.mean().item()
        fake = netG(torch.cat([z[i, 0], onehot(c, cat, dtype), u], 1).view(BATCH, -1, 1, 1))
        # D's body and Q learn the codes of the detached fakes.
        logit, feat = netD(fake.detach())
        out = torch.sigmoid(logit)
        errD_fake = criterion(out, zeros)
        (errD_fake + info_loss(feat, c, u)).backward()
        d_g_z1 = out.mean().item()
        optD.step()
        # G learns through the updated D and Q (both in training mode, as in the D phase).
        netG.zero_grad()
        logit, feat = netD(fake)
        out = torch.sigmoid(logit)
        errG = criterion(out, ones)
        li = info_loss(feat, c, u)
        (errG + li).backward()
        optG.step()
        figures.append([(errD_real + errD_fake).item(), errG.item(), d_x, d_g_z1, out.mean().item(), li.item()])
    cfg = {"kind": "infogan", "batch": BATCH, "lr": lr, "beta1": beta1, "infocat": info_cat, "infocont": info_cont,
           "g": {"nz": nz, "ngf": ngf, "nc": NC, "size": SIZE, "cat": cat, "cont": ncont},
           "d": {"ndf": ndf, "nc": NC, "size": SIZE, "cat": cat, "cont": ncont}}
    return Run(cfg, init, arrays, figures, netG, netD)


def wgan(x, labels, dtype=torch.float32, perturb=None):
    nz, ngf, ndf, lr, clip, ncritic = 6, 4, 4, WGAN_LR, 0.05, 3
    netG, netD, init = networks(SEEDS["wgan"], (nz, ngf, NC), (NC, ndf))
    z = torch.randn(STEPS, ncritic + 1, BATCH, nz)
    arrays = {"z": z.numpy()}
    prepare(netG, netD, dtype, perturb)
    x, z = x.to(dtype), z.to(dtype)
    optD = torch.optim.RMSprop(netD.parameters(), lr=lr, alpha=0.99, eps=1e-8)
    optG = torch.optim.RMSprop(netG.parameters(), lr=lr, alpha=0.99, eps=1e-8)
    figures = []
    for i in range(STEPS):
        for k in range(ncritic):
            b = (i * ncritic + k) % 2
            real = x[b * BATCH:(b + 1) * BATCH]
            netD.zero_grad()
            with torch.no_grad():
                fake = netG(z[i, k].view(BATCH, nz, 1, 1))
            c_real = netD(real)[0].mean()
            c_fake = netD(fake)[0].mean()
            (c_fake - c_real).backward()
            optD.step()
            for p in netD.parameters():
                p.data.clamp_(-clip, clip)
        netG.zero_grad()
        errG = -netD(netG(z[i, ncritic].view(BATCH, nz, 1, 1)))[0].mean()
        errG.backward()
        optG.step()
        figures.append([(c_real - c_fake).item(), errG.item(), c_real.item(), c_fake.item()])
    cfg = {"kind": "wgan", "batch": BATCH, "lr": lr, "clip": clip, "ncritic": ncritic,
           "g": {"nz": nz, "ngf": ngf, "nc": NC, "size": SIZE},
           "d": {"ndf": ndf, "nc": NC, "size": SIZE}}
    return Run(cfg, init, arrays, figures, netG, netD)


def worst_error(a, b):
    """The largest |a - b| of any tensor, relative to that tensor's max|b|, and its name."""
    worst, name = 0.0, ""
    for sa, sb in zip(a.trained, b.trained):
        for k, v in sb.items():
            e = ((sa[k].double() - v.double()).abs().max() / v.double().abs().max()).item()
            if e > worst:
                worst, name = e, k
    return worst, name


def main():
    out = os.path.join(here, "gankinds")
    os.makedirs(out, exist_ok=True)
    x, labels = data()
    np.save(os.path.join(out, "x.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, "labels.npy"), labels.numpy().astype(np.int64))
    for kind in (cgan, infogan, wgan):
        run = kind(x, labels)
        # Conditioning: three steps of a GAN can amplify rounding (Adam's and RMSprop's first
        # steps are nearly sign(g), whatever the size of g), and then no float32
        # implementation can match another. The fixture is kept only if float64 training
        # moves by little when the initial weights move by PERTURB (relative).
        ref = kind(x, labels, torch.float64)
        f32, f32_name = worst_error(run, ref)
        amp, amp_name = max(worst_error(kind(x, labels, torch.float64, (PERTURB, seed)), ref) for seed in range(3))
        for i, (fig, fig64) in enumerate(zip(run.figures, ref.figures)):
            print("%s step %d: %s (float64 %s)" % (run.cfg["kind"], i + 1, np.round(fig, 6), np.round(fig64, 6)))
        print("%s: float32 vs float64: worst tensor error %.1e (%s); weights moved by %.0e: %.1e (%s)"
              % (run.cfg["kind"], f32, f32_name, PERTURB, amp, amp_name))
        if amp > MAX_AMPLIFIED:
            raise SystemExit("%s: ill-conditioned fixture (%.1e > %.0e): change its seed or learning rate"
                             % (run.cfg["kind"], amp, MAX_AMPLIFIED))
        run.write()


if __name__ == "__main__":
    main()
