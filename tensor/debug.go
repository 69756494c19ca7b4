//go:build chainruledebug

package tensor

// The storage checks of the chainruledebug build (go test -tags
// chainruledebug): storage reuse is the one optimization that can turn a
// bookkeeping bug into silently wrong numbers, so this build makes every
// such bug loud.
//   - Every array the cache hands out gets a new generation, and a tensor
//     records the generation of its storage. Recycle panics if the storage
//     has been recycled since the tensor got it (a stale header, or a view
//     of storage already handed back), and the cache panics if an array it
//     holds is handed back again: either would give one array to two later
//     allocations.
//   - Storage is filled with NaN when it is handed back and when it is
//     handed out, so a read through a stale header, or of an element a
//     kernel forgot to write, shows as NaN.
//   - Storage is cached from 8 elements (not 256), so that tests at small
//     sizes exercise reuse.

import (
	"fmt"
	"math"
	"sync"
	"unsafe"
)

const debugStorage = true

const (
	recycleMin = 1 << 3
	minShift   = 2
)

// stamp is the generation of a tensor's storage when the tensor got it.
type stamp struct{ gen uint64 }

var gens = struct {
	sync.Mutex
	next   uint64
	of     map[uintptr]uint64 // an array's current generation, by its last element's address
	cached map[uintptr]bool   // arrays the cache holds
}{of: map[uintptr]uint64{}, cached: map[uintptr]bool{}}

// arrayKey identifies b's array (as Storage does) without keeping it alive.
func arrayKey[T Float](b []T) uintptr {
	return uintptr(unsafe.Pointer(&b[:cap(b)][cap(b)-1]))
}

// renew fills b's whole array with NaN, gives it a new generation and
// records whether the cache now holds it; it panics if the cache is
// handed an array it holds already.
func renew[T Float](b []T, cached bool) {
	a := b[:cap(b)]
	for i := range a {
		a[i] = T(math.NaN())
	}
	k := arrayKey(b)
	gens.Lock()
	defer gens.Unlock()
	if cached && gens.cached[k] {
		panic("tensor: internal error: storage handed back to the cache twice")
	}
	gens.next++
	gens.of[k] = gens.next
	if cached {
		gens.cached[k] = true
	} else {
		delete(gens.cached, k)
	}
}

// handOut gives b, leaving the cache or freshly made, a new generation and
// fills it with NaN.
func handOut[T Float](b []T) { renew(b, false) }

// handBack marks b's array as held by the cache, fills it with NaN and
// gives it a new generation; it panics if the cache holds it already.
func handBack[T Float](b []T) { renew(b, true) }

// stampOf returns the current generation of b's array (zero if the cache
// never handed it out).
func stampOf[T Float](b []T) stamp {
	if cap(b) == 0 {
		return stamp{}
	}
	gens.Lock()
	defer gens.Unlock()
	return stamp{gens.of[arrayKey(b)]}
}

// checkRecycle panics unless s (zero: not known) is the current generation
// of b's array.
func checkRecycle[T Float](b []T, s stamp) {
	if s.gen == 0 || cap(b) == 0 {
		return
	}
	gens.Lock()
	now := gens.of[arrayKey(b)]
	gens.Unlock()
	if now != s.gen {
		panic(fmt.Sprintf("tensor: internal error: Recycle of storage recycled since (generation %d, now %d): a stale header or a view of storage already handed back", s.gen, now))
	}
}

// leave records that b's array left the cache for the collector (trimmed,
// or refused for want of room): its address may come back as a new array.
func leave[T Float](b []T) {
	gens.Lock()
	delete(gens.cached, arrayKey(b))
	gens.Unlock()
}
