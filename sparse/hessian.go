package sparse

import (
	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/workers"
	"github.com/chainrule/chainrule/tensor"
)

// HessianPlan is the reusable part of a sparse Hessian: the pattern of f
// found at one point, a star colouring of it and the compressed
// Hessian–vector products recorded once. Make one with NewHessianPlan and
// evaluate it with Hessian or HessianTo. A plan is valid at the points
// where f takes the path it took when the plan was made. It is not safe
// for concurrent use.
type HessianPlan struct {
	f       func(ad.Value) ad.Value
	n       int
	pattern *Pattern
	colors  []int
	ncolors int
	seed    *tensor.Tensor // (k, n)
	prog    *ad.Program    // x → the k products H·seed[c]
	// dstIdx[c] and srcIdx[c]: the entries product c holds, and where
	// in the product: dst.Val[dstIdx[c][t]] = product c [srcIdx[c][t]]
	dstIdx, srcIdx [][]int32
}

// NewHessianPlan finds the Hessian pattern of the scalar function f at x
// (HessianPattern), star-colours it (ColorStar) and works out, for each
// entry, which compressed product holds it alone: entry (i, j) is read
// from row i of the product with colour(j)'s directions when j is i's
// only neighbour of that colour, and from row j of colour(i)'s otherwise,
// which a star colouring guarantees is exact. It panics as HessianPattern
// does.
func NewHessianPlan(f func(x ad.Value) ad.Value, x []float64) *HessianPlan {
	pat := HessianPattern(f, x)
	n := len(x)
	colors, k := ColorStar(pat)
	p := &HessianPlan{f: f, n: n, pattern: pat, colors: colors, ncolors: k}
	seed := make([]float64, k*n)
	for j, c := range colors {
		seed[c*n+j] = 1
	}
	p.seed = tensor.New(seed, max(k, 1), n)
	// count[i][c]: neighbours of i (i itself excluded) with colour c
	count := make([]int, k)
	p.dstIdx, p.srcIdx = make([][]int32, k), make([][]int32, k)
	take := func(c, e, i int) {
		p.dstIdx[c] = append(p.dstIdx[c], int32(e))
		p.srcIdx[c] = append(p.srcIdx[c], int32(i))
	}
	for i := range n {
		row := pat.ColIdx[pat.RowPtr[i]:pat.RowPtr[i+1]]
		for _, j := range row {
			if j != i {
				count[colors[j]]++
			}
		}
		for t, j := range row {
			e := pat.RowPtr[i] + t
			if j == i || count[colors[j]] == 1 {
				take(colors[j], e, i) // product c(j), row i
			} else {
				take(colors[i], e, j) // product c(i), row j
			}
		}
		for _, j := range row {
			if j != i {
				count[colors[j]] = 0
			}
		}
	}
	return p
}

// Pattern returns the plan's Hessian pattern (shared, not to be modified).
func (p *HessianPlan) Pattern() *Pattern { return p.pattern }

// Colors returns the star colouring, shared, and the number of colours:
// the number of Hessian–vector products one evaluation costs.
func (p *HessianPlan) Colors() ([]int, int) { return p.colors, p.ncolors }

// Hessian returns the Hessian of f at x as a new CSR with the plan's
// pattern. It panics with tensor.ErrShape if len(x) is not the plan's n.
func (p *HessianPlan) Hessian(x []float64) *CSR {
	dst := &CSR{Pattern: p.pattern, Val: make([]float64, p.pattern.NNZ())}
	p.HessianTo(dst, x)
	return dst
}

// HessianTo writes the Hessian of f at x into dst.Val, dst having the
// plan's pattern. It replays a program recorded (ad.Compile) at the first
// call: one Hessian–vector product per colour, each a forward-mode
// derivative of the reverse-mode gradient (ad.JVP of ad.Grad) along that
// colour's directions, recorded side by side in one program. (One
// ad.JVPBatch carrying all colours computes the same and was measured
// 1.6× slower for the extended Rosenbrock function at n = 1e5: the
// program replays k separate products over vectors of length n faster
// than one product over k×n blocks broadcast against vectors.) The
// entries are then gathered from the products on all cores. It panics with tensor.ErrShape if len(x) is not n or dst has
// another pattern, and with tensor.ErrArg if dst is nil.
func (p *HessianPlan) HessianTo(dst *CSR, x []float64) {
	const op = "sparse.HessianPlan.HessianTo"
	checkCall(op, p.n, p.pattern, dst, x)
	if p.ncolors == 0 {
		return
	}
	xv := ad.New(x, p.n) // read during the call, not kept (no input is donated)
	if p.prog == nil {
		seeds := make([]ad.Value, p.ncolors)
		for c := range seeds {
			seeds[c] = ad.From(tensor.Slice(p.seed, 0, c, c+1).Reshape(p.n))
		}
		grad := func(xs []ad.Value) ad.Value { return ad.Grad(p.f, xs[0]) }
		p.prog = ad.Compile(func(xs []ad.Value) []ad.Value {
			hv := make([]ad.Value, len(seeds))
			for c, s := range seeds {
				_, hv[c] = ad.JVP(grad, xs, []ad.Value{s})
			}
			return hv
		}, xv)
	}
	for c, o := range p.prog.Run(xv) {
		b, src, dsti := float64s(o.Tensor()), p.srcIdx[c], p.dstIdx[c]
		// memory-bound at large n: on all cores, like the program's kernels
		workers.For(len(dsti), gatherPiece, func(lo, hi int) {
			s := src[lo:hi]
			for t, e := range dsti[lo:hi] {
				dst.Val[e] = b[s[t]]
			}
		})
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
