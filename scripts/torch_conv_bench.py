#!/usr/bin/python3
"""PyTorch CPU conv2d on the shapes of BenchmarkConv2D (gpu/conv_bench_test.go).

Prints one line per shape: "torch <shape> <median GFLOP/s> <best GFLOP/s> <threads>".
Reflect padding is part of the timed op, as it is in Easel's kernels
(nn.Conv2d(padding_mode='reflect')). Run by scripts/bench-conv.sh; needs Debian's
python3-torch (run /usr/bin/python3, not a virtualenv without torch).
"""
import argparse
import statistics
import time

import torch

# name, input NCHW, weight (Co, Ci, kH, kW), stride, padding: keep in step with
# convBenchShapes in gpu/conv_bench_test.go.
SHAPES = [
    ("3x3_128-128_64x64", (1, 128, 64, 64), (128, 128, 3, 3), 1, 1),
    ("9x9_3-32_256x256", (1, 3, 256, 256), (32, 3, 9, 9), 1, 4),
    ("3x3s2_64-128_128x128", (1, 64, 128, 128), (128, 64, 3, 3), 2, 1),
    ("9x9_32-3_256x256", (1, 32, 256, 256), (3, 32, 9, 9), 1, 4),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name, xs, ws, stride, pad in SHAPES:
        conv = torch.nn.Conv2d(ws[1], ws[0], ws[2:], stride=stride, padding=pad, padding_mode="reflect")
        x = torch.randn(*xs)
        with torch.no_grad():
            y = conv(x)
            for _ in range(3):  # warm up: oneDNN picks and caches its kernel
                conv(x)
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                conv(x)
                times.append(time.perf_counter() - t0)
        n, co, oh, ow = y.shape
        gflop = 2 * n * co * oh * ow * ws[1] * ws[2] * ws[3] / 1e9
        print(f"torch {name} {gflop / statistics.median(times):.2f} {gflop / min(times):.2f} {torch.get_num_threads()}")


if __name__ == "__main__":
    main()
