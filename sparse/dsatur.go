package sparse

import "container/heap"

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

// satItem is a heap entry: vertex v with saturation sat and degree deg
// when pushed.
type satItem struct{ v, sat, deg int }

type satHeap []satItem

func (h satHeap) Len() int { return len(h) }
func (h satHeap) Less(a, b int) bool {
	if h[a].sat != h[b].sat {
		return h[a].sat > h[b].sat
	}
	if h[a].deg != h[b].deg {
		return h[a].deg > h[b].deg
	}
	return h[a].v < h[b].v
}
func (h satHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *satHeap) Push(x any)   { *h = append(*h, x.(satItem)) }
func (h *satHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// dsatur colours the graph by Brélaz's DSATUR: always the uncoloured
// vertex whose neighbours have the most distinct colours, ties by degree,
// then index. It returns the order in which it coloured the vertices.
func dsatur(g *graphAdj, n int) []int {
	colors := make([]int, n)
	for v := range colors {
		colors[v] = -1
	}
	seen := make([]map[int]bool, n) // neighbour colours, by vertex
	h := make(satHeap, n)
	for v := range n {
		h[v] = satItem{v, 0, len(g.of(v))}
	}
	heap.Init(&h)
	order := make([]int, 0, n)
	forbid := make([]int, n+1)
	for h.Len() > 0 {
		it := heap.Pop(&h).(satItem)
		v := it.v
		if colors[v] >= 0 || it.sat != len(seen[v]) {
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
			if seen[w] == nil {
				seen[w] = map[int]bool{}
			}
			if !seen[w][c] {
				seen[w][c] = true
				heap.Push(&h, satItem{w, len(seen[w]), len(g.of(w))})
			}
		}
	}
	return order
}
