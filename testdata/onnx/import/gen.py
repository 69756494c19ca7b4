"""Generates the reference models and data of package onnx's import tests.

Run with PyTorch 1.13 from the repository root:

    /usr/bin/python3 testdata/onnx/import/gen.py

For each model (an MLP; a CNN with convolutions of stride, padding,
dilation and groups, batch normalization, max, average and global average
pooling, in 2-d and in 1-d; a norm-first transformer encoder layer with GELU; the same with a
causal and a padding mask; an MLP with two equal biases, which export
stores once), dtype (float32, float64) and opset (17, and 14
and 13 for float32; before 17 LayerNormalization is decomposed), it writes
NAME_DTYPE_opN.onnx with torch.onnx.export of the model in evaluation mode,
and NAME_DTYPE.json holding seeded inputs x, PyTorch's output y, a seeded
cotangent r, and the gradients of the loss sum(y * r) with respect to x and
to every parameter, keyed by the parameter's dotted PyTorch name.

These files are exported with training=TrainingMode.PRESERVE and
do_constant_folding=False so that every initializer keeps its PyTorch name
(by default, export fuses BatchNorm2d into the preceding Conv and
pre-transposes weights, under generated names such as onnx::Conv_35).
NAME_f32_default.onnx is the default export, to cover that form too; the
tests compare its output and input gradient only.

mlp_sgd.json holds a fine-tuning trajectory of the float64 MLP: the
parameters after each of three steps of torch.optim.SGD (lr 0.1, momentum
0.9) on the mean squared error against a seeded target.
"""
import json
import os

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


def arr(t):
    t = t.detach()
    return {"shape": list(t.shape), "data": t.reshape(-1).double().tolist()}


def mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(),
                         nn.Linear(8, 8), nn.Sigmoid(), nn.Linear(8, 3))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)
        self.bn2 = nn.BatchNorm2d(6)
        self.pool2 = nn.AvgPool2d(2, stride=1)
        self.conv3 = nn.Conv2d(6, 6, 1, bias=False)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(6 + 6 * 2 * 2, 5)

    def forward(self, x):
        x = self.pool1(torch.relu(self.bn1(self.conv1(x))))
        x = self.pool2(torch.tanh(self.bn2(self.conv2(x))))
        g = self.gap(self.conv3(x)).flatten(1)
        return self.fc(torch.cat([g, torch.flatten(x, 1)], 1))


class CNN1d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(3, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm1d(4)
        self.pool1 = nn.MaxPool1d(3, stride=2, ceil_mode=True)
        self.conv2 = nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)
        self.pool2 = nn.AvgPool1d(2)
        self.fc = nn.Linear(6 * 2, 3)

    def forward(self, x):
        x = self.pool1(torch.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(self.pool2(torch.tanh(self.conv2(x))), 1))


def transformer():
    return nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0,
                                      activation="gelu", batch_first=True, norm_first=True)


class Masked(nn.Module):
    """The transformer block with a causal mask and a key padding mask
    computed from the input (a position of zeros is padding): the masks
    export as Range, Greater, Equal, Expand, Or, Where and ConstantOfShape."""

    def __init__(self):
        super().__init__()
        self.layer = transformer()

    def forward(self, x):
        i = torch.arange(x.shape[1], device=x.device)
        causal = i[None, :] > i[:, None]
        pad = x.abs().sum(-1) == 0
        return self.layer(x, src_mask=causal, src_key_padding_mask=pad)


def tied():
    """An MLP whose two hidden biases are equal (set in build): export stores
    them once, the second as an Identity node named 2.bias."""
    return nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 6), nn.LayerNorm(6))


MODELS = {
    # name: (constructor, input shape, dynamic batch axis)
    "mlp": (mlp, (5, 4)),
    "cnn": (CNN, (2, 2, 12, 12)),
    "cnn1d": (CNN1d, (2, 3, 16)),
    "transformer": (transformer, (2, 5, 8)),
    "masked": (Masked, (2, 5, 8)),
    "tied": (tied, (3, 4)),
}


def randomize(m, g):
    with torch.no_grad():
        for _, p in m.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64) * 0.5)
        for name, b in m.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=g, dtype=torch.float64) * 0.3)
            elif name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=g, dtype=torch.float64) + 0.5)


def build(name, dtype):
    ctor, shape = MODELS[name]
    g = torch.Generator().manual_seed(16)
    m = ctor().double()
    randomize(m, g)
    # ONNX stores a normalization's epsilon as a float32 attribute; use
    # that rounded value here too, so that the float64 references test the
    # importer rather than the rounding (on the padding row of "masked",
    # whose variance is 0, the rounding alone changes the gradient by 1e-8).
    for mod in m.modules():
        if isinstance(mod, (nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d)):
            mod.eps = torch.tensor(mod.eps, dtype=torch.float32).item()
    m.eval()
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    if name == "tied":
        with torch.no_grad():
            m[2].bias.copy_(m[0].bias)
    if name == "masked":
        x[1, -1] = 0  # the last position of the second sequence is padding
    return m.to(dtype), x.to(dtype), g


def reference(m, x, g):
    x = x.clone().requires_grad_(True)
    y = m(x)
    r = torch.randn(y.shape, generator=g, dtype=torch.float64).to(y.dtype)
    m.zero_grad()
    (y * r).sum().backward()
    grads = {k: arr(p.grad) for k, p in m.named_parameters()}
    grads["x"] = arr(x.grad)
    return {"x": arr(x), "y": arr(y), "r": arr(r), "grads": grads,
            "buffers": {k: arr(b) for k, b in m.named_buffers() if "num_batches" not in k}}


def export(m, x, path, opset, fold=False, preserve=True):
    axes = {0: "batch", 1: "seq"} if isinstance(m, Masked) else {0: "batch"}
    mode = torch.onnx.TrainingMode.PRESERVE if preserve else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(m, (x,), path, opset_version=opset, do_constant_folding=fold, training=mode,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": axes, "y": axes})


def main():
    for name in MODELS:
        for dtype, opsets in ((torch.float32, (17, 14, 13)), (torch.float64, (17,))):
            m, x, g = build(name, dtype)
            ref = reference(m, x, g)
            tag = "f32" if dtype == torch.float32 else "f64"
            if name in ("masked", "tied", "cnn1d"):
                opsets = (17,)  # the op13 and default forms add nothing new
            for opset in opsets:
                export(m, x, os.path.join(HERE, f"{name}_{tag}_op{opset}.onnx"), opset)
            with open(os.path.join(HERE, f"{name}_{tag}.json"), "w") as f:
                json.dump(ref, f)
            if dtype == torch.float32 and name in ("cnn", "transformer"):
                # PyTorch's default export: BatchNormalization fused into
                # Conv, weights pre-transposed, under generated names.
                export(m, x, os.path.join(HERE, f"{name}_{tag}_default.onnx"), 17, fold=True, preserve=False)

    # Fine-tuning trajectory: SGD with momentum on the float64 MLP.
    m, x, g = build("mlp", torch.float64)
    target = torch.randn(5, 3, generator=g, dtype=torch.float64)
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    steps = []
    for _ in range(3):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(m(x), target)
        loss.backward()
        opt.step()
        steps.append({"loss": loss.item(), "params": {k: arr(p) for k, p in m.named_parameters()}})
    with open(os.path.join(HERE, "mlp_sgd.json"), "w") as f:
        json.dump({"x": arr(x), "target": arr(target), "lr": 0.1, "momentum": 0.9, "steps": steps}, f)


if __name__ == "__main__":
    main()
