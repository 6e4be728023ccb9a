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
  train-style-<S>: one training step of pytorch/examples fast_neural_style (neural_style.py's
      train loop) on a --style-batch x3xSxS batch of crops in 0..255: zero_grad; y =
      TransformerNet(x) (--c1 --c2 --c3 --blocks); normalize_batch of y and of x; the loss
      network on both; content_weight (1e5) x MSE of the --content-layer features;
      style_weight (1e10) x the sum over --style-layers of the MSE of the Gram matrices
      (C·H·W-normalised) against those of a fixed SxS style image; backward; Adam step (lr
      1e-3); the two .item() reads. The loss network is torchvision's vgg16().features
      (here rebuilt with the same layout and initialisation, weights random: the work does
      not depend on them, and requires_grad False as fast_neural_style's Vgg16) cut after
      the deepest layer named, run as fast_neural_style's Vgg16 runs its slices. One
      difference from neural_style.py: the crops' features are computed only up to the
      content layer, the only one the loss reads (fast_neural_style runs them through
      relu4_3), as Easel's step does, so that both do the same work. The crops are copied
      each step (normalize_batch divides in place), as a data loader delivers fresh ones.
  gatys-<S>: one Adam iteration of style transfer by optimisation (Gatys et al.) on a
      1x3xSxS image in 0..255, the only parameter: zero_grad; normalize_batch; the same
      loss network; content MSE (weight 1) at --content-layer against a fixed content
      image's features, Gram MSE (weight 1e6) at --style-layers against a fixed style
      image's; backward; Adam step (lr 1); loss.item().
  Layers are named as Easel names them (reluB_I: the ReLU after the I-th convolution of
  block B); the defaults are Johnson et al.'s for train-style (content relu2_2; style
  relu1_2, relu2_2, relu3_3, relu4_3) and, for gatys, Gatys et al.'s within VGG16's first
  four blocks (content relu4_2; style relu1_1, relu2_1, relu3_1, relu4_1 and relu4_3, the
  deepest layer of the cut, in place of relu5_1).
The architectures are those of models/testdata/make_golden.py (copied from pytorch/examples);
modules run in training mode. Each case is warmed up, then timed per iteration, and the
median reported.

GFLOP is the nominal work of an iteration as `easel bench train` counts it: 3x the
2·multiply-adds of the convolutions and transposed convolutions of every forward pass that
is differentiated (forward 1x, backward 2x: input and weight gradients) and 1x those of a
forward pass under no_grad (WGAN's critic-step fakes, the style step's loss network on the
crops), whatever PyTorch skips (the input gradient of a first layer, the fixed loss
network's weight gradients) or adds (D's weight gradients in the generator's backward pass,
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


# VGG16_BLOCKS: the 3x3 convolutions of each of torchvision's VGG16 blocks, and their
# widths; each block ends in a 2x2 max pool.
VGG16_BLOCKS = [(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)]


def vgg16_relu_index():
    """The index in vgg16().features of each ReLU, by Easel's name: relu1_1 -> 1, relu4_3 -> 22."""
    names, idx = {}, 0
    for b, (n, _) in enumerate(VGG16_BLOCKS):
        for i in range(n):
            names[f"relu{b + 1}_{i + 1}"] = idx + 1
            idx += 2  # Conv2d, ReLU
        idx += 1  # MaxPool2d
    return names


class VGGLoss(nn.Module):
    """torchvision's vgg16().features (Conv2d 3x3 padding 1, ReLU(inplace=True), MaxPool2d(2,
    2)) up to the deepest of layers, with torchvision's initialisation (kaiming_normal_
    fan_out, relu; bias 0) and requires_grad False, run as fast_neural_style's Vgg16: slices
    that end at the layers read, whose outputs forward returns in the order of layers.
    Given features (another VGGLoss's, reaching at least as deep), it runs those modules
    instead of new ones."""

    def __init__(self, layers, features=None):
        super().__init__()
        index = vgg16_relu_index()
        for name in layers:
            if name not in index:
                sys.exit(f"layer {name!r}: VGG16's layers are {', '.join(index)}")
        ends = sorted({index[name] + 1 for name in layers})
        if features is None:
            mods, cin = [], 3
            for n, width in VGG16_BLOCKS:
                for _ in range(n):
                    conv = nn.Conv2d(cin, width, kernel_size=3, padding=1)
                    nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(conv.bias)
                    mods += [conv, nn.ReLU(inplace=True)]
                    cin = width
                mods.append(nn.MaxPool2d(kernel_size=2, stride=2))
            features = nn.Sequential(*mods[:ends[-1]])
        self.features = features
        self.slices = [features[a:b] for a, b in zip([0] + ends[:-1], ends)]
        self.order = [ends.index(index[name] + 1) for name in layers]
        for p in self.parameters():
            p.requires_grad = False

    def forward(self, x):
        outs = []
        for s in self.slices:
            x = s(x)
            outs.append(x)
        return [outs[i] for i in self.order]


def gram_matrix(y):
    """fast_neural_style's utils.gram_matrix."""
    (b, ch, h, w) = y.size()
    features = y.view(b, ch, w * h)
    features_t = features.transpose(1, 2)
    gram = features.bmm(features_t) / (ch * h * w)
    return gram


def normalize_batch(batch):
    """fast_neural_style's utils.normalize_batch: 0..255 to ImageNet's normalisation (it
    divides batch in place)."""
    mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
    std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    batch = batch.div_(255.0)
    return (batch - mean) / std


def style_step(batch, size, c1, c2, c3, blocks, content_layer, style_layers):
    """One step of fast_neural_style's training loop (neural_style.py train), the crops'
    features computed up to the content layer only."""
    transformer = TransformerNet(c1, c2, c3, blocks)
    transformer.train()
    optimizer = torch.optim.Adam(transformer.parameters(), lr=1e-3)
    mse_loss = nn.MSELoss()
    content_weight, style_weight = 1e5, 1e10
    vgg = VGGLoss(style_layers + [content_layer])
    vgg_content = VGGLoss([content_layer], vgg.features)  # the same modules, cut at the content layer
    crops = torch.rand(batch, 3, size, size) * 255
    style = (torch.rand(1, 3, size, size) * 255).repeat(batch, 1, 1, 1)
    with torch.no_grad():
        gram_style = [gram_matrix(y) for y in vgg(normalize_batch(style))[:-1]]

    def step():
        n_batch = crops.size(0)
        optimizer.zero_grad()
        x = crops.clone()
        y = transformer(x)
        y = normalize_batch(y)
        x = normalize_batch(x)
        features_y = vgg(y)
        with torch.no_grad():  # nothing of x's needs a gradient: autograd records none in neural_style.py either
            features_x = vgg_content(x)
        content_loss = content_weight * mse_loss(features_y[-1], features_x[0])
        style_loss = 0.
        for ft_y, gm_s in zip(features_y[:-1], gram_style):
            gm_y = gram_matrix(ft_y)
            style_loss += mse_loss(gm_y, gm_s[:n_batch, :, :])
        style_loss *= style_weight
        total_loss = content_loss + style_loss
        total_loss.backward()
        optimizer.step()
        return content_loss.item(), style_loss.item()

    return step, (transformer, vgg)  # vgg holds vgg_content's modules: count them once


def gatys_step(size, content_layer, style_layers):
    """One Adam iteration of style transfer by optimisation: the image is the parameter."""
    vgg = VGGLoss(style_layers + [content_layer])
    content_weight, style_weight = 1.0, 1e6
    content = torch.rand(1, 3, size, size) * 255
    style = torch.rand(1, 3, size, size) * 255
    with torch.no_grad():
        content_target = vgg(normalize_batch(content.clone()))[-1]
        gram_style = [gram_matrix(y) for y in vgg(normalize_batch(style.clone()))[:-1]]
    img = nn.Parameter(content.clone())
    optimizer = torch.optim.Adam([img], lr=1.0)

    def step():
        optimizer.zero_grad()
        feats = vgg(normalize_batch(img.clone()))  # clone: normalize_batch divides in place
        loss = content_weight * F.mse_loss(feats[-1], content_target)
        for ft, gm in zip(feats[:-1], gram_style):
            loss = loss + style_weight * F.mse_loss(gram_matrix(ft), gm)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step, (vgg,)


def layer_list(s):
    return [name.strip() for name in s.split(",") if name.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--cases", default="dcgan,transformer",
                    help="comma-separated: dcgan, cgan, infogan, wgan, transformer, style, gatys")
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
    ap.add_argument("--size", type=int, default=256, help="transformer, style, gatys: image side")
    ap.add_argument("--tbatch", type=int, default=1, help="TransformerNet batch size")
    ap.add_argument("--c1", type=int, default=32)
    ap.add_argument("--c2", type=int, default=64)
    ap.add_argument("--c3", type=int, default=128)
    ap.add_argument("--blocks", type=int, default=5)
    ap.add_argument("--style-batch", type=int, default=4, help="style: crops per step")
    ap.add_argument("--content-layer", default="",
                    help="style, gatys: the content loss's layer (default: relu2_2 for style, relu4_2 for gatys)")
    ap.add_argument("--style-layers", default="",
                    help="style, gatys: the style loss's layers, comma-separated (default: relu1_2,relu2_2,relu3_3,relu4_3 "
                         "for style, relu1_1,relu2_1,relu3_1,relu4_1,relu4_3 for gatys)")
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
        elif c == "style":
            step, models = style_step(args.style_batch, args.size, args.c1, args.c2, args.c3, args.blocks,
                                      args.content_layer or "relu2_2",
                                      layer_list(args.style_layers or "relu1_2,relu2_2,relu3_3,relu4_3"))
            name = f"train-style-{args.size}"
        elif c == "gatys":
            step, models = gatys_step(args.size, args.content_layer or "relu4_2",
                                      layer_list(args.style_layers or "relu1_1,relu2_1,relu3_1,relu4_1,relu4_3"))
            name = f"gatys-{args.size}"
        else:
            sys.exit(f"unknown case {c!r}: want dcgan, cgan, infogan, wgan, transformer, style or gatys")
        bench(args.label or name, step, models, args.repeats, args.warmup)


if __name__ == "__main__":
    main()
