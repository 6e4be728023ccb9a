#!/usr/bin/python3
"""Writes the PyTorch golden fixtures for models/parity_test.go.

Run from anywhere with Debian's python3-torch:  /usr/bin/python3 models/testdata/make_golden.py

The architectures below are copied from pytorch/examples (fast_neural_style/neural_style/
transformer_net.py and dcgan/main.py). The one change: TransformerNet takes its widths and
number of residual blocks as arguments (Easel's "transformer-net-light"); the defaults
(32, 64, 128) and 5 blocks build the original network with the original state_dict names.

Widths are small so that the fixtures stay tiny. Weights are PyTorch's default
initialisation with a fixed seed; BatchNorm running statistics are accumulated from a few
training-mode batches (so that eval-mode activations keep a sensible scale) and then
perturbed, and every norm layer's affine parameters are moved away from 1 and 0, so that the
Go side cannot pass by ignoring them.

Outputs (next to this script, in golden/):
  transformer_light.pth   torch.save(state_dict()) of TransformerNet(8, 16, 32, blocks=2),
                          with the deprecated inN.running_mean/running_var keys that the
                          published fast_neural_style checkpoints carry (neural_style.py
                          deletes them before load_state_dict; ImportStateDict ignores them)
  transformer_in_{1x3x37x53,2x3x20x31,1x3x32x48}.npy   inputs, RGB in 0..255
  transformer_out_*.npy                      TransformerNet outputs
  dcgan_g.pth, dcgan_g_z.npy, dcgan_g_out.npy  Generator(nz=16, ngf=8, nc=3), z [3,16,1,1]
  dcgan_d.pth, dcgan_d_in.npy, dcgan_d_out.npy Discriminator(ndf=8, nc=3), input [2,3,64,64]
                                               in -1..1, output [2]
All .npy files are float32, C order.
"""
import os
import re

import numpy as np
import torch
import torch.nn as nn


# --- fast_neural_style/neural_style/transformer_net.py -------------------------------------

class TransformerNet(torch.nn.Module):
    def __init__(self, c1=32, c2=64, c3=128, blocks=5):
        super(TransformerNet, self).__init__()
        # Initial convolution layers
        self.conv1 = ConvLayer(3, c1, kernel_size=9, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(c1, affine=True)
        self.conv2 = ConvLayer(c1, c2, kernel_size=3, stride=2)
        self.in2 = torch.nn.InstanceNorm2d(c2, affine=True)
        self.conv3 = ConvLayer(c2, c3, kernel_size=3, stride=2)
        self.in3 = torch.nn.InstanceNorm2d(c3, affine=True)
        # Residual layers
        self.blocks = blocks
        for i in range(1, blocks + 1):
            setattr(self, "res%d" % i, ResidualBlock(c3))
        # Upsampling Layers
        self.deconv1 = UpsampleConvLayer(c3, c2, kernel_size=3, stride=1, upsample=2)
        self.in4 = torch.nn.InstanceNorm2d(c2, affine=True)
        self.deconv2 = UpsampleConvLayer(c2, c1, kernel_size=3, stride=1, upsample=2)
        self.in5 = torch.nn.InstanceNorm2d(c1, affine=True)
        self.deconv3 = ConvLayer(c1, 3, kernel_size=9, stride=1)
        # Non-linearities
        self.relu = torch.nn.ReLU()

    def forward(self, X):
        y = self.relu(self.in1(self.conv1(X)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.conv3(y)))
        for i in range(1, self.blocks + 1):
            y = getattr(self, "res%d" % i)(y)
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.relu(self.in5(self.deconv2(y)))
        y = self.deconv3(y)
        return y


class ConvLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super(ConvLayer, self).__init__()
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        out = self.reflection_pad(x)
        out = self.conv2d(out)
        return out


class ResidualBlock(torch.nn.Module):
    def __init__(self, channels):
        super(ResidualBlock, self).__init__()
        self.conv1 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, kernel_size=3, stride=1)
        self.in2 = torch.nn.InstanceNorm2d(channels, affine=True)
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        residual = x
        out = self.relu(self.in1(self.conv1(x)))
        out = self.in2(self.conv2(out))
        out = out + residual
        return out


class UpsampleConvLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
        super(UpsampleConvLayer, self).__init__()
        self.upsample = upsample
        if upsample:
            self.upsample_layer = torch.nn.Upsample(mode='nearest', scale_factor=upsample)
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        x_in = x
        if self.upsample:
            x_in = self.upsample_layer(x_in)
        out = self.reflection_pad(x_in)
        out = self.conv2d(out)
        return out


# --- dcgan/main.py --------------------------------------------------------------------------

class Generator(nn.Module):
    def __init__(self, nz, ngf, nc):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            # input is Z, going into a convolution
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            # state size. (ngf*8) x 4 x 4
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            # state size. (ngf*4) x 8 x 8
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # state size. (ngf*2) x 16 x 16
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # state size. (ngf) x 32 x 32
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh()
            # state size. (nc) x 64 x 64
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self, ndf, nc):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            # input is (nc) x 64 x 64
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf) x 32 x 32
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*2) x 16 x 16
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*4) x 8 x 8
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            # state size. (ndf*8) x 4 x 4
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )

    def forward(self, input):
        output = self.main(input)
        return output.view(-1, 1).squeeze(1)


# --- fixtures -------------------------------------------------------------------------------

def perturb_affine(model):
    """Moves every norm layer's weight and bias away from PyTorch's 1 and 0."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.InstanceNorm2d, nn.BatchNorm2d)):
                m.weight.copy_(1 + 0.3 * torch.randn_like(m.weight))
                m.bias.copy_(0.2 * torch.randn_like(m.bias))


def calibrate_batchnorm(model, batches):
    """Sets BatchNorm running statistics to the cumulative statistics of some training-mode
    passes, then perturbs them, so that eval mode normalises to about unit scale yet every
    channel's statistics differ from what a batch would give."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    model.train()
    with torch.no_grad():
        for x in batches:
            model(x)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.add_(0.1 * torch.randn_like(m.running_mean))
                m.running_var.mul_(torch.empty_like(m.running_var).uniform_(0.7, 1.4))
                m.momentum = 0.1
    model.eval()


def save_npy(out, name, t):
    a = np.ascontiguousarray(t.detach().numpy().astype(np.float32))
    np.save(os.path.join(out, name), a)
    return a


def describe(name, a):
    print("%-34s %-16s min %9.4f  max %9.4f  max|.| %9.4f" % (name, list(a.shape), a.min(), a.max(), np.abs(a).max()))


def transformer(out):
    net = TransformerNet(8, 16, 32, blocks=2)
    perturb_affine(net)
    net.eval()
    sd = net.state_dict()
    # The published fast_neural_style checkpoints were saved when InstanceNorm2d kept
    # running statistics; neural_style.py deletes these keys before load_state_dict.
    for name, t in list(sd.items()):
        if name.endswith(".weight") and re.search(r"(^|\.)in\d+\.weight$", name):
            prefix = name[: -len("weight")]
            sd[prefix + "running_mean"] = 0.1 * torch.randn_like(t)
            sd[prefix + "running_var"] = 1 + 0.1 * torch.rand_like(t)
    path = os.path.join(out, "transformer_light.pth")
    torch.save(sd, path)
    back = torch.load(path)
    for k in list(back.keys()):
        if re.search(r"in\d+\.running_(mean|var)$", k):
            del back[k]
    check = TransformerNet(8, 16, 32, blocks=2)
    check.load_state_dict(back)
    check.eval()

    for n, h, w in [(1, 37, 53), (2, 20, 31)]:
        tag = "%dx3x%dx%d" % (n, h, w)
        x = torch.rand(n, 3, h, w) * 255
        with torch.no_grad():
            y = net(x)
            assert torch.equal(check(x), y)
        describe("transformer_in_%s" % tag, save_npy(out, "transformer_in_%s.npy" % tag, x))
        describe("transformer_out_%s" % tag, save_npy(out, "transformer_out_%s.npy" % tag, y))
    # A size whose widths are multiples of 4 at every layer, so that Easel runs its tuned
    # kernels (the sizes above take the generic ones). Drawn from a generator of its own:
    # the global stream, and so every fixture above and below, stays as it was.
    x = torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(2)) * 255
    with torch.no_grad():
        y = net(x)
    describe("transformer_in_1x3x32x48", save_npy(out, "transformer_in_1x3x32x48.npy", x))
    describe("transformer_out_1x3x32x48", save_npy(out, "transformer_out_1x3x32x48.npy", y))


def dcgan(out):
    nz, ngf, ndf, nc = 16, 8, 8, 3
    g = Generator(nz, ngf, nc)
    perturb_affine(g)
    calibrate_batchnorm(g, [torch.randn(32, nz, 1, 1) for _ in range(4)])
    torch.save(g.state_dict(), os.path.join(out, "dcgan_g.pth"))
    z = torch.randn(3, nz, 1, 1)
    with torch.no_grad():
        y = g(z)
    describe("dcgan_g_z", save_npy(out, "dcgan_g_z.npy", z))
    describe("dcgan_g_out", save_npy(out, "dcgan_g_out.npy", y))

    d = Discriminator(ndf, nc)
    perturb_affine(d)
    calibrate_batchnorm(d, [torch.rand(16, nc, 64, 64) * 2 - 1 for _ in range(4)])
    torch.save(d.state_dict(), os.path.join(out, "dcgan_d.pth"))
    x = torch.rand(2, nc, 64, 64) * 2 - 1
    with torch.no_grad():
        p = d(x)
    assert p.shape == (2,)
    describe("dcgan_d_in", save_npy(out, "dcgan_d_in.npy", x))
    describe("dcgan_d_out", save_npy(out, "dcgan_d_out.npy", p))


def main():
    torch.manual_seed(1)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
    os.makedirs(out, exist_ok=True)
    print("torch", torch.__version__)
    transformer(out)
    dcgan(out)


if __name__ == "__main__":
    main()
