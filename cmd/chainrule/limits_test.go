package main

import (
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
