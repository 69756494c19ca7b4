package ad

import (
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// BenchmarkLayerNormKernel times the fused layer_norm and layer_norm_grad
// kernels on W9's rows (1024 rows of 256 float32s).
func BenchmarkLayerNormKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x, v := tensor.Float32.RandN(r, 1024, 256), tensor.Float32.RandN(r, 1024, 256)
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			tensor.Recycle(lnKernel(x, nil, 1, 1e-5))
		}
	})
	b.Run("grad", func(b *testing.B) {
		for b.Loop() {
			tensor.Recycle(lnKernel(x, v, 1, 1e-5))
		}
	})
}
