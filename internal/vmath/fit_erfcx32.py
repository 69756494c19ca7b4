#!/usr/bin/env python3
"""Fits the rational approximation of erfcx used by phi32 in erf.go.

erfcx(a) = exp(a^2) * erfc(a) ~ P(a) / Q(a) on [0, 10], P of degree 4 and
Q of degree 5 with Q(0) = 1, minimizing the maximum relative error by
Lawson's iteratively reweighted least squares (as fit_tanh32.py). Beyond
a = 10, exp(-a^2) makes Phi underflow float32. Prints the coefficients, the
roots of Q (none may lie on [0, 10]) and the maximum relative error on a
dense grid (about 5.6e-9, a fifth of float32's half ulp). Needs numpy and
scipy (scipy.special.erfcx is the reference).
"""
import numpy as np
from scipy.special import erfcx

A = 10.0
x = np.concatenate([np.linspace(0, 1, 4000), np.linspace(1, A, 12000)])
f = erfcx(x)
dp, dq = 4, 5
w = np.ones_like(x)
for _ in range(300):
    M = np.hstack([np.vstack([x**i for i in range(dp + 1)]).T,
                   -(f[:, None]) * np.vstack([x**i for i in range(1, dq + 1)]).T])
    sw = np.sqrt(w)[:, None]
    c, *_ = np.linalg.lstsq(M * sw, f * sw[:, 0], rcond=None)
    p, q = c[:dp + 1], np.concatenate([[1], c[dp + 1:]])
    err = (np.polyval(p[::-1], x) / np.polyval(q[::-1], x) - f) / f
    w = np.maximum(w * np.abs(err) / np.sum(w * np.abs(err)) * len(x), 1e-300)

xx = np.linspace(0, A, 2000001)
approx = np.polyval(p[::-1], xx) / np.polyval(q[::-1], xx)
print("max relative error %.3g" % np.max(np.abs(approx - erfcx(xx)) / erfcx(xx)))
print("roots of Q:", np.roots(q[::-1]))
print("P:", ", ".join("%.17g" % v for v in p))
print("Q:", ", ".join("%.17g" % v for v in q))
