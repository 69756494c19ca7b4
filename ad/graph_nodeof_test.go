package ad_test

import (
	"testing"

	"github.com/chainrule/chainrule/ad"
)

// TestGraphNodeOf checks that NodeOf finds the node of a value recorded by
// Trace, and refuses a constant and a value of a nested JVP level.
func TestGraphNodeOf(t *testing.T) {
	var prod, inner ad.Value
	g := ad.Trace(func(xs []ad.Value) ad.Value {
		prod = ad.Mul(xs[0], xs[1])
		d := ad.Derivative(func(u ad.Value) ad.Value { inner = ad.Mul(u, u); return inner }, xs[0])
		return ad.Add(prod, d)
	}, []ad.Value{ad.Scalar(2), ad.Scalar(3)}, "x", "y")
	n, ok := g.NodeOf(prod)
	if !ok || n.Op() != "mul" || n.Value().AtFlat(0) != 6 {
		t.Errorf("NodeOf(x*y) = %v %v", n.Def(), ok)
	}
	if a, _ := n.Arg(0); a.Name() != "x" {
		t.Errorf("NodeOf(x*y) argument 0 is %s", a.Name())
	}
	if _, ok := g.NodeOf(ad.Scalar(6)); ok {
		t.Error("NodeOf(a constant) is true")
	}
	if _, ok := g.NodeOf(inner); ok {
		t.Error("NodeOf(a value of the nested JVP level) is true")
	}
	if _, ok := g.NodeOf(ad.Value{}); ok {
		t.Error("NodeOf(the zero Value) is true")
	}
}
