package tensor

import (
	"testing"

	gemmpkg "github.com/chainrule/chainrule/internal/gemm"
)

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

// The unfolding kernels alone at LeNet-5's geometries, 64 images: the
// forward pass's unfolding over wide positions into the GEMM's packed
// panels, the weight gradient's, and its inverse for the input gradient.
func BenchmarkIm2colLeNet(b *testing.B) {
	for _, c := range []struct {
		name string
		x, w []int
	}{
		{"conv1", []int{64, 1, 28, 28}, []int{6, 1, 5, 5}},
		{"conv2", []int{64, 6, 12, 12}, []int{16, 6, 5, 5}},
	} {
		cfg := ConvConfig{}.normalized("bench")
		g := newGeometry(cfg, c.x[0], c.x[1], c.x[2], c.x[3], c.w[0], c.w[2], c.w[3])
		x := Float32.RandN(seeded(1), c.x...).f32
		y := Float32.RandN(seeded(2), c.x[0], c.w[0], g.oh, g.ow).f32
		nr, wide := panelWidth[float32](), g.wide()
		buf := make([]float32, max(g.k*wide, gemmpkg.PackedLen(g.k, wide, nr)))
		yw := make([]float32, g.og*wide)
		dx := make([]float32, g.c*g.inSize)
		offs := g.tapOffsets()
		b.Run(c.name+"/packed", func(b *testing.B) {
			for b.Loop() {
				for n := range g.n {
					packWide(x[n*g.c*g.inSize:][:g.c*g.inSize], buf, offs, nr, wide)
				}
			}
		})
		b.Run(c.name+"/wide", func(b *testing.B) {
			for b.Loop() {
				for n := range g.n {
					wideCols(g, x[n*g.c*g.inSize:][:g.c*g.inSize], y[n*g.o*g.outPix:][:g.o*g.outPix], buf, yw, wide, true)
				}
			}
		})
		b.Run(c.name+"/col2im", func(b *testing.B) {
			for b.Loop() {
				for range g.n {
					col2imWide(g, buf, dx, wide, true)
				}
			}
		})
	}
}

// LeNet-5's max pooling at batch 64 in float32 (workload W8): the forward
// pass and the scatter of the gradient, after each convolution and ReLU.
func BenchmarkMaxPool2DLeNet(b *testing.B) {
	for _, c := range []struct {
		name string
		x    []int
	}{
		{"pool1", []int{64, 6, 24, 24}},
		{"pool2", []int{64, 16, 8, 8}},
	} {
		k := [2]int{2, 2}
		x := Float32.RandN(seeded(1), c.x...)
		for i, v := range x.f32 { // a ReLU's output, as in LeNet: half zeros, ties
			x.f32[i] = max(v, 0)
		}
		u := Float32.RandN(seeded(2), MaxPool2D(x, x, k, PoolConfig{}).Shape()...)
		b.Run(c.name+"/forward", func(b *testing.B) {
			for b.Loop() {
				Recycle(MaxPool2D(x, x, k, PoolConfig{}))
			}
		})
		b.Run(c.name+"/scatter", func(b *testing.B) {
			for b.Loop() {
				Recycle(MaxPool2DScatter(x, u, k, PoolConfig{}))
			}
		})
	}
}
