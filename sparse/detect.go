package sparse

import (
	"slices"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Sparsity detection: index sets propagated through the graph ad.Trace
// records. Every element of every node carries the sorted set of input
// elements it depends on; a node's sets follow from its arguments' by the
// structure of its primitive, never by the values at the point (a product
// that happens to be 0 there still depends on both factors), so a pattern
// holds at every point where f takes the same path.

// sets is one index set per element of a node, stored flat.
type sets struct {
	off []int32 // len = size+1
	idx []int32
}

func (s *sets) of(i int) []int32 { return s.idx[s.off[i]:s.off[i+1]] }
func (s *sets) size() int        { return len(s.off) - 1 }

// builder assembles the sets of one node, element by element, removing
// duplicates with a stamp array over the input elements.
type builder struct {
	stamp []int64
	gen   int64
	cur   []int32
	out   sets
}

func newBuilder(n int) *builder { return &builder{stamp: make([]int64, n)} }

func (b *builder) start(size int) {
	b.out = sets{off: make([]int32, 1, size+1)}
	b.gen++
}

func (b *builder) add(set []int32) {
	for _, j := range set {
		if b.stamp[j] != b.gen {
			b.stamp[j] = b.gen
			b.cur = append(b.cur, j)
		}
	}
}

// next ends the current element.
func (b *builder) next() {
	slices.Sort(b.cur)
	b.out.idx = append(b.out.idx, b.cur...)
	b.out.off = append(b.out.off, int32(len(b.out.idx)))
	b.cur = b.cur[:0]
	b.gen++
}

// zeroDerivative lists the primitives whose derivative is identically 0.
var zeroDerivative = map[string]bool{
	"sign": true, "equal": true, "not_equal": true, "greater": true,
	"greater_equal": true, "less": true, "less_equal": true,
}

// elementwiseOrder classifies an elementwise primitive by its second
// derivatives: linear ones (and piecewise linear ones, whose second
// derivative is 0 wherever it is defined) add no Hessian pairs, mul adds
// only the cross pairs of its factors, div the cross pairs and the
// denominator's own, and every other primitive all pairs of its inputs.
func elementwiseOrder(op string) string {
	switch op {
	case "add", "sub", "neg", "where", "relu", "abs", "maximum", "minimum", "finite_or_zero":
		return "linear"
	case "mul":
		return "mul"
	case "div":
		return "div"
	}
	return "nonlinear"
}

// linearOps are the non-elementwise primitives that are linear in their
// arguments (max and min select, so they are piecewise linear).
var linearOps = map[string]bool{
	"reshape": true, "astype": true, "broadcast_to": true, "sum_to": true,
	"transpose": true, "slice": true, "pad": true, "concat": true,
	"scatter_add_along": true, "take_along": true, "max": true, "min": true,
}

// bcastIndex returns, for each element of shape out, the flat index of the
// element of shape arg that broadcasting reads there.
func bcastIndex(out, arg []int) []int32 {
	size := 1
	for _, d := range out {
		size *= d
	}
	r := len(out)
	strides := make([]int, r) // arg's stride along each output axis, 0 where broadcast
	s := 1
	for d := len(arg) - 1; d >= 0; d-- {
		od := d + r - len(arg)
		if arg[d] != 1 {
			strides[od] = s
		}
		s *= arg[d]
	}
	idx := make([]int32, size)
	pos := make([]int, r)
	a := 0
	for o := range size {
		idx[o] = int32(a)
		for d := r - 1; d >= 0; d-- {
			pos[d]++
			a += strides[d]
			if pos[d] < out[d] {
				break
			}
			a -= strides[d] * pos[d]
			pos[d] = 0
		}
	}
	return idx
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// tracer propagates the sets through a graph.
type tracer struct {
	g     *ad.Graph
	nodes []ad.Node
	sets  []*sets // by node index; nil for nodes the output does not need
	b     *builder
	n     int
	op    string    // the operation the user called, for errors
	pairs [][]int32 // Hessian pairs by row, when wanted (unsorted, duplicates)
}

// trace records f at x and returns the tracer after propagation. With
// hess, it also collects the Hessian pairs of the nodes the output depends
// on differentiably.
func trace(op string, f func(ad.Value) ad.Value, x *tensor.Tensor, hess bool) (*tracer, ad.Node, bool) {
	n := x.Size()
	g := ad.Trace(func(xs []ad.Value) ad.Value { return f(xs[0]) }, []ad.Value{ad.From(x)})
	t := &tracer{g: g, nodes: g.Nodes(), n: n, b: newBuilder(n), op: op}
	t.sets = make([]*sets, len(t.nodes))
	out, ok := g.Output()
	if !ok {
		return t, out, false
	}
	need := t.needed(out)
	if hess {
		t.pairs = make([][]int32, n)
	}
	for _, nd := range t.nodes {
		if !need[nd.Index()] {
			continue
		}
		if nd.Op() == "input" {
			s := &sets{off: make([]int32, n+1), idx: make([]int32, n)}
			for j := range n {
				s.off[j+1] = int32(j + 1)
				s.idx[j] = int32(j)
			}
			t.sets[nd.Index()] = s
			continue
		}
		t.sets[nd.Index()] = t.propagate(nd)
		if hess {
			t.hessPairs(nd)
		}
	}
	return t, out, true
}

// needed marks the nodes the output depends on through differentiable
// arguments.
func (t *tracer) needed(out ad.Node) []bool {
	need := make([]bool, len(t.nodes))
	need[out.Index()] = true
	for i := len(t.nodes) - 1; i >= 0; i-- {
		nd := t.nodes[i]
		if !need[i] || zeroDerivative[nd.Op()] {
			continue
		}
		for a := range nd.NumArgs() {
			if nd.Op() == "where" && a == 0 {
				continue
			}
			if p, ok := nd.Arg(a); ok {
				need[p.Index()] = true
			}
		}
	}
	return need
}

// argSets returns the sets of argument a of nd, or nil for a constant.
func (t *tracer) argSets(nd ad.Node, a int) *sets {
	if nd.Op() == "where" && a == 0 {
		return nil
	}
	p, ok := nd.Arg(a)
	if !ok {
		return nil
	}
	return t.sets[p.Index()]
}

// propagate returns the sets of node nd from its arguments'.
func (t *tracer) propagate(nd ad.Node) *sets {
	op := nd.Op()
	shape := nd.Shape()
	size := numel(shape)
	b := t.b
	b.start(size)
	switch {
	case zeroDerivative[op]:
		for range size {
			b.next()
		}
	case nd.Elementwise():
		var maps [][]int32
		var srcs []*sets
		for a := range nd.NumArgs() {
			if s := t.argSets(nd, a); s != nil {
				srcs = append(srcs, s)
				maps = append(maps, bcastIndex(shape, nd.ArgValue(a).Shape()))
			}
		}
		for o := range size {
			for k, s := range srcs {
				b.add(s.of(int(maps[k][o])))
			}
			b.next()
		}
	case op == "reshape" || op == "astype":
		return t.argSets(nd, 0)
	case op == "broadcast_to":
		s := t.argSets(nd, 0)
		m := bcastIndex(shape, nd.ArgValue(0).Shape())
		for o := range size {
			b.add(s.of(int(m[o])))
			b.next()
		}
	case op == "sum_to":
		s := t.argSets(nd, 0)
		in := nd.ArgValue(0).Shape()
		m := bcastIndex(in, shape)
		buckets := make([][]int32, size)
		for j, o := range m {
			buckets[o] = append(buckets[o], int32(j))
		}
		t.fromBuckets(size, [][][]int32{buckets}, []*sets{s})
	case op == "max" || op == "min" || op == "logsumexp":
		in := nd.ArgValue(0).Shape()
		m, ok := reductionMap(in, shape)
		if !ok {
			t.conservative(nd, size)
			break
		}
		buckets := make([][]int32, size)
		for j, o := range m {
			buckets[o] = append(buckets[o], int32(j))
		}
		t.fromBuckets(size, [][][]int32{buckets}, []*sets{t.argSets(nd, 0)})
	case op == "transpose" || op == "slice" || op == "pad" || op == "concat" || op == "scatter_add_along":
		if r, ok := t.probe(nd, size); ok {
			return r
		}
		t.conservative(nd, size)
	case op == "matmul":
		if r, ok := t.matmul(nd); ok {
			return r
		}
		t.conservative(nd, size)
	default:
		t.conservative(nd, size)
	}
	r := b.out
	return &r
}

// reductionMap returns, for each element of a reduction's argument of
// shape in, the flat index of the output element of shape out it reduces
// into, and true; false when the shapes do not tell the reduced axes
// apart (out drops axes in more than one way, as (3, 3) → (3) does).
func reductionMap(in, out []int) ([]int32, bool) {
	if len(out) == len(in) { // kept dimensions
		for d := range in {
			if out[d] != in[d] && out[d] != 1 {
				return nil, false
			}
		}
		return bcastIndex(in, out), true
	}
	// the ways out embeds in in as a subsequence of its dimensions
	var ways [][]int
	var walk func(d, k int, kept []int)
	walk = func(d, k int, kept []int) {
		if len(ways) > 1 {
			return
		}
		if k == len(out) {
			ways = append(ways, slices.Clone(kept))
			return
		}
		for ; d < len(in); d++ {
			if in[d] == out[k] {
				walk(d+1, k+1, append(kept, d))
			}
		}
	}
	walk(0, 0, nil)
	if len(ways) != 1 {
		return nil, false
	}
	keep := make([]int, len(in)) // in with the reduced axes of size 1
	for d := range keep {
		keep[d] = 1
	}
	for _, d := range ways[0] {
		keep[d] = in[d]
	}
	return bcastIndex(in, keep), true
}

// fromBuckets builds the sets of a node whose element o depends on the
// elements buckets[k][o] of argument k.
func (t *tracer) fromBuckets(size int, buckets [][][]int32, srcs []*sets) {
	b := t.b
	for o := range size {
		for k, s := range srcs {
			if s == nil {
				continue
			}
			for _, j := range buckets[k][o] {
				b.add(s.of(int(j)))
			}
		}
		b.next()
	}
}

// probe finds where each argument element goes for a primitive that moves
// every argument element to at most one output element (a permutation, a
// slice, padding, concatenation, a scatter): its VJP applied to the
// cotangent o+1 at output element o hands each argument element the number
// of the output element that reads it, or 0.
func (t *tracer) probe(nd ad.Node, size int) (*sets, bool) {
	if nd.Value().DType() != tensor.Float64 && size >= 1<<24 {
		return nil, false
	}
	ids := make([]float64, size)
	for o := range ids {
		ids[o] = float64(o + 1)
	}
	ct := tensor.New(ids, nd.Shape()...)
	if nd.Value().DType() != tensor.Float64 {
		ct = ct.As(nd.Value().DType())
	}
	buckets := make([][][]int32, nd.NumArgs())
	srcs := make([]*sets, nd.NumArgs())
	for a := range nd.NumArgs() {
		s := t.argSets(nd, a)
		if s == nil {
			continue
		}
		srcs[a] = s
		buckets[a] = make([][]int32, size)
		back := nd.VJP(a, ct).Float64s()
		for j, v := range back {
			if v == 0 {
				continue
			}
			o := int(v) - 1
			if float64(o+1) != v || o < 0 || o >= size {
				return nil, false
			}
			buckets[a][o] = append(buckets[a][o], int32(j))
		}
	}
	t.b.start(size)
	t.fromBuckets(size, buckets, srcs)
	r := t.b.out
	return &r, true
}

// matmul handles the two-dimensional product and the matrix-vector one:
// C[i,j] depends on row i of A and column j of B.
func (t *tracer) matmul(nd ad.Node) (*sets, bool) {
	as, bs := nd.ArgValue(0).Shape(), nd.ArgValue(1).Shape()
	if len(as) != 2 || (len(bs) != 2 && len(bs) != 1) {
		return nil, false
	}
	m, k := as[0], as[1]
	n := 1
	if len(bs) == 2 {
		n = bs[1]
	}
	sa, sb := t.argSets(nd, 0), t.argSets(nd, 1)
	b := t.b
	b.start(m * n)
	for i := range m {
		for j := range n {
			for l := range k {
				if sa != nil {
					b.add(sa.of(i*k + l))
				}
				if sb != nil {
					b.add(sb.of(l*n + j))
				}
			}
			b.next()
		}
	}
	r := b.out
	return &r, true
}

// maxConservative bounds the entries a conservative pattern may hold.
const maxConservative = 1 << 28

// conservative makes every element of nd depend on every element of its
// arguments: a superset of the true pattern, for primitives whose
// structure the tracer does not know (reductions by max, min or logsumexp
// whose axes the shapes do not tell, take_along, batched matrix products,
// custom functions, …). It panics with tensor.ErrArg beyond maxConservative
// entries.
func (t *tracer) conservative(nd ad.Node, size int) {
	b := t.b
	b.start(size)
	for a := range nd.NumArgs() {
		if s := t.argSets(nd, a); s != nil {
			b.add(s.idx)
		}
	}
	all := slices.Clone(b.cur)
	slices.Sort(all)
	if int64(size)*int64(len(all)) > maxConservative {
		tensor.Panicf(tensor.ErrArg, t.op, "the %s primitive's pattern is not known to the tracer; every one of its %d outputs depending on all %d inputs would hold %d entries",
			nd.Op(), size, len(all), int64(size)*int64(len(all)))
	}
	b.cur = b.cur[:0]
	for range size {
		b.out.idx = append(b.out.idx, all...)
		b.out.off = append(b.out.off, int32(len(b.out.idx)))
	}
	b.gen++
}

// hessPairs adds the Hessian pairs node nd contributes: second derivatives
// of its primitive between the input elements its arguments depend on.
func (t *tracer) hessPairs(nd ad.Node) {
	op := nd.Op()
	if zeroDerivative[op] || linearOps[op] || nd.NumArgs() == 0 {
		return
	}
	shape := nd.Shape()
	size := numel(shape)
	if nd.Elementwise() {
		order := elementwiseOrder(op)
		if order == "linear" {
			return
		}
		var srcs []*sets
		var maps [][]int32
		for a := range nd.NumArgs() {
			s := t.argSets(nd, a)
			srcs = append(srcs, s)
			if s != nil {
				maps = append(maps, bcastIndex(shape, nd.ArgValue(a).Shape()))
			} else {
				maps = append(maps, nil)
			}
		}
		elem := func(a, o int) []int32 {
			if srcs[a] == nil {
				return nil
			}
			return srcs[a].of(int(maps[a][o]))
		}
		for o := range size {
			switch order {
			case "mul":
				t.cross(elem(0, o), elem(1, o))
			case "div":
				t.cross(elem(0, o), elem(1, o))
				t.cross(elem(1, o), elem(1, o))
			default:
				t.b.cur = t.b.cur[:0]
				t.b.gen++
				for a := range srcs {
					t.b.add(elem(a, o))
				}
				u := slices.Clone(t.b.cur)
				t.b.cur = t.b.cur[:0]
				t.cross(u, u)
			}
		}
		return
	}
	// matmul (bilinear), logsumexp and the rest: all pairs of each output
	// element's dependencies, a superset for matmul.
	s := t.sets[nd.Index()]
	for o := range s.size() {
		t.cross(s.of(o), s.of(o))
	}
}

// cross adds the pairs (i, j) and (j, i) for i in a, j in b.
func (t *tracer) cross(a, b []int32) {
	for _, i := range a {
		for _, j := range b {
			t.pairs[i] = append(t.pairs[i], j)
			t.pairs[j] = append(t.pairs[j], i)
		}
	}
}
