package ad_test

import (
	"testing"

	"github.com/chainrule/chainrule/gradcheck"
)

// TestOps runs every op of the checker's table through reverse mode,
// forward mode, batched forward mode, second order, float32 and its edge
// points, against finite differences and closed forms.
func TestOps(t *testing.T) {
	gradcheck.Run(t, gradcheck.Ops, knownBugs...)
}

// knownBugs are gradcheck cases that fail because of bugs in ad. Each runs
// as an expected failure; a fixed bug makes its entry fail, so remove it.
var knownBugs = []gradcheck.Known{}
