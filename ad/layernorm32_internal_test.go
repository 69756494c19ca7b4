package ad

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// TestLayerNormRows32 checks the float32 rows (vmath's kernels, sums in
// sixteen lanes) against the float64 kernel on the same values, rounded:
// layer_norm and layer_norm_grad within two float32 ulps of the row's
// scale, on row lengths around the kernels' blocks, rows repeated under
// a batch of cotangents, and NaN in a row staying in that row.
func TestLayerNormRows32(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []struct{ rows, n, batch int }{{3, 1, 1}, {5, 7, 1}, {4, 16, 1}, {6, 33, 1}, {64, 256, 1}, {3, 1000, 1}, {4, 40, 3}} {
		x64 := tensor.RandN(r, c.rows, c.n)
		x64 = tensor.Add(tensor.Mul(x64, tensor.Scalar(3)), tensor.Scalar(1.5))
		vshape := []int{c.rows, c.n}
		if c.batch > 1 {
			vshape = []int{c.batch, c.rows, c.n}
		}
		v64 := tensor.RandN(r, vshape...)
		x32, v32 := x64.As(tensor.Float32), v64.As(tensor.Float32)
		// the float64 reference on the float32 values
		xr, vr := x32.As(tensor.Float64), v32.As(tensor.Float64)
		for _, grad := range []bool{false, true} {
			var got, want *tensor.Tensor
			if grad {
				got, want = lnKernel(x32, v32, 1, 1e-5), lnKernel(xr, vr, 1, 1e-5)
			} else {
				got, want = lnKernel(x32, nil, 1, 1e-5), lnKernel(xr, nil, 1, 1e-5)
			}
			g, w := got.Float64s(), want.Float64s()
			for row := 0; row < len(w)/c.n; row++ {
				scale := 0.0
				for j := range c.n {
					scale = max(scale, math.Abs(w[row*c.n+j]))
				}
				for j := range c.n {
					i := row*c.n + j
					if math.Abs(g[i]-w[i]) > 2*0x1p-23*max(scale, 1e-30) {
						t.Fatalf("%v grad %v: element %d = %v, want %v", c, grad, i, g[i], w[i])
					}
				}
			}
		}
	}
	x := tensor.Float32.RandN(r, 3, 40)
	x.Set(math.NaN(), 1, 17)
	y := lnKernel(x, nil, 1, 1e-5).Float64s()
	for i, v := range y {
		if (i/40 == 1) != math.IsNaN(v) {
			t.Fatalf("NaN in row 1: element %d = %v", i, v)
		}
	}

}
