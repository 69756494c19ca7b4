package sparse_test

import (
	"fmt"
	"math"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/sparse"
)

// The sparse Jacobian of a tridiagonal residual: three colours, so one
// forward pass carrying three directions, whatever n is.
func ExampleJacobian() {
	f := func(x ad.Value) ad.Value { // x[i-1] − 2x[i] + x[i+1] + x[i]³
		n := x.Size()
		p := ad.Pad(x, 0, 1, 1)
		lap := ad.Add(ad.Sub(ad.Slice(p, 0, 0, n), ad.Mul(ad.Scalar(2), x)), ad.Slice(p, 0, 2, n+2))
		return ad.Add(lap, ad.Mul(x, ad.Square(x)))
	}
	x := make([]float64, 1000)
	for i := range x {
		x[i] = 1
	}
	plan := sparse.NewJacobianPlan(f, x)
	_, colors := plan.Colors()
	j := plan.Jacobian(x)
	fmt.Println(plan.Mode(), colors, "colours,", j.NNZ(), "entries")
	fmt.Println(j.At(0, 0), j.At(0, 1), j.At(500, 499), j.At(500, 502))
	// Output:
	// forward 3 colours, 2998 entries
	// 1 1 1 0
}

// bratu is the residual of the 2-D Bratu problem Δu + λeᵘ = 0 on the unit
// square with u = 0 on the boundary, discretized by the 5-point stencil on
// an N×N grid of interior points.
func bratu(N int, lambda float64) func(u ad.Value) ad.Value {
	h := 1 / float64(N+1)
	return func(u ad.Value) ad.Value {
		g := ad.Pad(ad.Pad(ad.Reshape(u, N, N), 0, 1, 1), 1, 1, 1) // boundary zeros
		at := func(di, dj int) ad.Value {
			return ad.Slice(ad.Slice(g, 0, 1+di, N+1+di), 1, 1+dj, N+1+dj)
		}
		sum := ad.Add(ad.Add(at(-1, 0), at(1, 0)), ad.Add(at(0, -1), at(0, 1)))
		lap := ad.Mul(ad.Scalar(1/(h*h)), ad.Sub(sum, ad.Mul(ad.Scalar(4), at(0, 0))))
		return ad.Reshape(ad.Add(lap, ad.Mul(ad.Scalar(lambda), ad.Exp(at(0, 0)))), N*N)
	}
}

// cg solves A x = b for a symmetric positive definite A by conjugate
// gradients, to a relative residual of tol.
func cg(A func(dst, x []float64), b []float64, tol float64) []float64 {
	n := len(b)
	x, r, p, Ap := make([]float64, n), append([]float64(nil), b...), append([]float64(nil), b...), make([]float64, n)
	dot := func(a, b []float64) (s float64) {
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	rr, bb := dot(r, r), dot(b, b)
	for rr > tol*tol*bb {
		A(Ap, p)
		alpha := rr / dot(p, Ap)
		for i := range x {
			x[i] += alpha * p[i]
			r[i] -= alpha * Ap[i]
		}
		rr2 := dot(r, r)
		for i := range p {
			p[i] = r[i] + rr2/rr*p[i]
		}
		rr = rr2
	}
	return x
}

// Newton's method on the 2-D Bratu problem with 100×100 unknowns: the
// sparse Jacobian (five colours for the 5-point stencil) comes from one
// plan made once, and each Newton step solves with it by conjugate
// gradients (the Jacobian is symmetric, and negative definite on the lower
// branch of solutions, so CG runs on −J). The residual falls quadratically.
func Example_bratu() {
	const N, lambda = 100, 6.0
	F := bratu(N, lambda)
	u := make([]float64, N*N)
	plan := sparse.NewJacobianPlan(F, u)
	_, colors := plan.Colors()
	fmt.Println("colours:", colors)
	J := plan.Jacobian(u)
	norm := func(v []float64) (s float64) {
		for _, x := range v {
			s += x * x
		}
		return math.Sqrt(s)
	}
	for it := 0; ; it++ {
		r := F(ad.New(u, N*N)).Tensor().Float64s()
		fmt.Printf("iteration %d: |F(u)| = %.1e\n", it, norm(r))
		if norm(r) < 1e-6 { // the rounding floor of F is near 1e-10
			break
		}
		plan.JacobianTo(J, u)
		negJ := func(dst, x []float64) {
			J.MulVec(dst, x)
			for i := range dst {
				dst[i] = -dst[i]
			}
		}
		du := cg(negJ, r, 1e-13) // −J du = F  ⇔  J du = −F
		for i := range u {
			u[i] += du[i]
		}
	}
	// Output:
	// colours: 5
	// iteration 0: |F(u)| = 6.0e+02
	// iteration 1: |F(u)| = 6.5e+01
	// iteration 2: |F(u)| = 3.6e+00
	// iteration 3: |F(u)| = 1.4e-02
	// iteration 4: |F(u)| = 2.0e-07
}

// The Hessian of the extended Rosenbrock function Σ (1 − xᵢ)² +
// 100 (xᵢ₊₁ − xᵢ²)² is tridiagonal: a star colouring needs 3 Hessian–vector
// products, an acyclic colouring with substitution 2. At x = 1 the closed
// form gives 802 at (0, 0), 1002 inside the diagonal, 200 at the end and
// −400 beside the diagonal.
func ExampleNewHessianPlan() {
	f := func(x ad.Value) ad.Value {
		n := x.Size()
		a, b := ad.Slice(x, 0, 0, n-1), ad.Slice(x, 0, 1, n)
		return ad.Add(ad.Sum(ad.Square(ad.Sub(ad.Scalar(1), a)), false),
			ad.Mul(ad.Scalar(100), ad.Sum(ad.Square(ad.Sub(b, ad.Square(a))), false)))
	}
	x := make([]float64, 100)
	for i := range x {
		x[i] = 1
	}
	for _, rec := range []sparse.Recovery{sparse.Direct, sparse.Substitution} {
		plan := sparse.NewHessianPlan(f, x, rec)
		_, k := plan.Colors()
		h := plan.Hessian(x)
		fmt.Println(k, "products, acyclic:", plan.Acyclic(), "|", h.At(0, 0), h.At(50, 50), h.At(99, 99), h.At(50, 51), h.At(51, 50))
	}
	// Output:
	// 3 products, acyclic: false | 802 1002 200 -400 -400
	// 2 products, acyclic: true | 802 1002 200 -400 -400
}

// An arrowhead Jacobian (a dense row and a dense column) needs n colours
// for forward mode and n for reverse mode, but a bidirectional plan reads
// it from 3 forward directions and 1 reverse cotangent.
func ExampleJacobianPlan_Bicolors() {
	const n = 200
	f := func(x ad.Value) ad.Value { // x₀·xᵢ + sin xᵢ, plus Σ x² in output 0
		y := ad.Add(ad.Mul(ad.Slice(x, 0, 0, 1), x), ad.Sin(x))
		return ad.Add(y, ad.Pad(ad.Sum(ad.Square(x), true), 0, 0, n-1))
	}
	x := make([]float64, n)
	for i := range x {
		x[i] = 1
	}
	plan := sparse.NewJacobianPlan(f, x)
	_, kc := sparse.ColorColumns(plan.Pattern())
	_, kr := sparse.ColorRows(plan.Pattern())
	rows, cols := plan.Bicolors() // rows[i], cols[j]: -1 where not seeded
	_, k := plan.Colors()
	j := plan.Jacobian(x)
	fmt.Println(plan.Mode(), k, "directions; columns alone", kc, "rows alone", kr)
	fmt.Println("row 0 colour", rows[0], "row 1 colour", rows[1], "column 0 colour", cols[0] >= 0)
	// ∂y₀/∂x₀ = 2x₀ + cos x₀ + 2x₀, ∂y₀/∂x₅ = 2x₅, ∂y₅/∂x₀ = x₅, ∂y₅/∂x₅ = x₀ + cos x₅
	fmt.Printf("%.4f %.0f %.0f %.4f\n", j.At(0, 0), j.At(0, 5), j.At(5, 0), j.At(5, 5))
	// Output:
	// auto 4 directions; columns alone 200 rows alone 200
	// row 0 colour 0 row 1 colour -1 column 0 colour true
	// 4.5403 2 1 1.5403
}
