package sparse

import (
	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/internal/workers"
	"github.com/chainrule/chainrule/tensor"
)

// JacobianPlan is the reusable part of a sparse Jacobian: the pattern of f
// found at one point, its colouring, the mode that needs fewer colours and
// the compressed evaluation recorded once. Make one with NewJacobianPlan
// and evaluate it at many points with Jacobian or JacobianTo (the Newton
// loop). A plan is valid at the points where f takes the path it took when
// the plan was made (see the package documentation). It is safe for
// concurrent use: goroutines may evaluate one plan at once, each into a
// destination of its own.
type JacobianPlan struct {
	f        func(ad.Value) ad.Value
	n        int
	outShape []int
	pattern  *Pattern
	mode     ad.Mode
	colors   []int // of columns (Forward) or rows (Reverse)
	ncolors  int
	// of rows and columns, for a bidirectional plan (Auto)
	rowColors, colColors []int
	prog                 *ad.Program // Forward: x → compressed (k, m); Reverse: x → pulled back (k, n)
	src                  []int       // for each entry, where it is in the compressed result
	calls                calls
}

// NewJacobianPlan finds the Jacobian pattern of f at x, colours its columns
// for forward mode and its rows for reverse mode, keeps the mode that
// needs fewer colours (forward on a tie), as ad.Jacobian's Auto does by
// sizes, or, when both need at least 8 and a bidirectional colouring
// (ColorBidirectional) needs fewer directions of both kinds together than
// either, both modes at once; and it records (ad.Compile) the compressed
// evaluation at x. f takes
// a vector of shape (n) and may return any shape. It panics as
// JacobianPattern does.
func NewJacobianPlan(f func(x ad.Value) ad.Value, x []float64) *JacobianPlan {
	pat, shape := jacobianPattern("sparse.NewJacobianPlan", f, x)
	p := &JacobianPlan{f: f, n: len(x), outShape: shape, pattern: pat}
	cc, kc := ColorColumns(pat)
	rc, kr := ColorRows(pat)
	m := pat.Rows
	var seedT *tensor.Tensor // Forward: (k, n); Reverse: (k, outShape...)
	if min(kc, kr) >= minBidirectional {
		rows, cols, fwd := bicolor(pat)
		if r, c := maxPlus1(rows), maxPlus1(cols); r > 0 && c > 0 && r+c < min(kc, kr) {
			p.bidirectional(f, x, rows, cols, fwd)
			return p
		}
	}
	if kc <= kr {
		p.mode, p.colors, p.ncolors = ad.Forward, cc, kc
		seed := make([]float64, kc*p.n)
		for j, c := range cc {
			seed[c*p.n+j] = 1
		}
		seedT = tensor.New(seed, kc, p.n)
		p.src = make([]int, pat.NNZ())
		for i := range m {
			for k := pat.RowPtr[i]; k < pat.RowPtr[i+1]; k++ {
				p.src[k] = cc[pat.ColIdx[k]]*m + i // compressed[c, i]
			}
		}
	} else {
		p.mode, p.colors, p.ncolors = ad.Reverse, rc, kr
		seed := make([]float64, kr*m)
		for i, c := range rc {
			seed[c*m+i] = 1
		}
		seedT = tensor.New(seed, append([]int{kr}, shape...)...)
		p.src = make([]int, pat.NNZ())
		for i := range m {
			for k := pat.RowPtr[i]; k < pat.RowPtr[i+1]; k++ {
				p.src[k] = rc[i]*p.n + pat.ColIdx[k] // pulled back[c, j]
			}
		}
	}
	if p.ncolors == 0 { // no entries
		return p
	}
	p.calls.gather = p.gatherer
	seed := ad.From(seedT)
	fs := func(xs []ad.Value) ad.Value { return f(xs[0]) }
	xv := ad.New(x, p.n)
	if p.mode == ad.Forward {
		p.prog = ad.Compile(func(xs []ad.Value) []ad.Value {
			_, t := ad.JVPBatch(fs, xs, []ad.Value{seed})
			return []ad.Value{t}
		}, xv)
	} else {
		p.prog = ad.Compile(func(xs []ad.Value) []ad.Value {
			_, pull := ad.VJPBatch(fs, xs...)
			return pull(seed)
		}, xv)
	}
	p.calls.freshOutputs(p.prog, []ad.Value{xv})
	return p
}

// minBidirectional is the fewest colours both column and row colouring
// need before a Jacobian plan tries a bidirectional colouring (a star
// colouring of the bipartite graph, which costs more to find): below it,
// the gain would be a few directions at most.
const minBidirectional = 8

// bidirectional sets p up to compress the columns of colours cols for one
// batched forward pass and the rows of colours rows for one batched
// reverse sweep, in one recorded program, and to read entry e from the
// forward product if fwd[e], from the reverse one otherwise.
func (p *JacobianPlan) bidirectional(f func(ad.Value) ad.Value, x []float64, rows, cols []int, fwd []bool) {
	pat, m, n := p.pattern, p.pattern.Rows, p.n
	kr, kc := maxPlus1(rows), maxPlus1(cols)
	p.mode, p.rowColors, p.colColors, p.ncolors = ad.Auto, rows, cols, kr+kc
	p.src = make([]int, pat.NNZ())
	for i := range m {
		for e := pat.RowPtr[i]; e < pat.RowPtr[i+1]; e++ {
			if fwd[e] {
				p.src[e] = cols[pat.ColIdx[e]]*m + i // forward[c, i]
			} else {
				p.src[e] = -1 - (rows[i]*n + pat.ColIdx[e]) // reverse[c, j]
			}
		}
	}
	p.calls.gather = p.gatherer
	seedC, seedR := make([]float64, kc*n), make([]float64, kr*m)
	for j, c := range cols {
		if c >= 0 {
			seedC[c*n+j] = 1
		}
	}
	for i, c := range rows {
		if c >= 0 {
			seedR[c*m+i] = 1
		}
	}
	sc, sr := ad.New(seedC, kc, n), ad.New(seedR, append([]int{kr}, p.outShape...)...)
	fs := func(xs []ad.Value) ad.Value { return f(xs[0]) }
	xv := ad.New(x, n)
	p.prog = ad.Compile(func(xs []ad.Value) []ad.Value {
		_, t := ad.JVPBatch(fs, xs, []ad.Value{sc})
		_, pull := ad.VJPBatch(fs, xs...)
		return []ad.Value{t, pull(sr)[0]}
	}, xv)
	p.calls.freshOutputs(p.prog, []ad.Value{xv})
}

// gatherer returns a function that reads the entries lo ≤ e < hi into
// c.dst from the compressed products: src[e] ≥ 0 in the first, −1−src[e]
// in the second (bidirectional plans).
func (p *JacobianPlan) gatherer(c *call) func(lo, hi int) {
	return func(lo, hi int) {
		d, b := c.dst[lo:hi], c.b
		for k, s := range p.src[lo:hi] {
			if s >= 0 {
				d[k] = b[0][s]
			} else {
				d[k] = b[1][-1-s]
			}
		}
	}
}

// Pattern returns the plan's Jacobian pattern (shared, not to be modified).
func (p *JacobianPlan) Pattern() *Pattern { return p.pattern }

// Mode returns ad.Forward when the plan compresses columns (one batched
// forward pass), ad.Reverse when it compresses rows (one forward pass and
// one batched reverse sweep), and ad.Auto when it does both
// (bidirectional colouring: see Bicolors).
func (p *JacobianPlan) Mode() ad.Mode { return p.mode }

// Colors returns the colour of each column (forward mode) or row (reverse
// mode), shared, and the number of colours: the number of directions one
// evaluation carries. For a bidirectional plan (Mode ad.Auto) it returns
// nil and the number of directions of both kinds together.
func (p *JacobianPlan) Colors() ([]int, int) { return p.colors, p.ncolors }

// Bicolors returns, for a bidirectional plan (Mode ad.Auto), the colour of
// each row (the reverse sweep's cotangents) and of each column (the
// forward pass's directions), -1 for those not seeded, both shared, as
// ColorBidirectional defines them; nil for other plans.
func (p *JacobianPlan) Bicolors() (rows, cols []int) { return p.rowColors, p.colColors }

// Jacobian returns the Jacobian of f at x as a new CSR with the plan's
// pattern. It panics with tensor.ErrShape if len(x) is not the plan's n.
func (p *JacobianPlan) Jacobian(x []float64) *CSR {
	dst := &CSR{Pattern: p.pattern, Val: make([]float64, p.pattern.NNZ())}
	p.JacobianTo(dst, x)
	return dst
}

// JacobianTo writes the Jacobian of f at x into dst.Val, dst having the
// plan's pattern (as Jacobian returns it). It replays the program
// NewJacobianPlan recorded: in forward mode one batched forward pass
// carrying one direction per column colour (ad.JVPBatch with the seed
// matrix), in reverse mode one forward pass of f and one reverse sweep
// carrying one cotangent per row colour (ad.VJPBatch with the seed
// matrix), or, for a bidirectional plan, both; then it gathers the
// entries on all cores. It reads x during
// the call and keeps none of it; it may be called from several goroutines
// at once with different destinations. It panics with tensor.ErrShape if len(x)
// is not n or dst has another pattern, and with tensor.ErrArg if dst is
// nil.
func (p *JacobianPlan) JacobianTo(dst *CSR, x []float64) {
	const op = "sparse.JacobianPlan.JacobianTo"
	checkCall(op, p.n, p.pattern, dst, x)
	if p.ncolors == 0 { // no entries
		return
	}
	c := p.calls.get(x, p.n, dst.Val)
	defer p.calls.put(c)
	c.run(p.prog)
	workers.For(len(dst.Val), gatherPiece, c.gather)
}

// Jacobian returns the Jacobian of f at x as a CSR, and the mode used, by
// a plan made for this one point; make a JacobianPlan to evaluate at many.
func Jacobian(f func(x ad.Value) ad.Value, x []float64) (*CSR, ad.Mode) {
	p := NewJacobianPlan(f, x)
	return p.Jacobian(x), p.mode
}

// checkCall panics, naming op, unless x has the plan's n coordinates
// (tensor.ErrShape) and dst is a CSR of the plan's pattern (tensor.ErrArg
// for nil, tensor.ErrShape otherwise): the checks of JacobianTo and
// HessianTo.
func checkCall(op string, n int, pattern *Pattern, dst *CSR, x []float64) {
	if len(x) != n {
		tensor.Panicf(tensor.ErrShape, op, "len(x) = %d for a plan made with %d", len(x), n)
	}
	if dst == nil {
		tensor.Panicf(tensor.ErrArg, op, "nil destination")
	}
	if dst.Pattern != pattern || len(dst.Val) != pattern.NNZ() {
		tensor.Panicf(tensor.ErrShape, op, "dst does not have the plan's pattern")
	}
}
