package vmath

import (
	"math"
	"testing"
)

// erfcGrid returns a dense grid over erfc's whole finite range, the
// branch boundaries on both sides and the tails up to underflow.
func erfcGrid() []float64 {
	xs := samples(-7, 28, 400000)
	xs = append(xs, samples(-1, 1, 100000)...)
	for _, b := range []float64{0.25, 0.84375, 1.25, 1 / 0.35, 6, 26, 27, 27.2, 28} {
		for _, s := range []float64{-1, 1} {
			x := s * b
			xs = append(xs, x, math.Nextafter(x, 0), math.Nextafter(x, 2*x), x+1e-9, x-1e-9)
		}
	}
	return append(xs, 1e-300, -1e-300, 5e-324, 0x1p-57, -0x1p-57)
}

func TestErfcAgainstMath(t *testing.T) {
	worst := 0.0
	for _, x := range erfcGrid() {
		got, want := Erfc(x), math.Erfc(x)
		e := ulps(got, want)
		if want < 0x1p-1022 { // subnormal results: in units of the smallest subnormal
			e = math.Abs(got-want) / 0x1p-1074
		}
		worst = max(worst, e)
		if e > 5 { // Exp's 2 ulps, twice, and the division
			t.Fatalf("Erfc(%v) = %v, math.Erfc %v: %.2f ulps", x, got, want, e)
		}
	}
	t.Logf("worst error %.2f ulps", worst)
	inf := math.Inf(1)
	for _, c := range [][2]float64{{inf, 0}, {-inf, 2}, {0, 1}, {math.Copysign(0, -1), 1}, {30, 0}, {-30, 2}} {
		if got := Erfc(c[0]); got != c[1] {
			t.Errorf("Erfc(%v) = %v, want %v", c[0], got, c[1])
		}
	}
	if got := Erfc(math.NaN()); got == got {
		t.Errorf("Erfc(NaN) = %v", got)
	}
}

// refGELU and refGELUGrad are the definitions with package math's erfc
// and exp. The argument x/√2 is rounded as the kernels (and PyTorch's)
// round it, x times 1/√2: in the tails erfc amplifies its relative error
// 2(x/√2)² times, which would swamp the comparison of the erfc kernels.
func refGELU(x float64) float64 { return 0.5 * x * math.Erfc(-x*(1/math.Sqrt2)) }
func refGELUGrad(x float64) float64 {
	return 0.5*math.Erfc(-x*(1/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
}

// TestGELUAgainstMath checks the float64 kernels against the definitions
// in ulps, and the float32 slice kernels against the rounded definitions:
// one float32 ulp (the Go kernels; eight for the assembly), or 1e-30 absolute where the result is nearly zero
// (the derivative's zero near x = -0.75 and the underflowing left tail).
func TestGELUAgainstMath(t *testing.T) {
	xs := samples(-40, 40, 200000)
	xs = append(xs, samples(-6, 6, 400000)...)
	xs = append(xs, erfcGrid()...)
	for _, c := range []struct {
		name     string
		f, want  func(float64) float64
		to64     func(dst, src []float64) []float64
		to32     func(dst, src []float32) []float32
		worst    float64
		worst32  float64
		tolerate float64
	}{
		{name: "GELU", f: GELU, want: refGELU, to64: GELUTo[float64], to32: GELUTo[float32], tolerate: 6},
		{name: "GELUGrad", f: GELUGrad, want: refGELUGrad, to64: GELUGradTo[float64], to32: GELUGradTo[float32], tolerate: 6},
	} {
		d64 := c.to64(make([]float64, len(xs)), xs)
		for i, x := range xs {
			want := c.want(x)
			if d64[i] != c.f(x) && !(d64[i] != d64[i] && want != want) {
				t.Fatalf("%sTo[float64](%v) = %v, %s %v", c.name, x, d64[i], c.name, c.f(x))
			}
			// near the derivative's zero, the relative error of the sum's
			// terms counts: allow their size's ulps
			e := 0.0
			if diff := math.Abs(d64[i] - want); diff != 0 || want != want {
				e = diff / max(math.Abs(want), math.Abs(0.5*math.Erfc(-x*(1/math.Sqrt2)))) / 0x1p-52
			}
			if e != e && !(want != want && d64[i] != d64[i]) {
				t.Fatalf("%s(%v) = %v, definition %v", c.name, x, d64[i], want)
			}
			if want != want {
				continue
			}
			if math.Erfc(-x*(1/math.Sqrt2)) < 0x1p-1021 { // a subnormal Φ: its absolute error, times |x|
				e = min(e, math.Abs(d64[i]-want)/(max(1, math.Abs(x))*0x1p-1074))
			}
			c.worst = max(c.worst, e)
			if e > c.tolerate {
				t.Fatalf("%s(%v) = %v, definition %v: %.2f ulps", c.name, x, d64[i], want, e)
			}
		}
		src := make([]float32, len(xs))
		for i, x := range xs {
			src[i] = float32(x)
		}
		d32 := c.to32(make([]float32, len(src)), src)
		for i, v := range src {
			want := float32(c.want(float64(v)))
			diff := math.Abs(float64(d32[i]) - float64(want))
			ulp := float64(math.Nextafter32(float32(math.Abs(float64(want))), float32(math.Inf(1))) - float32(math.Abs(float64(want))))
			// near GELUGrad's zero at x ≈ -0.75 Φ(x) and x·φ(x) cancel:
			// a quarter float32 ulp of the larger term
			x := float64(v)
			terms := max(math.Abs(0.5*math.Erfc(-x*(1/math.Sqrt2))), math.Abs(x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)))
			// the assembly kernels compute in float32: see TestSlices32
			tol, termTol := 1.0, 0x1p-26*terms
			if useAsm {
				tol, termTol = 8, 6*0x1p-23*terms
			}
			if diff > tol*ulp && diff > 1e-30 && diff > termTol {
				t.Fatalf("%sTo[float32](%v) = %v, want %v (%.2f ulps)", c.name, v, d32[i], want, diff/ulp)
			}
			c.worst32 = max(c.worst32, diff/max(ulp, 0x1p-26*terms))
		}
		t.Logf("%s: worst %.2f ulps in float64; in float32 %.2f of the tolerance", c.name, c.worst, c.worst32)
	}
}

func TestGELUSpecialValues(t *testing.T) {
	inf := math.Inf(1)
	for _, x := range []float64{0, math.Copysign(0, -1), inf, -inf, math.NaN(), 1e-300, -1e-300, 40, -40} {
		for _, c := range []struct {
			name    string
			f, want func(float64) float64
		}{{"GELU", GELU, refGELU}, {"GELUGrad", GELUGrad, refGELUGrad}} {
			got, want := c.f(x), c.want(x)
			if !(got == want && math.Signbit(got) == math.Signbit(want)) && !(got != got && want != want) && ulps(got, want) > 2 {
				t.Errorf("%s(%v) = %v, definition %v", c.name, x, got, want)
			}
		}
	}
}

// BenchmarkGELU times the slice kernels against the definitions with
// math.Erfc, on standard normal inputs (ns per element = ns/op ÷ 4096).
func BenchmarkGELU(b *testing.B) {
	xs := benchInputs()
	src32, dst32 := make([]float32, len(xs)), make([]float32, len(xs))
	for i, x := range xs {
		src32[i] = float32(x)
	}
	dst := make([]float64, len(xs))
	b.Run("GELUTo32", func(b *testing.B) {
		for b.Loop() {
			GELUTo(dst32, src32)
		}
	})
	b.Run("GELUGradTo32", func(b *testing.B) {
		for b.Loop() {
			GELUGradTo(dst32, src32)
		}
	})
	b.Run("GELUTo64", func(b *testing.B) {
		for b.Loop() {
			GELUTo(dst, xs)
		}
	})
	b.Run("math.Erf", func(b *testing.B) {
		for b.Loop() {
			for i, x := range xs {
				dst[i] = 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
			}
		}
	})
	b.Run("math.ErfGrad", func(b *testing.B) {
		for b.Loop() {
			for i, x := range xs {
				dst[i] = 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
			}
		}
	})
}
