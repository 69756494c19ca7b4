package ad

// Shape primitives: each is linear, so its forward rule is the op itself on
// the tangent (shifted past the batch dimensions) and its reverse rule is
// its transpose: reshape↔reshape, transpose↔inverse transpose, slice↔pad,
// concat↔slices, take_along↔scatter_add_along.

import (
	"slices"

	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/tensor"
)

var reshapePrim = new(prim)

func init() {
	*reshapePrim = prim{
		name: "reshape",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor { return t[0].Reshape(p.shape...) },
		jvp: func(tans, _ []Value, _ Value, p *params, b int) Value {
			return Reshape(tans[0], withBatch(tans, b, p.shape)...)
		},
		vjp: func(ct Value, _ int, a []Value, out Value, _ *params) Value {
			return Reshape(ct, batched(ct, ctBatch(ct, out), a[0].Shape())...)
		},
		vmap: vmapReshape,
	}
}

// Reshape returns x with a new shape of the same size; one dimension may be
// -1 and is inferred. It panics with tensor.ErrShape if the sizes differ.
func Reshape(x Value, shape ...int) Value {
	check("reshape", x)
	s := tensor.ResolveShape("reshape", x.Shape(), shape)
	if sameShape(s, x.Shape()) {
		return x
	}
	return bind(reshapePrim, &params{shape: s}, x)
}

var transposePrim = new(prim)

func init() {
	*transposePrim = prim{
		name: "transpose",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor { return tensor.Transpose(t[0], p.shape...) },
		jvp: func(tans, _ []Value, _ Value, p *params, b int) Value {
			perm := make([]int, 0, b+len(p.shape))
			for i := 0; i < b; i++ {
				perm = append(perm, i)
			}
			for _, q := range p.shape {
				perm = append(perm, q+b)
			}
			return Transpose(tans[0], perm...)
		},
		vjp: func(ct Value, _ int, _ []Value, out Value, p *params) Value {
			inv := make([]int, len(p.shape))
			for i, q := range p.shape {
				inv[q] = i
			}
			return Transpose(ct, shiftAxes(inv, ctBatch(ct, out))...)
		},
		vmap: vmapTranspose,
	}
}

// Transpose permutes the axes of x: axis i of the result is axis perm[i] of
// x. With no perm it reverses the axes. It panics with tensor.ErrAxis if perm
// is not a permutation of x's axes.
func Transpose(x Value, perm ...int) Value {
	check("transpose", x)
	if len(perm) == 0 {
		perm = make([]int, x.Rank())
		for i := range perm {
			perm[i] = x.Rank() - 1 - i
		}
	}
	if !kernel.IsPerm(perm, x.Rank()) {
		tensor.Panicf(tensor.ErrAxis, "transpose", "%v is not a permutation of the axes of shape %s", perm, tensor.ShapeString(x.Shape()))
	}
	if slices.IsSorted(perm) {
		return x
	}
	return bind(transposePrim, &params{shape: slices.Clone(perm)}, x)
}

// MT swaps the last two axes of x (the matrix transpose of a stack of
// matrices). It panics with tensor.ErrAxis if x has rank below 2.
func MT(x Value) Value {
	r := x.Rank()
	if r < 2 {
		tensor.Panicf(tensor.ErrAxis, "mT", "shape %s has fewer than 2 axes", tensor.ShapeString(x.Shape()))
	}
	perm := make([]int, r)
	for i := range perm {
		perm[i] = i
	}
	perm[r-2], perm[r-1] = r-1, r-2
	return Transpose(x, perm...)
}

var slicePrim = new(prim)

func init() {
	*slicePrim = prim{
		name: "slice",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			return tensor.Slice(t[0], p.axis, p.start, p.stop)
		},
		jvp: func(tans, _ []Value, _ Value, p *params, b int) Value {
			return Slice(tans[0], p.axis+b, p.start, p.stop)
		},
		vjp: func(ct Value, _ int, a []Value, out Value, p *params) Value {
			return Pad(ct, p.axis+ctBatch(ct, out), p.start, a[0].Shape()[p.axis]-p.stop)
		},
		vmap: vmapSlice,
	}
}

// Slice returns the elements start ≤ i < stop of x along axis (like
// torch.narrow); when they are contiguous, its value shares x's storage
// (see tensor.Slice). It panics with tensor.ErrAxis or tensor.ErrIndex.
func Slice(x Value, axis, start, stop int) Value {
	check("slice", x)
	a := tensor.NormalizeAxis("slice", x.Shape(), axis)
	if start == 0 && stop == x.Shape()[a] {
		return x
	}
	if n := x.Shape()[a]; start < 0 || stop < start || stop > n {
		tensor.Panicf(tensor.ErrIndex, "slice", "range [%d:%d] out of bounds for axis %d of shape %s", start, stop, axis, tensor.ShapeString(x.Shape()))
	}
	return bind(slicePrim, &params{axis: a, start: start, stop: stop}, x)
}

var padPrim = new(prim)

func init() {
	*padPrim = prim{
		name: "pad",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			return tensor.Pad(t[0], p.axis, p.start, p.stop)
		},
		jvp: func(tans, _ []Value, _ Value, p *params, b int) Value {
			return Pad(tans[0], p.axis+b, p.start, p.stop)
		},
		vjp: func(ct Value, _ int, a []Value, out Value, p *params) Value {
			return Slice(ct, p.axis+ctBatch(ct, out), p.start, p.start+a[0].Shape()[p.axis])
		},
		vmap: vmapPad,
	}
}

// Pad returns x with before zeros prepended and after zeros appended along
// axis. It panics with tensor.ErrAxis or tensor.ErrArg.
func Pad(x Value, axis, before, after int) Value {
	check("pad", x)
	a := tensor.NormalizeAxis("pad", x.Shape(), axis)
	if before < 0 || after < 0 {
		tensor.Panicf(tensor.ErrArg, "pad", "negative padding %d, %d", before, after)
	}
	if before == 0 && after == 0 {
		return x
	}
	return bind(padPrim, &params{axis: a, start: before, stop: after}, x)
}

var concatPrim = new(prim)

func init() {
	*concatPrim = prim{
		name: "concat",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor { return tensor.Concat(p.axis, t...) },
		jvp: func(tans, a []Value, _ Value, p *params, b int) Value {
			parts := make([]Value, len(tans))
			for i, t := range tans {
				if t.IsZero() {
					t = wrap(a[i].DType().Zeros(withBatch(tans, b, a[i].Shape())...))
				}
				parts[i] = t
			}
			return Concat(p.axis+b, parts...)
		},
		vjp: func(ct Value, i int, a []Value, out Value, p *params) Value {
			off := 0
			for _, x := range a[:i] {
				off += x.Shape()[p.axis]
			}
			return Slice(ct, p.axis+ctBatch(ct, out), off, off+a[i].Shape()[p.axis])
		},
		vmap: vmapConcat,
	}
}

// Concat joins xs along axis. It panics with tensor.ErrShape unless all
// shapes agree off that axis, and with tensor.ErrAxis or tensor.ErrDType.
func Concat(axis int, xs ...Value) Value {
	if len(xs) == 0 {
		tensor.Panicf(tensor.ErrArg, "concat", "no values")
	}
	check("concat", xs...)
	a := tensor.NormalizeAxis("concat", xs[0].Shape(), axis)
	if len(xs) == 1 {
		return xs[0]
	}
	return bind(concatPrim, &params{axis: a}, xs...)
}

// Stack joins xs, which must share a shape, along a new axis. It panics with
// tensor.ErrShape otherwise.
func Stack(axis int, xs ...Value) Value {
	if len(xs) == 0 {
		tensor.Panicf(tensor.ErrArg, "stack", "no values")
	}
	check("stack", xs...)
	s := xs[0].Shape()
	a := axis
	if a < 0 {
		a += len(s) + 1
	}
	if a < 0 || a > len(s) {
		tensor.Panicf(tensor.ErrAxis, "stack", "axis %d out of range for shape %s", axis, tensor.ShapeString(s))
	}
	ns := slices.Insert(slices.Clone(s), a, 1)
	parts := make([]Value, len(xs))
	for i, x := range xs {
		if !sameShape(x.Shape(), s) {
			tensor.Panicf(tensor.ErrShape, "stack", "shapes %s and %s differ", tensor.ShapeString(s), tensor.ShapeString(x.Shape()))
		}
		parts[i] = Reshape(x, ns...)
	}
	return Concat(a, parts...)
}

// repeatIdx repeats idx once per batch element.
func repeatIdx(idx []int, tans []Value, b int) []int {
	n := tensor.Size(batchDims(tans, b))
	out := make([]int, 0, n*len(idx))
	for i := 0; i < n; i++ {
		out = append(out, idx...)
	}
	return out
}

var takeAlongPrim = new(prim)

func init() {
	*takeAlongPrim = prim{
		name: "take_along",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor { return tensor.TakeAlong(t[0], p.axis, p.idx) },
		jvp: func(tans, _ []Value, _ Value, p *params, b int) Value {
			return TakeAlong(tans[0], p.axis+b, repeatIdx(p.idx, tans, b))
		},
		vjp: func(ct Value, _ int, a []Value, out Value, p *params) Value {
			b := ctBatch(ct, out)
			if b == 0 {
				return ScatterAddAlong(ct, p.axis, p.idx, a[0].Shape()...)
			}
			return ScatterAddAlong(ct, p.axis+b, repeatIdx(p.idx, []Value{ct}, b), batched(ct, b, a[0].Shape())...)
		},
		vmap: vmapTakeAlong,
	}
}

// TakeAlong gathers x along axis like numpy.take_along_axis and
// torch.gather: idx, row-major, has x's shape except along axis, where it
// may have any length k; the result has that shape. Negative indices count
// from the end. Its gradient scatter-adds. It panics with tensor.ErrIndex
// or tensor.ErrShape.
func TakeAlong(x Value, axis int, idx []int) Value {
	check("take_along", x)
	a := tensor.NormalizeAxis("take_along", x.Shape(), axis)
	if _, ok := kernel.IndexShape(x.Shape(), a, len(idx)); !ok {
		tensor.Panicf(tensor.ErrShape, "take_along", "%d indices do not fit shape %s along axis %d", len(idx), tensor.ShapeString(x.Shape()), a)
	}
	return bind(takeAlongPrim, &params{axis: a, idx: slices.Clone(idx)}, x)
}

var scatterPrim = new(prim)

func init() {
	*scatterPrim = prim{
		name: "scatter_add_along",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			return tensor.ScatterAddAlong(t[0], p.axis, p.idx, p.shape)
		},
		jvp: func(tans, _ []Value, _ Value, p *params, b int) Value {
			return ScatterAddAlong(tans[0], p.axis+b, repeatIdx(p.idx, tans, b), withBatch(tans, b, p.shape)...)
		},
		vjp: func(ct Value, _ int, _ []Value, out Value, p *params) Value {
			b := ctBatch(ct, out)
			if b == 0 {
				return TakeAlong(ct, p.axis, p.idx)
			}
			return TakeAlong(ct, p.axis+b, repeatIdx(p.idx, []Value{ct}, b))
		},
		vmap: vmapScatter,
	}
}

// ScatterAddAlong is the transpose of TakeAlong: a zero tensor of the given
// shape with each element of src added at the place idx names along axis.
func ScatterAddAlong(src Value, axis int, idx []int, shape ...int) Value {
	check("scatter_add_along", src)
	a := tensor.NormalizeAxis("scatter_add_along", shape, axis)
	return bind(scatterPrim, &params{axis: a, idx: slices.Clone(idx), shape: slices.Clone(shape)}, src)
}

// Take selects the entries idx along axis, the same for every lane, like
// numpy.take with 1-d indices; the axis gets length len(idx). It is a
// composite of TakeAlong.
func Take(x Value, axis int, idx []int) Value {
	check("take", x)
	a := tensor.NormalizeAxis("take", x.Shape(), axis)
	s := x.Shape()
	outer, inner := tensor.Size(s[:a]), tensor.Size(s[a+1:])
	want := slices.Clone(s)
	want[a] = len(idx)
	nz := 1 // the product of want's non-zero dimensions, checked as tensor.Size does
	for _, d := range want {
		if d > 0 && nz > tensor.MaxSize/d {
			tensor.Panicf(tensor.ErrShape, "take", "%d indices along axis %d of shape %s: too large for a tensor", len(idx), axis, tensor.ShapeString(s))
		}
		nz *= max(d, 1)
	}
	if outer*inner == 0 { // no lanes: nothing to gather (and outer may be huge)
		for _, i := range idx {
			if i < -s[a] || i >= s[a] {
				tensor.Panicf(tensor.ErrIndex, "take", "index %d out of range for axis of length %d", i, s[a])
			}
		}
		return Reshape(TakeAlong(x, a, nil), want...)
	}
	full := make([]int, 0, outer*len(idx)*inner)
	for o := 0; o < outer; o++ {
		for _, i := range idx {
			for j := 0; j < inner; j++ {
				full = append(full, i)
			}
		}
	}
	return TakeAlong(x, a, full)
}

var asTypePrim = new(prim)

func init() {
	*asTypePrim = prim{
		name: "astype",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor { return t[0].As(tensor.DType(p.axis)) },
		jvp: func(tans, _ []Value, _ Value, p *params, _ int) Value {
			return AsType(tans[0], tensor.DType(p.axis))
		},
		vjp:  func(ct Value, _ int, a []Value, _ Value, _ *params) Value { return AsType(ct, a[0].DType()) },
		vmap: vmapAsType,
	}
}

// AsType returns x converted to dtype d; gradients convert back. It panics
// with tensor.ErrDType if d is neither tensor.Float64 nor tensor.Float32.
func AsType(x Value, d tensor.DType) Value {
	check("astype", x)
	if d != tensor.Float64 && d != tensor.Float32 {
		tensor.Panicf(tensor.ErrDType, "astype", "unknown dtype %s", d)
	}
	if x.DType() == d {
		return x
	}
	return bind(asTypePrim, &params{axis: int(d)}, x)
}

// StopGradient returns x's value as a constant: no derivative flows through
// it, for any transformation at any depth of nesting.
func StopGradient(x Value) Value {
	check("stop_gradient", x)
	if x.tc != nil && !x.tc.done {
		x.expose() // the constant shares x's storage, which Grad must then not recycle
	}
	for x.tc != nil && x.tc.kind != stageTrace {
		if x.tc.done {
			tensor.Panicf(tensor.ErrGraph, "stop_gradient", "a value of a finished transformation was used outside it (an escaped tracer)")
		}
		if x.tc.kind == batchTrace { // Vmap: the values stay a batch
			return x.tc.batchTracer(StopGradient(x.primal()))
		}
		x = x.primal()
	}
	return x
}
