package sparse

import (
	"math/rand/v2"
	"slices"

	"github.com/chainrule/chainrule/tensor"
)

// Colouring. A column colouring of a Jacobian groups columns that share
// no row, so that one forward-mode pass seeded with the sum of a group's
// unit vectors computes all its columns at once; it is a distance-2
// colouring of the columns in the bipartite row–column graph (partial
// distance-2 colouring, Gebremedhin, Manne and Pothen, SIAM Review 2005).
// A row colouring is the same on the transpose, for reverse mode. A star
// colouring of a symmetric Hessian pattern needs fewer colours: adjacent
// vertices differ and every path on four vertices uses at least three
// colours, which is what lets each entry be read directly from the
// compressed Hessian–vector products (ibid., section 4).

// ColorColumns returns a colour for each column of p, in 0..k-1, such that
// no two columns with an entry in the same row share a colour, and the
// number of colours k. It colours greedily in the order Brélaz's DSATUR
// picks on the column intersection graph (the column whose neighbours
// have the most distinct colours first, ties by degree), then improves the
// colouring by iterated greedy recolouring (see iterate). On the 2-D
// 5-point stencil this finds the optimal 5 colours, where natural and
// largest-first orders give 7.
func ColorColumns(p *Pattern) (colors []int, k int) {
	t := p.T() // columns → rows
	lower := 0 // the columns of a row need distinct colours
	for i := range p.Rows {
		lower = max(lower, p.RowPtr[i+1]-p.RowPtr[i])
	}
	return iterate(func(order []int) ([]int, int) { return greedyColumns(p, t, order) }, dsatur(columnGraph(p, t), p.Cols), lower)
}

// iterate colours greedily in the given order, then recolours in the
// order of the colour classes (Culberson's iterated greedy: taking the
// vertices class by class, greedy never needs more colours than it had),
// the classes reversed, largest first and in a fixed pseudo-random
// order by turns, keeping the best colouring found.
//
// It stops early at k = lower, a lower bound, and after staleRounds rounds
// without fewer colours.
func iterate(greedy func(order []int) ([]int, int), order []int, lower int) ([]int, int) {
	colors, k := greedy(order)
	rng := rand.New(rand.NewPCG(1, 2)) // fixed: colourings are reproducible
	stale := 0
	for r := 0; r < recolorRounds && k > lower && stale < staleRounds; r++ {
		classes := make([]int, k)
		for c := range classes {
			classes[c] = c
		}
		switch r % 3 {
		case 0:
			slices.Reverse(classes)
		case 1:
			size := make([]int, k)
			for _, c := range colors {
				size[c]++
			}
			slices.SortStableFunc(classes, func(a, b int) int { return size[b] - size[a] })
		default:
			rng.Shuffle(k, func(i, j int) { classes[i], classes[j] = classes[j], classes[i] })
		}
		c2, k2 := greedy(byClass(colors, classes))
		stale++
		if k2 < k {
			stale = 0
		}
		if k2 <= k {
			colors, k = c2, k2
		}
	}
	return colors, k
}

// recolorRounds is the number of rounds of iterated greedy recolouring.
const recolorRounds = 30

// staleRounds is the number of rounds without improvement after which
// recolouring stops.
const staleRounds = 6

// byClass returns the vertices grouped by colour class, the classes in the
// given order.
func byClass(colors []int, classes []int) []int {
	start := make([]int, len(classes)+1)
	for _, c := range colors {
		start[c+1]++
	}
	for c := range len(classes) {
		start[c+1] += start[c]
	}
	byColor := make([]int, len(colors))
	next := slices.Clone(start)
	for v, c := range colors {
		byColor[next[c]] = v
		next[c]++
	}
	order := make([]int, 0, len(colors))
	for _, c := range classes {
		order = append(order, byColor[start[c]:start[c+1]]...)
	}
	return order
}

// greedyColumns colours the columns of p greedily in the given order; t
// is p.T().
func greedyColumns(p, t *Pattern, order []int) (colors []int, k int) {
	colors = make([]int, p.Cols)
	for j := range colors {
		colors[j] = -1
	}
	forbid := make([]int, p.Cols+1) // forbid[c] == j+1: colour c is taken near j
	for _, j := range order {
		for _, i := range t.ColIdx[t.RowPtr[j]:t.RowPtr[j+1]] {
			for _, l := range p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]] {
				if c := colors[l]; c >= 0 {
					forbid[c] = j + 1
				}
			}
		}
		c := 0
		for forbid[c] == j+1 {
			c++
		}
		colors[j] = c
		k = max(k, c+1)
	}
	return colors, k
}

// ColorRows returns a colour for each row of p such that no two rows with
// an entry in the same column share a colour (ColorColumns of p.T()), and
// the number of colours.
func ColorRows(p *Pattern) (colors []int, k int) { return ColorColumns(p.T()) }

// ColorStar returns a star colouring of the symmetric pattern p (its
// diagonal ignored) and the number of colours: adjacent vertices get
// different colours and every path on four vertices at least three
// colours. It is the greedy algorithm of Gebremedhin, Manne and Pothen
// (2005, Algorithm 4.1) in DSATUR orders of the graph and of its square,
// improved by iterated greedy recolouring, or the distance-2 colouring of
// ColorColumns when that has fewer colours (a distance-2 colouring is a
// star colouring). It panics with tensor.ErrShape if p is not square.
func ColorStar(p *Pattern) (colors []int, k int) {
	if p.Rows != p.Cols {
		tensor.Panicf(tensor.ErrShape, "sparse.ColorStar", "pattern %d×%d is not square", p.Rows, p.Cols)
	}
	n := p.Rows
	greedy := func(order []int) ([]int, int) { return greedyStar(p, order) }
	lower := min(1, p.NNZ()) // any vertex needs one colour
	for i := range n {
		for _, j := range p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]] {
			if j != i {
				lower = 2 // an edge needs two
			}
		}
	}
	c1, k1 := iterate(greedy, dsatur(&graphAdj{ptr: p.RowPtr, idx: p.ColIdx}, n), lower)
	c2, k2 := iterate(greedy, dsatur(columnGraph(p, p.T()), n), lower)
	if k2 < k1 {
		c1, k1 = c2, k2
	}
	// a distance-2 colouring is a star colouring too, and on meshes the
	// column colouring's ordering often finds a smaller one
	if c3, k3 := ColorColumns(withDiagonal(p)); k3 < k1 {
		c1, k1 = c3, k3
	}
	return c1, k1
}

// greedyStar star-colours p greedily in the given order.
func greedyStar(p *Pattern, order []int) (colors []int, k int) {
	n := p.Rows
	adj := func(v int) []int { return p.ColIdx[p.RowPtr[v]:p.RowPtr[v+1]] }
	colors = make([]int, n)
	for v := range colors {
		colors[v] = -1
	}
	forbid := make([]int, n+1)
	for _, v := range order {
		mark := v + 1
		for _, w := range adj(v) {
			if w == v {
				continue
			}
			if cw := colors[w]; cw >= 0 {
				forbid[cw] = mark
			}
			for _, x := range adj(w) {
				if x == v || x == w || colors[x] < 0 {
					continue
				}
				if colors[w] < 0 {
					forbid[colors[x]] = mark // v–w–x: w will need a colour of its own
					continue
				}
				// v–w–x–y with colours (?, a, b, a) would make the path
				// v, w, x, y two-coloured if v took b
				for _, y := range adj(x) {
					if y != w && y != x && colors[y] == colors[w] {
						forbid[colors[x]] = mark
						break
					}
				}
			}
		}
		c := 0
		for forbid[c] == mark {
			c++
		}
		colors[v] = c
		k = max(k, c+1)
	}
	return colors, k
}

// withDiagonal returns the square pattern p with its diagonal added.
func withDiagonal(p *Pattern) *Pattern {
	q := &Pattern{Rows: p.Rows, Cols: p.Cols, RowPtr: make([]int, p.Rows+1), ColIdx: make([]int, 0, p.NNZ()+p.Rows)}
	for i := range p.Rows {
		row := p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]]
		k, found := slices.BinarySearch(row, i)
		q.ColIdx = append(q.ColIdx, row[:k]...)
		if !found {
			q.ColIdx = append(q.ColIdx, i)
		}
		q.ColIdx = append(q.ColIdx, row[k:]...)
		q.RowPtr[i+1] = len(q.ColIdx)
	}
	return q
}
