package ad

// Vmap: the batching transformation. A batch trace's tracer stands for k
// values of one shape; it holds them stacked along a leading axis (its
// primal, one level down) and shows user code the shape of one (its
// concrete tensor is a view of the first). A primitive bound on batch
// tracers runs once on the stacked values through its batching rule
// (prim.vmap, registered beside the primitive's other rules), which
// shifts the primitive's axes past the batch axis; elementwise primitives
// share one rule (vmapAligned), and a primitive without a rule falls back
// to one call per batch element (vmapLoop). Levels order Vmap with the
// other transformations as they order each other, so it nests and
// composes with Grad, JVP, VJP and Hessian in any order.

import (
	"slices"

	"github.com/chainrule/chainrule/tensor"
)

// NotMapped, as an entry of Vmap's inAxes, passes that argument whole to
// every call.
const NotMapped = -1

// Vmap returns f mapped over an axis of its arguments, like JAX's vmap:
// calling the result on xs calls f once per index i along the mapped axes
// — on the i-th slice of each mapped argument, and on the unmapped
// arguments whole — and stacks the results along a new leading axis. All
// slices are computed together, each primitive running once on the whole
// batch. inAxes gives each argument's mapped axis, or NotMapped; with no
// inAxes every argument is mapped along axis 0. f sees values of the shape
// of one slice; their concrete value (Tensor, Item) is not available
// under Vmap, since there are k of them: those panic with tensor.ErrGraph.
// Vmap composes with every other transformation, in any order and at any
// depth. The returned function panics with tensor.ErrArg if inAxes does
// not have one entry per argument or maps no argument, with
// tensor.ErrAxis for an axis out of range, and with tensor.ErrShape if
// the mapped axes differ in length.
func Vmap(f func(xs []Value) Value, inAxes ...int) func(xs ...Value) Value {
	return vmapWith(f, inAxes, nil)
}

// vmapWith is Vmap; if fallbacks is not nil, the names of the primitives
// that took the per-element fallback are appended to it.
func vmapWith(f func(xs []Value) Value, inAxes []int, fallbacks *[]string) func(xs ...Value) Value {
	axes := slices.Clone(inAxes)
	return func(xs ...Value) Value {
		check("vmap", xs...)
		ax := axes
		if ax == nil {
			ax = make([]int, len(xs))
		}
		if len(ax) != len(xs) {
			tensor.Panicf(tensor.ErrArg, "vmap", "%d in-axes for %d arguments", len(ax), len(xs))
		}
		k := -1
		moved := make([]Value, len(xs))
		for i, x := range xs {
			if ax[i] == NotMapped {
				continue
			}
			a := tensor.NormalizeAxis("vmap", x.Shape(), ax[i])
			if a != 0 { // move the mapped axis to the front
				perm := []int{a}
				for j := range x.Rank() {
					if j != a {
						perm = append(perm, j)
					}
				}
				x = Transpose(x, perm...)
			}
			if n := x.Shape()[0]; k >= 0 && n != k {
				tensor.Panicf(tensor.ErrShape, "vmap", "mapped axes of lengths %d and %d", k, n)
			} else {
				k = n
			}
			moved[i] = x
		}
		if k < 0 {
			tensor.Panicf(tensor.ErrArg, "vmap", "no argument is mapped")
		}
		t := newTrace(batchTrace)
		t.vsize, t.fallbacks = k, fallbacks
		in := make([]Value, len(xs))
		for i, x := range xs {
			if moved[i].IsZero() {
				in[i] = x
			} else {
				in[i] = t.batchTracer(moved[i])
			}
		}
		y := f(in)
		check("vmap", y)
		t.done = true
		if yp, own := t.lower(y); own {
			return yp
		}
		// the output does not depend on the mapped arguments
		return BroadcastTo(Reshape(y, append([]int{1}, y.Shape()...)...), append([]int{k}, y.Shape()...)...)
	}
}

// batchTracer returns a tracer of batch trace t standing for the slices of
// v along its leading axis.
func (t *trace) batchTracer(v Value) Value {
	n := t.pushDual(dual{primal: v})
	c := v.t
	if t.vsize > 0 { // the first slice, a view, to show the shape of one
		c = tensor.Slice(c, 0, 0, 1).Reshape(c.Shape()[1:]...)
	} else {
		c = c.DType().Zeros(c.Shape()[1:]...)
	}
	return Value{t: c, tc: t, id: int64(uint32(n))}
}

// inVmap reports whether v stands for a batch of values under Vmap.
func (v Value) inVmap() bool {
	for w := v; w.tc != nil && !w.tc.done && w.tc.kind != stageTrace; w = w.primal() {
		if w.tc.kind == batchTrace {
			return true
		}
	}
	return false
}

// processBatch applies p to the stacked values of the batch tracers among
// args (the others passed whole) by p's batching rule, or one batch
// element at a time if it has none.
func (t *trace) processBatch(p *prim, prm *params, args []Value) Value {
	vals := make([]Value, len(args))
	bat := make([]bool, len(args))
	for i, a := range args {
		vals[i], bat[i] = t.lower(a)
	}
	var out Value
	switch {
	case p.vmap != nil:
		out = p.vmap(p, vals, bat, prm, t.vsize)
	case p.local != nil:
		out = vmapAligned(p, vals, bat, prm, t.vsize)
	default:
		if t.fallbacks != nil {
			*t.fallbacks = append(*t.fallbacks, p.name)
		}
		out = vmapLoop(p, vals, bat, prm, t.vsize)
	}
	return t.batchTracer(out)
}

// vmapAligned is the batching rule of elementwise primitives and matmul,
// which broadcast their arguments: each batched argument gets size-1 axes
// after the batch axis up to the output's rank, so that its batch axis
// lines up in front of the others' dimensions.
func vmapAligned(p *prim, args []Value, bat []bool, prm *params, _ int) Value {
	r := 0
	for i, a := range args {
		ri := a.Rank()
		if bat[i] {
			ri--
		}
		r = max(r, ri)
	}
	xs := make([]Value, len(args))
	for i, a := range args {
		xs[i] = a
		if bat[i] {
			xs[i] = alignBatch(a, 1, r)
		}
	}
	return bind(p, prm, xs...)
}

// vmapLoop applies p to each batch element in turn and stacks the results.
func vmapLoop(p *prim, args []Value, bat []bool, prm *params, k int) Value {
	row := func(d int) Value {
		xs := make([]Value, len(args))
		for i, a := range args {
			xs[i] = a
			if bat[i] {
				if k == 0 { // no element: a stand-in of the right shape
					xs[i] = wrap(a.DType().Zeros(a.Shape()[1:]...))
				} else {
					xs[i] = Reshape(Slice(a, 0, d, d+1), a.Shape()[1:]...)
				}
			}
		}
		return bind(p, prm, xs...)
	}
	if k == 0 {
		y := row(0)
		return wrap(y.DType().Zeros(append([]int{0}, y.Shape()...)...))
	}
	outs := make([]Value, k)
	for d := range outs {
		outs[d] = row(d)
	}
	return Stack(0, outs...)
}

// lead returns shape with the batch size k in front.
func lead(k int, shape []int) []int { return append([]int{k}, shape...) }

// Batching rules of the shape primitives: the same operation one axis
// further right.

func vmapReshape(_ *prim, a []Value, _ []bool, p *params, k int) Value {
	return Reshape(a[0], lead(k, p.shape)...)
}

func vmapTranspose(_ *prim, a []Value, _ []bool, p *params, _ int) Value {
	return Transpose(a[0], shiftAxes(p.shape, 1)...)
}

func vmapSlice(_ *prim, a []Value, _ []bool, p *params, _ int) Value {
	return Slice(a[0], p.axis+1, p.start, p.stop)
}

func vmapPad(_ *prim, a []Value, _ []bool, p *params, _ int) Value {
	return Pad(a[0], p.axis+1, p.start, p.stop)
}

// vmapConcat broadcasts the unbatched parts along the batch axis.
func vmapConcat(_ *prim, a []Value, bat []bool, p *params, k int) Value {
	parts := make([]Value, len(a))
	for i, x := range a {
		parts[i] = x
		if !bat[i] {
			parts[i] = BroadcastTo(Reshape(x, lead(1, x.Shape())...), lead(k, x.Shape())...)
		}
	}
	return Concat(p.axis+1, parts...)
}

// repeated returns idx repeated k times, for the k batch elements of a
// gather or scatter.
func repeated(idx []int, k int) []int {
	out := make([]int, 0, k*len(idx))
	for range k {
		out = append(out, idx...)
	}
	return out
}

func vmapTakeAlong(_ *prim, a []Value, _ []bool, p *params, k int) Value {
	return TakeAlong(a[0], p.axis+1, repeated(p.idx, k))
}

func vmapScatter(_ *prim, a []Value, _ []bool, p *params, k int) Value {
	return ScatterAddAlong(a[0], p.axis+1, repeated(p.idx, k), lead(k, p.shape)...)
}

func vmapAsType(_ *prim, a []Value, _ []bool, p *params, _ int) Value {
	return AsType(a[0], tensor.DType(p.axis))
}

func vmapSumTo(_ *prim, a []Value, _ []bool, p *params, _ int) Value {
	return sumToBatch(a[0], 1, p.shape)
}

func vmapBroadcastTo(_ *prim, a []Value, _ []bool, p *params, k int) Value {
	return BroadcastTo(alignBatch(a[0], 1, len(p.shape)), lead(k, p.shape)...)
}

// vmapExtreme is the rule of Max and Min (keepdims reductions over
// params.axes).
func vmapExtreme(self *prim, a []Value, _ []bool, p *params, k int) Value {
	ax := make([]int, len(p.axes))
	for i, x := range p.axes {
		ax[i] = x + 1
	}
	return bind(self, &params{axes: ax, shape: lead(k, p.shape)}, a[0])
}

// notBatched panics with tensor.ErrGraph if v stands for a batch of values
// under Vmap, which have no one concrete value.
func (v Value) notBatched(op string) {
	if v.tc != nil && v.inVmap() {
		tensor.Panicf(tensor.ErrGraph, op, "a value under Vmap stands for a batch of values and has no single concrete value")
	}
}

// vmapMatMul is matmul's batching rule: batch dimensions broadcast
// (vmapAligned), except that a batch of matrices times one matrix is one
// product with the batch folded into the rows.
func vmapMatMul(p *prim, a []Value, bat []bool, prm *params, k int) Value {
	if bat[0] && !bat[1] && !prm.ta && a[0].Rank() == 3 && a[1].Rank() == 2 {
		s := a[0].Shape() // k, m, n
		g := matmulT(Reshape(a[0], s[0]*s[1], s[2]), a[1], false, prm.tb)
		return Reshape(g, s[0], s[1], g.Shape()[1])
	}
	return vmapAligned(p, a, bat, prm, k)
}
