package tensor

import (
	"slices"

	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/internal/workers"
)

// NormalizeAxis returns axis as a non-negative axis of a tensor of the given
// shape (negative counts from the end). It panics with ErrAxis, naming op,
// when axis is out of range.
func NormalizeAxis(op string, shape []int, axis int) int {
	r := len(shape)
	a := axis
	if a < 0 {
		a += r
	}
	if a < 0 || a >= r {
		Panicf(ErrAxis, op, "axis %d out of range for shape %s", axis, ShapeString(shape))
	}
	return a
}

// Transpose returns a new tensor holding t with its axes permuted: axis i of
// the result is axis perm[i] of t. With no perm the axes are reversed. It
// panics with ErrAxis if perm is not a permutation.
func Transpose(t *Tensor, perm ...int) *Tensor {
	r := len(t.shape)
	if len(perm) == 0 {
		perm = make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
	}
	if !kernel.IsPerm(perm, r) {
		Panicf(ErrAxis, "transpose", "%v is not a permutation of the axes of shape %s", perm, ShapeString(t.shape))
	}
	shape := make([]int, r)
	for i, p := range perm {
		shape[i] = t.shape[p]
	}
	out := dirty(t.dtype, shape)
	if r == 0 {
		copy(out.f64, t.f64)
		copy(out.f32, t.f32)
		return out
	}
	// strides of t, permuted into the output's axis order
	src := make([]int, r)
	s := 1
	for i := r - 1; i >= 0; i-- {
		src[i] = s
		s *= t.shape[i]
	}
	pst := make([]int, r)
	for i, p := range perm {
		pst[i] = src[p]
	}
	if t.dtype == Float32 {
		permute(shape, pst, t.f32, out.f32)
	} else {
		permute(shape, pst, t.f64, out.f64)
	}
	return out
}

// permute writes into z, of shape, the elements of x at strides st (x's
// strides permuted into z's axis order). Axes of length 1 are dropped and
// axes that stay adjacent and in order are merged, so that the innermost
// loop runs as long as it can; when it is contiguous in x (a permutation
// that keeps the last axis, like the heads' split and merge in attention)
// it is a copy. The rows of z are split across the cores.
func permute[T Float](shape, st []int, x, z []T) {
	if len(z) == 0 {
		return
	}
	var ms, mst []int
	for i, d := range shape {
		switch {
		case d == 1:
		case len(ms) > 0 && mst[len(mst)-1] == st[i]*d:
			ms[len(ms)-1] *= d
			mst[len(mst)-1] = st[i]
		default:
			ms, mst = append(ms, d), append(mst, st[i])
		}
	}
	if len(ms) == 0 { // one element
		z[0] = x[0]
		return
	}
	r := len(ms)
	n, sn := ms[r-1], mst[r-1]
	if r >= 2 && mst[r-2] == 1 && n >= 2*transposeTile && ms[r-2] >= 2*transposeTile {
		transposeTiles(ms, mst, x, z)
		return
	}
	parallel(len(z), func(lo, hi int) {
		// lo and hi are rounded to whole rows of n
		lo, hi = (lo+n-1)/n*n, (hi+n-1)/n*n
		if lo >= hi {
			return
		}
		idx := make([]int, r)
		off := 0
		for d, q := r-2, lo/n; d >= 0; d-- {
			idx[d] = q % ms[d]
			off += idx[d] * mst[d]
			q /= ms[d]
		}
		for o := lo; o < hi; o += n {
			if sn == 1 {
				copy(z[o:o+n], x[off:off+n])
			} else {
				zr := z[o : o+n]
				for j := range zr {
					zr[j] = x[off+j*sn]
				}
			}
			for d := r - 2; d >= 0; d-- {
				idx[d]++
				off += mst[d]
				if idx[d] < ms[d] {
					break
				}
				off -= mst[d] * ms[d]
				idx[d] = 0
			}
		}
	})
}

// transposeTiles copies tiles of transposeTile rows of z by transposeCols
// columns (32×32 measured best of 8 to 64 on a 1024×1024 float32 matrix:
// 6 ms against the 11 ms of the untiled loop, whose reads of x were a
// whole row apart).
const (
	transposeTile = 32
	transposeCols = 32
)

// transposeTiles is permute for merged axes ms (strides mst) whose last two
// are swapped in x (stride 1 on the next to last, a matrix transpose per
// element of the leading axes): it copies tiles whose rows of x and of z
// both stay in cache, instead of reading x a whole column at a stride per
// row of z. Bands of transposeTile rows of z are split across the cores.
func transposeTiles[T Float](ms, mst []int, x, z []T) {
	r := len(ms)
	a, b, sb := ms[r-2], ms[r-1], mst[r-1]
	lead, lst := ms[:r-2], mst[:r-2]
	bands := (a + transposeTile - 1) / transposeTile // bands of rows of z per matrix
	mats := len(z) / (a * b)
	workers.For(mats*bands, max(1, grainCols/(transposeTile*b)), func(lo, hi int) {
		for w := lo; w < hi; w++ {
			mat, band := w/bands, w%bands
			off := 0 // x's offset of matrix mat
			for d, q := len(lead)-1, mat; d >= 0; d-- {
				off += q % lead[d] * lst[d]
				q /= lead[d]
			}
			zm := z[mat*a*b:][:a*b]
			i0, i1 := band*transposeTile, min((band+1)*transposeTile, a)
			for j0 := 0; j0 < b; j0 += transposeCols {
				j1 := min(j0+transposeCols, b)
				for i := i0; i < i1; i++ {
					zr := zm[i*b+j0 : i*b+j1]
					xo := off + i + j0*sb
					for j := range zr {
						zr[j] = x[xo+j*sb]
					}
				}
			}
		}
	})
}

// split returns the products of the dimensions before, at and after axis.
func split(shape []int, axis int) (outer, n, inner int) {
	return Size(shape[:axis]), shape[axis], Size(shape[axis+1:])
}

// Slice returns the elements start ≤ i < stop along axis (like
// torch.narrow). When they are contiguous in t (every axis before axis has
// length 1) the result is a view sharing t's storage, as NumPy's basic
// slicing is; otherwise it is a copy. It panics with ErrAxis for a bad axis
// and ErrIndex unless 0 ≤ start ≤ stop ≤ the length of the axis.
func Slice(t *Tensor, axis, start, stop int) *Tensor {
	a := NormalizeAxis("slice", t.shape, axis)
	if start < 0 || stop < start || stop > t.shape[a] {
		Panicf(ErrIndex, "slice", "range [%d:%d] out of bounds for axis %d of shape %s", start, stop, axis, ShapeString(t.shape))
	}
	shape := slices.Clone(t.shape)
	shape[a] = stop - start
	outer, n, inner := split(t.shape, a)
	m := (stop - start) * inner
	if outer == 1 && m > 0 && len(shape) > 0 { // contiguous: a view
		lo := start * inner
		if t.dtype == Float32 {
			return &Tensor{shape: shape, dtype: Float32, f32: t.f32[lo : lo+m]}
		}
		return &Tensor{shape: shape, f64: t.f64[lo : lo+m]}
	}
	out := dirty(t.dtype, shape)
	if out.Size() == 0 { // also when outer is huge: nothing to copy
		return out
	}
	for o := 0; o < outer; o++ {
		s := (o*n + start) * inner
		if t.dtype == Float32 {
			copy(out.f32[o*m:(o+1)*m], t.f32[s:s+m])
		} else {
			copy(out.f64[o*m:(o+1)*m], t.f64[s:s+m])
		}
	}
	return out
}

// Pad returns a new tensor holding t with before zeros prepended and after
// zeros appended along axis; it is the transpose of Slice. It panics with
// ErrAxis for a bad axis, with ErrArg for negative padding and with ErrShape
// if the result would be too large for a tensor (see Size).
func Pad(t *Tensor, axis, before, after int) *Tensor {
	a := NormalizeAxis("pad", t.shape, axis)
	if before < 0 || after < 0 {
		Panicf(ErrArg, "pad", "negative padding %d, %d", before, after)
	}
	shape := slices.Clone(t.shape)
	if before > MaxSize || after > MaxSize { // else the sum below cannot overflow
		Panicf(ErrShape, "pad", "padding %d, %d of shape %s is too large for a tensor", before, after, ShapeString(t.shape))
	}
	shape[a] += before + after
	checkShape("pad", shape)
	out := dirty(t.dtype, shape) // every element is written below: zeros only in the padding
	if out.Size() == 0 {
		return out
	}
	outer, n, inner := split(t.shape, a)
	m, mo := n*inner, shape[a]*inner
	if t.dtype == Float32 {
		padRows(out.f32, t.f32, outer, m, mo, before*inner)
	} else {
		padRows(out.f64, t.f64, outer, m, mo, before*inner)
	}
	return out
}

// padRows writes each of the outer rows of src (m elements) into a row of
// dst (mo elements) at offset b, zeroing the rest of the row.
func padRows[T Float](dst, src []T, outer, m, mo, b int) {
	for o := 0; o < outer; o++ {
		row := dst[o*mo : (o+1)*mo]
		clear(row[:b])
		copy(row[b:b+m], src[o*m:(o+1)*m])
		clear(row[b+m:])
	}
}

// Concat returns a new tensor joining ts along axis. All must share dtype,
// rank and every other dimension; it panics with ErrShape, ErrDType or
// ErrAxis otherwise, with ErrShape if the result would be too large for a
// tensor (see Size), and with ErrArg when ts is empty.
func Concat(axis int, ts ...*Tensor) *Tensor {
	if len(ts) == 0 {
		Panicf(ErrArg, "concat", "no tensors")
	}
	a := NormalizeAxis("concat", ts[0].shape, axis)
	shape := slices.Clone(ts[0].shape)
	shape[a] = 0
	for _, t := range ts {
		sameDType("concat", ts[0], t)
		ok := len(t.shape) == len(shape)
		for i := 0; ok && i < len(shape); i++ {
			ok = i == a || t.shape[i] == shape[i]
		}
		if !ok {
			Panicf(ErrShape, "concat", "shapes %s and %s do not match off axis %d", ShapeString(ts[0].shape), ShapeString(t.shape), axis)
		}
		shape[a] += t.shape[a]
		if shape[a] > MaxSize { // each term is at most MaxSize: no overflow
			Panicf(ErrShape, "concat", "joining %d tensors of shape %s along axis %d is too large for a tensor", len(ts), ShapeString(ts[0].shape), axis)
		}
	}
	checkShape("concat", shape)
	out := dirty(ts[0].dtype, shape)
	if out.Size() == 0 {
		return out
	}
	outer, _, inner := split(shape, a)
	mo := shape[a] * inner
	pos := 0
	for _, t := range ts {
		m := t.shape[a] * inner
		for o := 0; o < outer; o++ {
			d := o*mo + pos
			if t.dtype == Float32 {
				copy(out.f32[d:d+m], t.f32[o*m:(o+1)*m])
			} else {
				copy(out.f64[d:d+m], t.f64[o*m:(o+1)*m])
			}
		}
		pos += m
	}
	return out
}

// indexShape returns kernel.IndexShape of shape, axis (normalized) and nidx,
// the shape of a gather. It panics with ErrShape, naming op, if nidx
// indices do not fit.
func indexShape(op string, shape []int, axis int, nidx int) []int {
	s, ok := kernel.IndexShape(shape, axis, nidx)
	if !ok {
		Panicf(ErrShape, op, "%d indices do not fit shape %s along axis %d", nidx, ShapeString(shape), axis)
	}
	return s
}

// TakeAlong gathers along axis like numpy.take_along_axis and torch.gather:
// out[..., j, ...] = t[..., idx[..., j, ...], ...]. idx is row-major with the
// shape of t except along axis, where it has any length k (so len(idx) is k
// times the other dimensions). Negative indices count from the end. It
// returns a new tensor and panics with ErrAxis for a bad axis, ErrShape when
// len(idx) does not fit and ErrIndex for an index out of range.
func TakeAlong(t *Tensor, axis int, idx []int) *Tensor {
	a := NormalizeAxis("take_along", t.shape, axis)
	shape := indexShape("take_along", t.shape, a, len(idx))
	out := dirty(t.dtype, shape)
	if out.Size() == 0 {
		return out
	}
	outer, n, inner := split(t.shape, a)
	k := shape[a]
	for o := 0; o < outer; o++ {
		for j := 0; j < k; j++ {
			for i := 0; i < inner; i++ {
				p := (o*k+j)*inner + i
				src := (o*n+checkIndex("take_along", idx[p], n))*inner + i
				if t.dtype == Float32 {
					out.f32[p] = t.f32[src]
				} else {
					out.f64[p] = t.f64[src]
				}
			}
		}
	}
	return out
}

// ScatterAddAlong is the transpose of TakeAlong: it returns a zero tensor of
// the given shape into which each element of src is added at the position
// idx names along axis. Repeated indices accumulate. It panics with ErrAxis
// for a bad axis, ErrShape when src's shape is not the shape TakeAlong
// would give from shape and idx (or shape is not a valid shape: see Size),
// and ErrIndex for an index out of range.
func ScatterAddAlong(src *Tensor, axis int, idx []int, shape []int) *Tensor {
	checkShape("scatter_add", shape)
	a := NormalizeAxis("scatter_add", shape, axis)
	want := indexShape("scatter_add", shape, a, len(idx))
	if !slices.Equal(want, src.shape) {
		Panicf(ErrShape, "scatter_add", "source %s does not match indices for %s", ShapeString(src.shape), ShapeString(shape))
	}
	out := Empty(src.dtype, slices.Clone(shape))
	if src.Size() == 0 {
		return out
	}
	outer, n, inner := split(shape, a)
	k := want[a]
	for o := 0; o < outer; o++ {
		for j := 0; j < k; j++ {
			for i := 0; i < inner; i++ {
				p := (o*k+j)*inner + i
				dst := (o*n+checkIndex("scatter_add", idx[p], n))*inner + i
				if src.dtype == Float32 {
					out.f32[dst] += src.f32[p]
				} else {
					out.f64[dst] += src.f64[p]
				}
			}
		}
	}
	return out
}

func checkIndex(op string, i, n int) int {
	j := i
	if j < 0 {
		j += n
	}
	if j < 0 || j >= n {
		Panicf(ErrIndex, op, "index %d out of range for axis of length %d", i, n)
	}
	return j
}
