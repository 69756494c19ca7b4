package main

// What each node of graph's picture computes, in the user's terms. A
// derivative d(E, v) runs E by forward mode, so the recorded graph holds
// the primitives of E's tangent (x ^ 2, 3 * v2, where(…), chain_mul(…))
// and E's own value, which the output does not use. To label them, the
// graph is traced with the expression's operations wrapped: each one
// evaluated outside any d is matched to its syntax-tree node (expr.Eval
// completes them in post-order), and ad.Graph.NodeOf finds the graph node
// of its result. A d's result is labelled d(E, v) = ∂(E)/∂v, the nodes
// only it uses "step of d(E, v)"; the rest is dropped as dead.

import (
	"errors"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/expr"
)

// opRecorder wraps an evaluator's operations to remember, for each
// operation evaluated outside any d, its syntax-tree node and result.
type opRecorder struct {
	seq     []expr.Node // the operations in the order Eval completes them
	next    int         // the index in seq of the next one to complete
	depth   int         // how many d's are being evaluated
	results []ad.Value  // by index in seq; the zero Value if not recorded
	matched bool        // the operations met so far are those of seq
}

// postOrder returns the operation nodes of n (not numbers, variables or a
// unary plus, which Eval does not apply) children first, left to right.
func postOrder(n expr.Node) []expr.Node {
	type item struct {
		n    expr.Node
		done bool
	}
	var out []expr.Node
	stack := []item{{n, false}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.done {
			out = append(out, it.n)
			continue
		}
		switch n := it.n.(type) {
		case *expr.Unary:
			if n.Op != '+' {
				stack = append(stack, item{n, true})
			}
			stack = append(stack, item{n.X, false})
		case *expr.Binary:
			stack = append(stack, item{n, true}, item{n.Y, false}, item{n.X, false})
		case *expr.Call:
			stack = append(stack, item{n, true})
			for i := len(n.Args) - 1; i >= 0; i-- {
				stack = append(stack, item{n.Args[i], false})
			}
		case *expr.Deriv:
			stack = append(stack, item{n, true}, item{n.X, false})
		}
	}
	return out
}

// done records the completion of an operation: ok tells whether it is the
// kind of node expected next.
func (r *opRecorder) done(ok func(expr.Node) bool, v ad.Value) {
	if !r.matched || r.next >= len(r.seq) || !ok(r.seq[r.next]) {
		r.matched = false
		return
	}
	if r.depth == 0 {
		r.results[r.next] = v
	}
	r.next++
}

// wrap returns ops with every operation reported to r.
func (r *opRecorder) wrap(ops expr.Ops[ad.Value]) expr.Ops[ad.Value] {
	unary, binary, call, deriv := ops.Unary, ops.Binary, ops.Call, ops.Deriv
	ops.Unary = func(op byte, x ad.Value) (ad.Value, error) {
		v, err := unary(op, x)
		r.done(func(n expr.Node) bool { u, ok := n.(*expr.Unary); return ok && u.Op == op }, v)
		return v, err
	}
	ops.Binary = func(op byte, x, y ad.Value) (ad.Value, error) {
		v, err := binary(op, x, y)
		r.done(func(n expr.Node) bool { b, ok := n.(*expr.Binary); return ok && b.Op == op }, v)
		return v, err
	}
	ops.Call = func(name string, args []ad.Value) (ad.Value, error) {
		v, err := call(name, args)
		r.done(func(n expr.Node) bool { c, ok := n.(*expr.Call); return ok && c.Func == name }, v)
		return v, err
	}
	ops.Deriv = func(f func(ad.Value) (ad.Value, error), at ad.Value) (ad.Value, error) {
		r.depth++
		v, err := deriv(f, at)
		r.depth--
		r.done(func(n expr.Node) bool { _, ok := n.(*expr.Deriv); return ok }, v)
		return v, err
	}
	return ops
}

// tracedWithTerms records the (single) expression as a graph with
// ad.Trace, like program.traced, and returns with it each node's term (""
// where unknown) and whether the expression has a d.
func (p *program) tracedWithTerms() (*ad.Graph, []string, bool, error) {
	seq := postOrder(p.exprs[0])
	r := &opRecorder{seq: seq, results: make([]ad.Value, len(seq)), matched: true}
	e := &evaluator{p: p}
	g := ad.Trace(func(xs []ad.Value) ad.Value {
		v, err := expr.Eval(p.exprs[0], r.wrap(e.ops(xs)))
		if err != nil {
			var pe *expr.Error
			if errors.As(err, &pe) && pe.Src == "" {
				pe.Src = p.src
			}
			e.err = err
			return ad.Scalar(0)
		}
		return v
	}, p.scalars(), p.vars...)
	if e.err != nil {
		return nil, nil, false, e.err
	}
	hasD := false
	for _, n := range seq {
		if _, ok := n.(*expr.Deriv); ok {
			hasD = true
		}
	}
	nodes := g.Nodes()
	terms := make([]string, len(nodes))
	for i, nd := range nodes {
		if nd.Op() == "input" {
			terms[i] = nd.Name()
		}
	}
	if !r.matched || r.next != len(seq) {
		return g, terms, hasD, nil // Eval applied other operations: no labels rather than wrong ones
	}
	text := termTexts(seq)
	var derivs []int // graph nodes of d results, in evaluation order
	derivOf := map[int]string{}
	for i, n := range seq {
		nd, ok := g.NodeOf(r.results[i])
		if !ok {
			continue
		}
		k := nd.Index()
		if d, ok := n.(*expr.Deriv); ok {
			terms[k] = text(d) + " = ∂(" + text(d.X) + ")/∂" + d.Var
			derivs = append(derivs, k)
			derivOf[k] = text(d)
			continue
		}
		if nodes[k].Op() != "input" {
			terms[k] = text(n) // an outer operation overwrites an inner one it merely passed on
		}
	}
	// The nodes only a d's result uses are the steps of its tangent.
	for _, k := range derivs {
		stack := []int{k}
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			nd := nodes[i]
			for j := range nd.NumArgs() {
				a, ok := nd.Arg(j)
				if !ok || terms[a.Index()] != "" {
					continue
				}
				terms[a.Index()] = "step of " + derivOf[k]
				stack = append(stack, a.Index())
			}
		}
	}
	return g, terms, hasD, nil
}

// live reports, for each node, whether the output depends on it: the
// output and, recursively, the nodes its arguments come from. Inputs count
// as live whatever they feed.
func live(g *ad.Graph) []bool {
	nodes := g.Nodes()
	keep := make([]bool, len(nodes))
	for i, nd := range nodes {
		keep[i] = nd.Op() == "input"
	}
	out, ok := g.Output()
	if !ok {
		return keep
	}
	keep[out.Index()] = true
	for i := out.Index(); i >= 0; i-- {
		if !keep[i] {
			continue
		}
		nd := nodes[i]
		for j := range nd.NumArgs() {
			if a, ok := nd.Arg(j); ok {
				keep[a.Index()] = true
			}
		}
	}
	return keep
}

// maxTermNodes is the largest subtree whose text termTexts writes out in
// full (then clipped); a larger one is abbreviated, so that labelling the
// n operations of a long chain costs O(n), not O(n²).
const maxTermNodes = 64

// termTexts returns a function giving the text of an operation of seq (a
// post-order list) or of one of its operands, in expr.String's form,
// clipped by clip (maxEcho runes); a subtree of more than maxTermNodes nodes is
// abbreviated around its operator: "… + sin(x)", "sin(…)", "d(…, x)".
func termTexts(seq []expr.Node) func(expr.Node) string {
	size := make(map[expr.Node]int, len(seq))
	sz := func(n expr.Node) int {
		if s, ok := size[n]; ok {
			return s
		}
		return 1 // a number or a variable
	}
	for _, n := range seq { // children come first
		s := 1
		switch n := n.(type) {
		case *expr.Unary:
			s += sz(n.X)
		case *expr.Binary:
			s += sz(n.X) + sz(n.Y)
		case *expr.Call:
			for _, a := range n.Args {
				s += sz(a)
			}
		case *expr.Deriv:
			s += sz(n.X)
		}
		size[n] = s
	}
	var text func(n expr.Node) string
	text = func(n expr.Node) string {
		if sz(n) <= maxTermNodes {
			return clip(expr.String(n))
		}
		switch n := n.(type) {
		case *expr.Unary:
			return string(n.Op) + "(…)"
		case *expr.Binary:
			y := "…"
			if sz(n.Y) <= maxTermNodes {
				y = text(n.Y)
			}
			return clip("… " + string(n.Op) + " " + y)
		case *expr.Call:
			return n.Func + "(…)"
		case *expr.Deriv:
			return "d(…, " + n.Var + ")"
		}
		return "…"
	}
	return text
}
