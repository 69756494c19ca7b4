package gonumopt

import (
	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
	"gonum.org/v1/gonum/mat"
)

// Jacobian evaluates the Jacobian of f at x into dst, an m×n *mat.Dense
// where n = len(x) and m is the number of elements of f(x) (an empty dst is
// sized to m×n). f takes and returns vectors (any output shape is
// flattened). It computes the Jacobian with ad.Jacobian in the given mode
// (ad.Auto picks forward when m > n) and returns the mode used. x is read,
// not kept. It panics with tensor.ErrShape if dst is neither empty nor m×n,
// and with tensor.ErrArg if dst or f is nil.
func Jacobian(dst *mat.Dense, f func(x ad.Value) ad.Value, x []float64, mode ad.Mode) ad.Mode {
	const op = "gonumopt.Jacobian"
	if dst == nil {
		tensor.Panicf(tensor.ErrArg, op, "nil *mat.Dense")
	}
	n := len(x)
	xv := ad.New(append([]float64(nil), x...), n)
	j, used := ad.Jacobian(f, xv, mode)
	m := j.Size() / max(n, 1)
	if dst.IsEmpty() {
		dst.ReuseAs(m, n)
	} else if r, c := dst.Dims(); r != m || c != n {
		tensor.Panicf(tensor.ErrShape, op, "destination is %d×%d; the Jacobian is %d×%d", r, c, m, n)
	}
	data := j.Tensor().Float64s()
	for i := range m {
		for k := range n {
			dst.Set(i, k, data[i*n+k])
		}
	}
	return used
}

// Hessian evaluates the Hessian of the scalar function f at x into dst,
// an n×n *mat.SymDense with n = len(x) (an empty dst is sized to n×n), by
// ad.Hessian (forward over reverse); see ad.Hessian for its values at
// singular points. x is read, not kept. It panics with tensor.ErrShape if
// dst is neither empty nor n×n, or if f does not return one element, and
// with tensor.ErrArg if dst or f is nil.
func Hessian(dst *mat.SymDense, f func(x ad.Value) ad.Value, x []float64) {
	const op = "gonumopt.Hessian"
	n := len(x)
	sizeSym(op, dst, n)
	xv := ad.New(append([]float64(nil), x...), n)
	data := ad.Hessian(f, xv).Tensor().Float64s()
	for i := range n {
		for k := i; k < n; k++ {
			dst.SetSym(i, k, data[i*n+k])
		}
	}
}
