#!/usr/bin/python3
"""PyTorch forward passes of the networks `easel bench` times, for scripts/bench-stylize.sh (CPU)
and scripts/bench-gpu.sh (--device cuda).

Prints one line per case: "torch <case> <median ms> <best ms> <GFLOP> <threads>" (on CUDA the
last field is "cuda"). Cases: stylize-<N>: pytorch/examples fast_neural_style TransformerNet
(standard widths) on a 1x3xNxN image in 0..255; sample-<B>: pytorch/examples dcgan Generator
(--nz, --ngf, --nc: pass those of the model Easel times) on a batch of B latent vectors;
matmul-<N> (--matmul N): an NxN by NxN matrix product, the FP32 throughput PyTorch reaches
on the device. The architectures are those of models/testdata/make_golden.py (copied from
pytorch/examples). Models run in eval mode under torch.no_grad(); each case is warmed up,
then timed per call, and the median reported. GFLOP counts 2·multiply-adds of the
convolutions, as `easel bench` does.

--device cuda runs on the GPU in true FP32, as WGSL computes: TF32 is off for matmuls and
cuDNN convolutions (float32 matmul precision "highest"). cudnn.benchmark is on, so cuDNN
picks its fastest FP32 algorithm per shape during the warm-up runs. Each timed call is
bracketed by torch.cuda.synchronize() and timed with time.perf_counter(): the forward
pass's launches and its GPU work, without a copy of the output to the host (Easel's times
include the readback of the output). Lines starting with "#" describe the device.

On CPU it needs Debian's python3-torch: run /usr/bin/python3, not a virtualenv without torch.
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


def bench(name, model, x, repeats, warmup, cuda=False):
    model.eval()
    gflop = conv_flops(model, x) / 1e9
    timed(name, lambda: model(x), gflop, repeats, warmup, cuda)


def timed(name, fn, gflop, repeats, warmup, cuda):
    """Times fn per call: median and best of repeats after warmup calls, on CUDA each call
    between two synchronizations."""
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    times = []
    with torch.no_grad():
        for _ in range(warmup):
            fn()
        sync()
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            sync()
            times.append(time.perf_counter() - t0)
    where = "cuda" if cuda else torch.get_num_threads()
    print(f"torch {name} {statistics.median(times) * 1e3:.2f} {min(times) * 1e3:.2f} {gflop:.3f} {where}",
          flush=True)


def setup_cuda():
    """True FP32 on the GPU (no TF32), cuDNN autotuning on; prints the device."""
    if not torch.cuda.is_available():
        sys.exit("--device cuda: torch.cuda.is_available() is false (no CUDA build of PyTorch or no GPU)")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    torch.backends.cudnn.benchmark = True
    p = torch.cuda.get_device_properties(0)
    print(f"# device: {p.name}, {p.multi_processor_count} SMs, compute capability {p.major}.{p.minor}, "
          f"{p.total_memory / 2**30:.0f} GiB", flush=True)
    print(f"# software: torch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
          f"TF32 off, cudnn.benchmark on", flush=True)


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
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--matmul", type=int, default=0, help="also time an NxN FP32 matrix product (the device's FP32 rate)")
    args = ap.parse_args()
    cuda = args.device == "cuda"
    if cuda:
        setup_cuda()
    dev = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.matmul > 0:
        n = args.matmul
        a, b = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
        timed(f"matmul-{n}", lambda: a @ b, 2 * n**3 / 1e9, args.repeats, args.warmup, cuda)
        del a, b
    net = TransformerNet().to(dev)
    for s in (int(v) for v in args.sizes.split(",") if v):
        bench(f"stylize-{s}", net, torch.rand(1, 3, s, s, device=dev) * 255, args.repeats, args.warmup, cuda)
    if args.sample > 0:
        bench(f"sample-{args.sample}", Generator(args.nz, args.ngf, args.nc).to(dev),
              torch.randn(args.sample, args.nz, 1, 1, device=dev), args.repeats, args.warmup, cuda)


if __name__ == "__main__":
    main()
