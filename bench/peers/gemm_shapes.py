#!/usr/bin/env python3
"""Times in PyTorch the float32 products of one W9 and one W8 training step,
the list of internal/gemm/shapes_bench_test.go (BenchmarkW9Shapes and
BenchmarkW8Shapes; keep the two in step), with the same transposes.

A row's count products are timed as PyTorch would run them: one batched
torch.matmul over a [count, ...] stack (transposed operands are views, as
in the Go benchmark's in-place reads), or one product when count is 1.
Accumulating weight gradients (beta1) are a batched product summed over
the stack. Prints one line per row: name, median ms, GFLOP/s; then the
sum over the rows of the step as it is now (old rows left out).

Usage: OMP_NUM_THREADS=2 /usr/bin/python3 bench/peers/gemm_shapes.py
"""
import os
import statistics
import time

import torch

# name, tA, tB, m, n, k, count, beta1, old (not in the step as it is now)
W9 = [
    ("proj_xW_128x256x256", False, False, 128, 256, 256, 32, False, True),
    ("proj_dyWt_128x256x256", False, True, 128, 256, 256, 32, False, True),
    ("proj_xtdy_256x256x128", True, False, 256, 256, 128, 32, False, True),
    ("attn_qkt_128x128x64", False, True, 128, 128, 64, 64, False, False),
    ("attn_pv_128x64x128", False, False, 128, 64, 128, 64, False, False),
    ("attn_ptdo_128x64x128", True, False, 128, 64, 128, 64, False, False),
    ("ffn1_xW_128x1024x256", False, False, 128, 1024, 256, 8, False, True),
    ("ffn2_xW_128x256x1024", False, False, 128, 256, 1024, 8, False, True),
    ("ffn2_dyWt_128x1024x256", False, True, 128, 1024, 256, 8, False, True),
    ("ffn1_dyWt_128x256x1024", False, True, 128, 256, 1024, 8, False, True),
    ("ffn1_xtdy_256x1024x128", True, False, 256, 1024, 128, 8, False, True),
    ("ffn2_xtdy_1024x256x128", True, False, 1024, 256, 128, 8, False, True),
    ("fold_proj_xW_1024x256x256", False, False, 1024, 256, 256, 4, False, False),
    ("fold_proj_dyWt_1024x256x256", False, True, 1024, 256, 256, 4, False, False),
    ("fold_proj_xtdy_256x256x1024", True, False, 256, 256, 1024, 4, False, False),
    ("fold_ffn1_xW_1024x1024x256", False, False, 1024, 1024, 256, 1, False, False),
    ("fold_ffn2_xW_1024x256x1024", False, False, 1024, 256, 1024, 1, False, False),
    ("fold_ffn2_dyWt_1024x1024x256", False, True, 1024, 1024, 256, 1, False, False),
    ("fold_ffn1_dyWt_1024x256x1024", False, True, 1024, 256, 1024, 1, False, False),
    ("fold_ffn1_xtdy_256x1024x1024", True, False, 256, 1024, 1024, 1, False, False),
    ("fold_ffn2_xtdy_1024x256x1024", True, False, 1024, 256, 1024, 1, False, False),
]
W8 = [
    ("conv1_fwd_6x576x25", False, False, 6, 576, 25, 64, False, False),
    ("conv2_fwd_16x64x150", False, False, 16, 64, 150, 64, False, False),
    ("conv1_dw_25x6x576", False, True, 25, 6, 576, 64, True, False),
    ("conv2_dw_150x16x64", False, True, 150, 16, 64, 64, True, False),
    ("conv2_dx_150x64x16", True, False, 150, 64, 16, 64, False, False),
    ("fc1_xW_64x120x256", False, False, 64, 120, 256, 1, False, False),
    ("fc2_xW_64x84x120", False, False, 64, 84, 120, 1, False, False),
    ("fc3_xW_64x10x84", False, False, 64, 10, 84, 1, False, False),
    ("fc1_dyWt_64x256x120", False, True, 64, 256, 120, 1, False, False),
    ("fc2_dyWt_64x120x84", False, True, 64, 120, 84, 1, False, False),
    ("fc3_dyWt_64x84x10", False, True, 64, 84, 10, 1, False, False),
    ("fc1_xtdy_256x120x64", True, False, 256, 120, 64, 1, False, False),
    ("fc2_xtdy_120x84x64", True, False, 120, 84, 64, 1, False, False),
    ("fc3_xtdy_84x10x64", True, False, 84, 10, 64, 1, False, False),
    ("fold_conv1_fwd_36864x6x25", False, True, 36864, 6, 25, 1, False, True),
    ("fold_conv2_fwd_4096x16x150", False, True, 4096, 16, 150, 1, False, True),
    ("fold_conv1_dw_6x25x36864", True, False, 6, 25, 36864, 1, False, True),
    ("fold_conv2_dw_16x150x4096", True, False, 16, 150, 4096, 1, False, True),
    ("fold_conv2_dx_4096x150x16", False, False, 4096, 150, 16, 1, False, True),
]


def operands(tA, tB, m, n, k, count):
    g = torch.Generator().manual_seed(1)
    lead = [count] if count > 1 else []
    a = torch.rand(lead + ([k, m] if tA else [m, k]), generator=g) - 0.5
    b = torch.rand(lead + ([n, k] if tB else [k, n]), generator=g) - 0.5
    return (a.transpose(-1, -2) if tA else a), (b.transpose(-1, -2) if tB else b)


def time_row(row, budget=0.3):
    name, tA, tB, m, n, k, count, beta1, _ = row
    a, b = operands(tA, tB, m, n, k, count)
    f = (lambda: torch.matmul(a, b).sum(0)) if beta1 else (lambda: torch.matmul(a, b))
    for _ in range(3):
        f()
    reps = []
    deadline = time.perf_counter() + budget
    while len(reps) < 5 or (time.perf_counter() < deadline and len(reps) < 2000):
        t0 = time.perf_counter()
        f()
        reps.append(time.perf_counter() - t0)
    med = statistics.median(reps)
    return med, 2.0 * m * n * k * count / med / 1e9


def main():
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads")
    for title, rows in (("W9", W9), ("W8", W8)):
        step = 0.0
        for row in rows:
            med, gf = time_row(row)
            if not row[8]:
                step += med
            print(f"{title} {row[0]:32s} {med * 1e3:9.4f} ms {gf:8.1f} GFLOP/s")
        print(f"{title} {'step (rows not old)':32s} {step * 1e3:9.4f} ms")


if __name__ == "__main__":
    main()
