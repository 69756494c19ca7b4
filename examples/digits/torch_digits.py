#!/usr/bin/env python3
"""The digits example in PyTorch, for comparison with chainrule's.

Same data (digits.csv.gz), same split, same initial weights, same data
order and same hyperparameters as `go run ./examples/digits`, all read from
the files that the Go program writes with -export:

    go run ./examples/digits -export /tmp/digits-export
    /usr/bin/python3 examples/digits/torch_digits.py /tmp/digits-export \
        > examples/digits/testdata/torch_curves.json

It prints the curves (training loss, test loss and test accuracy per
epoch) as JSON, which `go run ./examples/digits -compare FILE` draws beside
its own. Written for PyTorch 1.13 and NumPy; it reads safetensors with
NumPy alone (the format is an 8-byte header length, a JSON header, data).
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        dt = {"F32": np.float32, "F64": np.float64}[e["dtype"]]
        b, end = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:end], dtype=dt).reshape(e["shape"]).copy())
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: torch_digits.py EXPORT_DIR")
    exp = sys.argv[1]
    torch.set_num_threads(2)
    with gzip.open(os.path.join(HERE, "digits.csv.gz"), "rt") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = torch.from_numpy(rows[:, :64] / 16).reshape(-1, 1, 8, 8)
    y = torch.from_numpy(rows[:, 64].astype(np.int64))
    with open(os.path.join(exp, "order.json")) as f:
        order = json.load(f)

    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )
    model.load_state_dict(read_safetensors(os.path.join(exp, "init.safetensors")), strict=True)
    opt = torch.optim.Adam(model.parameters(), lr=order["lr"])
    steps = order["steps_per_epoch"]
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=len(order["epochs"]) * steps)
    batch = order["batch"]
    test = torch.tensor(order["test"])
    loss_fn = nn.CrossEntropyLoss()
    curves = {"train_loss": [], "test_loss": [], "test_acc": []}
    for perm in order["epochs"]:
        model.train()
        total = 0.0
        for b in range(steps):
            idx = torch.tensor(perm[b * batch : (b + 1) * batch])
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        model.eval()
        with torch.no_grad():
            logits = model(x[test])
            curves["train_loss"].append(total / steps)
            curves["test_loss"].append(loss_fn(logits, y[test]).item())
            curves["test_acc"].append((logits.argmax(1) == y[test]).float().mean().item())
        print(
            "epoch %2d  train loss %.4f  test loss %.4f  test accuracy %.2f%%"
            % (len(curves["test_acc"]), curves["train_loss"][-1], curves["test_loss"][-1], 100 * curves["test_acc"][-1]),
            file=sys.stderr,
        )
    json.dump(curves, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
