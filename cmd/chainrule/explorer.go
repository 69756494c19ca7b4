package main

// The data of the graph explorer (chainrule serve, graph --format html):
// the graph view of graph.go turned into JSON for the page, with a layered
// layout, the steps of the forward and the backward sweep, and the
// gradient with the sum over paths. Every number comes from package ad
// through newView (values, local gradients, tangents, adjoints); the page
// only shows them, and the backward steps only multiply an adjoint by a
// local gradient and add, as the chain rule does.

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/chainrule/chainrule/tensor"
)

const (
	// maxExplorerNodes is the most nodes the explorer draws.
	maxExplorerNodes = 200
	// maxExplorerSource is the longest expression the explorer takes, in
	// bytes.
	maxExplorerSource = 32 << 10
	// maxExplorerSize is the largest syntax tree the explorer records
	// (weigh's size, each d counting its expression 3 times a level), so
	// that a request is refused before the work rather than after: a graph
	// of 200 nodes needs far less (constants aside).
	maxExplorerSize = 1000 * maxExplorerNodes
)

// explore computes what the explorer shows for the expression src at the
// point bs: the graph at the level of the
// user's expression, and with a d(E, v) also the graph of its steps. The
// errors are those of the CLI (syntax errors with a position, limits), and
// a limit error for a graph of more than maxExplorerNodes nodes.
func explore(src string, bs []binding) (obj, error) {
	if len(src) > maxExplorerSource {
		return nil, limitf("the expression is %d bytes long, more than the explorer's limit of %s", len(src), byteSize(maxExplorerSource))
	}
	p, err := compile("graph", src, false, bs)
	if err != nil {
		return nil, err
	}
	if err := checkLimits(&options{cmd: "graph"}, p); err != nil {
		return nil, err
	}
	if n := len(p.vars); n > maxExplorerNodes {
		return nil, limitf("%d variables: the explorer shows at most %d nodes (use chainrule graph for the text or DOT view)", n, maxExplorerNodes)
	}
	if size, _, _ := weigh(p.exprs[0]); size > maxExplorerSize {
		return nil, limitf("the expression has %d parts (counting those inside d(…) 3 times a level), more than the explorer's limit of %d: its graph would pass the limit of %d nodes (use chainrule graph for the text or DOT view)", size, maxExplorerSize, maxExplorerNodes)
	}
	g, terms, hasD, err := p.tracedWithTerms()
	if err != nil {
		return nil, err
	}
	if err := checkGraphLimits(len(g.Nodes()), len(p.vars), "both"); err != nil {
		return nil, err
	}
	full := newView(p, g, "both", terms, hasD)
	full.prec = 6
	user := full
	if hasD {
		user = collapse(full)
	}
	if n := len(user.nodes); n > maxExplorerNodes {
		return nil, limitf("the graph has %d nodes, more than the explorer's limit of %d (use chainrule graph for the text or DOT view)", n, maxExplorerNodes)
	}
	var steps any
	stepsNote := ""
	if user != full {
		if len(full.nodes) <= maxExplorerNodes {
			steps = full.explorerGraph()
		} else {
			stepsNote = fmt.Sprintf("the steps of d(…) make %d nodes, more than the explorer's limit of %d", len(full.nodes), maxExplorerNodes)
		}
	}
	point := make([]string, len(bs))
	for i, b := range bs {
		point[i] = b.name + "=" + fmtNum(b.value)
	}
	return obj{
		{"expr", src},
		{"at", strings.Join(point, ",")},
		{"variables", p.vars},
		{"point", p.at},
		{"value", user.value},
		{"gradient", user.gradRev},
		{"graph", user.explorerGraph()},
		{"steps", steps},
		{"stepsNote", stepsNote},
	}, nil
}

// explorerJSON returns explore's result for src at the point at (written
// as for --at: x=2,y=3), or the error as the JSON object
// that --json prints (errorObj) with "text", the CLI's message with the
// source line and a caret under the position; ok reports which.
func explorerJSON(src, at string) (out []byte, ok bool) {
	var res obj
	err := tensorMaybe(func() error {
		bs, err := parseAt(at, nil)
		if err == nil {
			res, err = explore(src, bs)
		}
		return err
	})
	var b bytes.Buffer
	if err != nil {
		j := errorObj(err)
		for i := range j {
			if s, isStr := j[i].val.(string); isStr && j[i].key == "error" {
				j[i].val = pointWording(s)
			}
		}
		j = append(j, field{"text", pointWording(strings.TrimPrefix(err.Error(), "chainrule: "))})
		writeJSON(&b, j)
		return b.Bytes(), false
	}
	writeJSON(&b, res)
	return b.Bytes(), true
}

// tensorMaybe runs f, turning a panic of the library into an internal
// error, as run does for the commands.
func tensorMaybe(f func() error) error {
	var err error
	if p := tensor.Maybe(func() { err = f() }); p != nil {
		return &cliError{kind: "internal", err: p}
	}
	return err
}

// pointWording rewords a CLI message for the page, where the point box
// stands for --at.
func pointWording(s string) string {
	s = strings.ReplaceAll(s, "is not given in --at", "is not given in the point")
	return strings.ReplaceAll(s, "--at: ", "point: ")
}

// collapse returns v with each d(E, v) drawn as one node, as the user wrote
// it, instead of the primitives of its tangent: the steps of a d (the nodes
// only its result uses, "step of d(…)" in v's terms) are hidden, and the
// d's node takes as arguments the nodes its steps use from outside, each
// edge labelled with the local gradient through the steps (the sum over
// the paths inside them of the products of the steps' local gradients).
// A d whose steps are used from outside keeps them. The nodes are
// renumbered v1, v2, …; values, tangents and adjoints are v's.
func collapse(v *view) *view {
	n := len(v.nodes)
	group := make([]int, n) // the d node a hidden step belongs to, -1 if shown
	for i := range group {
		group[i] = -1
	}
	isD := func(nv *nodeView) bool {
		return nv.op != "input" && strings.HasPrefix(nv.computes, "d(") && strings.Contains(nv.computes, " = ∂(")
	}
	var ds []int
	for k := range v.nodes {
		nv := &v.nodes[k]
		if !isD(nv) {
			continue
		}
		key := "step of " + strings.SplitN(nv.computes, " = ∂(", 2)[0]
		// The steps of k, as terms.go assigns them: reached from k through
		// nodes labelled as its steps, each claimed by the first d.
		var members []int
		stack := []int{k}
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, a := range v.nodes[i].args {
				if a.node >= 0 && group[a.node] < 0 && v.nodes[a.node].computes == key && !slices.Contains(members, a.node) {
					members = append(members, a.node)
					stack = append(stack, a.node)
				}
			}
		}
		for _, m := range members {
			group[m] = k
		}
		ds = append(ds, k)
	}
	// A group whose steps are used from outside it stays expanded.
	for i, nv := range v.nodes {
		for _, a := range nv.args {
			if a.node >= 0 && group[a.node] >= 0 && group[a.node] != i && group[i] != group[a.node] {
				g := group[a.node]
				for m := range group {
					if group[m] == g {
						group[m] = -1
					}
				}
			}
		}
	}
	newIndex := make([]int, n)
	c := *v
	c.nodes = nil
	c.inputs, c.uses = nil, nil
	c.usedByDropped = nil
	prefix := "v"
	for clash(prefix, v.vars) {
		prefix += "_"
	}
	k := 0
	for i := range v.nodes {
		newIndex[i] = -1
		if group[i] >= 0 {
			continue
		}
		nv := v.nodes[i]
		nv.args = append([]argView(nil), nv.args...)
		nv.local = append([]float64(nil), nv.local...)
		nv.hasLocal = append([]bool(nil), nv.hasLocal...)
		if nv.op != "input" {
			k++
			nv.name = fmt.Sprintf("%s%d", prefix, k)
		}
		if isD(&nv) && slices.Contains(ds, i) && slices.Contains(group, i) {
			nv.args, nv.local, nv.hasLocal = throughSteps(v, group, i)
			nv.op = "d"
			nv.def = strings.SplitN(nv.computes, " = ∂(", 2)[0]
		}
		newIndex[i] = len(c.nodes)
		c.nodes = append(c.nodes, nv)
		c.usedByDropped = append(c.usedByDropped, v.usedByDropped[i])
	}
	for i := range c.nodes {
		nv := &c.nodes[i]
		for j := range nv.args {
			if a := &nv.args[j]; a.node >= 0 {
				a.node = newIndex[a.node]
				a.text = c.nodes[a.node].name
			}
		}
		if nv.op != "d" {
			nv.def = definition(*nv)
		}
	}
	if v.output >= 0 {
		c.output = newIndex[v.output]
	}
	return &c
}

// throughSteps returns the arguments of the collapsed d node d of v: the
// nodes its hidden steps (and d itself) use from outside, in order of first
// use, and the local gradient of d with respect to each, the chain rule
// through the steps (a tangent seeded 1 at the argument and 0 elsewhere,
// carried through the steps by their local gradients). A local gradient is
// missing where a step has none.
func throughSteps(v *view, group []int, d int) ([]argView, []float64, []bool) {
	var members []int
	for i := range v.nodes {
		if group[i] == d || i == d {
			members = append(members, i) // evaluation order
		}
	}
	inGroup := func(i int) bool { return i == d || group[i] == d }
	var args []argView
	seen := map[int]bool{}
	for _, m := range members {
		for _, a := range v.nodes[m].args {
			if a.node >= 0 && !inGroup(a.node) && !seen[a.node] {
				seen[a.node] = true
				args = append(args, a)
			}
		}
	}
	sort.SliceStable(args, func(i, j int) bool { return args[i].node < args[j].node })
	local := make([]float64, len(args))
	has := make([]bool, len(args))
	for j, a := range args {
		t := map[int]float64{a.node: 1}
		known := true
		for _, m := range members {
			nv := &v.nodes[m]
			s := 0.0
			for q, b := range nv.args {
				tb, ok := t[b.node]
				if b.node < 0 || !ok || tb == 0 {
					continue
				}
				if !nv.hasLocal[q] {
					known = false
					continue
				}
				s += nv.local[q] * tb
			}
			t[m] = s
		}
		local[j], has[j] = t[d], known
		if !known {
			local[j] = math.NaN()
		}
	}
	return args, local, has
}

// explorerGraph returns v as the page draws it: the nodes with their
// layout, the constants, the steps of the backward sweep, and for each
// variable the sum over paths of its gradient (as the text view writes it,
// to v.prec digits).
func (v *view) explorerGraph() obj {
	lay := v.layout()
	nodes := make([]obj, len(v.nodes))
	for i, nv := range v.nodes {
		args := make([]obj, len(nv.args))
		for j, a := range nv.args {
			var local any
			if nv.hasLocal[j] {
				local = nv.local[j]
			}
			args[j] = obj{{"node", a.node}, {"text", a.text}, {"value", a.value}, {"local", local}}
		}
		kind := "op"
		switch {
		case nv.op == "input":
			kind = "input"
		case i == v.output:
			kind = "output"
		}
		var computes any
		if v.showTerms && nv.computes != "" && nv.op != "input" {
			computes = nv.computes
		}
		nodes[i] = obj{
			{"name", nv.name}, {"op", nv.op}, {"def", nv.def}, {"computes", computes}, {"kind", kind},
			{"value", nv.value}, {"tangents", nv.tangents}, {"adjoint", nv.adjoint}, {"flows", nv.flows},
			{"args", args}, {"x", lay.x[i]}, {"y", lay.y[i]}, {"layer", lay.layer[i]},
		}
	}
	consts := make([]obj, len(lay.consts))
	for i, c := range lay.consts {
		consts[i] = obj{{"text", c.text}, {"node", c.node}, {"arg", c.arg}, {"x", c.x}, {"y", c.y}}
	}
	chains := make([]string, len(v.vars))
	for k := range v.vars {
		chains[k] = v.chain(k)
	}
	var output any
	if v.output >= 0 {
		output = v.output
	}
	return obj{
		{"nodes", nodes}, {"consts", consts}, {"output", output},
		{"width", lay.width}, {"height", lay.height}, {"nodeWidth", boxWidth}, {"nodeHeight", lay.boxHeight}, {"layerGap", layerGap},
		{"backward", v.backwardSteps()}, {"chains", chains}, {"notes", v.opNotes()},
	}
}

// backwardSteps returns the steps of the backward sweep after the seed
// (the output's adjoint, 1): for each node from the output back to the
// inputs, for each of its arguments that is a node, its adjoint times the
// edge's local gradient added to the argument's adjoint, with the sum so
// far and how many of the argument's uses have been added. A node's
// adjoint is complete when its turn comes, since every node using it comes
// later in evaluation order.
func (v *view) backwardSteps() []obj {
	if v.output < 0 {
		return []obj{}
	}
	total := make([]int, len(v.nodes))
	for _, nv := range v.nodes {
		if !nv.flows {
			continue
		}
		for _, a := range nv.args {
			if a.node >= 0 {
				total[a.node]++
			}
		}
	}
	sum := make([]float64, len(v.nodes))
	done := make([]int, len(v.nodes))
	steps := []obj{}
	for i := v.output; i >= 0; i-- {
		nv := &v.nodes[i]
		if !nv.flows || nv.op == "input" {
			continue
		}
		for j, a := range nv.args {
			if a.node < 0 {
				continue
			}
			var local, contrib any
			c := math.NaN()
			if nv.hasLocal[j] {
				local = nv.local[j]
				c = nv.adjoint * nv.local[j]
				contrib = c
			}
			sum[a.node] += c
			done[a.node]++
			steps = append(steps, obj{
				{"from", i}, {"arg", j}, {"to", a.node}, {"adjoint", nv.adjoint}, {"local", local},
				{"contribution", contrib}, {"sum", sum[a.node]}, {"use", done[a.node]}, {"uses", total[a.node]},
			})
		}
	}
	return steps
}

// The layout's measures, in pixels.
const (
	boxWidth   = 190
	layerGap   = 150 // between the boxes of neighbouring layers, for the edge labels
	rowGap     = 46  // between boxes of a layer, for the constants under a box
	margin     = 30
	constWidth = 64
)

type layout struct {
	layer         []int
	x, y          []int
	consts        []constPlace
	width, height int
	boxHeight     int
}

type constPlace struct {
	text      string
	node, arg int
	x, y      int
}

// layout places the nodes left to right in layers, without Graphviz: the
// inputs in layer 0, every other node one layer right of its rightmost
// argument (so the output, which depends on all, comes last), and in each
// layer orders the nodes by the mean position of their neighbours (a few
// barycentre sweeps, to cut crossings). A node's constants are set apart
// under its box.
func (v *view) layout() layout {
	n := len(v.nodes)
	lay := layout{layer: make([]int, n), x: make([]int, n), y: make([]int, n)}
	lines := 4 // name = def, value, tangent, adjoint
	if v.showTerms {
		lines++
	}
	lay.boxHeight = 14 + 17*lines
	nl := 0
	for i, nv := range v.nodes {
		if nv.op != "input" {
			l := 1
			for _, a := range nv.args {
				if a.node >= 0 {
					l = max(l, lay.layer[a.node]+1)
				}
			}
			lay.layer[i] = l
		}
		nl = max(nl, lay.layer[i]+1)
	}
	if nl == 0 { // a constant: no nodes
		lay.width, lay.height = 2*margin+boxWidth, 2*margin
		return lay
	}
	layers := make([][]int, nl)
	for i := range v.nodes {
		layers[lay.layer[i]] = append(layers[lay.layer[i]], i)
	}
	pos := make([]float64, n)
	setPos := func() {
		for _, l := range layers {
			for r, i := range l {
				pos[i] = float64(r) - float64(len(l)-1)/2
			}
		}
	}
	setPos()
	users := make([][]int, n)
	for i, nv := range v.nodes {
		for _, a := range nv.args {
			if a.node >= 0 {
				users[a.node] = append(users[a.node], i)
			}
		}
	}
	bary := func(i int, nb []int) float64 {
		if len(nb) == 0 {
			return pos[i]
		}
		s := 0.0
		for _, j := range nb {
			s += pos[j]
		}
		return s / float64(len(nb))
	}
	for sweep := range 4 {
		order := func(l []int, key func(int) float64) {
			k := make(map[int]float64, len(l))
			for _, i := range l {
				k[i] = key(i)
			}
			sort.SliceStable(l, func(a, b int) bool { return k[l[a]] < k[l[b]] })
		}
		if sweep%2 == 0 {
			for _, l := range layers[1:] {
				order(l, func(i int) float64 {
					var nb []int
					for _, a := range v.nodes[i].args {
						if a.node >= 0 {
							nb = append(nb, a.node)
						}
					}
					return bary(i, nb)
				})
				setPos()
			}
		} else {
			for li := nl - 2; li >= 0; li-- {
				order(layers[li], func(i int) float64 { return bary(i, users[i]) })
				setPos()
			}
		}
	}
	rows := 0
	for _, l := range layers {
		rows = max(rows, len(l))
	}
	rowH := lay.boxHeight + rowGap
	lay.height = 2*margin + rows*rowH - rowGap
	lay.width = 2*margin + nl*(boxWidth+layerGap) - layerGap
	for li, l := range layers {
		top := margin + (rows-len(l))*rowH/2
		for r, i := range l {
			lay.x[i] = margin + li*(boxWidth+layerGap)
			lay.y[i] = top + r*rowH
		}
	}
	for i, nv := range v.nodes {
		k := 0
		for j, a := range nv.args {
			if a.node >= 0 {
				continue
			}
			lay.consts = append(lay.consts, constPlace{
				text: a.text, node: i, arg: j,
				x: lay.x[i] + 8 + k*(constWidth+8), y: lay.y[i] + lay.boxHeight + 12,
			})
			k++
		}
	}
	return lay
}
