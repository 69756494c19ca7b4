package tensor

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The storage cache. A fresh large slice from the Go runtime costs a
// kernel zeroing and page faults; like PyTorch's caching allocator, this
// package keeps dead storage and hands it to the next allocation that
// fits, uncleared for a kernel that writes every element. Storage comes
// back two ways: a caller that knows a tensor is dead (ad's reverse sweep
// and Program do, from their liveness analysis) hands it back with
// Recycle; and storage the garbage collector finds unreachable (no tensor,
// view or slice from Data refers to it any more) comes back by itself,
// through a finalizer on its array, so that an eager forward pass reuses
// its dead intermediates too.
//
// The cache is bounded:
//   - storage is kept by size class, four classes per power of two (a
//     length is rounded up by at most 25%, unless its class would not fit
//     the cache at all), not by exact length, so that lengths that never
//     repeat still find storage to reuse;
//   - it holds at most CacheLimit bytes (SetCacheLimit; DefaultCacheLimit
//     unless changed): storage beyond that is left to the garbage
//     collector;
//   - storage not taken again between two garbage collections is released
//     to the collector, as sync.Pool does, so an idle program holds nothing
//     after two collections;
//   - EmptyCache releases everything at once, like torch.cuda.empty_cache.

// recycleMin (nodebug.go) is the smallest length worth caching: 2 KiB of
// float64 (a width-256 layer's activations). Below it the runtime's
// small-object allocator is as cheap as a cached array. The
// chainruledebug build caches from 8 elements (debug.go).

// armMin is the smallest length that comes back to the cache through the
// garbage collector (a finalizer on its array): 32 KiB of float64. A
// finalizer per small array would cost more than it saves, so smaller
// storage comes back only through Recycle, from callers that track
// lifetimes (ad's sweeps, Program); what they don't hand back is freed by
// the collector as usual.
const armMin = 1 << 12

// Size classes: class c holds arrays of classLen(c) elements. Lengths in
// (2^k, 2^(k+1)] fall in four classes of width 2^(k-2).
const (
	// minShift (nodebug.go, debug.go): recycleMin is the top of the
	// first octave, (2^minShift, 2^(minShift+1)]
	maxShift = 50 // lengths above 2^51 are not cached
	nClasses = (maxShift - minShift + 1) * 4
)

// classOf returns the size class of length n ≥ recycleMin and its array
// length, or -1 if n is too large to cache.
func classOf(n int) (c, size int) {
	k := bits.Len(uint(n-1)) - 1 // 2^k < n ≤ 2^(k+1)
	if k > maxShift {
		return -1, n
	}
	q := (n - 1<<k + 1<<(k-2) - 1) >> (k - 2) // 1…4 steps of 2^(k-2) above 2^k
	return (k-minShift)*4 + q - 1, 1<<k + q<<(k-2)
}

// DefaultCacheLimit is the number of bytes the storage cache holds at most
// unless SetCacheLimit changes it: 128 MiB.
const DefaultCacheLimit = 128 << 20

var (
	limit   atomic.Int64  // the cap on held bytes, less DefaultCacheLimit (so that the zero value is the default)
	held    atomic.Int64  // bytes held by the cache
	epoch   atomic.Uint64 // garbage collections seen while the cache held storage
	watched atomic.Bool   // a GC sentinel is armed
	cache64 store[float64]
	cache32 store[float32]
)

// store is the cache of one element type: a LIFO free list per size class.
type store[T Float] struct {
	class [nClasses]freeList[T]
}

type freeList[T Float] struct {
	mu   sync.Mutex
	bufs []entry[T]
}

// entry is a cached array, whole (len = cap = its class's length).
type entry[T Float] struct {
	b     []T
	armed bool   // its finalizer is set
	epoch uint64 // when it was cached
}

func storeOf[T Float]() *store[T] {
	var z T
	if _, ok := any(z).(float32); ok {
		return any(&cache32).(*store[T])
	}
	return any(&cache64).(*store[T])
}

func bytesOf[T Float](n int) int64 {
	var z T
	return int64(n) * int64(unsafe.Sizeof(z))
}

// CacheLimit returns the number of bytes the storage cache may hold.
func CacheLimit() int64 { return limit.Load() + DefaultCacheLimit }

// SetCacheLimit sets the number of bytes the storage cache may hold and
// returns the previous limit; 0 turns caching off. Lowering the limit
// releases cached storage beyond it at once. It is safe to call
// concurrently with everything else; it panics with ErrArg for a negative
// limit.
func SetCacheLimit(bytes int64) (previous int64) {
	if bytes < 0 {
		Panicf(ErrArg, "set_cache_limit", "negative limit %d", bytes)
	}
	previous = limit.Swap(bytes-DefaultCacheLimit) + DefaultCacheLimit
	if held.Load() > bytes {
		trim(func(uint64) bool { return held.Load() > CacheLimit() })
	}
	return previous
}

// CachedBytes returns the number of bytes of dead storage the cache holds
// for reuse (arrays are counted whole, by their size class).
func CachedBytes() int64 { return held.Load() }

// EmptyCache releases all cached storage to the garbage collector, like
// torch.cuda.empty_cache: the memory is returned to the operating system as
// the Go runtime sees fit (runtime/debug.FreeOSMemory forces that).
// Tensors in use are not affected.
func EmptyCache() { trim(func(uint64) bool { return true }) }

// trim releases, class by class, the cached arrays for which drop(epoch
// cached) holds, oldest first, stopping in a class at the first it keeps.
func trim(drop func(uint64) bool) {
	trimStore(&cache64, drop)
	trimStore(&cache32, drop)
}

func trimStore[T Float](s *store[T], drop func(uint64) bool) {
	for c := range s.class {
		l := &s.class[c]
		l.mu.Lock()
		i := 0
		for i < len(l.bufs) && drop(l.bufs[i].epoch) {
			e := l.bufs[i]
			if e.armed {
				runtime.SetFinalizer(&e.b[0], nil)
			}
			leave(e.b)
			held.Add(-bytesOf[T](len(e.b)))
			i++
		}
		if i > 0 {
			n := copy(l.bufs, l.bufs[i:])
			clear(l.bufs[n:])
			l.bufs = l.bufs[:n]
		}
		l.mu.Unlock()
	}
}

// allocDirty returns a []T of length n for a kernel that writes every
// element: cached storage comes back as it was left, not zeroed.
func allocDirty[T Float](n int) []T {
	if n < recycleMin {
		return make([]T, n) // too small to cache
	}
	c, size := classOf(n)
	if limit.Load() == -DefaultCacheLimit || c < 0 || bytesOf[T](size) > CacheLimit() {
		// caching is off, or it would never fit the cache: no rounding up
		b := make([]T, n)
		handOut(b)
		return b
	}
	l := &storeOf[T]().class[c]
	l.mu.Lock()
	if k := len(l.bufs); k > 0 {
		e := l.bufs[k-1]
		l.bufs[k-1] = entry[T]{}
		l.bufs = l.bufs[:k-1]
		l.mu.Unlock()
		held.Add(-bytesOf[T](size))
		if !e.armed {
			arm(e.b, c)
		}
		handOut(e.b)
		return e.b[:n]
	}
	l.mu.Unlock()
	b := make([]T, size)
	arm(b, c)
	handOut(b)
	return b[:n]
}

// arm sets the finalizer that hands b, an array of class c, back to the
// cache once nothing refers to it, if b is long enough (armMin). The
// finalizer keeps no reference to b: it rebuilds the slice from the
// pointer the runtime passes it.
func arm[T Float](b []T, c int) {
	if len(b) < armMin {
		return
	}
	size := len(b)
	runtime.SetFinalizer(&b[0], func(p *T) { put(unsafe.Slice(p, size), c, false) })
}

// put caches b, an array of class c whose finalizer is set if armed, if
// the cache has room for it; otherwise it leaves b to the collector.
func put[T Float](b []T, c int, armed bool) {
	handBack(b)
	n := bytesOf[T](len(b))
	for { // reserve n bytes, never going over the limit even for a moment
		h := held.Load()
		if h+n > CacheLimit() {
			if armed {
				runtime.SetFinalizer(&b[0], nil)
			}
			leave(b)
			return
		}
		if held.CompareAndSwap(h, h+n) {
			break
		}
	}
	l := &storeOf[T]().class[c]
	l.mu.Lock()
	l.bufs = append(l.bufs, entry[T]{b, armed, epoch.Load()})
	l.mu.Unlock()
	watch()
}

// watch arms a sentinel whose cleanup runs after the next garbage
// collection, unless one is armed already.
func watch() {
	if watched.Load() || !watched.CompareAndSwap(false, true) {
		return
	}
	s := new(sentinel)
	runtime.AddCleanup(s, func(struct{}) { collected() }, struct{}{})
}

// sentinel is an object allocated only to become garbage; it is big enough
// not to share a tiny-allocator block, which would delay its cleanup.
type sentinel [2]unsafe.Pointer

// collected runs after each garbage collection while the cache holds
// storage: it releases what was cached before the previous collection and
// not taken since, then watches for the next collection.
func collected() {
	now := epoch.Add(1)
	trim(func(e uint64) bool { return e+2 <= now })
	watched.Store(false)
	if held.Load() > 0 {
		watch()
	}
}

// Recycle hands t's storage to the cache for reuse by a later allocation
// of the same size class, and empties t. The caller guarantees that neither
// t nor any tensor sharing its data (a Reshape of it, say) nor a slice from
// Data is used afterwards; it is an optimization for code that tracks
// lifetimes, like ad.Program (storage that simply becomes unreachable comes
// back by itself, later). Only storage this package allocated whole is
// cached: a Slice view, or a tensor made by New or New32 from the caller's
// slice, is emptied but its storage left alone, as other data may share
// its array.
func Recycle(t *Tensor) {
	if t.own {
		if t.dtype == Float32 {
			checkRecycle(t.f32, t.stamp)
			recycle(t.f32)
		} else {
			checkRecycle(t.f64, t.stamp)
			recycle(t.f64)
		}
	}
	t.f64, t.f32, t.shape, t.own, t.stamp = nil, nil, []int{0}, false, stamp{}
}

// recycle caches b, a slice from allocDirty.
func recycle[T Float](b []T) {
	if len(b) < recycleMin {
		return
	}
	if c, size := classOf(len(b)); c >= 0 && cap(b) == size {
		put(b[:size], c, size >= armMin) // allocDirty armed it if it is that long
	}
}

// Storage returns a key identifying t's backing storage: tensors that
// share data (a Reshape, a Slice view) have equal keys, so code that
// mutates or recycles storage can tell what aliases what (as NumPy's
// shares_memory does). It is nil for an empty tensor.
func (t *Tensor) Storage() any {
	// views run to the end of their base's array, so the array's last
	// element identifies it
	switch {
	case t.dtype == Float32 && len(t.f32) > 0:
		return &t.f32[:cap(t.f32)][cap(t.f32)-1]
	case t.dtype == Float64 && len(t.f64) > 0:
		return &t.f64[:cap(t.f64)][cap(t.f64)-1]
	}
	return nil
}
