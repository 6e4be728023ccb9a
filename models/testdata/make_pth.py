#!/usr/bin/python3
"""Writes the PyTorch fixtures for models/torch_test.go.

Run from anywhere with Debian's python3-torch:  /usr/bin/python3 models/testdata/make_pth.py

Outputs (next to this script, in pth/):
  statedict.pth         torch.save(module.state_dict()), default pickle protocol 2
  statedict_proto4.pth  the same state_dict saved with pickle_protocol=4 (FRAME, MEMOIZE opcodes)
  legacy.pth            the same state_dict in the legacy (pre-1.6, non-zip) format
  legacy_proto4.pth     the legacy format with pickle_protocol=4
  statedict.json        expected values: key order, shape, storage type and the values of every
                        tensor in contiguous row-major order, so the Go tests need no Python

The state_dict covers what ReadStateDict must get right: odd shapes, a transposed
(non-contiguous) parameter, views with a storage offset sharing one storage, a strided
slice, an expanded tensor (stride 0), a 0-dim tensor, HalfStorage, DoubleStorage
(transposed) and BatchNorm's LongStorage num_batches_tracked.
"""
import json
import os

import torch
import torch.nn as nn


class Fixture(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 2, 3)
        self.norm = nn.BatchNorm2d(2)
        self.fc = nn.Linear(5, 7)
        # A [7,5] parameter with strides (1,7): the transpose of a contiguous [5,7].
        self.fc.weight = nn.Parameter(torch.randn(5, 7).t())
        base = torch.randn(40)
        self.register_buffer("offset_view", base[3:15].view(3, 4))
        self.register_buffer("strided", base[20:40].view(4, 5)[:, ::2])
        self.register_buffer("expanded", torch.randn(3, 1).expand(3, 4))
        self.register_buffer("scalar", torch.tensor(2.5))
        self.register_buffer("half_buf", torch.randn(2, 3).half())
        self.register_buffer("double_buf", torch.randn(3, 2, dtype=torch.float64).t())
        with torch.no_grad():
            self.norm.running_mean.copy_(torch.randn(2))
            self.norm.running_var.copy_(torch.rand(2) + 0.5)
            self.norm.weight.copy_(torch.randn(2))
            self.norm.bias.copy_(torch.randn(2))
            self.norm.num_batches_tracked.fill_(7)


def storage_name(t):
    return {
        torch.float32: "FloatStorage",
        torch.float16: "HalfStorage",
        torch.float64: "DoubleStorage",
        torch.int64: "LongStorage",
    }[t.dtype]


def main():
    torch.manual_seed(0)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pth")
    os.makedirs(out, exist_ok=True)
    sd = Fixture().state_dict()

    assert not sd["fc.weight"].is_contiguous()
    assert sd["offset_view"].storage_offset() == 3
    assert sd["strided"].stride() == (5, 2)
    assert sd["expanded"].stride() == (1, 0)
    assert not sd["double_buf"].is_contiguous()

    torch.save(sd, os.path.join(out, "statedict.pth"))
    torch.save(sd, os.path.join(out, "statedict_proto4.pth"), pickle_protocol=4)
    torch.save(sd, os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save(sd, os.path.join(out, "legacy_proto4.pth"), _use_new_zipfile_serialization=False, pickle_protocol=4)

    expected = {"torch": torch.__version__, "keys": list(sd.keys()), "tensors": {}}
    for name, t in sd.items():
        expected["tensors"][name] = {
            "shape": list(t.shape),
            "storage": storage_name(t),
            "values": [float(v) for v in t.contiguous().flatten().tolist()],
        }
    with open(os.path.join(out, "statedict.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")

    # Prove the fixture loads back in PyTorch exactly as written.
    for file in ("statedict.pth", "statedict_proto4.pth", "legacy.pth", "legacy_proto4.pth"):
        back = torch.load(os.path.join(out, file))
        for name, t in sd.items():
            assert torch.equal(back[name], t), (file, name)


if __name__ == "__main__":
    main()
