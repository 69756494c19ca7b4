package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// AdamStep32 (the SSE2 loop on amd64, then the Go loop for the tail)
// against the documented formula evaluated one element at a time, each
// operation rounded to float32 by an explicit conversion: bit for bit
// (NaNs as NaNs), over every length up to 67 (all tails and offsets) with
// zeros, infinities, NaNs and subnormals among the gradients, moments and
// parameters, with and without AdamW's shrink.
func TestAdamStep32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, -3e-39, 1e30}
	draw := func(n int, nonneg bool) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
			if r.IntN(8) == 0 {
				x[i] = special[r.IntN(len(special))]
			}
			if nonneg && x[i] < 0 {
				x[i] = -x[i]
			}
		}
		return x
	}
	for _, shrink := range []float32{1, 1 - 1e-3*0.01} {
		c := AdamConsts{B1: 0.9, C1: float32(1 - 0.9), B2: 0.999, C2: float32(1 - 0.999),
			Bc2s: float32(math.Sqrt(1 - math.Pow(0.999, 3))), Eps: 1e-8, NegStep: float32(-1e-3 / (1 - math.Pow(0.9, 3))), Shrink: shrink}
		for n := range 68 {
			p, g, m, v := draw(n, false), draw(n, false), draw(n, false), draw(n, true)
			wp, wm, wv := make([]float32, n), make([]float32, n), make([]float32, n)
			for k := range n {
				d := g[k]
				mk := float32(float32(m[k]*c.B1) + float32(c.C1*d))
				vk := float32(float32(v[k]*c.B2) + float32(float32(c.C2*d)*d))
				denom := float32(float32(float32(math.Sqrt(float64(vk)))/c.Bc2s) + c.Eps)
				wp[k] = float32(float32(p[k]*c.Shrink) + float32(float32(c.NegStep*mk)/denom))
				wm[k], wv[k] = mk, vk
			}
			AdamStep32(p, g, m, v, &c)
			for k := range n {
				for _, x := range [][3]float32{{p[k], wp[k], 'p'}, {m[k], wm[k], 'm'}, {v[k], wv[k], 'v'}} {
					got, want := x[0], x[1]
					if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
						t.Fatalf("shrink %g, n = %d, %c[%d] = %g, want %g", shrink, n, rune(x[2]), k, got, want)
					}
				}
			}
		}
	}
}

// MomentumStep32 against its formula, one element at a time with explicit
// float32 roundings: bit for bit (NaNs as NaNs), every length up to 67,
// special values among the inputs, with and without dampening.
func TestMomentumStep32(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1e-40, 1e30}
	draw := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
			if r.IntN(8) == 0 {
				x[i] = special[r.IntN(len(special))]
			}
		}
		return x
	}
	for _, damp1 := range []float32{1, 0.75} {
		for n := range 68 {
			p, g, buf := draw(n), draw(n), draw(n)
			wp, wb := make([]float32, n), make([]float32, n)
			for k := range n {
				wb[k] = float32(float32(buf[k]*0.9) + float32(damp1*g[k]))
				wp[k] = float32(p[k] + float32(-0.01*wb[k]))
			}
			MomentumStep32(p, g, buf, 0.9, damp1, -0.01)
			for k := range n {
				for _, x := range [][3]float32{{p[k], wp[k], 'p'}, {buf[k], wb[k], 'b'}} {
					got, want := x[0], x[1]
					if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
						t.Fatalf("damp1 %g, n = %d, %c[%d] = %g, want %g", damp1, n, rune(x[2]), k, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkAdamStep32 times one step over a million parameters, and
// BenchmarkAdamLoop32 the same in the Go loop alone.
func BenchmarkAdamStep32(b *testing.B) { benchAdam(b, AdamStep32) }

func BenchmarkAdamLoop32(b *testing.B) { benchAdam(b, adamLoop32) }

func benchAdam(b *testing.B, step func(p, g, m, v []float32, c *AdamConsts)) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 1 << 20
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range p {
		p[i], g[i], m[i], v[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.Float64())
	}
	c := AdamConsts{B1: 0.9, C1: 0.1, B2: 0.999, C2: 0.001, Bc2s: 0.05, Eps: 1e-8, NegStep: -1e-3, Shrink: 0.99999}
	b.SetBytes(int64(16 * n))
	for b.Loop() {
		step(p, g, m, v, &c)
	}
}
