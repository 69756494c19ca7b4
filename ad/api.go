package ad

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/chainrule/chainrule/tensor"
)

// Grad returns the gradient of the scalar function f at x, by reverse mode:
// one recording forward pass and one reverse sweep. The result has x's shape.
// f must return a one-element value; Grad panics with tensor.ErrShape
// otherwise. Grad may be called inside a function that is itself being
// differentiated; its result is then differentiable too. When it returns,
// the storage of f's intermediate values is reused (see "Memory" in the
// package documentation): a Value that escapes f panics with
// tensor.ErrGraph if used afterwards; keep its Tensor instead.
func Grad(f func(Value) Value, x Value) Value {
	_, g := ValueAndGrad(f, x)
	return g
}

// ValueAndGrad returns f(x) and the gradient of f at x; see Grad.
func ValueAndGrad(f func(Value) Value, x Value) (Value, Value) {
	y, gs := ValueAndGrads(func(xs []Value) Value { return f(xs[0]) }, x)
	return y, gs[0]
}

// Grads returns the gradient of the scalar function f with respect to each
// of its arguments xs, by one reverse sweep; see Grad.
func Grads(f func(xs []Value) Value, xs ...Value) []Value {
	_, gs := ValueAndGrads(f, xs...)
	return gs
}

// ValueAndGrads returns f(xs) and its gradient with respect to each of xs;
// see Grad.
func ValueAndGrads(f func(xs []Value) Value, xs ...Value) (Value, []Value) {
	t, in, leaves := begin(xs)
	t.reuse = true
	defer t.release()
	y := f(in)
	check("grad", y)
	t.done = true
	yp, own := t.lower(y)
	if yp.Size() != 1 {
		tensor.Panicf(tensor.ErrShape, "grad", "function output of shape %s is not a scalar; use VJP or Jacobian", tensor.ShapeString(yp.Shape()))
	}
	gs := pullback(t, own, y.idx(), wrap(yp.DType().Ones(yp.Shape()...)), leaves, xs)
	if recycling {
		t.recycleForward(xs, gs, yp)
	}
	return yp, gs
}

// VJP runs f at xs once, recording it, and returns its value and the
// pull-back: a function from a cotangent of the output's shape to the
// cotangents of every argument (vector-Jacobian products). The pull-back
// may be called any number of times without running f again. It panics
// with tensor.ErrShape for a cotangent of the wrong shape.
func VJP(f func(xs []Value) Value, xs ...Value) (Value, func(ct Value) []Value) {
	t, in, leaves := begin(xs)
	y := f(in)
	check("vjp", y)
	t.done = true
	yp, own := t.lower(y)
	pull := func(ct Value) []Value {
		check("vjp", ct)
		if !sameShape(ct.Shape(), yp.Shape()) || ct.DType() != yp.DType() {
			tensor.Panicf(tensor.ErrShape, "vjp", "cotangent %s %s for output %s %s", ct.DType(), tensor.ShapeString(ct.Shape()), yp.DType(), tensor.ShapeString(yp.Shape()))
		}
		return pullback(t, own, y.idx(), ct, leaves, xs)
	}
	return yp, pull
}

// begin starts a reverse trace with xs as its inputs.
func begin(xs []Value) (t *trace, in []Value, leaves []int32) {
	check("vjp", xs...)
	t = newRevTrace()
	in = make([]Value, len(xs))
	leaves = make([]int32, len(xs))
	for i, x := range xs {
		in[i] = t.input(x, Value{})
		leaves[i] = in[i].idx()
	}
	return t, in, leaves
}

// pullback runs the reverse sweep of t from the output's tape node out
// (if the output is t's tracer, own) with cotangent ct, returning zeros
// for inputs it does not reach.
func pullback(t *trace, own bool, out int32, ct Value, leaves []int32, xs []Value) []Value {
	var gs []Value
	if own {
		gs = t.backward(out, ct, leaves)
	} else {
		gs = make([]Value, len(xs))
	}
	for i, g := range gs {
		if g.IsZero() {
			gs[i] = zerosLike(xs[i])
		}
	}
	return gs
}

// JVP returns f(primals) and the Jacobian-vector product J·tangents, in one
// forward pass. tangents must match primals in number, shape and dtype;
// JVP panics with tensor.ErrShape otherwise. A zero Value (ad.Value{}) as a
// tangent is a symbolic zero: nothing computed from that input alone does
// tangent work.
func JVP(f func(xs []Value) Value, primals, tangents []Value) (Value, Value) {
	return jvp(f, primals, tangents, 0)
}

// JVPBatch is JVP for k tangent directions at once: each tangent has a
// leading dimension of size k, and so does the result. One pass carries all
// k directions.
func JVPBatch(f func(xs []Value) Value, primals, tangents []Value) (Value, Value) {
	return jvp(f, primals, tangents, 1)
}

func jvp(f func(xs []Value) Value, primals, tangents []Value, b int) (Value, Value) {
	if len(primals) != len(tangents) {
		tensor.Panicf(tensor.ErrArg, "jvp", "%d primals and %d tangents", len(primals), len(tangents))
	}
	check("jvp", primals...)
	t := newTrace(jvpTrace)
	t.batch = b
	var k []int
	in := make([]Value, len(primals))
	for i, x := range primals {
		tg := tangents[i]
		if tg.IsZero() { // a symbolic zero: no tangent work downstream
			in[i] = t.input(x, Value{})
			continue
		}
		ts := tg.Shape()
		if len(ts) < b || !sameShape(ts[b:], x.Shape()) || (k != nil && !sameShape(ts[:b], k)) || tg.DType() != x.DType() {
			tensor.Panicf(tensor.ErrShape, "jvp", "tangent %s %s for primal %s %s", tg.DType(), tensor.ShapeString(ts), x.DType(), tensor.ShapeString(x.Shape()))
		}
		k = ts[:b]
		in[i] = t.input(x, tg)
	}
	y := f(in)
	check("jvp", y)
	t.done = true
	yp, own := t.lower(y)
	if !own || y.tangent().IsZero() {
		if b > 0 && k == nil {
			tensor.Panicf(tensor.ErrArg, "jvp", "every tangent is a symbolic zero: the batch size is unknown")
		}
		return yp, wrap(yp.DType().Zeros(append(slices.Clone(k), yp.Shape()...)...))
	}
	return yp, y.tangent()
}

// Derivative returns df/dx at x for a function of one scalar, by forward
// mode. It panics with tensor.ErrShape if x is not a single element.
func Derivative(f func(Value) Value, x Value) Value {
	check("derivative", x)
	if x.Size() != 1 {
		tensor.Panicf(tensor.ErrShape, "derivative", "argument of shape %s is not a scalar", tensor.ShapeString(x.Shape()))
	}
	_, d := JVP(func(xs []Value) Value { return f(xs[0]) }, []Value{x}, []Value{wrap(x.DType().Ones(x.Shape()...))})
	return d
}

// Mode selects how a Jacobian is computed.
type Mode int

const (
	// Auto picks Forward when the input has fewer elements than the output
	// and Reverse otherwise (a tie goes to Reverse, whose recorded pass is
	// then reused).
	Auto Mode = iota
	// Forward pushes all input directions through one batched forward pass.
	Forward
	// Reverse records f once and pulls back the cotangents of all outputs
	// (the rows of the identity) in one batched sweep, as VJPBatch.
	Reverse
)

// String returns "auto", "forward" or "reverse".
func (m Mode) String() string {
	switch m {
	case Forward:
		return "forward"
	case Reverse:
		return "reverse"
	}
	return "auto"
}

// JacFwd returns the Jacobian of f at x by forward mode, with shape
// f(x).Shape() followed by x.Shape().
func JacFwd(f func(Value) Value, x Value) Value {
	j, _ := Jacobian(f, x, Forward)
	return j
}

// JacRev returns the Jacobian of f at x by reverse mode; see JacFwd.
func JacRev(f func(Value) Value, x Value) Value {
	j, _ := Jacobian(f, x, Reverse)
	return j
}

// Jacobian returns the Jacobian of f at x, shaped f(x).Shape() followed by
// x.Shape(), and the mode it used. With Auto it picks Forward when the
// output has more elements m than the input n, and Reverse otherwise
// (ties go to Reverse). To learn m it records f once in reverse mode; if
// m ≤ n it pulls back m cotangents from that recording in one batched
// sweep (see VJPBatch), otherwise it runs one forward pass carrying all n
// input directions. Auto remembers m for
// the same function code and input shape, so later calls that will go
// forward skip the recording; should m have changed so that reverse is
// now the rule, it redoes the Jacobian in reverse mode.
func Jacobian(f func(Value) Value, x Value, mode Mode) (Value, Mode) {
	check("jacobian", x)
	n := x.Size()
	key := jacKey{fn: reflect.ValueOf(f).Pointer(), dtype: x.DType(), shape: fmt.Sprint(x.Shape())}
	if mode == Auto {
		if m, ok := jacSizes.Load(key); ok && m.(int) > n {
			// probably forward: try it, and fall back to reverse if the
			// output turns out no larger than the input after all
			if j, used := Jacobian(f, x, Forward); j.Size() > n*n {
				return j, used
			}
			mode = Reverse
		}
	}
	if mode != Forward {
		y, pull := vjpBatched("jacobian", func(xs []Value) Value { return f(xs[0]) }, []Value{x}, true)
		m := y.Size()
		rememberSize(key, m)
		if mode == Reverse || m <= n {
			if m == 0 || n == 0 {
				return wrap(x.DType().Zeros(append(slices.Clone(y.Shape()), x.Shape()...)...)), Reverse
			}
			// all m cotangents, the rows of the identity, in one sweep
			eye := wrap(y.DType().Eye(m).Reshape(append([]int{m}, y.Shape()...)...))
			return Reshape(pull(eye, 1)[0], append(slices.Clone(y.Shape()), x.Shape()...)...), Reverse
		}
	}
	eye := Value{t: x.DType().Eye(n).Reshape(append([]int{n}, x.Shape()...)...)}
	y, tan := JVPBatch(func(xs []Value) Value { return f(xs[0]) }, []Value{x}, []Value{eye})
	m := y.Size()
	rememberSize(key, m)
	j := Transpose(Reshape(tan, n, m), 1, 0) // rows are outputs
	return Reshape(j, append(slices.Clone(y.Shape()), x.Shape()...)...), Forward
}

// jacSizes maps a function and input shape to the output size Jacobian
// saw; jacCount counts its entries, which rememberSize keeps under
// jacSizesMax by starting afresh.
var (
	jacSizes sync.Map
	jacCount atomic.Int64
)

const jacSizesMax = 1 << 10

// rememberSize records that f's Jacobian at inputs of key's shape had m
// rows.
func rememberSize(key jacKey, m int) {
	if _, loaded := jacSizes.Swap(key, m); !loaded && jacCount.Add(1) > jacSizesMax {
		jacSizes.Clear() // forgetting costs Auto one recording per function and shape
		jacCount.Store(0)
	}
}

type jacKey struct {
	fn    uintptr
	dtype tensor.DType
	shape string
}

// Hessian returns the matrix of second derivatives of the scalar function
// f at x, shaped x.Shape() twice, by reverse-over-reverse: the Jacobian of
// the reverse-mode gradient, its n rows pulled back through one batched
// reverse sweep (VJPBatch) of the recorded gradient computation.
func Hessian(f func(Value) Value, x Value) Value {
	return JacRev(func(y Value) Value { return Grad(f, y) }, x)
}

// HVP returns the Hessian of the scalar function f at x times the vector
// v (of x's shape), without forming the Hessian: a forward-mode derivative
// of the reverse-mode gradient, costing a small multiple of f.
func HVP(f func(Value) Value, x, v Value) Value {
	_, hv := JVP(func(xs []Value) Value { return Grad(f, xs[0]) }, []Value{x}, []Value{v})
	return hv
}
