package gemm

import (
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/internal/workers"
)

// stepShape is one kind of float32 product that a training step of the
// harness's workloads issues (see bench/w8.go and bench/w9.go), recorded
// from the calls of one step: op(A) is m×k, op(B) k×n, and the step makes
// count of them, one after the other through F32 (conc false, each split
// over the cores if it is large enough) or as independent products shared
// by the cores (conc true, as package tensor runs the heads of a batched
// product and the images of a convolution, each product through
// F32Serial, or F32Packed when packed). Products with beta1 accumulate
// into C after the first (a convolution's weight gradient summed over
// images). The rows with old set are shapes that the step no longer issues
// (or does not yet): they are timed alone but not in the step.
// bench/peers/gemm_shapes.py times the same list in PyTorch; keep the two
// in step.
type stepShape struct {
	name          string
	tA, tB        bool
	m, n, k       int
	count         int
	conc          bool
	packed, beta1 bool
	old           bool
}

// w9Shapes are the products of one W9 step (batch 8, sequence 128, width
// 256, 4 heads, FFN 1024): first, marked old, the four attention
// projections and the FFN per batch element (x·W, dY·Wᵀ, the weight
// gradient xᵀ·dY), as the step issued them before tensor.MatMul stacked a
// batch that shares its weight and ad summed a weight's gradient in one
// product; then the attention scores and weighted values per head; then
// the layers with the batch's 1024 rows stacked (weight gradients with
// k = 1024), as the step issues them now.
var w9Shapes = []stepShape{
	{name: "proj_xW_128x256x256", m: 128, n: 256, k: 256, count: 32, conc: true, old: true},
	{name: "proj_dyWt_128x256x256", tB: true, m: 128, n: 256, k: 256, count: 32, conc: true, old: true},
	{name: "proj_xtdy_256x256x128", tA: true, m: 256, n: 256, k: 128, count: 32, conc: true, old: true},
	{name: "attn_qkt_128x128x64", tB: true, m: 128, n: 128, k: 64, count: 64, conc: true},
	{name: "attn_pv_128x64x128", m: 128, n: 64, k: 128, count: 64, conc: true},
	{name: "attn_ptdo_128x64x128", tA: true, m: 128, n: 64, k: 128, count: 64, conc: true},
	{name: "ffn1_xW_128x1024x256", m: 128, n: 1024, k: 256, count: 8, old: true},
	{name: "ffn2_xW_128x256x1024", m: 128, n: 256, k: 1024, count: 8, old: true},
	{name: "ffn2_dyWt_128x1024x256", tB: true, m: 128, n: 1024, k: 256, count: 8, old: true},
	{name: "ffn1_dyWt_128x256x1024", tB: true, m: 128, n: 256, k: 1024, count: 8, old: true},
	{name: "ffn1_xtdy_256x1024x128", tA: true, m: 256, n: 1024, k: 128, count: 8, old: true},
	{name: "ffn2_xtdy_1024x256x128", tA: true, m: 1024, n: 256, k: 128, count: 8, old: true},
	{name: "fold_proj_xW_1024x256x256", m: 1024, n: 256, k: 256, count: 4},
	{name: "fold_proj_dyWt_1024x256x256", tB: true, m: 1024, n: 256, k: 256, count: 4},
	{name: "fold_proj_xtdy_256x256x1024", tA: true, m: 256, n: 256, k: 1024, count: 4},
	{name: "fold_ffn1_xW_1024x1024x256", m: 1024, n: 1024, k: 256, count: 1},
	{name: "fold_ffn2_xW_1024x256x1024", m: 1024, n: 256, k: 1024, count: 1},
	{name: "fold_ffn2_dyWt_1024x1024x256", tB: true, m: 1024, n: 1024, k: 256, count: 1},
	{name: "fold_ffn1_dyWt_1024x256x1024", tB: true, m: 1024, n: 256, k: 1024, count: 1},
	{name: "fold_ffn1_xtdy_256x1024x1024", tA: true, m: 256, n: 1024, k: 1024, count: 1},
	{name: "fold_ffn2_xtdy_1024x256x1024", tA: true, m: 1024, n: 256, k: 1024, count: 1},
}

// w8Shapes are the products of one W8 step (LeNet-5, batch 64) as tensor
// and nn issue them today: per image, the two convolutions (packed B),
// their weight gradients (the unfolded input times the output gradient
// transposed, summed over the images) and the second one's input gradient
// (Wᵀ·dY); the fully connected layers 256→120→84→10 forward (x·W), input
// gradients (dY·Wᵀ) and weight gradients (xᵀ·dY); then, marked old (not
// issued yet), the convolutions with the batch folded into the rows,
// pixels by output channels, as issue 13 quotes them.
var w8Shapes = []stepShape{
	{name: "conv1_fwd_6x576x25", m: 6, n: 576, k: 25, count: 64, conc: true, packed: true},
	{name: "conv2_fwd_16x64x150", m: 16, n: 64, k: 150, count: 64, conc: true, packed: true},
	{name: "conv1_dw_25x6x576", tB: true, m: 25, n: 6, k: 576, count: 64, conc: true, beta1: true},
	{name: "conv2_dw_150x16x64", tB: true, m: 150, n: 16, k: 64, count: 64, conc: true, beta1: true},
	{name: "conv2_dx_150x64x16", tA: true, m: 150, n: 64, k: 16, count: 64, conc: true},
	{name: "fc1_xW_64x120x256", m: 64, n: 120, k: 256, count: 1},
	{name: "fc2_xW_64x84x120", m: 64, n: 84, k: 120, count: 1},
	{name: "fc3_xW_64x10x84", m: 64, n: 10, k: 84, count: 1},
	{name: "fc1_dyWt_64x256x120", tB: true, m: 64, n: 256, k: 120, count: 1},
	{name: "fc2_dyWt_64x120x84", tB: true, m: 64, n: 120, k: 84, count: 1},
	{name: "fc3_dyWt_64x84x10", tB: true, m: 64, n: 84, k: 10, count: 1},
	{name: "fc1_xtdy_256x120x64", tA: true, m: 256, n: 120, k: 64, count: 1},
	{name: "fc2_xtdy_120x84x64", tA: true, m: 120, n: 84, k: 64, count: 1},
	{name: "fc3_xtdy_84x10x64", tA: true, m: 84, n: 10, k: 64, count: 1},
	{name: "fold_conv1_fwd_36864x6x25", tB: true, m: 36864, n: 6, k: 25, count: 1, old: true},
	{name: "fold_conv2_fwd_4096x16x150", tB: true, m: 4096, n: 16, k: 150, count: 1, old: true},
	{name: "fold_conv1_dw_6x25x36864", tA: true, m: 6, n: 25, k: 36864, count: 1, old: true},
	{name: "fold_conv2_dw_16x150x4096", tA: true, m: 16, n: 150, k: 4096, count: 1, old: true},
	{name: "fold_conv2_dx_4096x150x16", m: 4096, n: 150, k: 16, count: 1, old: true},
}

// BenchmarkW9Shapes times each kind of product of one W9 step, count of
// them per iteration, and reports GFLOP/s; "step" runs the products of
// the step (not the old rows) one kind after another.
func BenchmarkW9Shapes(b *testing.B) { benchSteps(b, w9Shapes) }

// BenchmarkW8Shapes is BenchmarkW9Shapes for W8.
func BenchmarkW8Shapes(b *testing.B) { benchSteps(b, w8Shapes) }

func benchSteps(b *testing.B, shapes []stepShape) {
	rng := rand.New(rand.NewPCG(3, 4))
	runs := make([]func(), len(shapes))
	flops := make([]float64, len(shapes))
	for i, s := range shapes {
		runs[i] = s.setup(rng)
		flops[i] = 2 * float64(s.m) * float64(s.n) * float64(s.k) * float64(s.count)
	}
	for i, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			runs[i]()
			for b.Loop() {
				runs[i]()
			}
			b.ReportMetric(flops[i]*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
	b.Run("step", func(b *testing.B) {
		total := 0.0
		for i, s := range shapes {
			if !s.old {
				total += flops[i]
			}
		}
		for b.Loop() {
			for i, s := range shapes {
				if !s.old {
					runs[i]()
				}
			}
		}
		b.ReportMetric(total*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

// setup allocates s's operands (one set per product, as a step's are
// distinct tensors) and returns a function computing all its products.
func (s stepShape) setup(rng *rand.Rand) func() {
	fill := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = rng.Float32() - 0.5
		}
		return v
	}
	lda, ldb := s.k, s.n
	if s.tA {
		lda = s.m
	}
	if s.tB {
		ldb = s.k
	}
	nr := PanelWidth32()
	as, bs, cs := make([][]float32, s.count), make([][]float32, s.count), make([][]float32, s.count)
	for i := range s.count {
		as[i], cs[i] = fill(s.m*s.k), fill(s.m*s.n)
		if s.packed {
			bs[i] = fill(PackedLen(s.k, s.n, nr))
		} else {
			bs[i] = fill(s.k * s.n)
		}
	}
	one := func(i int, serial bool) {
		var beta float32
		if s.beta1 && i > 0 {
			beta = 1
		}
		switch {
		case s.packed:
			F32Packed(s.m, s.n, s.k, as[i], lda, bs[i], beta, cs[i], s.n)
		case serial:
			F32Serial(s.tA, s.tB, s.m, s.n, s.k, 1, as[i], lda, bs[i], ldb, beta, cs[i], s.n)
		default:
			F32(s.tA, s.tB, s.m, s.n, s.k, 1, as[i], lda, bs[i], ldb, beta, cs[i], s.n)
		}
	}
	if s.conc {
		return func() {
			workers.For(s.count, 1, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					one(i, true)
				}
			})
		}
	}
	return func() {
		for i := range s.count {
			one(i, false)
		}
	}
}
