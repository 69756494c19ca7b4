#!/usr/bin/env python3
"""Fits the rational approximation of tanh used by tanh32 in tanh.go.

tanh(x) ~ x * P(x^2) / Q(x^2) on [0, 9], P and Q of degree 4 with Q(0) = 1,
minimizing the maximum relative error by Lawson's iteratively reweighted
least squares (each pass solves the linearized P - f*(Q - 1) = f with
weights raised where the error is large). Beyond 9, tanh rounds to 1 in
float32. Prints the coefficients and the maximum relative error on a dense
grid (about 2.1e-8, a third of float32's half ulp). Needs numpy.
"""
import numpy as np

X = 9.0
x = np.concatenate([np.linspace(1e-6, 1, 4000), np.linspace(1, X, 8000)])
t = x * x
f = np.tanh(x) / x
dp = dq = 4
w = np.ones_like(x)
for _ in range(200):
    A = np.hstack([np.vstack([t**i for i in range(dp + 1)]).T,
                   -(f[:, None]) * np.vstack([t**i for i in range(1, dq + 1)]).T])
    sw = np.sqrt(w)[:, None]
    c, *_ = np.linalg.lstsq(A * sw, f * sw[:, 0], rcond=None)
    p, q = c[:dp + 1], np.concatenate([[1], c[dp + 1:]])
    err = (x * np.polyval(p[::-1], t) / np.polyval(q[::-1], t) - np.tanh(x)) / np.tanh(x)
    w = np.maximum(w * np.abs(err) / np.sum(w * np.abs(err)) * len(x), 1e-300)

xx = np.linspace(0, X, 2000001)[1:]
approx = xx * np.polyval(p[::-1], xx * xx) / np.polyval(q[::-1], xx * xx)
print("max relative error %.3g" % np.max(np.abs(approx - np.tanh(xx)) / np.tanh(xx)))
print("P:", ", ".join("%.17g" % v for v in p))
print("Q:", ", ".join("%.17g" % v for v in q))
