package ad

// Matrix products. The primitive multiplies stacks of matrices (rank ≥ 2,
// batch dimensions broadcast); vectors are handled by reshaping around it.
// Rules: d(AB) = dA·B + A·dB; Ā = C̄·Bᵀ, B̄ = Aᵀ·C̄ (Giles, "Collected matrix
// derivative results", 2008), summed over broadcast batch dimensions.

import (
	"github.com/chainrule/chainrule/tensor"
)

var matmulPrim = new(prim)

func init() {
	*matmulPrim = prim{
		name: "matmul",
		impl: func(t []*tensor.Tensor, _ *params) *tensor.Tensor { return tensor.MatMul(t[0], t[1]) },
		jvp: func(tans, a []Value, out Value, _ *params, b int) Value {
			var acc Value
			for i, t := range tans {
				if t.IsZero() {
					continue
				}
				t = alignBatch(t, b, out.Rank())
				var term Value
				if i == 0 {
					term = MatMul(t, a[1])
				} else {
					term = MatMul(a[0], t)
				}
				if acc.IsZero() {
					acc = term
				} else {
					acc = Add(acc, term)
				}
			}
			return acc
		},
		vjp: func(ct Value, i int, a []Value, _ Value, _ *params) Value {
			if i == 0 {
				return SumTo(MatMul(ct, MT(a[1])), a[0].Shape()...)
			}
			return SumTo(MatMul(MT(a[0]), ct), a[1].Shape()...)
		},
	}
}

// MatMul returns the matrix product with NumPy's matmul semantics: matrices
// multiply, stacks of matrices broadcast their batch dimensions, a 1-d left
// operand is a row vector and a 1-d right one a column vector (the added
// dimension is dropped from the result). It panics with tensor.ErrShape,
// e.g. "chainrule: matmul: shapes (3,4) and (5,2) do not match".
func MatMul(a, b Value) Value {
	check("matmul", a, b)
	ra, rb := a.Rank(), b.Rank()
	if ra == 0 || rb == 0 || a.Shape()[ra-1] != b.Shape()[max(rb-2, 0)] {
		tensor.Panicf(tensor.ErrShape, "matmul", "shapes %s and %s do not match", tensor.ShapeString(a.Shape()), tensor.ShapeString(b.Shape()))
	}
	if ra >= 2 && rb >= 2 {
		return bind(matmulPrim, nil, a, b)
	}
	a2, b2 := a, b
	if ra == 1 {
		a2 = Reshape(a, 1, a.Shape()[0])
	}
	if rb == 1 {
		b2 = Reshape(b, b.Shape()[0], 1)
	}
	out := bind(matmulPrim, nil, a2, b2)
	s := out.Shape()
	switch {
	case ra == 1 && rb == 1:
		return Reshape(out)
	case ra == 1:
		return Reshape(out, append(append([]int(nil), s[:len(s)-2]...), s[len(s)-1])...)
	default:
		return Reshape(out, s[:len(s)-1]...)
	}
}

// Dot returns the inner product of two 1-d values of equal length. It
// panics with tensor.ErrShape otherwise.
func Dot(a, b Value) Value {
	check("dot", a, b)
	if a.Rank() != 1 || b.Rank() != 1 || a.Size() != b.Size() {
		tensor.Panicf(tensor.ErrShape, "dot", "shapes %s and %s are not vectors of one length", tensor.ShapeString(a.Shape()), tensor.ShapeString(b.Shape()))
	}
	return Sum(Mul(a, b), false)
}
