package optim_test

import (
	"testing"

	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// BenchmarkStep times one step over a 784×256 + 256 + 256×10 + 10 MLP's
// parameters (W3's shapes), with allocations reported: after the first
// step there are none.
func BenchmarkStep(b *testing.B) {
	shapes := [][]int{{784, 256}, {256}, {256, 10}, {10}}
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64} {
		mk := map[string]func([]optim.Param) optim.Optimizer{
			"SGD-momentum": func(ps []optim.Param) optim.Optimizer {
				o := optim.NewSGD(ps, 0.01)
				o.Momentum = 0.9
				return o
			},
			"Adam":    func(ps []optim.Param) optim.Optimizer { return optim.NewAdam(ps) },
			"AdamW":   func(ps []optim.Param) optim.Optimizer { return optim.NewAdamW(ps) },
			"RMSProp": func(ps []optim.Param) optim.Optimizer { return optim.NewRMSProp(ps) },
		}
		for _, name := range []string{"SGD-momentum", "Adam", "AdamW", "RMSProp"} {
			b.Run(name+"/"+d.String(), func(b *testing.B) {
				var ps []optim.Param
				var gs []*tensor.Tensor
				n := 0
				for i, s := range shapes {
					ps = append(ps, optim.Param{Name: string(rune('a' + i)), T: d.RandN(seeded(uint64(i)), s...)})
					gs = append(gs, d.RandN(seeded(uint64(10+i)), s...))
					n += ps[i].T.Size()
				}
				o := mk[name](ps)
				o.Step(gs)
				b.ReportAllocs()
				size := 8
				if d == tensor.Float32 {
					size = 4
				}
				b.SetBytes(int64(n * size)) // bytes of parameters updated per step
				b.ResetTimer()
				for range b.N {
					o.Step(gs)
				}
			})
		}
	}
}

func BenchmarkClipGradNorm(b *testing.B) {
	gs := []*tensor.Tensor{tensor.Float32.RandN(seeded(1), 784, 256), tensor.Float32.RandN(seeded(2), 256)}
	b.ReportAllocs()
	for range b.N {
		optim.ClipGradNorm(gs, 1e9, 2)
	}
}
