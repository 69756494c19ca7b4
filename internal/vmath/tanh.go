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

// The rational tanh of tanhTo32 and tanh32 (fit_tanh32.py).
const (
	tp0 = 0.99999997945290708
	tp1 = 0.13381011363679127
	tp2 = 0.0034955708643085266
	tp3 = 2.0608785362730229e-05
	tp4 = 1.3354228889372877e-08
	tq1 = 0.46714326957750674
	tq2 = 0.025876917345783741
	tq3 = 0.00032856060223057534
	tq4 = 7.7763854819737355e-07
)

// tanhTo32 is TanhTo for results to be rounded to float32: x·P(x²)/Q(x²),
// a rational approximation of degree 4 over 4 fitted for minimal relative
// error on [0, 9] by fit_tanh32.py (beside this file), within 2.1·10⁻⁸ of
// tanh: a third of float32's half ulp. Beyond 9 it is ±1, within a float32
// ulp (tanh rounds to ±1 from 9.01). No exponential and no cancellation.
// The loop body is written
// out rather than calling a function: a call would pass each widened
// element in the register that holds the previous result, and the
// conversion's merge into it would chain every element to the one before.
func tanhTo32[T Float](dst, src []T) {
	dst = dst[:len(src)]
	for i, v := range src {
		x := float64(v)
		switch {
		case x > 9:
			dst[i] = 1 // also +Inf
		case x < -9:
			dst[i] = -1
		default:
			t := x * x
			t2 := t * t
			p := (tp0 + t*tp1) + t2*((tp2+t*tp3)+t2*tp4)
			q := (1 + t*tq1) + t2*((tq2+t*tq3)+t2*tq4)
			dst[i] = T(x * p / q) // NaN stays NaN
		}
	}
}

// tanh32 is tanhTo32's function of one element, for loops over float64
// buffers (see blocks): the rational form for |x| ≤ 9 and ±1 beyond (NaN
// stays NaN).
func tanh32(x float64) float64 {
	switch {
	case x > 9:
		return 1 // also +Inf
	case x < -9:
		return -1
	}
	t := x * x
	t2 := t * t
	p := (tp0 + t*tp1) + t2*((tp2+t*tp3)+t2*tp4)
	q := (1 + t*tq1) + t2*((tq2+t*tq3)+t2*tq4)
	return x * p / q
}

// SiLU returns the sigmoid linear unit x·σ(x) = x/(1+e⁻ˣ), with Exp:
// -0 or 0 where e⁻ˣ overflows, x where it underflows, NaN at -Inf
// (-Inf/Inf, as the formula).
func SiLU(x float64) float64 { return x / (1 + Exp(-x)) }

// SiLUTo sets dst[i] = SiLU(src[i]) for each i and returns dst, float32
// elements computed in float64 and rounded once. It panics if dst is
// shorter than src.
func SiLUTo[T Float](dst, src []T) []T {
	f := func(z, x []float64) {
		for i, v := range x {
			z[i] = SiLU(v)
		}
	}
	return blocks(dst, src, f, f)
}
