package tensor

import "sync"

// Storage recycling. Fresh large slices cost the kernels page faults and
// zeroing; a caller that knows a tensor is dead (ad.Program does, from its
// liveness analysis) hands its storage back with Recycle, and the next
// allocation of the same length reuses it.

// recycleMin is the smallest length worth recycling.
const recycleMin = 1 << 12

var pools sync.Map // poolKey → *sync.Pool of *[]T

type poolKey struct {
	n   int
	f32 bool
}

// pool returns the pool of []T slices of length n.
func pool[T Float](n int) *sync.Pool {
	var z T
	_, f32 := any(z).(float32)
	k := poolKey{n, f32}
	if p, ok := pools.Load(k); ok {
		return p.(*sync.Pool)
	}
	p, _ := pools.LoadOrStore(k, new(sync.Pool))
	return p.(*sync.Pool)
}

// allocDirty returns a []T of length n for a kernel that writes every
// element: recycled storage comes back as it was left, not zeroed.
func allocDirty[T Float](n int) []T {
	if n >= recycleMin {
		if b, ok := pool[T](n).Get().(*[]T); ok {
			return *b
		}
	}
	return make([]T, n)
}

// put hands b to the pool of its length, if it is worth keeping.
func put[T Float](b []T) {
	if len(b) >= recycleMin {
		pool[T](len(b)).Put(&b)
	}
}

// Recycle hands t's storage back for reuse by a later allocation of the
// same length, and empties t. The caller guarantees that neither t nor any
// tensor sharing its data (a Reshape of it, say) is used afterwards; it is
// an optimization for code that tracks lifetimes, like ad.Program. Only
// storage this package allocated whole is pooled: a Slice view, or a tensor
// made by New or New32 from the caller's slice, is emptied but its storage
// left alone, as other data may share its array.
func Recycle(t *Tensor) {
	if t.own {
		if t.dtype == Float32 {
			put(t.f32)
		} else {
			put(t.f64)
		}
	}
	t.f64, t.f32, t.shape, t.own = nil, nil, []int{0}, false
}

// Storage returns a key identifying t's backing storage: tensors that
// share data (a Reshape, a Slice view) have equal keys. It is nil for an
// empty tensor.
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
