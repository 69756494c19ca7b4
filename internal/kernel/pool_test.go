package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naivePool returns, for the 2×2 window (r, j) of the row pairs of x, the
// flat index into x of its maximum: positions in row-major window order,
// each replacing the one kept when it is larger or a NaN (PyTorch's CPU
// max_pool2d rule).
func naivePool(x []float64, r, j, w int) int {
	at := -1
	for _, f := range []int{2*r*w + 2*j, 2*r*w + 2*j + 1, (2*r+1)*w + 2*j, (2*r+1)*w + 2*j + 1} {
		if at < 0 || x[f] > x[at] || math.IsNaN(x[f]) {
			at = f
		}
	}
	return at
}

// poolData returns n values drawn from a few levels, so that windows hold
// ties, with ±0, ±Inf and NaNs (two payloads) among them.
func poolData(r *rand.Rand, n int) []float64 {
	nan2 := math.Float64frombits(math.Float64bits(math.NaN()) ^ 1)
	levels := []float64{-1, 0, math.Copysign(0, -1), 0.5, 2, math.Inf(1), math.Inf(-1), math.NaN(), nan2, -3}
	x := make([]float64, n)
	for i := range x {
		if r.IntN(3) == 0 {
			x[i] = levels[r.IntN(len(levels))]
		} else {
			x[i] = float64(r.IntN(5)) - 2
		}
	}
	return x
}

func bits32Eq(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }
func bits64Eq(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// TestPool2x2 checks MaxPool2x2 and ScatterPool2x2, both element types
// (float32 through the assembly loops for the leading multiples of 4
// windows, the Go loop for the rest), bit for bit against naivePool over
// widths with and without spare columns, including ties, ±0, ±Inf and
// NaNs.
func TestPool2x2(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, ow := range []int{0, 1, 3, 4, 5, 8, 12, 13} {
		for _, extra := range []int{0, 1, 3} {
			for _, rows := range []int{1, 2, 5} {
				w := 2*ow + extra
				if w == 0 {
					continue
				}
				x := poolData(r, 2*rows*w)
				u := poolData(r, rows*ow)
				x32, u32 := make([]float32, len(x)), make([]float32, len(u))
				for i, v := range x {
					x32[i] = float32(v)
				}
				for i, v := range u {
					u32[i] = float32(v)
				}
				out64, out32 := make([]float64, rows*ow), make([]float32, rows*ow)
				MaxPool2x2(out64, x, rows, ow, w)
				MaxPool2x2(out32, x32, rows, ow, w)
				dx64, dx32 := make([]float64, len(x)), make([]float32, len(x))
				for i := range dx64 { // garbage the kernel must overwrite
					dx64[i], dx32[i] = 7, 7
				}
				ScatterPool2x2(dx64, x, u, rows, ow, w)
				ScatterPool2x2(dx32, x32, u32, rows, ow, w)
				want := make([]float64, len(x)) // +0 everywhere but the argmaxes
				for R := range rows {
					for j := range ow {
						at := naivePool(x, R, j, w)
						if !bits64Eq(out64[R*ow+j], x[at]) || !bits32Eq(out32[R*ow+j], x32[at]) {
							t.Fatalf("ow %d w %d rows %d: window (%d, %d) max %v (float32 %v), want %v", ow, w, rows, R, j, out64[R*ow+j], out32[R*ow+j], x[at])
						}
						want[at] = 0 + u[R*ow+j]
					}
				}
				for i, v := range want {
					if !bits64Eq(dx64[i], v) || !bits32Eq(dx32[i], float32(v)) {
						t.Fatalf("ow %d w %d rows %d: scatter[%d] = %v (float32 %v), want %v", ow, w, rows, i, dx64[i], dx32[i], v)
					}
				}
			}
		}
	}
}
