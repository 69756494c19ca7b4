package expr

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// floatOps evaluates over float64, with variables taken from env and
// derivatives computed by central differences.
func floatOps(env map[string]float64) Ops[float64] {
	return Ops[float64]{
		Const: func(x float64) float64 { return x },
		Var: func(name string) (float64, error) {
			v, ok := env[name]
			if !ok {
				return 0, fmt.Errorf("undefined variable %s", name)
			}
			return v, nil
		},
		Unary: func(op byte, x float64) (float64, error) {
			if op != '-' {
				return 0, fmt.Errorf("bad unary op %q", op)
			}
			return -x, nil
		},
		Binary: func(op byte, x, y float64) (float64, error) {
			switch op {
			case '+':
				return x + y, nil
			case '-':
				return x - y, nil
			case '*':
				return x * y, nil
			case '/':
				if y == 0 {
					return 0, errors.New("division by zero")
				}
				return x / y, nil
			case '^':
				return math.Pow(x, y), nil
			}
			return 0, fmt.Errorf("bad binary op %q", op)
		},
		Call: func(name string, a []float64) (float64, error) {
			switch name {
			case "sin":
				return math.Sin(a[0]), nil
			case "cos":
				return math.Cos(a[0]), nil
			case "exp":
				return math.Exp(a[0]), nil
			case "log":
				return math.Log(a[0]), nil
			case "sqrt":
				return math.Sqrt(a[0]), nil
			case "pow":
				return math.Pow(a[0], a[1]), nil
			case "atan2":
				return math.Atan2(a[0], a[1]), nil
			case "max":
				return math.Max(a[0], a[1]), nil
			case "hypot":
				return math.Hypot(a[0], a[1]), nil
			}
			return 0, fmt.Errorf("function %s not implemented", name)
		},
		Deriv: func(f func(float64) (float64, error), at float64) (float64, error) {
			const h = 1e-4
			hi, err := f(at + h)
			if err != nil {
				return 0, err
			}
			lo, err := f(at - h)
			if err != nil {
				return 0, err
			}
			return (hi - lo) / (2 * h), nil
		},
	}
}

func TestEval(t *testing.T) {
	env := map[string]float64{"x": 2, "y": 3}
	tests := []struct {
		src  string
		want float64
		tol  float64
	}{
		{"2^3^2", 512, 0},
		{"2**3**2", 512, 0},
		{"(2^3)^2", 64, 0},
		{"-2^2", -4, 0},
		{"(-2)^2", 4, 0},
		{"2*-3", -6, 0},
		{"2^-1", 0.5, 0},
		{"8/4/2", 1, 0},
		{"2-3-4", -5, 0},
		{"2-(3-4)", 3, 0},
		{"1 + 2*3", 7, 0},
		{"+x - -y", 5, 0},
		{"--x", 2, 0},
		{"x*y + sin(0)", 6, 0},
		{"pow(x, y) + max(x, y) + hypot(3, 4)", 16, 0},
		{"atan2(1, 1)", math.Pi / 4, 1e-15},
		{"1e-3 * 2.5E+4 + .5", 25.5, 1e-12},

		{"d(x^3, x)", 12, 1e-3},
		{"d(d(x^3, x), x)", 12, 1e-3},
		{"d(x*y, y)", 2, 1e-6},
		{"d(x*y, x)", 3, 1e-6},
		{"d(sin(x), x)", math.Cos(2), 1e-6},
		{"d(x, y)", 0, 1e-9},
		{"d(y, y)", 1, 1e-9},
		// The inner d is evaluated at the outer point: d/dx (x * x) = 2x.
		{"d(x * d(x*y, y), x)", 4, 1e-3},
		// d/dy of d/dx (x^2 y^3) = 6 x y^2 = 108 at (2, 3).
		{"d(d(x^2 * y^3, x), y)", 108, 1e-2},
		// The bound variable shadows the outer one only inside the body.
		{"x + d(x^2, x) + x", 8, 1e-6},
	}
	for _, tt := range tests {
		n := mustParse(t, tt.src)
		got, err := Eval(n, floatOps(env))
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.src, err)
			continue
		}
		if math.Abs(got-tt.want) > tt.tol {
			t.Errorf("Eval(%q) = %v, want %v (±%g)", tt.src, got, tt.want, tt.tol)
		}
	}
}

func TestEvalLong(t *testing.T) {
	// 1 + 1 + ... + 1 (100000 terms) is evaluated without deep recursion.
	n := mustParse(t, longSum(100000))
	got, err := Eval(n, floatOps(map[string]float64{"x": 1}))
	if err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for i := 1; i <= 100000; i++ {
		want += []float64{7, 77, 777}[i%3]
	}
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestEvalErrors(t *testing.T) {
	env := map[string]float64{"x": 2}
	tests := []struct {
		src  string
		want string
	}{
		{"x + z", "1:5: undefined variable z\nx + z\n    ^"},
		{"1 / (x - 2)", "1:3: division by zero\n1 / (x - 2)\n  ^"},
		{"tanh(x)", "1:1: function tanh not implemented\ntanh(x)\n^"},
		{"d(x * z, x)", "1:7: undefined variable z\nd(x * z, x)\n      ^"},
		{"d(x, z)", "1:6: undefined variable z\nd(x, z)\n     ^"},
		{"d(d(1/(x-x), x), x)", "1:6: division by zero\nd(d(1/(x-x), x), x)\n     ^"},
	}
	for _, tt := range tests {
		n := mustParse(t, tt.src)
		_, err := Eval(n, floatOps(env))
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Eval(%q): error %v, want *Error", tt.src, err)
			continue
		}
		pe.Src = tt.src
		if got := pe.Error(); got != tt.want {
			t.Errorf("Eval(%q) error:\n%s\nwant:\n%s", tt.src, got, tt.want)
		}
	}

	// Errors from Ops are wrapped.
	sentinel := errors.New("sentinel")
	ops := floatOps(env)
	ops.Var = func(string) (float64, error) { return 0, sentinel }
	if _, err := Eval(mustParse(t, "1 + y"), ops); !errors.Is(err, sentinel) {
		t.Errorf("error %v does not wrap the Ops error", err)
	}

	// Missing operations are reported, not dereferenced.
	if _, err := Eval(mustParse(t, "sin(x)"), Ops[float64]{Var: ops.Var}); err == nil {
		t.Errorf("Eval with nil Ops.Call: no error")
	}
}
