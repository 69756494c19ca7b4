package vmath

import "math"

// Erfc and the GELU kernels use the method and coefficients of fdlibm's
// s_erf.c (Sun Microsystems, 1993; also those of Go's math.Erfc), with this
// package's Exp in place of math.Exp: rational approximations on
// [0, 0.84375), [0.84375, 1.25), [1.25, 1/0.35) and [1/0.35, 28), the last
// two of the form erfc(x) = e^(-x²-0.5625+R(1/x²)/S(1/x²))/x.
const (
	erx        = 8.45062911510467529297e-01
	pp0        = 1.28379167095512558561e-01
	pp1        = -3.25042107247001499370e-01
	pp2        = -2.84817495755985104766e-02
	pp3        = -5.77027029648944159157e-03
	pp4        = -2.37630166566501626084e-05
	qq1        = 3.97917223959155352819e-01
	qq2        = 6.50222499887672944485e-02
	qq3        = 5.08130628187576562776e-03
	qq4        = 1.32494738004321644526e-04
	qq5        = -3.96022827877536812320e-06
	pa0        = -2.36211856075265944077e-03
	pa1        = 4.14856118683748331666e-01
	pa2        = -3.72207876035701323847e-01
	pa3        = 3.18346619901161753674e-01
	pa4        = -1.10894694282396677476e-01
	pa5        = 3.54783043256182359371e-02
	pa6        = -2.16637559486879084300e-03
	qa1        = 1.06420880400844228286e-01
	qa2        = 5.40397917702171048937e-01
	qa3        = 7.18286544141962662868e-02
	qa4        = 1.26171219808761642112e-01
	qa5        = 1.36370839120290507362e-02
	qa6        = 1.19844998467991074170e-02
	ra0        = -9.86494403484714822705e-03
	ra1        = -6.93858572707181764372e-01
	ra2        = -1.05586262253232909814e+01
	ra3        = -6.23753324503260060396e+01
	ra4        = -1.62396669462573470355e+02
	ra5        = -1.84605092906711035994e+02
	ra6        = -8.12874355063065934246e+01
	ra7        = -9.81432934416914548592e+00
	sa1        = 1.96512716674392571292e+01
	sa2        = 1.37657754143519042600e+02
	sa3        = 4.34565877475229228821e+02
	sa4        = 6.45387271733267880336e+02
	sa5        = 4.29008140027567833386e+02
	sa6        = 1.08635005541779435134e+02
	sa7        = 6.57024977031928170135e+00
	sa8        = -6.04244152148580987438e-02
	rb0        = -9.86494292470009928597e-03
	rb1        = -7.99283237680523006574e-01
	rb2        = -1.77579549177547519889e+01
	rb3        = -1.60636384855821916062e+02
	rb4        = -6.37566443368389627722e+02
	rb5        = -1.02509513161107724954e+03
	rb6        = -4.83519191608651397019e+02
	sb1        = 3.03380607434824582924e+01
	sb2        = 3.25792512996573918826e+02
	sb3        = 1.53672958608443695994e+03
	sb4        = 3.19985821950859553908e+03
	sb5        = 2.55305040643316442583e+03
	sb6        = 4.74528541206955367215e+02
	sb7        = -2.24409524465858183362e+01
	sqrt1_2    = 0.70710678118654752440 // 1/√2
	invSqrt2Pi = 0.39894228040143267794 // 1/√(2π)
)

// Erfc returns the complementary error function 1 - erf x, within a few
// ulps of math.Erfc (the tests measure it), with its special cases:
// Erfc(+Inf) = 0, Erfc(-Inf) = 2, Erfc(NaN) = NaN. Unlike 1 - math.Erf(x)
// it keeps its relative accuracy for large x, down to the underflow near
// x = 27.
func Erfc(x float64) float64 {
	a := math.Abs(x)
	switch {
	case a < 0.84375: // also ±0
		z := x * x
		r := pp0 + z*(pp1+z*(pp2+z*(pp3+z*pp4)))
		s := 1 + z*(qq1+z*(qq2+z*(qq3+z*(qq4+z*qq5))))
		y := r / s
		if x < 0.25 { // includes every negative x: 1 - erf x ≥ 1, no cancellation
			return 1 - (x + x*y)
		}
		return 0.5 - (x*y + (x - 0.5))
	case a < 1.25:
		s := a - 1
		p := pa0 + s*(pa1+s*(pa2+s*(pa3+s*(pa4+s*(pa5+s*pa6)))))
		q := 1 + s*(qa1+s*(qa2+s*(qa3+s*(qa4+s*(qa5+s*qa6)))))
		if x < 0 {
			return 1 + erx + p/q
		}
		return 1 - erx - p/q
	case a < 28:
		if x < -6 {
			return 2 // 2 - erfc(6) rounds to 2
		}
		s := 1 / (a * a)
		var r, q float64
		if a < 1/0.35 {
			r = ra0 + s*(ra1+s*(ra2+s*(ra3+s*(ra4+s*(ra5+s*(ra6+s*ra7))))))
			q = 1 + s*(sa1+s*(sa2+s*(sa3+s*(sa4+s*(sa5+s*(sa6+s*(sa7+s*sa8)))))))
		} else {
			r = rb0 + s*(rb1+s*(rb2+s*(rb3+s*(rb4+s*(rb5+s*rb6)))))
			q = 1 + s*(sb1+s*(sb2+s*(sb3+s*(sb4+s*(sb5+s*(sb6+s*sb7))))))
		}
		// -a² = -z² + (z-a)(z+a) with z the leading 32 bits of a, so
		// that z² and the exponent's main part are exact
		z := math.Float64frombits(math.Float64bits(a) & 0xffffffff00000000)
		e := Exp(-z*z-0.5625) * Exp((z-a)*(z+a)+r/q)
		if x < 0 {
			return 2 - e/a
		}
		return e / a
	case x > 0: // also +Inf
		return 0
	case x < 0:
		return 2
	}
	return x // NaN
}

// GELU returns x·Φ(x) = ½x·erfc(-x/√2), Φ the standard normal CDF: the
// Gaussian error linear unit in PyTorch's exact form, its left tail from
// erfc without cancellation.
func GELU(x float64) float64 { return 0.5 * x * Erfc(-x*sqrt1_2) }

// GELUGrad returns GELU's derivative Φ(x) + x·φ(x), φ(x) = e^(-x²/2)/√(2π).
func GELUGrad(x float64) float64 {
	return 0.5*Erfc(-x*sqrt1_2) + x*invSqrt2Pi*Exp(-0.5*x*x)
}

// GELUTo sets dst[i] = GELU(src[i]) for each i and returns dst. Float32
// elements come from the AVX2/FMA kernel where the CPU has it (amd64
// without the purego tag): within 8 float32 ulps of the correctly rounded
// result everywhere, subnormal results in units of the smallest subnormal
// (measured 5.3, in the left tail near x = -11; see the package doc);
// GELU(x) = x from x = 6, -0 from x = -14.5 down, NaN at -Inf as x·Φ(x).
// Otherwise float32 elements are computed in float64 and rounded once
// (within one ulp). It panics if dst is shorter than src.
func GELUTo[T Float](dst, src []T) []T {
	if d, ok := any(dst).([]float32); ok && gelu32(d, any(src).([]float32)) {
		return dst[:len(src)]
	}
	f := func(z, x []float64) {
		for i, v := range x {
			z[i] = GELU(v)
		}
	}
	return blocks(dst, src, f, f)
}

// GELUGradTo sets dst[i] = GELUGrad(src[i]) for each i and returns dst.
// Float32 elements come from the AVX2/FMA kernel where the CPU has it:
// within 6 float32 ulps of the correctly rounded result or of the larger
// of the terms Φ(x) and x·φ(x), which cancel near the derivative's zero at
// x ≈ -0.75 (measured 3.9); 1 from x = 6, 0 from x = -14.6 down, NaN at
// ±Inf as Φ(x) + x·φ(x). Otherwise they come from phi32, computed in
// float64 and rounded once: within one float32 ulp of the correctly
// rounded result, or a quarter ulp of the larger term. It panics if dst
// is shorter than src.
func GELUGradTo[T Float](dst, src []T) []T {
	if d, ok := any(dst).([]float32); ok && geluGrad32(d, any(src).([]float32)) {
		return dst[:len(src)]
	}
	return blocks(dst, src, func(z, x []float64) {
		for i, v := range x {
			z[i] = GELUGrad(v)
		}
	}, func(z, x []float64) {
		for i, v := range x {
			p, e := phi32(v)
			z[i] = p + v*invSqrt2Pi*e
		}
	})
}

// phi32 returns Φ(x) and e^(-x²/2) to a relative accuracy of 6·10⁻⁹,
// enough for results rounded to float32, with one exponential and one
// division: Φ(-|x|) = ½erfc(a) = ½e^(-a²)·erfcx(a), a = |x|/√2, with the
// scaled complementary error function erfcx(a) = e^(a²)erfc(a) (smooth,
// from 1 at 0 down like 1/(a√π)) a rational function of degree 4 over 5
// fitted for minimal relative error on [0, 10] by fit_erfcx32.py (beside
// this file); Φ(|x|) = 1 - Φ(-|x|). Beyond a = 10 (|x| > 14.1) e^(-a²)
// makes Φ(-|x|) underflow float32's range, and a is clamped there. For
// float32 x, x² is exact in float64, so e^(-x²/2) has no argument error.
func phi32(x float64) (phi, e float64) {
	const (
		p0 = 1.000000005620387
		p1 = 1.2375839021067052
		p2 = 0.73073842755427276
		p3 = 0.22880612310947129
		p4 = 0.032709880065225488
		q1 = 2.3659636373863133
		q2 = 2.4004333155114232
		q3 = 1.3237525171535873
		q4 = 0.40557510892119297
		q5 = 0.057976039554418872
	)
	a := min(math.Abs(x)*sqrt1_2, 10) // NaN stays NaN
	e = Exp(-0.5 * x * x)
	a2 := a * a
	p := (p0 + a*p1) + a2*((p2+a*p3)+a2*p4)
	q := (1 + a*q1) + a2*((q2+a*q3)+a2*(q4+a*q5))
	phi = 0.5 * e * (p / q)
	if x > 0 {
		phi = 1 - phi
	}
	return phi, e
}

// blocks applies the float64 loop f64 to float64 slices in place, and
// f32 to float32 ones through a float64 buffer. The buffer keeps the
// widening out of the loop that calls Exp: there a conversion merges into
// the register that held the previous element's result, and would chain
// every element to the one before.
func blocks[T Float](dst, src []T, f64, f32 func(z, x []float64)) []T {
	dst = dst[:len(src)]
	if d, ok := any(dst).([]float64); ok {
		f64(d, any(src).([]float64))
		return dst
	}
	var buf [256]float64
	for lo := 0; lo < len(src); lo += len(buf) {
		x := src[lo:min(lo+len(buf), len(src))]
		b := buf[:len(x)]
		for i, v := range x {
			b[i] = float64(v)
		}
		f32(b, b)
		for i, v := range b {
			dst[lo+i] = T(v)
		}
	}
	return dst
}
