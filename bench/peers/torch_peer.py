#!/usr/bin/env python3
"""PyTorch peer of chainrule's benchmark harness (go run ./bench).

Run under Debian's /usr/bin/python3 with python3-torch (1.13, CPU). It reads
one JSON request per line on stdin and writes one JSON reply per line on
stdout; the protocol is described in bench/peers.go. Arrays come and go as
raw little-endian files, so the inputs are chainrule's exact values. This
peer verifies nothing: it returns its results for the harness to compare,
and times the loop of N operations itself.
"""

import gc
import json
import os
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
    import torch.utils.checkpoint as tcheckpoint

    IMPORT_ERROR = None
except Exception as e:  # reported to the harness, which skips this peer
    IMPORT_ERROR = "python3-torch not importable under %s: %s" % (sys.executable, e)

THREADS = 2


def load(a):
    """Returns the tensor an ARRAY description refers to."""
    dt = {"float64": "<f8", "float32": "<f4"}[a["dtype"]]
    arr = np.fromfile(a["file"], dtype=dt).reshape(a["shape"])
    return torch.from_numpy(arr.copy())


def save(prefix, name, t):
    """Writes t to a file next to prefix and returns its ARRAY description."""
    t = t.detach().contiguous()
    path = "%s.%s.bin" % (prefix, name)
    arr = t.numpy()
    arr.astype(arr.dtype.newbyteorder("<")).tofile(path)
    return {"file": path, "dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)}


def rosen(x):
    """The vector Rosenbrock function, with chainrule's op sequence."""
    a, b = x[:-1], x[1:]
    return torch.sum(100 * torch.square(b - torch.square(a)) + torch.square(1 - a))


def rosen_scalar(xs):
    """The Rosenbrock function one scalar op at a time (chainrule's rosenScalar)."""
    s = torch.zeros((), dtype=xs[0].dtype)
    for i in range(len(xs) - 1):
        d = xs[i + 1] - xs[i] * xs[i]
        e = 1 - xs[i]
        s = s + (100 * (d * d) + e * e)
    return s


def setup_w1(p, x):
    """W1: gradient of the scalar-op Rosenbrock function."""
    xs = [torch.tensor(v, dtype=x.dtype, requires_grad=True) for v in x["x"].tolist()]

    def op():
        s = rosen_scalar(xs)
        return s, torch.autograd.grad(s, xs)

    def out():
        s, g = op()
        return {"value": s.reshape(1), "grad": torch.stack(g)}

    return {"torch": (op, out)}


def setup_w2(p, x):
    """W2: value and gradient of the vector Rosenbrock function, and the primal."""
    xv = x["x"].clone().requires_grad_(True)
    xc = x["x"]

    def op():
        y = rosen(xv)
        return y, torch.autograd.grad(y, xv)[0]

    def primal():
        with torch.no_grad():
            return rosen(xc)

    def out():
        y, g = op()
        return {"value": y.reshape(1), "grad": g}

    return {"torch": (op, out), "torch/primal": (primal, lambda: {"value": primal().reshape(1)})}


def setup_w3(p, x):
    """W3: one SGD training step of the MLP (logits = tanh(X·W1 + b1)·W2 + b2)."""
    X = x["x"]
    labels = torch.tensor(p["labels"], dtype=torch.long)
    params = [x[k].clone().requires_grad_(True) for k in ("w1", "b1", "w2", "b2")]
    lr = p["lr"]

    def loss_and_grads():
        w1, b1, w2, b2 = params
        logits = torch.tanh(X @ w1 + b1) @ w2 + b2
        loss = F.cross_entropy(logits, labels)
        return loss, torch.autograd.grad(loss, params)

    def step():
        loss, gs = loss_and_grads()
        with torch.no_grad():
            for q, g in zip(params, gs):
                q.add_(g, alpha=-lr)  # in place, no temporary (as chainrule's AddScaledInPlace)
        return loss

    def out():
        loss, gs = loss_and_grads()
        return {"loss": loss.reshape(1), "grad": torch.cat([g.reshape(-1) for g in gs])}

    return {"torch": (step, out)}


def setup_w10(p, x):
    """W10: per-example gradients of the W3 MLP, a loop of torch.autograd.grad."""
    X = x["x"]
    labels = torch.tensor(p["labels"], dtype=torch.long)
    params = [x[k].clone().requires_grad_(True) for k in ("w1", "b1", "w2", "b2")]

    def op():
        rows = []
        for i in range(X.shape[0]):
            w1, b1, w2, b2 = params
            logits = torch.tanh(X[i : i + 1] @ w1 + b1) @ w2 + b2
            gs = torch.autograd.grad(F.cross_entropy(logits, labels[i : i + 1]), params)
            rows.append(torch.cat([g.reshape(-1) for g in gs]))
        return torch.stack(rows)

    return {"torch": (op, lambda: {"grads": op()})}


def setup_w8(p, x):
    """W8: one training step of the LeNet-5 CNN, SGD with momentum (torch.optim)."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(256, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))
    model.load_state_dict({name: x["p_" + name.replace(".", "_")] for name in model.state_dict()})
    assert [n for n, _ in model.named_parameters()] == p["params"]
    X = x["x"]
    labels = torch.tensor(p["labels"], dtype=torch.long)
    opt = torch.optim.SGD(model.parameters(), lr=p["lr"], momentum=p["momentum"])
    return {"torch": training_step(model, opt, lambda: F.cross_entropy(model(X), labels))}


def training_step(model, opt, loss_fn):
    """Returns the (step, out) pair of a training step: step runs the loss,
    its backward pass and opt; out returns the loss and the gradients
    concatenated in named_parameters order, without stepping."""

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        return loss

    def out():
        loss = loss_fn()
        gs = torch.autograd.grad(loss, list(model.parameters()))
        return {"loss": loss.detach().reshape(1), "grad": torch.cat([g.reshape(-1) for g in gs])}

    return step, out


def setup_w9(p, x):
    """W9: one training step of a pre-LayerNorm transformer encoder block, AdamW."""
    torch.manual_seed(0)  # the weights are overwritten below; dropout is 0
    block = torch.nn.TransformerEncoderLayer(
        p["width"], p["heads"], dim_feedforward=p["ffn"], dropout=0.0,
        activation="gelu", batch_first=True, norm_first=True)
    block.load_state_dict({name: x["p_" + name.replace(".", "_")] for name in block.state_dict()})
    assert [n for n, _ in block.named_parameters()] == p["params"]
    block.train()
    X, Y = x["x"], x["y"]
    opt = torch.optim.AdamW(block.parameters())
    return {"torch": training_step(block, opt, lambda: F.mse_loss(block(X), Y))}


def setup_w4(p, x):
    """W4: Hessian-vector product of the vector Rosenbrock by double backward."""
    xv = x["x"].clone().requires_grad_(True)
    v = x["v"]

    def op():
        (g,) = torch.autograd.grad(rosen(xv), xv, create_graph=True)
        (hv,) = torch.autograd.grad(g, xv, grad_outputs=v)
        return hv

    return {"torch": (op, lambda: {"hvp": op()})}


def setup_w5(p, x):
    """W5: Jacobian of tanh(W·sin x) by torch.autograd.functional.jacobian."""
    W, xv = x["w"], x["x"]

    def f(x):
        return torch.tanh(W @ torch.sin(x))

    variants = {
        "torch": {},
        "torch/vectorize": {"vectorize": True},
        "torch/forward": {"vectorize": True, "strategy": "forward-mode"},
    }
    impls = {}
    for name, kw in variants.items():

        def op(kw=kw):
            return torch.autograd.functional.jacobian(f, xv, **kw)

        impls[name] = (op, lambda op=op: {"jac": op()})
    return impls


def setup_w6(p, x):
    """W6: gradient through a chain of tanh(W·h) layers, plain and checkpointed."""
    W, h0 = x["w"], x["h0"]
    layers, seg = p["layers"], p["segment"]

    def segment(h):
        for _ in range(seg):
            h = torch.tanh(W @ h)
        return h

    def plain():
        h = h0.clone().requires_grad_(True)
        y = h
        for _ in range(layers):
            y = torch.tanh(W @ y)
        return torch.autograd.grad(y.sum(), h)[0]

    def ckpt():
        h = h0.clone().requires_grad_(True)
        y, i = h, 0
        while i + seg <= layers:
            y = tcheckpoint.checkpoint(segment, y, use_reentrant=False)
            i += seg
        while i < layers:
            y = torch.tanh(W @ y)
            i += 1
        return torch.autograd.grad(y.sum(), h)[0]

    return {"torch": (plain, lambda: {"grad": plain()}), "torch/checkpoint": (ckpt, lambda: {"grad": ckpt()})}


def setup_h100(p, x):
    """H100: Hessian of the Rosenbrock function by torch.autograd.functional.hessian."""
    xv = x["x"]
    impls = {}
    for name, kw in {"torch": {}, "torch/vectorize": {"vectorize": True}}.items():

        def op(kw=kw):
            return torch.autograd.functional.hessian(rosen, xv, **kw)

        impls[name] = (op, lambda op=op: {"hess": op()})
    return impls


def setup_gemm(p, x):
    """GEMM: a square matrix product (PyTorch's BLAS)."""
    a, b = x["a"], x["b"]

    def op():
        return a @ b

    return {"torch": (op, lambda: {"c": op()})}


def bratu(u, N, lam):
    """The 2-D Bratu residual Δu + λeᵘ by the 5-point stencil, N×N interior
    grid, zero boundary, with chainrule's op sequence (bench/sparse.go)."""
    h = 1.0 / (N + 1)
    g = F.pad(u.reshape(N, N), (1, 1, 1, 1))

    def at(di, dj):
        return g[1 + di : N + 1 + di, 1 + dj : N + 1 + dj]

    s = (at(-1, 0) + at(1, 0)) + (at(0, -1) + at(0, 1))
    lap = (1 / (h * h)) * (s - 4 * at(0, 0))
    return (lap + lam * torch.exp(at(0, 0))).reshape(N * N)


def stencil_mask(N):
    """The 5-point stencil's pattern as an n×n boolean matrix."""
    n = N * N
    m = torch.zeros(n, n, dtype=torch.bool)
    i = torch.arange(n)
    a, b = i // N, i % N
    m[i, i] = True
    m[i[a > 0], i[a > 0] - N] = True
    m[i[a < N - 1], i[a < N - 1] + N] = True
    m[i[b > 0], i[b > 0] - 1] = True
    m[i[b < N - 1], i[b < N - 1] + 1] = True
    return m


def setup_s1(p, x):
    """S1: the (dense) Jacobian of the Bratu residual by
    torch.autograd.functional.jacobian(vectorize=True); PyTorch has no
    sparse Jacobian. Returned as its entries on the stencil, row-major
    (CSR order), and the largest magnitude off the stencil."""
    if not p["dense"]:
        return None
    N, lam, u = p["grid"], p["lambda"], x["u"]

    def f(u):
        return bratu(u, N, lam)

    def op():
        return torch.autograd.functional.jacobian(f, u, vectorize=True)

    def out():
        J = op()
        mask = stencil_mask(N)
        return {"jac": J[mask], "outside": J.masked_fill(mask, 0).abs().max().reshape(1), "residual": f(u)}

    return {"torch/vectorize": (op, out)}


SETUPS = {
    "W1": setup_w1,
    "W2": setup_w2,
    "W3": setup_w3,
    "W4": setup_w4,
    "W8": setup_w8,
    "W9": setup_w9,
    "W5": setup_w5,
    "W6": setup_w6,
    "H100": setup_h100,
    "W10": setup_w10,
    "GEMM": setup_gemm,
    "S1": setup_s1,
}


class Inputs(dict):
    """The loaded inputs of a case; .dtype is their common dtype."""

    @property
    def dtype(self):
        return next(iter(self.values())).dtype


def blas_library():
    """Returns the BLAS shared library this process has mapped."""
    try:
        with open("/proc/self/maps") as f:
            libs = {l.split()[-1] for l in f if "blas" in l.split()[-1]}
        return ", ".join(sorted(os.path.realpath(l) for l in libs)) or "none mapped"
    except OSError:
        return "unknown"


def handle(req, cases):
    """Returns the reply to one request."""
    cmd = req.get("cmd")
    if cmd == "hello":
        if IMPORT_ERROR:
            return {"ok": False, "skip": IMPORT_ERROR}
        torch.set_num_threads(THREADS)
        torch.zeros(2, 2) @ torch.zeros(2, 2)  # load the BLAS
        return {
            "ok": True,
            "info": {
                "torch": torch.__version__,
                "python": sys.version.split()[0],
                "threads": torch.get_num_threads(),
                "blas": blas_library(),
            },
        }
    if cmd == "setup":
        fn = SETUPS.get(req["workload"])
        if fn is None:
            return {"ok": False, "skip": "workload not implemented in the PyTorch peer"}
        inputs = Inputs({k: load(a) for k, a in req.get("inputs", {}).items()})
        impls = fn(req.get("params", {}), inputs)
        if impls is None:
            return {"ok": False, "skip": "the dense Jacobian PyTorch computes does not fit in memory at this size"}
        cases[req["case"]] = impls
        return {"ok": True, "impls": list(cases[req["case"]])}
    if cmd == "verify":
        op, out = cases[req["case"]][req["impl"]]
        return {"ok": True, "outputs": {k: save(req["prefix"], k, v) for k, v in out().items()}}
    if cmd == "run":
        op, _ = cases[req["case"]][req["impl"]]
        n = int(req["iters"])
        gc.collect()
        t0 = time.perf_counter_ns()
        for _ in range(n):
            op()
        dt = time.perf_counter_ns() - t0
        return {"ok": True, "ns_per_op": dt / n}
    if cmd == "free":
        cases.pop(req.get("case"), None)
        gc.collect()
        return {"ok": True}
    return {"ok": False, "error": "unknown command %r" % cmd}


def main():
    """Serves requests until stdin closes or a quit request arrives."""
    cases = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
            if req.get("cmd") == "quit":
                break
            reply = handle(req, cases)
        except Exception as e:
            reply = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
