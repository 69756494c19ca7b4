package ad_test

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// A Hessian-vector product (forward over reverse) recycles the adjoints and
// local derivatives of its inner sweep — duals of the outer JVP — as they
// die, not only when the JVP returns: from an empty cache, one product
// takes far fewer fresh bytes than with recycling off. (Its results match
// those computed without recycling: TestJVPRecyclingMatchesFresh,
// TestHVPRecyclingConcurrent, TestGradRecyclingNested.)
func TestHVPRecyclesInnerSweep(t *testing.T) {
	x, v := ad.From(tensor.Rand(seeded(1), -1, 1, 20000)), ad.From(tensor.RandN(seeded(2), 20000))
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection returns storage meanwhile
	one := func() uint64 {
		tensor.EmptyCache()
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		ad.HVP(rosenN, x, v)
		runtime.ReadMemStats(&b)
		return b.TotalAlloc - a.TotalAlloc
	}
	restore := ad.SetRecycling(false)
	off := one()
	restore()
	on := one()
	t.Logf("one HVP from an empty cache allocated %d bytes with recycling, %d without", on, off)
	if float64(on) > 0.6*float64(off) {
		t.Errorf("recycling allocated %d bytes, %d without: the inner sweep recycles nothing", on, off)
	}
}
