package tensor

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// The size classes against a brute-force reference: the smallest length
// 2^k·(1 + j/4) (j = 0…3) not below n.
func TestSizeClasses(t *testing.T) {
	ref := func(n int) int {
		for k := 0; ; k++ {
			for j := 0; j < 4; j++ {
				if s := (1 << k) + j*(1<<k)/4; s >= n {
					return s
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	lengths := []int{recycleMin, recycleMin + 1, 5 << 10, 5<<10 + 1, 1_000_000, 1 << 20, 1<<20 + 1, 3 << 30}
	for i := 0; i < 20000; i++ {
		lengths = append(lengths, recycleMin+r.IntN(1<<24))
	}
	prev := map[int]int{} // class → its length
	for _, n := range lengths {
		c, size := classOf(n)
		if want := ref(n); size != want {
			t.Fatalf("classOf(%d) length %d, want %d", n, size, want)
		}
		if c < 0 || c >= nClasses {
			t.Fatalf("classOf(%d) = class %d of %d", n, c, nClasses)
		}
		if s, ok := prev[c]; ok && s != size {
			t.Fatalf("class %d has lengths %d and %d", c, s, size)
		}
		prev[c] = size
		if float64(size) > 1.25*float64(n) {
			t.Fatalf("length %d rounded up to %d: more than 25%%", n, size)
		}
	}
	if c, _ := classOf(1 << 62); c >= 0 {
		t.Errorf("a length of 2^62 has class %d; want none", c)
	}
}

// settle runs garbage collections until cond holds (finalizers and the
// cache's cleanup run on their own goroutine, after a collection), for at
// most a few seconds; it reports whether cond held.
func settle(cond func() bool) bool {
	for i := 0; i < 300; i++ {
		if cond() {
			return true
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

// Storage recycled at one length is handed to another of its size class,
// and the tensor that gets it sees exactly its own length.
func TestCacheServesSizeClass(t *testing.T) {
	defer SetCacheLimit(SetCacheLimit(DefaultCacheLimit))
	for _, d := range dtypes {
		reused := false
		for try := 0; try < 16 && !reused; try++ {
			a := d.Full(math.NaN(), 10_000) // class of 10240
			key := a.Storage()
			Recycle(a)
			b := Uninitialized(d, []int{9_000})
			reused = b.Storage() == key
			if b.Size() != 9_000 {
				t.Fatalf("%s: tensor of %d elements, want 9000", d, b.Size())
			}
			c := d.Zeros(9_500) // the zeroing constructors clear reused storage
			for i := 0; i < c.Size(); i++ {
				if c.AtFlat(i) != 0 {
					t.Fatalf("%s: Zeros reused storage without clearing it", d)
				}
			}
		}
		if !reused {
			t.Errorf("%s: a length of the same size class never reused the recycled array", d)
		}
	}
}

// The cache never holds more than its limit, whatever the lengths, and a
// soak of non-repeating lengths — half recycled, half left to the garbage
// collector — leaves the live heap bounded by the limit, then empty after
// EmptyCache. (Issue 11: one pool per exact length kept 82 MB live after
// 500k distinct lengths.)
func TestCacheStaysBounded(t *testing.T) {
	const lim = 8 << 20
	defer SetCacheLimit(SetCacheLimit(lim))
	EmptyCache()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 4000; i++ {
		d := dtypes[i%2]
		x := Uninitialized(d, []int{recycleMin + r.IntN(1<<17)})
		if i%2 == 0 {
			Recycle(x)
		}
		if h := CachedBytes(); h > lim {
			t.Fatalf("step %d: the cache holds %d bytes, over its limit %d", i, h, lim)
		}
		if i%500 == 0 {
			runtime.GC()
		}
	}
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	if h := CachedBytes(); h > lim {
		t.Errorf("the cache holds %d bytes, over its limit %d", h, lim)
	}
	// what is live: the cache, and arrays whose finalizer has not run yet
	// (at most one collection's worth); 4 MiB more for anything else
	if grown := int64(ms.HeapAlloc) - int64(base); grown > 2*lim+4<<20 {
		t.Errorf("live heap grew by %d bytes after the soak; want at most %d", grown, 2*lim+4<<20)
	}
	EmptyCache()
	if h := CachedBytes(); h != 0 {
		t.Errorf("EmptyCache left %d bytes cached", h)
	}
	var after runtime.MemStats
	if !settle(func() bool {
		runtime.ReadMemStats(&after)
		EmptyCache() // what finalizers recovered meanwhile
		return int64(after.HeapAlloc)-int64(base) < 4<<20
	}) {
		t.Errorf("live heap %d bytes above the start after EmptyCache; want under 4 MiB", int64(after.HeapAlloc)-int64(base))
	}
}

// Storage left unused across garbage collections is released without any
// call: an idle program holds nothing.
func TestCacheReleasedWhenIdle(t *testing.T) {
	defer SetCacheLimit(SetCacheLimit(DefaultCacheLimit))
	for i := 0; i < 16; i++ {
		Recycle(Float32.Zeros(recycleMin << (i % 4)))
	}
	if CachedBytes() == 0 {
		t.Fatal("nothing cached after Recycle")
	}
	if !settle(func() bool { return CachedBytes() == 0 }) {
		t.Errorf("%d bytes still cached after collections with the cache idle", CachedBytes())
	}
}

// SetCacheLimit trims to a lower limit at once, turns caching off at 0
// (allocations then have their exact length), and rejects a negative limit.
func TestSetCacheLimit(t *testing.T) {
	defer SetCacheLimit(SetCacheLimit(DefaultCacheLimit))
	if got := CacheLimit(); got != DefaultCacheLimit {
		t.Fatalf("CacheLimit() = %d, want the default %d", got, DefaultCacheLimit)
	}
	for i := 0; i < 8; i++ {
		Recycle(Zeros(1 << 16)) // 512 KiB each
	}
	if prev := SetCacheLimit(1 << 20); prev != DefaultCacheLimit {
		t.Errorf("SetCacheLimit returned %d, want the previous limit %d", prev, DefaultCacheLimit)
	}
	if h := CachedBytes(); h > 1<<20 {
		t.Errorf("%d bytes cached after lowering the limit to 1 MiB", h)
	}
	// an array that could never fit is not rounded up to its size class
	big := Zeros(1<<17 + 1)
	if c := cap(big.Data()); c != 1<<17+1 {
		t.Errorf("an array over the limit has capacity %d for %d elements", c, 1<<17+1)
	}
	SetCacheLimit(0)
	if h := CachedBytes(); h != 0 {
		t.Errorf("%d bytes cached with caching off", h)
	}
	x := Zeros(recycleMin + 1)
	if c := cap(x.Data()); c != recycleMin+1 {
		t.Errorf("with caching off, an array of %d elements has capacity %d", recycleMin+1, c)
	}
	Recycle(x)
	if h := CachedBytes(); h != 0 {
		t.Errorf("Recycle cached %d bytes with caching off", h)
	}
	err := Maybe(func() { SetCacheLimit(-1) })
	if !errors.Is(err, ErrArg) {
		t.Errorf("SetCacheLimit(-1): %v, want ErrArg", err)
	}
}

// Storage that becomes unreachable comes back to the cache by itself (its
// finalizer), so that eager code reuses its dead intermediates.
func TestUnreachableStorageComesBack(t *testing.T) {
	defer SetCacheLimit(SetCacheLimit(DefaultCacheLimit))
	EmptyCache()
	const n = 7 << 14 // a class no other test uses
	_, size := classOf(n)
	addr := func() uintptr { // the array's address, which keeps nothing alive
		return uintptr(unsafe.Pointer(&Full(1, n).Data()[0]))
	}
	a := addr()
	found := settle(func() bool { return CachedBytes() >= int64(size)*8 })
	if !found {
		t.Fatal("an unreachable array never came back to the cache")
	}
	if b := uintptr(unsafe.Pointer(&Uninitialized(Float64, []int{n}).Data()[0])); b != a {
		t.Errorf("the next allocation of the class got %#x, not the recovered array %#x", b, a)
	}
}

// Arrays shorter than armMin carry no finalizer: they come back through
// Recycle, at once, and never through the collector (a finalizer per small
// array would cost more than the cache saves).
func TestSmallStorageComesBackOnlyThroughRecycle(t *testing.T) {
	defer SetCacheLimit(SetCacheLimit(DefaultCacheLimit))
	const n = 300 // between recycleMin and armMin
	if n < recycleMin || n >= armMin {
		t.Fatalf("n = %d is not between recycleMin %d and armMin %d", n, recycleMin, armMin)
	}
	c, _ := classOf(n)
	cached := func() int { // arrays of n's class in the float64 cache
		l := &cache64.class[c]
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.bufs)
	}
	EmptyCache()
	for range 10 {
		Full(1, n) // dropped
	}
	for range 20 { // long enough for TestUnreachableStorageComesBack's arrays
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if cached() > 0 {
		t.Errorf("unreachable arrays of %d elements came back through the collector: %d cached", n, cached())
	}
	x := Full(2, n)
	a := &x.Data()[0]
	Recycle(x)
	if k := cached(); k != 1 {
		t.Errorf("after Recycle the class holds %d arrays, want 1", k)
	}
	if b := &Uninitialized(Float64, []int{n}).Data()[0]; b != a {
		t.Errorf("the next allocation of the class got %p, not the recycled array %p", b, a)
	}
}

// The safety of that: storage comes back only when nothing refers to it.
// A slice from Data kept after its tensor died, and a view kept after its
// base died, keep their values while the same size classes are churned
// through NaN-filled tensors and collections.
func TestLiveSlicesAndViewsAreNeverReused(t *testing.T) {
	defer SetCacheLimit(SetCacheLimit(DefaultCacheLimit))
	const n = 3 * recycleMin
	d := Full(7, n).Data()
	d32 := Float32.Full(8, n).Data32()
	v := Slice(Full(5, 4, n), 0, 1, 2) // row 1, a view of an unreachable base
	r := Full(6, n).Reshape(4, n/4)
	for round := 0; round < 20; round++ {
		runtime.GC()
		time.Sleep(time.Millisecond) // let finalizers run
		for k := 0; k < 4; k++ {
			Full(math.NaN(), n)
			Full(math.NaN(), 4*n)
			Float32.Full(float64(math.NaN()), n)
		}
	}
	for i := 0; i < n; i++ {
		if d[i] != 7 || d32[i] != 8 || v.AtFlat(i) != 5 || r.AtFlat(i) != 6 {
			t.Fatalf("element %d changed: Data %v, Data32 %v, view %v, reshape %v", i, d[i], d32[i], v.AtFlat(i), r.AtFlat(i))
		}
	}
}

// Concurrent allocation, recycling, collection and limit changes: each
// goroutine's live tensors keep their values (run with -race).
func TestCacheConcurrent(t *testing.T) {
	defer SetCacheLimit(SetCacheLimit(DefaultCacheLimit))
	iters := 300
	if testing.Short() {
		iters = 100
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 9))
			var live []*Tensor
			for i := 0; i < iters; i++ {
				x := dtypes[g%2].Full(float64(g), recycleMin+r.IntN(3*recycleMin))
				live = append(live, x)
				if len(live) > 4 {
					if r.IntN(2) == 0 {
						Recycle(live[0])
					}
					live = live[1:]
				}
				for _, y := range live {
					if y.AtFlat(r.IntN(y.Size())) != float64(g) {
						errs <- "a live tensor's element changed"
						return
					}
				}
			}
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 20; i++ {
			runtime.GC()
			SetCacheLimit(int64(i%3) << 20)
			if i%5 == 0 {
				EmptyCache()
			}
		}
	}()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
