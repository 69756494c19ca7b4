package gonumopt

import (
	"errors"
	"math"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/functions"
)

// vecF is (x0·x1, sin x2, x0² + x2, exp x1), with Jacobian in closed form.
func vecF(x ad.Value) ad.Value {
	x0, x1, x2 := ad.Slice(x, 0, 0, 1), ad.Slice(x, 0, 1, 2), ad.Slice(x, 0, 2, 3)
	return ad.Concat(0, ad.Mul(x0, x1), ad.Sin(x2), ad.Add(ad.Square(x0), x2), ad.Exp(x1))
}

func vecJac(x []float64) *mat.Dense {
	return mat.NewDense(4, 3, []float64{
		x[1], x[0], 0,
		0, 0, math.Cos(x[2]),
		2 * x[0], 0, 1,
		0, math.Exp(x[1]), 0,
	})
}

func TestJacobian(t *testing.T) {
	x := []float64{0.3, -1.1, 2.0}
	want := vecJac(x)
	for _, mode := range []ad.Mode{ad.Auto, ad.Forward, ad.Reverse} {
		var dst mat.Dense
		used := Jacobian(&dst, vecF, x, mode)
		if mode == ad.Auto && used != ad.Forward {
			t.Errorf("Auto used %v for m = 4 > n = 3; want Forward", used)
		}
		if !mat.EqualApprox(&dst, want, 1e-14) {
			t.Errorf("%v: Jacobian\n%v\nwant\n%v", mode, mat.Formatted(&dst), mat.Formatted(want))
		}
		// a sized destination is filled in place
		Jacobian(&dst, vecF, []float64{1, 2, 3}, mode)
		if !mat.EqualApprox(&dst, vecJac([]float64{1, 2, 3}), 1e-14) {
			t.Errorf("%v: refilled Jacobian wrong", mode)
		}
	}
}

// rosenVec is the extended Rosenbrock function on a vector Value.
func rosenVec(x ad.Value) ad.Value {
	n := x.Size()
	a, b := ad.Slice(x, 0, 0, n-1), ad.Slice(x, 0, 1, n)
	return ad.Add(ad.Sum(ad.Square(ad.Sub(ad.Scalar(1), a)), false),
		ad.Mul(ad.Scalar(100), ad.Sum(ad.Square(ad.Sub(b, ad.Square(a))), false)))
}

func TestHessian(t *testing.T) {
	x := []float64{-1.2, 1, 0.5, 0.3}
	var h mat.SymDense
	Hessian(&h, rosenVec, x)
	fd := fdHess(functions.ExtendedRosenbrock{}, x)
	if !mat.EqualApprox(&h, fd, 1e-5) {
		t.Errorf("Hessian\n%v\nfinite differences of gonum's gradient\n%v", mat.Formatted(&h), mat.Formatted(fd))
	}
}

func TestDenseErrors(t *testing.T) {
	cases := map[string]struct {
		f    func()
		kind error
	}{
		"jacobian shape": {func() { Jacobian(mat.NewDense(3, 3, nil), vecF, []float64{1, 2, 3}, ad.Auto) }, tensor.ErrShape},
		"jacobian nil":   {func() { Jacobian(nil, vecF, []float64{1, 2, 3}, ad.Auto) }, tensor.ErrArg},
		"hessian shape":  {func() { Hessian(mat.NewSymDense(2, nil), rosenVec, []float64{1, 2, 3}) }, tensor.ErrShape},
		"jacobian nil f": {func() { Jacobian(new(mat.Dense), nil, []float64{1, 2, 3}, ad.Auto) }, tensor.ErrArg},
		"hessian nil f":  {func() { Hessian(new(mat.SymDense), nil, []float64{1, 2, 3}) }, tensor.ErrArg},
		"hessian vector": {func() { Hessian(new(mat.SymDense), vecF, []float64{1, 2, 3}) }, tensor.ErrShape},
	}
	for name, c := range cases {
		if err := tensor.Maybe(c.f); !errors.Is(err, c.kind) {
			t.Errorf("%s: error %v, want %v", name, err, c.kind)
		}
	}
}
