package onnx

import (
	"math"
	"slices"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// ints is a tensor of integers (or booleans, as 0 and 1) known in Go: a
// shape, an index list, a mask. Shape computations run on ints exactly, in
// int64 as ONNX defines them, and never reach the ad graph.
type ints struct {
	shape   []int
	data    []int64
	boolean bool
}

// maxStaticSize bounds the elements of an ints (and of a constant that
// Import computes): shapes and indices are small, and a hostile file must
// not make the importer allocate without bound.
const maxStaticSize = 1 << 24

// checkStatic panics with tensor.ErrShape, naming op, if shape holds more
// than maxStaticSize elements.
func checkStatic(op string, shape []int) int {
	n := tensor.Size(shape)
	if n > maxStaticSize {
		tensor.Panicf(tensor.ErrShape, op, "an integer tensor of shape %s is too large (more than %d elements)", tensor.ShapeString(shape), maxStaticSize)
	}
	return n
}

// scalarInts returns a rank-0 ints.
func scalarInts(x int64) *ints { return &ints{data: []int64{x}} }

// vector returns a rank-1 ints.
func vector(xs ...int64) *ints { return &ints{shape: []int{len(xs)}, data: xs} }

// float returns s as a constant Value of dtype d.
func (s *ints) float(d tensor.DType) ad.Value {
	f := make([]float64, len(s.data))
	for i, x := range s.data {
		f[i] = float64(x)
	}
	return ad.From(tensor.New(f, s.shape...).As(d))
}

// strides returns the row-major strides of shape.
func strides(shape []int) []int {
	st := make([]int, len(shape))
	n := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = n
		n *= shape[i]
	}
	return st
}

// gatherIndex returns the ints of shape out whose element at each index is
// s's element at flat position from(index).
func (s *ints) gatherIndex(out []int, from func(idx []int) int) *ints {
	n := checkStatic("onnx", out)
	r := &ints{shape: out, data: make([]int64, n), boolean: s.boolean}
	idx := make([]int, len(out))
	for k := range n {
		r.data[k] = s.data[from(idx)]
		for a := len(out) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < out[a] {
				break
			}
			idx[a] = 0
		}
	}
	return r
}

// broadcastInts applies f elementwise over the broadcast of a and b.
func broadcastInts(op string, a, b *ints, f func(x, y int64) int64) *ints {
	out := tensor.BroadcastShapes(op, a.shape, b.shape)
	checkStatic(op, out)
	ea, eb := a.expandTo(out), b.expandTo(out)
	r := &ints{shape: out, data: make([]int64, len(ea.data))}
	for i := range r.data {
		r.data[i] = f(ea.data[i], eb.data[i])
	}
	return r
}

// expandTo returns s broadcast to shape out (which it must broadcast to).
func (s *ints) expandTo(out []int) *ints {
	if slices.Equal(s.shape, out) {
		return s
	}
	st := strides(s.shape)
	off := len(out) - len(s.shape)
	return s.gatherIndex(out, func(idx []int) int {
		k := 0
		for a := range s.shape {
			if s.shape[a] != 1 {
				k += idx[a+off] * st[a]
			}
		}
		return k
	})
}

// take returns the elements idx along axis (ONNX Gather), with negative
// indices counting from the end.
func (s *ints) take(op string, axis int, idx *ints) *ints {
	axis = tensor.NormalizeAxis(op, s.shape, axis)
	ix := normalizeIndices(op, idx, s.shape[axis])
	out := slices.Concat(s.shape[:axis], idx.shape, s.shape[axis+1:])
	st := strides(s.shape)
	ni := len(idx.shape)
	ist := strides(idx.shape)
	return s.gatherIndex(out, func(o []int) int {
		k := 0
		for a := 0; a < axis; a++ {
			k += o[a] * st[a]
		}
		f := 0
		for a := range ni {
			f += o[axis+a] * ist[a]
		}
		k += ix[f] * st[axis]
		for a := axis + 1; a < len(s.shape); a++ {
			k += o[a-1+ni] * st[a]
		}
		return k
	})
}

// normalizeIndices returns idx's elements as ints in [0, n), a negative
// index counting from the end; it panics with tensor.ErrIndex for one out
// of range.
func normalizeIndices(op string, idx *ints, n int) []int {
	ix := make([]int, len(idx.data))
	for i, x := range idx.data {
		if x < 0 {
			x += int64(n)
		}
		if x < 0 || x >= int64(n) {
			tensor.Panicf(tensor.ErrIndex, op, "index %d out of range for an axis of %d", idx.data[i], n)
		}
		ix[i] = int(x)
	}
	return ix
}

// concatInts joins xs along axis.
func concatInts(op string, axis int, xs []*ints) *ints {
	first := xs[0].shape
	axis = tensor.NormalizeAxis(op, first, axis)
	out := slices.Clone(first)
	out[axis] = 0
	for _, x := range xs {
		if len(x.shape) != len(first) {
			tensor.Panicf(tensor.ErrShape, op, "inputs of ranks %d and %d", len(first), len(x.shape))
		}
		for a := range first {
			if a != axis && x.shape[a] != first[a] {
				tensor.Panicf(tensor.ErrShape, op, "shapes %s and %s differ off axis %d", tensor.ShapeString(first), tensor.ShapeString(x.shape), axis)
			}
		}
		out[axis] += x.shape[axis]
	}
	checkStatic(op, out)
	outer := tensor.Size(first[:axis])
	r := &ints{shape: out, boolean: xs[0].boolean}
	for o := range outer {
		for _, x := range xs {
			chunk := tensor.Size(x.shape[axis:])
			r.data = append(r.data, x.data[o*chunk:(o+1)*chunk]...)
		}
	}
	return r
}

// sliceInts returns s's elements start, start+step, … (before stop) along
// axis; the bounds are already clamped (see sliceRange).
func (s *ints) sliceInts(axis int, idx []int) *ints {
	out := slices.Clone(s.shape)
	out[axis] = len(idx)
	st := strides(s.shape)
	return s.gatherIndex(out, func(o []int) int {
		k := 0
		for a := range o {
			if a == axis {
				k += idx[o[a]] * st[a]
			} else {
				k += o[a] * st[a]
			}
		}
		return k
	})
}

// transposeInts permutes s's axes.
func (s *ints) transposeInts(perm []int) *ints {
	out := make([]int, len(perm))
	for i, p := range perm {
		out[i] = s.shape[p]
	}
	st := strides(s.shape)
	return s.gatherIndex(out, func(o []int) int {
		k := 0
		for i, p := range perm {
			k += o[i] * st[p]
		}
		return k
	})
}

// sliceRange returns the indices ONNX Slice selects along an axis of n
// elements from start to end by step, with its clamping rules (negative
// bounds count from the end; bounds past the ends, such as INT64_MAX,
// are clamped). It panics with tensor.ErrArg for a zero step.
func sliceRange(op string, n int, start, end, step int64) []int {
	if step == 0 {
		tensor.Panicf(tensor.ErrArg, op, "slice step 0")
	}
	clamp := func(x, lo, hi int64) int64 { return max(lo, min(x, hi)) }
	N := int64(n)
	if start < 0 {
		start += N
	}
	if end < 0 && end > math.MinInt64+N {
		end += N
	} else if end < 0 {
		end = -1
	}
	// The bounds are now in [-1, N], so the count below cannot overflow,
	// and neither can start + k·step for k < count.
	var count int64
	if step > 0 {
		start, end = clamp(start, 0, N), clamp(end, 0, N)
		if end > start {
			count = (end-start-1)/step + 1
		}
	} else {
		start, end = clamp(start, 0, N-1), clamp(end, -1, N-1)
		if start > end {
			count = (start-end-1)/(-max(step, -N-1)) + 1
		}
	}
	idx := make([]int, count)
	for k := range idx {
		idx[k] = int(start + int64(k)*step)
	}
	return idx
}

// reshapeTarget resolves an ONNX Reshape shape against the input shape
// from: 0 copies the input's dimension (unless allowzero), and one -1 is
// inferred. It panics with tensor.ErrShape if the sizes differ.
func reshapeTarget(op string, from []int, shape *ints, allowZero bool) []int {
	if len(shape.shape) != 1 {
		tensor.Panicf(tensor.ErrShape, op, "shape input of shape %s, want rank 1", tensor.ShapeString(shape.shape))
	}
	out := make([]int, len(shape.data))
	for i, d := range shape.data {
		switch {
		case d == 0 && !allowZero:
			if i >= len(from) {
				tensor.Panicf(tensor.ErrShape, op, "shape %v copies dimension %d of an input of shape %s", shape.data, i, tensor.ShapeString(from))
			}
			out[i] = from[i]
		case d < -1 || d > int64(tensor.MaxSize):
			tensor.Panicf(tensor.ErrShape, op, "bad dimension %d in shape %v", d, shape.data)
		default:
			out[i] = int(d)
		}
	}
	return tensor.ResolveShape(op, from, out)
}

// shapeOf returns x's shape (of its Value or its ints).
func shapeOf(x val) []int {
	if x.s != nil {
		return x.s.shape
	}
	return x.v.Shape()
}
