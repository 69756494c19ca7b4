package tensor

import (
	"slices"
	"testing"
)

// MatMulT against MatMul of explicitly transposed copies, for every flag
// combination, with matrix-vector shapes and broadcast batches.
func TestMatMulT(t *testing.T) {
	swap := func(x *Tensor) *Tensor {
		r := x.Rank()
		perm := make([]int, r)
		for i := range perm {
			perm[i] = i
		}
		perm[r-2], perm[r-1] = r-1, r-2
		return Transpose(x, perm...)
	}
	shapes := []struct{ a, b []int }{
		{[]int{3, 4}, []int{4, 5}},
		{[]int{3, 4}, []int{4, 1}},
		{[]int{1, 4}, []int{4, 5}},
		{[]int{2, 3, 4}, []int{4, 2}},
		{[]int{2, 1, 3, 4}, []int{5, 4, 6}},
		{[]int{6, 48, 64}, []int{6, 64, 40}}, // products of the batch in parallel
		{[]int{4, 30, 20}, []int{1, 20, 25}}, // one b: the batch's rows stacked
	}
	for _, dt := range []DType{Float64, Float32} {
		for _, s := range shapes {
			for f := 0; f < 4; f++ {
				ta, tb := f&1 == 1, f&2 == 2
				a := dt.RandN(seeded(1), s.a...)
				b := dt.RandN(seeded(2), s.b...)
				want := MatMul(a, b)
				if ta {
					a = swap(a)
				}
				if tb {
					b = swap(b)
				}
				got := MatMulT(a, b, ta, tb)
				if !slices.Equal(got.Shape(), want.Shape()) {
					t.Fatalf("%v %v ta=%v tb=%v: shape %v, want %v", s.a, s.b, ta, tb, got.Shape(), want.Shape())
				}
				for i := 0; i < want.Size(); i++ {
					d := got.AtFlat(i) - want.AtFlat(i)
					if d > 1e-5 || d < -1e-5 {
						t.Fatalf("%s %v %v ta=%v tb=%v: element %d = %g, want %g", dt, s.a, s.b, ta, tb, i, got.AtFlat(i), want.AtFlat(i))
					}
				}
			}
		}
	}
	if err := Maybe(func() { MatMulT(Zeros(3, 4), Zeros(3, 4), false, false) }); err == nil || err.Error() != "chainrule: matmul: shapes (3,4) and (3,4) do not match" {
		t.Errorf("mismatch error = %v", err)
	}
}
