package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/internal/expr"
)

// work estimates the cost of evaluating n: each node counts 2^k, k the
// number of d's around it (forward mode carries 2^k parts under k levels).
func work(n expr.Node, k int) int {
	w := 1 << k
	switch n := n.(type) {
	case *expr.Unary:
		w += work(n.X, k)
	case *expr.Binary:
		w += work(n.X, k) + work(n.Y, k)
	case *expr.Call:
		for _, a := range n.Args {
			w += work(a, k)
		}
	case *expr.Deriv:
		w += work(n.X, k+1)
	}
	return w
}

// FuzzRun feeds random command lines to run: it must never panic, must exit
// 0 or 2, must explain every failure in one "chainrule: " message without
// a panic trace or an internal error, and must print valid JSON for --json.
func FuzzRun(f *testing.F) {
	seeds := []struct {
		cmd       uint8
		src, at   string
		mode, fmt uint8
		json      bool
		extra     string
	}{
		{0, "x*y + sin(x)", "x=2,y=3", 0, 0, false, ""},
		{1, "d(x * d(x + y, y), x)", "x=1,y=2", 1, 0, true, ""},
		{2, "x*y; sin(x); exp(y)", "x=1,y=2", 2, 0, true, ""},
		{3, "d(d(x^3, x), x)", "x=2", 0, 0, false, ""},
		{4, "x*y + sin(x)", "x=2,y=3", 0, 1, false, ""},
		{4, "relu(x) + abs(y) + max(x, y) - min(x, 1)", "x=0,y=0", 2, 0, true, ""},
		{1, "sqrt(x) / x", "x=0", 0, 0, true, ""},
		{0, "x + * y", "x=1", 0, 0, false, ""},
		{1, "foo(x)", "x=abc", 0, 0, false, "--bogus"},
		{2, "atan2(x, y); hypot(x, y); pow(x, y); log1p(x); expm1(y)", "x=-1,y=0.5", 1, 0, true, ""},
		{3, "erf(x) * softplus(y) + sigmoid(x*y) + tanh(cosh(sinh(x)))", "x=0.3,y=-0.7", 0, 0, true, ""},
		{4, "asin(x) + acos(x) + atan(x) + tan(x)", "x=0.5,z=1", 1, 0, false, "--mode"},
		{1, "-(x) ^ 2 ** -y", "x=inf,y=nan", 0, 0, true, ""},
		{0, "exp(-(x-1)^2/2)", "x=2", 0, 0, false, ""},
		{3, "d(d(d(d(d(d(d(d(x * sin(x), x), x), x), x), x), x), x), x)", "x=0.7", 0, 0, true, ""},
		{1, "d(d(d(d(d(d(d(d(d(x, x), x), x), x), x), x), x), x), x)", "x=0.7", 0, 0, false, ""},
		{0, "d(x, 3)", "", 0, 0, false, "-h"},
	}
	for _, s := range seeds {
		f.Add(s.cmd, s.src, s.at, s.mode, s.fmt, s.json, s.extra)
	}
	cmds := []string{"eval", "grad", "jacobian", "hessian", "graph", "bogus"}
	modes := []string{"", "reverse", "forward", "auto", "both"}
	formats := []string{"", "text", "dot"}
	f.Fuzz(func(t *testing.T, cmd uint8, src, at string, mode, format uint8, asJSON bool, extra string) {
		if len(src) > 300 || len(at) > 200 || len(extra) > 50 {
			return
		}
		// Derivatives nested deeply cost exponentially. The parser refuses
		// more than expr.MaxDerivDepth levels (cheaply, so those inputs
		// run); up to the limit, bound the work, so that small
		// expressions reach it.
		if list, err := expr.ParseList(src); err == nil {
			w := 0
			for _, n := range list {
				w += work(n, 0)
			}
			if w > 1<<13 {
				return
			}
		}
		args := []string{cmds[int(cmd)%len(cmds)], src}
		if at != "" {
			args = append(args, "--at", at)
		}
		if m := modes[int(mode)%len(modes)]; m != "" {
			args = append(args, "--mode", m)
		}
		if fm := formats[int(format)%len(formats)]; fm != "" {
			args = append(args, "--format", fm)
		}
		if asJSON {
			args = append(args, "--json")
		}
		if extra != "" && !strings.HasPrefix(extra, "-o") && !strings.HasPrefix(extra, "--o") && !strings.HasPrefix(extra, "-output") && !strings.HasPrefix(strings.TrimLeft(extra, "-"), "f") { // no -f, -file: no reading files or stdin
			args = append(args, extra)
		}
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		stderr := errb.String()
		switch code {
		case 0:
			if stderr != "" {
				t.Fatalf("%q: exit 0 with stderr %q", args, stderr)
			}
			if asJSON && strings.HasPrefix(out.String(), "{") && !json.Valid(out.Bytes()) {
				t.Fatalf("%q: invalid JSON %q", args, out.String())
			}
		case 2:
			if asJSON && strings.HasPrefix(stderr, "{") { // --json: one JSON object
				if !json.Valid(errb.Bytes()) || strings.Count(stderr, "\n") != 1 || out.Len() != 0 {
					t.Fatalf("%q: exit 2, stdout %q, invalid JSON error %q", args, out.String(), stderr)
				}
			} else if !strings.HasPrefix(stderr, "chainrule: ") || out.Len() != 0 {
				t.Fatalf("%q: exit 2, stdout %q, stderr %q", args, out.String(), stderr)
			}
		default:
			t.Fatalf("%q: exit %d", args, code)
		}
		// (The message may quote the expression, so look for the marks
		// of a trace rather than for words the input might contain.)
		if strings.HasPrefix(stderr, "chainrule: internal error") || strings.Contains(stderr, "[running]") || strings.Contains(stderr, "panic: ") && strings.Contains(stderr, "goroutine ") {
			t.Fatalf("%q: stderr %q", args, stderr)
		}
	})
}
