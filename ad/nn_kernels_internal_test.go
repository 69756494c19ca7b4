package ad

import (
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/internal/vmath"
	"github.com/chainrule/chainrule/tensor"
)

// BenchmarkNNKernels times the float32 kernels of W9's elementwise steps
// at its sizes: GELU and its derivative over the FFN's 8×128×1024
// activations, the attention's softmax and its reverse rule (the scores
// standing for both the softmax and the cotangent) over 8·4·128 rows of
// 128, with the
// split across cores (compare -cpu 1,2). It reports ns per element and,
// through SetBytes, the GB/s of the 8 bytes each element reads and writes.
func BenchmarkNNKernels(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	ffn := tensor.Float32.RandN(r, 8, 128, 1024)
	scores := tensor.Float32.RandN(r, 8, 4, 128, 128)
	for _, c := range []struct {
		name string
		x    *tensor.Tensor
		f    func(*tensor.Tensor) *tensor.Tensor
	}{
		{"GELU", ffn, func(t *tensor.Tensor) *tensor.Tensor {
			return mapSlices(t, vmath.GELUTo[float64], vmath.GELUTo[float32])
		}},
		{"GELUGrad", ffn, func(t *tensor.Tensor) *tensor.Tensor {
			return mapSlices(t, vmath.GELUGradTo[float64], vmath.GELUGradTo[float32])
		}},
		{"Softmax", scores, softmaxLast},
		{"SoftmaxVJP", scores, func(t *tensor.Tensor) *tensor.Tensor {
			z := tensor.Uninitialized(t.DType(), t.Shape())
			softmaxVJPRows(t.Data32(), t.Data32(), z.Data32(), 128)
			return z
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(8 * int64(c.x.Size()))
			for b.Loop() {
				c.f(c.x)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*c.x.Size()), "ns/elem")
		})
	}
}

// BenchmarkActivationGrad times the gradient of Σ act(x) for each
// activation over W9's FFN activations (8×128×1024 float32): the forward
// kernel, the derivative and the product with the cotangent.
func BenchmarkActivationGrad(b *testing.B) {
	x := From(tensor.Float32.RandN(rand.New(rand.NewPCG(9, 10)), 8, 128, 1024))
	for _, c := range []struct {
		name string
		act  func(Value) Value
	}{{"GELU", GELU}, {"GELUTanh", GELUTanh}, {"SiLU", SiLU}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Grad(func(x Value) Value { return Sum(c.act(x), false) }, x)
			}
		})
	}
}
