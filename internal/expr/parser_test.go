package expr

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t testing.TB, src string) Node {
	t.Helper()
	n, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return n
}

func TestString(t *testing.T) {
	tests := []struct{ src, want string }{
		// Atoms and literals.
		{"x", "x"},
		{"_a1", "_a1"},
		{"2", "2"},
		{"2.5", "2.5"},
		{".5", "0.5"},
		{"1.", "1"},
		{"1e-3", "0.001"},
		{"2.5E+4", "25000"},
		{"1e21", "1e+21"},
		{"0.1", "0.1"},
		{"007", "7"},
		{"1e-400", "0"},
		// Precedence.
		{"x*y + sin(x)", "(x * y) + sin(x)"},
		{"a + b*c", "a + (b * c)"},
		{"a*b + c", "(a * b) + c"},
		{"(a+b)*c", "(a + b) * c"},
		{"a*b^c", "a * (b ^ c)"},
		{"a^b*c", "(a ^ b) * c"},
		{"a / b ^ c", "a / (b ^ c)"},
		// Associativity.
		{"a+b+c", "a + b + c"},
		{"a-b-c", "a - b - c"},
		{"a-b+c-e", "a - b + c - e"},
		{"a-(b-c)", "a - (b - c)"},
		{"a+(b+c)", "a + (b + c)"},
		{"a/b/c", "a / b / c"},
		{"a/b*c", "a / b * c"},
		{"a/(b*c)", "a / (b * c)"},
		{"2^3^2", "2 ^ (3 ^ 2)"},
		{"(2^3)^2", "(2 ^ 3) ^ 2"},
		{"a**b**c", "a ^ (b ^ c)"},
		{"a ** b", "a ^ b"},
		// Prefix operators.
		{"-x", "-x"},
		{"+x", "+x"},
		{"-2", "-2"},
		{"-x^2", "-(x ^ 2)"},
		{"(-x)^2", "(-x) ^ 2"},
		{"2^-x", "2 ^ (-x)"},
		{"2^-x^2", "2 ^ (-(x ^ 2))"},
		{"-2^-3^4", "-(2 ^ (-(3 ^ 4)))"},
		{"x * -y", "x * (-y)"},
		{"x / -y", "x / (-y)"},
		{"x - -y", "x - (-y)"},
		{"x + +y", "x + (+y)"},
		{"--x", "-(-x)"},
		{"-+-x", "-(+(-x))"},
		{"-x*y", "(-x) * y"},
		{"-x+y", "(-x) + y"},
		{"-(x+y)", "-(x + y)"},
		{"-sin(x)", "-sin(x)"},
		// Calls and derivatives.
		{"sin(x)", "sin(x)"},
		{"pow(x+1, 2)", "pow(x + 1, 2)"},
		{"atan2(y, x)", "atan2(y, x)"},
		{"max(min(a,b),hypot(a,b))", "max(min(a, b), hypot(a, b))"},
		{"d(x^3, x)", "d(x ^ 3, x)"},
		{"d(d(x^3,x),x)", "d(d(x ^ 3, x), x)"},
		{"d(x, (y))", "d(x, y)"},
		{"sigmoid(relu(softplus(erf(x))))", "sigmoid(relu(softplus(erf(x))))"},
		// Redundant parentheses and whitespace.
		{"((x))", "x"},
		{" \t(\n x \r\n+ y ) ", "x + y"},
		{"sinx", "sinx"},
		{"sin(x)*2", "sin(x) * 2"},
	}
	for _, tt := range tests {
		n, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if got := String(n); got != tt.want {
			t.Errorf("String(Parse(%q)) = %q, want %q", tt.src, got, tt.want)
			continue
		}
		n2, err := Parse(tt.want)
		if err != nil {
			t.Errorf("Parse(%q) (re-parse): %v", tt.want, err)
		} else if got := String(n2); got != tt.want {
			t.Errorf("String(Parse(%q)) = %q, not a fixed point", tt.want, got)
		}
	}
}

func TestTree(t *testing.T) {
	n := mustParse(t, "-x^2 * sin(y)")
	want := &Binary{Op: '*', At: Pos{1, 6},
		X: &Unary{Op: '-', At: Pos{1, 1},
			X: &Binary{Op: '^', At: Pos{1, 3},
				X: &Var{Name: "x", At: Pos{1, 2}},
				Y: &Num{Value: 2, At: Pos{1, 4}}}},
		Y: &Call{Func: "sin", At: Pos{1, 8}, Args: []Node{&Var{Name: "y", At: Pos{1, 12}}}},
	}
	if !reflect.DeepEqual(n, want) {
		t.Errorf("got %#v\nwant %#v", n, want)
	}

	n = mustParse(t, "d(x ** 2,\n   x)")
	wantD := &Deriv{At: Pos{1, 1}, Var: "x", VarPos: Pos{2, 4},
		X: &Binary{Op: '^', At: Pos{1, 5},
			X: &Var{Name: "x", At: Pos{1, 3}},
			Y: &Num{Value: 2, At: Pos{1, 8}}}}
	if !reflect.DeepEqual(n, wantD) {
		t.Errorf("got %#v\nwant %#v", n, wantD)
	}
}

func TestPositions(t *testing.T) {
	src := "x +\n  y *\r\n\tsin(\n\n 2.5)"
	n := mustParse(t, src)
	var got []string
	var walk func(Node)
	walk = func(n Node) {
		got = append(got, String(n)+"@"+n.Pos().String())
		switch n := n.(type) {
		case *Binary:
			walk(n.X)
			walk(n.Y)
		case *Call:
			for _, a := range n.Args {
				walk(a)
			}
		}
	}
	walk(n)
	want := []string{
		"x + (y * sin(2.5))@1:3",
		"x@1:1",
		"y * sin(2.5)@2:5",
		"y@2:3",
		"sin(2.5)@3:2",
		"2.5@5:2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("positions:\ngot  %q\nwant %q", got, want)
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"x", []string{"x"}},
		{"x;", []string{"x"}},
		{"x; y*2", []string{"x", "y * 2"}},
		{"sin(x);\nd(x^2, x);\n", []string{"sin(x)", "d(x ^ 2, x)"}},
	}
	for _, tt := range tests {
		list, err := ParseList(tt.src)
		if err != nil {
			t.Errorf("ParseList(%q): %v", tt.src, err)
			continue
		}
		var got []string
		for _, n := range list {
			got = append(got, String(n))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseList(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		src  string
		list bool // use ParseList instead of Parse
		want string
	}{
		{src: "x + * y", want: "1:5: unexpected '*'\nx + * y\n    ^"},
		{src: "x ** ** y", want: "1:6: unexpected '**'\nx ** ** y\n     ^"},
		{src: "x y", want: "1:3: unexpected identifier \"y\"\nx y\n  ^"},
		{src: "2 3", want: "1:3: unexpected number 3\n2 3\n  ^"},
		{src: "2(3)", want: "1:2: unexpected '('\n2(3)\n ^"},
		{src: "x + )", want: "1:5: unexpected ')'\nx + )\n    ^"},
		{src: "sin(,x)", want: "1:5: unexpected ','\nsin(,x)\n    ^"},
		{src: "sin(x,)", want: "1:7: unexpected ')'\nsin(x,)\n      ^"},
		// End of input: positioned just after the last token.
		{src: "", want: "1:1: unexpected end of input"},
		{src: "  \n ", want: "1:1: unexpected end of input\n  \n^"},
		{src: "x +", want: "1:4: unexpected end of input\nx +\n   ^"},
		{src: "x *\n\n", want: "1:4: unexpected end of input\nx *\n   ^"},
		{src: "-", want: "1:2: unexpected end of input\n-\n ^"},
		// Unbalanced parentheses.
		{src: "(x + 1", want: "1:1: unclosed '('\n(x + 1\n^"},
		{src: "((x)", want: "1:1: unclosed '('\n((x)\n^"},
		{src: "sin(x", want: "1:4: unclosed '('\nsin(x\n   ^"},
		{src: "x + 1)", want: "1:6: unmatched ')'\nx + 1)\n     ^"},
		{src: "(x))", want: "1:4: unmatched ')'\n(x))\n   ^"},
		{src: "(x y)", want: "1:4: expected ')', found identifier \"y\"\n(x y)\n   ^"},
		{src: "(x, y)", want: "1:3: expected ')', found ','\n(x, y)\n  ^"},
		{src: "sin(x y)", want: "1:7: expected ',' or ')', found identifier \"y\"\nsin(x y)\n      ^"},
		// Functions.
		{src: "foo(x)", want: "1:1: unknown function \"foo\"\nfoo(x)\n^"},
		{src: "2 * foo (x)", want: "1:5: unknown function \"foo\"\n2 * foo (x)\n    ^"},
		{src: "sin(x, y)", want: "1:1: sin takes 1 argument, got 2\nsin(x, y)\n^"},
		{src: "1 + sin()", want: "1:5: sin takes 1 argument, got 0\n1 + sin()\n    ^"},
		{src: "pow(x)", want: "1:1: pow takes 2 arguments, got 1\npow(x)\n^"},
		{src: "hypot(1,2,3)", want: "1:1: hypot takes 2 arguments, got 3\nhypot(1,2,3)\n^"},
		{src: "d(x)", want: "1:1: d takes 2 arguments, got 1\nd(x)\n^"},
		{src: "d(x^2, 2*x)", want: "1:8: d: second argument must be a variable\nd(x^2, 2*x)\n       ^"},
		{src: "d(x^2,\n  (2))", want: "2:3: d: second argument must be a variable\n  (2))\n  ^"},
		{src: "x + sin", want: "1:5: missing '(' after function sin\nx + sin\n    ^"},
		{src: "d + 1", want: "1:1: missing '(' after function d\nd + 1\n^"},
		// Number literals.
		{src: "1e", want: "1:1: invalid number literal \"1e\"\n1e\n^"},
		{src: "x + 1e+", want: "1:5: invalid number literal \"1e+\"\nx + 1e+\n    ^"},
		{src: "1.2.3", want: "1:1: invalid number literal \"1.2.3\"\n1.2.3\n^"},
		{src: "2x", want: "1:1: invalid number literal \"2x\"\n2x\n^"},
		{src: "0x10", want: "1:1: invalid number literal \"0x10\"\n0x10\n^"},
		{src: "1e5e5", want: "1:1: invalid number literal \"1e5e5\"\n1e5e5\n^"},
		{src: "1e400", want: "1:1: number literal 1e400 out of range\n1e400\n^"},
		// Invalid characters.
		{src: "x # y", want: "1:3: invalid character '#'\nx # y\n  ^"},
		{src: "x . y", want: "1:3: invalid character '.'\nx . y\n  ^"},
		{src: "x + α", want: "1:5: invalid character 'α'\nx + α\n    ^"},
		{src: "x + \u0486", want: "1:5: invalid character '\\u0486'\nx + \\u0486\n    ^"},
		{src: "x \\ y", want: "1:3: invalid character '\\\\'\nx \\ y\n  ^"},
		{src: "x ' y", want: "1:3: invalid character '\\''\nx ' y\n  ^"},
		{src: "x\x00", want: "1:2: invalid character '\\x00'\nx\\x00\n ^"},
		{src: "x + \xff", want: "1:5: invalid UTF-8 byte 0xff\nx + \\xff\n    ^"},
		// Input is echoed escaped: the caret is under the escape.
		{src: "x + * y\x1b[2J", want: "1:5: unexpected '*'\nx + * y\\x1b[2J\n    ^"},
		{src: "x\r\r+ * y", want: "1:6: unexpected '*'\nx\\r\\r+ * y\n       ^"},
		{src: "x + \x1b[31m", want: "1:5: invalid character '\\x1b'\nx + \\x1b[31m\n    ^"},
		{src: "a\rb", want: "1:3: unexpected identifier \"b\"\na\\rb\n   ^"},
		{src: "\u202ex + *", want: "1:1: invalid character '\\u202e'\n\\u202ex + *\n^"},
		// A lexical error is reported where it occurs, even if the
		// parser would have failed later.
		{src: "(x + #", want: "1:6: invalid character '#'\n(x + #\n     ^"},
		// Positions across lines; tabs are kept in the caret line.
		{src: "x +\n  y *\n\t* z", want: "3:2: unexpected '*'\n\t* z\n\t^"},
		{src: "a\r\n+ b\r\n+ )\r\n", want: "3:3: unexpected ')'\n+ )\n  ^"},
		// Lists.
		{src: "x; y", want: "1:2: unexpected ';' (expected a single expression)\nx; y\n ^"},
		{src: "x;;y", list: true, want: "1:3: unexpected ';'\nx;;y\n  ^"},
		{src: ";", list: true, want: "1:1: unexpected ';'\n;\n^"},
		{src: "", list: true, want: "1:1: unexpected end of input"},
		{src: "x; y)", list: true, want: "1:5: unmatched ')'\nx; y)\n    ^"},
		{src: "x; y z", list: true, want: "1:6: unexpected identifier \"z\"\nx; y z\n     ^"},
	}
	for _, tt := range tests {
		var err error
		if tt.list {
			_, err = ParseList(tt.src)
		} else {
			_, err = Parse(tt.src)
		}
		if err == nil {
			t.Errorf("Parse(%q): no error, want %q", tt.src, tt.want)
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q): error %T, want *Error", tt.src, err)
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("Parse(%q) error:\n%s\nwant:\n%s", tt.src, got, tt.want)
		}
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Pos: Pos{2, 3}, Msg: "boom"}
	if got, want := e.Error(), "2:3: boom"; got != want {
		t.Errorf("no Src: got %q, want %q", got, want)
	}
	e.Src = "a\nbc"
	if got, want := e.Error(), "2:3: boom\nbc\n  ^"; got != want {
		t.Errorf("caret past end of line: got %q, want %q", got, want)
	}
	e.Pos = Pos{5, 1}
	if got, want := e.Error(), "5:1: boom"; got != want {
		t.Errorf("line out of range: got %q, want %q", got, want)
	}
	e.Pos = Pos{}
	if got, want := e.Error(), "boom"; got != want {
		t.Errorf("no Pos: got %q, want %q", got, want)
	}
}

func TestVars(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{"1 + 2", nil},
		{"x", []string{"x"}},
		{"y * x + x * z", []string{"y", "x", "z"}},
		{"d(x*y, y)", []string{"x", "y"}},
		{"d(x, y)", []string{"x", "y"}},
		{"d(b, a) + c", []string{"b", "a", "c"}},
		{"pow(b, a) - -c^a", []string{"b", "a", "c"}},
	}
	for _, tt := range tests {
		if got := Vars(mustParse(t, tt.src)); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Vars(%q) = %q, want %q", tt.src, got, tt.want)
		}
	}
}

func TestArity(t *testing.T) {
	for name, want := range map[string]int{"sin": 1, "erf": 1, "pow": 2, "hypot": 2, "d": 2} {
		if n, ok := Arity(name); !ok || n != want {
			t.Errorf("Arity(%q) = %d, %v; want %d, true", name, n, ok, want)
		}
	}
	if _, ok := Arity("x"); ok {
		t.Errorf("Arity(\"x\") reports a function")
	}
}

// longSum returns "x*1 + x*2 + ... + x*n".
func longSum(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			b.WriteString(" + ")
		}
		b.WriteString("x*")
		b.WriteString(strings.Repeat("7", 1+i%3))
	}
	return b.String()
}

func TestLong(t *testing.T) {
	// Long flat chains are not limited by MaxDepth.
	src := longSum(100000)
	n := mustParse(t, src)
	s := String(n)
	if got := String(mustParse(t, s)); got != s {
		t.Errorf("long sum does not round-trip")
	}
	if got := Vars(n); !reflect.DeepEqual(got, []string{"x"}) {
		t.Errorf("Vars = %q", got)
	}
	mustParse(t, strings.Repeat("x-", 100000)+"x")
	mustParse(t, strings.Repeat("x/", 100000)+"x")
}

func TestDepth(t *testing.T) {
	deep := func(open, mid, close string, n int) string {
		return strings.Repeat(open, n) + mid + strings.Repeat(close, n)
	}
	ok := []string{
		deep("(", "x", ")", MaxDepth),
		deep("sin(", "x", ")", MaxDepth),
		deep("-", "x", "", MaxDepth+1),      // -(-(...(-x)))
		deep("2^", "x", "", MaxDepth+1),     // 2 ^ (2 ^ (... ^ x))
		deep("(x+", "x", ")", MaxDepth),     // x + (x + (...))
		deep("(", "x", ")*x+x", MaxDepth/2), // ((x * x) + x) * x + x ...
	}
	for _, src := range ok {
		n, err := Parse(src)
		if err != nil {
			t.Errorf("Parse(%.20q...): %.60v", src, err)
			continue
		}
		s := String(n)
		if n2, err := Parse(s); err != nil {
			t.Errorf("re-parse of String(Parse(%.20q...)): %.60v", src, err)
		} else if String(n2) != s {
			t.Errorf("String(Parse(%.20q...)) does not round-trip", src)
		}
	}
	bad := []struct {
		src string
		pos Pos
	}{
		{deep("(", "x", ")", MaxDepth+1), Pos{1, MaxDepth + 1}},
		{deep("(", "x", ")", 1000000), Pos{1, MaxDepth + 1}},
		{deep("sin(", "x", ")", MaxDepth+1), Pos{1, 4*MaxDepth + 4}},
		{deep("-", "x", "", MaxDepth+2), Pos{1, 1}},
		{deep("2^", "x", "", MaxDepth+2), Pos{1, 2}},
		{deep("x+(", "x", ")", MaxDepth+1), Pos{1, 3*MaxDepth + 3}},
	}
	for _, tt := range bad {
		_, err := Parse(tt.src)
		var pe *Error
		if !errors.As(err, &pe) || !strings.HasPrefix(pe.Msg, "expression nested too deeply") {
			t.Errorf("Parse(%.20q...): got %.80v, want nesting error", tt.src, err)
			continue
		}
		if pe.Pos != tt.pos {
			t.Errorf("Parse(%.20q...): error at %v, want %v", tt.src, pe.Pos, tt.pos)
		}
	}
}

// Parentheses, calls, prefix operators and powers nested 10^5 deep are
// refused with an error, without exhausting the stack.
func TestVeryDeep(t *testing.T) {
	const n = 100000
	for _, src := range []string{
		strings.Repeat("(", n) + "x" + strings.Repeat(")", n),
		strings.Repeat("-", n) + "x",
		strings.Repeat("-(", n) + "x" + strings.Repeat(")", n),
		strings.Repeat("2^", n) + "x",
		strings.Repeat("2^-", n) + "x",
		strings.Repeat("sin(", n) + "x" + strings.Repeat(")", n),
		strings.Repeat("x*(", n) + "x" + strings.Repeat(")", n),
		strings.Repeat("d(", n) + "x" + strings.Repeat(", x)", n),
		strings.Repeat("(", n),
		strings.Repeat("-", n),
	} {
		_, err := Parse(src)
		var pe *Error
		if !errors.As(err, &pe) || !strings.Contains(pe.Msg, "nested too deeply") && !strings.Contains(pe.Msg, "end of input") {
			t.Errorf("Parse(%.20q...): got %.80v, want a nesting error", src, err)
		}
	}
}

// nestedD returns d(d(…d(body, x)…, x), x) with k d's.
func nestedD(k int, body string) string {
	return strings.Repeat("d(", k) + body + strings.Repeat(", x)", k)
}

func TestDerivDepth(t *testing.T) {
	ok := []string{
		nestedD(MaxDerivDepth, "x^3"),
		// Side by side, derivatives do not add up.
		strings.Repeat(nestedD(MaxDerivDepth, "x")+" + ", 20) + "x",
		nestedD(MaxDerivDepth-1, "x") + " * " + nestedD(MaxDerivDepth, "x"),
		// Other nesting between the d's does not count.
		strings.Repeat("d(sin((", MaxDerivDepth) + "x" + strings.Repeat(")), x)", MaxDerivDepth),
	}
	for _, src := range ok {
		n, err := Parse(src)
		if err != nil {
			t.Errorf("Parse(%.40q...): %v", src, err)
			continue
		}
		if got := countDerivs(n); got < MaxDerivDepth {
			t.Errorf("Parse(%.40q...) has %d derivatives", src, got)
		}
	}
	// Each case has exactly one d too deep; the error points at it.
	bad := []struct {
		src string
		col int
	}{
		{nestedD(MaxDerivDepth+1, "x"), 2*MaxDerivDepth + 1},
		{nestedD(1000, "x"), 2*MaxDerivDepth + 1},
		{"x + " + nestedD(MaxDerivDepth+1, "x"), 5 + 2*MaxDerivDepth},
		{nestedD(MaxDerivDepth, "x + "+nestedD(1, "x")), 2*MaxDerivDepth + 5},
		{strings.Repeat("d(-", MaxDerivDepth+1) + "x" + strings.Repeat(", x)", MaxDerivDepth+1), 3*MaxDerivDepth + 1},
	}
	for _, tt := range bad {
		_, err := Parse(tt.src)
		var pe *Error
		if !errors.As(err, &pe) || !strings.HasPrefix(pe.Msg, "derivatives nested too deeply") {
			t.Errorf("Parse(%.40q...): got %.80v, want the derivative nesting error", tt.src, err)
			continue
		}
		if want := (Pos{1, tt.col}); pe.Pos != want {
			t.Errorf("Parse(%.40q...): error at %v, want %v", tt.src, pe.Pos, want)
		}
		if _, err := ParseList(tt.src); err == nil {
			t.Errorf("ParseList(%.40q...) accepts it", tt.src)
		}
	}
}

func BenchmarkParseLong(b *testing.B) {
	src := longSum(10000)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

// Prefix minus binds less tightly than ^ everywhere, a parenthesis after
// the minus included, as in Python: -(x+1)^2 is -((x+1)^2).
func TestNegationPrecedence(t *testing.T) {
	cases := []struct{ src, want string }{
		{"-(x)^2", "-(x ^ 2)"},
		{"-(x+1)^2", "-((x + 1) ^ 2)"},
		{"- (x+1)^2", "-((x + 1) ^ 2)"},
		{"exp(-(x-1)^2/2)", "exp((-((x - 1) ^ 2)) / 2)"},
		{"(-(x))^2", "(-x) ^ 2"},
		{"--(x)^2", "-(-(x ^ 2))"},
		{"2^-(x)^2", "2 ^ (-(x ^ 2))"},
		{"2^-x^2", "2 ^ (-(x ^ 2))"},
		{"x^-y^z", "x ^ (-(y ^ z))"},
		{"x*-y^2", "x * (-(y ^ 2))"},
		{"-(x)", "-x"},
		{"y * -(x) ^ 3", "y * (-(x ^ 3))"},
		{"-sin(x)^2", "-(sin(x) ^ 2)"},
	}
	for _, c := range cases {
		n, err := Parse(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got := String(n); got != c.want {
			t.Errorf("%s: parsed as %s, want %s", c.src, got, c.want)
		}
		// The rendering reads back as the same tree.
		m, err := Parse(String(n))
		if err != nil || !sameTree(m, n) {
			t.Errorf("%s: %s does not round-trip (%v)", c.src, String(n), err)
		}
	}
}

// TestPythonPrecedence evaluates expressions whose values Python computed
// (testdata/gen_precedence.py, with ^ spelled **): the grouping of prefix
// operators and ^ must be Python's.
func TestPythonPrecedence(t *testing.T) {
	data, err := os.ReadFile("testdata/precedence.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Expr  string
		At    map[string]float64
		Value float64
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, c := range cases {
		n, err := Parse(c.Expr)
		if err != nil {
			t.Errorf("%s: %v", c.Expr, err)
			continue
		}
		got, err := Eval(n, floatOps(c.At))
		if err != nil {
			t.Errorf("%s: %v", c.Expr, err)
			continue
		}
		if math.Abs(got-c.Value) > 1e-12*math.Max(1, math.Abs(c.Value)) {
			t.Errorf("%s at %v = %v (parsed as %s), Python says %v", c.Expr, c.At, got, String(n), c.Value)
		}
	}
}

// sameTree reports whether a and b are the same tree, positions aside.
func sameTree(a, b Node) bool {
	switch a := a.(type) {
	case *Num:
		b, ok := b.(*Num)
		return ok && a.Value == b.Value && math.Signbit(a.Value) == math.Signbit(b.Value) && a.Name == b.Name
	case *Var:
		b, ok := b.(*Var)
		return ok && a.Name == b.Name
	case *Unary:
		b, ok := b.(*Unary)
		return ok && a.Op == b.Op && sameTree(a.X, b.X)
	case *Binary:
		b, ok := b.(*Binary)
		return ok && a.Op == b.Op && sameTree(a.X, b.X) && sameTree(a.Y, b.Y)
	case *Call:
		b, ok := b.(*Call)
		if !ok || a.Func != b.Func || len(a.Args) != len(b.Args) {
			return false
		}
		for i := range a.Args {
			if !sameTree(a.Args[i], b.Args[i]) {
				return false
			}
		}
		return true
	case *Deriv:
		b, ok := b.(*Deriv)
		return ok && a.Var == b.Var && sameTree(a.X, b.X)
	}
	return false
}

func TestConstants(t *testing.T) {
	for _, tt := range []struct {
		src  string
		at   map[string]float64
		want float64
	}{
		{"pi", nil, math.Pi},
		{"e", nil, math.E},
		{"sin(pi/6)", nil, 0.5},
		{"e^x", map[string]float64{"x": 2}, math.Exp(2)},
		{"-e^2", nil, -math.E * math.E},
		{"2*pi*r", map[string]float64{"r": 1.5}, 3 * math.Pi},
		{"pie + e1", map[string]float64{"pie": 1, "e1": 2}, 3}, // other names are variables
		{"d(x * pi, x)", map[string]float64{"x": 7}, math.Pi},
	} {
		n := mustParse(t, tt.src)
		got, err := Eval(n, floatOps(tt.at))
		if err != nil || math.Abs(got-tt.want) > 1e-9*math.Max(1, math.Abs(tt.want)) {
			t.Errorf("%s = %v, %v; want %v", tt.src, got, err, tt.want)
		}
		// Constants print by name and are not variables.
		s := String(n)
		if n2 := mustParse(t, s); !sameTree(n2, n) {
			t.Errorf("%s: %s does not round-trip", tt.src, s)
		}
		for _, v := range Vars(n) {
			if _, ok := Constant(v); ok {
				t.Errorf("Vars(%s) includes the constant %s", tt.src, v)
			}
		}
	}
	if got := String(mustParse(t, "2*pi + e")); got != "(2 * pi) + e" {
		t.Errorf("String = %q", got)
	}
	if v, ok := Constant("pi"); !ok || v != math.Pi {
		t.Errorf("Constant(pi) = %v, %v", v, ok)
	}
	if _, ok := Constant("x"); ok {
		t.Errorf("Constant(x) reports a constant")
	}
	for _, tt := range []struct{ src, want string }{
		{"pi(x)", "1:1: pi is a constant, not a function"},
		{"2 * e (x)", "1:5: e is a constant, not a function"},
		{"d(x^2, pi)", "1:8: d: second argument must be a variable, not the constant pi"},
		{"d(x^2, e)", "1:8: d: second argument must be a variable, not the constant e"},
		{"2e", "1:1: invalid number literal \"2e\""},
	} {
		_, err := Parse(tt.src)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want+"\n") {
			t.Errorf("Parse(%q): %v, want %q", tt.src, err, tt.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	for _, tt := range []struct{ name, hint string }{
		{"ln", " (did you mean log?)"},
		{"arctan", " (did you mean atan?)"},
		{"arctan2", " (did you mean atan2?)"},
		{"maximum", " (did you mean max?)"},
		{"fabs", " (did you mean abs?)"},
		{"log10", " (write log(x) / log(10))"},
		{"diff", " (did you mean d?)"},
		{"Sin", " (did you mean sin?)"},
		{"EXP", " (did you mean exp?)"},
		{"sni", " (did you mean sin?)"},    // a swap
		{"sqr", " (did you mean sqrt?)"},   // an insertion
		{"tanhh", " (did you mean tanh?)"}, // a deletion
		{"sigmod", " (did you mean sigmoid?)"},
		{"softpuls", " (did you mean softplus?)"}, // two edits in a long name
		{"foo", ""},
		{"f", ""},
		{"g", ""},
		{"relux", " (did you mean relu?)"},
		{"sinhcosh", ""},
		{strings.Repeat("sin", 1000), ""},
	} {
		src := tt.name + "(x)"
		want := "1:1: unknown function " + Quote(tt.name) + tt.hint + "\n"
		_, err := Parse(src)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Parse(%.40q): %.100v, want %q", src, err, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"kitten", "sitting", 3},
		{"ab", "ba", 1}, {"sni", "sin", 1}, {"ca", "abc", 3}, {"flaw", "lawn", 2},
		{"log", "log", 0}, {"ln", "log", 2},
	} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := editDistance(tt.b, tt.a); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.b, tt.a, got, tt.want)
		}
	}
}
