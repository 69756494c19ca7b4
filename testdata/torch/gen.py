#!/usr/bin/python3
"""Generate PyTorch reference data for chainrule (testdata/torch/cases.json).

Run from the module root with the system Python that has PyTorch:

    /usr/bin/python3 testdata/torch/gen.py

Every case records, in float64, the inputs of one op, its forward output, a
random cotangent and the vector-Jacobian product with it for every
differentiable input (torch.autograd.grad), and random tangents with the
Jacobian-vector product along them (torch.autograd.functional.jvp, which
computes it by double backward). ad/torchref_test.go checks chainrule
against the file without needing PyTorch.

The output is deterministic: all random data come from one seeded
torch.Generator, and floats are written with repr (json's default), which
round-trips float64 exactly.
"""

import json
import os
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
DT = torch.float64
GEN = torch.Generator().manual_seed(20240607)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases.json")

CASES = []


# ---------------------------------------------------------------- random data

def uniform(shape, lo, hi):
    return lo + (hi - lo) * torch.rand(shape, generator=GEN, dtype=DT)


def randn(shape, scale=1.0):
    return scale * torch.randn(shape, generator=GEN, dtype=DT)


def away(shape, lo=0.2, hi=2.0):
    """Values with |x| in [lo, hi) and random sign: no kink at 0 nearby."""
    sign = torch.where(torch.rand(shape, generator=GEN) < 0.5, -1.0, 1.0).to(DT)
    return sign * uniform(shape, lo, hi)


def ints(shape, lo, hi):
    """Small integers as float64: deliberate ties for max/min."""
    return torch.randint(lo, hi, shape, generator=GEN).to(DT)


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


# ---------------------------------------------------------------- one case

def case(op, params, fn, inputs, diff=None, note=None):
    """Record op applied by fn to inputs (a list of float64 tensors).

    diff[i] says whether input i is differentiable; the others are constants
    (grads and tangents null)."""
    if diff is None:
        diff = [True] * len(inputs)
    inputs = [x.detach().to(DT).contiguous() for x in inputs]
    di = [i for i, d in enumerate(diff) if d]

    xs = [x.clone().requires_grad_(d) for x, d in zip(inputs, diff)]
    out = fn(*xs)
    ct = randn(tuple(out.shape))
    gs = torch.autograd.grad(out, [xs[i] for i in di], ct, allow_unused=True)
    grads = [None] * len(inputs)
    for k, i in enumerate(di):
        g = gs[k] if gs[k] is not None else torch.zeros_like(inputs[i])
        grads[i] = enc(g)

    tangents = [randn(tuple(inputs[i].shape)) if d else None for i, d in enumerate(diff)]

    def f(*ps):
        full = list(inputs)
        for k, i in enumerate(di):
            full[i] = ps[k]
        return fn(*full)

    out2, jv = torch.autograd.functional.jvp(
        f, tuple(inputs[i] for i in di), tuple(tangents[i] for i in di), strict=False)
    assert torch.equal(out2, out.detach()), op

    c = {
        "name": name_of(op, params, inputs),
        "op": op,
        "params": params,
        "inputs": [enc(x) for x in inputs],
        "output": enc(out),
        "cotangent": enc(ct),
        "grads": grads,
        "tangents": [enc(t) if t is not None else None for t in tangents],
        "jvp": enc(jv),
    }
    if note:
        c["note"] = note
    CASES.append(c)


def name_of(op, params, inputs):
    shapes = "&".join("(" + ",".join(str(d) for d in x.shape) + ")" for x in inputs)
    ps = ",".join("%s=%s" % (k, json.dumps(v, separators=(",", ":")))
                  for k, v in sorted(params.items()) if k not in ("index", "labels"))
    n = op + " " + shapes
    return n + (" " + ps if ps else "")


# ---------------------------------------------------------------- unary

UNARY = {
    # op: (torch function, input generator)
    "neg": (torch.neg, lambda s: randn(s)),
    "exp": (torch.exp, lambda s: uniform(s, -2, 2)),
    "log": (torch.log, lambda s: uniform(s, 0.2, 3)),
    "log1p": (torch.log1p, lambda s: uniform(s, -0.5, 2)),
    "expm1": (torch.expm1, lambda s: uniform(s, -2, 2)),
    "sqrt": (torch.sqrt, lambda s: uniform(s, 0.2, 3)),
    "abs": (torch.abs, lambda s: away(s)),
    "sin": (torch.sin, lambda s: uniform(s, -3, 3)),
    "cos": (torch.cos, lambda s: uniform(s, -3, 3)),
    "tan": (torch.tan, lambda s: uniform(s, -1.2, 1.2)),
    "asin": (torch.asin, lambda s: uniform(s, -0.9, 0.9)),
    "acos": (torch.acos, lambda s: uniform(s, -0.9, 0.9)),
    "atan": (torch.atan, lambda s: randn(s, 2)),
    "sinh": (torch.sinh, lambda s: uniform(s, -2, 2)),
    "cosh": (torch.cosh, lambda s: uniform(s, -2, 2)),
    "tanh": (torch.tanh, lambda s: uniform(s, -2, 2)),
    "sigmoid": (torch.sigmoid, lambda s: randn(s, 2)),
    "relu": (torch.relu, lambda s: away(s)),
    # |x| < 20, below F.softplus's threshold where PyTorch switches to x.
    "softplus": (F.softplus, lambda s: randn(s, 2)),
    "erf": (torch.erf, lambda s: uniform(s, -2, 2)),
}

for op, (fn, gen) in UNARY.items():
    for shape in [(), (5,), (2, 3)]:
        case(op, {}, fn, [gen(shape)])


# Kinks, documented conventions rather than smooth points: PyTorch's
# derivative of abs (sign) and of relu is 0 at exactly 0.
for op in ["abs", "relu"]:
    x = away((2, 3))
    x[0, 1] = 0.0
    x[1, 2] = -0.0
    case(op, {}, UNARY[op][0], [x], note="exact zeros at [0,1] and [1,2] (-0): derivative 0 there")


# ---------------------------------------------------------------- binary

def pos(lo, hi):
    return lambda s: uniform(s, lo, hi)


BINARY = {
    # op: (torch function, generator of a, generator of b)
    "add": (torch.add, randn, randn),
    "sub": (torch.sub, randn, randn),
    "mul": (torch.mul, randn, randn),
    "div": (torch.div, randn, lambda s: away(s, 0.5, 2)),
    "pow": (torch.pow, pos(0.5, 2), pos(-2, 2)),
    "atan2": (torch.atan2, lambda s: away(s, 0.3, 2), lambda s: away(s, 0.3, 2)),
    "maximum": (torch.maximum, randn, randn),
    "minimum": (torch.minimum, randn, randn),
    "hypot": (torch.hypot, lambda s: away(s, 0.3, 2), lambda s: away(s, 0.3, 2)),
}

BINARY_SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1), (1, 3)), ((), (2, 2))]

for op, (fn, ga, gb) in BINARY.items():
    for sa, sb in BINARY_SHAPES:
        case(op, {}, fn, [ga(sa), gb(sb)])

# Deliberate ties: torch.maximum/minimum split the gradient 0.5/0.5 where
# a == b (and chainrule documents the same convention).
for op, fn in [("maximum", torch.maximum), ("minimum", torch.minimum)]:
    a = randn((2, 3))
    b = randn((2, 3))
    b[0, 0], b[1, 2] = a[0, 0], a[1, 2]
    case(op, {}, fn, [a, b], note="ties at [0,0] and [1,2]: gradient split 0.5/0.5")
    a = randn((3, 1))
    b = randn((3, 4))
    b[1, 2] = a[1, 0]
    case(op, {}, fn, [a, b], note="tie at b[1,2] under broadcasting: 0.5/0.5")


# ---------------------------------------------------------------- where

def where_fn(c, a, b):
    return torch.where(c > 0, a, b)


for sc, sa, sb in [((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), ()), ((4, 1), (1, 3), (4, 3)),
                   ((3,), (2, 3), (2, 1))]:
    case("where", {}, where_fn, [away(sc), randn(sa), randn(sb)], diff=[False, True, True])
c = away((2, 3))
c[0, 2] = 0.0  # c > 0 is false at 0: b is selected
case("where", {}, where_fn, [c, randn((2, 3)), randn((3,))], diff=[False, True, True],
     note="condition exactly 0 at [0,2] selects b")


# ---------------------------------------------------------------- reductions

def dims(axes, nd):
    return tuple(range(nd)) if axes is None else tuple(axes)


def red_sum(axes, keep):
    return lambda x: torch.sum(x, dim=dims(axes, x.dim()), keepdim=keep)


def red_mean(axes, keep):
    return lambda x: torch.mean(x, dim=dims(axes, x.dim()), keepdim=keep)


def red_max(axes, keep):
    return lambda x: torch.amax(x, dim=dims(axes, x.dim()), keepdim=keep)


def red_min(axes, keep):
    return lambda x: torch.amin(x, dim=dims(axes, x.dim()), keepdim=keep)


def red_prod(axes, keep):
    # torch.prod takes one dim: reduce the axes one at a time, highest first
    # so the remaining axis numbers stay valid without keepdim.
    def f(x):
        for a in sorted(dims(axes, x.dim()), key=lambda a: a % x.dim(), reverse=True):
            x = torch.prod(x, dim=a, keepdim=keep)
        return x
    return f


def red_logsumexp(axes, keep):
    return lambda x: torch.logsumexp(x, dim=dims(axes, x.dim()), keepdim=keep)


REDUCE = {
    "sum": (red_sum, lambda s: randn(s)),
    "mean": (red_mean, lambda s: randn(s)),
    "max": (red_max, lambda s: randn(s)),
    "min": (red_min, lambda s: randn(s)),
    "prod": (red_prod, lambda s: away(s, 0.6, 1.4)),
}

for op, (mk, gen) in REDUCE.items():
    for axes in [None, [0], [1], [0, 2]]:
        for keep in [True, False]:
            case(op, {"axes": axes, "keepdims": keep}, mk(axes, keep), [gen((2, 3, 4))])
    case(op, {"axes": [-1], "keepdims": False}, mk([-1], False), [gen((3, 5))])

# Ties: amax/amin split the gradient evenly among the elements attaining the
# extremum. Small integers give many ties.
for op, mk in [("max", red_max), ("min", red_min)]:
    for axes, keep in [(None, False), ([1], True), ([0, 2], False), ([2], False)]:
        case(op, {"axes": axes, "keepdims": keep}, mk(axes, keep), [ints((2, 3, 4), 0, 3)],
             note="integer inputs with ties: gradient split evenly among the tied elements")
    x = torch.full((2, 3), 1.5)
    case(op, {"axes": None, "keepdims": False}, mk(None, False), [x],
         note="all elements tied: each gets 1/6 of the gradient")

# Exact zeros in a product: PyTorch's prod backward handles them without
# dividing by x (one zero in a lane: the product of the others; two: 0).
x = away((2, 3, 4), 0.6, 1.4)
x[0, 1, 2] = 0.0
x[1, 0, 3] = 0.0
x[1, 2, 3] = 0.0
for axes, keep in [([1], False), ([2], True), (None, False), ([0, 2], False)]:
    case("prod", {"axes": axes, "keepdims": keep}, red_prod(axes, keep), [x],
         note="zeros at [0,1,2], [1,0,3], [1,2,3]: lanes with one and with two zeros")

for axes, keep, shape, shift in [([1], False, (3, 5), 0), ([0], True, (3, 5), 0),
                                 ([0, 2], False, (2, 3, 4), 0), (None, False, (2, 3), 0),
                                 ([-1], True, (2, 3, 4), 0),
                                 ([1], False, (3, 5), 1000), ([0], True, (4, 3), -1000)]:
    case("logsumexp", {"axes": axes, "keepdims": keep}, red_logsumexp(axes, keep),
         [shift + randn(shape, 2)],
         note="large inputs: tests the max shift" if shift else None)

for op, fn in [("softmax", torch.softmax), ("log_softmax", torch.log_softmax)]:
    for axis, shape, shift in [(1, (3, 5), 0), (0, (3, 5), 0), (-1, (2, 3, 4), 0),
                               (1, (2, 3, 4), 0), (1, (3, 5), 1000), (0, (4, 3), -1000)]:
        case(op, {"axis": axis}, (lambda a: lambda x: fn(x, a))(axis), [shift + randn(shape, 2)],
             note="large inputs: tests the max shift" if shift else None)


# ---------------------------------------------------------------- matmul

for sa, sb in [((3, 4), (4, 2)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)),
               ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (4,)), ((4,), (4, 3)), ((4,), (4,)),
               ((2, 3, 4), (4,)), ((4,), (2, 4, 3)), ((1, 4), (4, 1))]:
    case("matmul", {}, torch.matmul, [randn(sa), randn(sb)])


# ---------------------------------------------------------------- shapes

for sx, shape in [((2, 3, 4), [6, 4]), ((2, 3, 4), [4, -1]), ((6,), [2, 3]), ((), [1, 1]),
                  ((1, 1), [])]:
    case("reshape", {"shape": shape}, (lambda s: lambda x: x.reshape(s))(shape), [randn(sx)])

for sx, perm in [((3, 4), [1, 0]), ((2, 3, 4), [2, 0, 1]), ((2, 3, 4), [1, 0, 2]),
                 ((2, 3, 4, 2), [3, 1, 0, 2])]:
    case("transpose", {"perm": perm}, (lambda p: lambda x: x.permute(p))(perm), [randn(sx)])

for sx, shape in [((3, 1), [2, 3, 4]), ((), [2, 2]), ((4,), [3, 4]), ((2, 1, 3), [2, 4, 3])]:
    case("broadcast_to", {"shape": shape}, (lambda s: lambda x: x.expand(s))(shape), [randn(sx)])

for sx, axis, start, stop in [((3, 5), 1, 1, 3), ((2, 3, 4), 2, 0, 2), ((2, 3, 4), 0, 1, 2),
                              ((6,), 0, 2, 6), ((3, 5), -1, 4, 5)]:
    case("slice", {"axis": axis, "start": start, "stop": stop},
         (lambda a, s, e: lambda x: torch.narrow(x, a, s, e - s))(axis, start, stop),
         [randn(sx)])

for shapes, axis in [([(2, 3), (1, 3), (3, 3)], 0), ([(2, 3), (2, 2)], 1),
                     ([(2, 1, 4), (2, 3, 4)], 1), ([(4,), (2,)], 0), ([(2, 3), (2, 1)], -1)]:
    case("concat", {"axis": axis}, (lambda a: lambda *xs: torch.cat(xs, dim=a))(axis),
         [randn(s) for s in shapes])

for shapes, axis in [([(2, 3)] * 3, 0), ([(2, 3)] * 2, 2), ([(2, 3)] * 2, 1), ([()] * 3, 0),
                     ([(4,)] * 2, -1)]:
    case("stack", {"axis": axis}, (lambda a: lambda *xs: torch.stack(xs, dim=a))(axis),
         [randn(s) for s in shapes])


def gather_case(sx, axis, ishape):
    n = sx[axis]
    idx = torch.randint(0, n, ishape, generator=GEN)
    # make sure some index repeats along the axis, so the gradient accumulates
    idx.view(-1)[0] = idx.view(-1)[-1] if idx.numel() > 1 else idx.view(-1)[0]
    case("gather", {"axis": axis, "index": idx.reshape(-1).tolist(), "index_shape": list(ishape)},
         (lambda a, i: lambda x: torch.gather(x, a, i))(axis, idx), [randn(sx)])


gather_case((3, 4), 1, (3, 5))
gather_case((3, 4), 0, (2, 4))
gather_case((2, 3, 4), 2, (2, 3, 2))
gather_case((2, 3, 4), 1, (2, 6, 4))
gather_case((5,), 0, (7,))


# ---------------------------------------------------------------- losses

for s in [(4, 3), (5,)]:
    case("mse_loss", {}, lambda p, t: F.mse_loss(p, t, reduction="mean"), [randn(s), randn(s)])

for shape, shift in [((4, 5), 0), ((4, 5), 1000), ((1, 3), 0)]:
    labels = torch.randint(0, shape[1], (shape[0],), generator=GEN)
    case("cross_entropy", {"labels": labels.tolist()},
         (lambda l: lambda x: F.cross_entropy(x, l, reduction="mean"))(labels),
         [shift + randn(shape, 2)],
         note="large logits: tests the max shift" if shift else None)


# ---------------------------------------------------------------- write

seen = {}
for c in CASES:  # cases differing only in their data get a running number
    n = c["name"]
    seen[n] = seen.get(n, 0) + 1
    if seen[n] > 1:
        c["name"] = "%s #%d" % (n, seen[n])

with open(OUT, "w") as f:
    f.write('{"generator":"testdata/torch/gen.py","torch_version":%s,"dtype":"float64",\n"cases":[\n'
            % json.dumps(torch.__version__))
    f.write(",\n".join(json.dumps(c, separators=(",", ":"), allow_nan=False) for c in CASES))
    f.write("\n]}\n")

ops = sorted({c["op"] for c in CASES})
print("%d cases, %d ops, %d bytes -> %s" % (len(CASES), len(ops), os.path.getsize(OUT), OUT),
      file=sys.stderr)
