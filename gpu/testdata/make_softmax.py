#!/usr/bin/env python3
"""Golden softmax tensors from real PyTorch for gpu's softmax parity test (softmax_test.go).

For each case below, y = F.softmax(x.reshape(N, -1), dim=1).reshape(x.shape) in float32
(a softmax over each sample's whole feature map), and dx = the gradient of (dy * y).sum()
with respect to x, by autograd. Writes under this folder, float32:

  softmax_<case>_x.npy    the input
  softmax_<case>_dy.npy   the upstream gradient
  softmax_<case>_y.npy    the output
  softmax_<case>_dx.npy   the gradient with respect to x

Run with Debian's python3-torch (1.13): /usr/bin/python3 gpu/testdata/make_softmax.py
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

# name, shape, scale of the normal input, whether some inputs are set to ±80
CASES = [
    ("normal", [2, 3, 7, 11], 3.0, False),
    ("large", [3, 2, 5, 3], 30.0, True),
]


def save(name, t):
    np.save(os.path.join(HERE, name), np.ascontiguousarray(t.detach().numpy(), dtype=np.float32))


def main():
    torch.manual_seed(20261130)
    for name, shape, scale, extreme in CASES:
        x = torch.randn(shape, dtype=torch.float32) * scale
        if extreme:
            flat = x.view(shape[0], -1)
            flat[:, 0] = 80.0
            flat[:, 1] = -80.0
            flat[1, 2] = 80.0  # a tie with the maximum
        x.requires_grad_(True)
        dy = torch.randn(shape, dtype=torch.float32)
        y = F.softmax(x.reshape(shape[0], -1), dim=1).reshape(shape)
        (dy * y).sum().backward()
        save(f"softmax_{name}_x.npy", x)
        save(f"softmax_{name}_dy.npy", dy)
        save(f"softmax_{name}_y.npy", y)
        save(f"softmax_{name}_dx.npy", x.grad)


if __name__ == "__main__":
    main()
