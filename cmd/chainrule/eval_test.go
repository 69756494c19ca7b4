package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/internal/expr"
)

// Prefix minus binds less tightly than ^, a parenthesis after it included,
// as in Python; the expected values are closed forms.
func TestNegationPrecedence(t *testing.T) {
	cases := []struct {
		src  string
		at   string
		want float64
	}{
		{"-(x+1)^2", "x=2", -9},
		{"- (x+1)^2", "x=2", -9},
		{"-(x+1)**2", "x=2", -9},
		{"exp(-(x-1)^2/2)", "x=2", math.Exp(-0.5)},
		{"-(x)^2", "x=3", -9},
		{"(-(x))^2", "x=3", 9},
		{"2^-x^2", "x=2", 1.0 / 16},
		{"2^-(x)^2", "x=2", 1.0 / 16},
		{"x^-y^z", "x=2,y=3,z=0.5", math.Pow(2, -math.Sqrt(3))},
		{"x*-y^2", "x=2,y=3", -18},
	}
	for _, c := range cases {
		m := okJSON(t, "eval", c.src, "--at", c.at)
		if got := num(t, m["value"]); !close(got, c.want) {
			t.Errorf("%s at %s = %v, want %v", c.src, c.at, got, c.want)
		}
	}
	// The Gaussian's gradient: d/dx exp(-(x-1)^2/2) = -(x-1) exp(-(x-1)^2/2).
	m := okJSON(t, "grad", "exp(-(x-1)^2/2)", "--at", "x=2")
	checkNums(t, "gradient", nums(t, m["gradient"]), []float64{-math.Exp(-0.5)})
}

// nestedD returns d(d(…d(x * sin(x), x)…, x), x) with k d's.
func nestedD(k int) string {
	return strings.Repeat("d(", k) + "x * sin(x)" + strings.Repeat(", x)", k)
}

// dxsin returns the k-th derivative of x sin x at x:
// x sin(x + kπ/2) + k sin(x + (k-1)π/2).
func dxsin(k int, x float64) float64 {
	fk := float64(k)
	return x*math.Sin(x+fk*math.Pi/2) + fk*math.Sin(x+(fk-1)*math.Pi/2)
}

// Derivatives nest up to expr.MaxDerivDepth levels, checked against the
// closed form; one more is refused, at the d that goes too deep.
func TestDerivDepthLimit(t *testing.T) {
	const x = 0.7
	k := expr.MaxDerivDepth
	m := okJSON(t, "hessian", nestedD(k), "--at", "x=0.7")
	checkNums(t, "value", []float64{num(t, m["value"])}, []float64{dxsin(k, x)})
	checkNums(t, "gradient", nums(t, m["gradient"]), []float64{dxsin(k+1, x)})
	checkMatrix(t, "hessian", matrix(t, m["hessian"]), [][]float64{{dxsin(k+2, x)}})

	src := "1 + " + nestedD(k+1)
	out, errs, code := cli(t, "eval", src, "--at", "x=0.7")
	col := len("1 + ") + 2*k + 1
	want := fmt.Sprintf("chainrule: 1:%d: derivatives nested too deeply (more than %d levels of d)\n%s\n%s^\n", col, k, src, strings.Repeat(" ", col-1))
	if code != 2 || out != "" || errs != want {
		t.Errorf("%d levels: exit %d, stdout %q, stderr\n%s\nwant\n%s", k+1, code, out, errs, want)
	}
	// A pathological nesting is refused by the parser.
	_, errs, code = cli(t, "grad", strings.Repeat("d(", 10000)+"x"+strings.Repeat(", x)", 10000), "--at", "x=1")
	if code != 2 || !strings.Contains(errs, "derivatives nested too deeply") {
		t.Errorf("10000 levels: exit %d, stderr %.100q", code, errs)
	}
}

// BenchmarkNestedD evaluates k nested derivatives; bytes/op shows the
// growth per level.
func BenchmarkNestedD(b *testing.B) {
	for _, k := range []int{2, 4, 6, 8} {
		b.Run(fmt.Sprint("depth=", k), func(b *testing.B) {
			args := []string{"eval", nestedD(k), "--at", "x=0.7"}
			b.ReportAllocs()
			for b.Loop() {
				if run(args, io.Discard, io.Discard) != 0 {
					b.Fatal("failed")
				}
			}
		})
	}
}

// Error messages echo the expression escaped and clipped around the error.
func TestErrorEcho(t *testing.T) {
	long := strings.Repeat("v", 100000)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"eval", "x + \x1b[2J", "--at", "x=1"}, "chainrule: 1:5: invalid character '\\x1b'\nx + \\x1b[2J\n    ^\n"},
		{[]string{"eval", "x + * y\x1b]0;pwned\x07", "--at", "x=1,y=2"}, "chainrule: 1:5: unexpected '*'\nx + * y\\x1b]0;pwned\\a\n    ^\n"},
		{[]string{"eval", "x\r+ " + long, "--at", "x=1"}, "chainrule: 1:5: variable \"" + strings.Repeat("v", 40) + "…\" is not given in --at\nx\\r+ " + strings.Repeat("v", expr.MaxEcho-5) + "…\n     ^\n"},
	}
	for _, c := range cases {
		out, errs, code := cli(t, c.args...)
		if code != 2 || out != "" || errs != c.want {
			t.Errorf("%.30q: exit %d, stderr\n%s\nwant\n%s", c.args[1], code, errs, c.want)
		}
	}
	// The error position deep inside a long line.
	src := long + " + * 2"
	_, errs, _ := cli(t, "eval", src)
	lines := strings.Split(errs, "\n")
	if len(errs) > 300 || len(lines) != 4 || !strings.HasPrefix(lines[0], "chainrule: 1:100004: unexpected '*'") {
		t.Fatalf("long line: %d bytes: %.300q", len(errs), errs)
	}
	text, caret := []rune(lines[1]), lines[2]
	if i := len(caret) - 1; i >= len(text) || text[i] != '*' || text[0] != '…' {
		t.Errorf("long line: caret not under '*':\n%s\n%s", lines[1], caret)
	}
}

// pi and e are constants; --at cannot give them a value.
func TestConstants(t *testing.T) {
	m := okJSON(t, "grad", "sin(pi*x) + e^x", "--at", "x=0.25")
	checkNums(t, "value", []float64{num(t, m["value"])}, []float64{math.Sin(math.Pi/4) + math.Exp(0.25)})
	checkNums(t, "gradient", nums(t, m["gradient"]), []float64{math.Pi*math.Cos(math.Pi/4) + math.Exp(0.25)})
	for _, c := range []struct{ at, want string }{
		{"pi=3", "chainrule: --at: pi is a constant (3.141592653589793), not a variable\n"},
		{"x=1,e=2", "chainrule: --at: e is a constant (2.718281828459045), not a variable\n"},
	} {
		out, errs, code := cli(t, "eval", "x", "--at", c.at)
		if code != 2 || out != "" || errs != c.want {
			t.Errorf("--at %s: exit %d, stderr %q, want %q", c.at, code, errs, c.want)
		}
	}
	// An unknown function suggests the nearest known one.
	_, errs, code := cli(t, "eval", "ln(x) + 1", "--at", "x=1")
	if want := "chainrule: 1:1: unknown function \"ln\" (did you mean log?)\nln(x) + 1\n^\n"; code != 2 || errs != want {
		t.Errorf("ln: exit %d, stderr %q, want %q", code, errs, want)
	}
}
