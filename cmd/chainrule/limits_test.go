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
