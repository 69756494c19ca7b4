// Package vmath holds faster elementwise versions of the transcendental
// functions that dominate neural-network workloads (exp, tanh, sigmoid,
// erfc, GELU in both forms, SiLU, and softmax rows), for float64 scalars
// and for float64 and float32 slices.
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
//
// # Float32 kernels in assembly
//
// On amd64 CPUs with AVX2 and FMA (detected at run time; the purego build
// tag turns it off) ExpTo, GELUTo, GELUGradTo, GELUTanhTo, GELUTanhGradTo
// and SoftmaxTo on float32 slices
// run assembly kernels that compute in float32, 8 lanes an iteration,
// without branches:
//
//   - exp: Cody–Waite reduction with a two-part ln 2, a degree-6 minimax
//     polynomial (fit_exp32.py, 3·10⁻⁹ relative), and 2ᵏ applied as two
//     normal scales so that subnormal results round once: within one ulp
//     (measured 0.97), 0 below -103.97, +Inf above 88.72;
//   - GELU and its derivative share Φ(-|x|) = ½e^(-x²/2)·erfcx(|x|/√2),
//     the erfcx rational of phi32 (1.7·10⁻⁸ relative up to 10.5), x²
//     split exactly into hi + lo with an FMA so that the exponent carries
//     no rounding error, and e^(-x²/2) scaled by 2⁶⁴ so that the left tail
//     stays normal until the final product. GELU is within 8 ulps
//     (measured 5.3) and its derivative within 6 ulps of the larger of
//     Φ(x) and x·φ(x) (measured 3.9), over every 499th float32 (tests
//     TestSlices32 and TestSlices32Special, which also check ±0, ±Inf, NaN,
//     the limits and that a result does not depend on its position);
//   - GELU's tanh form as x·σ(2u), σ(±|2u|) from one exp of -|2u| (no
//     overflow, no cancellation of 1 + tanh u): within 4 + 2.5·|2u| ulps,
//     u's rounding amplified by the exp (TestGELUTanhAsm);
//   - SoftmaxTo: the row's maximum, exp(x - max) with its sum, and the
//     scaling, each one vector pass.
//
// Where the processor also has AVX-512 F, GELUTo and GELUGradTo run the
// same operations on 16 lanes an iteration (opmask blends in place of the
// sign blends), which gives the same results bit for bit
// (TestGELU512MatchesAVX2) in about 0.6 of the time.
//
// The layer-norm row kernels (Sum32, SqDev32, DotDev32, Normalize32,
// NormGrad32) read float32 rows and compute in float64: with AVX2 the
// sums run in four registers of four lanes (then pairwise) and the
// elementwise results are rounded once from the same float64 operations
// as the Go loops, which they match bit for bit (TestRows32).
//
// Elsewhere the float32 kernels are computed in float64 and rounded once.
// An element's result never depends on its position in the slice (the
// last len mod 8 elements go through a padded buffer), so that package
// ad's fused blocks, which cut a tensor anywhere, agree bit for bit with
// its eager kernels (TestExpTo32Kernel).
package vmath
