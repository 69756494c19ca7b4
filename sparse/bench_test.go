package sparse

import (
	"testing"

	"github.com/chainrule/chainrule/ad"
)

// bratuResidual is the 2-D Bratu residual on an N×N grid (as in the
// example).
func bratuResidual(N int, lambda float64) func(u ad.Value) ad.Value {
	h := 1 / float64(N+1)
	return func(u ad.Value) ad.Value {
		g := ad.Pad(ad.Pad(ad.Reshape(u, N, N), 0, 1, 1), 1, 1, 1)
		at := func(di, dj int) ad.Value {
			return ad.Slice(ad.Slice(g, 0, 1+di, N+1+di), 1, 1+dj, N+1+dj)
		}
		sum := ad.Add(ad.Add(at(-1, 0), at(1, 0)), ad.Add(at(0, -1), at(0, 1)))
		lap := ad.Mul(ad.Scalar(1/(h*h)), ad.Sub(sum, ad.Mul(ad.Scalar(4), at(0, 0))))
		return ad.Reshape(ad.Add(lap, ad.Mul(ad.Scalar(lambda), ad.Exp(at(0, 0)))), N*N)
	}
}

// BenchmarkSparseJacobianBratu compares one evaluation of the Bratu
// residual (n = 1e4), compiled, with one sparse Jacobian from a plan (5
// colours; the target is at most colours + 2 = 7 evaluations).
func BenchmarkSparseJacobianBratu(b *testing.B) {
	const N = 100
	F := bratuResidual(N, 6)
	x := make([]float64, N*N)
	for i := range x {
		x[i] = 0.01 * float64(i%17)
	}
	xv := ad.New(x, N*N)
	prog := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{F(xs[0])} }, xv)
	b.Run("F", func(b *testing.B) {
		for b.Loop() {
			prog.Run(xv)
		}
	})
	plan := NewJacobianPlan(F, x)
	j := plan.Jacobian(x)
	b.Run("Jacobian", func(b *testing.B) {
		for b.Loop() {
			plan.JacobianTo(j, x)
		}
	})
	b.Run("Plan", func(b *testing.B) {
		for b.Loop() {
			NewJacobianPlan(F, x)
		}
	})
}

// BenchmarkSparseHessianRosenbrock compares one evaluation of the extended
// Rosenbrock function (n = 1e5), compiled, with one sparse Hessian from a
// plan (3 star colours, or 2 acyclic ones with Substitution; the target
// is at most 10 evaluations).
func BenchmarkSparseHessianRosenbrock(b *testing.B) {
	const n = 100000
	x := make([]float64, n)
	for i := range x {
		x[i] = 0.5 + 0.001*float64(i%13)
	}
	xv := ad.New(x, n)
	prog := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{extRosenbrock(xs[0])} }, xv)
	b.Run("f", func(b *testing.B) {
		for b.Loop() {
			prog.Run(xv)
		}
	})
	plan := NewHessianPlan(extRosenbrock, x)
	h := plan.Hessian(x)
	b.Run("Hessian", func(b *testing.B) {
		for b.Loop() {
			plan.HessianTo(h, x)
		}
	})
	splan := NewHessianPlan(extRosenbrock, x, Substitution) // 2 acyclic colours
	sh := splan.Hessian(x)
	b.Run("Hessian/substitution", func(b *testing.B) {
		for b.Loop() {
			splan.HessianTo(sh, x)
		}
	})
}
