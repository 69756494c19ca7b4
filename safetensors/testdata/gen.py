#!/usr/bin/env python3
"""Generates the reference files read by the safetensors package's tests.

An independent producer: PyTorch 1.13 (Debian's python3-torch) makes the
tensors and their raw little-endian bytes; the container is written by hand
with struct and json, following the format's specification and the layout of
the reference implementation (huggingface/safetensors): tensors ordered by
descending dtype alignment then by name, contiguous data_offsets from 0, the
JSON header padded with spaces to a multiple of 8 bytes. (The `safetensors`
Python package is not packaged for Debian, so it is not used.)

Run from this directory:  python3 gen.py
It writes mixed.safetensors (every common dtype, a scalar, an empty tensor and
__metadata__) and mixed.json, the values as JSON numbers for the Go test
(float64 repr round-trips exactly; float32 values are exact in float64).
"""
import json
import struct
import sys

import torch

assert sys.byteorder == "little", "raw bytes below are taken in native order"

torch.manual_seed(13)

# The reference implementation's Dtype enum order, i.e. increasing alignment.
ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
         "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
NAMES = {
    torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8",
    torch.int16: "I16", torch.float16: "F16", torch.bfloat16: "BF16",
    torch.int32: "I32", torch.float32: "F32", torch.float64: "F64",
    torch.int64: "I64",
}

tensors = {
    "layer.weight": torch.randn(3, 4, dtype=torch.float64),
    "layer.bias": torch.randn(3, dtype=torch.float64),
    "emb.weight": torch.randn(5, 2, dtype=torch.float32),
    "scale": torch.tensor(2.5, dtype=torch.float32),          # a scalar, shape []
    "empty": torch.zeros(0, 3, dtype=torch.float32),          # no elements
    "half": torch.randn(2, 3).to(torch.float16),
    "bhalf": torch.randn(4).to(torch.bfloat16),
    "steps": torch.tensor([1, -2, 3_000_000_000_000], dtype=torch.int64),
    "ids": torch.tensor([[7, -8], [9, 10]], dtype=torch.int32),
    "short": torch.tensor([-300, 300], dtype=torch.int16),
    "tiny": torch.tensor([-5, 6, 7], dtype=torch.int8),
    "bytes": torch.tensor([0, 128, 255], dtype=torch.uint8),
    "mask": torch.tensor([True, False, True]),
}
metadata = {"format": "pt", "note": "written by gen.py with torch " + torch.__version__}


def raw(t):
    t = t.contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


order = sorted(tensors, key=lambda n: (-ORDER.index(NAMES[tensors[n].dtype]), n))
header = {"__metadata__": metadata}
blobs = []
offset = 0
for name in order:
    t = tensors[name]
    b = raw(t)
    header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                    "data_offsets": [offset, offset + len(b)]}
    offset += len(b)
    blobs.append(b)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open("mixed.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for b in blobs:
        f.write(b)


def values(t):
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float64)
    if t.dtype == torch.bool:
        return [bool(v) for v in t.flatten().tolist()]
    return t.flatten().tolist()


ref = {"metadata": metadata, "order": order,
       "tensors": {n: {"dtype": NAMES[t.dtype], "shape": list(t.shape), "values": values(t)}
                   for n, t in tensors.items()}}
with open("mixed.json", "w") as f:
    json.dump(ref, f, indent=1, sort_keys=True)
    f.write("\n")
