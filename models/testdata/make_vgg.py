#!/usr/bin/python3
"""Writes the VGG fixtures for models/vgg_import_test.go and easel features' CLI test.

Run from anywhere with Debian's python3-torch and python3-torchvision:
    /usr/bin/python3 models/testdata/make_vgg.py

torchvision.models.vgg16 with seeded random weights (torch.manual_seed(0); torchvision's
own initialisation, then every convolution's bias drawn uniform in -0.5..0.5, since the
initialisation's zeros would leave biases untested). The state_dict is trimmed to what the
tests need, the convolutions through relu2_2 (features.0 to features.7) and one classifier
tensor that import must drop, so the fixture stays small; torchvision publishes the whole
network in the same form.

Outputs (next to this script, in vgg/):
  vgg16_relu2_2.pth   the trimmed state_dict in the legacy torch.save format
                      (_use_new_zipfile_serialization=False), like vgg16-397923af.pth
  input.png           a 37×29 RGBA image (alpha varies; VGG takes R, G, B only)
  input.npy           its RGB as float32 [1,3,29,37] in 0..255
  relu1_2.npy, relu2_1.npy, relu2_2.npy
                      torchvision's features at those layers, float32 [1,C,H,W]: the image
                      / 255, normalised with ImageNet's mean and std as torchvision's
                      transforms do, through model.features, computed in float64
"""
import collections
import os

import numpy as np
import torch
import torchvision
from PIL import Image

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
# The ReLU after each convolution: its index in model.features.
LAYERS = {"relu1_2": 3, "relu2_1": 6, "relu2_2": 8}
LAST = 8  # features.0..8 are kept: convolutions 0, 2, 5, 7


def main():
    torch.manual_seed(0)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vgg")
    os.makedirs(out, exist_ok=True)

    model = torchvision.models.vgg16()
    with torch.no_grad():
        for m in model.features:
            if isinstance(m, torch.nn.Conv2d):
                m.bias.uniform_(-0.5, 0.5)
    model.eval()
    full = model.state_dict()
    sd = collections.OrderedDict(
        (k, v) for k, v in full.items() if k.startswith("features.") and int(k.split(".")[1]) <= LAST)
    sd["classifier.6.bias"] = full["classifier.6.bias"]
    assert list(sd) == ["features.0.weight", "features.0.bias", "features.2.weight", "features.2.bias",
                        "features.5.weight", "features.5.bias", "features.7.weight", "features.7.bias",
                        "classifier.6.bias"], list(sd)
    path = os.path.join(out, "vgg16_relu2_2.pth")
    torch.save(sd, path, _use_new_zipfile_serialization=False)
    with open(path, "rb") as f:
        assert not f.read(4).startswith(b"PK"), "not the legacy format"
    back = torch.load(path)
    for k, v in sd.items():
        assert torch.equal(back[k], v), k

    # A 37×29 image: gradients, a pattern and seeded noise; alpha 60..255.
    h, w = 29, 37
    y, x = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(1)
    rgb = np.stack([x * 255 / (w - 1), y * 255 / (h - 1), (x * 7 + y * 13) % 256], axis=-1)
    rgb = np.clip(rgb + rng.normal(0, 24, rgb.shape), 0, 255).round().astype(np.uint8)
    alpha = (60 + (x + y) * 195 // (w + h - 2)).astype(np.uint8)[..., None]
    Image.fromarray(np.concatenate([rgb, alpha], axis=-1), "RGBA").save(os.path.join(out, "input.png"))
    chw = rgb.transpose(2, 0, 1)[None].astype(np.float32)
    np.save(os.path.join(out, "input.npy"), chw)

    model = model.double()
    xs = torch.from_numpy(chw).double() / 255
    xs = torchvision.transforms.functional.normalize(xs, MEAN, STD)
    with torch.no_grad():
        for name, idx in LAYERS.items():
            f = model.features[: idx + 1](xs)
            np.save(os.path.join(out, name + ".npy"), f.numpy().astype(np.float32))
            print(name, tuple(f.shape), "max |f|", float(f.abs().max()))


if __name__ == "__main__":
    main()
