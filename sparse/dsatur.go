package sparse

import "slices"

// graphAdj is a graph's adjacency in compressed form.
type graphAdj struct {
	ptr, idx []int
}

func (g *graphAdj) of(v int) []int { return g.idx[g.ptr[v]:g.ptr[v+1]] }

// columnGraph returns the column intersection graph of p (t = p.T()):
// columns adjacent when they share a row.
func columnGraph(p, t *Pattern) *graphAdj {
	n := p.Cols
	g := &graphAdj{ptr: make([]int, n+1)}
	mark := make([]int, n)
	for j := range n {
		for _, i := range t.ColIdx[t.RowPtr[j]:t.RowPtr[j+1]] {
			for _, l := range p.ColIdx[p.RowPtr[i]:p.RowPtr[i+1]] {
				if l != j && mark[l] != j+1 {
					mark[l] = j + 1
					g.idx = append(g.idx, l)
				}
			}
		}
		g.ptr[j+1] = len(g.idx)
	}
	return g
}

// dsatur colours the graph by Brélaz's DSATUR — always an uncoloured
// vertex whose neighbours have the most distinct colours — and returns the
// order in which it coloured the vertices. Vertices wait in one stack per
// saturation; among equals the one saturated last goes first (a
// wavefront, which on meshes finds the optimal colouring), and initially
// the largest degree first.
func dsatur(g *graphAdj, n int) []int {
	colors := make([]int, n)
	for v := range colors {
		colors[v] = -1
	}
	sat := make([]int, n)
	low := make([]uint64, n)       // neighbour colours below 64, as bits
	high := map[int]map[int]bool{} // neighbour colours from 64 on, rarely needed
	start := make([]int, n)
	for v := range start {
		start[v] = v
	}
	slices.SortStableFunc(start, func(a, b int) int { return len(g.of(a)) - len(g.of(b)) }) // popped from the end
	buckets := [][]int{start}
	order := make([]int, 0, n)
	forbid := make([]int, n+1)
	top := 0
	for len(order) < n {
		for len(buckets[top]) == 0 {
			top--
		}
		b := buckets[top]
		v := b[len(b)-1]
		buckets[top] = b[:len(b)-1]
		if colors[v] >= 0 || sat[v] != top {
			continue // stale
		}
		for _, w := range g.of(v) {
			if colors[w] >= 0 {
				forbid[colors[w]] = v + 1
			}
		}
		c := 0
		for forbid[c] == v+1 {
			c++
		}
		colors[v] = c
		order = append(order, v)
		for _, w := range g.of(v) {
			if colors[w] >= 0 {
				continue
			}
			if c < 64 {
				if low[w]&(1<<c) != 0 {
					continue
				}
				low[w] |= 1 << c
			} else {
				if high[w] == nil {
					high[w] = map[int]bool{}
				}
				if high[w][c] {
					continue
				}
				high[w][c] = true
			}
			sat[w]++
			if sat[w] == len(buckets) {
				buckets = append(buckets, nil)
			}
			buckets[sat[w]] = append(buckets[sat[w]], w)
			top = max(top, sat[w])
		}
	}
	return order
}
