package gonumopt_test

import (
	"fmt"
	"log"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/gonumopt"
	"gonum.org/v1/gonum/optimize"
)

// rosenbrock is (1 − x₀)² + 100 (x₁ − x₀²)², written one scalar operation
// at a time, as gonum's Func is.
func rosenbrock(x []ad.Value) ad.Value {
	a := ad.Sub(ad.Scalar(1), x[0])
	b := ad.Sub(x[1], ad.Mul(x[0], x[0]))
	return ad.Add(ad.Mul(a, a), ad.Mul(ad.Scalar(100), ad.Mul(b, b)))
}

// Rosenbrock's function minimized by gonum's BFGS, with the gradient from
// chainrule.
func ExampleObjective_bFGS() {
	obj := gonumopt.NewObjective(rosenbrock, 2)
	res, err := optimize.Minimize(obj.Problem(), []float64{-1.2, 1}, nil, &optimize.BFGS{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("x = [%.6f %.6f], f = %.6f\n", res.X[0], res.X[1], res.F)
	// Output:
	// x = [1.000000 1.000000], f = 0.000000
}

// Rosenbrock's function minimized by gonum's Newton method, with the
// gradient and the Hessian from chainrule.
func ExampleObjective_newton() {
	obj := gonumopt.NewObjective(rosenbrock, 2)
	res, err := optimize.Minimize(obj.Problem(), []float64{-1.2, 1}, nil, &optimize.Newton{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("x = [%.6f %.6f], f = %.6f\n", res.X[0], res.X[1], res.F)
	// Output:
	// x = [1.000000 1.000000], f = 0.000000
}
