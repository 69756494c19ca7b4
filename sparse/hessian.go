package sparse

import (
	"math"
	"math/bits"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/workers"
	"github.com/chainrule/chainrule/tensor"
)

// HessianPlan is the reusable part of a sparse Hessian: the pattern of f
// found at one point, a star colouring of it and the compressed
// Hessian–vector products recorded once. Make one with NewHessianPlan and
// evaluate it with Hessian or HessianTo. A plan is valid at the points
// where f takes the path it took when the plan was made. It is safe for
// concurrent use: goroutines may evaluate one plan at once, each into a
// destination of its own.
type HessianPlan struct {
	f       func(ad.Value) ad.Value
	n       int
	pattern *Pattern
	colors  []int
	ncolors int
	seeds   []ad.Value  // the k seed vectors, inputs 1…k of prog
	prog    *ad.Program // (x, seeds…) → the k products H·seed[c]
	// src[e] says where entry e is read: row src[e]>>shift of product
	// src[e]&(1<<shift−1); src64 replaces src when n << shift needs more
	// than 32 bits
	shift uint
	src   []uint32
	src64 []uint64
	subst *substitution // instead of src, for an acyclic colouring
	calls calls
}

// Recovery is how a Hessian plan recovers the entries from the
// compressed products.
type Recovery int

const (
	// Direct star-colours the pattern (ColorStar) and reads every entry
	// alone from one product: each entry carries the rounding error of
	// one Hessian–vector product. The default.
	Direct Recovery = iota
	// Substitution colours the pattern acyclically (ColorAcyclic) when
	// that needs fewer colours than a star colouring (2 rather than 3 for
	// a tridiagonal Hessian), and solves for the entries along the
	// two-coloured trees, each a product minus entries solved before (as
	// SparseMatrixColorings' decompression = :substitution). Fewer
	// products, but the rounding errors add up along a tree: an entry's
	// error is relative to the largest entries of the rows on its path,
	// not to the entry itself, so small entries beside large ones lose
	// relative accuracy. Without fewer colours the plan recovers
	// directly (HessianPlan.Acyclic reports which).
	Substitution
)

// NewHessianPlan finds the Hessian pattern of the scalar function f at x
// (HessianPattern), colours it, works out how each entry is recovered and
// records (ad.Compile) the compressed products at x. By default (Direct),
// the colouring is a star colouring (ColorStar) and entry (i, j) is read
// from row i of the product with colour(j)'s directions when j is i's only
// neighbour of that colour, and from row j of colour(i)'s otherwise, which
// a star colouring guarantees is exact; with Substitution it may be an
// acyclic colouring (see Recovery). It panics as HessianPattern does, and
// with tensor.ErrArg for more than one Recovery or an unknown one.
func NewHessianPlan(f func(x ad.Value) ad.Value, x []float64, recovery ...Recovery) *HessianPlan {
	const op = "sparse.NewHessianPlan"
	rec := Direct
	switch {
	case len(recovery) > 1:
		tensor.Panicf(tensor.ErrArg, op, "%d recovery methods; want at most one", len(recovery))
	case len(recovery) == 1:
		rec = recovery[0]
		if rec != Direct && rec != Substitution {
			tensor.Panicf(tensor.ErrArg, op, "unknown recovery method %d", rec)
		}
	}
	pat := HessianPattern(f, x)
	n := len(x)
	colors, k := ColorStar(pat)
	p := &HessianPlan{f: f, n: n, pattern: pat, colors: colors, ncolors: k}
	if k == 0 {
		return p
	}
	if rec == Substitution && k > 2 && substitutionWork(pat) <= maxSubstitutionWork {
		if ca, ka := ColorAcyclic(pat); ka < k {
			if s, ok := newSubstitution(pat, ca, ka); ok {
				p.colors, p.ncolors, p.subst = ca, ka, s
				colors, k = ca, ka
			}
		}
	}
	p.shift = uint(bits.Len(uint(k - 1)))
	wide := uint64(n-1)<<p.shift > math.MaxUint32
	switch {
	case p.subst != nil:
		// entries solved by substitution
	case wide:
		p.src64 = make([]uint64, pat.NNZ())
	default:
		p.src = make([]uint32, pat.NNZ())
	}
	// count[c]: neighbours of row i (i itself excluded) with colour c
	count := make([]int, k)
	for i := range n {
		if p.subst != nil {
			break
		}
		row := pat.ColIdx[pat.RowPtr[i]:pat.RowPtr[i+1]]
		for _, j := range row {
			if j != i {
				count[colors[j]]++
			}
		}
		for t, j := range row {
			s := uint64(j)<<p.shift | uint64(colors[i]) // product c(i), row j
			if j == i || count[colors[j]] == 1 {
				s = uint64(i)<<p.shift | uint64(colors[j]) // product c(j), row i
			}
			if wide {
				p.src64[pat.RowPtr[i]+t] = s
			} else {
				p.src[pat.RowPtr[i]+t] = uint32(s)
			}
		}
		for _, j := range row {
			if j != i {
				count[colors[j]] = 0
			}
		}
	}
	// the products are recorded side by side, each one forward-mode
	// derivative of the reverse-mode gradient (ad.JVP of ad.Grad); the
	// seeds are inputs rather than constants, so that the program reads
	// each seed once rather than the several constants it would fold
	// from it
	p.seeds = make([]ad.Value, k)
	for c := range k {
		s := make([]float64, n)
		for j, cj := range colors {
			if cj == c {
				s[j] = 1
			}
		}
		p.seeds[c] = ad.New(s, n)
	}
	p.calls.extra = p.seeds
	p.calls.gather = func(c *call) func(lo, hi int) {
		if p.subst != nil {
			return p.subst.diagonal(c)
		}
		if p.src64 != nil {
			return gatherer(c, p.src64, p.shift)
		}
		return gatherer(c, p.src, p.shift)
	}
	grad := func(xs []ad.Value) ad.Value { return ad.Grad(f, xs[0]) }
	in := append([]ad.Value{ad.New(x, n)}, p.seeds...)
	p.prog = ad.Compile(func(in []ad.Value) []ad.Value {
		hv := make([]ad.Value, k)
		for c, s := range in[1:] {
			_, hv[c] = ad.JVP(grad, in[:1], []ad.Value{s})
		}
		return hv
	}, in...)
	p.calls.freshOutputs(p.prog, in)
	return p
}

// Pattern returns the plan's Hessian pattern (shared, not to be modified).
func (p *HessianPlan) Pattern() *Pattern { return p.pattern }

// Colors returns the colouring, shared, and the number of colours: the
// number of Hessian–vector products one evaluation costs.
func (p *HessianPlan) Colors() ([]int, int) { return p.colors, p.ncolors }

// Acyclic reports whether the plan's colouring is acyclic, its entries
// solved by substitution (ColorAcyclic needed fewer colours than
// ColorStar), rather than a star colouring whose entries are read
// directly.
func (p *HessianPlan) Acyclic() bool { return p.subst != nil }

// Hessian returns the Hessian of f at x as a new CSR with the plan's
// pattern. It panics with tensor.ErrShape if len(x) is not the plan's n.
func (p *HessianPlan) Hessian(x []float64) *CSR {
	dst := &CSR{Pattern: p.pattern, Val: make([]float64, p.pattern.NNZ())}
	p.HessianTo(dst, x)
	return dst
}

// HessianTo writes the Hessian of f at x into dst.Val, dst having the
// plan's pattern. It replays the program NewHessianPlan recorded: one
// Hessian–vector product per colour, each a forward-mode derivative of the
// reverse-mode gradient (ad.JVP of ad.Grad) along that colour's
// directions, side by side in one program. (One ad.JVPBatch carrying all
// colours computes the same and was measured 1.6× slower for the extended
// Rosenbrock function at n = 1e5: the program replays k separate products
// over vectors of length n faster than one product over k×n blocks
// broadcast against vectors.) The entries are then gathered from the
// products in one pass on all cores, or, for an acyclic colouring, the
// diagonal gathered and the rest solved by substitution in one sequential
// pass. It reads x during the call and keeps none of it; it may be called
// from several goroutines at once with different destinations. It panics with tensor.ErrShape if len(x) is not n or
// dst has another pattern, and with tensor.ErrArg if dst is nil.
func (p *HessianPlan) HessianTo(dst *CSR, x []float64) {
	const op = "sparse.HessianPlan.HessianTo"
	checkCall(op, p.n, p.pattern, dst, x)
	if p.ncolors == 0 {
		return
	}
	c := p.calls.get(x, p.n, dst.Val)
	defer p.calls.put(c)
	c.run(p.prog)
	if s := p.subst; s != nil {
		workers.For(len(s.diag), gatherPiece, c.gather)
		s.solve(dst.Val, c.b)
		return
	}
	// memory-bound at large n: on all cores, like the program's kernels
	workers.For(len(dst.Val), gatherPiece, c.gather)
}

// gatherer returns a function that sets c.dst[e], for lo ≤ e < hi, to row
// src[e]>>shift of product src[e]&(1<<shift−1) in c.b.
func gatherer[I uint32 | uint64](c *call, src []I, shift uint) func(lo, hi int) {
	mask := I(1)<<shift - 1
	return func(lo, hi int) {
		d, b := c.dst[lo:hi], c.b
		for t, s := range src[lo:hi] {
			d[t] = b[s&mask][s>>shift]
		}
	}
}

// Hessian returns the Hessian of the scalar function f at x as a CSR, by
// a plan made for this one point; make a HessianPlan to evaluate at many.
func Hessian(f func(x ad.Value) ad.Value, x []float64) *CSR {
	return NewHessianPlan(f, x).Hessian(x)
}

// gatherPiece is the fewest entries one goroutine gathers from the
// compressed products.
const gatherPiece = 1 << 14

// float64s returns t's elements as float64, without copying a float64
// tensor.
func float64s(t *tensor.Tensor) []float64 {
	if t.DType() == tensor.Float64 {
		return t.Data()
	}
	return t.Float64s()
}
