package tensor

import "testing"

// LeNet-5's convolutions at batch 64 in float32 (workload W8): forward,
// input gradient and weight gradient.
func BenchmarkConv2DLeNet(b *testing.B) {
	for _, c := range []struct {
		name string
		x, w []int
	}{
		{"conv1", []int{64, 1, 28, 28}, []int{6, 1, 5, 5}},
		{"conv2", []int{64, 6, 12, 12}, []int{16, 6, 5, 5}},
	} {
		x, w := Float32.RandN(seeded(1), c.x...), Float32.RandN(seeded(2), c.w...)
		y := Conv2D(x, w, ConvConfig{})
		b.Run(c.name+"/forward", func(b *testing.B) {
			for range b.N {
				Recycle(Conv2D(x, w, ConvConfig{}))
			}
		})
		b.Run(c.name+"/input_grad", func(b *testing.B) {
			for range b.N {
				Recycle(ConvTranspose2D(y, w, ConvConfig{}, c.x[2], c.x[3]))
			}
		})
		b.Run(c.name+"/weight_grad", func(b *testing.B) {
			for range b.N {
				Recycle(Conv2DWeightGrad(x, y, ConvConfig{}, c.w[2], c.w[3]))
			}
		})
	}
}
