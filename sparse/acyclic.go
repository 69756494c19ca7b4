package sparse

import (
	"math"
	"slices"

	"github.com/chainrule/chainrule/tensor"
)

// Acyclic colouring with substitution (Gebremedhin, Tarafdar, Pothen and
// Walther, INFORMS J. Computing 2009). An acyclic colouring is a proper
// colouring in which every cycle uses at least three colours: the edges
// between any two colour classes form a forest. It needs no more colours
// than a star colouring and often fewer (2 for a tridiagonal Hessian,
// where a star colouring needs 3), but an entry is no longer read alone
// from one product: the product of colour c at row i sums H[i][j] over
// i's neighbours j of colour c, which are i's neighbours in the forest of
// colour(i) and c. Peeling each tree from its leaves solves for the
// entries one at a time, each the product at the leaf minus the entries
// of the leaf already solved (substitution).

// ColorAcyclic returns an acyclic colouring of the symmetric pattern p (its
// diagonal ignored) and the number of colours: adjacent vertices get
// different colours and every cycle at least three. It colours greedily in
// DSATUR order, improved by iterated greedy recolouring, keeping track of
// the two-coloured trees in a disjoint-set forest over the edges. It
// panics with tensor.ErrShape if p is not square.
func ColorAcyclic(p *Pattern) (colors []int, k int) {
	if p.Rows != p.Cols {
		tensor.Panicf(tensor.ErrShape, "sparse.ColorAcyclic", "pattern %d×%d is not square", p.Rows, p.Cols)
	}
	n := p.Rows
	lower := min(1, p.NNZ())
	for i := range n {
		for _, j := range p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]] {
			if j != i {
				lower = 2
			}
		}
	}
	twin := twins(p)
	greedy := func(order []int) ([]int, int) { return greedyAcyclic(p, twin, order) }
	return iterate(greedy, dsatur(&graphAdj{ptr: p.RowPtr, idx: p.ColIdx}, n), lower)
}

// twins returns, for each entry (i, j) of the symmetric pattern p, the
// index of the entry (j, i).
func twins(p *Pattern) []int {
	twin := make([]int, p.NNZ())
	next := slices.Clone(p.RowPtr[:p.Rows]) // next entry of each row to pair
	for i := range p.Rows {
		for e := p.RowPtr[i]; e < p.RowPtr[i+1]; e++ {
			j := p.ColIdx[e]
			// rows are visited in order and columns ascend, so the entries
			// (j, i) of row j come in order of i
			twin[e] = next[j]
			next[j]++
		}
	}
	return twin
}

// greedyAcyclic colours p acyclically and greedily in the given order.
// Each edge is an element of a disjoint-set forest; the edges of one set
// are one tree of the forest of two colour classes. Vertex v may take
// colour c unless a neighbour has c, or two neighbours w₁, w₂ of one
// colour c′ are already in one tree of the (c, c′) forest, which v would
// close into a cycle.
func greedyAcyclic(p *Pattern, twin []int, order []int) (colors []int, k int) {
	n := p.Rows
	adj := func(v int) []int { return p.ColIdx[p.RowPtr[v]:p.RowPtr[v+1]] }
	parent := make([]int, p.NNZ()) // over the edges, by the entry of the upper triangle
	for e := range parent {
		parent[e] = e
	}
	find := func(e int) int {
		for parent[e] != e {
			parent[e] = parent[parent[e]]
			e = parent[e]
		}
		return e
	}
	edge := func(v, t int) int { // the canonical index of entry t of row v
		if p.ColIdx[t] < v {
			return twin[t]
		}
		return t
	}
	colors = make([]int, n)
	for v := range colors {
		colors[v] = -1
	}
	forbid := make([]int, n+1)
	seen := make([]int, p.NNZ()) // seen[root] == stamp: a neighbour is in that tree
	stamp := 0
	// tree returns the set of the tree of the (c, colour(w)) forest that
	// holds w, or -1 if w is alone in it
	tree := func(w, c int) int {
		for t := p.RowPtr[w]; t < p.RowPtr[w+1]; t++ {
			if x := p.ColIdx[t]; x != w && colors[x] == c {
				return find(edge(w, t))
			}
		}
		return -1
	}
	first := make([]int, n+1) // first[c]: an edge from v to colour c, this vertex
	firstAt := make([]int, n+1)
	for _, v := range order {
		mark := v + 1
		for _, w := range adj(v) {
			if w != v && colors[w] >= 0 {
				forbid[colors[w]] = mark
			}
		}
		c := 0
	candidates:
		for ; ; c++ {
			if forbid[c] == mark {
				continue
			}
			stamp++
			for _, w := range adj(v) {
				if w == v || colors[w] < 0 {
					continue
				}
				if r := tree(w, c); r >= 0 {
					if seen[r] == stamp {
						continue candidates // v would close a two-coloured cycle
					}
					seen[r] = stamp
				}
			}
			break
		}
		// join v's edges to the trees of its neighbours, and v's edges to
		// one colour to each other
		for t := p.RowPtr[v]; t < p.RowPtr[v+1]; t++ {
			w := p.ColIdx[t]
			if w == v || colors[w] < 0 {
				continue
			}
			e := find(edge(v, t))
			if r := tree(w, c); r >= 0 && r != e {
				parent[r] = e
			}
			cw := colors[w]
			if firstAt[cw] != mark {
				first[cw], firstAt[cw] = e, mark
			} else if f := find(first[cw]); f != e {
				parent[e] = f
			}
		}
		colors[v] = c
		k = max(k, c+1)
	}
	return colors, k
}

// substitution is how a plan with an acyclic colouring recovers the
// entries: the diagonal read directly, then the off-diagonal entries in
// the order of peeling the two-coloured trees from their leaves.
type substitution struct {
	// diag[t] is the entry of a diagonal element, diagSrc[t] where it is
	// read (row << shift | colour, as HessianPlan.src)
	diag    []int32
	diagSrc []uint64
	// step s solves entry at[s] and its twin twin[s]: the product
	// src[s] minus the entries sub[subPtr[s]:subPtr[s+1]], solved before
	src         []uint64
	at, twin    []int32
	subPtr, sub []int32
	shift       uint
	mask        uint64
}

// maxSubstitutionWork bounds Σ deg(v)², the work of acyclic colouring and
// of planning the substitution, beyond which a Hessian plan keeps its star
// colouring.
const maxSubstitutionWork = 1 << 28

// substitutionWork returns Σ deg(v)² over the vertices of p.
func substitutionWork(p *Pattern) float64 {
	s := 0.0
	for i := range p.Rows {
		d := float64(p.RowPtr[i+1] - p.RowPtr[i])
		s += d * d
	}
	return s
}

// newSubstitution plans the recovery of the entries of the symmetric
// pattern p from the products of an acyclic colouring with k colours. It
// reports false if some entry cannot be solved (the colouring is not
// acyclic), or the entries do not fit 32-bit indices, or n·k counters
// would be more than maxSubstitutionWork.
func newSubstitution(p *Pattern, colors []int, k int) (*substitution, bool) {
	n, nnz := p.Rows, p.NNZ()
	if nnz > math.MaxInt32 || n*k > maxSubstitutionWork {
		return nil, false
	}
	shift := uint(0)
	for 1<<shift < k {
		shift++
	}
	s := &substitution{shift: shift, mask: 1<<shift - 1}
	twin := twins(p)
	// left[i·k+c]: the off-diagonal entries of row i with colour c not
	// solved yet
	left := make([]int32, n*k)
	solved := make([]bool, nnz)
	for i := range n {
		for t := p.RowPtr[i]; t < p.RowPtr[i+1]; t++ {
			if j := p.ColIdx[t]; j == i {
				s.diag = append(s.diag, int32(t))
				s.diagSrc = append(s.diagSrc, uint64(i)<<shift|uint64(colors[i]))
			} else {
				left[i*k+colors[j]]++
			}
		}
	}
	// a stack of i·k+c with one entry left (a leaf of its tree), taken
	// depth first from the lowest i, so that the steps run along the rows
	// (a tridiagonal Hessian's from the first row to the last)
	var stack []int
	for q := len(left) - 1; q >= 0; q-- {
		if left[q] == 1 {
			stack = append(stack, q)
		}
	}
	s.subPtr = append(s.subPtr, 0)
	for len(stack) > 0 {
		q := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if left[q] != 1 {
			continue // solved from the other end
		}
		i, c := q/k, q%k
		e := -1
		for t := p.RowPtr[i]; t < p.RowPtr[i+1]; t++ {
			if j := p.ColIdx[t]; j != i && colors[j] == c {
				if !solved[t] {
					e = t
				} else {
					s.sub = append(s.sub, int32(t))
				}
			}
		}
		j := p.ColIdx[e]
		s.src = append(s.src, uint64(i)<<shift|uint64(c))
		s.at = append(s.at, int32(e))
		s.twin = append(s.twin, int32(twin[e]))
		s.subPtr = append(s.subPtr, int32(len(s.sub)))
		solved[e], solved[twin[e]] = true, true
		left[q]--
		r := j*k + colors[i]
		if left[r]--; left[r] == 1 {
			stack = append(stack, r)
		}
	}
	for _, l := range left {
		if l != 0 {
			return nil, false
		}
	}
	return s, true
}

// diagonal returns a function that reads the diagonal entries t, for
// lo ≤ t < hi, from c.b into c.dst.
func (s *substitution) diagonal(c *call) func(lo, hi int) {
	return func(lo, hi int) {
		d, b := c.dst, c.b
		for t, e := range s.diag[lo:hi] {
			src := s.diagSrc[lo+t]
			d[e] = b[src&s.mask][src>>s.shift]
		}
	}
}

// solve runs the substitution steps in order, writing the off-diagonal
// entries into dst from the products b.
func (s *substitution) solve(dst []float64, b [][]float64) {
	for t, src := range s.src {
		v := b[src&s.mask][src>>s.shift]
		for _, e := range s.sub[s.subPtr[t]:s.subPtr[t+1]] {
			v -= dst[e]
		}
		dst[s.at[t]], dst[s.twin[t]] = v, v
	}
}
