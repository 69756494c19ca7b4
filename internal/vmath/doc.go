// Package vmath holds faster elementwise versions of the transcendental
// functions that dominate neural-network workloads (exp, tanh, sigmoid,
// erfc and GELU),
// for float64 scalars and for float64 and float32 slices.
//
// Exp is a Cody–Waite reduction and a degree-13 polynomial; Tanh and
// Sigmoid build on it. They stay within 2 ulps of package math (the tests
// measure the error in ulps over the whole range, special values included)
// and cost less (BenchmarkScalar: Exp two thirds of math.Exp, Sigmoid three
// quarters of its math.Exp form, Tanh nine tenths of math.Tanh).
// Float32 slices are computed in float64 and rounded once, so each element
// is within one float32 ulp of the correctly rounded result; float32 tanh
// is a rational approximation fitted for the purpose (fit_tanh32.py), about
// three times cheaper again, as it needs no exponential.
//
// Erfc is fdlibm's method with this package's Exp (within 5 ulps of
// math.Erfc, measured 4); GELU and its derivative build on it, the
// float32 derivative on a rational erfcx fitted for the purpose
// (fit_erfcx32.py) that shares its one exponential with φ. On standard
// normal inputs the float32 slice kernels cost about half (GELU) and two
// fifths (its derivative) of the same loops with math.Erf.
package vmath
