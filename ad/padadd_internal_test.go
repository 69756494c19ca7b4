package ad

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// pad_add in one pass against padding both operands with tensor.Pad and
// adding with tensor.Add, bit for bit: along every axis, with the two
// operands overlapping, apart, one inside the other, and on arrays large
// enough to be split over the cores (pieces that start and end inside
// rows), in both float dtypes, with −0 in b where only b is.
func TestPadAddOnePass(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 1))
	cases := []struct {
		shape              []int
		axis, la, lb, s, u int // a: la long at s; b: lb long at u
	}{
		{[]int{10}, 0, 9, 9, 0, 1},
		{[]int{10}, 0, 3, 2, 0, 7},   // apart
		{[]int{10}, 0, 8, 2, 1, 4},   // b inside a
		{[]int{10}, 0, 0, 4, 3, 2},   // a empty
		{[]int{6, 5}, 0, 5, 5, 0, 1}, // leading axis
		{[]int{6, 5}, 1, 4, 4, 1, 0}, // inner axis: one segment per row
		{[]int{3, 7, 4}, 1, 5, 3, 2, 0},
		{[]int{1 << 17}, 0, 1<<17 - 1, 1<<17 - 1, 0, 1}, // split over the cores
		{[]int{9, 40000}, 1, 39990, 30000, 3, 9000},     // pieces start inside rows
	}
	for _, c := range cases {
		for _, dt := range []tensor.DType{tensor.Float64, tensor.Float32} {
			name := fmt.Sprintf("%v axis %d %s", c.shape, c.axis, dt)
			sa, sb := append([]int(nil), c.shape...), append([]int(nil), c.shape...)
			sa[c.axis], sb[c.axis] = c.la, c.lb
			a, b := dt.RandN(r, sa...), dt.RandN(r, sb...)
			if b.Size() > 0 {
				b.SetFlat(0, math.Copysign(0, -1))
			}
			n := c.shape[c.axis]
			want := tensor.Add(tensor.Pad(a, c.axis, c.s, n-c.s-c.la), tensor.Pad(b, c.axis, c.u, n-c.u-c.lb))
			got := padAdd(a, b, c.axis, c.s, c.u, c.shape)
			if !sameShape(got.Shape(), want.Shape()) || got.DType() != dt {
				t.Fatalf("%s: shape %v %s, want %v", name, got.Shape(), got.DType(), want.Shape())
			}
			g, w := got.Float64s(), want.Float64s()
			for i := range w {
				if math.Float64bits(g[i]) != math.Float64bits(w[i]) {
					t.Errorf("%s: element %d = %v, want %v", name, i, g[i], w[i])
					break
				}
			}
		}
	}
}
