package vmath

import "math"

// Tanh returns tanh x, with the special cases of math.Tanh: Tanh(±0) = ±0,
// Tanh(±Inf) = ±1, Tanh(NaN) = NaN.
//
// For |x| ≥ 0.625 it is 1 - 2/(e^{2|x|}+1) with the sign of x, from Exp;
// there tanh ≥ 0.55, so the subtraction loses less than a bit. Below, it
// is math.Tanh's rational approximation (Cephes), which needs no
// exponential. Beyond |x| = 22, tanh x rounds to ±1.
func Tanh(x float64) float64 {
	a := math.Abs(x)
	switch {
	case a < 0.625:
		return math.Tanh(x) // the rational branch; also ±0
	case a > 22:
		return math.Copysign(1, x) // also ±Inf
	case a != a:
		return x
	}
	return math.Copysign(1-2/(Exp(2*a)+1), x)
}

// Sigmoid returns the logistic function 1/(1+e⁻ˣ), computed without
// overflow: e^x/(1+e^x) for negative x. Sigmoid(+Inf) = 1, Sigmoid(-Inf) =
// 0, Sigmoid(NaN) = NaN.
func Sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + Exp(-x))
	}
	e := Exp(x)
	return e / (1 + e)
}

// tanh32 is Tanh for a result to be rounded to float32: 1 - 2/(e^{2x}+1)
// everywhere but near 0, where it would cancel, and there x itself, whose
// relative error x²/3 is below float32's half ulp.
func tanh32(x float64) float64 {
	a := math.Abs(x)
	switch {
	case a < 1.0/8192:
		return x
	case a > 10:
		return math.Copysign(1, x) // tanh 10 rounds to 1 in float32
	}
	return 1 - 2/(Exp(2*x)+1)
}
