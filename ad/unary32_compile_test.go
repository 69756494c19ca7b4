package ad_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// TestCompileFloat32UnaryScalar checks that a compiled program computes a
// float32 unary function over a block of one element of a fused group
// (the last block of a core's share) bit for bit as eager evaluation
// does: through the float32 slice kernel, not float64's scalar kernel
// rounded. Every unary with a float32 kernel of its own, over many inputs.
func TestCompileFloat32UnaryScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	defer ad.SetFusion(1, 4)() // fuse small groups, in blocks of 4: 3×7 leaves a block of 1
	x := tensor.Float32.RandN(r, 3, 7)
	for _, c := range []struct {
		name string
		f    func(ad.Value) ad.Value
	}{{"Exp", ad.Exp}, {"Tanh", ad.Tanh}, {"Sigmoid", ad.Sigmoid}, {"GELU", ad.GELU}, {"GELUTanh", ad.GELUTanh}, {"SiLU", ad.SiLU}} {
		f := func(in []ad.Value) ad.Value { return ad.Mul(in[0], c.f(in[1])) }
		p := ad.Compile(f, ad.From(x), ad.From(x))
		if !p.Fused() {
			t.Fatalf("%s: the program fuses nothing:\n%s", c.name, p)
		}
		for i := range 300 {
			s := tensor.Mul(tensor.Float32.RandN(r, 3, 7), tensor.Float32.Scalar(4))
			want := f([]ad.Value{ad.From(x), ad.From(s)}).Tensor().Data32()
			got := p.Run(ad.From(x), ad.From(s))[0].Tensor().Data32()
			for j := range want {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("%s(%v) compiled: element %d = %v, eager %v (input %d)", c.name, s.Data32()[j], j, got[j], want[j], i)
				}
			}
		}
	}
}
