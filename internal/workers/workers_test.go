package workers

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// visits runs For over n elements and reports how often each was visited.
func visits(n, minPiece int) []int32 {
	seen := make([]int32, n)
	For(n, minPiece, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			atomic.AddInt32(&seen[i], 1)
		}
	})
	return seen
}

func TestForCoversEachElementOnce(t *testing.T) {
	for _, c := range []struct{ n, min int }{{0, 4}, {1, 4}, {7, 4}, {8, 4}, {9, 4}, {1000, 16}, {1 << 16, 1 << 10}, {12345, 1}} {
		for i, v := range visits(c.n, c.min) {
			if v != 1 {
				t.Fatalf("n=%d min=%d: element %d visited %d times", c.n, c.min, i, v)
			}
		}
	}
}

func TestForPieces(t *testing.T) {
	var mu sync.Mutex
	var sizes []int
	For(1000, 100, func(lo, hi int) {
		mu.Lock()
		sizes = append(sizes, hi-lo)
		mu.Unlock()
	})
	p := runtime.GOMAXPROCS(0)
	if p > 1 && len(sizes) != min(10, 4*p) {
		t.Errorf("%d pieces, want %d", len(sizes), min(10, 4*p))
	}
	for _, s := range sizes {
		if s < 100 {
			t.Errorf("a piece of %d elements, below the minimum 100", s)
		}
	}
	if p > 1 {
		calls := 0
		For(150, 100, func(lo, hi int) { calls++ }) // below two pieces: one call
		if calls != 1 {
			t.Errorf("%d calls for a job below two pieces, want 1", calls)
		}
	}
}

// Concurrent and nested loops all finish and cover their elements: the
// caller always works on its own job, so progress never depends on a
// helper being free.
func TestForConcurrentAndNested(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < 20; r++ {
				var total atomic.Int64
				For(64, 8, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						For(32, 4, func(lo, hi int) { total.Add(int64(hi - lo)) })
					}
				})
				if total.Load() != 64*32 {
					t.Errorf("nested loops covered %d elements, want %d", total.Load(), 64*32)
				}
			}
		}()
	}
	wg.Wait()
}
