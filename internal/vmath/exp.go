package vmath

import "math"

// Exp returns eˣ, with the special cases of math.Exp: Exp(+Inf) = +Inf,
// Exp(-Inf) = 0, Exp(NaN) = NaN, +Inf above ln(MaxFloat64) and 0 below the
// smallest subnormal's logarithm.
//
// Method (Cody & Waite, "Software Manual for the Elementary Functions",
// 1980, ch. 6): x = k·ln2 + r with integer k and |r| ≤ ln2/2, the product
// k·ln2 taken in two parts so that r is exact to about 2⁻⁸⁵; e^r by its
// Taylor polynomial of degree 13 (truncation below 5·10⁻¹⁸ relative),
// evaluated in Estrin's scheme for instruction-level parallelism; then
// scaled by 2ᵏ through the exponent bits.
func Exp(x float64) float64 {
	const (
		log2e  = 1.44269504088896338700e+00
		ln2hi  = 6.93147180369123816490e-01 // ln2's leading 32 bits: k·ln2hi is exact
		ln2lo  = 1.90821492927058770002e-10
		round  = 6755399441055744.0 // 1.5·2⁵²: adding it rounds to an integer
		over   = 7.09782712893383973096e+02
		under  = -7.45133219101941108420e+02
		inv2   = 1.0 / 2
		inv3   = 1.0 / 6
		inv4   = 1.0 / 24
		inv5   = 1.0 / 120
		inv6   = 1.0 / 720
		inv7   = 1.0 / 5040
		inv8   = 1.0 / 40320
		inv9   = 1.0 / 362880
		inv10  = 1.0 / 3628800
		inv11  = 1.0 / 39916800
		inv12  = 1.0 / 479001600
		inv13  = 1.0 / 6227020800
		maxExp = 1023
		minExp = -1022
	)
	switch {
	case x > over:
		return math.Inf(1)
	case x < under:
		return 0
	case x != x:
		return x
	}
	t := x*log2e + round
	k := t - round
	r := (x - k*ln2hi) - k*ln2lo
	r2 := r * r
	r4 := r2 * r2
	r8 := r4 * r4
	// Estrin: pairs, then quads, then the octet; e^r - 1 first
	p23 := inv2 + r*inv3
	p45 := inv4 + r*inv5
	p67 := inv6 + r*inv7
	p89 := inv8 + r*inv9
	p1011 := inv10 + r*inv11
	p1213 := inv12 + r*inv13
	q0 := r + r2*p23
	q1 := p45 + r2*p67
	q2 := p89 + r2*p1011
	e := 1 + (q0 + r4*q1 + r8*(q2+r4*p1213)) // one rounding at the end
	ki := int64(k)
	if ki < minExp || ki > maxExp {
		return math.Ldexp(e, int(ki))
	}
	return e * math.Float64frombits(uint64(ki+1023)<<52)
}
