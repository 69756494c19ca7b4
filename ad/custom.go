package ad

import (
	"fmt"

	"github.com/chainrule/chainrule/tensor"
)

// Custom returns f as a differentiable function whose derivatives come from
// the given rules instead of from differentiating f's body, like JAX's
// custom_jvp and custom_vjp together. Both rules are written with ad's ops,
// so the result is differentiable in forward and reverse mode and at any
// order (unlike JAX, whose custom_vjp functions cannot be used in forward
// mode).
//
//   - jvp(primals, tangents) returns the output tangent, of f's output
//     shape and dtype; zero tangents are passed as tensors of zeros. Under a
//     batched JVP it is called once per direction. It may return the zero
//     Value for a zero tangent.
//   - vjp(primals, out, ct) returns the cotangent of every argument, each of
//     its argument's shape and dtype, or the zero Value for a zero
//     cotangent (JAX's None).
//     Under VJPBatch it is called once per cotangent.
//
// f may be any Func; the result plugs into every transformation as it is.
// The rules' results are checked wherever they are used (every mode, every
// order): a tangent or cotangent of the wrong shape panics with
// tensor.ErrShape, of the wrong dtype with tensor.ErrDType, a vjp result of
// the wrong length with tensor.ErrArg, each naming the custom function and
// the argument. The rules must also agree with f; gradcheck.CheckJVP and
// CheckVJP test that. Custom panics with tensor.ErrArg if f, jvp or vjp is
// nil.
func Custom[F Func](name string, f F,
	jvp func(primals, tangents []Value) Value,
	vjp func(primals []Value, out, ct Value) []Value) func(xs ...Value) Value {
	fs := fnN("custom "+name, f)
	notNil("custom "+name, jvp, "jvp")
	notNil("custom "+name, vjp, "vjp")
	p := &prim{name: name}
	p.impl = onConstants(fs)
	p.full = func(args, tans []Value, b int) (Value, Value) {
		out := bind(p, nil, args...)
		return out, perDirection(args, tans, b, func(ts []Value) Value {
			t := jvp(args, ts)
			if t.IsZero() {
				if b == 0 {
					return t // a symbolic zero
				}
				return zerosLike(out)
			}
			conforms(name, "jvp rule: output tangent", t, "the output", out)
			return t
		})
	}
	p.vjpAll = func(ct Value, args []Value, out Value) []Value {
		rule := func(ct Value) []Value {
			gs := vjp(args, out, ct)
			if len(gs) != len(args) {
				tensor.Panicf(tensor.ErrArg, name, "vjp rule returned %d cotangents for %d arguments", len(gs), len(args))
			}
			for i, g := range gs {
				if !g.IsZero() {
					conforms(name, fmt.Sprintf("vjp rule: cotangent of argument %d", i), g, fmt.Sprintf("argument %d", i), args[i])
				}
			}
			return gs
		}
		if b := ctBatch(ct, out); b > 0 { // VJPBatch: once per cotangent
			return perRow(ct, b, args, rule)
		}
		return rule(ct)
	}
	return func(xs ...Value) Value {
		check(name, xs...)
		return bind(p, nil, xs...)
	}
}

// conforms panics with tensor.ErrShape or tensor.ErrDType for custom rule
// op if the rule's result v (what) does not have the shape and dtype of ref
// (whose).
func conforms(op, what string, v Value, whose string, ref Value) {
	if !sameShape(v.Shape(), ref.Shape()) {
		tensor.Panicf(tensor.ErrShape, op, "%s has shape %s, want %s (of %s)", what, tensor.ShapeString(v.Shape()), tensor.ShapeString(ref.Shape()), whose)
	}
	if v.DType() != ref.DType() {
		tensor.Panicf(tensor.ErrDType, op, "%s has dtype %v, want %v (of %s)", what, v.DType(), ref.DType(), whose)
	}
}

// perDirection calls rule with materialized tangents, once per batch
// direction when b > 0, and stacks the results.
func perDirection(args, tans []Value, b int, rule func(ts []Value) Value) Value {
	full := func(k int, slice bool) []Value {
		ts := make([]Value, len(tans))
		for i, t := range tans {
			switch {
			case t.IsZero():
				ts[i] = zerosLike(args[i])
			case slice:
				ts[i] = Reshape(Slice(t, 0, k, k+1), args[i].Shape()...)
			default:
				ts[i] = t
			}
		}
		return ts
	}
	if b == 0 {
		return rule(full(0, false))
	}
	k := batchDims(tans, b)[0]
	outs := make([]Value, k)
	for i := 0; i < k; i++ {
		outs[i] = rule(full(i, true))
	}
	return Stack(0, outs...)
}

// Checkpoint returns f rewritten to save memory in reverse mode: its
// intermediates are not kept for the reverse sweep but recomputed during
// it, trading one more evaluation of f for the memory of its recording.
// In forward mode it is f. Values it returns are differentiable at any
// order. f may be any Func; Checkpoint panics with tensor.ErrArg if it is
// nil.
func Checkpoint[F Func](f F) func(xs ...Value) Value {
	fs := fnN("checkpoint", f)
	p := &prim{name: "checkpoint"}
	p.impl = onConstants(fs)
	p.full = func(args, tans []Value, b int) (Value, Value) {
		ts := make([]Value, len(tans))
		for i, t := range tans {
			ts[i] = t
			if t.IsZero() {
				ts[i] = wrap(args[i].DType().Zeros(withBatch(tans, b, args[i].Shape())...))
			}
		}
		return jvp(fs, args, ts, b)
	}
	p.vjpAll = func(ct Value, args []Value, out Value) []Value {
		if b := ctBatch(ct, out); b > 0 { // VJPBatch: all cotangents in one sweep
			_, pull := vjpBatched("checkpoint", fs, args, true)
			return pull(ct, b)
		}
		_, pull := VJP(fs, args...)
		return pull(ct)
	}
	return func(xs ...Value) Value {
		check("checkpoint", xs...)
		return bind(p, nil, xs...)
	}
}

// onConstants returns a kernel that runs f on constant arguments.
func onConstants(f func(xs []Value) Value) func([]*tensor.Tensor, *params) *tensor.Tensor {
	return func(ts []*tensor.Tensor, _ *params) *tensor.Tensor {
		xs := make([]Value, len(ts))
		for i, t := range ts {
			xs[i] = wrap(t)
		}
		return f(xs).tensor()
	}
}
