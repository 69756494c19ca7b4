package ad

// Matrix products. The primitive multiplies stacks of matrices (rank ≥ 2,
// batch dimensions broadcast); vectors, and a stack times one matrix, are
// handled by reshaping around it.
// Rules: d(AB) = dA·B + A·dB; Ā = C̄·Bᵀ, B̄ = Aᵀ·C̄ (Giles, "Collected matrix
// derivative results", 2008), summed over broadcast batch dimensions.

import (
	"slices"

	"github.com/chainrule/chainrule/tensor"
)

var matmulPrim = new(prim)

// matmulT is op(a)·op(b) for rank ≥ 2, op transposing the last two axes
// where flagged; the flags let the reverse rule read transposes in place.
func matmulT(a, b Value, ta, tb bool) Value {
	return bind(matmulPrim, &params{ta: ta, tb: tb}, a, b)
}

func init() {
	*matmulPrim = prim{
		name: "matmul",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor { return tensor.MatMulT(t[0], t[1], p.ta, p.tb) },
		// d(op(A)·op(B)) = op(dA)·op(B) + op(A)·op(dB)
		jvp: func(tans, a []Value, out Value, p *params, b int) Value {
			var acc Value
			for i, t := range tans {
				if t.IsZero() {
					continue
				}
				t = alignBatch(t, b, out.Rank())
				var term Value
				if f, ok := foldBatchJVP(t, i, a[0], a[1], b, p); ok {
					term = f
				} else if i == 0 {
					term = matmulT(t, a[1], p.ta, p.tb)
				} else {
					term = matmulT(a[0], t, p.ta, p.tb)
				}
				if acc.IsZero() {
					acc = term
				} else {
					acc = Add(acc, term)
				}
			}
			return acc
		},
		// C = op(A)·op(B): Ā = C̄·op(B)ᵀ, or its transpose op(B)·C̄ᵀ when A
		// is read transposed; B̄ = op(A)ᵀ·C̄, or C̄ᵀ·op(A) when B is.
		// A cotangent with VJPBatch's batch dimensions in front broadcasts
		// against the other operand like any stack of matrices.
		vjp: func(ct Value, i int, a []Value, out Value, p *params) Value {
			A, B := a[0], a[1]
			b := ctBatch(ct, out)
			if g, ok := foldBatchVJP(ct, i, A, B, b, p); ok {
				return g
			}
			if i == 0 {
				if p.ta {
					return sumToBatch(matmulT(B, ct, p.tb, true), b, A.Shape())
				}
				return sumToBatch(matmulT(ct, B, false, !p.tb), b, A.Shape())
			}
			if p.tb {
				return sumToBatch(matmulT(ct, A, true, p.ta), b, B.Shape())
			}
			return sumToBatch(matmulT(A, ct, !p.ta, false), b, B.Shape())
		},
		vmap: vmapMatMul,
	}
}

// MatMul returns the matrix product with NumPy's matmul semantics: matrices
// multiply, stacks of matrices broadcast their batch dimensions, a 1-d left
// operand is a row vector and a 1-d right one a column vector (the added
// dimension is dropped from the result). A stack of matrices times one
// matrix is recorded as one product over the stacked rows, between two
// reshapes, so that the matrix's gradient is one product too. It panics
// with tensor.ErrShape,
// e.g. "chainrule: matmul: shapes (3,4) and (5,2) do not match".
func MatMul(a, b Value) Value {
	check("matmul", a, b)
	ra, rb := a.Rank(), b.Rank()
	if ra == 0 || rb == 0 || a.Shape()[ra-1] != b.Shape()[max(rb-2, 0)] {
		tensor.Panicf(tensor.ErrShape, "matmul", "shapes %s and %s do not match", tensor.ShapeString(a.Shape()), tensor.ShapeString(b.Shape()))
	}
	if ra > 2 && rb == 2 {
		// a stack of matrices times one matrix (a layer's weight) is one
		// product over the stacked rows, as F.linear does: the weight's
		// gradient is then one product too, not one per matrix summed
		as := a.Shape()
		lead := as[:ra-1]
		y := matmulT(Reshape(a, tensor.Size(lead), as[ra-1]), b, false, false)
		return Reshape(y, append(slices.Clone(lead), b.Shape()[1])...)
	}
	if ra >= 2 && rb >= 2 {
		return matmulT(a, b, false, false)
	}
	a2, b2 := a, b
	if ra == 1 {
		a2 = Reshape(a, 1, a.Shape()[0])
	}
	if rb == 1 {
		b2 = Reshape(b, b.Shape()[0], 1)
	}
	out := matmulT(a2, b2, false, false)
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
