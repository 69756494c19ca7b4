package sparse

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"gonum.org/v1/gonum/mat"
)

// validColumns checks a column colouring against its definition: the
// columns of each row have distinct colours.
func validColumns(p *Pattern, colors []int, k int) error {
	for i := range p.Rows {
		seen := map[int]int{}
		for _, j := range p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]] {
			if colors[j] < 0 || colors[j] >= k {
				return fmt.Errorf("column %d has colour %d of %d", j, colors[j], k)
			}
			if l, ok := seen[colors[j]]; ok {
				return fmt.Errorf("row %d: columns %d and %d share colour %d", i, l, j, colors[j])
			}
			seen[colors[j]] = j
		}
	}
	return nil
}

// validStar checks a star colouring against its definition by brute force:
// adjacent vertices differ, and no path on four vertices is two-coloured.
func validStar(p *Pattern, colors []int, k int) error {
	adj := func(v int) (out []int) {
		for _, w := range p.ColIdx[p.RowPtr[v]:p.RowPtr[v+1]] {
			if w != v {
				out = append(out, w)
			}
		}
		return out
	}
	for v := range p.Rows {
		if colors[v] < 0 || colors[v] >= k {
			return fmt.Errorf("vertex %d has colour %d of %d", v, colors[v], k)
		}
		for _, w := range adj(v) {
			if colors[w] == colors[v] {
				return fmt.Errorf("adjacent %d and %d share colour %d", v, w, colors[v])
			}
			for _, x := range adj(w) {
				if x == v {
					continue
				}
				for _, y := range adj(x) {
					if y == w || y == v {
						continue
					}
					if colors[v] == colors[x] && colors[w] == colors[y] {
						return fmt.Errorf("path %d–%d–%d–%d is two-coloured", v, w, x, y)
					}
				}
			}
		}
	}
	return nil
}

// validAcyclic checks an acyclic colouring by its definition: adjacent
// vertices differ, and the edges between any two colour classes form a
// forest (union-find over the vertices, per pair of colours: an edge
// joining two vertices already connected closes a cycle).
func validAcyclic(p *Pattern, colors []int, k int) error {
	parent := map[[3]int]int{} // (colour pair, vertex) → parent
	find := func(a, b, v int) int {
		for {
			u, ok := parent[[3]int{a, b, v}]
			if !ok || u == v {
				return v
			}
			v = u
		}
	}
	for v := range p.Rows {
		if colors[v] < 0 || colors[v] >= k {
			return fmt.Errorf("vertex %d has colour %d of %d", v, colors[v], k)
		}
		for _, w := range p.ColIdx[p.RowPtr[v]:p.RowPtr[v+1]] {
			if w <= v {
				continue
			}
			if colors[w] == colors[v] {
				return fmt.Errorf("adjacent %d and %d share colour %d", v, w, colors[v])
			}
			a, b := min(colors[v], colors[w]), max(colors[v], colors[w])
			rv, rw := find(a, b, v), find(a, b, w)
			if rv == rw {
				return fmt.Errorf("edge %d–%d closes a cycle coloured %d, %d", v, w, a, b)
			}
			parent[[3]int{a, b, rv}] = rw
		}
	}
	return nil
}

// validBicolor checks a bidirectional colouring by its definition: each
// entry (i, j) is the only entry of row i among the seeded columns of
// colour cols[j], or the only entry of column j among the seeded rows of
// colour rows[i].
func validBicolor(p *Pattern, rows, cols []int) error {
	t := p.T()
	for i := range p.Rows {
		for _, j := range p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]] {
			alone := func(vs []int, colors []int, v int) bool {
				if colors[v] < 0 {
					return false
				}
				for _, u := range vs {
					if u != v && colors[u] == colors[v] {
						return false
					}
				}
				return true
			}
			if !alone(p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]], cols, j) && !alone(t.ColIdx[t.RowPtr[j]:t.RowPtr[j+1]], rows, i) {
				return fmt.Errorf("entry (%d, %d) is alone neither in its row (column colour %d) nor in its column (row colour %d)", i, j, cols[j], rows[i])
			}
		}
	}
	return nil
}

// TestBidirectional checks Jacobians with a dense row and a dense column,
// which column and row colouring compress to n colours each: a plan uses
// both modes, with a few directions, and matches the dense Jacobian; and
// random functions with a dense row and column added.
func TestBidirectional(t *testing.T) {
	const n = 40
	arrow := func(x ad.Value) ad.Value { // x₀·x + sin x, then Σx added to output 0
		y := ad.Add(ad.Mul(ad.Slice(x, 0, 0, 1), x), ad.Sin(x))
		return ad.Add(y, ad.Pad(ad.Sum(ad.Square(x), true), 0, 0, n-1))
	}
	rng := rand.New(rand.NewPCG(11, 12))
	x := randomPoint(rng, n)
	plan := NewJacobianPlan(arrow, x)
	if plan.Mode() != ad.Auto {
		t.Fatalf("arrowhead: mode %v, want both (auto)", plan.Mode())
	}
	if _, k := plan.Colors(); k > 4 {
		t.Errorf("arrowhead: %d directions; want at most 4 (n = %d each way)", k, n)
	}
	checkJacobian(t, arrow, x)
	for range 10 {
		g := randomFunc(rng, n, n)
		f := func(x ad.Value) ad.Value {
			y := ad.Add(g(x), ad.Mul(ad.Slice(x, 0, 0, 1), x))
			return ad.Add(y, ad.Pad(ad.Sum(ad.Cos(x), true), 0, 0, n-1))
		}
		checkJacobian(t, f, randomPoint(rng, n))
	}
	// the checker itself: one colour for every row and column is no
	// bicolouring of the arrowhead
	if validBicolor(plan.Pattern(), make([]int, n), make([]int, n)) == nil {
		t.Error("validBicolor accepted one colour for all rows and columns")
	}
}

// patternFrom builds a pattern from a predicate.
func patternFrom(m, n int, has func(i, j int) bool) *Pattern {
	d := mat.NewDense(m, n, nil)
	for i := range m {
		for j := range n {
			if has(i, j) {
				d.Set(i, j, 1)
			}
		}
	}
	return PatternOf(d)
}

func abs(a int) int { return max(a, -a) }

func TestColorCounts(t *testing.T) {
	const n = 60
	const g = 8 // grid side for the stencil
	tri := patternFrom(n, n, func(i, j int) bool { return abs(i-j) <= 1 })
	stencil := patternFrom(g*g, g*g, func(a, b int) bool {
		ai, aj, bi, bj := a/g, a%g, b/g, b%g
		return abs(ai-bi)+abs(aj-bj) <= 1
	})
	arrow := patternFrom(n, n, func(i, j int) bool { return i == 0 || j == 0 || i == j })
	block := patternFrom(n, n, func(i, j int) bool { return i/4 == j/4 })
	diag := patternFrom(n, n, func(i, j int) bool { return i == j })
	cycle := patternFrom(n, n, func(i, j int) bool { return abs(i-j) <= 1 || abs(i-j) == n-1 })
	cases := []struct {
		name                string
		p                   *Pattern
		cols, star, acyclic int
	}{
		{"tridiagonal", tri, 3, 3, 2},
		{"5-point stencil", stencil, 5, 5, 4}, // greedy: 4; the optimum is 3
		{"arrowhead", arrow, n, 2, 2},
		{"block-diagonal 4×4", block, 4, 4, 4},
		{"diagonal", diag, 1, 1, 1},
		{"cycle", cycle, 3, 3, 3},
	}
	for _, c := range cases {
		colors, k := ColorColumns(c.p)
		if err := validColumns(c.p, colors, k); err != nil {
			t.Errorf("%s: column colouring invalid: %v", c.name, err)
		}
		if k != c.cols {
			t.Errorf("%s: %d column colours, want %d", c.name, k, c.cols)
		}
		rcolors, rk := ColorRows(c.p)
		if err := validColumns(c.p.T(), rcolors, rk); err != nil {
			t.Errorf("%s: row colouring invalid: %v", c.name, err)
		}
		scolors, sk := ColorStar(c.p)
		if err := validStar(c.p, scolors, sk); err != nil {
			t.Errorf("%s: star colouring invalid: %v", c.name, err)
		}
		if sk != c.star {
			t.Errorf("%s: %d star colours, want %d", c.name, sk, c.star)
		}
		brows, bcols, kbr, kbc := ColorBidirectional(c.p)
		if err := validBicolor(c.p, brows, bcols); err != nil {
			t.Errorf("%s: bidirectional colouring invalid: %v", c.name, err)
		}
		if c.name == "arrowhead" && kbr+kbc > 4 {
			t.Errorf("arrowhead: %d row and %d column colours; want 4 at most", kbr, kbc)
		}
		acolors, ak := ColorAcyclic(c.p)
		if err := validAcyclic(c.p, acolors, ak); err != nil {
			t.Errorf("%s: acyclic colouring invalid: %v", c.name, err)
		}
		if ak != c.acyclic {
			t.Errorf("%s: %d acyclic colours, want %d", c.name, ak, c.acyclic)
		}
	}
	// the checker itself: an even cycle coloured alternately is proper but
	// two-coloured
	alt := make([]int, n)
	for v := range alt {
		alt[v] = v % 2
	}
	if validAcyclic(cycle, alt, 2) == nil {
		t.Error("validAcyclic accepted a two-coloured cycle")
	}
}

// el is element j of x as a one-element vector.
func el(x ad.Value, j int) ad.Value { return ad.Slice(x, 0, j, j+1) }

// randomFunc returns a random function from R^n to R^m whose output i
// depends on a few random inputs, through elementwise, slicing, padding,
// concatenation, reshaping and transposition, and matrix products.
func randomFunc(rng *rand.Rand, n, m int) func(ad.Value) ad.Value {
	type term struct {
		kind int
		j, l int
	}
	terms := make([][]term, m)
	for i := range terms {
		for range 1 + rng.IntN(3) {
			terms[i] = append(terms[i], term{rng.IntN(5), rng.IntN(n), rng.IntN(n)})
		}
	}
	shift := 1 + rng.IntN(n)
	return func(x ad.Value) ad.Value {
		z := ad.Add(ad.Sin(x), ad.Mul(x, x)) // elementwise
		// a rotation of x by slicing and concatenation
		r := ad.Concat(0, ad.Slice(x, 0, shift%n, n), ad.Slice(x, 0, 0, shift%n))
		// padding and a transpose of a 1×n reshape
		p := ad.Slice(ad.Pad(ad.Reshape(ad.Transpose(ad.Reshape(z, 1, n), 1, 0), n), 0, 2, 1), 0, 2, n+2)
		outs := make([]ad.Value, m)
		for i, ts := range terms {
			s := ad.Scalar(0)
			for _, tm := range ts {
				var v ad.Value
				switch tm.kind {
				case 0:
					v = ad.Mul(el(x, tm.j), el(x, tm.l))
				case 1:
					v = ad.Exp(ad.Mul(ad.Scalar(0.3), el(r, tm.j)))
				case 2:
					v = ad.Div(el(p, tm.j), ad.Add(ad.Scalar(2), el(z, tm.l)))
				case 3:
					v = ad.MatMul(ad.Reshape(ad.Concat(0, el(x, tm.j), el(x, tm.l)), 1, 2), ad.New([]float64{0.5, -1.5}, 2))
				default:
					v = ad.Tanh(ad.Sub(el(z, tm.j), el(x, tm.l)))
				}
				s = ad.Add(s, v)
			}
			outs[i] = ad.Reshape(s, 1)
		}
		return ad.Concat(0, outs...)
	}
}

// checkJacobian compares the sparse Jacobian with ad's dense one: every
// entry equal, and every nonzero of the dense one in the pattern.
func checkJacobian(t *testing.T, f func(ad.Value) ad.Value, x []float64) {
	t.Helper()
	n := len(x)
	dense := ad.JacFwd(f, ad.New(x, n)).Tensor()
	m := dense.Size() / n
	plan := NewJacobianPlan(f, x)
	colors, k := plan.Colors()
	switch plan.Mode() {
	case ad.Forward:
		if err := validColumns(plan.Pattern(), colors, k); err != nil {
			t.Fatal(err)
		}
	case ad.Reverse:
		if err := validColumns(plan.Pattern().T(), colors, k); err != nil {
			t.Fatal(err)
		}
	default:
		rows, cols := plan.Bicolors()
		if err := validBicolor(plan.Pattern(), rows, cols); err != nil {
			t.Fatal(err)
		}
		_, kc := ColorColumns(plan.Pattern())
		_, kr := ColorRows(plan.Pattern())
		if k >= min(kc, kr) || k != maxPlus1(rows)+maxPlus1(cols) {
			t.Fatalf("bidirectional plan with %d directions (%d rows, %d columns); column colouring %d, row colouring %d", k, maxPlus1(rows), maxPlus1(cols), kc, kr)
		}
	}
	for _, pt := range [][]float64{x, perturb(x)} {
		if pt[0] != x[0] {
			dense = ad.JacFwd(f, ad.New(pt, n)).Tensor()
		}
		j := plan.Jacobian(pt)
		for i := range m {
			for c := range n {
				want := dense.At(i, c)
				if want != 0 && !plan.Pattern().Has(i, c) {
					t.Fatalf("dense J[%d,%d] = %v outside the pattern", i, c, want)
				}
				if got := j.At(i, c); math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Fatalf("%v mode: J[%d,%d] = %v, dense %v", plan.Mode(), i, c, got, want)
				}
			}
		}
	}
}

func perturb(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = v + 0.1 + 0.01*float64(i)
	}
	return y
}

func randomPoint(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 2*rng.Float64() - 1
	}
	return x
}

func TestJacobianRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 30 {
		n, m := 2+rng.IntN(20), 1+rng.IntN(25)
		checkJacobian(t, randomFunc(rng, n, m), randomPoint(rng, n))
	}
}

func FuzzJacobian(f *testing.F) {
	f.Add(uint64(1), uint8(5), uint8(7))
	f.Add(uint64(2), uint8(30), uint8(3))
	f.Add(uint64(3), uint8(2), uint8(40))
	f.Fuzz(func(t *testing.T, seed uint64, n8, m8 uint8) {
		n, m := 2+int(n8)%40, 1+int(m8)%40
		rng := rand.New(rand.NewPCG(seed, 7))
		checkJacobian(t, randomFunc(rng, n, m), randomPoint(rng, n))
		checkHessian(t, randomScalar(rng, n), randomPoint(rng, n))
	})
}

// randomScalar returns a random scalar function of n inputs: the sum of
// random functions of a few inputs each.
func randomScalar(rng *rand.Rand, n int) func(ad.Value) ad.Value {
	g := randomFunc(rng, n, 1+rng.IntN(2*n))
	return func(x ad.Value) ad.Value {
		y := g(x)
		return ad.Add(ad.Sum(ad.Mul(y, y), false), ad.Sum(ad.Cos(x), false))
	}
}

// checkHessian compares the sparse Hessian with ad's dense one, by plans
// with either recovery.
func checkHessian(t *testing.T, f func(ad.Value) ad.Value, x []float64) {
	t.Helper()
	for _, rec := range []Recovery{Direct, Substitution} {
		checkHessianPlan(t, f, x, rec)
	}
}

// checkHessianPlan compares the sparse Hessian by a plan with the given
// recovery with ad's dense one, and checks its colouring.
func checkHessianPlan(t *testing.T, f func(ad.Value) ad.Value, x []float64, rec Recovery) {
	t.Helper()
	n := len(x)
	plan := NewHessianPlan(f, x, rec)
	colors, k := plan.Colors()
	if plan.Acyclic() {
		if rec != Substitution {
			t.Fatal("acyclic colouring without Substitution")
		}
		if err := validAcyclic(plan.Pattern(), colors, k); err != nil {
			t.Fatal(err)
		}
		if _, ks := ColorStar(plan.Pattern()); ks <= k {
			t.Fatalf("acyclic colouring with %d colours; star has %d", k, ks)
		}
	} else if err := validStar(plan.Pattern(), colors, k); err != nil {
		t.Fatal(err)
	}
	for _, pt := range [][]float64{x, perturb(x)} {
		dense := ad.Hessian(f, ad.New(pt, n)).Tensor()
		h := plan.Hessian(pt)
		for i := range n {
			for j := range n {
				want := dense.At(i, j)
				if want != 0 && !plan.Pattern().Has(i, j) {
					t.Fatalf("dense H[%d,%d] = %v outside the pattern", i, j, want)
				}
				if got := h.At(i, j); math.Abs(got-want) > 1e-10*math.Max(1, math.Abs(want)) {
					t.Fatalf("H[%d,%d] = %v, dense %v", i, j, got, want)
				}
			}
		}
	}
}

func TestHessianRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for range 20 {
		n := 2 + rng.IntN(20)
		checkHessian(t, randomScalar(rng, n), randomPoint(rng, n))
	}
}
