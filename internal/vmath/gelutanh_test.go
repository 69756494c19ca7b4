package vmath

import (
	"math"
	"testing"
)

// refGELUTanh and refGELUTanhGrad are the formulas with math.Tanh.
func refGELUTanh(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x)))
}

func refGELUTanhGrad(x float64) float64 {
	t := math.Tanh(math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x))
	return 0.5*(1+t) + 0.5*x*(1-t*t)*math.Sqrt(2/math.Pi)*(1+3*0.044715*x*x)
}

// TestGELUTanh checks the kernels against the formulas with math.Tanh:
// float64 within 4 ulps of the larger term (1 + tanh u cancels in the
// left tail, equally in both), float32 within one ulp of the result plus
// 3.1·10⁻⁸ (the rational tanh's error, or 1 - tanh 9 where it is cut to
// ±1) times the size of the terms that multiply tanh (½|x|; ½ + |x·u'|
// for the derivative), special values as the formulas.
func TestGELUTanh(t *testing.T) {
	xs := samples(-12, 12, 300000)
	xs = append(xs, samples(-3, 3, 300000)...)
	x32 := sweep32(1e4)
	for _, c := range []struct {
		name     string
		f, ref   func(float64) float64
		to64     func(dst, src []float64) []float64
		to32     func(dst, src []float32) []float32
		termSize func(x float64) float64
	}{
		{"GELUTanh", GELUTanh, refGELUTanh, GELUTanhTo[float64], GELUTanhTo[float32], func(x float64) float64 { return 0.5 * math.Abs(x) }},
		{"GELUTanhGrad", GELUTanhGrad, refGELUTanhGrad, GELUTanhGradTo[float64], GELUTanhGradTo[float32], func(x float64) float64 {
			return 0.5 + math.Abs(x*math.Sqrt(2/math.Pi)*(1+3*0.044715*x*x))
		}},
	} {
		d64 := c.to64(make([]float64, len(xs)), xs)
		for i, x := range xs {
			want := c.ref(x)
			if d64[i] != c.f(x) {
				t.Fatalf("%sTo[float64](%v) = %v, %s %v", c.name, x, d64[i], c.name, c.f(x))
			}
			if e := math.Abs(d64[i]-want) / (max(math.Abs(want), c.termSize(x)) * 0x1p-52); e > 4 {
				t.Fatalf("%s(%v) = %v, formula %v: %.2f ulps", c.name, x, d64[i], want, e)
			}
		}
		// the Go kernels; TestGELUTanhAsm checks the assembly
		asm := useAsm
		useAsm = false
		d32 := c.to32(make([]float32, len(x32)), x32)
		useAsm = asm
		for i, x := range x32 {
			want := c.ref(float64(x))
			if want != want {
				if d32[i] == d32[i] {
					t.Fatalf("%sTo[float32](%v) = %v, want NaN", c.name, x, d32[i])
				}
				continue
			}
			diff := math.Abs(float64(d32[i]) - want)
			if diff > ulp32(float32(want))+3.1e-8*c.termSize(float64(x)) {
				t.Fatalf("%sTo[float32](%v) = %v, formula %v", c.name, x, d32[i], want)
			}
		}
	}
	inf := math.Inf(1)
	for _, x := range []float64{0, math.Copysign(0, -1), inf, -inf, math.NaN(), 1e300, -1e300} {
		for _, c := range []struct {
			name   string
			f, ref func(float64) float64
		}{{"GELUTanh", GELUTanh, refGELUTanh}, {"GELUTanhGrad", GELUTanhGrad, refGELUTanhGrad}} {
			got, want := c.f(x), c.ref(x)
			if !(got == want || got != got && want != want) {
				t.Errorf("%s(%v) = %v, formula %v", c.name, x, got, want)
			}
		}
	}
}

// TestSiLU checks SiLU and SiLUTo against x/(1+e⁻ˣ) with refExp: within 4
// ulps (Exp's 2, math.Exp's 1, the sum and the division) in float64, one
// float32 ulp in float32.
func TestSiLU(t *testing.T) {
	ref := func(x float64) float64 { return x / (1 + refExp(-x)) } // math.Exp overflows early on amd64
	xs := append(samples(-800, 800, 100000), samples(-40, 40, 200000)...)
	xs = append(xs, math.Inf(1), math.Inf(-1), math.NaN(), 1e-310, -1e-310)
	d := SiLUTo(make([]float64, len(xs)), xs)
	for i, x := range xs {
		if e := ulps(d[i], ref(x)); e > 4 || d[i] != SiLU(x) && d[i] == d[i] {
			t.Fatalf("SiLU(%v) = %v (slice %v), formula %v: %.2f ulps", x, SiLU(x), d[i], ref(x), e)
		}
	}
	x32 := sweep32(1e4)
	d32 := SiLUTo(make([]float32, len(x32)), x32)
	for i, x := range x32 {
		want := ref(float64(x))
		if want != want {
			if d32[i] == d32[i] {
				t.Fatalf("SiLUTo[float32](%v) = %v, want NaN", x, d32[i])
			}
			continue
		}
		if diff := math.Abs(float64(d32[i]) - want); diff > ulp32(float32(want)) {
			t.Fatalf("SiLUTo[float32](%v) = %v, formula %v", x, d32[i], want)
		}
	}
}

// TestGELUTanhAsm checks the assembly float32 kernels, which compute
// x·σ(2u) with one exp and no cancellation, against that form in float64:
// within 4 + 2.5·|2u| float32 ulps of the result (for the derivative, of
// the larger of its terms σ(2u) and x·σ(2u)σ(-2u)·2u'), since u's own
// rounding error in float32 is amplified |2u| times by the exp (the bound
// is 14 ulps while |2u| < 4, |x| < 2.1), and the special values of
// TestGELUTanh's formulas.
func TestGELUTanhAsm(t *testing.T) {
	if !useAsm {
		t.Skip("no AVX2/FMA assembly here (other CPU, architecture or the purego tag): the Go kernels are tested by TestGELUTanh")
	}
	u2 := func(x float64) float64 { return 2 * math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x) }
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-u2(x))) }
	slope := func(x float64) float64 {
		s := sig(x)
		return x * s * (1 - s) * 2 * math.Sqrt(2/math.Pi) * (1 + 3*0.044715*x*x)
	}
	xs := sweep32(1e4)
	for _, c := range []struct {
		name       string
		k          func(dst, src []float32) []float32
		ref, scale func(float64) float64
	}{
		{"GELUTanhTo", GELUTanhTo[float32], func(x float64) float64 { return x * sig(x) }, zero},
		{"GELUTanhGradTo", GELUTanhGradTo[float32], func(x float64) float64 { return sig(x) + slope(x) },
			func(x float64) float64 { return max(sig(x), math.Abs(slope(x))) }},
	} {
		got := c.k(make([]float32, len(xs)), xs)
		worst := 0.0
		for i, x := range xs {
			want := c.ref(float64(x))
			if math.IsInf(float64(x), 0) || want != want {
				continue
			}
			e := math.Abs(float64(got[i])-want) / max(ulp32(float32(want)), ulp32(float32(c.scale(float64(x)))))
			tol := 4 + 2.5*math.Abs(u2(float64(x)))
			worst = max(worst, e/tol)
			if e > tol {
				t.Fatalf("%s(%v) = %v, want %v: %.2f ulps, bound %.2f", c.name, x, got[i], want, e, tol)
			}
		}
		t.Logf("%s: worst %.2f of the bound", c.name, worst)
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, c := range []struct {
		name string
		k    func(dst, src []float32) []float32
		ref  func(float64) float64
	}{{"GELUTanhTo", GELUTanhTo[float32], refGELUTanh}, {"GELUTanhGradTo", GELUTanhGradTo[float32], refGELUTanhGrad}} {
		x := []float32{0, float32(math.Copysign(0, -1)), inf, -inf, nan, 1e30, -1e30, 20, -20}
		for i, g := range c.k(make([]float32, len(x)), x) {
			want := float32(c.ref(float64(x[i])))
			if !(g == want || g != g && want != want) {
				t.Errorf("%s(%v) = %v, formula %v", c.name, x[i], g, want)
			}
		}
	}
}
