#!/usr/bin/env python3
"""Golden optimizer steps from real PyTorch for optim's fixture test (fixture_test.go).

Runs 5 steps of each torch.optim configuration below (single-tensor path, foreach=False)
on parameter tensors of odd shapes, with fixed seeded gradients per step (the same for
every configuration), and writes under this folder:

  params0.npy        float32 [L]           the initial parameters, all tensors flattened
                                           and concatenated in the order of meta.json's shapes
  grads.npy          float32 [steps, L]    the gradient of each step
  <name>.npy         float32 [steps, L]    the parameters after each step
  <name>_state.npy   float32 [k, L]        the state after the last step, in the order of
                                           the configuration's "state" names
  meta.json          shapes, steps, and per configuration: kind, hyperparameters, the
                     learning rate of each step (some follow a schedule) and state names

Run with Debian's python3-torch (1.13): /usr/bin/python3 optim/testdata/make_fixtures.py
"""
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 5
SHAPES = [[37], [5, 7], [3, 11, 13], [1]]
GRAD_SCALES = [1.0, 0.01, 10.0, 0.1]  # gradients of several magnitudes

# name, kind, torch class, constructor kwargs, learning rate per step (None: constant)
CONFIGS = [
    ("adam", "Adam", torch.optim.Adam, dict(lr=1e-2), None),
    ("adam_wd", "Adam", torch.optim.Adam, dict(lr=1e-2, weight_decay=0.01), None),
    ("adamw", "AdamW", torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.01), None),
    ("adamw_schedule", "AdamW", torch.optim.AdamW, dict(lr=2e-2, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.1),
     [2e-2, 1.5e-2, 1e-2, 5e-3, 1e-3]),
    ("sgd", "SGD", torch.optim.SGD, dict(lr=0.1), None),
    ("sgd_momentum", "SGD", torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=1e-4), None),
    ("sgd_dampening", "SGD", torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=1e-4), None),
    ("sgd_nesterov", "SGD", torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4),
     [0.1, 0.1, 0.05, 0.05, 0.01]),
    ("rmsprop", "RMSprop", torch.optim.RMSprop, dict(lr=1e-2, alpha=0.99), None),
    ("rmsprop_momentum", "RMSprop", torch.optim.RMSprop, dict(lr=1e-2, alpha=0.99, momentum=0.9, weight_decay=1e-4), None),
    ("rmsprop_wgan", "RMSprop", torch.optim.RMSprop, dict(lr=5e-5), None),
    ("rmsprop_centered", "RMSprop", torch.optim.RMSprop, dict(lr=1e-2, alpha=0.9, momentum=0.5, centered=True), None),
]

STATE_NAMES = {
    "Adam": ["exp_avg", "exp_avg_sq"],
    "AdamW": ["exp_avg", "exp_avg_sq"],
    "SGD": ["momentum_buffer"],
    "RMSprop": ["square_avg", "momentum_buffer", "grad_avg"],
}


def flat(tensors):
    return torch.cat([t.detach().reshape(-1) for t in tensors]).numpy().astype(np.float32)


def save(name, array):
    np.save(os.path.join(HERE, name), np.ascontiguousarray(array, dtype=np.float32))


def main():
    torch.manual_seed(20240611)
    params0 = [torch.randn(s, dtype=torch.float32) for s in SHAPES]
    grads = [[torch.randn(s, dtype=torch.float32) * sc for s, sc in zip(SHAPES, GRAD_SCALES)] for _ in range(STEPS)]
    save("params0.npy", flat(params0))
    save("grads.npy", np.stack([flat(g) for g in grads]))

    meta = {"torch": torch.__version__, "shapes": SHAPES, "steps": STEPS, "configs": []}
    for name, kind, cls, kwargs, lrs in CONFIGS:
        params = [p.clone().requires_grad_(True) for p in params0]
        opt = cls(params, foreach=False, **kwargs)
        lrs = lrs or [kwargs["lr"]] * STEPS
        after = []
        for step in range(STEPS):
            for group in opt.param_groups:
                group["lr"] = lrs[step]
            for p, g in zip(params, grads[step]):
                p.grad = g.clone()
            opt.step()
            after.append(flat(params))
        save(name + ".npy", np.stack(after))
        names = [n for n in STATE_NAMES[kind] if opt.state[params[0]].get(n) is not None]
        state = [flat([opt.state[p][n] for p in params]) for n in names]
        if state:
            save(name + "_state.npy", np.stack(state))
        hyper = {k: v for k, v in opt.defaults.items() if isinstance(v, (int, float, bool, tuple))}
        meta["configs"].append({"name": name, "kind": kind, "hyper": hyper, "lr": lrs, "state": names})
    with open(os.path.join(HERE, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
