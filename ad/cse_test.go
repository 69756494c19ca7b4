package ad_test

import (
	"math"
	"testing"

	"github.com/chainrule/chainrule/ad"
)

// Compile records an instruction identical to an earlier one (same prim,
// same argument registers in the same order) once: a function that
// recomputes values records as many instructions as the same function
// written with the values shared, and one that differs in a prim or in
// the order of the arguments records more. Results match eager evaluation.
func TestCompileSharesIdenticalInstructions(t *testing.T) {
	shared := func(xs []ad.Value) []ad.Value {
		x, y := xs[0], xs[1]
		s, d := ad.Sin(x), ad.Sub(x, y)
		return []ad.Value{ad.Add(ad.Add(ad.Mul(s, s), ad.Mul(d, ad.Neg(d))), ad.Mul(s, d))}
	}
	recomputed := func(xs []ad.Value) []ad.Value {
		x, y := xs[0], xs[1]
		return []ad.Value{ad.Add(ad.Add(ad.Mul(ad.Sin(x), ad.Sin(x)), ad.Mul(ad.Sub(x, y), ad.Neg(ad.Sub(x, y)))), ad.Mul(ad.Sin(x), ad.Sub(x, y)))}
	}
	// Cos for one Sin, and y - x for one x - y: neither may be shared
	differs := func(xs []ad.Value) []ad.Value {
		x, y := xs[0], xs[1]
		return []ad.Value{ad.Add(ad.Add(ad.Mul(ad.Sin(x), ad.Cos(x)), ad.Mul(ad.Sub(x, y), ad.Neg(ad.Sub(y, x)))), ad.Mul(ad.Sin(x), ad.Sub(x, y)))}
	}
	in := []ad.Value{ad.Scalar(0.7), ad.Scalar(-1.3)}
	ps, pr, pd := ad.Compile(shared, in...), ad.Compile(recomputed, in...), ad.Compile(differs, in...)
	if pr.Len() != ps.Len() {
		t.Errorf("recomputed values: %d instructions, want %d as with the values shared", pr.Len(), ps.Len())
	}
	if pd.Len() != ps.Len()+2 {
		t.Errorf("a different prim and swapped arguments: %d instructions, want %d", pd.Len(), ps.Len()+2)
	}
	for _, x := range [][2]float64{{0.7, -1.3}, {2, 0.5}, {-0.4, 3}} {
		xs := []ad.Value{ad.Scalar(x[0]), ad.Scalar(x[1])}
		for name, c := range map[string]struct {
			f func([]ad.Value) []ad.Value
			p *ad.Program
		}{"shared": {shared, ps}, "recomputed": {recomputed, pr}, "differs": {differs, pd}} {
			want, got := c.f(xs)[0].Item(), c.p.Run(xs...)[0].Item()
			if math.Abs(got-want) > 1e-15*math.Max(1, math.Abs(want)) {
				t.Errorf("%s at %v: compiled %v, eager %v", name, x, got, want)
			}
		}
	}
}
