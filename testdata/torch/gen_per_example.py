#!/usr/bin/python3
"""Generate per-example gradients of a small MLP (testdata/torch/per_example.json).

Run from the module root with the system Python that has PyTorch 1.13:

    /usr/bin/python3 testdata/torch/gen_per_example.py

The MLP is 4 -> 5 (tanh) -> 3, logits = tanh(x @ W1 + b1) @ W2 + b2, and
the loss of one example is the softmax cross-entropy of its logits at its
label. For each of 6 examples the file records the gradient of that
example's loss with respect to W1, b1, W2, b2 (in that order, each
flattened row-major and concatenated), computed by a loop of
torch.autograd.grad, one example at a time, in float64. ad/vmap_test.go
checks ad.Vmap(ad.Grads(...)) against it without needing PyTorch.

The output is deterministic: the data come from one seeded torch.Generator
and floats are written with repr (json's default), which round-trips
float64 exactly.
"""

import json
import os

import torch
import torch.nn.functional as F

DT = torch.float64
GEN = torch.Generator().manual_seed(20261202)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "per_example.json")
B, D, H, C = 6, 4, 5, 3


def randn(*shape):
    return torch.randn(*shape, generator=GEN, dtype=DT)


def flat(t):
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


x = randn(B, D)
labels = torch.randint(0, C, (B,), generator=GEN)
W1, b1 = randn(D, H) * 0.5, randn(H) * 0.1
W2, b2 = randn(H, C) * 0.5, randn(C) * 0.1
params = [W1, b1, W2, b2]

grads = []
losses = []
for i in range(B):
    ps = [p.clone().requires_grad_(True) for p in params]
    logits = torch.tanh(x[i : i + 1] @ ps[0] + ps[1]) @ ps[2] + ps[3]
    loss = F.cross_entropy(logits, labels[i : i + 1])
    gs = torch.autograd.grad(loss, ps)
    grads.append(torch.cat([g.reshape(-1) for g in gs]))
    losses.append(float(loss))

out = {
    "generator": "testdata/torch/gen_per_example.py",
    "torch_version": torch.__version__,
    "dtype": "float64",
    "x": flat(x),
    "labels": [int(v) for v in labels.tolist()],
    "params": [flat(p) for p in params],
    "losses": losses,
    "grads": flat(torch.stack(grads)),
}
with open(OUT, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print("wrote", OUT)
