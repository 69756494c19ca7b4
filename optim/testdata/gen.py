#!/usr/bin/env python3
"""Generates optim/testdata/torch_ref.json: 20-step trajectories of
torch.optim optimizers (PyTorch 1.13), with learning-rate schedules and
gradient clipping, on a small 2-layer tanh MLP with a mean-squared-error loss.

    /usr/bin/python3 optim/testdata/gen.py   # from the repository root

Model: pred = tanh(x @ w1 + b1) @ w2 + b2, loss = mean((pred - y)**2), with
x (8,3), y (8,2), w1 (3,4), b1 (4), w2 (4,2), b2 (2). Every case starts from
the same initial parameters (float64 values; the float32 cases round them).
At each step the gradient is computed by torch autograd, optionally clipped by
clip_grad_norm_, the optimizer steps, then the scheduler steps. The file
records, per step, the loss, the learning rate used, the total gradient norm
(clipped cases) and all parameters after the step. The Go test recomputes the
gradients with chainrule's ad, so it checks the optimizer and the gradients
together.
"""
import json
import os

import torch

torch.manual_seed(13)
NAMES = ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
SHAPES = [(3, 4), (4,), (4, 2), (2,)]
init = [torch.randn(*s, dtype=torch.float64) * 0.7 for s in SHAPES]
x = torch.randn(8, 3, dtype=torch.float64)
y = torch.randn(8, 2, dtype=torch.float64)


def loss_fn(ps, x, y):
    w1, b1, w2, b2 = ps
    return ((torch.tanh(x @ w1 + b1) @ w2 + b2 - y) ** 2).mean()


def make_sched(opt, spec):
    if spec is None:
        return None
    k = spec["kind"]
    S = torch.optim.lr_scheduler
    if k == "step":
        return S.StepLR(opt, step_size=spec["step_size"], gamma=spec["gamma"])
    if k == "cosine":
        return S.CosineAnnealingLR(opt, T_max=spec["t_max"], eta_min=spec["eta_min"])
    if k == "linear":
        return S.LinearLR(opt, start_factor=spec["start_factor"], end_factor=spec["end_factor"],
                          total_iters=spec["total_iters"])
    if k == "warmup_cosine":
        w = S.LinearLR(opt, start_factor=spec["start_factor"], end_factor=1.0, total_iters=spec["warmup"])
        c = S.CosineAnnealingLR(opt, T_max=spec["t_max"], eta_min=spec["eta_min"])
        return S.SequentialLR(opt, [w, c], milestones=[spec["warmup"]])
    raise ValueError(k)


def make_opt(ps, kind, hp):
    O = torch.optim
    hp = dict(hp)
    if "betas" in hp:
        hp["betas"] = tuple(hp["betas"])
    return {"sgd": O.SGD, "adam": O.Adam, "adamw": O.AdamW, "rmsprop": O.RMSprop}[kind](ps, **hp)


CASES = [
    ("sgd", "sgd", {"lr": 0.1}, None, None),
    ("sgd_momentum_step", "sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01},
     {"kind": "step", "step_size": 5, "gamma": 0.5}, None),
    ("sgd_nesterov_clip", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.001},
     None, {"max_norm": 0.5, "norm_type": 2.0}),
    ("adam", "adam", {"lr": 0.01}, None, None),
    ("adam_amsgrad_warmup_cosine", "adam",
     {"lr": 0.02, "betas": [0.8, 0.95], "eps": 1e-6, "weight_decay": 0.01, "amsgrad": True},
     {"kind": "warmup_cosine", "start_factor": 0.25, "warmup": 4, "t_max": 16, "eta_min": 1e-4}, None),
    ("adamw_clip", "adamw", {"lr": 0.01, "weight_decay": 0.1}, None, {"max_norm": 0.5, "norm_type": 2.0}),
    ("adamw_amsgrad_cosine_clipinf", "adamw", {"lr": 0.01, "amsgrad": True},
     {"kind": "cosine", "t_max": 8, "eta_min": 0.001}, {"max_norm": 0.2, "norm_type": float("inf")}),
    ("rmsprop", "rmsprop", {"lr": 0.01}, None, None),
    ("rmsprop_centered_momentum_linear_clip3", "rmsprop",
     {"lr": 0.005, "alpha": 0.9, "eps": 1e-6, "momentum": 0.5, "centered": True, "weight_decay": 0.01},
     {"kind": "linear", "start_factor": 0.5, "end_factor": 1.0, "total_iters": 10},
     {"max_norm": 0.3, "norm_type": 3.0}),
]


def run(name, kind, hp, sched_spec, clip, dtype):
    ps = [t.clone().to(dtype).requires_grad_(True) for t in init]
    xx, yy = x.to(dtype), y.to(dtype)
    opt = make_opt(ps, kind, hp)
    sched = make_sched(opt, sched_spec)
    losses, lrs, norms, traj = [], [], [], []
    for _ in range(20):
        opt.zero_grad()
        loss = loss_fn(ps, xx, yy)
        loss.backward()
        losses.append(loss.item())
        if clip is not None:
            n = torch.nn.utils.clip_grad_norm_(ps, clip["max_norm"], norm_type=clip["norm_type"])
            norms.append(n.item())
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
        traj.append([v for p in ps for v in p.detach().reshape(-1).tolist()])
    return {"name": name, "optimizer": kind, "dtype": str(dtype).replace("torch.", ""),
            "hparams": hp, "schedule": sched_spec,
            "clip": None if clip is None else {"max_norm": clip["max_norm"],
                                               "norm_type": "inf" if clip["norm_type"] == float("inf") else clip["norm_type"]},
            "losses": losses, "lrs": lrs, "norms": norms, "params": traj}


def main():
    out = {
        "torch_version": torch.__version__,
        "names": NAMES,
        "shapes": [list(s) for s in SHAPES],
        "init": [t.reshape(-1).tolist() for t in init],
        "x": x.reshape(-1).tolist(), "y": y.reshape(-1).tolist(),
        "defaults": {k: {n: v for n, v in make_opt([torch.zeros(1, requires_grad=True)], k, {"lr": 0.1} if k == "sgd" else {}).defaults.items()
                         if isinstance(v, (int, float, list, tuple)) and not isinstance(v, bool) or n in ("nesterov", "amsgrad", "centered", "maximize")}
                     for k in ("sgd", "adam", "adamw", "rmsprop")},
        "cases": [run(*c, dt) for dt in (torch.float64, torch.float32) for c in CASES],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_ref.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
