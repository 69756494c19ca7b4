package main

import (
	"math"
	"testing"
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
