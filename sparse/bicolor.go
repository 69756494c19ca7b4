package sparse

// Bidirectional colouring (star bicolouring: Coleman and Verma, SIAM J.
// Sci. Comput. 1998; Gebremedhin, Manne and Pothen 2005, section 5). A
// Jacobian with a dense row and a dense column (an arrowhead) needs n
// colours both ways, but few if its columns are compressed for forward
// mode and its rows for reverse mode at once, each entry read from
// whichever compressed product holds it alone. A star colouring of the
// bipartite graph of rows and columns (the symmetric pattern
// [[0, J], [Jᵀ, 0]]) guarantees that every entry (i, j) is alone either
// among row i's columns of colour(j) — read from the forward product —
// or among column j's rows of colour(i) — read from the reverse one.

// ColorBidirectional returns a star bicolouring of p: a colour for each
// row (reverse mode) and each column (forward mode), -1 for those not
// seeded, such that every entry (i, j) is the only entry of row i among
// the columns of colour cols[j] (read from the forward product), or else
// the only entry of column j among the rows of colour rows[i] (read from
// the reverse product); and kr, kc, the numbers of row and column colours.
// It star-colours the bipartite graph (as ColorStar does, in DSATUR order
// only), reads each entry from
// the forward product where it can, and seeds only the colours some entry
// is read with.
func ColorBidirectional(p *Pattern) (rows, cols []int, kr, kc int) {
	rows, cols, _ = bicolor(p)
	return rows, cols, maxPlus1(rows), maxPlus1(cols)
}

// bicolor returns ColorBidirectional's colourings and, for each entry,
// whether it is read from the forward product.
func bicolor(p *Pattern) (rows, cols []int, fwd []bool) {
	m, n := p.Rows, p.Cols
	t := p.T()
	// the bipartite graph: vertex i < m is row i, vertex m+j column j
	b := &Pattern{Rows: m + n, Cols: m + n, RowPtr: make([]int, m+n+1), ColIdx: make([]int, 0, 2*p.NNZ())}
	for i := range m {
		for _, j := range p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]] {
			b.ColIdx = append(b.ColIdx, m+j)
		}
		b.RowPtr[i+1] = len(b.ColIdx)
	}
	for j := range n {
		b.ColIdx = append(b.ColIdx, t.ColIdx[t.RowPtr[j]:t.RowPtr[j+1]]...)
		b.RowPtr[m+j+1] = len(b.ColIdx)
	}
	// a star colouring in DSATUR order with iterated greedy recolouring:
	// ColorStar's other orders cost a distance-2 graph, quadratic in a
	// dense row's length here
	colors, k := iterate(func(order []int) ([]int, int) { return greedyStar(b, order) },
		dsatur(&graphAdj{ptr: b.RowPtr, idx: b.ColIdx}, m+n), min(2, b.NNZ()))
	// count[c]: the entries of the current row (or column) of colour c
	count := make([]int, k)
	fwd = make([]bool, p.NNZ())
	usedC, usedR := make([]bool, k), make([]bool, k)
	for i := range m {
		row := p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]]
		for _, j := range row {
			count[colors[m+j]]++
		}
		for e, j := range row {
			if c := colors[m+j]; count[c] == 1 {
				fwd[p.RowPtr[i]+e], usedC[c] = true, true
			} else {
				usedR[colors[i]] = true // alone in column j among rows of colour(i)
			}
		}
		for _, j := range row {
			count[colors[m+j]] = 0
		}
	}
	renumber := func(used []bool) []int {
		to := make([]int, k)
		next := 0
		for c, u := range used {
			to[c] = -1
			if u {
				to[c], next = next, next+1
			}
		}
		return to
	}
	toR, toC := renumber(usedR), renumber(usedC)
	rows, cols = make([]int, m), make([]int, n)
	for i := range m {
		rows[i] = toR[colors[i]]
	}
	for j := range n {
		cols[j] = toC[colors[m+j]]
	}
	return rows, cols, fwd
}

// maxPlus1 returns the number of colours of a colouring in 0..k-1 with
// -1 for the uncoloured.
func maxPlus1(colors []int) int {
	k := 0
	for _, c := range colors {
		k = max(k, c+1)
	}
	return k
}
