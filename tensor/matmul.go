package tensor

import (
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
)

// MatMul returns the matrix product with NumPy's matmul semantics: rank-2
// operands multiply as matrices; higher ranks are stacks of matrices whose
// leading (batch) dimensions broadcast; a 1-d left operand is a row vector
// and a 1-d right operand a column vector, and the added dimension is
// removed from the result. It returns a new tensor and panics with ErrDType
// if the dtypes differ and with ErrShape when the inner dimensions differ,
// e.g. "chainrule: matmul: shapes (3,4) and (5,2) do not match", when the
// batch dimensions do not broadcast, and for scalar operands.
func MatMul(a, b *Tensor) *Tensor {
	sameDType("matmul", a, b)
	if a.Rank() == 0 || b.Rank() == 0 {
		Panicf(ErrShape, "matmul", "shapes %s and %s: scalar operand", ShapeString(a.shape), ShapeString(b.shape))
	}
	as, bs := a.shape, b.shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	m, k := as[len(as)-2], as[len(as)-1]
	k2, n := bs[len(bs)-2], bs[len(bs)-1]
	if k != k2 {
		Panicf(ErrShape, "matmul", "shapes %s and %s do not match", ShapeString(a.shape), ShapeString(b.shape))
	}
	batch, ok := broadcast(as[:len(as)-2], bs[:len(bs)-2])
	if !ok {
		Panicf(ErrShape, "matmul", "batch dimensions of shapes %s and %s do not broadcast", ShapeString(a.shape), ShapeString(b.shape))
	}
	shape := append(slices.Clone(batch), m, n)
	out := Empty(a.dtype, shape)
	nb := Size(batch)
	// offsets of each batch element in a and b
	abat, bbat := make([]int, 0, nb), make([]int, 0, nb)
	if len(batch) == 0 {
		abat, bbat = append(abat, 0), append(bbat, 0)
	} else {
		bcast(batch, [][]int{as[:len(as)-2], bs[:len(bs)-2]}, func(off, inner []int, o, cnt int) {
			for j := 0; j < cnt; j++ {
				abat = append(abat, off[0]+j*inner[0])
				bbat = append(bbat, off[1]+j*inner[1])
			}
		})
	}
	for i := 0; i < nb; i++ {
		ao, bo, oo := abat[i]*m*k, bbat[i]*k*n, i*m*n
		if a.dtype == Float32 {
			gemm32(m, n, k, a.f32[ao:ao+m*k], b.f32[bo:bo+k*n], out.f32[oo:oo+m*n])
		} else {
			gemm64(m, n, k, a.f64[ao:ao+m*k], b.f64[bo:bo+k*n], out.f64[oo:oo+m*n])
		}
	}
	// drop the dimensions added for 1-d operands
	s := out.shape
	switch {
	case a.Rank() == 1 && b.Rank() == 1:
		s = []int{}
	case a.Rank() == 1:
		s = slices.Delete(slices.Clone(s), len(s)-2, len(s)-1)
	case b.Rank() == 1:
		s = s[:len(s)-1]
	}
	out.shape = s
	if len(s) == 0 && out.dtype == Float64 {
		v := out.f64[0]
		out.small[0] = v
		out.f64 = out.small[:]
	}
	return out
}

func gemm64(m, n, k int, a, b, c []float64) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		return
	}
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas64.General{Rows: m, Cols: k, Stride: max(k, 1), Data: a},
		blas64.General{Rows: k, Cols: n, Stride: max(n, 1), Data: b},
		0, blas64.General{Rows: m, Cols: n, Stride: max(n, 1), Data: c})
}

func gemm32(m, n, k int, a, b, c []float32) {
	if m == 0 || n == 0 || k == 0 {
		return
	}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1,
		blas32.General{Rows: m, Cols: k, Stride: k, Data: a},
		blas32.General{Rows: k, Cols: n, Stride: n, Data: b},
		0, blas32.General{Rows: m, Cols: n, Stride: n, Data: c})
}
