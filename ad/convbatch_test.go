package ad_test

import (
	"fmt"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// A LeNet-like network for the batching tests: conv (1→4, 3×3, pad 1) +
// bias, tanh, 2×2 max pooling, grouped conv (4→6, 2 groups, 2×2), tanh,
// 2×2 average pooling, dense 24→3. x is N×1×10×10; the result N×3.
func lenet(x, w1, b1, w2, w3 ad.Value) ad.Value {
	h := ad.Conv2D(x, w1, ad.ConvConfig{Padding: [2][2]int{{1, 1}, {1, 1}}})
	h = ad.Tanh(ad.Add(h, ad.Reshape(b1, 4, 1, 1)))
	h = ad.MaxPool2D(h, [2]int{2, 2}, ad.PoolConfig{}) // N×4×5×5
	h = ad.Tanh(ad.Conv2D(h, w2, ad.ConvConfig{Groups: 2}))
	h = ad.AvgPool2D(h, [2]int{2, 2}, ad.PoolConfig{}) // N×6×2×2
	return ad.MatMul(ad.Reshape(h, h.Shape()[0], 24), w3)
}

func lenetParams(seed uint64) []ad.Value {
	r := seeded(seed)
	return []ad.Value{
		ad.From(tensor.RandN(r, 4, 1, 3, 3)),
		ad.From(tensor.RandN(r, 4)),
		ad.Mul(ad.From(tensor.RandN(r, 6, 2, 2, 2)), ad.Scalar(0.5)),
		ad.From(tensor.RandN(r, 24, 3)),
	}
}

// TestConvVJPBatchLeNet: VJPBatch through the conv+pool+conv stack, and
// through its gradient (a second-order sweep, whose reverse rules batch
// the weights' side of the convolutions), row by row against VJP.
func TestConvVJPBatchLeNet(t *testing.T) {
	const k = 5
	ps := lenetParams(11)
	x := ad.From(tensor.RandN(seeded(12), 2, 1, 10, 10))
	args := append([]ad.Value{x}, ps...)
	f := func(xs []ad.Value) ad.Value { return lenet(xs[0], xs[1], xs[2], xs[3], xs[4]) }
	// and its gradient with respect to the parameters, flattened
	target := ad.From(tensor.RandN(seeded(13), 2, 3))
	g := func(xs []ad.Value) ad.Value {
		loss := func(ps []ad.Value) ad.Value {
			return ad.Sum(ad.Square(ad.Sub(lenet(xs[0], ps[0], ps[1], ps[2], ps[3]), target)), false)
		}
		gs := ad.Grads(loss, xs[1:]...)
		for i := range gs {
			gs[i] = ad.Reshape(gs[i], -1)
		}
		return ad.Concat(0, gs...)
	}
	for _, c := range []struct {
		name string
		f    func([]ad.Value) ad.Value
	}{{"network", f}, {"its gradient", g}} {
		y, pull := ad.VJPBatch(c.f, args...)
		cts := ad.From(tensor.RandN(seeded(14), append([]int{k}, y.Shape()...)...))
		got := pull(cts)
		_, one := ad.VJP(c.f, args...)
		for d := range k {
			want := one(ad.Reshape(ad.Slice(cts, 0, d, d+1), y.Shape()...))
			for i := range args {
				nearT(t, fmt.Sprintf("%s: VJPBatch row %d, argument %d", c.name, d, i),
					tensor.Slice(got[i].Tensor(), 0, d, d+1).Reshape(args[i].Shape()...), want[i].Tensor(), 1e-11)
			}
		}
	}
}

// perExampleLoss is the squared error of the network on one example x
// (1×10×10) against its target t (3 values), with the parameters ps.
func perExampleLoss(x, t ad.Value, ps []ad.Value) ad.Value {
	y := lenet(ad.Reshape(x, 1, 1, 10, 10), ps[0], ps[1], ps[2], ps[3])
	return ad.Sum(ad.Square(ad.Sub(ad.Reshape(y, 3), t)), false)
}

// perExampleGrads returns the gradient of perExampleLoss with respect to
// the parameters, flattened into one vector.
func perExampleGrads(x, t ad.Value, ps []ad.Value) ad.Value {
	gs := ad.Grads(func(ps []ad.Value) ad.Value { return perExampleLoss(x, t, ps) }, ps...)
	for i := range gs {
		gs[i] = ad.Reshape(gs[i], -1)
	}
	return ad.Concat(0, gs...)
}

// TestConvVmapPerExampleGrads: Vmap of Grads of a small CNN (per-example
// gradients, the parameters shared) against a loop of Grads, with no
// primitive falling back to a loop.
func TestConvVmapPerExampleGrads(t *testing.T) {
	const k = 4
	ps := lenetParams(21)
	xs := ad.From(tensor.RandN(seeded(22), k, 1, 10, 10))
	ts := ad.From(tensor.RandN(seeded(23), k, 3))
	mapped := func(in []ad.Value) ad.Value { return perExampleGrads(in[0], in[1], in[2:]) }
	axes := []int{0, 0, ad.NotMapped, ad.NotMapped, ad.NotMapped, ad.NotMapped}
	got := ad.Vmap(mapped, axes...)(append([]ad.Value{xs, ts}, ps...)...).Tensor()
	for d := range k {
		x := ad.Reshape(ad.Slice(xs, 0, d, d+1), 1, 10, 10)
		tg := ad.Reshape(ad.Slice(ts, 0, d, d+1), 3)
		nearT(t, fmt.Sprintf("per-example gradient %d", d), tensor.Slice(got, 0, d, d+1).Reshape(got.Shape()[1:]...),
			perExampleGrads(x, tg, ps).Tensor(), 1e-12)
	}
	if fb := ad.VmapFallbacks(func(in []ad.Value) ad.Value { return perExampleGrads(in[0], in[1], ps) }, xs, ts); len(fb) != 0 {
		t.Errorf("primitives without a batching rule: %v", fb)
	}
	// the parameters mapped too (a batch of networks): Vmap against the loop
	pk := make([]ad.Value, len(ps))
	for i, p := range ps {
		pk[i] = ad.Stack(0, p, ad.Mul(p, ad.Scalar(0.5)), ad.Neg(p), ad.Mul(p, ad.Scalar(2)))
	}
	all := ad.Vmap(mapped)(append([]ad.Value{xs, ts}, pk...)...).Tensor()
	for d := range k {
		x := ad.Reshape(ad.Slice(xs, 0, d, d+1), 1, 10, 10)
		tg := ad.Reshape(ad.Slice(ts, 0, d, d+1), 3)
		pd := make([]ad.Value, len(pk))
		for i, p := range pk {
			pd[i] = ad.Reshape(ad.Slice(p, 0, d, d+1), ps[i].Shape()...)
		}
		nearT(t, fmt.Sprintf("batch of networks, row %d", d), tensor.Slice(all, 0, d, d+1).Reshape(all.Shape()[1:]...),
			perExampleGrads(x, tg, pd).Tensor(), 1e-12)
	}
}

// BenchmarkConvPerExampleGrads: the per-example gradients of the small CNN
// for a batch of 32, by Vmap of Grads against a loop of Grads.
func BenchmarkConvPerExampleGrads(b *testing.B) {
	const k = 32
	ps := lenetParams(31)
	xs := ad.From(tensor.RandN(seeded(32), k, 1, 10, 10))
	ts := ad.From(tensor.RandN(seeded(33), k, 3))
	b.Run("vmap", func(b *testing.B) {
		f := ad.Vmap(func(in []ad.Value) ad.Value { return perExampleGrads(in[0], in[1], ps) })
		for b.Loop() {
			f(xs, ts)
		}
	})
	b.Run("loop", func(b *testing.B) {
		for b.Loop() {
			out := make([]ad.Value, k)
			for d := range k {
				x := ad.Reshape(ad.Slice(xs, 0, d, d+1), 1, 10, 10)
				tg := ad.Reshape(ad.Slice(ts, 0, d, d+1), 3)
				out[d] = perExampleGrads(x, tg, ps)
			}
			ad.Stack(0, out...)
		}
	})
}

// BenchmarkConvVJPBatch: 10 cotangents pulled back through the LeNet-like
// stack on 8 images by one VJPBatch sweep.
func BenchmarkConvVJPBatch(b *testing.B) {
	const k = 10
	ps := lenetParams(41)
	x := ad.From(tensor.RandN(seeded(42), 8, 1, 10, 10))
	f := func(xs []ad.Value) ad.Value { return lenet(xs[0], xs[1], xs[2], xs[3], xs[4]) }
	y, pull := ad.VJPBatch(f, append([]ad.Value{x}, ps...)...)
	cts := ad.From(tensor.RandN(seeded(43), append([]int{k}, y.Shape()...)...))
	for b.Loop() {
		pull(cts)
	}
}

// TestConvVmapNestedHessian: Vmap of Vmap of the weight gradient of a
// grouped conv + tanh + max pool (inner Vmap: inputs and weights mapped;
// outer: inputs only) against a double loop of Grads; and the Hessian in
// the weights (JacRev of Grad: a VJPBatch sweep through the convolutions'
// second-order rules) against columns computed by JVP of Grad.
func TestConvVmapNestedHessian(t *testing.T) {
	x := ad.From(tensor.RandN(seeded(1), 2, 3, 1, 4, 6, 5)) // 2×3 batches of 1×4×6×5
	w := ad.From(tensor.RandN(seeded(2), 3, 6, 2, 3, 2))    // 3 weights, groups 2
	cfg := ad.ConvConfig{Groups: 2, Padding: [2][2]int{{1, 0}, {0, 1}}}
	f := func(xs []ad.Value) ad.Value {
		y := ad.MaxPool2D(ad.Tanh(ad.Conv2D(xs[0], xs[1], cfg)), [2]int{2, 2}, ad.PoolConfig{})
		return ad.Sum(ad.Square(y), false)
	}
	inner := ad.Vmap(func(xs []ad.Value) ad.Value { return ad.Grads(f, xs...)[1] }, 0, 0)
	got := ad.Vmap(func(xs []ad.Value) ad.Value { return inner(xs[0], xs[1]) }, 0, ad.NotMapped)(x, w).Tensor()
	for i := range 2 {
		for j := range 3 {
			xi := ad.Reshape(ad.Slice(ad.Reshape(ad.Slice(x, 0, i, i+1), 3, 1, 4, 6, 5), 0, j, j+1), 1, 4, 6, 5)
			wj := ad.Reshape(ad.Slice(w, 0, j, j+1), 6, 2, 3, 2)
			want := ad.Grads(f, xi, wj)[1].Tensor()
			nearT(t, fmt.Sprintf("Vmap of Vmap [%d,%d]", i, j), tensor.Slice(tensor.Slice(got, 0, i, i+1).Reshape(3, 6, 2, 3, 2), 0, j, j+1).Reshape(6, 2, 3, 2), want, 1e-12)
		}
	}
	// Hessian of a CNN loss in the weights: JacRev of Grad against the column-by-column JVP of Grad
	x0 := ad.Reshape(ad.Slice(ad.Reshape(x, 6, 1, 4, 6, 5), 0, 0, 1), 1, 4, 6, 5)
	w0 := ad.Reshape(ad.Slice(w, 0, 0, 1), 72)
	loss := func(wf ad.Value) ad.Value { return f([]ad.Value{x0, ad.Reshape(wf, 6, 2, 3, 2)}) }
	h := ad.Hessian(loss, w0).Tensor()
	for c := 0; c < 72; c += 7 {
		e := tensor.Zeros(72)
		e.SetFlat(c, 1)
		_, d := ad.JVP(func(xs []ad.Value) ad.Value { return ad.Grad(loss, xs[0]) }, []ad.Value{w0}, []ad.Value{ad.From(e)})
		nearT(t, fmt.Sprintf("Hessian column %d", c), tensor.Slice(h, 1, c, c+1).Reshape(72), d.Tensor(), 1e-10)
	}
}
