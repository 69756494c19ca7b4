#!/usr/bin/env python3
"""Fits the polynomial of exp32 (exp32.go): e^r ~ 1 + r + r^2 P(r) on
[-ln2/2, ln2/2], P of degree DEG-2, minimizing the maximum relative error
by Lawson's iteratively reweighted least squares (as fit_tanh32.py), with
the reference e^r from numpy in float64 (its error, 1e-16, is far below
the fit's). Fixing the first two coefficients at 1 keeps e^r exact at 0
and its error relative. Prints the coefficients and the maximum relative
error on a dense grid (degree 6: about 2e-9, a thirtieth of float32's half
ulp). Needs numpy.
"""
import numpy as np

DEG = 6
h = np.log(2) / 2
x = np.linspace(-h, h, 20001)
f = np.exp(x)
g = f - 1 - x  # fitted as r^2 * P(r)
w = np.ones_like(x)
for _ in range(200):
    M = np.vstack([x**i for i in range(2, DEG + 1)]).T / f[:, None]
    sw = np.sqrt(w)[:, None]
    c, *_ = np.linalg.lstsq(M * sw, g / f * sw[:, 0], rcond=None)
    err = (1 + x + M @ c * f - f) / f
    w = np.maximum(w * np.abs(err) / np.sum(w * np.abs(err)) * len(x), 1e-300)

xx = np.linspace(-h, h, 2000001)
approx = 1 + xx + sum(c[i] * xx**(i + 2) for i in range(len(c)))
print("max relative error %.3g" % np.max(np.abs(approx - np.exp(xx)) / np.exp(xx)))
print("coefficients of r^2..r^%d:" % DEG, ", ".join("%.9g" % v for v in c))
print("as float32:", ", ".join(repr(float(np.float32(v))) for v in c))
