//go:build chainruledebug

package tensor

import (
	"math"
	"strings"
	"testing"
)

// The chainruledebug build's storage checks fire: a view whose storage
// was handed back panics when it is recycled too (whether or not the
// storage went to a new tensor since), the same array handed back twice
// panics, and storage handed back or out reads as NaN.
func TestDebugStorageChecks(t *testing.T) {
	mustPanic := func(what, want string, f func()) {
		t.Helper()
		defer func() {
			t.Helper()
			r := recover()
			if s, ok := r.(string); !ok || !strings.Contains(s, want) {
				t.Errorf("%s: panic %v, want one containing %q", what, r, want)
			}
		}()
		f()
	}
	for _, d := range dtypes {
		a := d.Full(1, 64)
		v := a.Reshape(8, 8)
		Recycle(a)
		mustPanic(d.String()+" stale view", "recycled since", func() { Recycle(v) })

		a = d.Full(1, 64)
		v = a.Reshape(8, 8)
		Recycle(a)
		b := d.Full(2, 64) // likely a's storage again
		mustPanic(d.String()+" stale view, storage reused", "recycled since", func() { Recycle(v) })
		if b.Storage() == v.Storage() && b.AtFlat(0) != 2 {
			t.Errorf("%s: the new tensor's element is %g", d, b.AtFlat(0))
		}

		if d == Float64 {
			s := allocDirty[float64](64)
			if !math.IsNaN(s[0]) {
				t.Errorf("storage handed out holds %g, not NaN", s[0])
			}
			recycle(s)
			if !math.IsNaN(s[0]) {
				t.Errorf("storage handed back holds %g, not NaN", s[0])
			}
			mustPanic("handed back twice", "handed back to the cache twice", func() { recycle(s) })
			EmptyCache()
		}
	}
}
