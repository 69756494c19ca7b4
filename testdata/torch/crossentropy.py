#!/usr/bin/python3
"""Generate PyTorch reference data for SoftmaxCrossEntropy's options
(testdata/torch/crossentropy.json): class weights and label smoothing.

Run from the module root with the system Python that has PyTorch:

    /usr/bin/python3 testdata/torch/crossentropy.py

Each case is F.cross_entropy(logits, labels, weight=w, label_smoothing=eps)
with the mean reduction, in float64: its value and its gradient with
respect to the logits (PyTorch does not differentiate with respect to the
class weights: they are constants). ad/loss_test.go checks
chainrule against the file without PyTorch. The output is deterministic.
"""

import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crossentropy.json")

gen = torch.Generator().manual_seed(13)
cases = []
for name, b, c, weighted, eps in [
    ("plain", 4, 3, False, 0.0),
    ("smoothing", 4, 3, False, 0.1),
    ("weights", 5, 4, True, 0.0),
    ("weights+smoothing", 5, 4, True, 0.25),
    ("one row, full smoothing", 1, 6, True, 1.0),
    ("large logits", 3, 5, True, 0.1),
]:
    logits = torch.randn(b, c, generator=gen) * (300 if name == "large logits" else 2)
    labels = torch.randint(0, c, (b,), generator=gen)
    logits.requires_grad_(True)
    w = None
    if weighted:
        w = torch.rand(c, generator=gen) * 2 + 0.1
    loss = F.cross_entropy(logits, labels, weight=w, label_smoothing=eps)
    grads = torch.autograd.grad(loss, [logits])
    case = {
        "name": name,
        "shape": [b, c],
        "logits": logits.detach().flatten().tolist(),
        "labels": labels.tolist(),
        "smoothing": eps,
        "loss": loss.item(),
        "grad_logits": grads[0].flatten().tolist(),
    }
    if weighted:
        case["weights"] = w.tolist()
    cases.append(case)

with open(OUT, "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f, indent=1)
    f.write("\n")
