#!/usr/bin/python3
"""Generate PyTorch reference data at singular points (testdata/torch/singular.json).

Run from the module root with the system Python that has PyTorch:

    /usr/bin/python3 testdata/torch/singular.py

Each case is a scalar function of a small vector x at a point where it or
its derivatives are singular: the origin of atan2 and hypot, pow at x = 0,
logsumexp at ±Inf, compositions whose gradient underflows. It records, in
float64, the value, the gradient (torch.autograd.grad) and, for "hessian"
cases, the Hessian by double backward (torch.autograd.grad of each
gradient component with create_graph=True). ad/singular_test.go checks
chainrule against the file without PyTorch, listing the entries where
chainrule deliberately differs and why.

Numbers are written as strings (Python's repr: "nan", "inf", "-inf" or a
round-tripping float), since JSON has no NaN or infinity. The output is
deterministic.
"""

import json
import os

import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "singular.json")
INF, NAN = float("inf"), float("nan")

# Each function takes the list of scalar leaves (separate leaves, as the
# chainrule CLI's variables: no indexing in the graph, whose double backward
# would add its own 0·NaN).
FNS = {
    "atan2": lambda x: torch.atan2(x[0], x[1]),
    "pow": lambda x: torch.pow(x[0], x[1]),
    "hypot": lambda x: torch.hypot(x[0], x[1]),
    "logsumexp": lambda x: torch.logsumexp(torch.stack(x), 0),
    "log_exp": lambda x: sum(torch.log(torch.exp(v)) for v in x),
    "log_sigmoid": lambda x: sum(torch.log(torch.sigmoid(v)) for v in x),
    "sqrt_square": lambda x: sum(torch.sqrt(v * v) for v in x),
    "where_sqrt": lambda x: sum(torch.where(v > 0, torch.sqrt(v), torch.zeros_like(v)) for v in x),
}

CASES = [
    # Hessians (double backward) at singular points, and one smooth point
    # each as a control.
    ("hessian", "atan2", [0.0, 0.0]),
    ("hessian", "atan2", [0.5, -1.5]),
    ("hessian", "pow", [0.0, 0.5]),
    ("hessian", "pow", [0.0, 2.0]),
    ("hessian", "pow", [0.0, 0.0]),
    ("hessian", "pow", [1.5, 0.5]),
    ("hessian", "hypot", [0.0, 0.0]),
    ("hessian", "hypot", [0.3, -0.4]),
    # logsumexp at infinities (value and gradient)
    ("grad", "logsumexp", [INF, 0.0]),
    ("grad", "logsumexp", [INF, INF]),
    ("grad", "logsumexp", [-INF, -INF]),
    ("grad", "logsumexp", [-INF, 0.0]),
    ("grad", "logsumexp", [INF, -INF]),
    ("grad", "logsumexp", [NAN, 0.0]),
    ("grad", "logsumexp", [1000.0, 999.0]),
    # gradients that underflow: ∞·0
    ("grad", "log_exp", [-800.0, -2.0]),
    ("grad", "log_sigmoid", [-800.0, 3.0]),
    ("grad", "sqrt_square", [0.0, -2.0]),
    ("grad", "where_sqrt", [0.0, -1.0, 4.0]),
]


def num(v):
    return repr(float(v))


def run(kind, fn, x0):
    x = [torch.tensor(v, requires_grad=True) for v in x0]
    y = FNS[fn](x)
    g = torch.autograd.grad(y, x, create_graph=(kind == "hessian"))
    case = {"kind": kind, "fn": fn, "x": [num(v) for v in x0],
            "value": num(y.item()), "grad": [num(v.item()) for v in g]}
    if kind == "hessian":
        rows = []
        for gi in g:
            hs = torch.autograd.grad(gi, x, retain_graph=True, allow_unused=True)
            rows.append([num(0.0 if h is None else h.item()) for h in hs])
        case["hessian"] = rows
    return case


def main():
    cases = [run(*c) for c in CASES]
    with open(OUT, "w") as f:
        f.write('{"torch": %s, "cases": [\n' % json.dumps(torch.__version__))
        f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in cases))
        f.write("\n]}\n")


if __name__ == "__main__":
    main()
