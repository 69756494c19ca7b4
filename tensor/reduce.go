package tensor

import (
	"math"
	"slices"

	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/internal/workers"
)

// NormalizeAxes returns the axes of a rank-r tensor that a reduction over
// axes touches: negative axes count from the end, nil means all axes, and
// the result is sorted. It panics with ErrAxis, naming op, for an axis out of
// range or an axis given twice (also as, say, 1 and -1), as NumPy and
// PyTorch do.
func NormalizeAxes(op string, shape []int, axes []int) []int {
	r := len(shape)
	if axes == nil {
		out := make([]int, r)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, 0, len(axes))
	for _, a := range axes {
		b := a
		if b < 0 {
			b += r
		}
		if b < 0 || b >= r {
			Panicf(ErrAxis, op, "axis %d out of range for shape %s", a, ShapeString(shape))
		}
		if slices.Contains(out, b) {
			Panicf(ErrAxis, op, "axis %d repeated in %v for shape %s", a, axes, ShapeString(shape))
		}
		out = append(out, b)
	}
	slices.Sort(out)
	return out
}

// ReducedShape returns, as a new slice, the shape left by reducing axes
// (already normalized) of shape: with keep the reduced dimensions stay as 1,
// otherwise they go. It does not panic; axes out of range are ignored.
func ReducedShape(shape, axes []int, keep bool) []int {
	out := make([]int, 0, len(shape))
	for i, d := range shape {
		if slices.Contains(axes, i) {
			if keep {
				out = append(out, 1)
			}
			continue
		}
		out = append(out, d)
	}
	return out
}

type reduceKind int

const (
	rsum reduceKind = iota
	rmax
	rmin
)

func reduce(op string, t *Tensor, axes []int, keep bool, kind reduceKind) *Tensor {
	ax := NormalizeAxes(op, t.shape, axes)
	kshape := ReducedShape(t.shape, ax, true)
	// max and min have no identity: a result element with nothing to reduce
	// is an error, but an empty result (e.g. (0,3) reduced over axis 1) is not
	if kind != rsum && t.Size() == 0 && Size(kshape) > 0 {
		Panicf(ErrShape, op, "reduction of empty shape %s", ShapeString(t.shape))
	}
	var out *Tensor
	if kind == rsum {
		out = Empty(t.dtype, kshape) // sums accumulate into zeros
	} else {
		out = dirty(t.dtype, kshape) // reduceT starts max and min at ∓Inf
	}
	if t.dtype == Float32 {
		reduceT(t, out, t.f32, out.f32, kind)
	} else {
		reduceT(t, out, t.f64, out.f64, kind)
	}
	if !keep {
		out.shape = ReducedShape(t.shape, ax, false)
	}
	return out
}

func reduceT[T Float](t, out *Tensor, x, z []T, kind reduceKind) {
	switch kind {
	case rmax:
		for i := range z {
			z[i] = T(math.Inf(-1))
		}
	case rmin:
		for i := range z {
			z[i] = T(math.Inf(1))
		}
	}
	if len(z) == 1 && kind == rsum {
		z[0] = kernel.Sum(x)
		return
	}
	if reduceFast(t.shape, out.shape, x, z, kind) {
		return
	}
	if inner := channelRuns(out.shape, t.shape); kind == rsum && inner > 0 {
		// a per-channel sum, such as a bias gradient (N×O×H×W to 1×O×1×1):
		// each run of inner elements sums into one element, cycling
		// through them
		m := len(z)
		if inner > 1<<15 || len(x) < 2*grainCols { // Sum splits a long run itself; a short x is not worth splitting
			for o, r := 0, 0; o < len(x); o, r = o+inner, r+1 {
				z[r%m] += kernel.Sum(x[o : o+inner])
			}
			return
		}
		// the runs' sums across the cores, then added in order
		runs := len(x) / inner
		s := make([]T, runs)
		workers.For(runs, max(1, grainCols/inner), func(lo, hi int) {
			for r := lo; r < hi; r++ {
				s[r] = kernel.Sum(x[r*inner : (r+1)*inner])
			}
		})
		for r, v := range s {
			z[r%m] += v
		}
		return
	}
	bcast(t.shape, [][]int{out.shape}, func(off, inner []int, o, n int) {
		k, s := off[0], inner[0]
		for j := 0; j < n; j++ {
			v := x[o+j]
			p := &z[k+j*s]
			switch {
			case kind == rsum:
				*p += v
			case v != v:
				*p = v
			case kind == rmax && v > *p, kind == rmin && v < *p:
				*p = v
			}
		}
	})
}

// sumGroups merges the dimensions of shape, less those of length 1, into
// runs of reduced and of kept axes (kshape is the keepdims shape of the
// reduction): it returns the runs' sizes and whether each is reduced.
func sumGroups(shape, kshape []int) (sizes []int, reduced []bool) {
	for i, d := range shape {
		if d == 1 {
			continue
		}
		r := kshape[i] == 1
		if n := len(sizes); n > 0 && reduced[n-1] == r {
			sizes[n-1] *= d
			continue
		}
		sizes, reduced = append(sizes, d), append(reduced, r)
	}
	return sizes, reduced
}

// reduceFast reduces x, of shape, into z (zeros for a sum, ∓Inf for max
// and min), of the keepdims shape kshape, when the reduced axes form one
// run, after merging: rows (A×R×C over R, such as a bias gradient) are
// combined whole by reduceRows; runs along the last axis (A×R over R) by
// kernel.Sum or extremeOf, the rows split across the cores. It reports
// whether it did.
func reduceFast[T Float](shape, kshape []int, x, z []T, kind reduceKind) bool {
	if len(x) == 0 {
		return false
	}
	sizes, red := sumGroups(shape, kshape)
	switch {
	case len(sizes) == 2 && red[0], len(sizes) == 3 && red[1]:
		a, r, c := 1, sizes[0], sizes[1]
		if len(sizes) == 3 {
			a, r, c = sizes[0], sizes[1], sizes[2]
		}
		reduceRows(x, z, a, r, c, kind)
		return true
	case len(sizes) == 2 && red[1]:
		a, r := sizes[0], sizes[1]
		run := func(i int) {
			if kind == rsum {
				z[i] = kernel.Sum(x[i*r : (i+1)*r])
			} else {
				z[i] = extremeOf(x[i*r:(i+1)*r], z[i], kind)
			}
		}
		if r > 1<<15 { // Sum splits a long run itself
			for i := range a {
				run(i)
			}
			return true
		}
		workers.For(a, max(1, grainCols/r), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				run(i)
			}
		})
		return true
	}
	return false
}

// extremeOf returns the maximum (kind rmax) or minimum (rmin) of m and
// the elements of x, NaN if any is NaN.
func extremeOf[T Float](x []T, m T, kind reduceKind) T {
	for _, v := range x {
		switch {
		case v != v:
			return v
		case kind == rmax && v > m, kind == rmin && v < m:
			m = v
		}
	}
	return m
}

// combineRow folds row into p elementwise: adds it (rsum, with the SIMD
// kernel) or keeps the larger (rmax) or smaller (rmin), NaN propagating.
func combineRow[T Float](p, row []T, kind reduceKind) {
	row = row[:len(p)]
	switch kind {
	case rsum:
		kernel.ArithSame(kernel.OpAdd, p, row, p)
	case rmax:
		for j, v := range row {
			if v > p[j] || v != v {
				p[j] = v
			}
		}
	default:
		for j, v := range row {
			if v < p[j] || v != v {
				p[j] = v
			}
		}
	}
}

// reduceRows sets z's a rows of c to the reductions of x's a blocks of r
// rows of c. Unless a is maxRowBlocks or more, the r rows are cut into at
// most maxRowBlocks blocks of about grainCols elements, a number that
// depends only on the shape; each block's
// rows are combined in order into a partial result (a sum with the SIMD
// kernels), streaming through memory, blocks across the cores, and the
// partial results are combined in order: the result does not depend on
// the number of cores.
func reduceRows[T Float](x, z []T, a, r, c int, kind reduceKind) {
	nb := min(max(1, r*c/grainCols), maxRowBlocks, r)
	if a >= maxRowBlocks { // the a outputs are enough to split
		nb = 1
	}
	per := (r + nb - 1) / nb
	nb = (r + per - 1) / per
	part := z
	if nb > 1 {
		part = make([]T, a*nb*c)
		if kind != rsum {
			for i := range part {
				part[i] = z[0] // ∓Inf, as z starts
			}
		}
	}
	workers.For(a*nb, 1, func(lo, hi int) {
		for w := lo; w < hi; w++ {
			i, blk := w/nb, w%nb
			p := part[w*c : (w+1)*c]
			j0, j1 := blk*per, min((blk+1)*per, r)
			if kind == rsum {
				kernel.AddRows(p, x[(i*r+j0)*c:], j1-j0, c)
				continue
			}
			for j := j0; j < j1; j++ {
				combineRow(p, x[(i*r+j)*c:], kind)
			}
		}
	})
	if nb == 1 {
		return
	}
	for i := range a {
		zi := z[i*c : (i+1)*c]
		if kind == rsum {
			kernel.AddRows(zi, part[i*nb*c:], nb, c)
			continue
		}
		for blk := range nb {
			combineRow(zi, part[(i*nb+blk)*c:], kind)
		}
	}
}

// maxRowBlocks bounds the partial results of reduceRows.
const maxRowBlocks = 32

// grainCols is the number of elements worth handing to another core in a
// sum.
const grainCols = 1 << 14

// Sum returns a new tensor holding the sum over axes: nil means all axes, a
// non-nil empty slice none, and negative axes count from the end. keep
// retains reduced axes as size 1. The sum of no elements is 0. float32
// tensors are summed in float32. A sum over all elements adds in eight
// interleaved partial sums per block of 2¹⁴ elements, the blocks on every
// core, then the block sums in order: the result depends only on the
// elements and their order, never on the number of cores, and its
// rounding error grows more slowly than a running total's. A sum over
// leading or middle axes (a bias gradient, N×C to C; A×R×C to A×C) adds
// whole rows, in order within blocks of about 2¹⁴ elements (at most 32;
// one block when A is 32 or more), then the blocks' sums in order: with
// AVX2 each block streams through memory once while the column sums stay
// in registers. A sum over trailing axes adds each run as a sum over all
// elements does, and so does a per-channel sum (N×C×H×W to C×1×1) before
// it adds the runs' sums in order. All split across the cores without
// changing the result.
// It panics with ErrAxis for an axis out of range or repeated.
func Sum(t *Tensor, axes []int, keep bool) *Tensor { return reduce("sum", t, axes, keep, rsum) }

// Max returns the maximum over axes, propagating NaN; axes and keep are as
// for Sum, and it takes the same paths across the cores. It panics with ErrAxis for an axis out of range or repeated and
// with ErrShape
// when a result element would be the maximum of no elements (reducing an
// axis of length 0 into a non-empty result).
func Max(t *Tensor, axes []int, keep bool) *Tensor { return reduce("max", t, axes, keep, rmax) }

// Min returns the minimum over axes, propagating NaN; it panics like Max.
func Min(t *Tensor, axes []int, keep bool) *Tensor { return reduce("min", t, axes, keep, rmin) }

// BroadcastTo returns a new tensor holding t broadcast to shape. It panics
// with ErrShape unless the broadcast of t's shape and shape is exactly shape.
func BroadcastTo(t *Tensor, shape []int) *Tensor {
	checkShape("broadcast_to", shape)
	if s, ok := broadcast(t.shape, shape); !ok || !slices.Equal(s, shape) {
		Panicf(ErrShape, "broadcast_to", "cannot broadcast %s to %s", ShapeString(t.shape), ShapeString(shape))
	}
	out := dirty(t.dtype, slices.Clone(shape)) // every element is written
	if t.dtype == Float32 {
		broadcastCopy(out.f32, t.f32, shape, t.shape)
	} else {
		broadcastCopy(out.f64, t.f64, shape, t.shape)
	}
	return out
}

// broadcastCopy writes x, of shape from, broadcast to shape into z.
func broadcastCopy[T Float](z, x []T, shape, from []int) {
	if len(x) == 1 {
		v := x[0]
		parallel(len(z), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				z[i] = v
			}
		})
		return
	}
	bcast(shape, [][]int{from}, func(off, inner []int, o, n int) {
		k, s := off[0], inner[0]
		for j := 0; j < n; j++ {
			z[o+j] = x[k+j*s]
		}
	})
}

// SumTo sums t down to shape, undoing a broadcast from shape to t's shape:
// leading extra dimensions and dimensions that are 1 in shape are summed.
// When shape already equals t's shape it returns t itself, not a copy. It
// panics with ErrShape if shape does not broadcast to t's shape.
func SumTo(t *Tensor, shape []int) *Tensor {
	if slices.Equal(t.shape, shape) {
		return t
	}
	if s, ok := broadcast(shape, t.shape); !ok || !slices.Equal(s, t.shape) {
		Panicf(ErrShape, "sum_to", "cannot sum %s down to %s", ShapeString(t.shape), ShapeString(shape))
	}
	lead := len(t.shape) - len(shape)
	axes := []int{}
	for i := range t.shape {
		if i < lead || (shape[i-lead] == 1 && t.shape[i] != 1) {
			axes = append(axes, i)
		}
	}
	out := reduce("sum_to", t, axes, true, rsum)
	out.shape = slices.Clone(shape)
	return out
}
