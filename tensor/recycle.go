package tensor

import "sync"

// Storage recycling. Fresh large slices cost the kernels page faults and
// zeroing; a caller that knows a tensor is dead (ad.Program does, from its
// liveness analysis) hands its storage back with Recycle, and the next
// allocation of the same length reuses it.

// recycleMin is the smallest length worth recycling.
const recycleMin = 1 << 12

var pools sync.Map // poolKey → *sync.Pool of *[]float64 or *[]float32

type poolKey struct {
	n  int
	f4 bool
}

func pool(n int, f32 bool) *sync.Pool {
	k := poolKey{n, f32}
	if p, ok := pools.Load(k); ok {
		return p.(*sync.Pool)
	}
	p, _ := pools.LoadOrStore(k, new(sync.Pool))
	return p.(*sync.Pool)
}

func alloc64(n int) []float64 {
	if n >= recycleMin {
		if b, ok := pool(n, false).Get().(*[]float64); ok {
			clear(*b)
			return *b
		}
	}
	return make([]float64, n)
}

func alloc32(n int) []float32 {
	if n >= recycleMin {
		if b, ok := pool(n, true).Get().(*[]float32); ok {
			clear(*b)
			return *b
		}
	}
	return make([]float32, n)
}

// Recycle hands t's storage back for reuse by a later allocation of the
// same length, and empties t. The caller guarantees that neither t nor any
// tensor sharing its data (a Reshape of it, say) is used afterwards; it is
// an optimization for code that tracks lifetimes, like ad.Program.
func Recycle(t *Tensor) {
	switch {
	case t.dtype == Float32 && len(t.f32) >= recycleMin:
		b := t.f32
		pool(len(b), true).Put(&b)
	case t.dtype == Float64 && len(t.f64) >= recycleMin:
		b := t.f64
		pool(len(b), false).Put(&b)
	}
	t.f64, t.f32, t.shape = nil, nil, []int{0}
}

// Storage returns a key identifying t's backing storage: tensors that
// share data (through Reshape) have equal keys. It is nil for an empty
// tensor.
func (t *Tensor) Storage() any {
	switch {
	case t.dtype == Float32 && len(t.f32) > 0:
		return &t.f32[0]
	case t.dtype == Float64 && len(t.f64) > 0:
		return &t.f64[0]
	}
	return nil
}
