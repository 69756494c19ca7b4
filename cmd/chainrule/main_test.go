package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// cli runs the command line and returns its output and exit status.
func cli(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// ok runs the command line, which must succeed, and returns its output.
func ok(t testing.TB, args ...string) string {
	t.Helper()
	out, errs, code := cli(t, args...)
	if code != 0 || errs != "" {
		t.Fatalf("chainrule %q: exit %d, stderr %q", args, code, errs)
	}
	return out
}

// okJSON runs the command line with --json and decodes the one object.
func okJSON(t testing.TB, args ...string) map[string]any {
	t.Helper()
	out := ok(t, append(args, "--json")...)
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "}\n") {
		t.Fatalf("chainrule %q: not one JSON line: %q", args, out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("chainrule %q: bad JSON %q: %v", args, out, err)
	}
	return m
}

// num decodes a JSON number or one of the strings "NaN", "Inf", "-Inf".
func num(t testing.TB, v any) float64 {
	t.Helper()
	switch v := v.(type) {
	case float64:
		return v
	case string:
		switch v {
		case "NaN":
			return math.NaN()
		case "Inf":
			return math.Inf(1)
		case "-Inf":
			return math.Inf(-1)
		}
	}
	t.Fatalf("not a number: %#v", v)
	return 0
}

func nums(t testing.TB, v any) []float64 {
	t.Helper()
	list, isList := v.([]any)
	if !isList {
		t.Fatalf("not a list: %#v", v)
	}
	out := make([]float64, len(list))
	for i, x := range list {
		out[i] = num(t, x)
	}
	return out
}

func matrix(t testing.TB, v any) [][]float64 {
	t.Helper()
	list, isList := v.([]any)
	if !isList {
		t.Fatalf("not a matrix: %#v", v)
	}
	out := make([][]float64, len(list))
	for i, row := range list {
		out[i] = nums(t, row)
	}
	return out
}

func strs(t testing.TB, v any) []string {
	t.Helper()
	list, isList := v.([]any)
	if !isList {
		t.Fatalf("not a list: %#v", v)
	}
	out := make([]string, len(list))
	for i, x := range list {
		s, isStr := x.(string)
		if !isStr {
			t.Fatalf("not a string: %#v", x)
		}
		out[i] = s
	}
	return out
}

func close(a, b float64) bool {
	if math.IsNaN(b) {
		return math.IsNaN(a)
	}
	if math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= 1e-10+1e-8*math.Abs(b)
}

func checkNums(t testing.TB, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
		return
	}
	for i := range got {
		if !close(got[i], want[i]) {
			t.Errorf("%s: got %v, want %v", what, got, want)
			return
		}
	}
}

func checkMatrix(t testing.TB, what string, got, want [][]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
		return
	}
	for i := range got {
		checkNums(t, what, got[i], want[i])
	}
}

func checkStrs(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
		t.Errorf("%s: got %q, want %q", what, got, want)
	}
}

// f(x, y) = x*y + sin(x) at (2, 3), by hand.
var (
	fExpr = "x*y + sin(x)"
	fAt   = "x=2,y=3"
	fVal  = 6 + math.Sin(2)
	fGrad = []float64{3 + math.Cos(2), 2}
	fHess = [][]float64{{-math.Sin(2), 1}, {1, 0}}
)

func TestEval(t *testing.T) {
	out := ok(t, "eval", fExpr, "--at", fAt)
	if out != "value: 6.909297426825682\n" {
		t.Errorf("text: %q", out)
	}
	m := okJSON(t, "eval", fExpr, "--at", fAt)
	checkNums(t, "value", []float64{num(t, m["value"])}, []float64{fVal})
	checkStrs(t, "variables", strs(t, m["variables"]), []string{"x", "y"})
	if got := ok(t, "eval", "2^10 - 1"); got != "value: 1023\n" {
		t.Errorf("constant: %q", got)
	}
	if m := okJSON(t, "eval", "1"); len(strs(t, m["variables"])) != 0 {
		t.Errorf("no --at: variables %v", m["variables"])
	}
}

func TestGrad(t *testing.T) {
	for _, mode := range []string{"", "reverse", "forward"} {
		args := []string{"grad", fExpr, "--at", fAt}
		if mode != "" {
			args = append(args, "--mode", mode)
		}
		m := okJSON(t, args...)
		checkNums(t, mode+" value", []float64{num(t, m["value"])}, []float64{fVal})
		checkNums(t, mode+" gradient", nums(t, m["gradient"]), fGrad)
		checkStrs(t, mode+" variables", strs(t, m["variables"]), []string{"x", "y"})
		want := mode
		if want == "" {
			want = "reverse"
		}
		if m["mode"] != want {
			t.Errorf("mode %q: JSON mode %v", mode, m["mode"])
		}
		out := ok(t, args...)
		for _, s := range []string{
			"value: 6.909297426825682\n",
			"gradient: [2.5838531634528574, 2]\n",
			"  ∂/∂x = 2.5838531634528574\n",
			"  ∂/∂y = 2\n",
			"mode: " + want + "\n",
		} {
			if !strings.Contains(out, s) {
				t.Errorf("mode %q: text lacks %q:\n%s", mode, s, out)
			}
		}
	}
}

func TestJSONKeyOrder(t *testing.T) {
	out := ok(t, "grad", fExpr, "--at", fAt, "--json")
	want := `{"value": 6.909297426825682, "variables": ["x", "y"], "gradient": [2.5838531634528574, 2], "mode": "reverse"}` + "\n"
	if out != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
}

func TestJacobian(t *testing.T) {
	src := "x*y + sin(x); x - y; exp(x/y)"
	e := math.Exp(2.0 / 3)
	vals := []float64{fVal, -1, e}
	jac := [][]float64{fGrad, {1, -1}, {e / 3, -e * 2 / 9}}
	for _, c := range []struct{ mode, used string }{
		{"", "forward"}, // auto: 2 inputs < 3 outputs
		{"auto", "forward"},
		{"forward", "forward"},
		{"reverse", "reverse"},
	} {
		args := []string{"jacobian", src, "--at", fAt}
		if c.mode != "" {
			args = append(args, "--mode", c.mode)
		}
		m := okJSON(t, args...)
		checkNums(t, "values", nums(t, m["values"]), vals)
		checkMatrix(t, "jacobian", matrix(t, m["jacobian"]), jac)
		checkStrs(t, "variables", strs(t, m["variables"]), []string{"x", "y"})
		if m["mode"] != c.used {
			t.Errorf("--mode %q: used %v, want %s", c.mode, m["mode"], c.used)
		}
		out := ok(t, args...)
		if !strings.Contains(out, "mode: "+c.used) || !strings.Contains(out, "values: [6.909297426825682, -1, ") {
			t.Errorf("--mode %q: text:\n%s", c.mode, out)
		}
		if (c.mode == "" || c.mode == "auto") != strings.Contains(out, "picked by auto") {
			t.Errorf("--mode %q: text should say whether auto picked:\n%s", c.mode, out)
		}
	}
	// Auto picks reverse when outputs ≤ inputs.
	m := okJSON(t, "jacobian", "x*y; x+y", "--at", fAt)
	if m["mode"] != "reverse" {
		t.Errorf("2×2 auto: %v", m["mode"])
	}
	checkMatrix(t, "2×2", matrix(t, m["jacobian"]), [][]float64{{3, 2}, {1, 1}})
	out := ok(t, "jacobian", "x*y; x+y", "--at", fAt)
	if !strings.Contains(out, "mode: reverse (picked by auto: 2 outputs ≤ 2 inputs)") {
		t.Errorf("2×2 auto text:\n%s", out)
	}
	// One output, a trailing ';', and no variables.
	m = okJSON(t, "jacobian", "x*y;", "--at", fAt)
	checkMatrix(t, "1×2", matrix(t, m["jacobian"]), [][]float64{{3, 2}})
	m = okJSON(t, "jacobian", "1; 2")
	checkNums(t, "constant values", nums(t, m["values"]), []float64{1, 2})
	if j := m["jacobian"].([]any); len(j) != 2 || len(j[0].([]any)) != 0 {
		t.Errorf("no variables: jacobian %v", m["jacobian"])
	}
}

func TestHessian(t *testing.T) {
	m := okJSON(t, "hessian", fExpr, "--at", fAt)
	checkNums(t, "value", []float64{num(t, m["value"])}, []float64{fVal})
	checkNums(t, "gradient", nums(t, m["gradient"]), fGrad)
	checkMatrix(t, "hessian", matrix(t, m["hessian"]), fHess)
	checkStrs(t, "variables", strs(t, m["variables"]), []string{"x", "y"})
	out := ok(t, "hessian", fExpr, "--at", fAt)
	for _, s := range []string{"value: 6.909297426825682\n", "gradient: [2.5838531634528574, 2]\n", "hessian", "  [-0.9092974268256816, 1]\n", "  [1,                   0]\n"} {
		if !strings.Contains(out, s) {
			t.Errorf("text lacks %q:\n%s", s, out)
		}
	}
	m = okJSON(t, "hessian", "x^3*y^2 + exp(x*y)", "--at", "x=0.5,y=-1.5")
	x, y := 0.5, -1.5
	e := math.Exp(x * y)
	checkMatrix(t, "hessian 2", matrix(t, m["hessian"]), [][]float64{
		{6*x*y*y + y*y*e, 6*x*x*y + e + x*y*e},
		{6*x*x*y + e + x*y*e, 2*x*x*x + x*x*e},
	})
}

func TestUnusedVariable(t *testing.T) {
	m := okJSON(t, "grad", "x^2", "--at", "x=3,unused=7,y=1")
	checkStrs(t, "variables", strs(t, m["variables"]), []string{"x", "unused", "y"})
	checkNums(t, "gradient", nums(t, m["gradient"]), []float64{6, 0, 0})
	m = okJSON(t, "hessian", "x^2", "--at", "w=1,x=3")
	checkMatrix(t, "hessian", matrix(t, m["hessian"]), [][]float64{{0, 0}, {0, 2}})
	m = okJSON(t, "grad", "5", "--at", "x=1", "--mode", "forward")
	checkNums(t, "constant gradient", nums(t, m["gradient"]), []float64{0})
}

func TestVariableOrder(t *testing.T) {
	m := okJSON(t, "grad", "x - 2*y", "--at", "y=1,x=5")
	checkStrs(t, "variables", strs(t, m["variables"]), []string{"y", "x"})
	checkNums(t, "gradient", nums(t, m["gradient"]), []float64{-2, 1})
}

func TestNestedDerivatives(t *testing.T) {
	// d(x * d(x + y, y), x) = d(x * 1, x) = 1: no perturbation confusion.
	for _, at := range []string{"x=3,y=5", "x=-1.5,y=0", "x=0,y=100"} {
		for _, mode := range []string{"reverse", "forward"} {
			m := okJSON(t, "grad", "d(x * d(x + y, y), x)", "--at", at, "--mode", mode)
			checkNums(t, "value at "+at, []float64{num(t, m["value"])}, []float64{1})
			checkNums(t, "gradient at "+at, nums(t, m["gradient"]), []float64{0, 0})
		}
	}
	m := okJSON(t, "grad", "d(d(x^3, x), x)", "--at", "x=2")
	checkNums(t, "d²x³ value", []float64{num(t, m["value"])}, []float64{12})
	checkNums(t, "d²x³ gradient", nums(t, m["gradient"]), []float64{6})
	m = okJSON(t, "hessian", "d(d(x^3, x), x)", "--at", "x=2")
	checkMatrix(t, "d²x³ hessian", matrix(t, m["hessian"]), [][]float64{{0}})
	m = okJSON(t, "hessian", "d(d(d(x^5, x), x), x)", "--at", "x=2")
	checkNums(t, "d³x⁵", []float64{num(t, m["value"])}, []float64{60 * 4})
	checkNums(t, "d³x⁵ gradient", nums(t, m["gradient"]), []float64{120 * 2})
	checkMatrix(t, "d³x⁵ hessian", matrix(t, m["hessian"]), [][]float64{{120}})
	// The variable of d is free: d(x*y, y) = x; and d(y, x) = 0.
	m = okJSON(t, "jacobian", "d(x*y, y); d(y, x); d(x, x)", "--at", "x=4,y=7")
	checkNums(t, "values", nums(t, m["values"]), []float64{4, 0, 1})
	checkMatrix(t, "jacobian", matrix(t, m["jacobian"]), [][]float64{{1, 0}, {0, 0}, {0, 0}})
	if out := ok(t, "eval", "d(d(x^3, x), x)", "--at", "x=2"); out != "value: 12\n" {
		t.Errorf("eval: %q", out)
	}
}

func TestKinks(t *testing.T) {
	m := okJSON(t, "grad", "relu(x) + abs(y) + max(x, y) + min(x, y)", "--at", "x=0,y=0")
	checkNums(t, "relu, abs, max, min at 0", nums(t, m["gradient"]), []float64{0 + 0.5 + 0.5, 0 + 0.5 + 0.5})
	m = okJSON(t, "grad", "max(x, y)", "--at", "x=1,y=1")
	checkNums(t, "max tie", nums(t, m["gradient"]), []float64{0.5, 0.5})
	m = okJSON(t, "grad", "sqrt(x)", "--at", "x=0")
	if m["gradient"].([]any)[0] != "Inf" {
		t.Errorf("sqrt'(0): %v", m["gradient"])
	}
}

func TestNonFiniteJSON(t *testing.T) {
	for src, want := range map[string]string{"1/x": "Inf", "-1/x": "-Inf", "log(x - 1)": "NaN"} {
		out := ok(t, "eval", src, "--at", "x=0", "--json")
		if !strings.Contains(out, `"value": "`+want+`"`) {
			t.Errorf("%s: %s", src, out)
		}
	}
	out := ok(t, "eval", "x", "--at", "x=-inf")
	if out != "value: -Inf\n" {
		t.Errorf("--at x=-inf: %q", out)
	}
	m := okJSON(t, "grad", "x*2", "--at", "x=nan")
	if m["value"] != "NaN" {
		t.Errorf("--at x=nan: %v", m)
	}
}

func TestFlagPlacement(t *testing.T) {
	want := ok(t, "grad", fExpr, "--at", fAt, "--json")
	for _, args := range [][]string{
		{"grad", "--at", fAt, "--json", fExpr},
		{"--json", "grad", fExpr, "--at=" + fAt},
		{"--at", "x=2", "grad", "--json", "--at", "y=3", fExpr},
		{"grad", "-json", "-at", fAt, fExpr},
		{"grad", "--at", " x = 2 , y = 3 ,", fExpr, "--mode=reverse", "--json"},
		{"grad", "--json", "--at", fAt, "--", fExpr},
	} {
		if got := ok(t, args...); got != want {
			t.Errorf("%q: got %s want %s", args, got, want)
		}
	}
	// An expression that starts with '-'.
	if got := ok(t, "eval", "-x^2", "--at", "x=3"); got != "value: -9\n" {
		t.Errorf("-x^2: %q", got)
	}
	if got := ok(t, "eval", "-(x)^2", "--at", "x=3"); got != "value: -9\n" { // -(x^2), as in Python
		t.Errorf("-(x)^2: %q", got)
	}
	if got := ok(t, "eval", "(-x)^2", "--at", "x=3"); got != "value: 9\n" {
		t.Errorf("(-x)^2: %q", got)
	}
	if got := ok(t, "eval", "-x", "--at", "x=3"); got != "value: -3\n" {
		t.Errorf("-x: %q", got)
	}
	if got := ok(t, "eval", "---x", "--at", "x=3"); got != "value: -3\n" {
		t.Errorf("---x: %q", got)
	}
	if got := ok(t, "eval", "--at", "x=3", "--", "--x"); got != "value: 3\n" {
		t.Errorf("-- --x: %q", got)
	}
	if got := ok(t, "eval", "1", "-o", "-"); got != "value: 1\n" {
		t.Errorf("-o -: %q", got)
	}
	if got := ok(t, "eval", "--at", "h=3", "--", "-h"); got != "value: -3\n" {
		t.Errorf("-- -h: %q", got)
	}
	if got := ok(t, "eval", "--", "-2", "--json"); got != "{\"value\": -2, \"variables\": []}\n" {
		t.Errorf("-- -2 --json: %q", got)
	}
}

func TestHelp(t *testing.T) {
	// The global help.
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}, {"bogus", "-h"}, {"help", "bogus"}, {"--json", "-h"}} {
		out, errs, code := cli(t, args...)
		if code != 0 || errs != "" || !strings.HasPrefix(out, "usage: chainrule COMMAND") || !strings.Contains(out, "jacobian") {
			t.Errorf("%q: exit %d, stderr %q, stdout %q", args, code, errs, out)
		}
	}
	// Each command's own help: its usage line, its flags, an example.
	for _, cmd := range commands {
		flags := map[string][]string{
			"eval":     {"--at", "-f FILE", "-o FILE", "--json"},
			"grad":     {"--at", "--mode MODE", "reverse", "forward", "-f FILE"},
			"jacobian": {"--at", "--mode MODE", "auto", "-f FILE"},
			"hessian":  {"--at", "-f FILE"},
			"graph":    {"--at", "--mode MODE", "both", "--format FORMAT", "--precision N", "-f FILE"},
			"serve":    {"--addr HOST:PORT"},
		}[cmd]
		for _, args := range [][]string{{cmd, "--help"}, {cmd, "-h"}, {cmd, "x", "--at", "x=1", "-help"}, {"--help", cmd}, {"help", cmd}} {
			out, errs, code := cli(t, args...)
			if code != 0 || errs != "" || !strings.HasPrefix(out, "usage: chainrule "+cmd+" ") || !strings.Contains(out, "\nExample:\n  $ chainrule "+cmd+" ") {
				t.Errorf("%q: exit %d, stderr %q, stdout %q", args, code, errs, out)
				continue
			}
			for _, f := range flags {
				if !strings.Contains(out, "  "+f) && !strings.Contains(out, f) {
					t.Errorf("%q: help lacks %s:\n%s", args, f, out)
				}
			}
			if cmd != "graph" && strings.Contains(out, "--format") || cmd == "eval" && strings.Contains(out, "--mode") {
				t.Errorf("%q: help shows another command's flags:\n%s", args, out)
			}
		}
	}
	// A usage error points at the command's help.
	_, errs, _ := cli(t, "grad", "x", "--bogus")
	if !strings.HasSuffix(errs, "\nrun 'chainrule grad --help' for usage\n") {
		t.Errorf("usage hint: %q", errs)
	}
}

// shellWords splits a command line written with single quotes, as in the
// help examples.
func shellWords(line string) []string {
	var words []string
	var w strings.Builder
	in, any := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			in, any = !in, true
		case r == ' ' && !in:
			if any {
				words = append(words, w.String())
			}
			w.Reset()
			any = false
		default:
			w.WriteRune(r)
			any = true
		}
	}
	if any {
		words = append(words, w.String())
	}
	return words
}

// TestHelpExamples runs each command's help example and checks that it
// prints what the help says; the numbers are checked against closed forms
// by the command's own tests (TestGrad, TestHessian, …) and here for the
// ones those do not cover.
func TestHelpExamples(t *testing.T) {
	for _, cmd := range commands {
		if cmd == "serve" {
			continue // it runs until stopped: TestServe checks what it prints
		}
		line, want := helpExample(cmd)
		args := shellWords(line)
		if len(args) < 2 || args[0] != cmd {
			t.Errorf("%s: example %q", cmd, line)
			continue
		}
		if got := ok(t, args...); got != want {
			t.Errorf("%s: example %q prints\n%s\nbut the help says\n%s", cmd, line, got, want)
		}
	}
	// hessian 'x^2*y' at (2, 3): gradient (2xy, x²) = (12, 4), Hessian
	// [[2y, 2x], [2x, 0]] = [[6, 4], [4, 0]].
	m := okJSON(t, "hessian", "x^2*y", "--at", "x=2,y=3")
	checkNums(t, "gradient", nums(t, m["gradient"]), []float64{12, 4})
	checkMatrix(t, "hessian", matrix(t, m["hessian"]), [][]float64{{6, 4}, {4, 0}})
}

func TestOutputFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	out := ok(t, "grad", fExpr, "--at", fAt, "--json", "-o", path)
	if out != "" {
		t.Errorf("stdout with -o: %q", out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := ok(t, "grad", fExpr, "--at", fAt, "--json"); string(data) != want {
		t.Errorf("file: %q, want %q", data, want)
	}
	_, errs, code := cli(t, "eval", "1", "-o", filepath.Join(t.TempDir(), "no", "such", "dir"))
	if code != 2 || !strings.HasPrefix(errs, "chainrule: -o: ") {
		t.Errorf("unwritable -o: %d %q", code, errs)
	}
}

// TestErrors checks every class of bad input: exit status 2, one message
// on stderr starting "chainrule: ", nothing on stdout, no panic trace.
func TestErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string // the start of stderr after "chainrule: "
	}{
		// Syntax errors: position, the expression and a caret.
		{[]string{"eval", "x + * y", "--at", "x=1,y=2"}, "1:5: unexpected '*'\nx + * y\n    ^\n"},
		{[]string{"eval", "(x + 1", "--at", "x=1"}, "1:1: unclosed '('\n(x + 1\n^\n"},
		{[]string{"eval", "x )", "--at", "x=1"}, "1:3: unmatched ')'"},
		{[]string{"eval", "", "--at", "x=1"}, "1:1: "},
		{[]string{"eval", "2 $ 3"}, "1:3: "},
		{[]string{"eval", "x +\n  * y", "--at", "x=1,y=2"}, "2:3: unexpected '*'\n  * y\n  ^\n"},
		// Unknown function, wrong number of arguments.
		{[]string{"eval", "foo(x)", "--at", "x=1"}, "1:1: unknown function \"foo\"\nfoo(x)\n^\n"},
		{[]string{"eval", "1 + sin(x, y)", "--at", "x=1,y=2"}, "1:5: sin takes 1 argument, got 2\n1 + sin(x, y)\n    ^\n"},
		{[]string{"eval", "atan2(x)", "--at", "x=1"}, "1:1: atan2 takes 2 arguments, got 1"},
		{[]string{"eval", "d(x)", "--at", "x=1"}, "1:1: d takes 2 arguments, got 1"},
		// d's second argument must be a variable.
		{[]string{"eval", "d(x^2, 3)", "--at", "x=1"}, "1:8: d: second argument must be a variable\nd(x^2, 3)\n       ^\n"},
		{[]string{"grad", "d(x, x+1)", "--at", "x=1"}, "1:6: d: second argument must be a variable"},
		// --at.
		{[]string{"eval", "x", "--at", "x=abc"}, "--at: bad value \"abc\" for x\n"},
		{[]string{"eval", "x", "--at", "x="}, "--at: bad value \"\" for x\n"},
		{[]string{"eval", "x", "--at", "x=1e999"}, "--at: value \"1e999\" for x is out of range"},
		{[]string{"eval", "x", "--at", "x=-1e309"}, "--at: value \"-1e309\" for x is out of range"},
		{[]string{"eval", "x", "--at", "x"}, "--at: missing value for x"},
		{[]string{"eval", "x", "--at", "=1"}, "--at: missing variable name"},
		{[]string{"eval", "x", "--at", "2x=1"}, "--at: bad variable name \"2x\""},
		{[]string{"eval", "x", "--at", "sin=1"}, "--at: \"sin\" is a function name, not a variable"},
		{[]string{"eval", "x", "--at", "x=1,x=2"}, "--at: x is given twice"},
		{[]string{"eval", "x", "--at"}, "--at needs a value"},
		{[]string{"eval", "x", "--at", "--json"}, "--at needs a value"},
		// A variable missing from --at, with its position.
		{[]string{"eval", "x + z", "--at", "x=1"}, "1:5: variable \"z\" is not given in --at\nx + z\n    ^\n"},
		{[]string{"grad", "x * y"}, "1:1: variable \"x\" is not given in --at"},
		{[]string{"hessian", "d(x, q)", "--at", "x=1"}, "1:6: variable \"q\" is not given in --at"},
		{[]string{"jacobian", "x; y", "--at", "x=1"}, "1:4: variable \"y\" is not given in --at"},
		// ';' outside jacobian.
		{[]string{"grad", "x; y", "--at", "x=1,y=2"}, "1:2: unexpected ';': grad takes a single expression"},
		{[]string{"eval", "x;", "--at", "x=1"}, "1:2: unexpected ';': eval takes a single expression"},
		{[]string{"hessian", "x; y", "--at", "x=1,y=2"}, "1:2: unexpected ';': hessian"},
		{[]string{"graph", "x; y", "--at", "x=1,y=2"}, "1:2: unexpected ';': graph"},
		{[]string{"jacobian", "x;; y", "--at", "x=1,y=2"}, "1:3: "},
		// Commands and flags.
		{[]string{}, "missing command"},
		{[]string{"bogus", "x"}, "unknown command \"bogus\""},
		{[]string{"grad"}, "grad needs an expression"},
		{[]string{"grad", "x", "y", "--at", "x=1"}, "unexpected argument \"y\""},
		{[]string{"grad", "x", "--at", "x=1", "--bogus"}, "unknown flag --bogus"},
		{[]string{"grad", "x", "--at", "x=1", "-v"}, "unknown flag -v"},
		{[]string{"grad", "-v", "x", "--at", "x=1"}, "unknown flag -v"},
		{[]string{"-v", "grad", "x"}, "unknown flag -v"},
		{[]string{"eval", "--x", "--at", "x=1"}, "unknown flag --x\n"},
		{[]string{"eval", "x", strings.Repeat("-", 60)}, "unknown flag " + strings.Repeat("-", 40) + "…\n"},
		{[]string{"grad", "x", "--json=yes"}, "--json takes no value"},
		{[]string{"grad", "x", "--at", "x=1", "--mode", "sideways"}, "--mode \"sideways\": grad takes forward, reverse"},
		{[]string{"grad", "x", "--at", "x=1", "--mode", "both"}, "--mode \"both\": grad takes forward, reverse"},
		{[]string{"jacobian", "x", "--at", "x=1", "--mode", "both"}, "--mode \"both\": jacobian takes"},
		{[]string{"graph", "x", "--at", "x=1", "--mode", "auto"}, "--mode \"auto\": graph takes"},
		{[]string{"eval", "x", "--at", "x=1", "--mode", "forward"}, "--mode is not used by eval"},
		{[]string{"hessian", "x", "--at", "x=1", "--mode", "forward"}, "--mode is not used by hessian"},
		{[]string{"grad", "x", "--at", "x=1", "--format", "dot"}, "--format is only for graph"},
		{[]string{"graph", "x", "--at", "x=1", "--format", "png"}, "--format \"png\": graph takes text, dot, svg or html"},
		{[]string{"graph", "x", "--at", "x=1", "-o"}, "-o needs a value"},
		{[]string{"graph", "x", "--at", "x=1", "-o="}, "-o needs a file name"},
	}
	for _, c := range cases {
		out, errs, code := cli(t, c.args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2", c.args, code)
		}
		if out != "" {
			t.Errorf("%q: stdout %q", c.args, out)
		}
		if !strings.HasPrefix(errs, "chainrule: "+c.want) {
			t.Errorf("%q:\n got stderr %q\nwant prefix %q", c.args, errs, "chainrule: "+c.want)
		}
		if strings.Contains(errs, "goroutine") || strings.Contains(errs, "panic") || strings.Contains(errs, "internal error") {
			t.Errorf("%q: stderr %q", c.args, errs)
		}
	}
}

// panicWriter panics on Write, to check that run turns any panic into an
// internal error.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom") }

func TestInternalErrorRecovered(t *testing.T) {
	var errb bytes.Buffer
	code := run([]string{"eval", "1"}, panicWriter{}, &errb)
	if code != 2 || errb.String() != "chainrule: internal error: boom\n" {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestEchoQuoted checks that an error message repeating a command-line
// word escapes what a terminal would act on and clips what is long.
func TestEchoQuoted(t *testing.T) {
	long := strings.Repeat("a", 100_000)
	cases := []struct {
		args []string
		want string // the whole of stderr's first line
	}{
		{[]string{"eval", "x", "--\x1b[2J"}, `chainrule: unknown flag "--\x1b[2J"`},
		{[]string{"eval", "x", "--b\xffad"}, `chainrule: unknown flag "--b\xffad"`},
		{[]string{"eval", "x", "--" + long}, "chainrule: unknown flag --" + strings.Repeat("a", 38) + "…"},
		{[]string{"\x1b]0;pwned\x07", "x"}, `chainrule: unknown command "\x1b]0;pwned\a" (commands: eval, grad, jacobian, hessian, graph, serve)`},
		{[]string{"eval", "x", "--at", long}, "chainrule: --at: missing value for " + strings.Repeat("a", 40) + "… (write " + strings.Repeat("a", 40) + "…=VALUE)"},
		{[]string{"eval", "x", "--at", "x=" + long}, `chainrule: --at: bad value "` + strings.Repeat("a", 40) + `…" for x`},
		{[]string{"eval", "x", "--at", "\x1b[2J=1"}, `chainrule: --at: bad variable name "\x1b[2J"`},
		{[]string{"graph", "x", "--format", "\x1b[2J"}, `chainrule: --format "\x1b[2J": graph takes text, dot, svg or html`},
		{[]string{"grad", "x", "--at", "x=1", "--mode", "\u202eesrever"}, `chainrule: --mode "\u202eesrever": grad takes forward, reverse`},
		{[]string{"eval", "x", "y\x1b[2J"}, `chainrule: unexpected argument "y\x1b[2J" after the expression`},
	}
	// A long variable name in the expression: the message names it
	// clipped (the source excerpt under it is the expression package's).
	_, errs, _ := cli(t, "eval", "x + "+long, "--at", "x=1")
	if first, _, _ := strings.Cut(errs, "\n"); first != `chainrule: 1:5: variable "`+strings.Repeat("a", 40)+`…" is not given in --at` {
		t.Errorf("long variable: %.200q", first)
	}
	for _, c := range cases {
		_, errs, code := cli(t, c.args...)
		first, _, _ := strings.Cut(errs, "\n")
		if code != 2 || !strings.HasPrefix(first, c.want) {
			t.Errorf("%.60q: exit %d, stderr\n%.300q\nwant first line starting\n%.300q", c.args, code, first, c.want)
		}
		if strings.ContainsAny(errs, "\x1b\x07\u202e") || !utf8.ValidString(errs) || len(errs) > 1000 {
			t.Errorf("%.60q: stderr not clean (%d bytes): %.300q", c.args, len(errs), errs)
		}
	}
}

// TestJSONErrors checks that with --json every error is one JSON object on
// standard error with the message, the kind and, for an error in the
// expression, its line and column; the exit status is still 2.
func TestJSONErrors(t *testing.T) {
	cases := []struct {
		args      []string
		msg, kind string
		line, col int // 0: no position
	}{
		{[]string{"eval", "x + * y", "--at", "x=1,y=2", "--json"}, "unexpected '*'", "syntax", 1, 5},
		{[]string{"eval", "x +\n  * y", "--at", "x=1,y=2", "--json"}, "unexpected '*'", "syntax", 2, 3},
		{[]string{"--json", "grad", "x + z", "--at", "x=1"}, `variable "z" is not given in --at`, "syntax", 1, 5},
		{[]string{"grad", "x", "--bogus", "--json"}, "unknown flag --bogus", "usage", 0, 0},
		{[]string{"grad", "x", "--json", "--bogus"}, "unknown flag --bogus", "usage", 0, 0},
		{[]string{"-json"}, "missing command (one of eval, grad, jacobian, hessian, graph, serve)", "usage", 0, 0},
		{[]string{"graph", "x", "--at", "x=1", "--format", "dot", "--json"}, "--json and --format dot do not go together", "usage", 0, 0},
		{[]string{"eval", "x", "--at", "x=1e999", "--json"}, `--at: value "1e999" for x is out of range (a float64 holds magnitudes up to about 1.8e308)`, "value", 0, 0},
		{[]string{"eval", "x", "--at", "x=abc", "--json"}, `--at: bad value "abc" for x`, "value", 0, 0},
		{[]string{"eval", "x", "--at", "x=1", "--json", "-o", filepath.Join(t.TempDir(), "no", "dir")}, "", "io", 0, 0},
	}
	for _, c := range cases {
		out, errs, code := cli(t, c.args...)
		if code != 2 || out != "" {
			t.Errorf("%q: exit %d, stdout %q", c.args, code, out)
		}
		if strings.Count(errs, "\n") != 1 || !strings.HasSuffix(errs, "}\n") {
			t.Errorf("%q: not one JSON line: %q", c.args, errs)
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(errs), &m); err != nil {
			t.Errorf("%q: bad JSON %q: %v", c.args, errs, err)
			continue
		}
		if c.msg != "" && m["error"] != c.msg || m["kind"] != c.kind {
			t.Errorf("%q: error %q kind %v, want %q %s", c.args, m["error"], m["kind"], c.msg, c.kind)
		}
		line, hasLine := m["line"]
		col, hasCol := m["column"]
		if c.line == 0 && (hasLine || hasCol) || c.line != 0 && (line != float64(c.line) || col != float64(c.col)) {
			t.Errorf("%q: line %v column %v, want %d:%d", c.args, line, col, c.line, c.col)
		}
	}
	// Plain mode: the same error as text with its position, never a trace.
	_, errs, code := cli(t, "eval", "x + * y", "--at", "x=1,y=2")
	if code != 2 || errs != "chainrule: 1:5: unexpected '*'\nx + * y\n    ^\n" {
		t.Errorf("plain: exit %d, %q", code, errs)
	}
	// An internal error is JSON too.
	var errb bytes.Buffer
	code = run([]string{"eval", "1", "--json"}, panicWriter{}, &errb)
	if code != 2 || errb.String() != `{"error": "internal error: boom", "kind": "internal"}`+"\n" {
		t.Errorf("internal: exit %d, %q", code, errb.String())
	}
}

// TestSourceFile checks -f FILE and -f - (standard input): the same
// results as the expression on the command line, errors at line:column of
// the file, and the size limit.
func TestSourceFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(path, []byte("x*y\n  + sin(x)\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	want := ok(t, "grad", fExpr, "--at", fAt, "--json")
	if got := ok(t, "grad", "-f", path, "--at", fAt, "--json"); got != want {
		t.Errorf("-f: %s, want %s", got, want)
	}
	if got := ok(t, "grad", "--file="+path, "--at", fAt, "--json"); got != want {
		t.Errorf("--file=: %s, want %s", got, want)
	}
	stdin := func(src string, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := runner{stdin: strings.NewReader(src)}.run(args, &out, &errb)
		return out.String(), errb.String(), code
	}
	if got, errs, code := stdin(fExpr, "grad", "--at", fAt, "-f", "-", "--json"); got != want || code != 0 {
		t.Errorf("-f -: %s %s, want %s", got, errs, want)
	}
	// A jacobian over several lines.
	if got, _, _ := stdin("x*y;\nx - y;\n", "jacobian", "-f", "-", "--at", fAt, "--json"); !strings.Contains(got, `"jacobian": [[3, 2], [1, -1]]`) {
		t.Errorf("jacobian -f -: %s", got)
	}
	// A 140 KB expression, more than fits in one argument on Linux
	// (MAX_ARG_STRLEN is 128 KiB), with its value and gradient from
	// bigExpr's direct computation.
	big, val, grad := bigExpr(10000)
	if len(big) < 140_000 {
		t.Fatalf("big expression is only %d bytes", len(big))
	}
	out, errs, code := stdin(big, "grad", "-f", "-", "--at", "x=0.5,y=2", "--json")
	if code != 0 {
		t.Fatalf("140 KB from stdin: %s", errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	checkNums(t, "big value", []float64{num(t, m["value"])}, []float64{val})
	checkNums(t, "big gradient", nums(t, m["gradient"]), grad[:])

	// Errors point into the file: FILE:line:column.
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("x +\n\n  y * * 2\n"), 0o666)
	_, errs, code = cli(t, "eval", "-f", bad, "--at", "x=1,y=2")
	if wantErr := "chainrule: " + bad + ":3:7: unexpected '*'\n  y * * 2\n      ^\n"; code != 2 || errs != wantErr {
		t.Errorf("error in file:\n got %q\nwant %q", errs, wantErr)
	}
	_, errs, _ = stdin("x +\n z", "eval", "-f", "-", "--at", "x=1")
	if !strings.HasPrefix(errs, "chainrule: <stdin>:2:2: variable \"z\" is not given in --at\n") {
		t.Errorf("error in stdin: %q", errs)
	}
	_, errs, _ = cli(t, "eval", "-f", bad, "--at", "x=1,y=2", "--json")
	m = nil
	if err := json.Unmarshal([]byte(errs), &m); err != nil || m["file"] != bad || m["line"] != 3.0 || m["column"] != 7.0 || m["kind"] != "syntax" {
		t.Errorf("JSON error in file: %s", errs)
	}

	// Misuse and I/O errors.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "-f", path, "x"}, "chainrule: eval has both -f " + path + " and an expression (\"x\"); give one\n"},
		{[]string{"eval", "-f"}, "chainrule: -f needs a value\n"},
		{[]string{"eval", "-f="}, "chainrule: -f needs a file name (- for standard input)\n"},
		{[]string{"eval", "-f", path, "-f", path}, "chainrule: -f is given twice\n"},
		{[]string{"eval", "-f", filepath.Join(dir, "missing")}, "chainrule: -f: open " + filepath.Join(dir, "missing") + ": no such file or directory\n"},
		{[]string{"eval", "-f", dir}, "chainrule: -f " + dir + ": read " + dir + ": is a directory\n"},
	} {
		_, errs, code := cli(t, c.args...)
		if code != 2 || !strings.HasPrefix(errs, c.want) {
			t.Errorf("%q: exit %d\n got %q\nwant %q", c.args, code, errs, c.want)
		}
	}
	// The size limit, checked before parsing: maxSource bytes are read,
	// one more is refused.
	huge := strings.Repeat(" ", maxSource) + "1"
	_, errs, code = stdin(huge, "eval", "-f", "-")
	if code != 2 || errs != "chainrule: -f -: the expression is longer than the limit of 16 MiB\n" {
		t.Errorf("over the limit: %d %q", code, errs)
	}
	if out, errs, _ := stdin(huge[1:], "eval", "-f", "-"); out != "value: 1\n" {
		t.Errorf("at the limit: %q %q", out, errs)
	}
}

// TestLimits checks that each command refuses, quickly and before doing
// the work, an input past its documented limit, and accepts one at it.
func TestLimits(t *testing.T) {
	vars := func(n int) string {
		at := make([]string, n)
		for i := range at {
			at[i] = fmt.Sprintf("x%d=%d", i, i%7)
		}
		return strings.Join(at, ",")
	}
	sum := func(n int) string {
		terms := make([]string, n)
		for i := range terms {
			terms[i] = fmt.Sprintf("x%d", i)
		}
		return strings.Join(terms, "+")
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"eval", "x0", "--at", vars(maxVars + 1)}, "chainrule: 10001 variables in --at: the limit is 10000\n"},
		{[]string{"hessian", "x0*x1", "--at", vars(1025)}, "chainrule: hessian of 1025 variables: a 1025×1025 matrix has more than the limit of 1048576 entries (at most 1024 variables)\n"},
		{[]string{"hessian", "x0*x1", "--at", vars(10_000)}, "chainrule: hessian of 10000 variables: "},
		{[]string{"jacobian", strings.Repeat("x0;", 200), "--at", vars(5243)}, "chainrule: jacobian of 200 outputs and 5243 variables: 1048600 entries, more than the limit of 1048576\n"},
		{[]string{"grad", sum(2000), "--at", vars(9000), "--mode", "forward"}, "chainrule: grad --mode forward: 9000 variables × an expression of 3999 nodes is more tangent work than the limit of 16777216 (use --mode reverse)\n"},
		{[]string{"jacobian", sum(2000) + ";" + sum(2000), "--at", vars(2100), "--mode", "forward"}, "chainrule: jacobian by forward mode: 2100 variables × an expression of 7998 nodes"},
		{[]string{"graph", sum(3000), "--at", vars(3000)}, "chainrule: graph of 5999 nodes and 3000 variables: the tangent table has more than the limit of 1048576 entries (use --mode reverse, or fewer variables)\n"},
		{[]string{"graph", "x0" + strings.Repeat("+1", maxGraphNodes), "--at", "x0=1", "--mode", "reverse"}, "chainrule: graph of 100001 nodes: more than the limit of 100000\n"},
	}
	for _, c := range cases {
		out, errs, code := cli(t, c.args...)
		if code != 2 || out != "" || !strings.HasPrefix(errs, c.want) {
			t.Errorf("%.80q: exit %d, stderr %.300q, want %q", c.args, code, errs, c.want)
		}
	}
	// The kind, for --json.
	_, errs, _ := cli(t, "hessian", "x0", "--at", vars(1025), "--json")
	if !strings.HasPrefix(errs, `{"error": "hessian of 1025 variables: `) || !strings.HasSuffix(errs, `", "kind": "limit"}`+"\n") {
		t.Errorf("JSON: %q", errs)
	}
	// At the limits: a 1024×1024 Hessian of x0*x1 + x1023^2 (1 at [0][1]
	// and [1][0], 2 at [1023][1023], 0 elsewhere), and the graph of 3000
	// variables by reverse mode (gradient 1 for each).
	if testing.Short() {
		return
	}
	m := okJSON(t, "hessian", "x0*x1 + x1023^2", "--at", vars(1024))
	h := matrix(t, m["hessian"])
	nonzero := 0
	for i, row := range h {
		if len(row) != 1024 {
			t.Fatalf("row %d has %d entries", i, len(row))
		}
		for _, x := range row {
			if x != 0 {
				nonzero++
			}
		}
	}
	if len(h) != 1024 || h[0][1] != 1 || h[1][0] != 1 || h[1023][1023] != 2 || nonzero != 3 {
		t.Errorf("1024×1024 Hessian: %d rows, %d nonzero", len(h), nonzero)
	}
	m = okJSON(t, "graph", sum(3000), "--at", vars(3000), "--mode", "reverse")
	want := make([]float64, 3000)
	for i := range want {
		want[i] = 1
	}
	checkNums(t, "graph gradient", nums(t, m["gradient"]), want)
}
