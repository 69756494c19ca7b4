package vmath

import (
	"math"
	"testing"
)

// ulp32 returns the spacing of float32s at |w|: the smallest subnormal
// for subnormal w.
func ulp32(w float32) float64 {
	a := float32(math.Abs(float64(w)))
	if math.IsInf(float64(a), 0) {
		return float64(a - math.Nextafter32(a, 0))
	}
	return float64(math.Nextafter32(a, float32(math.Inf(1))) - a)
}

// sweep32 returns every 499th float32 bit pattern of magnitude below
// lim, both signs (about 4 million each way for lim = 120: every
// exponent, subnormals included, at 16000 points per binade), and ±0.
func sweep32(lim float32) []float32 {
	var xs []float32
	for b := uint32(0); b < 0x7f800000; b += 499 {
		if x := math.Float32frombits(b); x < lim {
			xs = append(xs, x, -x)
		}
	}
	return xs
}

// kernelModes runs f once with the Go kernels and, where there is
// assembly, once with it.
func kernelModes(t *testing.T, f func(t *testing.T)) {
	asm := useAsm
	defer func() { useAsm = asm }()
	modes := []bool{false}
	if asm {
		modes = append(modes, true)
	}
	for _, m := range modes {
		useAsm = m
		name := "go"
		if m {
			name = "asm"
		}
		t.Run(name, f)
	}
}

// check32 compares dst = k(src) elementwise with the float64 reference
// ref, in ulps of the larger of |ref| and scale(x), at most tol.
func check32(t *testing.T, name string, k func(dst, src []float32) []float32, ref, scale func(float64) float64, tol float64, xs []float32) {
	t.Helper()
	got := k(make([]float32, len(xs)), xs)
	worst, at := 0.0, float32(0)
	for i, x := range xs {
		want := ref(float64(x))
		if want != want {
			if got[i] == got[i] {
				t.Errorf("%s(%v) = %v, want NaN", name, x, got[i])
			}
			continue
		}
		e := math.Abs(float64(got[i])-want) / max(ulp32(float32(want)), ulp32(float32(scale(float64(x)))))
		if e > worst {
			worst, at = e, x
		}
	}
	if worst > tol {
		t.Errorf("%s: %.2f ulps at %v (%v, want %v), tolerance %g", name, worst, at, k(make([]float32, 1), []float32{at})[0], ref(float64(at)), tol)
	}
	t.Logf("%s: worst %.2f ulps at %v", name, worst, at)
}

func zero(float64) float64 { return 0 }

// exp32To is SoftmaxTo's exp: the assembly kernel, or ExpTo without it.
func exp32To(dst, src []float32) []float32 {
	if !exp32(dst, src) {
		ExpTo(dst, src)
	}
	return dst[:len(src)]
}

// phiTerms is the larger term of GELU's derivative Φ(x) + x·φ(x): near
// its zero at x ≈ -0.75 the error is relative to the terms.
func phiTerms(x float64) float64 {
	return max(math.Abs(0.5*math.Erfc(-x*(1/math.Sqrt2))), math.Abs(x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)))
}

// TestSlices32 checks the float32 kernels over a dense sweep of float32
// (tails, subnormal inputs and results included) against math's float64
// functions, with the bounds stated in the package doc.
func TestSlices32(t *testing.T) {
	xs := sweep32(120)
	xs = append(xs, 88.72283, 88.72284, -87.33655, -103.27893, -103.972, 5.3, 6, 14.84, -14.84, 14.85, -14.85, 1e30, -1e30, math.MaxFloat32, -math.MaxFloat32)
	kernelModes(t, func(t *testing.T) {
		check32(t, "exp32", exp32To, math.Exp, zero, 1, xs)
		check32(t, "GELUTo", GELUTo[float32], refGELU, zero, 8, xs)
		check32(t, "GELUGradTo", GELUGradTo[float32], refGELUGrad, phiTerms, 6, xs)
	})
}

// TestSlices32Special checks the special values and the limits: GELU(x)
// is x and its derivative 1 from x = 6 (where Φ(x) rounds to 1), both are
// zero from x = -14.5 down, and ±Inf give what the definitions give
// (x·Φ(x) is NaN at -Inf, Φ(x) + x·φ(x) at ±Inf, as in float64).
func TestSlices32Special(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	negz := float32(math.Copysign(0, -1))
	kernelModes(t, func(t *testing.T) {
		for _, c := range []struct {
			name string
			k    func(dst, src []float32) []float32
			x    []float32
			want []float32
		}{
			{"exp32", exp32To, []float32{0, negz, inf, -inf, nan, 89, -104, 1e-45, -1e-45}, []float32{1, 1, inf, 0, nan, inf, 0, 1, 1}},
			{"GELUTo", GELUTo[float32], []float32{0, negz, inf, -inf, nan, 6, 100, 1e30, -14.5, -100, -1e30}, []float32{0, negz, inf, nan, nan, 6, 100, 1e30, negz, negz, negz}},
			{"GELUGradTo", GELUGradTo[float32], []float32{0, negz, inf, -inf, nan, 6, 100, 1e30, -14.6, -100, -1e30}, []float32{0.5, 0.5, nan, nan, nan, 1, 1, 1, 0, 0, 0}},
		} {
			// a long slice and each element alone: the tail goes through a
			// buffer, and an element's result must not depend on its place
			long := make([]float32, 0, 24*len(c.x))
			for range 24 {
				long = append(long, c.x...)
			}
			got := c.k(make([]float32, len(long)), long)
			for i, g := range got {
				want := c.want[i%len(c.x)]
				one := c.k(make([]float32, 1), long[i:i+1])[0]
				// the sign of a zero derivative is not meaningful
				same := func(a, b float32) bool {
					return a == b && (math.Signbit(float64(a)) == math.Signbit(float64(b)) || c.name == "GELUGradTo") || a != a && b != b
				}
				if !same(g, want) || !same(one, g) {
					t.Errorf("%s(%v) = %v at %d, %v alone, want %v", c.name, long[i], g, i, one, want)
				}
			}
		}
		for x := float32(6); x < 1e6; x *= 1.01 {
			if g := GELUTo(make([]float32, 1), []float32{x})[0]; g != x {
				t.Fatalf("GELUTo(%v) = %v, want x", x, g)
			}
			if g := GELUGradTo(make([]float32, 1), []float32{x})[0]; g != 1 {
				t.Fatalf("GELUGradTo(%v) = %v, want 1", x, g)
			}
		}
	})
}
