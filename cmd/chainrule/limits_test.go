package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestLimitsDocumented checks that the help states the limits' values.
func TestLimitsDocumented(t *testing.T) {
	for _, s := range []string{
		fmt.Sprintf("at most %d MiB", maxSource>>20),
		fmt.Sprintf("at most %d variables", maxVars),
		fmt.Sprintf("%d entries in a Hessian (%d variables)", maxEntries, isqrt(maxEntries)),
		fmt.Sprintf("at most %d nodes inside d(...), weighted 3 per level of d", maxNestedWork),
	} {
		if !strings.Contains(strings.Join(strings.Fields(usage), " "), s) {
			t.Errorf("usage does not say %q", s)
		}
	}
}

// TestOutputLimit checks the bound on the output, with a small one: an
// output past it is refused (nothing on standard output), one at it is
// written.
func TestOutputLimit(t *testing.T) {
	var out, errb bytes.Buffer
	want := "value: 6.909297426825682\n" // len 25
	code := runner{maxOutputSize: int64(len(want)) - 1}.run([]string{"eval", fExpr, "--at", fAt}, &out, &errb)
	if code != 2 || out.Len() != 0 || errb.String() != "chainrule: the output is larger than the limit of 24 bytes\n" {
		t.Errorf("over: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	code = runner{maxOutputSize: int64(len(want))}.run([]string{"eval", fExpr, "--at", fAt}, &out, &errb)
	if code != 0 || out.String() != want {
		t.Errorf("at: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

// TestNestedWorkLimit checks the bound on the work of nested derivatives:
// the depth limit alone let a 9 KB expression under 8 d's take 33 s and
// 1.2 GB. The nodes inside d's weigh 3^k under k d's; an expression just
// past the limit is refused, with the position of its first d, and one
// under it is evaluated (the 8th derivative of a sum of n·x^8/8!, which is
// n, in closed form).
func TestNestedWorkLimit(t *testing.T) {
	deep := func(terms int) string {
		parts := make([]string, terms)
		for i := range parts {
			parts[i] = "x^8/40320" // 3 nodes, and a + between terms
		}
		s := strings.Join(parts, "+")
		for range 8 {
			s = "d(" + s + ", x)"
		}
		return s
	}
	// Each term weighs 6 nodes (x, 8, ^, 40320, /, +) less one + in all,
	// times 3^8 = 6561.
	over := maxNestedWork/(6*6561) + 1
	_, errs, code := cli(t, "eval", "1 + "+deep(over), "--at", "x=0.5")
	if code != 2 || !strings.HasPrefix(errs, "chainrule: 1:5: the nested derivatives d(…) enclose too much: ") {
		t.Errorf("over the limit: exit %d, stderr %.200q", code, errs)
	}
	under := maxNestedWork / (6 * 6561)
	got := num(t, okJSON(t, "eval", deep(under), "--at", "x=0.5", "--json")["value"])
	if want := float64(under); !close(got, want) {
		t.Errorf("under the limit: value %v, want %v", got, want)
	}
}
