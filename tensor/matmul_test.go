package tensor

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// refMatMul is NumPy's matmul spelled out: promote 1-d operands, broadcast
// the batch dimensions, run the triple loop per batch element, then drop the
// promoted dimensions. It also returns Σ|a_ik·b_kj| per element.
func refMatMul(a, b *Tensor) (shape []int, out, scale []float64) {
	as, bs := a.Shape(), b.Shape()
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k, n := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
	batch, ok := refBroadcastShape(as[:len(as)-2], bs[:len(bs)-2])
	if !ok || bs[len(bs)-2] != k {
		panic("refMatMul: shapes do not fit")
	}
	full := append(slices.Clone(batch), m, n)
	av, bv := a.Float64s(), b.Float64s()
	out = make([]float64, prod(full))
	scale = make([]float64, len(out))
	for o := range out {
		idx := unravel(o, full)
		bidx, i, j := idx[:len(batch)], idx[len(batch)], idx[len(batch)+1]
		for p := 0; p < k; p++ {
			ai := append(slices.Clone(bidx), i, p)
			bi := append(slices.Clone(bidx), p, j)
			x := av[refIndex(ai, as)]
			y := bv[refIndex(bi, bs)]
			out[o] += x * y
			scale[o] += math.Abs(x * y)
		}
	}
	shape = slices.Clone(batch)
	if a.Rank() > 1 {
		shape = append(shape, m)
	}
	if b.Rank() > 1 {
		shape = append(shape, n)
	}
	return shape, out, scale
}

var matmulCases = []struct{ a, b []int }{
	{[]int{3, 4}, []int{4, 2}},
	{[]int{1, 1}, []int{1, 1}},
	{[]int{5, 3}, []int{3, 1}},
	{[]int{1, 7}, []int{7, 6}},
	{[]int{2, 3, 4}, []int{4, 5}},
	{[]int{3, 4}, []int{2, 4, 5}},
	{[]int{2, 3, 4}, []int{2, 4, 5}},
	{[]int{2, 1, 3, 4}, []int{5, 4, 2}},
	{[]int{2, 1, 3, 4}, []int{1, 5, 4, 2}},
	{[]int{4}, []int{4, 3}},
	{[]int{3, 4}, []int{4}},
	{[]int{4}, []int{4}},
	{[]int{4}, []int{2, 4, 3}},
	{[]int{2, 3, 4}, []int{4}},
	{[]int{0, 4}, []int{4, 3}},
	{[]int{3, 0}, []int{0, 2}},
	{[]int{0}, []int{0}},
	{[]int{2, 0, 3, 4}, []int{4, 5}},
	{[]int{17, 33}, []int{33, 9}}, // large enough for gonum's blocked kernels
	// batches large enough to run whole products in parallel
	{[]int{8, 64, 64}, []int{8, 64, 64}},
	{[]int{2, 3, 40, 50}, []int{1, 3, 50, 61}},
	// one b for the whole batch (a layer's weight): the batch's rows
	// stacked into one product
	{[]int{3, 40, 50}, []int{1, 50, 33}},
	{[]int{2, 2, 30, 20}, []int{20, 70}},
}

func TestMatMulAgainstTripleLoop(t *testing.T) {
	for _, d := range dtypes {
		for ci, c := range matmulCases {
			name := fmt.Sprintf("%s %s×%s", d, ShapeString(c.a), ShapeString(c.b))
			// small integers: exact in both dtypes
			a := mk(d, ints(uint64(2*ci), prod(c.a)), c.a...)
			b := mk(d, ints(uint64(2*ci+1), prod(c.b)), c.b...)
			a0, b0 := a.Clone(), b.Clone()
			shape, want, _ := refMatMul(a, b)
			checkExact(t, name, MatMul(a, b), d, shape, want)
			if !Equal(a, a0) || !Equal(b, b0) {
				t.Fatalf("%s: MatMul modified its arguments", name)
			}
			// full-mantissa values: equal to rounding
			a = mk(d, reals(uint64(2*ci), prod(c.a)), c.a...)
			b = mk(d, reals(uint64(2*ci+1), prod(c.b)), c.b...)
			shape, want, scale := refMatMul(a, b)
			tol := 1e-14
			if d == Float32 {
				tol = 1e-6
			}
			checkClose(t, name+" reals", MatMul(a, b), shape, want, scale, tol)
		}
	}
}

func TestMatMulHandValues(t *testing.T) {
	a := New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	b := New([]float64{7, 8, 9, 10, 11, 12}, 3, 2)
	checkExact(t, "2x3 3x2", MatMul(a, b), Float64, []int{2, 2}, []float64{58, 64, 139, 154})
	v := New([]float64{1, 0, -1}, 3)
	checkExact(t, "matrix·vector", MatMul(a, v), Float64, []int{2}, []float64{-2, -2})
	checkExact(t, "vector·vector", MatMul(v, v), Float64, []int{}, []float64{2})
	s := MatMul(v, v)
	if s.Item() != 2 {
		t.Errorf("dot = %v", s.Item())
	}
	checkExact(t, "float32", MatMul(New32([]float32{1, 2}, 1, 2), New32([]float32{3, 4}, 2, 1)), Float32, []int{1, 1}, []float64{11})
	checkExact(t, "float32 dot", MatMul(New32([]float32{1, 2}, 2), New32([]float32{3, 4}, 2)), Float32, []int{}, []float64{11})
	// A·I = A and I·A = A
	x := RandN(seeded(3), 4, 5)
	if !Equal(MatMul(x, Eye(5)), x) || !Equal(MatMul(Eye(4), x), x) {
		t.Error("multiplying by the identity changed the matrix")
	}
}

func TestMatMulPanics(t *testing.T) {
	for _, d := range dtypes {
		z := d.Zeros
		checkPanic(t, "inner", ErrShape, "chainrule: matmul: shapes (3,4) and (5,2) do not match", func() { MatMul(z(3, 4), z(5, 2)) })
		checkPanic(t, "vectors", ErrShape, "chainrule: matmul: shapes (3) and (4) do not match", func() { MatMul(z(3), z(4)) })
		checkPanic(t, "vector·matrix", ErrShape, "chainrule: matmul: shapes (3) and (4,3) do not match", func() { MatMul(z(3), z(4, 3)) })
		checkPanic(t, "batch inner", ErrShape, "chainrule: matmul: shapes (2,3,4) and (2,3,4) do not match", func() { MatMul(z(2, 3, 4), z(2, 3, 4)) })
		checkPanic(t, "batch", ErrShape, "chainrule: matmul: batch dimensions of shapes (2,3,4) and (3,4,5) do not broadcast", func() { MatMul(z(2, 3, 4), z(3, 4, 5)) })
		checkPanic(t, "scalar left", ErrShape, "chainrule: matmul: shapes () and (2,2): scalar operand", func() { MatMul(d.Scalar(1), z(2, 2)) })
		checkPanic(t, "scalar right", ErrShape, "chainrule: matmul: shapes (2) and (): scalar operand", func() { MatMul(z(2), d.Scalar(1)) })
	}
	checkPanic(t, "dtype", ErrDType, "chainrule: matmul: float64 (2,2) and float32 (2,2) need a conversion", func() { MatMul(Zeros(2, 2), Float32.Zeros(2, 2)) })
}
