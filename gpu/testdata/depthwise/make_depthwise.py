#!/usr/bin/env python3
"""Golden depthwise convolutions from real PyTorch for gpu's depthwise parity test
(depthwise_parity_test.go).

For each case below: F.conv2d(x, w, b, stride, padding, groups=C) with w [C, 1, kH, kW],
then ReLU6 (F.hardtanh(., 0, 6)), and L = sum(relu6(y) * g) for a fixed random g. Writes
under this folder, per case <name>:

  <name>_x.npy, <name>_w.npy, <name>_b.npy, <name>_g.npy   float32 inputs
  <name>_y.npy                                           float32 the convolution's output
  <name>_dx.npy, <name>_dw.npy, <name>_db.npy            float32 dL/dx, dL/dw, dL/db
  meta.json                                              the cases: shapes, stride, padding

The gradients run through ReLU6, so they also check HardtanhBackward's zero at and beyond
the bounds. Run with Debian's python3-torch: /usr/bin/python3 gpu/testdata/depthwise/make_depthwise.py
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

# name, x shape [N, C, H, W], kernel (kH, kW), stride, padding
CASES = [
    ("s1_p1", [2, 8, 11, 9], (3, 3), 1, 1),
    ("s2_p1", [2, 16, 13, 10], (3, 3), 2, 1),
    ("s2_p0_kw5", [1, 5, 9, 12], (3, 5), 2, 0),
]


def save(name, t):
    np.save(os.path.join(HERE, name + ".npy"), np.ascontiguousarray(t.detach().numpy(), dtype=np.float32))


def main():
    torch.manual_seed(20261130)
    meta = {"torch": torch.__version__, "cases": []}
    for name, xs, (kh, kw), stride, pad in CASES:
        c = xs[1]
        x = (2 * torch.randn(xs)).requires_grad_(True)
        w = torch.randn(c, 1, kh, kw).requires_grad_(True)
        b = torch.randn(c).requires_grad_(True)
        y = F.conv2d(x, w, b, stride=stride, padding=pad, groups=c)
        g = torch.randn(y.shape)
        (F.hardtanh(y, 0.0, 6.0) * g).sum().backward()
        for suffix, t in [("x", x), ("w", w), ("b", b), ("g", g), ("y", y),
                          ("dx", x.grad), ("dw", w.grad), ("db", b.grad)]:
            save(name + "_" + suffix, t)
        meta["cases"].append({"name": name, "x": xs, "w": [c, 1, kh, kw], "y": list(y.shape),
                              "stride": stride, "padding": pad})
    with open(os.path.join(HERE, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
