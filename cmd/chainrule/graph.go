package main

// The graph command: the expression recorded by ad.Trace, shown as a table
// (text), as JSON, or as Graphviz DOT / SVG, with every node's value, local
// gradients, forward tangents (one per variable) and reverse adjoint.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// errNoDot is the error for --format svg without Graphviz.
var errNoDot = &cliError{kind: "graphviz", err: errors.New("svg output needs Graphviz's dot, which is not installed; use --format dot")}

// The bounds on Graphviz's dot, the child process behind --format svg.
const (
	dotTimeout   = 30 * time.Second
	maxDotOutput = 64 << 20 // bytes of SVG
	maxDotStderr = 4 << 10  // bytes of dot's error output kept for the message
)

// svg pipes the DOT text through Graphviz's dot -Tsvg into out. The child
// is stopped, and an error of kind "graphviz" returned, if it takes longer
// than r.dotTimeout (default dotTimeout), writes more than r.maxDotOutput
// bytes (default maxDotOutput) or fails.
func (r runner) svg(dot *bytes.Buffer, out *bytes.Buffer) error {
	path, err := exec.LookPath("dot")
	if err != nil {
		return errNoDot
	}
	timeout, limit := r.dotTimeout, r.maxDotOutput
	if timeout <= 0 {
		timeout = dotTimeout
	}
	if limit <= 0 {
		limit = maxDotOutput
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-Tsvg")
	cmd.WaitDelay = time.Second // do not wait on a grandchild holding the pipes
	stdout := &cappedWriter{buf: out, limit: limit, full: cancel}
	stderr := &cappedWriter{buf: new(bytes.Buffer), limit: maxDotStderr}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = dot, stdout, stderr
	err = cmd.Run()
	fail := func(format string, args ...any) error {
		return &cliError{kind: "graphviz", err: fmt.Errorf("dot -Tsvg: "+format, args...)}
	}
	switch {
	case stdout.over:
		out.Reset()
		return fail("the SVG is larger than the limit of %s; stopped dot (use --format dot)", byteSize(limit))
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		out.Reset()
		return fail("no answer within %v; stopped dot (use --format dot)", timeout)
	case err != nil:
		out.Reset()
		msg := strings.TrimSpace(stderr.buf.String())
		if msg != "" {
			msg = ": " + clipLines(msg)
		}
		return fail("%v%s", err, msg)
	}
	return nil
}

// cappedWriter appends to buf up to limit bytes; past it, it keeps
// nothing more, sets over and calls full (if set) once.
type cappedWriter struct {
	buf   *bytes.Buffer
	limit int64
	over  bool
	full  func()
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if room := w.limit - int64(w.buf.Len()); int64(len(p)) > room {
		w.buf.Write(p[:max(room, 0)])
		if !w.over && w.full != nil {
			w.full()
		}
		w.over = true
		return len(p), nil // keep draining; the child is being stopped
	}
	return w.buf.Write(p)
}

// clipLines quotes s for a message as echo does, line by line, keeping at
// most 5 lines of it.
func clipLines(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 5 {
		lines = append(lines[:5], "…")
	}
	for i, l := range lines {
		if l != "…" {
			lines[i] = echoLong(l)
		}
	}
	return strings.Join(lines, "\n")
}

// byteSize writes n bytes as "64 MiB", "1 KiB" or "100 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// view is the graph with everything the views show, computed once.
type view struct {
	src      string
	vars     []string
	at       []float64
	fwd, rev bool // show forward tangents, reverse adjoints
	nodes    []nodeView
	output   int // index in nodes of the output, -1 if it is a constant
	value    float64
	gradRev  []float64 // adjoints of the inputs
	gradFwd  []float64 // tangents of the output, one per variable
	prec     int       // significant digits of numbers; 0: shortest exact

	showTerms     bool   // show what each node computes (the expression has a d)
	dropped       int    // how many nodes the output does not depend on were dropped
	usedByDropped []bool // by node: an argument of a dropped node

	inputs []int         // the inputs' indices in nodes, once indexUses ran
	uses   map[int][]use // by node index, the nodes using it as an argument
}

// num formats x with v's precision: the shortest form that reads back
// exactly, or prec significant digits.
func (v *view) num(x float64) string {
	if v.prec <= 0 {
		return fmtNum(x)
	}
	return strconv.FormatFloat(x, 'g', v.prec, 64)
}

// list formats numbers as [a, b, c] with v's precision.
func (v *view) list(xs []float64) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = v.num(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

type nodeView struct {
	name, op, def string
	args          []argView
	value         float64
	local         []float64 // per argument; NaN where not elementwise
	hasLocal      []bool
	tangents      []float64 // per variable
	adjoint       float64
	flows         bool   // an adjoint reaches the node
	computes      string // what the node computes in the user's terms, "" if unknown
}

// argView is an argument of a node: another node, or a constant.
type argView struct {
	node  int // index of the node, -1 for a constant
	value float64
	text  string // name or constant value as written
}

// opSymbols maps ad's names of the arithmetic primitives to the operators
// of the expression language.
var opSymbols = map[string]string{"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}

// newView gathers the graph, its tangents (one basis direction per
// variable) and its adjoints (seed 1), as mode asks. terms, if not nil,
// gives what each node computes in the user's terms (shown when showTerms
// is set). Nodes the output does not depend on (the value of E computed
// alongside d(E, v), say) are dropped, and the others numbered v1, v2, …
// in evaluation order.
func newView(p *program, g *ad.Graph, mode string, terms []string, showTerms bool) *view {
	v := &view{
		src: p.src, vars: p.vars, at: p.at,
		fwd: mode != "reverse", rev: mode != "forward",
		output: -1, value: scalar(g.Value()), showTerms: showTerms,
	}
	nodes := g.Nodes()
	keep := live(g)
	shown := make([]int, len(nodes)) // index in v.nodes, -1 if dropped
	k := 0
	for i := range nodes {
		shown[i] = -1
		if keep[i] {
			shown[i] = k
			k++
		} else {
			v.dropped++
		}
	}
	if out, ok := g.Output(); ok {
		v.output = shown[out.Index()]
	}
	n := len(p.vars)
	var tangents [][]*tensor.Tensor // [direction][node]
	if v.fwd {
		for k := range n {
			basis := make([]*tensor.Tensor, n)
			for i := range basis {
				basis[i] = tensor.Scalar(0)
			}
			basis[k] = tensor.Scalar(1)
			tangents = append(tangents, g.Tangents(basis))
		}
	}
	var adj []*tensor.Tensor
	if v.rev {
		adj = g.Adjoints(tensor.Scalar(1))
	}
	names := nodeNames(nodes, keep, p.vars)
	v.usedByDropped = make([]bool, len(nodes))
	for i, nd := range nodes {
		if !keep[i] {
			for j := range nd.NumArgs() {
				if an, ok := nd.Arg(j); ok && shown[an.Index()] >= 0 {
					v.usedByDropped[shown[an.Index()]] = true
				}
			}
			continue
		}
		nv := nodeView{name: names[i], op: nd.Op(), value: scalar(nd.Value())}
		if terms != nil {
			nv.computes = terms[i]
		}
		for j := range nd.NumArgs() {
			a := argView{node: -1}
			if an, ok := nd.Arg(j); ok {
				a.node, a.text, a.value = shown[an.Index()], names[an.Index()], scalar(an.Value())
			} else {
				a.value = scalar(nd.ArgValue(j))
				a.text = constText(nd.ArgValue(j))
			}
			nv.args = append(nv.args, a)
			l, ok := nd.Local(j)
			if ok {
				nv.local = append(nv.local, deriv(scalar(l)))
			} else {
				nv.local = append(nv.local, math.NaN())
			}
			nv.hasLocal = append(nv.hasLocal, ok)
		}
		nv.def = definition(nv)
		if v.fwd {
			nv.tangents = make([]float64, n)
			for k := range n {
				nv.tangents[k] = deriv(scalar(tangents[k][i]))
			}
		}
		if v.rev {
			nv.adjoint, nv.flows = deriv(scalar(adj[i])), adj[i] != nil
		}
		v.nodes = append(v.nodes, nv)
	}
	inputs := g.Inputs()
	v.gradRev = make([]float64, n)
	v.gradFwd = make([]float64, n)
	for k, in := range inputs {
		if v.rev {
			v.gradRev[k] = v.nodes[shown[in.Index()]].adjoint
		}
		if v.fwd && v.output >= 0 {
			v.gradFwd[k] = v.nodes[v.output].tangents[k]
		}
	}
	return v
}

// nodeNames returns the names of the nodes: the variables' names for the
// inputs, v1, v2, … for the kept others in evaluation order, unless a
// variable is itself called v1 or the like; then the intermediate
// variables are v_1, v_2, … (or v__1, …), whichever no variable's name can
// be mistaken for.
func nodeNames(nodes []ad.Node, keep []bool, vars []string) []string {
	names := make([]string, len(nodes))
	prefix := "v"
	for clash(prefix, vars) {
		prefix += "_"
	}
	k := 0
	for i, nd := range nodes {
		switch {
		case nd.Op() == "input":
			names[i] = nd.Name()
		case keep[i]:
			k++
			names[i] = fmt.Sprintf("%s%d", prefix, k)
		}
	}
	return names
}

// clash reports whether a variable is named prefix followed by digits.
func clash(prefix string, vars []string) bool {
	for _, v := range vars {
		if rest, ok := strings.CutPrefix(v, prefix); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			return true
		}
	}
	return false
}

// constText writes a constant argument: its value if it is a single
// element, else its dtype and shape.
func constText(t *tensor.Tensor) string {
	if t.Size() == 1 {
		return fmtNum(t.AtFlat(0))
	}
	return t.DType().String() + tensor.ShapeString(t.Shape())
}

// definition writes a node readably: x * y, sin(x), -v3, 2 ^ v1, max… as
// calls.
func definition(nv nodeView) string {
	if nv.op == "input" {
		return "input"
	}
	args := make([]string, len(nv.args))
	for j, a := range nv.args {
		args[j] = a.text
	}
	operand := func(j int) string {
		if nv.args[j].node < 0 && strings.HasPrefix(args[j], "-") {
			return "(" + args[j] + ")"
		}
		return args[j]
	}
	if sym, ok := opSymbols[nv.op]; ok && len(args) == 2 {
		return operand(0) + " " + sym + " " + operand(1)
	}
	if nv.op == "neg" && len(args) == 1 {
		return "-" + operand(0)
	}
	return nv.op + "(" + strings.Join(args, ", ") + ")"
}

// graphCommand writes the graph of p in the format o asks for.
func graphCommand(o *options, p *program, out *bytes.Buffer) error {
	if o.format == "html" {
		return writeExplorerFile(out, p.src, o.at)
	}
	g, terms, hasD, err := p.tracedWithTerms()
	if err != nil {
		return err
	}
	mode := o.mode
	if mode == "" {
		mode = "both"
	}
	if err := checkGraphLimits(len(g.Nodes()), len(p.vars), mode); err != nil {
		return err
	}
	v := newView(p, g, mode, terms, hasD)
	switch {
	case o.precision >= 0:
		v.prec = o.precision
	case o.format == "dot" || o.format == "svg":
		v.prec = 6
	}
	switch {
	case o.json:
		writeJSON(out, v.json(mode))
	case o.format == "dot":
		v.writeDOT(out)
	case o.format == "svg":
		var dot bytes.Buffer
		v.writeDOT(&dot)
		return o.runner.svg(&dot, out)
	default:
		v.writeText(out)
	}
	return nil
}

// json returns the graph as a JSON object.
func (v *view) json(mode string) obj {
	nodes := make([]obj, len(v.nodes))
	for i, nv := range v.nodes {
		inputs := make([]any, len(nv.args))
		local := make([]any, len(nv.args))
		for j, a := range nv.args {
			if a.node >= 0 {
				inputs[j] = a.text
			} else {
				inputs[j] = a.value
			}
			if nv.hasLocal[j] {
				local[j] = nv.local[j]
			}
		}
		var computes any
		if nv.computes != "" {
			computes = nv.computes
		}
		o := obj{{"name", nv.name}, {"op", nv.op}, {"def", nv.def}, {"computes", computes}, {"inputs", inputs}, {"value", nv.value}, {"local", local}}
		if v.fwd {
			o = append(o, field{"tangents", nv.tangents})
		}
		if v.rev {
			o = append(o, field{"adjoint", nv.adjoint})
		}
		nodes[i] = o
	}
	var output any
	if v.output >= 0 {
		output = v.nodes[v.output].name
	}
	grad := v.gradRev
	if !v.rev {
		grad = v.gradFwd
	}
	return obj{
		{"variables", v.vars},
		{"value", v.value},
		{"output", output},
		{"mode", mode},
		{"nodes", nodes},
		{"dropped", v.dropped},
		{"gradient", grad},
	}
}

// writeText writes the graph as a table, one row per node in evaluation
// order, and then the gradient assembled by the chain rule.
func (v *view) writeText(out *bytes.Buffer) {
	head := []string{"node", "definition", "value", "local gradients"}
	if v.showTerms {
		head = []string{"node", "definition", "computes", "value", "local gradients"}
	}
	if v.fwd {
		for _, name := range v.vars {
			head = append(head, "tangent["+name+"]")
		}
	}
	if v.rev {
		head = append(head, "adjoint")
	}
	rows := [][]string{head}
	for _, nv := range v.nodes {
		var locals []string
		for j, a := range nv.args {
			if a.node >= 0 {
				l := "?"
				if nv.hasLocal[j] {
					l = v.num(nv.local[j])
				}
				locals = append(locals, "∂/∂"+a.text+" = "+l)
			}
		}
		row := []string{nv.name, nv.def, v.num(nv.value), strings.Join(locals, ", ")}
		if v.showTerms {
			row = []string{nv.name, nv.def, nv.computes, v.num(nv.value), strings.Join(locals, ", ")}
		}
		if v.fwd {
			for _, t := range nv.tangents {
				row = append(row, v.num(t))
			}
		}
		if v.rev {
			row = append(row, v.num(nv.adjoint))
		}
		rows = append(rows, row)
	}
	writeTable(out, rows)
	out.WriteByte('\n')
	if v.dropped > 0 {
		fmt.Fprintf(out, "(not shown: %d node%s computed on the way that the output does not depend on, like the value of E inside d(E, v))\n", v.dropped, plural(v.dropped))
	}
	for _, note := range v.opNotes() {
		fmt.Fprintf(out, "(%s)\n", note)
	}
	outName := "" // ∂/∂x for a constant output
	if v.output >= 0 {
		outName = v.nodes[v.output].name
		fmt.Fprintf(out, "output: %s = %s\n", outName, v.num(v.value))
	} else {
		fmt.Fprintf(out, "output: %s (a constant: it does not depend on the variables)\n", v.num(v.value))
	}
	if v.rev {
		fmt.Fprintf(out, "gradient by reverse mode (adjoints of the inputs): %s\n", v.list(v.gradRev))
		for k, name := range v.vars {
			fmt.Fprintf(out, "  ∂%s/∂%s = %s\n", outName, name, v.chain(k))
		}
	}
	if v.fwd {
		of := outName
		if of == "" {
			of = "the output"
		}
		fmt.Fprintf(out, "gradient by forward mode (tangents of %s): %s\n", of, v.list(v.gradFwd))
	}
}

// maxTerms is the most terms chain writes out.
const maxTerms = 8

// chain explains the adjoint of input k by the chain rule: the sum over
// the nodes that use it of their adjoint times their local gradient.
func (v *view) chain(k int) string {
	if v.inputs == nil {
		v.indexUses()
	}
	if k >= len(v.inputs) {
		return "?"
	}
	in := v.inputs[k]
	total := v.num(v.nodes[in].adjoint)
	if in == v.output {
		return total + " (the output itself)"
	}
	var terms []string
	n := 0
	for _, u := range v.uses[in] {
		nv := &v.nodes[u.node]
		if !nv.flows {
			continue
		}
		if !nv.hasLocal[u.arg] {
			return total
		}
		if n++; n <= maxTerms {
			terms = append(terms, fmt.Sprintf("%s × %s (via %s)", v.num(nv.adjoint), v.num(nv.local[u.arg]), nv.name))
		}
	}
	switch {
	case len(v.uses[in]) == 0 && !v.usedByDropped[in]:
		return total + " (not used)"
	case n == 0:
		return total + " (no path to the output)"
	case n > maxTerms:
		return fmt.Sprintf("%s (a sum over %d uses)", total, n)
	}
	return strings.Join(terms, " + ") + " = " + total
}

// use is an argument of a node: node's argument arg.
type use struct{ node, arg int }

// indexUses lists the inputs and, for every node, its uses, so that chain
// costs in proportion to an input's uses rather than to the graph.
func (v *view) indexUses() {
	v.inputs = []int{}
	v.uses = make(map[int][]use)
	for i, nv := range v.nodes {
		if nv.op == "input" {
			v.inputs = append(v.inputs, i)
		}
		for j, a := range nv.args {
			if a.node >= 0 {
				v.uses[a.node] = append(v.uses[a.node], use{i, j})
			}
		}
	}
}

// writeTable writes rows as columns separated by two spaces, aligned by
// rune count, without trailing spaces.
func writeTable(out *bytes.Buffer, rows [][]string) {
	var width []int
	for _, r := range rows {
		for j, c := range r {
			if j >= len(width) {
				width = append(width, 0)
			}
			width[j] = max(width[j], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for j, c := range r {
			if j > 0 {
				line.WriteString("  ")
			}
			line.WriteString(c)
			line.WriteString(strings.Repeat(" ", width[j]-utf8.RuneCountInString(c)))
		}
		out.WriteString(strings.TrimRight(line.String(), " "))
		out.WriteByte('\n')
	}
}

// maxTitle is the most runes of the expression the DOT title shows.
const maxTitle = 200

// writeDOT writes the graph in Graphviz's DOT language, with numbers to
// v.prec significant digits: a node per graph node labelled with its
// definition and value, its tangents named by input (dv1/dx = 3, total
// derivatives: forward mode) and its adjoint (dv3/dv1 = 1: reverse mode),
// as the mode asks; an edge per argument labelled with the local, partial
// derivative (∂v3/∂v1 = 1).
// Constants are plain-text nodes with unlabelled dashed edges (no gradient
// flows to them); inputs are ellipses, the output has a double border. A
// legend says how to read it and, like the text view, assembles the
// gradient by the chain rule, each input's adjoint as a sum over its uses.
func (v *view) writeDOT(out *bytes.Buffer) {
	at := make([]string, len(v.vars))
	for i, name := range v.vars {
		at[i] = name + "=" + fmtNum(v.at[i])
	}
	title := v.src
	if r := []rune(title); len(r) > maxTitle {
		title = string(r[:maxTitle]) + "…"
	}
	title = strings.Join(strings.Fields(title), " ")
	if len(at) > 0 {
		title += " at " + strings.Join(at, ", ")
	}
	outName := "f" // the output, when it is a constant
	if v.output >= 0 {
		outName = v.nodes[v.output].name
	}
	out.WriteString("digraph chainrule {\n")
	fmt.Fprintf(out, "\tlabel=%s;\n\tlabelloc=t;\n", dotQuote(title))
	out.WriteString("\trankdir=LR;\n")
	out.WriteString("\tnode [shape=box, fontname=\"Helvetica\"];\n")
	out.WriteString("\tedge [fontname=\"Helvetica\", fontsize=10];\n")
	consts := 0
	for i, nv := range v.nodes {
		lines := []string{nv.name + " = " + nv.def}
		attrs := ""
		if nv.op == "input" {
			lines[0] = nv.name + " (input)"
			attrs = ", shape=ellipse"
		}
		if v.showTerms && nv.computes != "" && nv.op != "input" {
			lines = append(lines, nv.computes)
		}
		lines = append(lines, "value "+v.num(nv.value))
		if v.fwd {
			for k, name := range v.vars {
				lines = append(lines, "d"+nv.name+"/d"+name+" = "+v.num(nv.tangents[k]))
			}
		}
		if v.rev {
			lines = append(lines, "d"+outName+"/d"+nv.name+" = "+v.num(nv.adjoint))
		}
		if i == v.output {
			attrs += ", peripheries=2"
		}
		fmt.Fprintf(out, "\t%s [label=%s%s];\n", dotQuote(nv.name), dotQuote(strings.Join(lines, "\n")), attrs)
		for j, a := range nv.args {
			if a.node >= 0 {
				label := "?"
				if nv.hasLocal[j] {
					label = v.num(nv.local[j])
				}
				label = "∂" + nv.name + "/∂" + a.text + " = " + label
				fmt.Fprintf(out, "\t%s -> %s [label=%s];\n", dotQuote(a.text), dotQuote(nv.name), dotQuote(label))
				continue
			}
			// A constant: no gradient flows to it.
			consts++
			c := fmt.Sprintf("const #%d", consts) // not a possible variable name
			fmt.Fprintf(out, "\t%s [label=%s, shape=plaintext];\n", dotQuote(c), dotQuote(a.text))
			fmt.Fprintf(out, "\t%s -> %s [style=dashed];\n", dotQuote(c), dotQuote(nv.name))
		}
	}
	fmt.Fprintf(out, "\t\"legend #\" [shape=note, fontsize=10, label=%s];\n", dotQuoteLeft(v.legend(outName))) // not a possible variable name
	out.WriteString("}\n")
}

// legend returns the lines of the DOT legend: how to read the picture, and
// the gradient assembled by the chain rule.
func (v *view) legend(outName string) []string {
	lines := []string{
		"How to read this graph",
		"ellipse: an input; box: an intermediate variable, its definition and value;",
		"double border: the output " + outName,
		"edge a → b, ∂b/∂a = g: the local (partial) derivative of b with respect to",
		"    its argument a, b's other arguments held fixed",
		"dashed edge: a constant argument (no gradient flows to it)",
	}
	if v.fwd {
		lines = append(lines, "dn/dx (forward mode, n's tangent): the total derivative of n with respect",
			"    to the input x: the sum over the paths from x to n of the products of their edges")
	}
	if v.rev {
		lines = append(lines, "d"+outName+"/dn (reverse mode, n's adjoint): the total derivative of the output",
			"    with respect to n: the sum over the uses of n of their adjoint × their edge")
	}
	lines = append(lines, v.opNotes()...)
	if v.prec > 0 {
		lines = append(lines, fmt.Sprintf("numbers to %d significant digits (--precision)", v.prec))
	}
	lines = append(lines, "")
	if v.output < 0 {
		lines = append(lines, "output: "+v.num(v.value)+" (a constant: it does not depend on the variables)")
	}
	if v.rev {
		lines = append(lines, "gradient by reverse mode (adjoints of the inputs):")
		for k, name := range v.vars {
			lines = append(lines, "  d"+outName+"/d"+name+" = "+v.chain(k))
		}
	}
	if v.fwd {
		lines = append(lines, "gradient by forward mode (tangents of "+outName+"): "+v.list(v.gradFwd))
	}
	return lines
}

// opNoteText explains the primitives that derivative rules apply and a
// user does not write.
var opNoteText = map[string]string{
	"chain_mul": "chain_mul(t, g) = t × g: the chain rule's product of a tangent and a local derivative, with 0 × ∞ = 0",
	"where":     "where(c, a, b) = a if c ≠ 0, else b: a rule's guard at a kink (pow's at x = 0, say)",
}

// opNotes returns a note for each primitive of opNoteText the shown nodes
// apply, in a fixed order.
func (v *view) opNotes() []string {
	var notes []string
	for _, op := range []string{"chain_mul", "where"} {
		for _, nv := range v.nodes {
			if nv.op == op {
				notes = append(notes, opNoteText[op])
				break
			}
		}
	}
	return notes
}

// dotQuoteLeft returns lines as a DOT string of left-justified lines.
func dotQuoteLeft(lines []string) string {
	q := dotQuote(strings.Join(lines, "\n"))
	return strings.ReplaceAll(q[:len(q)-1], `\n`, `\l`) + `\l"`
}

// dotQuote returns s as a DOT double-quoted string; newlines become \n
// (centred lines).
func dotQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
