package ad_test

// gonum's optimize/functions test functions rewritten with ad, line for line
// beside the float64 originals (gonum v0.17.0, functions.go; the dimension
// checks left out). TestGonumFunctions checks each value against gonum's
// Func and each gradient against gonum's hand-written Grad, and the Hessian
// against central differences of gonum's Grad (not gonum's Hess: Beale's is
// wrong off the diagonal in v0.17.0).

import (
	"math"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"gonum.org/v1/gonum/optimize/functions"
)

func beale(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	f1 := ad.Sub(1.5, ad.Mul(x[0], ad.Sub(1, x[1])))
	f2 := ad.Sub(2.25, ad.Mul(x[0], ad.Sub(1, ad.Mul(x[1], x[1]))))
	f3 := ad.Sub(2.625, ad.Mul(x[0], ad.Sub(1, ad.Mul(x[1], x[1], x[1]))))
	return ad.Add(ad.Mul(f1, f1), ad.Mul(f2, f2), ad.Mul(f3, f3))
}

func biggsEXP2(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	sum := ad.Scalar(0)
	for i := 1; i <= 10; i++ {
		z := float64(i) / 10
		y := math.Exp(-z) - 5*math.Exp(-10*z)
		f := ad.Sub(ad.Sub(ad.Exp(ad.Mul(-z, x[0])), ad.Mul(5, ad.Exp(ad.Mul(-z, x[1])))), y)
		sum = ad.Add(sum, ad.Mul(f, f))
	}
	return sum
}

func box3D(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	sum := ad.Scalar(0)
	for i := 1; i <= 10; i++ {
		c := -float64(i) / 10
		y := math.Exp(c) - math.Exp(10*c)
		f := ad.Sub(ad.Sub(ad.Exp(ad.Mul(c, x[0])), ad.Exp(ad.Mul(c, x[1]))), ad.Mul(x[2], y))
		sum = ad.Add(sum, ad.Mul(f, f))
	}
	return sum
}

func brownBadlyScaled(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	f1 := ad.Sub(x[0], 1e6)
	f2 := ad.Sub(x[1], 2e-6)
	f3 := ad.Sub(ad.Mul(x[0], x[1]), 2)
	return ad.Add(ad.Mul(f1, f1), ad.Mul(f2, f2), ad.Mul(f3, f3))
}

func brownAndDennis(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	sum := ad.Scalar(0)
	for i := 1; i <= 20; i++ {
		c := float64(i) / 5
		f1 := ad.Sub(ad.Add(x[0], ad.Mul(c, x[1])), math.Exp(c))
		f2 := ad.Sub(ad.Add(x[2], ad.Mul(x[3], math.Sin(c))), math.Cos(c))
		f := ad.Add(ad.Mul(f1, f1), ad.Mul(f2, f2))
		sum = ad.Add(sum, ad.Mul(f, f))
	}
	return sum
}

func extendedPowellSingular(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	sum := ad.Scalar(0)
	for i := 0; i < len(x); i += 4 {
		f1 := ad.Add(x[i], ad.Mul(10, x[i+1]))
		f2 := ad.Sub(x[i+2], x[i+3])
		t := ad.Sub(x[i+1], ad.Mul(2, x[i+2]))
		f3 := ad.Mul(t, t)
		t = ad.Sub(x[i], x[i+3])
		f4 := ad.Mul(t, t)
		sum = ad.Add(sum, ad.Mul(f1, f1), ad.Mul(5, f2, f2), ad.Mul(f3, f3), ad.Mul(10, f4, f4))
	}
	return sum
}

func extendedRosenbrock(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	sum := ad.Scalar(0)
	for i := 0; i < len(x)-1; i++ {
		a := ad.Sub(1, x[i])
		b := ad.Sub(x[i+1], ad.Mul(x[i], x[i]))
		sum = ad.Add(sum, ad.Mul(a, a), ad.Mul(100, b, b))
	}
	return sum
}

func helicalValley(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	theta := ad.Div(ad.Mul(0.5, ad.Atan(ad.Div(x[1], x[0]))), math.Pi)
	if x[0].Item() < 0 {
		theta = ad.Add(theta, 0.5)
	}
	f1 := ad.Mul(10, ad.Sub(x[2], ad.Mul(10, theta)))
	f2 := ad.Mul(10, ad.Sub(ad.Hypot(x[0], x[1]), 1))
	f3 := x[2]
	return ad.Add(ad.Mul(f1, f1), ad.Mul(f2, f2), ad.Mul(f3, f3))
}

func penaltyI(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	sum := ad.Scalar(0)
	for _, v := range x {
		sum = ad.Add(sum, ad.Mul(ad.Sub(v, 1), ad.Sub(v, 1)))
	}
	sum = ad.Mul(sum, 1e-5)

	s := ad.Scalar(0)
	for _, v := range x {
		s = ad.Add(s, ad.Mul(v, v))
	}
	return ad.Add(sum, ad.Mul(ad.Sub(s, 0.25), ad.Sub(s, 0.25)))
}

func powellBadlyScaled(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	f1 := ad.Sub(ad.Mul(1e4, x[0], x[1]), 1)
	f2 := ad.Sub(ad.Add(ad.Exp(ad.Neg(x[0])), ad.Exp(ad.Neg(x[1]))), 1.0001)
	return ad.Add(ad.Mul(f1, f1), ad.Mul(f2, f2))
}

func watson(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	sum := ad.Scalar(0)
	for i := 1; i <= 29; i++ {
		d1 := float64(i) / 29

		d2 := 1.0
		s1 := ad.Scalar(0)
		for j := 1; j < len(x); j++ {
			s1 = ad.Add(s1, ad.Mul(float64(j)*d2, x[j]))
			d2 *= d1
		}

		d2 = 1.0
		s2 := ad.Scalar(0)
		for _, v := range x {
			s2 = ad.Add(s2, ad.Mul(d2, v))
			d2 *= d1
		}

		t := ad.Sub(ad.Sub(s1, ad.Mul(s2, s2)), 1)
		sum = ad.Add(sum, ad.Mul(t, t))
	}
	t := ad.Sub(ad.Sub(x[1], ad.Mul(x[0], x[0])), 1)
	return ad.Add(sum, ad.Mul(x[0], x[0]), ad.Mul(t, t))
}

func wood(xv ad.Value) ad.Value {
	x := ad.Elements(xv)
	f1 := ad.Sub(x[1], ad.Mul(x[0], x[0]))
	f2 := ad.Sub(1, x[0])
	f3 := ad.Sub(x[3], ad.Mul(x[2], x[2]))
	f4 := ad.Sub(1, x[2])
	f5 := ad.Sub(ad.Add(x[1], x[3]), 2)
	f6 := ad.Sub(x[1], x[3])
	return ad.Add(ad.Mul(100, f1, f1), ad.Mul(f2, f2), ad.Mul(90, f3, f3), ad.Mul(f4, f4), ad.Mul(10, f5, f5), ad.Mul(0.1, f6, f6))
}

type gonumFunc interface {
	Func(x []float64) float64
	Grad(grad, x []float64)
}

func TestGonumFunctions(t *testing.T) {
	cases := []struct {
		name   string
		f      func(ad.Value) ad.Value
		gonum  gonumFunc
		points [][]float64
	}{
		{"Beale", beale, functions.Beale{}, [][]float64{{1, 1}, {-0.3, 2.1}, {3, 0.5}}},
		{"BiggsEXP2", biggsEXP2, functions.BiggsEXP2{}, [][]float64{{1, 2}, {0.3, 8}}},
		{"Box3D", box3D, functions.Box3D{}, [][]float64{{0, 10, 20}, {1, 9.5, 0.7}}},
		{"BrownBadlyScaled", brownBadlyScaled, functions.BrownBadlyScaled{}, [][]float64{{1, 1}, {1e6 + 3, 2e-6}, {-2, 0.5}}},
		{"BrownAndDennis", brownAndDennis, functions.BrownAndDennis{}, [][]float64{{25, 5, -5, -1}, {-11.6, 13.2, -0.4, 0.6}}},
		{"ExtendedPowellSingular", extendedPowellSingular, functions.ExtendedPowellSingular{}, [][]float64{{3, -1, 0, 3}, {3, -1, 0, 3, 0.1, 0.2, -0.3, 1}}},
		{"ExtendedRosenbrock", extendedRosenbrock, functions.ExtendedRosenbrock{}, [][]float64{{-1.2, 1}, {-1.2, 1, -1.2, 1, 0.3}, {0.5, 0.25, -2, 3, 1, 1, 0.9}}},
		{"HelicalValley", helicalValley, functions.HelicalValley{}, [][]float64{{-1, 0, 0}, {1, 2, 3}, {-0.5, -0.7, 1.2}}},
		{"PenaltyI", penaltyI, functions.PenaltyI{}, [][]float64{{1, 2, 3, 4}, {-0.1, 0.2, 0.3}}},
		{"PowellBadlyScaled", powellBadlyScaled, functions.PowellBadlyScaled{}, [][]float64{{0, 1}, {1e-5, 9.1}}},
		{"Watson", watson, functions.Watson{}, [][]float64{{0, 0}, {0.5, -1, 2}, {0, 0, 0, 0, 0, 0}, {-0.1, 1, -0.5, 1.5, -1, 0.6, 0.2, -0.3, 0.1}}},
		{"Wood", wood, functions.Wood{}, [][]float64{{-3, -1, -3, -1}, {0.5, 1.5, -1, 2}}},
	}
	for _, c := range cases {
		for _, p := range c.points {
			n := len(p)
			x := ad.NewCopy(p, n)
			v, g := ad.ValueAndGrad(c.f, x)
			near(t, c.name+" value", v.Item(), c.gonum.Func(p), 1e-13)
			want := make([]float64, n)
			c.gonum.Grad(want, p)
			for i := range want {
				// relative to the gradient's largest element: gonum's and
				// ad's sums round differently where terms cancel
				near(t, c.name+" gradient", g.Tensor().AtFlat(i)/largest(want), want[i]/largest(want), 1e-12)
			}
			// Hessian: central differences of gonum's gradient, column j
			h := ad.Hessian(c.f, x).Tensor()
			for j := range p {
				step := 1e-5 * math.Max(1, math.Abs(p[j]))
				up, down := make([]float64, n), make([]float64, n)
				pu, pd := append([]float64(nil), p...), append([]float64(nil), p...)
				pu[j] += step
				pd[j] -= step
				c.gonum.Grad(up, pu)
				c.gonum.Grad(down, pd)
				for i := range p {
					fd := (up[i] - down[i]) / (2 * step)
					if d := math.Abs(h.At(i, j) - fd); d > 1e-5*(1+math.Abs(fd)) && d > 1e-6*largest(up) {
						t.Errorf("%s at %v: H[%d,%d] = %.10g, central differences %.10g", c.name, p, i, j, h.At(i, j), fd)
					}
				}
			}
		}
	}
}

func largest(v []float64) float64 {
	m := 1e-300
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}
