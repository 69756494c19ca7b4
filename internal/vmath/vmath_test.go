package vmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps returns |got - want| in units of want's last place.
func ulps(got, want float64) float64 {
	if got == want || (got != got && want != want) {
		return 0
	}
	u := math.Abs(math.Nextafter(want, math.Inf(1)) - want)
	if math.IsInf(u, 0) || u == 0 {
		u = math.Abs(want - math.Nextafter(want, math.Inf(-1)))
	}
	return math.Abs(got-want) / u
}

// samples returns random points spread over [lo, hi] plus the edges.
func samples(lo, hi float64, n int) []float64 {
	r := rand.New(rand.NewPCG(1, 2))
	xs := []float64{lo, hi, 0, math.Copysign(0, -1)}
	for range n {
		xs = append(xs, lo+(hi-lo)*r.Float64())
	}
	return xs
}

// refExp is math.Exp, except near overflow: on amd64 math.Exp returns +Inf
// from about x = 709.6 although e^x is finite up to 709.78, so there the
// reference is e^(x-1)·e (x-1 exact), itself up to 3 ulps off there.
func refExp(x float64) float64 {
	if x > 709 && x < 709.78 {
		return math.Exp(x-1) * math.E
	}
	return math.Exp(x)
}

func TestExpAgainstMath(t *testing.T) {
	worst := 0.0
	for _, rg := range [][2]float64{{-1, 1}, {-30, 30}, {-745.2, 709.8}, {-745.2, -700}, {700, 709.8}, {-1e-10, 1e-10}} {
		for _, x := range samples(rg[0], rg[1], 200000) {
			got, want := Exp(x), refExp(x)
			e := ulps(got, want)
			if want < 0x1p-1022 { // subnormal results: absolute error in the smallest ulp
				e = math.Abs(got-want) / 0x1p-1074
			}
			tol := 2.0
			if x > 709 {
				tol = 5 // the reference's error, plus ours
			} else {
				worst = max(worst, e)
			}
			if e > tol {
				t.Fatalf("Exp(%v) = %v, reference %v: %.2f ulps", x, got, want, e)
			}
		}
	}
	t.Logf("worst error %.2f ulps", worst)
}

func TestSpecialValues(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, c := range []struct {
		name    string
		f, want func(float64) float64
	}{{"Exp", Exp, math.Exp}, {"Tanh", Tanh, math.Tanh}, {"Sigmoid", Sigmoid, refSigmoid}} {
		for _, x := range []float64{0, math.Copysign(0, -1), inf, -inf, nan, 710, -746, 709.7, -745, 22.5, -22.5, 0.625, -0.625, 1e-300, 5e-324} {
			got, want := c.f(x), c.want(x)
			if !(got == want && math.Signbit(got) == math.Signbit(want)) && !(got != got && want != want) && ulps(got, want) > 2 {
				t.Errorf("%s(%v) = %v, want %v", c.name, x, got, want)
			}
		}
	}
}

func refSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func TestTanhAndSigmoidAgainstMath(t *testing.T) {
	for _, x := range samples(-25, 25, 400000) {
		if e := ulps(Tanh(x), math.Tanh(x)); e > 2 {
			t.Fatalf("Tanh(%v) = %v, math.Tanh %v: %.2f ulps", x, Tanh(x), math.Tanh(x), e)
		}
		if e := ulps(Sigmoid(x), refSigmoid(x)); e > 2 {
			t.Fatalf("Sigmoid(%v) = %v, want %v: %.2f ulps", x, Sigmoid(x), refSigmoid(x), e)
		}
	}
}

func TestSlicesFloat32(t *testing.T) {
	xs := samples(-12, 12, 100000)
	xs = append(xs, samples(-1e-3, 1e-3, 10000)...)
	src := make([]float32, len(xs))
	for i, x := range xs {
		src[i] = float32(x)
	}
	dst := make([]float32, len(src))
	for _, c := range []struct {
		name string
		f    func(dst, src []float32) []float32
		want func(float64) float64
	}{{"ExpTo", ExpTo[float32], math.Exp}, {"TanhTo", TanhTo[float32], math.Tanh}, {"SigmoidTo", SigmoidTo[float32], refSigmoid}} {
		c.f(dst, src)
		for i, v := range src {
			want := float32(c.want(float64(v)))
			// one float32 ulp: the float64 result is rounded once more
			if u := math.Abs(float64(dst[i]-want)) / float64(math.Nextafter32(float32(math.Abs(float64(want))), float32(math.Inf(1)))-float32(math.Abs(float64(want)))); u > 1 {
				t.Fatalf("%s(%v) = %v, want %v (%.2f ulps)", c.name, v, dst[i], want, u)
			}
		}
	}
}

func TestSlicesFloat32SpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	src := []float32{0, float32(math.Copysign(0, -1)), inf, -inf, nan, 9.5, -9.5, 1e-30}
	want := []float32{0, float32(math.Copysign(0, -1)), 1, -1, nan, 1, -1, 1e-30}
	got := TanhTo(make([]float32, len(src)), src)
	for i := range src {
		if !(got[i] == want[i] && math.Signbit(float64(got[i])) == math.Signbit(float64(want[i]))) && !(got[i] != got[i] && want[i] != want[i]) {
			t.Errorf("TanhTo float32 at %v: %v, want %v", src[i], got[i], want[i])
		}
	}
}

func TestSlicesFloat64(t *testing.T) {
	src := samples(-30, 30, 10000)
	dst := make([]float64, len(src))
	for _, c := range []struct {
		name string
		f    func(dst, src []float64) []float64
		want func(float64) float64
	}{{"ExpTo", ExpTo[float64], math.Exp}, {"TanhTo", TanhTo[float64], math.Tanh}, {"SigmoidTo", SigmoidTo[float64], refSigmoid}} {
		c.f(dst, src)
		for i, x := range src {
			if e := ulps(dst[i], c.want(x)); e > 2 {
				t.Fatalf("%s(%v) = %v, want %v", c.name, x, dst[i], c.want(x))
			}
		}
	}
}

var sink float64

func benchInputs() []float64 {
	r := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = r.NormFloat64()
	}
	return xs
}

// BenchmarkScalar compares each function with package math's on standard
// normal inputs (ns per element = ns/op ÷ 4096).
func BenchmarkScalar(b *testing.B) {
	xs := benchInputs()
	for _, c := range []struct {
		name string
		f    func(float64) float64
	}{{"Exp", Exp}, {"math.Exp", math.Exp}, {"Tanh", Tanh}, {"math.Tanh", math.Tanh}, {"Sigmoid", Sigmoid}, {"refSigmoid", refSigmoid}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				s := 0.0
				for _, x := range xs {
					s += c.f(x)
				}
				sink = s
			}
		})
	}
}

// BenchmarkTanhTo32 times the float32 slice kernel.
func BenchmarkTanhTo32(b *testing.B) {
	xs := benchInputs()
	src, dst := make([]float32, len(xs)), make([]float32, len(xs))
	for i, x := range xs {
		src[i] = float32(x)
	}
	for b.Loop() {
		TanhTo(dst, src)
	}
}
