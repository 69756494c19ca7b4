"""Generates torch_nn.json, the PyTorch reference data of package nn's tests.

Run with PyTorch 1.13 from the repository root:

    /usr/bin/python3 nn/testdata/gen.py

Each case builds a torch.nn layer in float64, overwrites its parameters with
seeded random values (so that the test checks the forward pass, not the
initialization), runs an input x through it and back-propagates the loss
sum(y * r) for a seeded random cotangent r. The JSON holds, per case, the
layer's state_dict, x, r, y and the gradients with respect to x and to each
parameter; BatchNorm2d also holds its running statistics after each of
several training steps and an evaluation-mode output.
"""
import json
import torch

torch.set_default_dtype(torch.float64)
torch.manual_seed(13)


def arr(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def randomize(m):
    with torch.no_grad():
        for _, p in m.named_parameters():
            p.copy_(torch.randn_like(p) * 0.5)


def case(m, x, extra=None, call=None):
    x = x.clone().requires_grad_(x.is_floating_point())
    y = call(m, x) if call else m(x)
    r = torch.randn_like(y)
    m.zero_grad()
    (y * r).sum().backward()
    out = {
        "state": {k: arr(v) for k, v in m.state_dict().items() if k != "num_batches_tracked"},
        "x": arr(x), "r": arr(r), "y": arr(y),
        "grads": {k: arr(p.grad) for k, p in m.named_parameters()},
    }
    if x.requires_grad:
        out["grads"]["x"] = arr(x.grad)
    if extra:
        out.update(extra)
    return out


cases = {}

lin = torch.nn.Linear(4, 3)
randomize(lin)
cases["linear"] = case(lin, torch.randn(2, 5, 4))

conv = torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
randomize(conv)
cases["conv2d"] = case(conv, torch.randn(2, 4, 7, 6))

ln = torch.nn.LayerNorm((3, 4))
randomize(ln)
cases["layernorm"] = case(ln, torch.randn(2, 5, 3, 4) * 2 + 1)

emb = torch.nn.Embedding(10, 4)
randomize(emb)
idx = torch.tensor([[1, 7, 3], [3, 0, 9]])
cases["embedding"] = case(emb, idx)
cases["embedding"]["x"] = {"shape": [2, 3], "data": [float(v) for v in idx.reshape(-1).tolist()]}


def mha_case(causal, lk):
    m = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    randomize(m)
    q = torch.randn(2, 5, 8)
    kv = torch.randn(2, lk, 8) if lk else None
    mask = torch.triu(torch.full((5, 5), float("-inf")), diagonal=1) if causal else None

    def call(m, x):
        k = kv if kv is not None else x
        return m(x, k, k, need_weights=False, attn_mask=mask)[0]
    out = case(m, q, call=call)
    if kv is not None:
        out["kv"] = arr(kv)
    return out


cases["mha"] = mha_case(False, 0)
cases["mha_causal"] = mha_case(True, 0)
cases["mha_cross"] = mha_case(False, 3)

lenet = torch.nn.Sequential(
    torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
    torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.AvgPool2d(2),
    torch.nn.Flatten(), torch.nn.Linear(256, 120), torch.nn.GELU(),
    torch.nn.Linear(120, 84), torch.nn.Tanh(), torch.nn.Linear(84, 10))
randomize(lenet)
cases["lenet"] = case(lenet, torch.randn(2, 1, 28, 28))

bn = torch.nn.BatchNorm2d(3)
randomize(bn)
bn.train()
steps = []
for i in range(3):
    xs = torch.randn(4, 3, 5, 2) * (i + 1) + i
    with torch.no_grad():
        bn(xs)
    steps.append({"x": arr(xs), "running_mean": arr(bn.running_mean), "running_var": arr(bn.running_var)})
init_state = {k: arr(v) for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
bn_train = case(bn, torch.randn(4, 3, 5, 2) * 3 - 1)
bn_train["state_before"] = init_state
bn_train["steps"] = steps
bn_train["running_after"] = {"running_mean": arr(bn.running_mean), "running_var": arr(bn.running_var)}
cases["batchnorm_train"] = bn_train
bn.eval()
cases["batchnorm_eval"] = case(bn, torch.randn(4, 3, 5, 2) * 2 + 0.5)

with open("nn/testdata/torch_nn.json", "w") as f:
    json.dump({"torch": torch.__version__, "cases": cases}, f)
