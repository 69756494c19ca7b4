#!/usr/bin/env python3
"""Times charlm's training step in PyTorch, for the tokens/s comparison.

The same model as examples/charlm (token and position embeddings, pre-LN
blocks of causal nn.MultiheadAttention and a 4x GELU MLP, final LayerNorm,
linear head; float32) and the same step: cross-entropy, backward, gradient
clipping to norm 1, AdamW. Random token windows stand in for the data
(the step's cost does not depend on them). Defaults are charlm's:

    /usr/bin/python3 examples/charlm/torch_step.py [--embed 64 --layers 2 --heads 4 --context 128 --batch 8]

Prints the median tokens per second over --steps steps after --warmup
untimed ones, with torch.set_num_threads(--threads) (2 by default, the
machine the README's numbers come from). Written for PyTorch 1.13.
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, e, h):
        super().__init__()
        self.ln1 = nn.LayerNorm(e)
        self.attn = nn.MultiheadAttention(e, h, batch_first=True)
        self.ln2 = nn.LayerNorm(e)
        self.mlp = nn.Sequential(nn.Linear(e, 4 * e), nn.GELU(), nn.Linear(4 * e, e))

    def forward(self, x, mask):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.ln2(x))


class Model(nn.Module):
    def __init__(self, v, e, h, layers, t):
        super().__init__()
        self.tok = nn.Embedding(v, e)
        self.pos = nn.Embedding(t, e)
        self.blocks = nn.ModuleList(Block(e, h) for _ in range(layers))
        self.ln_f = nn.LayerNorm(e)
        self.head = nn.Linear(e, v)

    def forward(self, x):
        t = x.shape[1]
        mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        h = self.tok(x) + self.pos(torch.arange(t))
        for b in self.blocks:
            h = b(h, mask)
        return self.head(self.ln_f(h))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--embed", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--context", type=int, default=128)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    v = 98
    m = Model(v, a.embed, a.heads, a.layers, a.context)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=0.01)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for i in range(a.warmup + a.steps):
        x = torch.randint(v, (a.batch, a.context + 1))
        t0 = time.perf_counter()
        logits = m(x[:, :-1])
        loss = loss_fn(logits.reshape(-1, v), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t0)
    tok = a.batch * a.context
    med = statistics.median(times)
    print("pytorch %s: %d threads, batch %d x context %d, embed %d, %d layers: median step %.1f ms, %.0f tokens/s"
          % (torch.__version__, a.threads, a.batch, a.context, a.embed, a.layers, 1e3 * med, tok / med))


if __name__ == "__main__":
    main()
