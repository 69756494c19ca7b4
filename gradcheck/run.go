package gradcheck

import (
	"fmt"
	"strings"
	"testing"
)

// Known is a known failure: a subtest of Run and the bug that makes it
// fail.
type Known struct {
	// Test is a subtest path below Run's test, unsanitized, e.g.
	// "Pow/edge:x<0" or "MatMul/2x1x2x3,3x3x2/second". It matches that
	// subtest and every subtest below it.
	Test string
	// Bug describes the bug; it is the skip message.
	Bug string
}

// Run runs every op through every check in Checks at a random point (seeded
// by the op's name and shapes, float64) for each of its argument-shape
// lists, in subtests named op/shapes/check, and through CheckEdge at each
// of its Edges (CheckSplitEdge at its SplitEdges), in subtests named
// op/edge:name.
//
// A subtest matched by an entry of known still runs, silently: if it fails
// as expected it is skipped with the bug (and the first failure) as the
// message; if it passes, Run reports that the bug no longer reproduces, so
// that the entry is removed once the bug is fixed.
func Run(t *testing.T, ops []Op, known ...Known) {
	t.Helper()
	for _, op := range ops {
		t.Run(op.Name, func(t *testing.T) {
			for _, shapes := range op.Shapes {
				label := ShapesName(shapes)
				t.Run(label, func(t *testing.T) {
					if len(shapes) != op.Arity {
						t.Fatalf("%d shapes for arity %d", len(shapes), op.Arity)
					}
					args := op.Sample(seedFor(op.Name, label), shapes)
					for _, c := range Checks {
						t.Run(c.Name, func(t *testing.T) {
							leaf(t, op.Name+"/"+label+"/"+c.Name, known, func(tb TB) { c.Fn(tb, op, args, 0) })
						})
					}
				})
			}
			for _, e := range op.Edges {
				t.Run("edge:"+e.Name, func(t *testing.T) {
					leaf(t, op.Name+"/edge:"+e.Name, known, func(tb TB) { CheckEdge(tb, op, e) })
				})
			}
			for _, e := range op.SplitEdges {
				t.Run("edge:"+e.Name, func(t *testing.T) {
					leaf(t, op.Name+"/edge:"+e.Name, known, func(tb TB) { CheckSplitEdge(tb, op, e) })
				})
			}
		})
	}
}

// leaf runs one check, as an expected failure if known lists it.
func leaf(t *testing.T, path string, known []Known, check func(TB)) {
	t.Helper()
	for _, k := range known {
		if path != k.Test && !strings.HasPrefix(path, k.Test+"/") {
			continue
		}
		var r Recorder
		check(&r)
		if len(r.Errors) == 0 {
			t.Errorf("known bug no longer reproduces, remove its Known entry %q: %s", k.Test, k.Bug)
			return
		}
		first, _, _ := strings.Cut(r.Errors[0], "\n")
		t.Skipf("known bug: %s\nfirst failure: %s", k.Bug, first)
	}
	check(t)
}

// Recorder is a TB that records failures instead of reporting them, for
// running the checks outside a test or testing the checks themselves.
type Recorder struct {
	// Errors holds the failure messages in order.
	Errors []string
}

// Helper does nothing.
func (r *Recorder) Helper() {}

// Errorf records a failure.
func (r *Recorder) Errorf(format string, args ...any) {
	r.Errors = append(r.Errors, fmt.Sprintf(format, args...))
}
