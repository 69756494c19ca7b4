#!/usr/bin/python3
"""Generate PyTorch reference data for chainrule's neural-network
primitives (testdata/torch/nn_cases.json).

Run from the module root with the system Python that has PyTorch 1.13:

    /usr/bin/python3 testdata/torch/nn_gen.py

The format is that of cases.json (see README.md): every case records, in
float64, an op's inputs, its forward output, a random cotangent with the
vector-Jacobian product for every input (torch.autograd.grad), and random
tangents with the Jacobian-vector product (torch.autograd.functional.jvp).
"params" holds the op's static arguments as chainrule takes them.
ad/torchnn_test.go checks chainrule against the file without PyTorch.

Deterministic: one seeded torch.Generator, floats written with repr. New
cases go at the end, so that the earlier ones keep their random data.
"""

import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
DT = torch.float64
GEN = torch.Generator().manual_seed(20261202)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_cases.json")

CASES = []


def randn(shape, scale=1.0):
    return scale * torch.randn(shape, generator=GEN, dtype=DT)


def enc(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def case(op, params, fn, inputs, note=None):
    """Record fn(*inputs) with every input differentiable."""
    inputs = [x.detach().to(DT).contiguous() for x in inputs]
    xs = [x.clone().requires_grad_(True) for x in inputs]
    out = fn(*xs)
    ct = randn(tuple(out.shape))
    gs = torch.autograd.grad(out, xs, ct, allow_unused=True)
    grads = [enc(g if g is not None else torch.zeros_like(x)) for g, x in zip(gs, inputs)]
    tangents = [randn(tuple(x.shape)) for x in inputs]
    out2, jv = torch.autograd.functional.jvp(fn, tuple(inputs), tuple(tangents), strict=False)
    assert torch.allclose(out2, out.detach(), rtol=0, atol=0), op
    shapes = "&".join("(" + ",".join(str(d) for d in x.shape) + ")" for x in inputs)
    ps = ",".join("%s=%s" % (k, json.dumps(v, separators=(",", ":"))) for k, v in sorted(params.items()))
    c = {
        "name": op + " " + shapes + (" " + ps if ps else ""),
        "op": op,
        "params": params,
        "inputs": [enc(x) for x in inputs],
        "output": enc(out),
        "cotangent": enc(ct),
        "grads": grads,
        "tangents": [enc(t) for t in tangents],
        "jvp": enc(jv),
    }
    if note:
        c["note"] = note
    CASES.append(c)


# ---------------------------------------------------------------- activations

for shape in [(7,), (2, 5)]:
    case("gelu", {}, lambda x: F.gelu(x), [randn(shape, 3)])
    case("gelu_tanh", {}, lambda x: F.gelu(x, approximate="tanh"), [randn(shape, 3)])
    case("silu", {}, F.silu, [randn(shape, 3)])
big = torch.tensor([-30.0, -8.0, -1e-3, 0.0, 1e-3, 8.0, 30.0])
case("gelu", {}, lambda x: F.gelu(x), [big], note="tails and 0")
case("gelu_tanh", {}, lambda x: F.gelu(x, approximate="tanh"), [big], note="tails and 0")
case("silu", {}, F.silu, [torch.tensor([-700.0, -30.0, 0.0, 30.0, 700.0])], note="tails and 0")


# ---------------------------------------------------------------- convolution

def conv2d(stride, padding, dilation, groups):
    (t, b), (l, r) = padding

    def f(x, w):
        return F.conv2d(F.pad(x, (l, r, t, b)), w, stride=stride, dilation=dilation, groups=groups)
    return f


CONV2D = [
    # (N, C, H, W), (O, C/g, KH, KW), stride, padding ((top, bottom), (left, right)), dilation, groups
    ((2, 3, 5, 6), (4, 3, 3, 3), [1, 1], [[0, 0], [0, 0]], [1, 1], 1),
    ((2, 3, 7, 6), (4, 3, 3, 2), [2, 1], [[1, 1], [2, 2]], [1, 1], 1),
    ((1, 2, 8, 7), (3, 2, 3, 3), [2, 3], [[0, 2], [1, 0]], [1, 1], 1),    # asymmetric padding
    ((2, 2, 9, 8), (2, 2, 3, 2), [1, 2], [[2, 1], [1, 1]], [2, 3], 1),    # dilation
    ((2, 4, 6, 6), (6, 2, 3, 3), [1, 1], [[1, 1], [1, 1]], [1, 1], 2),    # groups
    ((2, 3, 6, 5), (3, 1, 3, 3), [2, 2], [[1, 1], [1, 1]], [1, 1], 3),    # depthwise
    ((3, 4, 4, 5), (5, 4, 1, 1), [1, 1], [[0, 0], [0, 0]], [1, 1], 1),    # 1×1
    ((1, 6, 5, 5), (6, 2, 2, 3), [1, 2], [[0, 1], [2, 1]], [2, 1], 3),    # everything
]
for xs, ws, stride, padding, dilation, groups in CONV2D:
    p = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    case("conv2d", p, conv2d(stride, padding, dilation, groups), [randn(xs), randn(ws)])

CONVT2D = [
    # input (N, O, H, W), weight (O, C/g, KH, KW), stride, symmetric padding, output_padding, dilation, groups
    ((2, 3, 3, 4), (3, 2, 3, 3), [1, 1], [0, 0], [0, 0], [1, 1], 1),
    ((2, 3, 3, 3), (3, 2, 3, 2), [2, 2], [1, 0], [1, 0], [1, 1], 1),
    ((1, 4, 3, 4), (4, 3, 2, 3), [2, 1], [1, 1], [0, 0], [2, 2], 2),
]
for xs, ws, stride, pad, opad, dilation, groups in CONVT2D:
    p = {"stride": stride, "padding": [[pad[0], pad[0]], [pad[1], pad[1]]], "dilation": dilation,
         "groups": groups, "output_padding": opad}
    case("conv_transpose2d", p,
         lambda x, w, s=stride, pd=pad, op=opad, d=dilation, g=groups:
             F.conv_transpose2d(x, w, stride=s, padding=pd, output_padding=op, dilation=d, groups=g),
         [randn(xs), randn(ws)])

CONV1D = [
    # (N, C, L), (O, C/g, K), stride, padding (left, right), dilation, groups
    ((2, 3, 10), (4, 3, 3), 1, [1, 1], 1, 1),
    ((2, 4, 11), (4, 1, 3), 2, [2, 0], 2, 4),
]
for xs, ws, stride, padding, dilation, groups in CONV1D:
    p = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    case("conv1d", p,
         lambda x, w, s=stride, pd=padding, d=dilation, g=groups:
             F.conv1d(F.pad(x, tuple(pd)), w, stride=s, dilation=d, groups=g),
         [randn(xs), randn(ws)])


# ---------------------------------------------------------------- pooling

def ints(shape, lo, hi):
    """Small integers as float64: deliberate ties."""
    return torch.randint(lo, hi, shape, generator=GEN).to(DT)


def pool_params(kernel, stride, padding):
    return {"kernel": kernel, "stride": stride, "padding": padding}


def max_pool(kernel, stride, padding):
    (t, b), (l, r) = padding
    if t == b and l == r:
        return lambda x: F.max_pool2d(x, kernel, stride=stride, padding=(t, l))
    return lambda x: F.max_pool2d(F.pad(x, (l, r, t, b), value=float("-inf")), kernel, stride=stride)


def avg_pool(kernel, stride, padding):
    (t, b), (l, r) = padding
    if t == b and l == r:
        return lambda x: F.avg_pool2d(x, kernel, stride=stride, padding=(t, l))
    return lambda x: F.avg_pool2d(F.pad(x, (l, r, t, b)), kernel, stride=stride)


POOL = [
    # input shape, kernel, stride (None: the kernel), padding
    ((2, 3, 6, 7), [2, 2], None, [[0, 0], [0, 0]]),
    ((1, 2, 7, 6), [3, 3], [2, 1], [[1, 1], [1, 1]]),
    ((2, 1, 5, 6), [2, 3], [1, 2], [[1, 0], [0, 1]]),
]
for xs, kernel, stride, padding in POOL:
    st = stride if stride is not None else kernel
    case("max_pool2d", pool_params(kernel, stride or [0, 0], padding), max_pool(kernel, st, padding), [randn(xs)])
    case("avg_pool2d", pool_params(kernel, stride or [0, 0], padding), avg_pool(kernel, st, padding), [randn(xs)])
case("max_pool2d", pool_params([3, 3], [1, 1], [[1, 1], [1, 1]]), max_pool([3, 3], [1, 1], [[1, 1], [1, 1]]),
     [ints((1, 2, 5, 5), 0, 3)], note="ties in overlapping windows: PyTorch sends each window's gradient to its first maximum")
case("max_pool2d", pool_params([2, 2], [0, 0], [[0, 0], [0, 0]]), max_pool([2, 2], [2, 2], [[0, 0], [0, 0]]),
     [torch.ones(1, 1, 4, 4)], note="all equal")


# ---------------------------------------------------------------- normalization

EPS = 1e-5
for xs, n in [((3, 5), 1), ((2, 3, 4), 2), ((2, 2, 3, 3), 1)]:
    ns = xs[len(xs) - n:]
    case("layer_norm", {"n": n, "eps": EPS}, lambda x, w, b, ns=ns: F.layer_norm(x, ns, w, b, EPS),
         [randn(xs, 2), 1 + randn(ns, 0.3), randn(ns)])
case("layer_norm", {"n": 1, "eps": EPS}, lambda x: F.layer_norm(x, (4,), None, None, EPS), [3 + randn((3, 4), 1e-2)],
     note="no affine; rows with a small spread, where eps matters")

for xs in [(4, 3), (3, 2, 4, 5), (2, 3, 5)]:
    c = xs[1]
    case("batch_norm", {"eps": EPS},
         lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True, eps=EPS),
         [randn(xs, 2), 1 + randn((c,), 0.3), randn((c,))])


def bn_eval(x, m, v, w, b):
    shape = [1, x.shape[1]] + [1] * (x.dim() - 2)
    y = (x - m.reshape(shape)) / torch.sqrt(v.reshape(shape) + EPS) * w.reshape(shape) + b.reshape(shape)
    ref = F.batch_norm(x.detach(), m.detach(), v.detach(), w.detach(), b.detach(), training=False, eps=EPS)
    assert torch.allclose(y.detach(), ref, rtol=1e-13, atol=1e-13)
    return y


for xs in [(4, 3), (2, 3, 4, 2)]:
    c = xs[1]
    case("batch_norm_stats", {"eps": EPS}, bn_eval,
         [randn(xs, 2), randn((c,)), 0.5 + torch.rand((c,), generator=GEN, dtype=DT), 1 + randn((c,), 0.3), randn((c,))],
         note="evaluation mode: the formula of F.batch_norm(training=False), checked against it, differentiated in all five inputs")


# ---------------------------------------------------------------- attention
# PyTorch 1.13 has no F.scaled_dot_product_attention (2.0 added it): this is
# its definition, softmax(q·kᵀ/√d + mask)·v with is_causal's mask
# ones(L, S).tril() filled with -inf, on torch's softmax and matmul.

def attention(causal):
    def f(q, k, v):
        s = q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5)
        if causal:
            keep = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
            s = s.masked_fill(~keep, float("-inf"))
        return torch.softmax(s, dim=-1) @ v
    return f


ATTN = [
    # q, k, v shapes, causal, logit scale
    ((2, 4, 5, 8), (2, 4, 6, 8), (2, 4, 6, 3), False, 1),
    ((2, 4, 5, 8), (2, 4, 5, 8), (2, 4, 5, 8), True, 1),
    ((3, 4, 2), (1, 5, 2), (5, 3), True, 1),
    ((2, 3, 4), (2, 3, 4), (2, 3, 4), False, 30),
]
for qs, ks, vs, causal, scale in ATTN:
    note = "large logits (|q·k|/√d up to ~1e3)" if scale > 1 else None
    case("attention", {"causal": causal}, attention(causal), [randn(qs, scale), randn(ks, scale), randn(vs)], note=note)


# ------------------------------------------------- 2×2 max pooling, wide rows
# Output rows of at least four windows reach the float32 SSE2 loops of the
# 2×2 fast path (four windows a step, the rest in Go); small integers make
# ties and zeros, as after a ReLU.

case("max_pool2d", pool_params([2, 2], [0, 0], [[0, 0], [0, 0]]), max_pool([2, 2], [2, 2], [[0, 0], [0, 0]]),
     [ints((2, 3, 9, 11), 0, 3)], note="ties in rows of five windows (a SIMD step and one more), odd height and width")


with open(OUT, "w") as f:
    json.dump({"generator": "testdata/torch/nn_gen.py", "torch_version": torch.__version__,
               "dtype": "float64", "cases": CASES}, f)
    f.write("\n")
print("%d cases written to %s" % (len(CASES), OUT))
