#!/usr/bin/python3
"""Exports TransformerNet to ONNX for the onnxruntime-web peer of the browser benchmark.

Run by bench_test.go (bench/browser) at bench time, with Debian's python3-torch 1.13
(/usr/bin/python3; torch.onnx.export needs no `onnx` package):

  /usr/bin/python3 bench/browser/export_onnx.py --weights DIR --out DIR --sizes 128 256

The network is pytorch/examples' TransformerNet as models/testdata/make_golden.py copies it
(standard widths 32/64/128, 5 residual blocks), with the weights bench_test.go wrote:
DIR/weights.json lists every state_dict tensor's name, shape and offset (in float32
values) into DIR/weights.bin, little-endian float32, the same random PyTorch-like weights
Easel's page builds, so that every engine computes the same function. One file per input
size, transformer_<size>.onnx, input [1,3,size,size] named "input", output "output", with
static shapes (the runtime may specialise for them). Each is about 6.8 MB, hence made at
bench time rather than committed.
"""
import argparse
import importlib.util
import json
import os
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "..", "models", "testdata", "make_golden.py")


def reference():
    spec = importlib.util.spec_from_file_location("make_golden", GOLDEN)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def load_weights(model, wdir):
    with open(os.path.join(wdir, "weights.json")) as f:
        manifest = json.load(f)
    data = np.fromfile(os.path.join(wdir, "weights.bin"), dtype="<f4")
    state = {}
    for t in manifest["tensors"]:
        n = int(np.prod(t["shape"]))
        state[t["name"]] = torch.from_numpy(data[t["offset"]:t["offset"] + n].reshape(t["shape"]).copy())
    model.load_state_dict(state, strict=True)  # every name and shape must match


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", required=True, help="directory of weights.json and weights.bin")
    ap.add_argument("--out", required=True)
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    args = ap.parse_args()
    model = reference().TransformerNet().eval()
    load_weights(model, args.weights)
    # The exporter's warnings (instance norm exported in training mode, which is what an
    # InstanceNorm2d without running stats computes anyway; unfolded pad-list slices,
    # which ORT folds when it loads the model) say nothing about the result.
    warnings.simplefilter("ignore")
    for s in args.sizes:
        path = os.path.join(args.out, "transformer_%d.onnx" % s)
        with torch.no_grad():
            torch.onnx.export(model, torch.zeros(1, 3, s, s), path, opset_version=17,
                              input_names=["input"], output_names=["output"])
        print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    main()
