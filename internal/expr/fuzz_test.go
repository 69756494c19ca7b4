package expr

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"x", "2.5", ".5", "1e-3", "2.5E+4", "x*y + sin(x)", "-x^2", "2^-x",
		"2^3^2", "a**b", "-(x+1)^2", "2^-(x)^2", "x^-y^z", "exp(-(x-1)^2/2)", "x * -y", "--x", "8/4/2", "2-3-4", "(a+b)*c",
		"pow(x, 2)", "atan2(y, x)", "max(min(a, b), hypot(a, b))",
		"d(x^3, x)", "d(d(x^3, x), x)", "d(x*y, y)", "x; y; z;", "2*pi*e", "ln(x)", "pi(2)", "d(x, e)",
		"x +\n  y *\r\n\tsin(2)", "x + * y", "foo(x)", "sin(x, y)", "(x",
		"x)", "1e", "1.2.3", "x # y", "d(x, 2)", "sin", "\xff", "α + 1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		list, err := ParseList(src)
		one, err1 := Parse(src)
		if err1 == nil {
			if err != nil || len(list) != 1 || String(list[0]) != String(one) {
				t.Fatalf("Parse succeeds but ParseList gives %d nodes, %v", len(list), err)
			}
		} else {
			checkError(t, src, err1)
		}
		if err != nil {
			checkError(t, src, err)
			return
		}
		var parts []string
		for _, n := range list {
			s := String(n)
			n2, err := Parse(s)
			if err != nil {
				t.Fatalf("String(Parse(%q)) = %q does not parse: %v", src, s, err)
			}
			if s2 := String(n2); s2 != s {
				t.Fatalf("String not a fixed point for %q:\n%q\n%q", src, s, s2)
			}
			if !sameTree(n2, n) {
				t.Fatalf("Parse(String(Parse(%q))) is another tree: %q", src, s)
			}
			for _, v := range Vars(n) {
				if _, isFunc := Arity(v); isFunc {
					t.Fatalf("Vars(%q) contains function name %q", src, v)
				}
				if _, isConst := Constant(v); isConst {
					t.Fatalf("Vars(%q) contains constant %q", src, v)
				}
			}
			if countDerivs(n) <= 3 {
				env := map[string]float64{}
				for i, v := range Vars(n) {
					env[v] = float64(i) + 0.5
				}
				Eval(n, floatOps(env)) // must not panic
			}
			parts = append(parts, s)
		}
		joined := strings.Join(parts, "; ")
		list2, err := ParseList(joined)
		if err != nil || len(list2) != len(list) {
			t.Fatalf("ParseList(%q) = %d nodes, %v; want %d nodes", joined, len(list2), err, len(list))
		}
	})
}

// checkError checks that err is an *Error positioned inside src.
func checkError(t *testing.T, src string, err error) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %T (%v), want *Error", err, err)
	}
	lines := strings.Split(src, "\n")
	p := pe.Pos
	if p.Line < 1 || p.Line > len(lines) || p.Col < 1 || p.Col > utf8.RuneCountInString(lines[p.Line-1])+1 {
		t.Fatalf("Parse(%q): error position %v out of range: %v", src, p, err)
	}
	msg := pe.Error()
	if !strings.HasPrefix(msg, p.String()+": "+pe.Msg) {
		t.Fatalf("Error() = %q does not start with position and message", msg)
	}
	// The input is echoed escaped and clipped.
	for _, line := range strings.Split(msg, "\n") {
		checkShown(t, line)
	}
	if len(msg) > 1000 {
		t.Fatalf("Error() is %d bytes long: %.200q", len(msg), msg)
	}
}

func countDerivs(n Node) int {
	c := 0
	stack := []Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch n := n.(type) {
		case *Unary:
			stack = append(stack, n.X)
		case *Binary:
			stack = append(stack, n.X, n.Y)
		case *Call:
			stack = append(stack, n.Args...)
		case *Deriv:
			c++
			stack = append(stack, n.X)
		}
	}
	return c
}
