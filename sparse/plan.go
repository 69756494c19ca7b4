package sparse

import (
	"slices"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// JacobianPattern returns the sparsity pattern of the Jacobian of f at x:
// an m×n Pattern, m the number of elements of f(x) and n = len(x), with
// entry (i, j) when output element i depends on input element j along the
// path f took at x (see the package documentation). f takes a vector of
// shape (n) and may return any shape, read flat. It panics with
// tensor.ErrArg if f is nil or x is empty.
func JacobianPattern(f func(x ad.Value) ad.Value, x []float64) *Pattern {
	p, _ := jacobianPattern("sparse.JacobianPattern", f, x)
	return p
}

func jacobianPattern(op string, f func(ad.Value) ad.Value, x []float64) (*Pattern, []int) {
	checkArgs(op, f, x)
	t, out, ok := trace(op, f, tensor.New(slices.Clone(x), len(x)), false)
	n := len(x)
	if !ok { // f(x) does not depend on x
		v := t.g.Value()
		return &Pattern{Rows: v.Size(), Cols: n, RowPtr: make([]int, v.Size()+1)}, v.Shape()
	}
	return toPattern(t.sets[out.Index()], n), out.Shape()
}

func checkArgs(op string, f func(ad.Value) ad.Value, x []float64) {
	if f == nil {
		tensor.Panicf(tensor.ErrArg, op, "nil function")
	}
	if len(x) == 0 {
		tensor.Panicf(tensor.ErrArg, op, "empty x")
	}
}

func toPattern(s *sets, n int) *Pattern {
	m := s.size()
	p := &Pattern{Rows: m, Cols: n, RowPtr: make([]int, m+1), ColIdx: make([]int, len(s.idx))}
	for i := range m {
		p.RowPtr[i+1] = int(s.off[i+1])
	}
	for k, j := range s.idx {
		p.ColIdx[k] = int(j)
	}
	return p
}

// HessianPattern returns the sparsity pattern of the Hessian of the scalar
// function f at x: an n×n symmetric Pattern with entry (i, j) when ∂²f/∂xᵢ∂xⱼ
// is not structurally zero along the path f took at x. Index sets carry each
// element's dependencies forward; each nonlinear primitive whose result
// reaches the output adds the pairs its second derivatives couple (all
// pairs of its inputs' dependencies; only the cross pairs for a product;
// none for linear and piecewise-linear primitives). It panics with
// tensor.ErrArg if f is nil or x is empty, and with tensor.ErrShape if f
// does not return one element.
func HessianPattern(f func(x ad.Value) ad.Value, x []float64) *Pattern {
	const op = "sparse.HessianPattern"
	checkArgs(op, f, x)
	n := len(x)
	t, _, ok := trace(op, f, tensor.New(slices.Clone(x), n), true)
	if v := t.g.Value(); v.Size() != 1 {
		tensor.Panicf(tensor.ErrShape, op, "f returned shape %s; need one element", tensor.ShapeString(v.Shape()))
	}
	p := &Pattern{Rows: n, Cols: n, RowPtr: make([]int, n+1)}
	if !ok {
		return p
	}
	for i, row := range t.pairs {
		slices.Sort(row)
		row = slices.Compact(row)
		for _, j := range row {
			p.ColIdx = append(p.ColIdx, int(j))
		}
		p.RowPtr[i+1] = len(p.ColIdx)
	}
	return p
}
