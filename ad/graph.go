package ad

import (
	"fmt"
	"strings"

	"github.com/chainrule/chainrule/tensor"
)

// Graph is a recorded computation: its inputs, the intermediate variables on
// its inner edges and its output, each node with its local gradients. Make
// one with Trace.
type Graph struct {
	t      *trace
	inputs []int32
	names  []string
	out    Value
	outIdx int32 // -1 if the output does not depend on the inputs
}

// Node is one node of a Graph: an input or one application of a primitive.
type Node struct {
	g *Graph
	i int32
}

// Trace runs f at xs, recording every primitive it applies, and returns the
// graph. names, if given, name the inputs (default x0, x1, …); intermediate
// variables are named v1, v2, … in evaluation order. Ordinary Go control
// flow in f is resolved at the recorded point.
func Trace[F Func](f F, xs []Value, names ...string) *Graph {
	g0 := fnN("trace", f)
	check("trace", xs...)
	t := newTrace(revTrace)
	t.graph = true
	g := &Graph{t: t, outIdx: -1}
	in := make([]Value, len(xs))
	for i, x := range xs {
		in[i] = t.input(x, Value{})
		g.inputs = append(g.inputs, in[i].idx())
	}
	y := g0(in)
	check("trace", y)
	t.done = true
	yp, own := t.lower(y)
	g.out = yp
	if own {
		g.outIdx = y.idx()
	}
	g.names = make([]string, int(t.n))
	v := 0
	for i := range int(t.n) {
		if t.node(int32(i)).p == nil {
			continue
		}
		v++
		g.names[i] = fmt.Sprintf("v%d", v)
	}
	for k, i := range g.inputs {
		if k < len(names) {
			g.names[i] = names[k]
		} else {
			g.names[i] = fmt.Sprintf("x%d", k)
		}
	}
	return g
}

// Nodes returns every node in evaluation order, inputs first.
func (g *Graph) Nodes() []Node {
	ns := make([]Node, int(g.t.n))
	for i := range ns {
		ns[i] = Node{g, int32(i)}
	}
	return ns
}

// Inputs returns the input nodes, in argument order.
func (g *Graph) Inputs() []Node {
	ns := make([]Node, len(g.inputs))
	for k, i := range g.inputs {
		ns[k] = Node{g, i}
	}
	return ns
}

// Output returns the node of the result and true, or false if the result
// does not depend on the inputs.
func (g *Graph) Output() (Node, bool) { return Node{g, g.outIdx}, g.outIdx >= 0 }

// Value returns the result of the recorded computation.
func (g *Graph) Value() *tensor.Tensor { return g.out.tensor() }

// NodeOf returns the node that computed v, a Value that f produced while
// Trace recorded g, and true; false if v is a constant or was computed at
// another level (inside a nested JVP, say).
func (g *Graph) NodeOf(v Value) (Node, bool) {
	if v.tc != g.t || v.idx() < 0 || v.idx() >= g.t.n {
		return Node{}, false
	}
	return Node{g, v.idx()}, true
}

// Name returns the node's variable name: an input's name, or v1, v2, ….
func (n Node) Name() string { return n.g.names[n.i] }

// Op returns the primitive's name ("mul", "sin", …), or "input".
func (n Node) Op() string {
	if p := n.g.t.node(n.i).p; p != nil {
		return p.name
	}
	return "input"
}

// Index returns the node's position in evaluation order.
func (n Node) Index() int { return int(n.i) }

// NumArgs returns how many arguments the node's primitive took (0 for an
// input).
func (n Node) NumArgs() int { return len(n.g.t.node(n.i).ops().args) }

// Arg returns the node that computed argument i, or false if argument i is
// a constant (whose value ArgValue returns).
func (n Node) Arg(i int) (Node, bool) {
	p := n.g.t.node(n.i).ops().parents[i]
	return Node{n.g, p}, p >= 0
}

// ArgValue returns the value of argument i.
func (n Node) ArgValue(i int) *tensor.Tensor { return n.g.t.node(n.i).ops().args[i].tensor() }

// Shape returns the shape of the node's output.
func (n Node) Shape() []int { return n.Value().Shape() }

// Value returns the node's output.
func (n Node) Value() *tensor.Tensor { return n.g.t.node(n.i).output().tensor() }

// Elementwise reports whether the node's local gradients are elementwise
// partial derivatives (which Local returns), rather than linear maps only.
func (n Node) Elementwise() bool {
	p := n.g.t.node(n.i).p
	return p != nil && p.local != nil
}

// Local returns the local gradient ∂out/∂arg i of an elementwise node as a
// tensor broadcast to the output's shape, and true; for other nodes it
// returns false: use VJP, the local gradient as a function. For a scalar
// node it is a number.
func (n Node) Local(i int) (*tensor.Tensor, bool) {
	nd := n.g.t.node(n.i)
	if nd.p == nil || nd.p.local == nil {
		return nil, false
	}
	o := nd.ops()
	l := nd.p.local(i, o.args, o.out, o.prm)
	switch {
	case l.IsZero():
		return o.out.DType().Zeros(o.out.Shape()...), true
	case isIdentity(l):
		return o.out.DType().Ones(o.out.Shape()...), true
	}
	return tensor.BroadcastTo(l.tensor(), o.out.Shape()), true
}

// VJP applies the node's local gradient with respect to argument i, as a
// linear map, to the output cotangent ct (of the output's shape) and
// returns the cotangent of the argument. It panics with tensor.ErrShape if
// ct has the wrong shape.
func (n Node) VJP(i int, ct *tensor.Tensor) *tensor.Tensor {
	nd := n.g.t.node(n.i)
	o := nd.ops()
	if nd.p == nil || !sameShape(ct.Shape(), o.out.Shape()) {
		tensor.Panicf(tensor.ErrShape, "node vjp", "cotangent %s for node of shape %s", tensor.ShapeString(ct.Shape()), tensor.ShapeString(o.out.Shape()))
	}
	var g Value
	if nd.p.vjpAll != nil {
		g = nd.p.vjpAll(wrap(ct), o.args, o.out)[i]
	} else {
		g = nd.vjpOf(o, i, wrap(ct), nil)
	}
	if g.IsZero() {
		return o.args[i].DType().Zeros(o.args[i].Shape()...)
	}
	return g.tensor()
}

// Adjoints runs the reverse sweep from the output with cotangent seed (of
// the output's shape) and returns the adjoint ∂output/∂node of every node,
// indexed like Nodes; nil where none flows.
func (g *Graph) Adjoints(seed *tensor.Tensor) []*tensor.Tensor {
	adj := make([]*tensor.Tensor, int(g.t.n))
	if g.outIdx < 0 {
		return adj
	}
	adj[g.outIdx] = seed
	for i := int(g.outIdx); i >= 0; i-- {
		n := Node{g, int32(i)}
		if adj[i] == nil || n.Op() == "input" {
			continue
		}
		for j := 0; j < n.NumArgs(); j++ {
			a, ok := n.Arg(j)
			if !ok {
				continue
			}
			c := n.VJP(j, adj[i])
			if adj[a.i] == nil {
				adj[a.i] = c
			} else {
				adj[a.i] = tensor.Add(adj[a.i], c)
			}
		}
	}
	return adj
}

// Tangents runs forward mode over the recorded graph: given a tangent for
// every input, it returns the tangent of every node, indexed like Nodes.
// It panics with tensor.ErrShape if the tangents do not fit the inputs.
func (g *Graph) Tangents(inputs []*tensor.Tensor) []*tensor.Tensor {
	if len(inputs) != len(g.inputs) {
		tensor.Panicf(tensor.ErrShape, "tangents", "%d tangents for %d inputs", len(inputs), len(g.inputs))
	}
	tan := make([]Value, int(g.t.n))
	for k, i := range g.inputs {
		tan[i] = wrap(inputs[k])
	}
	out := make([]*tensor.Tensor, len(tan))
	for i := range int(g.t.n) {
		nd := g.t.node(int32(i))
		o := nd.ops()
		if nd.p != nil {
			ts := make([]Value, len(o.args))
			live := false
			for j, p := range o.parents {
				if p >= 0 && !tan[p].IsZero() {
					ts[j], live = tan[p], true
				}
			}
			if live { // a JVP trace at the bottom level applies the node's forward rule
				tr := &trace{kind: jvpTrace}
				tan[i] = tr.tangentOf(nd.p, o.prm, o.args, ts, o.out)
			}
		}
		if tan[i].IsZero() {
			out[i] = o.out.DType().Zeros(o.out.Shape()...)
		} else {
			out[i] = tan[i].tensor()
		}
	}
	return out
}

// String lists the graph as assignments in evaluation order, one
// intermediate variable a line, e.g.
//
//	x = 2
//	y = 3
//	v1 = mul(x, y) = 6
//	v2 = sin(x) = 0.9092974268256816
//	v3 = add(v1, v2) = 6.909297426825682
func (g *Graph) String() string {
	var b strings.Builder
	for _, n := range g.Nodes() {
		if n.Op() == "input" {
			fmt.Fprintf(&b, "%s = %s\n", n.Name(), short(n.Value()))
			continue
		}
		fmt.Fprintf(&b, "%s = %s = %s\n", n.Name(), n.Def(), short(n.Value()))
	}
	return b.String()
}

// Def returns the node's definition, like "mul(x, v1)", with constant
// arguments written as their value (scalars) or shape.
func (n Node) Def() string {
	if n.Op() == "input" {
		return "input"
	}
	args := make([]string, n.NumArgs())
	for j := range args {
		if a, ok := n.Arg(j); ok {
			args[j] = a.Name()
		} else {
			args[j] = short(n.ArgValue(j))
		}
	}
	return n.Op() + "(" + strings.Join(args, ", ") + ")"
}

func short(t *tensor.Tensor) string {
	if t.Size() == 1 && t.Rank() == 0 {
		return t.String()
	}
	if t.Size() <= 6 {
		return strings.ReplaceAll(t.String(), "\n", "")
	}
	return t.DType().String() + tensor.ShapeString(t.Shape())
}
