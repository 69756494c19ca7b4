package main

import (
	"strings"
	"testing"
)

// TestWriteMarkdown checks the README table written from a small report:
// chainrule's variants in its cell, each peer's rows with chainrule's time
// ÷ theirs (a variant against chainrule's same variant: 1.5 ms ÷ 3 ms),
// skipped peers, and one line per case with rows.
func TestWriteMarkdown(t *testing.T) {
	ok := func(c, impl string, ns, ratio float64, notes ...string) *Row {
		return &Row{Case: c, Impl: impl, Status: statusOK, Ratio: ratio, Notes: notes, summary: summary{Median: ns}}
	}
	rep := &Report{
		Cases: []caseInfo{{Name: "W9/f32", Desc: "a block | with a bar"}, {Name: "EMPTY", Desc: "no rows"}},
		Rows: []*Row{
			ok("W9/f32", "chainrule", 2e6, 1, "5.0 GFLOP/s"),
			ok("W9/f32", "chainrule/compiled", 1.5e6, 2e6/1.5e6),
			ok("W9/f32", "torch", 4e6, 0.5),
			ok("W9/f32", "torch/vectorize", 1e9, 2e6/1e9),
			ok("W9/f32", "torch/compiled", 3e6, 2e6/3e6),
			{Case: "W9/f32", Impl: "gorgonia", Status: "skipped", Reason: "cannot run: no attention"},
			{Case: "W9/f32", Impl: "gomlx", Status: "skipped", Reason: "not written for GoMLX"},
			ok("W9/f32", "hand-go", 1e5, 20),
		},
	}
	var b strings.Builder
	if err := writeMarkdown(rep, &b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header, a rule and one case line, got %d lines:\n%s", len(lines), b.String())
	}
	want := `| W9/f32: a block \| with a bar | 2.00 ms (5.0 GFLOP/s); compiled 1.50 ms | 4.00 ms (0.50); vectorize 1.00 s (0.002); compiled 3.00 ms (0.50) | not run: no attention | — | 100 µs (20.0) |`
	if lines[2] != want {
		t.Errorf("case line\n got %s\nwant %s", lines[2], want)
	}
	if got := strings.Count(lines[0], "|"); got != 7 || strings.Count(lines[1], "|") != 7 {
		t.Errorf("header and rule must have 6 columns: %q, %q", lines[0], lines[1])
	}
}
