package ad

// Writing formulas comfortably: Go numbers where a Value is expected, n-ary
// sums and products, whole-value sums, and single elements.
//
// The elementwise ops of two operands (Add, Sub, Mul, Div, Pow, Atan2,
// Maximum, Minimum, Hypot, the comparisons, and Where's branches) are generic
// over Operand, so that a Go number may stand for either operand:
//
//	ad.Sub(1, x)               // 1 − x
//	ad.Mul(100, b, b)          // 100·b·b
//	ad.Pow(x, 0.5)             // √x
//	ad.Where(ad.Greater(x, 0), x, 0)
//
// The number becomes a weakly typed constant (see Scalar), so it takes the
// dtype of the Value it meets: Mul(2, x) of a float32 x is float32. Go infers
// the type of an untyped constant from its default type (int for 2, float64
// for 2.5), which is why Operand holds int and float64; a typed Go variable
// of another type (int32, float32) must be converted, as in plain Go
// arithmetic. Methods on Value could not take numbers (methods have no type
// parameters), and taking `any` would move type errors to run time; generic
// functions keep both operands checked at compile time and read as before
// at call sites that pass Values. A generic function must be instantiated
// to be stored as a function value (ad.Sub[ad.Value, ad.Value]); Go infers
// that when it is passed to a parameter of function type, except for Add and
// Mul, whose extra operands make them variadic.

import (
	"github.com/chainrule/chainrule/tensor"
)

// Operand is a Value or a Go number. A number stands for a weakly typed
// rank-0 constant: see Scalar.
type Operand interface {
	Value | float64 | int
}

// asValue returns a as a Value: a Go number as a weakly typed constant.
func asValue[T Operand](a T) Value {
	switch a := any(a).(type) {
	case Value:
		return a
	case float64:
		return weak(a)
	case int:
		return weak(float64(a))
	}
	panic("unreachable") // Operand has no other types
}

// AddN returns the sum of xs, added from left to right with broadcasting:
// xs[0] + xs[1] + …, and a weakly typed 0 for no values. It panics like Add.
func AddN(xs ...Value) Value {
	if len(xs) == 0 {
		return Scalar(0)
	}
	check("addn", xs...)
	s := xs[0]
	for _, x := range xs[1:] {
		s = bind(addPrim, nil, s, x)
	}
	return s
}

// SumAll returns the sum of all elements of x as a rank-0 value:
// Sum(x, false).
func SumAll(x Value) Value { return Sum(x, false) }

// At returns the element of x at the given index, one index per dimension,
// as a rank-0 Value; a rank-0 x takes no index. It is differentiable in
// both modes at any order (the gradient is zero except at that element).
// It panics with tensor.ErrIndex if the number of indices is not x's rank
// or an index is negative or out of range.
func At(x Value, index ...int) Value {
	check("at", x)
	s := x.Shape()
	if len(index) != len(s) {
		tensor.Panicf(tensor.ErrIndex, "at", "%d indices for shape %s", len(index), tensor.ShapeString(s))
	}
	k := 0
	for d, i := range index {
		if i < 0 || i >= s[d] {
			tensor.Panicf(tensor.ErrIndex, "at", "index %d out of range for dimension %d of shape %s", i, d, tensor.ShapeString(s))
		}
		k = k*s[d] + i
	}
	if len(s) == 0 {
		return x
	}
	if len(s) > 1 {
		x = Reshape(x, x.Size())
	}
	return bind(elementPrim, &params{start: k}, x)
}

// element returns x's slice i along axis a, reshaped to rest: the range is
// checked by the caller, so the slice prim is bound directly (Slice's own
// check allocates, which element-at-a-time code would pay per element).
func element(x Value, a, i int, rest []int) Value {
	return bind(reshapePrim, &params{shape: rest}, bind(slicePrim, &params{axis: a, start: i, stop: i + 1}, x))
}

// Elements returns the elements of x in row-major order, each as a rank-0
// Value: for a vector x, its entries x[0], x[1], …, so that a formula can
// be written one scalar at a time. Each is differentiable like At's, and
// in reverse mode the n elements cost O(n) together: their cotangents are
// gathered into x's in one step, where n calls of At would cost O(n²).
// Under Grad the elements of a float64 vector take the fast path of scalar
// code, as if they were Grad's own scalar inputs. In a compiled Program
// each element is a tensor instruction: compiled scalar code runs much
// faster with the scalars as separate inputs of Compile.
func Elements(x Value) []Value {
	check("elements", x)
	if x.Rank() != 1 {
		x = Reshape(x, x.Size())
	}
	if x.tc == nil {
		return constElements(x)
	}
	if t := x.tc; t.kind == revTrace && !t.done {
		return t.elements(x)
	}
	ps := make([]params, x.Size()) // forward mode, Compile: one element op each
	out := make([]Value, len(ps))
	for i := range out {
		ps[i].start = i
		out[i] = bind(elementPrim, &ps[i], x)
	}
	return out
}

// constElements returns the elements of the constant vector x.
func constElements(x Value) []Value {
	out := make([]Value, x.Size())
	xt := x.Tensor()
	for i := range out {
		if xt.DType() == tensor.Float64 {
			out[i] = inline(xt.AtFlat(i))
		} else {
			out[i] = Value{t: xt.DType().Scalar(xt.AtFlat(i))}
		}
	}
	return out
}

// Elements in forward mode and under Compile applies the element op once
// per element (one instruction each). On a reverse trace it records a node
// v = elements(x), the identity,
// and then one node element(v) per element, picking element i. Their
// derivatives are those of the identity and of the element op (whose own
// nodes, recorded when it is bound elsewhere, are swept as usual), and
// Trace shows them as such; but the sweep does not push each element's
// cotangent into
// v as a one-hot vector: it leaves the elements' adjoints in place and, at
// the elements node (which comes before them on the tape, so after them in
// the sweep), gathers them into one vector (gather).
var elementsPrim, elementPrim, gatheredPrim = new(prim), new(prim), new(prim)

func init() {
	*elementsPrim = prim{
		name: "elements",
		impl: func(t []*tensor.Tensor, _ *params) *tensor.Tensor { return t[0] },
		jvp:  func(tans, _ []Value, _ Value, _ *params, _ int) Value { return tans[0] },
		vjp:  func(ct Value, _ int, _ []Value, _ Value, _ *params) Value { return ct },
	}
	*elementPrim = prim{
		name: "element",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			return t[0].DType().Scalar(t[0].AtFlat(p.start))
		},
		jvp: func(tans, _ []Value, _ Value, p *params, b int) Value {
			t := tans[0] // b batch dimensions, then the vector's
			return element(t, b, p.start, t.Shape()[:b])
		},
		vjp: func(ct Value, _ int, a []Value, _ Value, p *params) Value {
			n, b := a[0].Size(), ct.Rank() // the output is a scalar: ct's axes are batch axes
			return Pad(Reshape(ct, batched(ct, b, []int{1})...), b, p.start, n-p.start-1)
		},
	}
	// an element node recorded by elements, whose adjoint the sweep leaves
	// for the gather: the element op under another identity
	*gatheredPrim = *elementPrim
}

// elements records Elements of x, a vector tracer of reverse trace t.
func (t *trace) elements(x Value) []Value {
	xp := x.primal()
	es := Elements(xp) // one level down
	o, v := t.push(elementsPrim, 1)
	o.args[0], o.parents[0], o.out = xp, x.idx(), xp
	ps := make([]params, len(es))
	o.prm = &params{start: int(v) + 1, stop: int(v) + 1 + len(es)} // the element nodes
	out := make([]Value, len(es))
	for i, e := range es {
		oi, idx := t.push(gatheredPrim, 1)
		ps[i].start = i
		oi.prm = &ps[i]
		oi.args[0], oi.parents[0], oi.out = xp, v, e
		if !e.isScalar() {
			t.tensors = true
		}
		out[i] = t.newTracer(e, Value{}, idx)
	}
	if !xp.isScalar() {
		t.tensors = true
	}
	return out
}

// gather is the reverse step of an elements node n: it collects the
// adjoints of its element nodes (clearing them) into one cotangent of the
// vector's shape and adds it to the adjoint of the vector's node. It is
// what the element nodes' one-hot cotangents would sum to.
func (t *trace) gather(n *node, cts []Value, rc *recycler) {
	o := n.ext
	first, stop := o.prm.start, min(o.prm.stop, len(cts))
	if first >= stop {
		return
	}
	parts := cts[first:stop]
	constant, live := true, false
	for _, c := range parts {
		constant = constant && c.tc == nil
		live = live || !c.IsZero()
	}
	b := 0 // batch axes of the parts (VJPBatch): the elements are scalars
	for _, c := range parts {
		if !c.IsZero() {
			b = c.Rank()
			break
		}
	}
	var g Value
	switch {
	case !live:
		clear(parts)
		return
	case b > 0: // batched cotangents: stack them along the vector's axis
		var bs []int
		vs := make([]Value, o.prm.stop-first)
		for i := range vs {
			if i < len(parts) && !parts[i].IsZero() {
				vs[i], bs = parts[i], parts[i].Shape()
			}
		}
		for i := range vs {
			if vs[i].IsZero() {
				vs[i] = wrap(o.out.DType().Zeros(bs...))
			}
		}
		g = Stack(b, vs...)
	case constant: // first order: fill one tensor
		gt := o.out.DType().Zeros(o.prm.stop - first)
		for i, c := range parts {
			if !c.IsZero() {
				gt.SetFlat(i, c.Item())
				if rc != nil {
					rc.drop(c)
				}
			}
		}
		g = wrap(gt)
	default: // nested: a differentiable stack
		vs := make([]Value, o.prm.stop-first)
		for i := range vs {
			vs[i] = like(o.out, 0)
			if i < len(parts) && !parts[i].IsZero() {
				vs[i] = parts[i]
			}
		}
		g = Stack(0, vs...)
	}
	clear(parts)
	if par := o.parents[0]; par >= 0 {
		old := cts[par]
		cts[par] = accumulate(old, g)
		if rc != nil {
			rc.replace(old, g, cts[par])
		}
	}
}

// Unstack returns the slices of x along axis (negative counts from the
// end), each with that dimension removed: the inverse of Stack(axis, …).
// It panics with tensor.ErrAxis for an axis out of range.
func Unstack(x Value, axis int) []Value {
	check("unstack", x)
	a := tensor.NormalizeAxis("unstack", x.Shape(), axis)
	if x.Rank() == 1 {
		return Elements(x) // O(n) in reverse mode
	}
	return unstack(x, a)
}

// unstack is Unstack along a normalized axis, element by element.
func unstack(x Value, a int) []Value {
	s := x.Shape()
	rest := make([]int, 0, len(s)-1)
	rest = append(append(rest, s[:a]...), s[a+1:]...)
	out := make([]Value, s[a])
	for i := range out {
		out[i] = element(x, a, i, rest)
	}
	return out
}
