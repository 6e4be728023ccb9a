#!/usr/bin/python3
"""PyTorch CPU forward passes of the networks `easel bench` times, for scripts/bench-stylize.sh.

Prints one line per case: "torch <case> <median ms> <best ms> <GFLOP> <threads>".
Cases: stylize-<N>: pytorch/examples fast_neural_style TransformerNet (standard widths) on a
1x3xNxN image in 0..255; sample-<B>: pytorch/examples dcgan Generator (--nz, --ngf, --nc:
pass those of the model Easel times) on a batch of B latent vectors. The architectures are those of
models/testdata/make_golden.py (copied from pytorch/examples). Models run in eval mode
under torch.no_grad(); each case is warmed up, then timed per call, and the median reported.
GFLOP counts 2·multiply-adds of the convolutions, as `easel bench` does.

Needs Debian's python3-torch: run /usr/bin/python3, not a virtualenv without torch.
"""
import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "models", "testdata"))
from make_golden import Generator, TransformerNet  # noqa: E402


def conv_flops(model, x):
    """2·multiply-adds of every Conv2d and ConvTranspose2d in model on input x."""
    total = [0]

    def conv(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1]
        if isinstance(mod, torch.nn.ConvTranspose2d):
            n, ci, h, w = inp[0].shape
            total[0] += 2 * n * ci * h * w * mod.out_channels * k
        else:
            n, co, h, w = out.shape
            total[0] += 2 * n * co * h * w * mod.in_channels * k

    hooks = [m.register_forward_hook(conv) for m in model.modules()
             if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return total[0]


def bench(name, model, x, repeats, warmup):
    model.eval()
    gflop = conv_flops(model, x) / 1e9
    times = []
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    print(f"torch {name} {statistics.median(times) * 1e3:.2f} {min(times) * 1e3:.2f} {gflop:.3f} {torch.get_num_threads()}",
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--sizes", default="256,512", help="stylize image sides, comma-separated")
    ap.add_argument("--sample", type=int, default=0, help="also time the DCGAN generator on a batch of this size")
    ap.add_argument("--nz", type=int, default=100)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--nc", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = TransformerNet()
    for s in (int(v) for v in args.sizes.split(",") if v):
        bench(f"stylize-{s}", net, torch.rand(1, 3, s, s) * 255, args.repeats, args.warmup)
    if args.sample > 0:
        bench(f"sample-{args.sample}", Generator(args.nz, args.ngf, args.nc), torch.randn(args.sample, args.nz, 1, 1),
              args.repeats, args.warmup)


if __name__ == "__main__":
    main()
