package main

// From an expression to ad: parsing, checking the variables against --at,
// and evaluating the syntax tree with ad's primitives through expr.Eval, so
// that the same tree can be run plainly, under reverse mode, under forward
// mode or recorded as a graph.

import (
	"errors"
	"fmt"
	"math"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/expr"
	"github.com/chainrule/chainrule/tensor"
)

// program is a parsed, checked expression list and the point to evaluate it
// at.
type program struct {
	src   string
	exprs []expr.Node
	vars  []string       // the variables, in --at order
	at    []float64      // their values
	index map[string]int // variable name → position in vars
}

// compile parses src (several expressions separated by ';' if multi is
// set) and checks that every variable it uses is given in at, and that at
// gives no value to a constant (pi, e).
func compile(cmd, src string, multi bool, at []binding) (*program, error) {
	for _, b := range at {
		if v, ok := expr.Constant(b.name); ok {
			return nil, fmt.Errorf("--at: %s is a constant (%v), not a variable", b.name, v)
		}
	}
	var exprs []expr.Node
	if multi {
		list, err := expr.ParseList(src)
		if err != nil {
			return nil, err
		}
		exprs = list
	} else {
		n, err := expr.Parse(src)
		if err != nil {
			var pe *expr.Error
			if errors.As(err, &pe) {
				if _, lerr := expr.ParseList(src); lerr == nil {
					// The input is a valid list: say what to do about it.
					pe.Msg = fmt.Sprintf("unexpected ';': %s takes a single expression (jacobian takes several, separated by ';')", cmd)
				}
			}
			return nil, err
		}
		exprs = []expr.Node{n}
	}
	p := &program{src: src, exprs: exprs, index: make(map[string]int, len(at))}
	for i, b := range at {
		p.vars = append(p.vars, b.name)
		p.at = append(p.at, b.value)
		p.index[b.name] = i
	}
	for _, n := range exprs {
		if v := firstMissing(n, p.index); v != nil {
			return nil, &expr.Error{Pos: v.At, Msg: fmt.Sprintf("variable %s is not given in --at", quote(v.Name)), Src: src}
		}
	}
	return p, nil
}

// firstMissing returns the first occurrence, in source order, of a variable
// of n that is not in known, or nil. The variable of d(E, v) is free (d is
// evaluated at the current value of v), so it counts too.
func firstMissing(n expr.Node, known map[string]int) *expr.Var {
	stack := []expr.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch n := n.(type) {
		case *expr.Var:
			if _, ok := known[n.Name]; !ok {
				return n
			}
		case *expr.Unary:
			stack = append(stack, n.X)
		case *expr.Binary:
			stack = append(stack, n.Y, n.X)
		case *expr.Call:
			for i := len(n.Args) - 1; i >= 0; i-- {
				stack = append(stack, n.Args[i])
			}
		case *expr.Deriv:
			stack = append(stack, &expr.Var{Name: n.Var, At: n.VarPos}, n.X)
		}
	}
	return nil
}

// evaluator evaluates a program's expressions on ad Values. It remembers
// the first error, since the functions handed to ad cannot return one;
// after the variables have been checked by compile no error is expected.
type evaluator struct {
	p   *program
	err error
}

// eval returns expression k evaluated with the variables bound to xs (in
// --at order). On error it records the error and returns 0.
func (e *evaluator) eval(k int, xs []ad.Value) ad.Value {
	v, err := expr.Eval(e.p.exprs[k], e.ops(xs))
	if err != nil {
		if e.err == nil {
			var pe *expr.Error
			if errors.As(err, &pe) && pe.Src == "" {
				pe.Src = e.p.src
			}
			e.err = err
		}
		return ad.Scalar(0)
	}
	return v
}

// ops returns the operations that evaluate a tree with ad, the variables
// bound to xs.
func (e *evaluator) ops(xs []ad.Value) expr.Ops[ad.Value] {
	return expr.Ops[ad.Value]{
		Const: ad.Scalar,
		Var: func(name string) (ad.Value, error) {
			i, ok := e.p.index[name]
			if !ok {
				return ad.Value{}, fmt.Errorf("variable %s is not given in --at", expr.Quote(name))
			}
			return xs[i], nil
		},
		Unary: func(op byte, x ad.Value) (ad.Value, error) {
			if op != '-' {
				return ad.Value{}, fmt.Errorf("unknown operator %q", op)
			}
			return ad.Neg(x), nil
		},
		Binary: func(op byte, x, y ad.Value) (ad.Value, error) {
			switch op {
			case '+':
				return ad.Add(x, y), nil
			case '-':
				return ad.Sub(x, y), nil
			case '*':
				return ad.Mul(x, y), nil
			case '/':
				return ad.Div(x, y), nil
			case '^':
				return ad.Pow(x, y), nil
			}
			return ad.Value{}, fmt.Errorf("unknown operator %q", op)
		},
		Call: call,
		Deriv: func(f func(ad.Value) (ad.Value, error), at ad.Value) (ad.Value, error) {
			// Forward mode: a fresh JVP level, so nested derivatives
			// never confuse their perturbations.
			var ferr error
			d := ad.Derivative(func(t ad.Value) ad.Value {
				v, err := f(t)
				if err != nil {
					if ferr == nil {
						ferr = err
					}
					return ad.Scalar(0)
				}
				return v
			}, at)
			if ferr != nil {
				return ad.Value{}, ferr
			}
			return d, nil
		},
	}
}

// call applies a built-in function.
func call(name string, a []ad.Value) (ad.Value, error) {
	want, ok := expr.Arity(name)
	if !ok || name == "d" {
		return ad.Value{}, fmt.Errorf("unknown function %q", name)
	}
	if len(a) != want {
		return ad.Value{}, fmt.Errorf("%s takes %d arguments, got %d", name, want, len(a))
	}
	var f func(ad.Value) ad.Value
	switch name {
	case "sin":
		f = ad.Sin
	case "cos":
		f = ad.Cos
	case "tan":
		f = ad.Tan
	case "asin":
		f = ad.Asin
	case "acos":
		f = ad.Acos
	case "atan":
		f = ad.Atan
	case "sinh":
		f = ad.Sinh
	case "cosh":
		f = ad.Cosh
	case "tanh":
		f = ad.Tanh
	case "exp":
		f = ad.Exp
	case "log":
		f = ad.Log
	case "log1p":
		f = ad.Log1p
	case "expm1":
		f = ad.Expm1
	case "sqrt":
		f = ad.Sqrt
	case "abs":
		f = ad.Abs
	case "sigmoid":
		f = ad.Sigmoid
	case "relu":
		f = ad.Relu
	case "softplus":
		f = ad.Softplus
	case "erf":
		f = ad.Erf
	case "pow":
		return ad.Pow(a[0], a[1]), nil
	case "atan2":
		return ad.Atan2(a[0], a[1]), nil
	case "max":
		return ad.Maximum(a[0], a[1]), nil
	case "min":
		return ad.Minimum(a[0], a[1]), nil
	case "hypot":
		return ad.Hypot(a[0], a[1]), nil
	default:
		return ad.Value{}, fmt.Errorf("function %q is not supported", name)
	}
	return f(a[0]), nil
}

// The computations behind the commands. Each runs under tensor.Maybe (see
// run), so a library panic becomes an error.

// scalars returns the point as constant scalar Values.
func (p *program) scalars() []ad.Value {
	xs := make([]ad.Value, len(p.at))
	for i, v := range p.at {
		xs[i] = ad.Scalar(v)
	}
	return xs
}

// vector returns the point as one constant vector Value.
func (p *program) vector() ad.Value {
	return ad.New(append([]float64(nil), p.at...), len(p.at))
}

// split returns the elements of the vector x as scalars.
func split(x ad.Value, n int) []ad.Value {
	xs := make([]ad.Value, n)
	for i := range xs {
		xs[i] = ad.Reshape(ad.Slice(x, 0, i, i+1))
	}
	return xs
}

// values evaluates every expression at the point, plainly.
func (p *program) values() ([]float64, error) {
	e := &evaluator{p: p}
	xs := p.scalars()
	out := make([]float64, len(p.exprs))
	for k := range p.exprs {
		out[k] = e.eval(k, xs).Item()
		if e.err != nil {
			return nil, e.err
		}
	}
	return out, nil
}

// grad returns the value of the (single) expression and its gradient by
// reverse mode (ValueAndGrads: one recorded pass, one sweep) or forward
// mode (JVPBatch: one pass carrying a basis tangent per variable).
func (p *program) grad(mode ad.Mode) (float64, []float64, error) {
	e := &evaluator{p: p}
	f := func(xs []ad.Value) ad.Value { return e.eval(0, xs) }
	n := len(p.vars)
	g := make([]float64, n)
	var y ad.Value
	switch {
	case n == 0:
		y = f(nil)
	case mode == ad.Forward:
		tans := make([]ad.Value, n)
		for i := range tans {
			b := make([]float64, n)
			b[i] = 1
			tans[i] = ad.New(b, n)
		}
		var t ad.Value
		y, t = ad.JVPBatch(f, p.scalars(), tans)
		tt := t.Tensor()
		for i := range g {
			g[i] = deriv(tt.AtFlat(i))
		}
	default:
		var gs []ad.Value
		y, gs = ad.ValueAndGrads(f, p.scalars()...)
		for i, gi := range gs {
			g[i] = deriv(gi.Item())
		}
	}
	if e.err != nil {
		return 0, nil, e.err
	}
	return y.Item(), g, nil
}

// jacobian returns the values of the expressions and their Jacobian (rows
// are expressions, columns variables) computed by ad.Jacobian in the given
// mode, and the mode it used.
func (p *program) jacobian(mode ad.Mode) ([]float64, [][]float64, ad.Mode, error) {
	vals, err := p.values()
	if err != nil {
		return nil, nil, mode, err
	}
	m, n := len(p.exprs), len(p.vars)
	jac := make([][]float64, m)
	for i := range jac {
		jac[i] = make([]float64, n)
	}
	if n == 0 {
		// Nothing to differentiate by; report the mode Auto would pick
		// (forward, as there are fewer inputs than outputs).
		if mode == ad.Auto {
			mode = ad.Forward
		}
		return vals, jac, mode, nil
	}
	e := &evaluator{p: p}
	f := func(x ad.Value) ad.Value {
		xs := split(x, n)
		outs := make([]ad.Value, m)
		for k := range outs {
			outs[k] = e.eval(k, xs)
		}
		return ad.Stack(0, outs...)
	}
	j, used := ad.Jacobian(f, p.vector(), mode)
	if e.err != nil {
		return nil, nil, mode, e.err
	}
	jt := j.Tensor()
	for i := range m {
		for k := range n {
			jac[i][k] = deriv(jt.AtFlat(i*n + k))
		}
	}
	return vals, jac, used, nil
}

// hessianBlock is how many Hessian columns one forward-over-reverse pass
// computes.
const hessianBlock = 32

// hessian returns the value, gradient (reverse mode) and Hessian of the
// single expression. The Hessian is built hessianBlock columns at a time:
// the columns k0…k0+B-1 are the JVP of the gradient in the directions of
// the basis vectors e_k0 … (forward mode over reverse mode, ad.JVPBatch),
// over the variables as n separate scalars, the ones outside the block
// with a symbolic zero tangent. So the memory is the n×n result (8 bytes
// an entry) plus one gradient's graph with B-wide tangents, never an
// n-wide tangent on every node; the work is n/B passes.
func (p *program) hessian() (float64, []float64, [][]float64, error) {
	n := len(p.vars)
	e := &evaluator{p: p}
	f := func(xs []ad.Value) ad.Value { return e.eval(0, xs) }
	xs := p.scalars()
	y, gs := ad.ValueAndGrads(f, xs...)
	if e.err != nil {
		return 0, nil, nil, e.err
	}
	grad := make([]float64, n)
	for i, gi := range gs {
		grad[i] = deriv(gi.Item())
	}
	flat := make([]float64, n*n) // one allocation: rows share it
	hess := make([][]float64, n)
	for i := range hess {
		hess[i] = flat[i*n : (i+1)*n : (i+1)*n]
	}
	gradient := func(xs []ad.Value) ad.Value { return ad.Stack(0, ad.Grads(f, xs...)...) }
	tangents := make([]ad.Value, n) // the zero Value: a symbolic zero tangent, no work
	for k0 := 0; k0 < n; k0 += hessianBlock {
		b := min(hessianBlock, n-k0)
		for j := range b {
			e := make([]float64, b)
			e[j] = 1
			tangents[k0+j] = ad.New(e, b)
		}
		_, cols := ad.JVPBatch(gradient, xs, tangents)
		if e.err != nil {
			return 0, nil, nil, e.err
		}
		ct := cols.Tensor() // [b, n]: row j is column k0+j of the Hessian
		for j := range b {
			for i := range n {
				hess[i][k0+j] = deriv(ct.AtFlat(j*n + i))
			}
			tangents[k0+j] = ad.Value{}
		}
	}
	return y.Item(), grad, hess, nil
}

// scalar returns the only element of t: 0 for nil (no adjoint flows), NaN
// if t is not a single element (which the scalar expressions here never
// produce).
func scalar(t *tensor.Tensor) float64 {
	if t == nil {
		return 0
	}
	if t.Size() != 1 {
		return math.NaN()
	}
	return t.AtFlat(0)
}

// deriv returns a derivative for printing: -0 (which arises as, say,
// cos(x)·0 for a direction a node does not depend on) becomes 0.
func deriv(v float64) float64 {
	if v == 0 {
		return 0
	}
	return v
}
