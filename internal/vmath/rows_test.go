package vmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRows32 checks the layer-norm row kernels, with and without the
// assembly, against float64 loops written here: the sums within a few
// float64 roundings of Σ|terms|, the elementwise results bit for bit
// (the same float64 operations, rounded once), on lengths around the
// 8- and 16-element blocks, NaN and ±Inf propagating.
func TestRows32(t *testing.T) {
	kernelModes(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(8, 9))
		for _, n := range []int{0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 256, 1000} {
			x, v, z := make([]float32, n), make([]float32, n), make([]float32, n)
			for j := range x {
				x[j] = float32(r.NormFloat64()*3 + 1)
				v[j] = float32(r.NormFloat64())
			}
			const c, mean, rstd, mv, mvx = 0.75, 0.5, 1.7, -0.2, 0.3
			var sum, sq, dot, abs, sqAbs, dotAbs float64
			for j := range x {
				a, b := float64(x[j]), float64(v[j])
				sum += a
				abs += math.Abs(a)
				sq += (a - c) * (a - c)
				sqAbs += (a - c) * (a - c)
				dot += b * (a - c)
				dotAbs += math.Abs(b * (a - c))
			}
			tol := func(s float64) float64 { return 4 * float64(n+16) * 0x1p-53 * s }
			if g := Sum32(x); math.Abs(g-sum) > tol(abs) {
				t.Errorf("Sum32 n=%d: %v, want %v", n, g, sum)
			}
			if g := SqDev32(x, c); math.Abs(g-sq) > tol(sqAbs) {
				t.Errorf("SqDev32 n=%d: %v, want %v", n, g, sq)
			}
			if g := DotDev32(v, x, c); math.Abs(g-dot) > tol(dotAbs) {
				t.Errorf("DotDev32 n=%d: %v, want %v", n, g, dot)
			}
			Normalize32(z, x, mean, rstd)
			for j := range x {
				if want := float32((float64(x[j]) - mean) * rstd); z[j] != want {
					t.Fatalf("Normalize32 n=%d: z[%d] = %v, want %v", n, j, z[j], want)
				}
			}
			NormGrad32(z, x, v, mean, rstd, mv, mvx)
			for j := range x {
				if want := float32(rstd * ((float64(v[j]) - mv) - (float64(x[j])-mean)*rstd*mvx)); z[j] != want {
					t.Fatalf("NormGrad32 n=%d: z[%d] = %v, want %v", n, j, z[j], want)
				}
			}
		}
		// specials: a NaN or an infinity anywhere reaches the sums and
		// its own element only
		for _, at := range []int{0, 5, 16, 20} {
			for _, s := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
				x, v, z := make([]float32, 24), make([]float32, 24), make([]float32, 24)
				for j := range x {
					x[j], v[j] = float32(j), 1
				}
				x[at] = s
				want := math.Inf(1)
				if s != s {
					want = math.NaN()
				}
				for name, g := range map[string]float64{"Sum32": Sum32(x), "SqDev32": SqDev32(x, 1), "DotDev32": DotDev32(v, x, 1)} {
					if !(g == want || g != g && want != want) {
						t.Errorf("%s with %v at %d: %v, want %v", name, s, at, g, want)
					}
				}
				Normalize32(z, x, 1, 2)
				for j, w := range z {
					if bad := math.IsNaN(float64(w)) || math.IsInf(float64(w), 0); bad != (j == at) {
						t.Fatalf("Normalize32 with %v at %d: z[%d] = %v", s, at, j, w)
					}
				}
			}
		}
	})
}

// TestSoftmaxVJP32 checks the two-pass softmax reverse rule against the
// four passes it replaces, written here as loops (the products rounded,
// summed in eight lanes then pairwise, d - s, then y times it): equal bit
// for bit, on row lengths around the 8-element blocks, with ±0, NaN and
// ±Inf in the cotangent.
func TestSoftmaxVJP32(t *testing.T) {
	if !useAsm {
		t.Skip("no AVX2: SoftmaxVJP32 reports false and the caller's passes run")
	}
	r := rand.New(rand.NewPCG(10, 11))
	for _, n := range []int{1, 7, 8, 9, 16, 31, 128, 1000, 1 << 14} {
		for _, special := range []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(-1))} {
			y, d, z := make([]float32, n), make([]float32, n), make([]float32, n)
			for j := range y {
				y[j], d[j] = float32(r.Float64()), float32(r.NormFloat64())
			}
			if special != 0 || math.Signbit(float64(special)) {
				d[n/2] = special
			}
			var l [8]float32
			for j := range d {
				p := d[j] * y[j]
				if j < n&^7 {
					l[j%8] += p
				} else {
					l[0] += p
				}
			}
			var s float32
			s += ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
			if !SoftmaxVJP32(z, y, d) {
				t.Fatal("SoftmaxVJP32 did not run")
			}
			for j := range z {
				want := y[j] * (d[j] - s)
				if math.Float32bits(z[j]) != math.Float32bits(want) && !(z[j] != z[j] && want != want) {
					t.Fatalf("n=%d special %v: z[%d] = %v, want %v", n, special, j, z[j], want)
				}
			}
		}
	}
	if SoftmaxVJP32(make([]float32, 1<<14+1), make([]float32, 1<<14+1), make([]float32, 1<<14+1)) {
		t.Error("SoftmaxVJP32 ran on a row longer than 2¹⁴")
	}
}
