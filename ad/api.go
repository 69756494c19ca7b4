package ad

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/chainrule/chainrule/tensor"
)

// notNil panics with tensor.ErrArg for op if the function f (what) is nil:
// for the arguments that are functions but not a Func (Custom's rules).
func notNil(op string, f any, what string) {
	if v := reflect.ValueOf(f); !v.IsValid() || v.Kind() == reflect.Func && v.IsNil() {
		tensor.Panicf(tensor.ErrArg, op, "nil %s", what)
	}
}

// Func is the set of function types the transformations accept: a function
// of one Value (Sin, a func literal), a variadic function of Values (what
// Custom and Checkpoint return) and a function of a slice of Values, and
// named types of these. Every transformation takes any of them, and calls
// f as follows:
//
//	                        func(Value) Value   func(...Value) Value   func([]Value) Value
//	Grad, ValueAndGrad,     f(x)                f(x)                   f([]Value{x})
//	Derivative, JacFwd,
//	JacRev, Jacobian,
//	Hessian, HVP
//	Grads, ValueAndGrads,   f(xs[0]), for one   f(xs...)               f(xs)
//	VJP, JVP, JVPBatch,     input only
//	Trace, Compile,
//	Custom, Checkpoint
//
// Compile also takes a func([]Value) []Value, for several outputs. A nil
// function panics with tensor.ErrArg, and so does a func(Value) Value
// given other than one input.
type Func interface {
	~func(Value) Value | ~func(...Value) Value | ~func([]Value) Value
}

// fn checks and normalizes f, a Func or a func([]Value) []Value (or a named
// type of one of these), for the transformation op: it returns f as one of
// the four unnamed function types. It panics with tensor.ErrArg if f is
// nil. fn1, fnN and fnMulti then return the form their caller calls,
// allocating only when a form must be adapted.
func fn(op string, f any) any {
	rv := reflect.ValueOf(f)
	if rv.Kind() != reflect.Func || rv.IsNil() {
		tensor.Panicf(tensor.ErrArg, op, "nil function")
	}
	switch f.(type) {
	case func(Value) Value, func(...Value) Value, func([]Value) Value, func([]Value) []Value:
		return f
	}
	for _, t := range funcTypes {
		if rv.Type().ConvertibleTo(t) {
			return rv.Convert(t).Interface() // a named type: its underlying func type
		}
	}
	panic("unreachable") // the type constraints admit no other function
}

var funcTypes = [...]reflect.Type{
	reflect.TypeFor[func(Value) Value](),
	reflect.TypeFor[func(...Value) Value](),
	reflect.TypeFor[func([]Value) Value](),
	reflect.TypeFor[func([]Value) []Value](),
}

// fn1 returns f as a function of one Value; see fn.
func fn1[F Func](op string, f F) func(Value) Value {
	switch g := fn(op, f).(type) {
	case func(Value) Value:
		return g
	case func(...Value) Value:
		return func(x Value) Value { return g(x) }
	case func([]Value) Value:
		return func(x Value) Value { return g([]Value{x}) }
	}
	panic("unreachable")
}

// fnN returns f as a function of a slice of Values; see fn.
func fnN[F Func](op string, f F) func([]Value) Value { return many(op, fn(op, f)) }

// many returns the normalized function g (see fn) as a function of a slice
// of Values; a func(Value) Value panics with tensor.ErrArg unless given
// exactly one.
func many(op string, g any) func([]Value) Value {
	switch g := g.(type) {
	case func(Value) Value:
		return func(xs []Value) Value {
			if len(xs) != 1 {
				tensor.Panicf(tensor.ErrArg, op, "a function of one Value given %d inputs", len(xs))
			}
			return g(xs[0])
		}
	case func(...Value) Value:
		return func(xs []Value) Value { return g(xs...) }
	case func([]Value) Value:
		return g
	}
	panic("unreachable")
}

// fnMulti returns f as a function of a slice of Values to a slice of
// outputs; see fn.
func fnMulti(op string, f any) func([]Value) []Value {
	g := fn(op, f)
	if m, ok := g.(func([]Value) []Value); ok {
		return m
	}
	one := many(op, g)
	return func(xs []Value) []Value { return []Value{one(xs)} }
}

// Grad returns the gradient of the scalar function f at x, by reverse mode:
// one recording forward pass and one reverse sweep. The result has x's shape.
// f must return a one-element value; Grad panics with tensor.ErrShape
// otherwise. Grad may be called inside a function that is itself being
// differentiated; its result is then differentiable too. When it returns,
// the storage of f's intermediate values is reused (see "Memory" in the
// package documentation): a Value that escapes f panics with
// tensor.ErrGraph if used afterwards; keep its Tensor instead.
func Grad[F Func](f F, x Value) Value {
	_, g := ValueAndGrad(fn1("grad", f), x)
	return g
}

// ValueAndGrad returns f(x) and the gradient of f at x; see Grad.
func ValueAndGrad[F Func](f F, x Value) (Value, Value) {
	y, gs := ValueAndGrads(fn1("value_and_grad", f), x)
	return y, gs[0]
}

// Grads returns the gradient of the scalar function f with respect to each
// of its arguments xs, by one reverse sweep; see Grad.
func Grads[F Func](f F, xs ...Value) []Value {
	_, gs := ValueAndGrads(fnN("grads", f), xs...)
	return gs
}

// ValueAndGrads returns f(xs) and its gradient with respect to each of xs;
// see Grad.
func ValueAndGrads[F Func](f F, xs ...Value) (Value, []Value) {
	g := fnN("value_and_grads", f)
	t, in, leaves := begin("grad", xs)
	t.reuse = true
	defer t.release()
	y := g(in)
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
func VJP[F Func](f F, xs ...Value) (Value, func(ct Value) []Value) {
	g := fnN("vjp", f)
	t, in, leaves := begin("vjp", xs)
	y := g(in)
	check("vjp", y)
	t.done = true
	yp, own := t.lower(y)
	pull := func(ct Value) []Value {
		check("vjp", ct)
		ct = adopt(ct, yp.DType())
		if !sameShape(ct.Shape(), yp.Shape()) || ct.DType() != yp.DType() {
			tensor.Panicf(tensor.ErrShape, "vjp", "cotangent %s %s for output %s %s", ct.DType(), tensor.ShapeString(ct.Shape()), yp.DType(), tensor.ShapeString(yp.Shape()))
		}
		return pullback(t, own, y.idx(), ct, leaves, xs)
	}
	return yp, pull
}

// adopt returns v converted to dtype d if v is a weakly typed constant (see
// Scalar), and v otherwise: a tangent or cotangent written as ad.Scalar(1)
// fits a float32 value too.
func adopt(v Value, d tensor.DType) Value {
	if v.isWeak() && d != tensor.Float64 {
		return Value{t: d.Scalar(v.s)}
	}
	return v
}

// begin starts a reverse trace with xs as its inputs, for op.
func begin(op string, xs []Value) (t *trace, in []Value, leaves []int32) {
	check(op, xs...)
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
func JVP[F Func](f F, primals, tangents []Value) (Value, Value) {
	return jvp(fnN("jvp", f), primals, tangents, 0)
}

// JVPBatch is JVP for k tangent directions at once: each tangent has a
// leading dimension of size k, and so does the result. One pass carries all
// k directions.
func JVPBatch[F Func](f F, primals, tangents []Value) (Value, Value) {
	return jvp(fnN("jvp_batch", f), primals, tangents, 1)
}

func jvp(f func(xs []Value) Value, primals, tangents []Value, b int) (Value, Value) {
	y, tan, _ := jvpOwn(f, primals, tangents, b)
	return y, tan
}

// jvpOwn is jvp that also reports whether the output tangent's storage is
// the JVP's own: made by its kernels, shared with nothing that outlives it
// (the primals, the tangents passed in, the output value, constants, what
// user code saw or returned), so that a caller that only reads it may hand
// it back to the storage cache.
func jvpOwn(f func(xs []Value) Value, primals, tangents []Value, b int) (Value, Value, bool) {
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
		tg = adopt(tg, x.DType())
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
	var yt Value
	if own {
		yt = y.tangent()
	}
	mine := false
	if recycling {
		mine = t.recycleDuals(primals, tangents, yp, yt)
	}
	if yt.IsZero() {
		if b > 0 && k == nil {
			tensor.Panicf(tensor.ErrArg, "jvp", "every tangent is a symbolic zero: the batch size is unknown")
		}
		return yp, wrap(yp.DType().Zeros(append(slices.Clone(k), yp.Shape()...)...)), true
	}
	return yp, yt, mine
}

// Derivative returns df/dx at x for a function of one scalar, by forward
// mode. It panics with tensor.ErrShape if x is not a single element.
func Derivative[F Func](f F, x Value) Value {
	g := fn1("derivative", f)
	check("derivative", x)
	if x.Size() != 1 {
		tensor.Panicf(tensor.ErrShape, "derivative", "argument of shape %s is not a scalar", tensor.ShapeString(x.Shape()))
	}
	_, d := JVP(g, []Value{x}, []Value{wrap(x.DType().Ones(x.Shape()...))})
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
func JacFwd[F Func](f F, x Value) Value {
	j, _ := Jacobian(fn1("jac_fwd", f), x, Forward)
	return j
}

// JacRev returns the Jacobian of f at x by reverse mode; see JacFwd.
func JacRev[F Func](f F, x Value) Value {
	j, _ := Jacobian(fn1("jac_rev", f), x, Reverse)
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
func Jacobian[F Func](f F, x Value, mode Mode) (Value, Mode) {
	g := fn1("jacobian", f)
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
		y, pull := vjpBatched("jacobian", func(xs []Value) Value { return g(xs[0]) }, []Value{x}, true)
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
	y, tan, own := jvpOwn(func(xs []Value) Value { return g(xs[0]) }, []Value{x}, []Value{eye}, 1)
	m := y.Size()
	rememberSize(key, m)
	j := Transpose(Reshape(tan, n, m), 1, 0) // rows are outputs
	if own && storage(j) != storage(tan) {
		tensor.Recycle(tan.t) // read once, by the transpose: hot for the next Jacobian
	}
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
//
// At singular points the result is symmetric wherever it is defined: where
// component i of the gradient is NaN, row and column i are NaN (they are
// derivatives of an undefined value), and a pair of entries (i, j), (j, i)
// that the two orders of differentiation give differently — one NaN, or
// infinities that disagree with each other or with a finite value — is
// NaN both. So atan2(y, x) at the origin, whose gradient is NaN, has an
// all-NaN Hessian, as in PyTorch; see the package doc's Conventions for
// where chainrule differs from PyTorch's double backward.
func Hessian[F Func](f F, x Value) Value {
	fg := fn1("hessian", f)
	check("hessian", x)
	n := x.Size()
	hshape := append(slices.Clone(x.Shape()), x.Shape()...)
	g, pull := vjpBatched("hessian", func(xs []Value) Value { return Grad(fg, xs[0]) }, []Value{x}, true)
	if n == 0 {
		return wrap(x.DType().Zeros(hshape...))
	}
	// all n cotangents, the rows of the identity, in one sweep
	eye := wrap(g.DType().Eye(n).Reshape(append([]int{n}, g.Shape()...)...))
	h := Reshape(pull(eye, 1)[0], n, n) // h[i][j] = ∂g_i/∂x_j
	if !allFinite(g, h) {
		h = maskUndefined(Reshape(g, n), h)
	}
	return Reshape(h, hshape...)
}

// allFinite reports whether every element of the values is finite, and
// false for a value under Vmap (which has no one concrete value).
func allFinite(vs ...Value) bool {
	for _, v := range vs {
		if v.tc != nil && v.inVmap() {
			return false
		}
		t := v.Tensor()
		for i := range t.Size() {
			if x := t.AtFlat(i); x-x != 0 {
				return false
			}
		}
	}
	return true
}

// maskUndefined returns the n×n Hessian h (h[i][j] = ∂g_i/∂x_j) of the
// gradient g (a vector) with its undefined entries NaN (see Hessian): row
// and column i where g_i is NaN, and both entries of a pair (i, j), (j, i)
// that disagree in being NaN or are infinities that differ. It is written
// with ad's ops, so it is differentiable and runs under Vmap.
func maskUndefined(g, h Value) Value {
	n := g.Size()
	isNaN := func(v Value) Value { return NotEqual(v, v) }
	or := func(a, b Value) Value { return Maximum(a, b) } // of 0/1 masks
	nanG := isNaN(g)
	ht := Transpose(h, 1, 0)
	inf := or(Equal(Abs(h), math.Inf(1)), Equal(Abs(ht), math.Inf(1)))
	cond := or(or(Reshape(nanG, n, 1), Reshape(nanG, 1, n)),
		or(NotEqual(isNaN(h), isNaN(ht)), Mul(inf, NotEqual(h, ht))))
	return Where(cond, math.NaN(), h)
}

// HVP returns the Hessian of the scalar function f at x times the vector
// v (of x's shape), without forming the Hessian: a forward-mode derivative
// of the reverse-mode gradient, costing a small multiple of f. Like
// Hessian, where component i of the gradient is NaN, row and column i of
// the Hessian are undefined: component i of the product is NaN, and so is
// every component if v_i is not 0.
func HVP[F Func](f F, x, v Value) Value {
	fg := fn1("hvp", f)
	g, hv := JVP(func(xs []Value) Value { return Grad(fg, xs[0]) }, []Value{x}, []Value{v})
	if !allFinite(g) {
		// component i is undefined where g_i is NaN, and every component
		// is if such a column i enters the product (v_i ≠ 0)
		nanG := NotEqual(g, g)
		any := Max(Mul(nanG, NotEqual(v, 0)), false)
		hv = Where(Maximum(nanG, any), math.NaN(), hv)
	}
	return hv
}
