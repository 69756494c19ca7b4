package gonumopt

import (
	"math"

	"github.com/chainrule/chainrule/ad"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/functions"
)

// The objectives of gonum's optimize/functions test set, rewritten one
// scalar operation at a time with package ad. Their derivatives are
// compared with gonum's hand-written ones.

func c(v float64) ad.Value { return ad.Scalar(v) }

func sq(v ad.Value) ad.Value { return ad.Mul(v, v) }

func beale(x []ad.Value) ad.Value {
	f1 := ad.Sub(c(1.5), ad.Mul(x[0], ad.Sub(c(1), x[1])))
	f2 := ad.Sub(c(2.25), ad.Mul(x[0], ad.Sub(c(1), ad.Mul(x[1], x[1]))))
	f3 := ad.Sub(c(2.625), ad.Mul(x[0], ad.Sub(c(1), ad.Mul(ad.Mul(x[1], x[1]), x[1]))))
	return ad.Add(ad.Add(sq(f1), sq(f2)), sq(f3))
}

func brownBadlyScaled(x []ad.Value) ad.Value {
	f1 := ad.Sub(x[0], c(1e6))
	f2 := ad.Sub(x[1], c(2e-6))
	f3 := ad.Sub(ad.Mul(x[0], x[1]), c(2))
	return ad.Add(ad.Add(sq(f1), sq(f2)), sq(f3))
}

func brownAndDennis(x []ad.Value) ad.Value {
	sum := c(0)
	for i := 1; i <= 20; i++ {
		t := float64(i) / 5
		f1 := ad.Sub(ad.Add(x[0], ad.Mul(c(t), x[1])), c(math.Exp(t)))
		f2 := ad.Sub(ad.Add(x[2], ad.Mul(x[3], c(math.Sin(t)))), c(math.Cos(t)))
		f := ad.Add(sq(f1), sq(f2))
		sum = ad.Add(sum, sq(f))
	}
	return sum
}

func extendedPowellSingular(x []ad.Value) ad.Value {
	sum := c(0)
	for i := 0; i < len(x); i += 4 {
		f1 := ad.Add(x[i], ad.Mul(c(10), x[i+1]))
		f2 := ad.Sub(x[i+2], x[i+3])
		f3 := sq(ad.Sub(x[i+1], ad.Mul(c(2), x[i+2])))
		f4 := sq(ad.Sub(x[i], x[i+3]))
		sum = ad.Add(sum, ad.Add(ad.Add(sq(f1), ad.Mul(c(5), sq(f2))), ad.Add(sq(f3), ad.Mul(c(10), sq(f4)))))
	}
	return sum
}

func extendedRosenbrock(x []ad.Value) ad.Value {
	sum := c(0)
	for i := 0; i < len(x)-1; i++ {
		a := ad.Sub(c(1), x[i])
		b := ad.Sub(x[i+1], ad.Mul(x[i], x[i]))
		sum = ad.Add(sum, ad.Add(sq(a), ad.Mul(c(100), sq(b))))
	}
	return sum
}

// helicalValley is valid for x[0] > 0 (the branch on the sign of x[0] in
// gonum's definition is the one taken from the standard start).
func helicalValley(x []ad.Value) ad.Value {
	theta := ad.Mul(c(0.5/math.Pi), ad.Atan(ad.Div(x[1], x[0])))
	f1 := ad.Mul(c(10), ad.Sub(x[2], ad.Mul(c(10), theta)))
	f2 := ad.Mul(c(10), ad.Sub(ad.Hypot(x[0], x[1]), c(1)))
	return ad.Add(ad.Add(sq(f1), sq(f2)), sq(x[2]))
}

func powellBadlyScaled(x []ad.Value) ad.Value {
	f1 := ad.Sub(ad.Mul(c(1e4), ad.Mul(x[0], x[1])), c(1))
	f2 := ad.Sub(ad.Add(ad.Exp(ad.Neg(x[0])), ad.Exp(ad.Neg(x[1]))), c(1.0001))
	return ad.Add(sq(f1), sq(f2))
}

func trigonometric(x []ad.Value) ad.Value {
	s1 := c(0)
	for _, v := range x {
		s1 = ad.Add(s1, ad.Cos(v))
	}
	sum := c(0)
	for i, v := range x {
		f := ad.Sub(ad.Sub(ad.Sub(c(float64(len(x)+i+1)), ad.Mul(c(float64(i+1)), ad.Cos(v))), ad.Sin(v)), s1)
		sum = ad.Add(sum, sq(f))
	}
	return sum
}

func watson(x []ad.Value) ad.Value {
	sum := c(0)
	for i := 1; i <= 29; i++ {
		d1 := float64(i) / 29
		d2 := 1.0
		s1 := c(0)
		for j := 1; j < len(x); j++ {
			s1 = ad.Add(s1, ad.Mul(c(float64(j)*d2), x[j]))
			d2 *= d1
		}
		d2 = 1.0
		s2 := c(0)
		for _, v := range x {
			s2 = ad.Add(s2, ad.Mul(c(d2), v))
			d2 *= d1
		}
		sum = ad.Add(sum, sq(ad.Sub(ad.Sub(s1, sq(s2)), c(1))))
	}
	t := ad.Sub(ad.Sub(x[1], sq(x[0])), c(1))
	return ad.Add(sum, ad.Add(sq(x[0]), sq(t)))
}

func wood(x []ad.Value) ad.Value {
	f1 := ad.Sub(x[1], sq(x[0]))
	f2 := ad.Sub(c(1), x[0])
	f3 := ad.Sub(x[3], sq(x[2]))
	f4 := ad.Sub(c(1), x[2])
	f5 := ad.Sub(ad.Add(x[1], x[3]), c(2))
	f6 := ad.Sub(x[1], x[3])
	s := ad.Add(ad.Mul(c(100), sq(f1)), sq(f2))
	s = ad.Add(s, ad.Add(ad.Mul(c(90), sq(f3)), sq(f4)))
	return ad.Add(s, ad.Add(ad.Mul(c(10), sq(f5)), ad.Mul(c(0.1), sq(f6))))
}

// gonumFunc is one of gonum's test functions with its hand-written
// derivatives.
type gonumFunc interface {
	Func(x []float64) float64
	Grad(grad, x []float64)
}

type gonumHess interface {
	Hess(dst *mat.SymDense, x []float64)
}

type testCase struct {
	name string
	ref  gonumFunc
	f    func([]ad.Value) ad.Value
	x0   []float64
	// hessOK says the reference's hand-written Hessian is correct
	// (checked against finite differences of its gradient in the tests).
	hessOK bool
}

func testCases() []testCase {
	return []testCase{
		{"Beale", functions.Beale{}, beale, []float64{1, 1}, false},
		{"BrownBadlyScaled", functions.BrownBadlyScaled{}, brownBadlyScaled, []float64{1, 1}, true},
		{"BrownAndDennis", functions.BrownAndDennis{}, brownAndDennis, []float64{25, 5, -5, -1}, true},
		{"ExtendedPowellSingular", functions.ExtendedPowellSingular{}, extendedPowellSingular, []float64{3, -1, 0, 3}, false},
		{"ExtendedRosenbrock", functions.ExtendedRosenbrock{}, extendedRosenbrock, []float64{-1.2, 1, -1.2, 1}, false},
		{"HelicalValley", functions.HelicalValley{}, helicalValley, []float64{1, 0.5, 0.1}, false},
		{"PowellBadlyScaled", functions.PowellBadlyScaled{}, powellBadlyScaled, []float64{0, 1}, true},
		{"Trigonometric", functions.Trigonometric{}, trigonometric, []float64{0.2, 0.2, 0.2, 0.2, 0.2}, false},
		{"Watson", functions.Watson{}, watson, []float64{0, 0, 0, 0, 0, 0}, true},
		{"Wood", functions.Wood{}, wood, []float64{-3, -1, -3, -1}, true},
	}
}
