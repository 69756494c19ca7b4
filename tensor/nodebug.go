//go:build !chainruledebug

package tensor

// The storage checks are off (see debug.go, built with -tags
// chainruledebug): these are no-ops the compiler removes.

const debugStorage = false

const (
	recycleMin = 1 << 8 // the smallest length worth caching; see recycle.go
	minShift   = 7      // recycleMin is the top of the first octave, (2^7, 2^8]
)

type stamp struct{}

func handOut[T Float](b []T)               {}
func stampOf[T Float](b []T) stamp         { return stamp{} }
func checkRecycle[T Float](b []T, s stamp) {}
func handBack[T Float](b []T)              {}
func leave[T Float](b []T)                 {}
