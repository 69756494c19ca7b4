"""Generates the reference models and data of package onnx's import tests.

Run with PyTorch 1.13 from the repository root:

    /usr/bin/python3 testdata/onnx/import/gen.py

For each model (an MLP, a CNN and a norm-first transformer encoder layer
with GELU), dtype (float32, float64) and opset (17, and 13 for float32), it
writes NAME.onnx with torch.onnx.export (evaluation mode) and NAME.json
holding seeded inputs x, PyTorch's output y, a seeded cotangent r, and the
gradients of the loss sum(y * r) with respect to x and to every parameter,
keyed by the parameter's dotted PyTorch name (the initializer's name in the
file). Models are exported with do_constant_folding=False so that the
initializers keep the PyTorch names (constant folding would pre-transpose
some weights under generated names); mlp_f32_fold.onnx is exported with
folding on to cover that form too.

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


def transformer():
    return nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0,
                                      activation="gelu", batch_first=True, norm_first=True)


MODELS = {
    # name: (constructor, input shape, dynamic batch axis)
    "mlp": (mlp, (5, 4)),
    "cnn": (CNN, (2, 2, 12, 12)),
    "transformer": (transformer, (2, 5, 8)),
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
    m.eval()
    x = torch.randn(shape, generator=g, dtype=torch.float64)
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
    mode = torch.onnx.TrainingMode.PRESERVE if preserve else torch.onnx.TrainingMode.EVAL
    torch.onnx.export(m, (x,), path, opset_version=opset, do_constant_folding=fold, training=mode,
                      input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})


def main():
    for name in MODELS:
        for dtype, opsets in ((torch.float32, (17, 13)), (torch.float64, (17,))):
            m, x, g = build(name, dtype)
            ref = reference(m, x, g)
            tag = "f32" if dtype == torch.float32 else "f64"
            for opset in opsets:
                export(m, x, os.path.join(HERE, f"{name}_{tag}_op{opset}.onnx"), opset)
            with open(os.path.join(HERE, f"{name}_{tag}.json"), "w") as f:
                json.dump(ref, f)
            if dtype == torch.float32 and name != "mlp":
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
