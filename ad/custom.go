package ad

import (
	"github.com/chainrule/chainrule/tensor"
)

// Custom returns f as a differentiable function whose derivatives come from
// the given rules instead of from differentiating f's body, like JAX's
// custom_jvp and custom_vjp together. Both rules are written with ad's ops,
// so the result is differentiable in forward and reverse mode and at any
// order (unlike JAX, whose custom_vjp functions cannot be used in forward
// mode).
//
//   - jvp(primals, tangents) returns the output tangent; zero tangents are
//     passed as tensors of zeros. Under a batched JVP it is called once per
//     direction.
//   - vjp(primals, out, ct) returns the cotangent of every argument.
//     Under VJPBatch it is called once per cotangent.
//
// The rules must agree with f; gradcheck.CheckJVP and CheckVJP test that.
func Custom(name string, f func(xs []Value) Value,
	jvp func(primals, tangents []Value) Value,
	vjp func(primals []Value, out, ct Value) []Value) func(xs ...Value) Value {
	p := &prim{name: name}
	p.impl = onConstants(f)
	p.full = func(args, tans []Value, b int) (Value, Value) {
		out := bind(p, nil, args...)
		return out, perDirection(args, tans, b, func(ts []Value) Value { return jvp(args, ts) })
	}
	p.vjpAll = func(ct Value, args []Value, out Value) []Value {
		rule := func(ct Value) []Value {
			gs := vjp(args, out, ct)
			if len(gs) != len(args) {
				tensor.Panicf(tensor.ErrArg, name, "vjp rule returned %d cotangents for %d arguments", len(gs), len(args))
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
// order.
func Checkpoint(f func(xs []Value) Value) func(xs ...Value) Value {
	p := &prim{name: "checkpoint"}
	p.impl = onConstants(f)
	p.full = func(args, tans []Value, b int) (Value, Value) {
		ts := make([]Value, len(tans))
		for i, t := range tans {
			ts[i] = t
			if t.IsZero() {
				ts[i] = wrap(args[i].DType().Zeros(withBatch(tans, b, args[i].Shape())...))
			}
		}
		return jvp(f, args, ts, b)
	}
	p.vjpAll = func(ct Value, args []Value, out Value) []Value {
		if b := ctBatch(ct, out); b > 0 { // VJPBatch: all cotangents in one sweep
			_, pull := vjpBatched("checkpoint", f, args, true)
			return pull(ct, b)
		}
		_, pull := VJP(f, args...)
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
