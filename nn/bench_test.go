package nn

import (
	"math"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// BenchmarkLeNetStep times one training step of issue 13's W8 network (a
// LeNet-5-style CNN: 1×28×28, conv 6@5×5, pool, conv 16@5×5, pool, 120,
// 84, 10; here with the activations of testdata/gen.py's copy), batch 64,
// float32, softmax cross-entropy, SGD with momentum 0.9: eagerly through
// Ctx.ValueAndGrads, and through a program compiled with the parameters
// as inputs. The compiled gradients are checked against the eager ones
// before timing.
func BenchmarkLeNetStep(b *testing.B) {
	net := newLeNet(seeded(1))
	To(net, tensor.Float32)
	x := ad.From(tensor.Float32.RandN(seeded(2), 64, 1, 28, 28))
	labels := make([]int, 64)
	for i := range labels {
		labels[i] = i % 10
	}
	params := Params(net)
	loss := func(c *Ctx) ad.Value { return ad.SoftmaxCrossEntropy(net.Forward(c, x), labels) }
	train := &Ctx{Train: true}
	b.Run("eager", func(b *testing.B) {
		opt := optim.NewSGD(params, 0.01)
		opt.Momentum = 0.9
		for b.Loop() {
			_, grads := train.ValueAndGrads(params, loss)
			opt.Step(grads)
		}
	})
	b.Run("compiled", func(b *testing.B) {
		n := len(params)
		prog := ad.Compile(func(in []ad.Value) []ad.Value {
			v, gs := ad.ValueAndGrads(func(ps []ad.Value) ad.Value {
				c := train.Bind(params, ps)
				return ad.SoftmaxCrossEntropy(net.Forward(c, in[n]), labels)
			}, in[:n]...)
			return append([]ad.Value{v}, gs...)
		}, append(values(params), x)...)
		outs := prog.Run(append(values(params), x)...)
		_, eager := train.ValueAndGrads(params, loss)
		for i, g := range eager {
			got := outs[1+i].Tensor()
			for j := range g.Size() {
				if d := math.Abs(got.AtFlat(j) - g.AtFlat(j)); d > 1e-4*(1+math.Abs(g.AtFlat(j))) {
					b.Fatalf("%s[%d]: compiled %g, eager %g", params[i].Name, j, got.AtFlat(j), g.AtFlat(j))
				}
			}
		}
		opt := optim.NewSGD(params, 0.01)
		opt.Momentum = 0.9
		grads := make([]*tensor.Tensor, n)
		in := append(values(params), x)
		var out []ad.Value
		for b.Loop() {
			out = prog.AppendRun(out[:0], in...)
			for i := range grads {
				grads[i] = out[1+i].Tensor()
			}
			opt.Step(grads)
		}
	})
}
