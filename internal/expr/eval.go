package expr

import (
	"errors"
	"fmt"
)

// Ops supplies the primitive operations with which [Eval] evaluates a tree
// over values of type V (float64, a tensor, an automatic-differentiation
// value, ...). A field may be left nil if the trees evaluated never need it;
// Eval reports an error if it does.
type Ops[V any] struct {
	// Const returns the value of a number literal.
	Const func(x float64) V

	// Var returns the value of a free variable. It is not consulted for a
	// variable bound by an enclosing d(E, v) while E is being evaluated.
	Var func(name string) (V, error)

	// Unary applies the prefix operator '-'. (Prefix '+' is the identity
	// and is not passed to Unary.)
	Unary func(op byte, x V) (V, error)

	// Binary applies one of the operators '+', '-', '*', '/' or '^'.
	Binary func(op byte, x, y V) (V, error)

	// Call applies the built-in function name (any name for which Arity
	// reports ok, except d) to its arguments.
	Call func(name string, args []V) (V, error)

	// Deriv returns the derivative of f at the point at. For d(E, v), at is
	// the current value of v and f(t) evaluates E with v bound to t and
	// every other variable bound as it is at the d. Deriv may call f any
	// number of times (but not concurrently), including re-entrantly for
	// nested derivatives. If f returns an error, Deriv should return a
	// non-nil error too; Eval then reports f's error, whatever Deriv
	// returns.
	Deriv func(f func(V) (V, error), at V) (V, error)
}

// Eval evaluates n using ops.
//
// Every error returned is an *Error, positioned at the node responsible.
// Errors returned by ops are wrapped (see Error.Err), unless they already
// contain an *Error. Eval does not know the source text, so the caller may
// set Src on the *Error to have the source line quoted.
func Eval[V any](n Node, ops Ops[V]) (V, error) {
	e := evaluator[V]{ops: &ops}
	return e.eval(n, nil)
}

type evaluator[V any] struct {
	ops *Ops[V]
}

// scope is a linked list of variables bound by enclosing derivatives.
type scope[V any] struct {
	name string
	val  V
	up   *scope[V]
}

func (e *evaluator[V]) fail(n Node, err error) error {
	var pe *Error
	if errors.As(err, &pe) {
		return err // already positioned
	}
	return &Error{Pos: n.Pos(), Msg: err.Error(), Err: err}
}

func missing(field string) error {
	return fmt.Errorf("expr: Ops.%s is nil", field)
}

func (e *evaluator[V]) lookup(name string, at Pos, env *scope[V]) (V, error) {
	for s := env; s != nil; s = s.up {
		if s.name == name {
			return s.val, nil
		}
	}
	var zero V
	if e.ops.Var == nil {
		return zero, &Error{Pos: at, Msg: missing("Var").Error()}
	}
	v, err := e.ops.Var(name)
	if err != nil {
		return zero, e.fail(&Var{Name: name, At: at}, err)
	}
	return v, nil
}

func (e *evaluator[V]) eval(n Node, env *scope[V]) (V, error) {
	var zero V
	switch n := n.(type) {
	case *Num:
		if e.ops.Const == nil {
			return zero, e.fail(n, missing("Const"))
		}
		return e.ops.Const(n.Value), nil
	case *Var:
		return e.lookup(n.Name, n.At, env)
	case *Unary:
		x, err := e.eval(n.X, env)
		if err != nil || n.Op == '+' {
			return x, err
		}
		if e.ops.Unary == nil {
			return zero, e.fail(n, missing("Unary"))
		}
		v, err := e.ops.Unary(n.Op, x)
		if err != nil {
			return zero, e.fail(n, err)
		}
		return v, nil
	case *Binary:
		if e.ops.Binary == nil {
			return zero, e.fail(n, missing("Binary"))
		}
		// Evaluate the left spine iteratively so that long chains such as
		// a + b + c + ... do not recurse deeply.
		spine := []*Binary{n}
		for {
			x, ok := spine[len(spine)-1].X.(*Binary)
			if !ok {
				break
			}
			spine = append(spine, x)
		}
		acc, err := e.eval(spine[len(spine)-1].X, env)
		if err != nil {
			return zero, err
		}
		for i := len(spine) - 1; i >= 0; i-- {
			b := spine[i]
			y, err := e.eval(b.Y, env)
			if err != nil {
				return zero, err
			}
			if acc, err = e.ops.Binary(b.Op, acc, y); err != nil {
				return zero, e.fail(b, err)
			}
		}
		return acc, nil
	case *Call:
		if e.ops.Call == nil {
			return zero, e.fail(n, missing("Call"))
		}
		args := make([]V, len(n.Args))
		for i, a := range n.Args {
			v, err := e.eval(a, env)
			if err != nil {
				return zero, err
			}
			args[i] = v
		}
		v, err := e.ops.Call(n.Func, args)
		if err != nil {
			return zero, e.fail(n, err)
		}
		return v, nil
	case *Deriv:
		if e.ops.Deriv == nil {
			return zero, e.fail(n, missing("Deriv"))
		}
		at, err := e.lookup(n.Var, n.VarPos, env)
		if err != nil {
			return zero, err
		}
		var inner error // first error from evaluating the body
		f := func(t V) (V, error) {
			v, err := e.eval(n.X, &scope[V]{name: n.Var, val: t, up: env})
			if err != nil && inner == nil {
				inner = err
			}
			return v, err
		}
		v, err := e.ops.Deriv(f, at)
		if inner != nil {
			return zero, inner
		}
		if err != nil {
			return zero, e.fail(n, err)
		}
		return v, nil
	case nil:
		return zero, &Error{Msg: "expr: Eval of nil Node"}
	}
	return zero, &Error{Msg: fmt.Sprintf("expr: Eval of unknown node type %T", n)}
}
