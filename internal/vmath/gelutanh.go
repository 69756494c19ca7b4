package vmath

// Constants of GELU's tanh approximation (PyTorch's, Hendrycks & Gimpel).
const (
	sqrt2OverPi = 0.7978845608028654 // √(2/π)
	geluCubic   = 0.044715
)

// GELUTanh returns the tanh approximation of GELU, ½x(1 + tanh u) with
// u = √(2/π)(x + 0.044715x³) (PyTorch's F.gelu with approximate='tanh'),
// from Tanh: within a few ulps of the formula with math.Tanh, NaN at -Inf
// (-Inf·0, as the formula).
func GELUTanh(x float64) float64 {
	return 0.5 * x * (1 + Tanh(sqrt2OverPi*(x+geluCubic*x*x*x)))
}

// GELUTanhGrad returns GELUTanh's derivative ½(1+t) + ½x(1-t²)·u' with
// t = tanh u and u' = √(2/π)(1 + 3·0.044715x²).
func GELUTanhGrad(x float64) float64 {
	t := Tanh(sqrt2OverPi * (x + geluCubic*x*x*x))
	du := sqrt2OverPi * (1 + 3*geluCubic*x*x)
	return 0.5*(1+t) + 0.5*x*(1-t*t)*du
}

// GELUTanhTo sets dst[i] = GELUTanh(src[i]) for each i and returns dst.
// Float32 elements come from the AVX2/FMA kernel where the CPU has it,
// x·σ(2u) with one exp and no cancellation: within 4 + 2.5·|2u| float32
// ulps of that form (14 while |x| < 2.1; u's rounding is amplified |2u|
// times), also in the left tail where 1 + tanh u cancels to 0 in float64.
// Otherwise they use tanhTo32's rational tanh in float64 and are
// rounded once: within one float32 ulp of the formula plus 1.6·10⁻⁸·|x|
// absolute (the rational tanh's error or, beyond |u| = 9, 1 - tanh 9,
// times ½|x|: in the left tail 1 + tanh u cancels). It panics if dst is
// shorter than src.
func GELUTanhTo[T Float](dst, src []T) []T {
	if d, ok := any(dst).([]float32); ok && geluTanh32(d, any(src).([]float32)) {
		return dst[:len(src)]
	}
	f64 := func(z, x []float64) {
		for i, v := range x {
			z[i] = GELUTanh(v)
		}
	}
	return blocks(dst, src, f64, func(z, x []float64) {
		for i, v := range x {
			t := tanh32(sqrt2OverPi * (v + geluCubic*v*v*v))
			z[i] = 0.5 * v * (1 + t)
		}
	})
}

// GELUTanhGradTo sets dst[i] = GELUTanhGrad(src[i]) for each i and
// returns dst, float32 elements as in GELUTanhTo: with the assembly,
// σ(2u) + x·σ(2u)σ(-2u)·2u' within 4 + 2.5·|2u| ulps of the larger term;
// otherwise within one float32 ulp
// plus 3.1·10⁻⁸(½ + |x·u'|) absolute. It panics if dst is shorter than src.
func GELUTanhGradTo[T Float](dst, src []T) []T {
	if d, ok := any(dst).([]float32); ok && geluTanhGrad32(d, any(src).([]float32)) {
		return dst[:len(src)]
	}
	f64 := func(z, x []float64) {
		for i, v := range x {
			z[i] = GELUTanhGrad(v)
		}
	}
	return blocks(dst, src, f64, func(z, x []float64) {
		for i, v := range x {
			t := tanh32(sqrt2OverPi * (v + geluCubic*v*v*v))
			du := sqrt2OverPi * (1 + 3*geluCubic*v*v)
			z[i] = 0.5*(1+t) + 0.5*v*(1-t*t)*du
		}
	})
}
