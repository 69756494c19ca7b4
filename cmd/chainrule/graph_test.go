package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The graph of x*y + sin(x) at x=2, y=3, computed by hand:
//
//	x  = 2                       tangents (1, 0)       adjoint 3 + cos 2
//	y  = 3                       tangents (0, 1)       adjoint 2
//	v1 = x * y = 6               ∂/∂x = 3, ∂/∂y = 2    tangents (3, 2)        adjoint 1
//	v2 = sin(x) = sin 2          ∂/∂x = cos 2          tangents (cos 2, 0)    adjoint 1
//	v3 = v1 + v2 = 6 + sin 2     ∂/∂v1 = ∂/∂v2 = 1     tangents (3 + cos 2, 2) adjoint 1
type wantNode struct {
	name, op, def string
	inputs        []string
	value         float64
	local         []float64
	tangents      []float64
	adjoint       float64
}

var fGraph = []wantNode{
	{"x", "input", "input", nil, 2, nil, []float64{1, 0}, 3 + math.Cos(2)},
	{"y", "input", "input", nil, 3, nil, []float64{0, 1}, 2},
	{"v1", "mul", "x * y", []string{"x", "y"}, 6, []float64{3, 2}, []float64{3, 2}, 1},
	{"v2", "sin", "sin(x)", []string{"x"}, math.Sin(2), []float64{math.Cos(2)}, []float64{math.Cos(2), 0}, 1},
	{"v3", "add", "v1 + v2", []string{"v1", "v2"}, 6 + math.Sin(2), []float64{1, 1}, []float64{3 + math.Cos(2), 2}, 1},
}

func TestGraphJSON(t *testing.T) {
	m := okJSON(t, "graph", fExpr, "--at", fAt)
	checkStrs(t, "variables", strs(t, m["variables"]), []string{"x", "y"})
	checkNums(t, "gradient", nums(t, m["gradient"]), fGrad)
	checkNums(t, "value", []float64{num(t, m["value"])}, []float64{fVal})
	if m["output"] != "v3" || m["mode"] != "both" {
		t.Errorf("output %v, mode %v", m["output"], m["mode"])
	}
	nodes := m["nodes"].([]any)
	if len(nodes) != len(fGraph) {
		t.Fatalf("%d nodes, want %d", len(nodes), len(fGraph))
	}
	for i, w := range fGraph {
		n := nodes[i].(map[string]any)
		if n["name"] != w.name || n["op"] != w.op || n["def"] != w.def {
			t.Errorf("node %d: %v %v %v, want %s %s %s", i, n["name"], n["op"], n["def"], w.name, w.op, w.def)
		}
		checkStrs(t, w.name+" inputs", strs(t, n["inputs"]), w.inputs)
		checkNums(t, w.name+" value", []float64{num(t, n["value"])}, []float64{w.value})
		checkNums(t, w.name+" local", nums(t, n["local"]), w.local)
		checkNums(t, w.name+" tangents", nums(t, n["tangents"]), w.tangents)
		checkNums(t, w.name+" adjoint", []float64{num(t, n["adjoint"])}, []float64{w.adjoint})
	}

	// One mode: only its field.
	m = okJSON(t, "graph", fExpr, "--at", fAt, "--mode", "forward")
	n := m["nodes"].([]any)[4].(map[string]any)
	if _, has := n["adjoint"]; has {
		t.Errorf("forward mode has adjoints: %v", n)
	}
	checkNums(t, "forward gradient", nums(t, m["gradient"]), fGrad)
	m = okJSON(t, "graph", fExpr, "--at", fAt, "--mode", "reverse")
	n = m["nodes"].([]any)[4].(map[string]any)
	if _, has := n["tangents"]; has {
		t.Errorf("reverse mode has tangents: %v", n)
	}
	checkNums(t, "reverse gradient", nums(t, m["gradient"]), fGrad)

	// Constants are listed by value among the inputs.
	m = okJSON(t, "graph", "2*x - 1", "--at", "x=5")
	n = m["nodes"].([]any)[1].(map[string]any)
	if n["def"] != "2 * x" || n["inputs"].([]any)[0] != 2.0 || n["inputs"].([]any)[1] != "x" {
		t.Errorf("2*x: %v", n)
	}
	checkNums(t, "local of 2*x", nums(t, n["local"]), []float64{5, 2})
}

func TestGraphText(t *testing.T) {
	out := ok(t, "graph", fExpr, "--at", fAt)
	lines := strings.Split(out, "\n")
	head := strings.Fields(lines[0])
	checkStrs(t, "header", head, []string{"node", "definition", "value", "local", "gradients", "tangent[x]", "tangent[y]", "adjoint"})
	// Rows: name, definition (split into fields), value, locals, tangents, adjoint.
	rows := map[string]string{
		"x":  "x input 2 1 0 2.5838531634528574",
		"y":  "y input 3 0 1 2",
		"v1": "v1 x * y 6 ∂/∂x = 3, ∂/∂y = 2 3 2 1",
		"v2": "v2 sin(x) 0.9092974268256816 ∂/∂x = -0.4161468365471424 -0.4161468365471424 0 1",
		"v3": "v3 v1 + v2 6.909297426825682 ∂/∂v1 = 1, ∂/∂v2 = 1 2.5838531634528574 2 1",
	}
	for i, name := range []string{"x", "y", "v1", "v2", "v3"} {
		got := strings.Join(strings.Fields(lines[i+1]), " ")
		if got != rows[name] {
			t.Errorf("row %s:\n got %q\nwant %q", name, got, rows[name])
		}
	}
	for _, s := range []string{
		"\noutput: v3 = 6.909297426825682\n",
		"\ngradient by reverse mode (adjoints of the inputs): [2.5838531634528574, 2]\n",
		"\n  ∂v3/∂x = 1 × 3 (via v1) + 1 × -0.4161468365471424 (via v2) = 2.5838531634528574\n",
		"\n  ∂v3/∂y = 1 × 2 (via v1) = 2\n",
		"\ngradient by forward mode (tangents of v3): [2.5838531634528574, 2]\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("text lacks %q:\n%s", s, out)
		}
	}
	// The columns line up: each column starts where its header does.
	head0 := []rune(lines[0])
	for _, h := range []string{"value", "tangent[x]", "adjoint"} {
		col := len([]rune(lines[0][:strings.Index(lines[0], h)]))
		for _, line := range lines[1:6] {
			r := []rune(line)
			if col >= len(r) || r[col] == ' ' || r[col-1] != ' ' {
				t.Errorf("column %s (rune %d of %q) not aligned in %q", h, col, string(head0), line)
			}
		}
	}

	fwd := ok(t, "graph", fExpr, "--at", fAt, "--mode", "forward")
	if strings.Contains(fwd, "adjoint") || !strings.Contains(fwd, "tangent[y]") || !strings.Contains(fwd, "forward mode") {
		t.Errorf("forward-only text:\n%s", fwd)
	}
	rev := ok(t, "graph", fExpr, "--at", fAt, "--mode", "reverse")
	if strings.Contains(rev, "tangent[") || !strings.Contains(rev, "adjoint") || strings.Contains(rev, "forward mode") {
		t.Errorf("reverse-only text:\n%s", rev)
	}
}

func TestGraphSpecialCases(t *testing.T) {
	// Negation, division, power and an unused variable.
	m := okJSON(t, "graph", "(-(x / y)) ^ 2", "--at", "x=3,y=2,z=1")
	var defs []string
	for _, n := range m["nodes"].([]any) {
		defs = append(defs, n.(map[string]any)["def"].(string))
	}
	checkStrs(t, "defs", defs, []string{"input", "input", "input", "x / y", "-v1", "v2 ^ 2"})
	checkNums(t, "gradient", nums(t, m["gradient"]), []float64{2 * 1.5 / 2, -2 * 1.5 * 3 / 4, 0})
	// A constant expression: no output node, zero gradient.
	out := ok(t, "graph", "2 + 3", "--at", "x=1")
	if !strings.Contains(out, "output: 5 (a constant") || !strings.Contains(out, "\n  ∂/∂x = 0 (not used)\n") {
		t.Errorf("constant graph:\n%s", out)
	}
	m = okJSON(t, "graph", "2 + 3", "--at", "x=1")
	if m["output"] != nil {
		t.Errorf("constant graph output: %v", m["output"])
	}
	// The output is an input.
	out = ok(t, "graph", "x", "--at", "x=1,y=2")
	if !strings.Contains(out, "∂x/∂x = 1 (the output itself)") || !strings.Contains(out, "∂x/∂y = 0 (not used)") {
		t.Errorf("identity graph:\n%s", out)
	}
	// A derivative inside the expression is recorded as the primitives it
	// applied; the graph's gradient is still the gradient of d(x^3, x) = 3x².
	m = okJSON(t, "graph", "d(x^3, x)", "--at", "x=2")
	checkNums(t, "d graph value", []float64{num(t, m["value"])}, []float64{12})
	checkNums(t, "d graph gradient", nums(t, m["gradient"]), []float64{12})
}

func TestGraphNameClash(t *testing.T) {
	m := okJSON(t, "graph", "v1 * v2 + v_1", "--at", "v1=2,v2=3,v_1=1")
	var names, defs []string
	for _, n := range m["nodes"].([]any) {
		names = append(names, n.(map[string]any)["name"].(string))
		defs = append(defs, n.(map[string]any)["def"].(string))
	}
	checkStrs(t, "names", names, []string{"v1", "v2", "v_1", "v__1", "v__2"})
	checkStrs(t, "defs", defs, []string{"input", "input", "input", "v1 * v2", "v__1 + v_1"})
	if m["output"] != "v__2" {
		t.Errorf("output %v", m["output"])
	}
}

func TestGraphDOT(t *testing.T) {
	// Numbers to 6 significant digits, from the closed forms.
	g6 := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	out := ok(t, "graph", fExpr, "--at", fAt, "--format", "dot")
	for _, s := range []string{
		"digraph chainrule {\n",
		`label="x*y + sin(x) at x=2, y=3";`,
		`"x" [label="x (input)\nvalue 2\ndx/dx = 1\ndx/dy = 0\ndv3/dx = ` + g6(3+math.Cos(2)) + `", shape=ellipse];`,
		`"v1" [label="v1 = x * y\nvalue 6\ndv1/dx = 3\ndv1/dy = 2\ndv3/dv1 = 1"];`,
		`"v2" [label="v2 = sin(x)\nvalue ` + g6(math.Sin(2)) + `\ndv2/dx = ` + g6(math.Cos(2)) + `\ndv2/dy = 0\ndv3/dv2 = 1"];`,
		`"v3" [label="v3 = v1 + v2\nvalue ` + g6(6+math.Sin(2)) + `\ndv3/dx = ` + g6(3+math.Cos(2)) + `\ndv3/dy = 2\ndv3/dv3 = 1", peripheries=2];`,
		`"x" -> "v1" [label="∂v1/∂x = 3"];`,
		`"y" -> "v1" [label="∂v1/∂y = 2"];`,
		`"x" -> "v2" [label="∂v2/∂x = ` + g6(math.Cos(2)) + `"];`,
		`"v1" -> "v3" [label="∂v3/∂v1 = 1"];`,
		`"v2" -> "v3" [label="∂v3/∂v2 = 1"];`,
		// The legend, with the per-input sums over paths.
		`"legend #" [shape=note, fontsize=10, label="How to read this graph\l`,
		`\l  dv3/dx = 1 × 3 (via v1) + 1 × ` + g6(math.Cos(2)) + ` (via v2) = ` + g6(3+math.Cos(2)) + `\l  dv3/dy = 1 × 2 (via v1) = 2\l`,
		`\lgradient by forward mode (tangents of v3): [` + g6(3+math.Cos(2)) + `, 2]\l"];`,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("DOT lacks %s:\n%s", s, out)
		}
	}
	if strings.Contains(out, "op:") || strings.Contains(out, "tangent: [") {
		t.Errorf("DOT repeats the op or lists unnamed tangents:\n%s", out)
	}
	if !strings.HasSuffix(out, "}\n") || strings.Count(out, "->") != 5 {
		t.Errorf("DOT:\n%s", out)
	}
	out = ok(t, "graph", "x^2", "--at", "x=3", "--format", "dot", "--mode", "reverse")
	if !strings.Contains(out, `"const #1" [label="2", shape=plaintext];`) || !strings.Contains(out, `"const #1" -> "v1" [style=dashed];`) || !strings.Contains(out, `"v1" [label="v1 = x ^ 2\nvalue 9\ndv1/dv1 = 1", peripheries=2];`) || !strings.Contains(out, `dv1/dx = 1 × 6 (via v1) = 6\l`) || strings.Contains(out, "forward mode") {
		t.Errorf("DOT with a constant:\n%s", out)
	}
	// A variable named legend is not the legend.
	out = ok(t, "graph", "legend*2", "--at", "legend=1", "--format", "dot")
	if !strings.Contains(out, `"legend" [label="legend (input)`) || strings.Count(out, `"legend #" [shape=note`) != 1 {
		t.Errorf("DOT with a variable named legend:\n%s", out)
	}
	// --precision: 3 digits, or 0 for the shortest exact form.
	out = ok(t, "graph", fExpr, "--at", fAt, "--format", "dot", "--precision", "3")
	if !strings.Contains(out, `"x" -> "v2" [label="∂v2/∂x = -0.416"];`) || !strings.Contains(out, "numbers to 3 significant digits") {
		t.Errorf("--precision 3:\n%s", out)
	}
	out = ok(t, "graph", fExpr, "--at", fAt, "--format", "dot", "--precision", "0")
	if !strings.Contains(out, `"x" -> "v2" [label="∂v2/∂x = `+fmtNum(math.Cos(2))+`"];`) || strings.Contains(out, "significant digits") {
		t.Errorf("--precision 0:\n%s", out)
	}
	// -o writes the file.
	path := filepath.Join(t.TempDir(), "g.dot")
	ok(t, "graph", fExpr, "--at", fAt, "--format", "dot", "-o", path)
	if data, err := os.ReadFile(path); err != nil || !strings.HasPrefix(string(data), "digraph") {
		t.Errorf("-o: %q %v", data, err)
	}
}

// TestGraphPrecision checks --precision on the text view (which prints
// every digit by default) and its misuse.
func TestGraphPrecision(t *testing.T) {
	out := ok(t, "graph", fExpr, "--at", fAt, "--precision", "4")
	g4 := func(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }
	for _, s := range []string{
		"\noutput: v3 = " + g4(fVal) + "\n",
		"\n  ∂v3/∂x = 1 × 3 (via v1) + 1 × " + g4(math.Cos(2)) + " (via v2) = " + g4(fGrad[0]) + "\n",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("text --precision 4 lacks %q:\n%s", s, out)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"graph", "x", "--at", "x=1", "--precision", "18"}, `chainrule: --precision "18": want a number of significant digits from 1 to 17, or 0`},
		{[]string{"graph", "x", "--at", "x=1", "--precision", "-1"}, `chainrule: --precision "-1"`},
		{[]string{"graph", "x", "--at", "x=1", "--precision", "six"}, `chainrule: --precision "six"`},
		{[]string{"grad", "x", "--at", "x=1", "--precision", "3"}, "chainrule: --precision is only for graph"},
		{[]string{"graph", "x", "--at", "x=1", "--precision", "3", "--json"}, `{"error": "--precision does not apply to --json`},
	} {
		_, errs, code := cli(t, c.args...)
		if code != 2 || !strings.HasPrefix(errs, c.want) {
			t.Errorf("%q: exit %d, %q", c.args, code, errs)
		}
	}
}

func TestGraphSVG(t *testing.T) {
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("Graphviz's dot is not installed")
	}
	out := ok(t, "graph", fExpr, "--at", fAt, "--format", "svg")
	if !strings.Contains(out, "<svg") || !strings.Contains(out, "sin(x)") {
		t.Errorf("SVG: %.300s", out)
	}
}

func TestGraphSVGWithoutDot(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // a PATH with no dot on it
	out, errs, code := cli(t, "graph", fExpr, "--at", fAt, "--format", "svg")
	want := "chainrule: svg output needs Graphviz's dot, which is not installed; use --format dot\n"
	if code != 2 || out != "" || errs != want {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// fakeDot puts an executable dot running the shell script body first on
// PATH.
func fakeDot(t *testing.T, body string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs a POSIX shell")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dot"), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// svgWith runs graph --format svg with the given bounds on dot.
func svgWith(r runner) (stdout, stderr string, code int, elapsed time.Duration) {
	var out, errb bytes.Buffer
	start := time.Now()
	code = r.run([]string{"graph", fExpr, "--at", fAt, "--format", "svg"}, &out, &errb)
	return out.String(), errb.String(), code, time.Since(start)
}

func TestGraphSVGDotHangs(t *testing.T) {
	fakeDot(t, "exec sleep 60")
	out, errs, code, elapsed := svgWith(runner{dotTimeout: 200 * time.Millisecond})
	if code != 2 || out != "" || errs != "chainrule: dot -Tsvg: no answer within 200ms; stopped dot (use --format dot)\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if elapsed > 10*time.Second {
		t.Errorf("took %v", elapsed)
	}
	// A child that leaves a grandchild holding its output open.
	fakeDot(t, "sleep 5; echo done")
	_, errs, code, elapsed = svgWith(runner{dotTimeout: 200 * time.Millisecond})
	if code != 2 || !strings.HasPrefix(errs, "chainrule: dot -Tsvg: no answer within 200ms") || elapsed > 10*time.Second {
		t.Errorf("grandchild: exit %d, stderr %q after %v", code, errs, elapsed)
	}
}

func TestGraphSVGDotFloods(t *testing.T) {
	fakeDot(t, "exec yes '<svg>'")
	out, errs, code, elapsed := svgWith(runner{maxDotOutput: 1 << 20})
	if code != 2 || out != "" || errs != "chainrule: dot -Tsvg: the SVG is larger than the limit of 1 MiB; stopped dot (use --format dot)\n" {
		t.Errorf("exit %d, stdout %.100q, stderr %q", code, out, errs)
	}
	if elapsed > 10*time.Second {
		t.Errorf("took %v", elapsed)
	}
	// Just under the limit is fine.
	fakeDot(t, "cat >/dev/null; head -c 1000 /dev/zero | tr '\\0' 'a'")
	if out, errs, code, _ := svgWith(runner{maxDotOutput: 1000}); code != 0 || len(out) != 1000 {
		t.Errorf("at the limit: exit %d, %d bytes, stderr %q", code, len(out), errs)
	}
}

func TestGraphSVGDotFails(t *testing.T) {
	fakeDot(t, "cat >/dev/null; printf 'Error: <stdin>: syntax error in line 3\\n\\033[2J' >&2; exit 3")
	out, errs, code, _ := svgWith(runner{})
	want := "chainrule: dot -Tsvg: exit status 3: Error: <stdin>: syntax error in line 3\n\"\\x1b[2J\"\n"
	if code != 2 || out != "" || errs != want {
		t.Errorf("exit %d, stdout %q, stderr\n%q\nwant\n%q", code, out, errs, want)
	}
	// The kind of the error, for --json.
	err := runner{}.svg(bytes.NewBufferString("digraph{}"), new(bytes.Buffer))
	if kindOf(err) != "graphviz" {
		t.Errorf("kind %q", kindOf(err))
	}
}

// TestGraphDerivativeTerms checks graph of an expression with d(): the
// derivative's nodes are labelled in the user's terms, and nodes the
// output does not depend on (E's own value inside d(E, v)) are dropped.
func TestGraphDerivativeTerms(t *testing.T) {
	type node struct {
		name, computes string
		value          float64
		inputs         []any
	}
	nodesOf := func(m map[string]any) map[string]node {
		out := map[string]node{}
		for _, n := range m["nodes"].([]any) {
			n := n.(map[string]any)
			c, _ := n["computes"].(string)
			out[n["name"].(string)] = node{n["name"].(string), c, num(t, n["value"]), n["inputs"].([]any)}
		}
		return out
	}
	// Every node shown is the output or feeds a node shown: a walk back
	// from the output reaches all of them.
	checkLive := func(what string, m map[string]any) {
		nodes := nodesOf(m)
		seen := map[string]bool{}
		stack := []string{}
		if out, ok := m["output"].(string); ok {
			stack = append(stack, out)
		}
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[n] {
				continue
			}
			seen[n] = true
			for _, in := range nodes[n].inputs {
				if s, ok := in.(string); ok {
					stack = append(stack, s)
				}
			}
		}
		for name, n := range nodes {
			if !seen[name] && n.computes != name { // inputs are always shown
				t.Errorf("%s: node %s (%s) does not reach the output", what, name, n.computes)
			}
		}
	}

	// d(x^3, x) + y at (2, 3): 3x² + y = 15, gradient (6x, 1) = (12, 1).
	m := okJSON(t, "graph", "d(x^3, x) + y", "--at", "x=2,y=3")
	checkNums(t, "value", []float64{num(t, m["value"])}, []float64{15})
	checkNums(t, "gradient", nums(t, m["gradient"]), []float64{12, 1})
	checkLive("d(x^3, x) + y", m)
	if m["dropped"] != 1.0 { // x^3 itself
		t.Errorf("dropped %v, want 1", m["dropped"])
	}
	var dnode, out node
	steps := 0
	for _, n := range nodesOf(m) {
		switch {
		case n.computes == "d(x ^ 3, x) = ∂(x ^ 3)/∂x":
			dnode = n
		case n.computes == "d(x ^ 3, x) + y":
			out = n
		case n.computes == "step of d(x ^ 3, x)":
			steps++
		case n.computes != n.name:
			t.Errorf("node %s computes %q", n.name, n.computes)
		}
	}
	if dnode.name == "" || dnode.value != 12 || out.name != m["output"] || out.value != 15 || steps == 0 {
		t.Errorf("d node %+v, output %+v, %d steps", dnode, out, steps)
	}
	// Nested: d(d(x^3, x), x) = 6x = 12 at x=2, gradient 6.
	m = okJSON(t, "graph", "d(d(x^3, x), x)", "--at", "x=2")
	checkNums(t, "nested value", []float64{num(t, m["value"])}, []float64{12})
	checkNums(t, "nested gradient", nums(t, m["gradient"]), []float64{6})
	checkLive("d(d(x^3, x), x)", m)
	if n := nodesOf(m)[m["output"].(string)]; n.computes != "d(d(x ^ 3, x), x) = ∂(d(x ^ 3, x))/∂x" {
		t.Errorf("nested output computes %q", n.computes)
	}
	// d(x*y, x) = y: x has no path to the output; the text says so and
	// shows the computes column and how many nodes were dropped.
	text := ok(t, "graph", "d(x*y, x)", "--at", "x=2,y=3")
	for _, s := range []string{"computes", "d(x * y, x) = ∂(x * y)/∂x", "(not shown: 1 node ", "∂v1/∂x = 0 (no path to the output)", "∂v1/∂y = 1 × 1 (via v1) = 1", "\n(chain_mul(t, g) = t × g: the chain rule's product"} {
		if !strings.Contains(text, s) {
			t.Errorf("d(x*y, x) text lacks %q:\n%s", s, text)
		}
	}
	// Without d, nodes still say what they compute (JSON), and the text
	// keeps its columns.
	nodes := nodesOf(okJSON(t, "graph", fExpr, "--at", fAt))
	for name, want := range map[string]string{"x": "x", "v1": "x * y", "v2": "sin(x)", "v3": "(x * y) + sin(x)"} {
		if nodes[name].computes != want {
			t.Errorf("%s computes %q, want %q", name, nodes[name].computes, want)
		}
	}
	// DOT shows the terms too.
	dot := ok(t, "graph", "d(x^3, x) + y", "--at", "x=2,y=3", "--format", "dot")
	if !strings.Contains(dot, `\nd(x ^ 3, x) = ∂(x ^ 3)/∂x\nvalue 12\n`) || strings.Contains(dot, "x ^ 3\\n") {
		t.Errorf("DOT:\n%s", dot)
	}
}
