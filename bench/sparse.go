package main

// The sparse workloads (package sparse): S1, the sparse Jacobian of the
// 2-D Bratu residual, and S2, the sparse Hessian of the extended (chained)
// Rosenbrock function. Each case times one evaluation from a plan made
// once (the Newton-loop case), beside one compiled evaluation of the
// function itself, and reports the ratio against the targets
// (for S2 both for the default plan, star colouring with direct recovery,
// and for sparse.Substitution, acyclic colouring solved by substitution):
// a sparse Jacobian at most (colours + 2) evaluations, a sparse Hessian at
// most 10.
//
// A Jacobian is verified by its values in CSR order (row by row, columns
// ascending: the 5-point stencil's order), and by "outside", the largest
// magnitude a dense peer finds outside the stencil, which must be 0.

import (
	"fmt"
	"math"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/sparse"
	"github.com/chainrule/chainrule/tensor"
)

// bratu is the residual of the 2-D Bratu problem Δu + λeᵘ = 0 on the unit
// square with u = 0 on the boundary, by the 5-point stencil on an N×N grid
// of interior points (sparse's example and the PyTorch peer's op sequence).
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

// bratuHand writes the Bratu residual into r and its Jacobian's entries,
// in CSR order, into jac: 1/h² off the diagonal, −4/h² + λeᵘ on it.
func bratuHand(N int, lambda float64, u, r, jac []float64) {
	h2 := 1 / float64(N+1) / float64(N+1)
	k := 0
	for a := range N {
		for b := range N {
			i := a*N + b
			e := lambda * math.Exp(u[i])
			s := -4 * u[i]
			if a > 0 {
				s += u[i-N]
				jac[k] = 1 / h2
				k++
			}
			if b > 0 {
				s += u[i-1]
				jac[k] = 1 / h2
				k++
			}
			jac[k] = -4/h2 + e
			k++
			if b < N-1 {
				s += u[i+1]
				jac[k] = 1 / h2
				k++
			}
			if a < N-1 {
				s += u[i+N]
				jac[k] = 1 / h2
				k++
			}
			r[i] = s/h2 + e
		}
	}
}

// denseOutputs returns the entries of the dense m×n matrix d at pattern
// p's positions, in CSR order, and the largest magnitude outside p.
func denseOutputs(d []float64, p *sparse.Pattern) (vals []float64, outside float64) {
	n := p.Cols
	for i := range p.Rows {
		row := d[i*n : (i+1)*n]
		k := p.RowPtr[i]
		for j, v := range row {
			if k < p.RowPtr[i+1] && p.ColIdx[k] == j {
				vals = append(vals, v)
				k++
			} else {
				outside = math.Max(outside, math.Abs(v))
			}
		}
	}
	return vals, outside
}

// evalRatio adds to the sparse row impl its cost in evaluations of f (the
// compiled-evaluation row eval), and whether it meets the target.
func evalRatio(rows []*Row, impl, eval string, target float64, what string) {
	r, f := find(rows, impl), find(rows, eval)
	if r == nil || f == nil {
		return
	}
	q := r.Median / f.Median
	status := "meets"
	if q > target {
		status = "misses"
	}
	r.metric("evals", q, fmt.Sprintf("%.2f× one evaluation; target ≤ %g (%s): %s", q, target, what, status))
}

// buildS1: the sparse Jacobian of the Bratu residual at n = 2500 (where
// chainrule's dense forward mode fits in memory), 1e4 (PyTorch's dense
// Jacobian) and 1e6.
func buildS1(quick bool) []*Case {
	const lambda = 6
	var cases []*Case
	for _, N := range []int{pick(quick, 50, 5), pick(quick, 100, 10), pick(quick, 1000, 30)} {
		n := N * N
		x := tensor.Rand(seeded(31), 0, 0.1, n)
		xd := x.Data()
		xv := ad.From(x)
		F := bratu(N, lambda)
		prog := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{F(xs[0])} }, xv)
		// the plan is made at first use (in verification, untimed): at
		// n = 1e6 it takes seconds, and cases are built even when not run
		var plan *sparse.JacobianPlan
		var J *sparse.CSR
		get := func() (*sparse.JacobianPlan, *sparse.CSR) {
			if plan == nil {
				plan = sparse.NewJacobianPlan(F, xd)
				J = plan.Jacobian(xd)
			}
			return plan, J
		}
		residual := func() []float64 { return flat(prog.Run(xv)[0].Tensor()) }
		r, hj := make([]float64, n), make([]float64, 5*n-4*N)
		impls := []Impl{
			{Name: "chainrule", Op: func() { p, j := get(); p.JacobianTo(j, xd) },
				Outputs: func() outputs {
					p, j := get()
					p.JacobianTo(j, xd)
					return outputs{"jac": append([]float64(nil), j.Val...), "outside": {0}, "residual": residual()}
				},
				Note: func() []string {
					p, _ := get()
					_, k := p.Colors()
					return []string{fmt.Sprintf("%v mode, %d colours", p.Mode(), k)}
				}},
			{Name: "chainrule/F", Op: func() { prog.Run(xv) }, Outputs: func() outputs {
				return outputs{"residual": residual()}
			}},
			{Name: "chainrule/F/eager", Op: func() { F(xv) }, Outputs: func() outputs {
				return outputs{"residual": flat(F(xv).Tensor())}
			}},
		}
		// dense Jacobians where they fit: chainrule's forward mode peaks
		// near 20 GB at n = 1e4 (n directions through every intermediate),
		// too much for the shared machine; PyTorch's vectorized reverse
		// mode near 5 GB
		dense := n <= 10_000
		if n <= 2_500 {
			impls = append(impls, Impl{Name: "chainrule/dense-forward", Op: func() { ad.Jacobian(F, xv, ad.Forward) },
				Outputs: func() outputs {
					d, _ := ad.Jacobian(F, xv, ad.Forward)
					p, _ := get()
					vals, out := denseOutputs(d.Tensor().Data(), p.Pattern())
					return outputs{"jac": vals, "outside": {out}}
				}})
		}
		impls = append(impls, Impl{Name: "hand-go", Op: func() { bratuHand(N, lambda, xd, r, hj) },
			Outputs: func() outputs {
				bratuHand(N, lambda, xd, r, hj)
				return outputs{"jac": append([]float64(nil), hj...), "outside": {0}, "residual": append([]float64(nil), r...)}
			}})
		cases = append(cases, &Case{
			Name: fmt.Sprintf("S1/%d", n), Workload: "S1", DType: tensor.Float64,
			Desc:   fmt.Sprintf("sparse Jacobian of the 2-D Bratu residual (λ = %d), %d×%d grid, n = %d, plan reused", lambda, N, N, n),
			Params: map[string]any{"grid": N, "lambda": lambda, "dense": dense},
			Inputs: map[string]*tensor.Tensor{"u": x},
			Impls:  impls,
			Finish: func(rows []*Row) {
				if plan == nil {
					return
				}
				_, k := plan.Colors()
				evalRatio(rows, "chainrule", "chainrule/F", float64(k+2), "colours + 2")
				if d := find(rows, "chainrule/dense-forward"); d != nil {
					if s := find(rows, "chainrule"); s != nil {
						d.metric("over_sparse", d.Median/s.Median, fmt.Sprintf("%.0f× the sparse Jacobian", d.Median/s.Median))
					}
				}
			},
		})
	}
	return cases
}

// rosenTriHess writes the tridiagonal Hessian of the chained Rosenbrock
// function in CSR order (row i: i−1, i, i+1).
func rosenTriHess(x, h []float64) {
	n, k := len(x), 0
	for i := range n {
		if i > 0 {
			h[k] = -400 * x[i-1]
			k++
		}
		d := 0.0
		if i+1 < n {
			d += 1200*x[i]*x[i] - 400*x[i+1] + 2
		}
		if i > 0 {
			d += 200
		}
		h[k] = d
		k++
		if i+1 < n {
			h[k] = -400 * x[i]
			k++
		}
	}
}

// buildS2: the sparse Hessian of the extended (chained) Rosenbrock
// function Σ 100(x_{i+1} − x_i²)² + (1 − x_i)² at n = 1e6.
func buildS2(quick bool) []*Case {
	n := pick(quick, 1_000_000, 1_000)
	x := tensor.Rand(seeded(32), -1, 1, n)
	xd := x.Data()
	xv := ad.From(x)
	prog := ad.Compile(func(xs []ad.Value) []ad.Value { return []ad.Value{rosenN(xs[0])} }, xv)
	var plan *sparse.HessianPlan
	var H *sparse.CSR
	get := func() (*sparse.HessianPlan, *sparse.CSR) {
		if plan == nil {
			plan = sparse.NewHessianPlan(rosenN, xd)
			H = plan.Hessian(xd)
		}
		return plan, H
	}
	var splan *sparse.HessianPlan
	var SH *sparse.CSR
	sget := func() (*sparse.HessianPlan, *sparse.CSR) {
		if splan == nil {
			splan = sparse.NewHessianPlan(rosenN, xd, sparse.Substitution)
			SH = splan.Hessian(xd)
		}
		return splan, SH
	}
	hh := make([]float64, 3*n-2)
	return []*Case{{
		Name: "S2", Workload: "S2", DType: tensor.Float64, NoPeers: true,
		Desc:   fmt.Sprintf("sparse Hessian of the extended Rosenbrock function, n = %d, plan reused", n),
		Params: map[string]any{"n": n},
		Inputs: map[string]*tensor.Tensor{"x": x},
		Impls: []Impl{
			{Name: "chainrule", Op: func() { p, h := get(); p.HessianTo(h, xd) },
				Outputs: func() outputs {
					p, h := get()
					p.HessianTo(h, xd)
					return outputs{"hess": append([]float64(nil), h.Val...), "value": {prog.Run(xv)[0].Item()}}
				},
				Note: func() []string {
					p, _ := get()
					_, k := p.Colors()
					return []string{fmt.Sprintf("%d star colours", k)}
				}},
			{Name: "chainrule/substitution", Op: func() { p, h := sget(); p.HessianTo(h, xd) },
				Outputs: func() outputs {
					p, h := sget()
					p.HessianTo(h, xd)
					return outputs{"hess": append([]float64(nil), h.Val...)}
				},
				Note: func() []string {
					p, _ := sget()
					_, k := p.Colors()
					return []string{fmt.Sprintf("%d acyclic colours, entries by substitution", k)}
				}},
			{Name: "chainrule/f", Op: func() { prog.Run(xv) }, Outputs: func() outputs {
				return outputs{"value": {prog.Run(xv)[0].Item()}}
			}},
			{Name: "chainrule/f/eager", Op: func() { rosenN(xv) }, Outputs: func() outputs {
				return outputs{"value": {rosenN(xv).Item()}}
			}},
			{Name: "hand-go", Op: func() { rosenTriHess(xd, hh) }, Outputs: func() outputs {
				rosenTriHess(xd, hh)
				return outputs{"hess": append([]float64(nil), hh...), "value": {rosenValue(xd)}}
			}},
		},
		Finish: func(rows []*Row) {
			evalRatio(rows, "chainrule", "chainrule/f", 10, "10 evaluations")
			evalRatio(rows, "chainrule/substitution", "chainrule/f", 10, "10 evaluations")
		},
	}}
}
