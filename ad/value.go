package ad

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chainrule/chainrule/tensor"
)

// Value is what differentiable code computes with: a tensor, possibly
// carrying derivative information for the transformations (Grad, JVP, …)
// currently applied to it. Values are small and are passed by value. The
// zero Value is invalid; every op panics with tensor.ErrArg on it.
type Value struct {
	t  *tensor.Tensor // the concrete primal value; scalarT for an inline scalar
	tc *trace         // the trace this Value is a tracer of; nil for a constant
	s  float64        // the value of an inline float64 scalar
	id int64          // a tracer's entry in tc (tape node, dual or register), and flatBit
}

// flatBit marks, in Value.id, a tracer whose primal is the constant inline
// scalar s. The entry and the flag share one word: a Value is copied whole
// far more often than either is read.
const flatBit = 1 << 32

// weakBit marks, in Value.id, a weakly typed constant: an inline float64
// scalar made from a Go number (Scalar, or a number passed to an op that
// takes an Operand) or computed from such constants alone. Meeting a value
// of another dtype in an elementwise op, a weak constant takes that dtype
// (see promote). Only constants carry it: a tracer's id holds its entry and
// flatBit, and a transformation's inputs are made strong.
const weakBit = 1 << 33

// weak returns a weakly typed float64 scalar constant.
func weak(s float64) Value { return Value{t: scalarT, s: s, id: weakBit} }

// isWeak reports whether v is a weakly typed constant.
func (v Value) isWeak() bool { return v.id&weakBit != 0 }

// strong returns v without its weak type: a transformation's inputs are the
// variables, whose dtype their derivatives keep.
func (v Value) strong() Value {
	v.id &^= weakBit
	return v
}

// idx returns a tracer's entry in its trace.
func (v Value) idx() int32 { return int32(v.id) }

// flat reports whether v is a tracer whose primal is the constant inline
// scalar s.
func (v Value) flat() bool { return v.id&flatBit != 0 }

// scalarT marks a Value whose concrete value is the float64 scalar in its s
// field. Scalars are held inline so that scalar code allocates nothing per
// operation.
var scalarT = tensor.Scalar(0)

func inline(s float64) Value { return Value{t: scalarT, s: s} }

// isScalar reports whether v's concrete value is held inline.
func (v Value) isScalar() bool { return v.t == scalarT }

// tensor returns the concrete value as a tensor (allocating for an inline
// scalar).
func (v Value) tensor() *tensor.Tensor {
	if v.t == scalarT {
		return tensor.Scalar(v.s)
	}
	return v.t
}

// wrap returns a constant holding t, inline if it is a float64 scalar.
func wrap(t *tensor.Tensor) Value {
	if t.Rank() == 0 && t.DType() == tensor.Float64 {
		return inline(t.AtFlat(0))
	}
	return Value{t: t}
}

// From returns a constant Value holding t. It panics with tensor.ErrArg if t
// is nil.
func From(t *tensor.Tensor) Value {
	if t == nil {
		tensor.Panicf(tensor.ErrArg, "from", "nil tensor")
	}
	return wrap(t)
}

// Scalar returns a weakly typed rank-0 constant holding v: a float64 that
// takes the dtype of the value it meets in an elementwise operation (Add,
// Mul, Where, Greater, …), like a Python number in JAX and PyTorch. So
// Mul(Scalar(2), x) has x's dtype, float32 included. Elementwise
// arithmetic on weak constants alone gives a weak constant (Add(1, 2) is
// weak, like JAX's); passed to a transformation as an input, a weak
// constant is a float64 variable like any other. To make a float64 scalar
// that does not adapt, use From(tensor.Scalar(v)).
func Scalar(v float64) Value { return weak(v) }

// New returns a float64 constant with the given data and shape, taking
// ownership of data: the caller must not modify data afterwards, since the
// Value (and what Grad or Compile keep of it) reads it in place; NewCopy
// copies instead. With no shape, data must hold one element and the result
// is a scalar. It panics with tensor.ErrShape if len(data) does not match
// the shape or a dimension is negative.
func New(data []float64, shape ...int) Value { return wrap(tensor.New(data, shape...)) }

// NewCopy returns a float64 constant holding a copy of data with the given
// shape; the caller may reuse data afterwards. It panics like New.
func NewCopy(data []float64, shape ...int) Value {
	return wrap(tensor.New(slices.Clone(data), shape...))
}

// Tensor returns the concrete value. Under a transformation it is the value
// the computation has at this point; it carries no derivative information,
// and stays valid after the transformation returns (Grad does not recycle
// it). It panics with tensor.ErrGraph for a value that escaped a finished
// Grad whose intermediate storage was recycled, and for a value under Vmap,
// which stands for a batch of values; with tensor.ErrArg for the zero Value.
func (v Value) Tensor() *tensor.Tensor {
	v.valid("tensor")
	if v.tc != nil {
		v.expose()
		v.notBatched("tensor")
	}
	return v.tensor()
}

// expose records, in every reverse trace recording v, that v's concrete
// tensor was handed out and must outlive the trace; it panics for a value
// of a finished trace whose storage was recycled.
func (v Value) expose() {
	v.live()
	if v.t == scalarT {
		return
	}
	for w := v; w.tc != nil && !w.tc.done && w.tc.kind != stageTrace; w = w.primal() {
		if t := w.tc; t.kind == revTrace || t.kind == jvpTrace {
			t.expMu.Lock()
			t.exposed = append(t.exposed, v.t)
			t.expMu.Unlock()
		}
	}
}

// live panics with tensor.ErrGraph if v is a tracer of a finished Grad that
// recycled its intermediate values: v's storage may hold other data now.
func (v Value) live() {
	if v.tc != nil && v.tc.freed {
		tensor.Panicf(tensor.ErrGraph, "value", "a value computed inside a finished Grad was used outside it (an escaped tracer); its storage has been reused — call Tensor inside the function to keep it")
	}
}

// Shape returns the shape of the value. The caller must not modify it. It
// panics with tensor.ErrGraph and tensor.ErrArg as Tensor does.
func (v Value) Shape() []int {
	if v.t == scalarT {
		return nil
	}
	v.valid("shape")
	v.live()
	return v.t.Shape()
}

// Rank returns the number of dimensions. It panics like Shape.
func (v Value) Rank() int {
	v.valid("rank")
	return len(v.Shape())
}

// Size returns the number of elements. It panics with tensor.ErrGraph and
// tensor.ErrArg as Tensor does.
func (v Value) Size() int {
	if v.t == scalarT {
		return 1
	}
	v.valid("size")
	v.live()
	return v.t.Size()
}

// DType returns the element type. It panics with tensor.ErrArg for the
// zero Value.
func (v Value) DType() tensor.DType {
	v.valid("dtype")
	return v.t.DType()
}

// Item returns the only element of a one-element value as float64. It panics
// with tensor.ErrShape otherwise, and with tensor.ErrGraph and
// tensor.ErrArg as Tensor does.
func (v Value) Item() float64 {
	if v.t == scalarT {
		return v.s
	}
	v.valid("item")
	v.live()
	v.notBatched("item")
	return v.t.Item()
}

// String prints the concrete value like NumPy; a value whose storage a
// finished Grad recycled prints as such.
func (v Value) String() string {
	if v.t == nil {
		return "<zero Value>"
	}
	if v.tc != nil && v.tc.freed && v.t != scalarT {
		return "<escaped value of a finished Grad>"
	}
	if v.tc != nil && v.inVmap() {
		return "<batched value under Vmap, shape " + tensor.ShapeString(v.Shape()) + " each>"
	}
	return v.tensor().String()
}

// valid panics with tensor.ErrArg for op if v is the zero Value.
func (v Value) valid(op string) {
	if v.t == nil {
		tensor.Panicf(tensor.ErrArg, op, "zero Value (uninitialised)")
	}
}

// Format implements fmt.Formatter, printing the concrete value as
// *tensor.Tensor's Format does: %v and %s print String(), and %e, %E, %f,
// %F, %g and %G format every element with that verb and precision, so
// fmt.Printf("%.3f", ad.Grad(f, x)) prints numbers. The zero Value and a
// value whose storage a finished Grad recycled print as String says. Any
// other verb prints as %!verb(ad.Value=String()). Format never panics.
func (v Value) Format(f fmt.State, verb rune) {
	switch {
	case !strings.ContainsRune("vseEfFgG", verb):
		_, _ = fmt.Fprintf(f, "%%!%c(ad.Value=%s)", verb, v.String())
	case v.t == nil || (v.tc != nil && v.tc.freed && v.t != scalarT) || (v.tc != nil && v.inVmap()):
		_, _ = f.Write([]byte(v.String()))
	default:
		v.tensor().Format(f, verb)
	}
}

// IsZero reports whether v is the zero Value (not a tensor of zeros). It is
// how symbolic zero tangents and cotangents are represented.
func (v Value) IsZero() bool { return v.t == nil }

// like returns a scalar constant with v's dtype.
func like(v Value, c float64) Value {
	if v.t.DType() == tensor.Float64 {
		return inline(c)
	}
	return Value{t: v.t.DType().Scalar(c)}
}

// zerosLike returns a constant tensor of zeros shaped like v.
func zerosLike(v Value) Value { return wrap(v.DType().Zeros(v.Shape()...)) }

func check(op string, vs ...Value) {
	for _, v := range vs {
		if v.t == nil {
			tensor.Panicf(tensor.ErrArg, op, "zero Value (uninitialised)")
		}
	}
}
