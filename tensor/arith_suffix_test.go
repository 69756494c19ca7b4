package tensor

import (
	"math"
	"testing"

	"github.com/chainrule/chainrule/internal/kernel"
)

// TestArithSuffix checks arithmetic with an operand that repeats along the
// leading dimensions (a bias row against a batch of rows), both ways round,
// against elementwise references, at sizes that split across the cores in
// pieces that start inside a row.
func TestArithSuffix(t *testing.T) {
	ops := []struct {
		name string
		f    func(a, b *Tensor) *Tensor
		ref  func(u, v float64) float64
	}{
		{"add", Add, func(u, v float64) float64 { return u + v }},
		{"sub", Sub, func(u, v float64) float64 { return u - v }},
		{"div", Div, func(u, v float64) float64 { return u / v }},
		{"strong_mul", StrongMul, kernel.StrongMulScalar[float64]},
	}
	cases := [][2][]int{
		{{5, 3}, {3}},
		{{300, 129}, {129}},
		{{1024, 256}, {256}},
		{{4, 70, 201}, {70, 201}},
		{{3, 1, 77}, {1, 77}},
		{{20000, 2}, {2}},
	}
	for _, d := range dtypes {
		for ci, c := range cases {
			full := d.RandN(seeded(uint64(40+ci)), c[0]...)
			row := d.RandN(seeded(uint64(50+ci)), c[1]...)
			full.SetFlat(1, math.Inf(1))
			row.SetFlat(0, 0)
			if !isSuffix(c[1], c[0]) {
				t.Fatalf("%v against %v does not take the suffix path", c[1], c[0])
			}
			for _, op := range ops {
				for _, flip := range []bool{false, true} {
					a, b := full, row
					if flip {
						a, b = row, full
					}
					got := op.f(a, b)
					for i := range Size(c[0]) {
						idx := unravel(i, c[0])
						want := round(d, op.ref(a.AtFlat(refIndex(idx, a.Shape())), b.AtFlat(refIndex(idx, b.Shape()))))
						if g := got.AtFlat(i); !(g == want || math.IsNaN(g) && math.IsNaN(want)) {
							t.Fatalf("%s %s(%v, %v) element %d = %g, want %g", d, op.name, a.Shape(), b.Shape(), i, g, want)
						}
					}
				}
			}
		}
	}
}
