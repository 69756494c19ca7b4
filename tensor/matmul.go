package tensor

import (
	"slices"

	gemmpkg "github.com/chainrule/chainrule/internal/gemm"
	"github.com/chainrule/chainrule/internal/workers"
)

// MatMul returns the matrix product with NumPy's matmul semantics: rank-2
// operands multiply as matrices; higher ranks are stacks of matrices whose
// leading (batch) dimensions broadcast; a 1-d left operand is a row vector
// and a 1-d right operand a column vector, and the added dimension is
// removed from the result. It returns a new tensor and panics with ErrDType
// if the dtypes differ and with ErrShape when the inner dimensions differ,
// e.g. "chainrule: matmul: shapes (3,4) and (5,2) do not match", when the
// batch dimensions do not broadcast, for scalar operands, and when the
// product would be too large for a tensor (see Size).
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
	out := matmul(a, b, as, bs, false, false)
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

// MatMulT returns op(a)·op(b) for operands of rank at least 2, where op
// swaps the last two axes when the flag is set (a transposed operand is
// read in place, not copied). Batch dimensions broadcast as in MatMul. It
// panics with ErrShape or ErrDType like MatMul.
func MatMulT(a, b *Tensor, ta, tb bool) *Tensor {
	sameDType("matmul", a, b)
	if a.Rank() < 2 || b.Rank() < 2 {
		Panicf(ErrShape, "matmul", "shapes %s and %s: operands need rank 2 or more", ShapeString(a.shape), ShapeString(b.shape))
	}
	return matmul(a, b, a.shape, b.shape, ta, tb)
}

// matmul multiplies the stacks of matrices a and b viewed with shapes as and
// bs (rank ≥ 2), transposing each matrix as flagged.
func matmul(a, b *Tensor, as, bs []int, ta, tb bool) *Tensor {
	ra, ca := as[len(as)-2], as[len(as)-1]
	rb, cb := bs[len(bs)-2], bs[len(bs)-1]
	m, k := ra, ca
	if ta {
		m, k = ca, ra
	}
	k2, n := rb, cb
	if tb {
		k2, n = cb, rb
	}
	if k != k2 {
		Panicf(ErrShape, "matmul", "shapes %s and %s do not match", ShapeString(a.shape), ShapeString(b.shape))
	}
	batch, ok := broadcast(as[:len(as)-2], bs[:len(bs)-2])
	if !ok {
		Panicf(ErrShape, "matmul", "batch dimensions of shapes %s and %s do not broadcast", ShapeString(a.shape), ShapeString(b.shape))
	}
	shape := append(slices.Clone(batch), m, n)
	if _, ok := shapeSize(shape); !ok {
		Panicf(ErrShape, "matmul", "shapes %s and %s give a product of shape %s, too large for a tensor", ShapeString(a.shape), ShapeString(b.shape), ShapeString(shape))
	}
	if m == 0 || n == 0 || k == 0 {
		return Empty(a.dtype, shape)
	}
	out := dirty(a.dtype, shape) // gemm writes it all (beta = 0)
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
	one := func(i int, serial bool) {
		ao, bo, oo := abat[i]*m*k, bbat[i]*k*n, i*m*n
		if a.dtype == Float32 {
			gemm(m, n, k, ta, tb, a.f32[ao:ao+m*k], b.f32[bo:bo+k*n], out.f32[oo:oo+m*n], serial)
		} else {
			gemm(m, n, k, ta, tb, a.f64[ao:ao+m*k], b.f64[bo:bo+k*n], out.f64[oo:oo+m*n], serial)
		}
	}
	if nb > 1 && !ta && stacked(abat, bbat) {
		// every product shares one b (a layer's weight) and a's matrices
		// lie one after another: one product of the stacked rows, which
		// packs b once and fills the cores better than nb small ones
		ao, bo := abat[0]*m*k, bbat[0]*k*n
		if a.dtype == Float32 {
			gemm(nb*m, n, k, false, tb, a.f32[ao:ao+nb*m*k], b.f32[bo:bo+k*n], out.f32, false)
		} else {
			gemm(nb*m, n, k, false, tb, a.f64[ao:ao+nb*m*k], b.f64[bo:bo+k*n], out.f64, false)
		}
		return out
	}
	if work := int64(m) * int64(n) * int64(k); nb > 1 && work < batchSplitMax && int64(nb)*work >= int64(gemmpkg.ParallelThreshold) {
		// many medium products (attention heads): whole products on each
		// core, rather than each product cut up and synchronized
		workers.For(nb, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				one(i, true)
			}
		})
		return out
	}
	for i := range nb {
		one(i, false)
	}
	return out
}

// stacked reports whether a batched product's a matrices are consecutive
// (offsets 0, 1, 2, …, in matrices) and its b matrices all the same one.
func stacked(abat, bbat []int) bool {
	for i := range abat {
		if abat[i] != abat[0]+i || bbat[i] != bbat[0] {
			return false
		}
	}
	return true
}

// batchSplitMax is the number of multiply-adds (m·n·k) of one product of a
// batch below which matmul runs whole products of the batch in parallel,
// each on one goroutine, instead of splitting each product over the cores.
const batchSplitMax = 1 << 24

// gemm computes c = op(a)·op(b) for one m×k by k×n product; a is stored
// k×m when ta, and b n×k when tb. It runs chainrule's blocked GEMM
// (internal/gemm: AVX-512 or AVX2/FMA assembly where the CPU has it,
// portable Go elsewhere, every core for large products unless serial).
func gemm[T Float](m, n, k int, ta, tb bool, a, b, c []T, serial bool) {
	lda, ldb := k, n
	if ta {
		lda = m
	}
	if tb {
		ldb = k
	}
	switch x := any(a).(type) {
	case []float64:
		f := gemmpkg.F64
		if serial {
			f = gemmpkg.F64Serial
		}
		f(ta, tb, m, n, k, 1, x, lda, any(b).([]float64), ldb, 0, any(c).([]float64), n)
	case []float32:
		f := gemmpkg.F32
		if serial {
			f = gemmpkg.F32Serial
		}
		f(ta, tb, m, n, k, 1, x, lda, any(b).([]float32), ldb, 0, any(c).([]float32), n)
	}
}

// Linear returns the affine map x·wᵀ + b of a linear layer (PyTorch's
// F.linear): x shaped …×in, w out×in and b of length out, the result
// …×out. The leading dimensions of x are the rows of one product, and b
// is written into each block of the result just before the block's
// product is added to it (see internal/gemm's F32Bias), so the result
// takes one pass, not a product and then a pass adding b. The sum
// b + Σ x·w is rounded in another order than MatMulT's product plus b:
// the two agree to rounding. It panics with ErrShape unless x has rank
// ≥ 1 with in columns, w is out×in and b has length out, and with
// ErrDType if the dtypes differ.
func Linear(x, w, b *Tensor) *Tensor {
	const op = "linear"
	sameDType(op, x, w)
	sameDType(op, x, b)
	xs, ws := x.shape, w.shape
	if len(xs) < 1 || len(ws) != 2 || xs[len(xs)-1] != ws[1] {
		Panicf(ErrShape, op, "input %s and weight %s: want …×in and out×in", ShapeString(xs), ShapeString(ws))
	}
	if len(b.shape) != 1 || b.shape[0] != ws[0] {
		Panicf(ErrShape, op, "bias %s for weight %s: want (%d)", ShapeString(b.shape), ShapeString(ws), ws[0])
	}
	in, out := ws[1], ws[0]
	shape := append(slices.Clone(xs[:len(xs)-1]), out)
	if _, ok := shapeSize(shape); !ok {
		Panicf(ErrShape, op, "input %s and weight %s give a result of shape %s, too large for a tensor", ShapeString(xs), ShapeString(ws), ShapeString(shape))
	}
	m := Size(xs[:len(xs)-1])
	z := dirty(x.dtype, shape) // F32Bias and F64Bias write every element
	if x.dtype == Float32 {
		gemmpkg.F32Bias(false, true, m, out, in, 1, x.f32, max(1, in), w.f32, max(1, in), b.f32, z.f32, max(1, out))
	} else {
		gemmpkg.F64Bias(false, true, m, out, in, 1, x.f64, max(1, in), w.f64, max(1, in), b.f64, z.f64, max(1, out))
	}
	return z
}
