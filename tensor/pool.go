package tensor

// Max pooling as two linear maps indexed by the argmax of each window:
// MaxPool2D gathers, for every window of x, the element of v where x is
// largest, and MaxPool2DScatter adds u's elements back at those positions
// (its transpose). Max pooling itself is MaxPool2D(x, x, …); its gradient
// is MaxPool2DScatter, and the pair is closed under differentiation.
// Windows of 2×2 with stride 2 and no padding, the common case, run
// kernel.MaxPool2x2 and kernel.ScatterPool2x2 (SSE2 loops for float32):
// the scatter recomputes each window's argmax in the same pass that
// writes the gradient, with no index buffer.

import (
	"math"

	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/internal/workers"
)

// PoolConfig holds the static arguments of 2-d pooling. A zero Stride
// means the kernel size (PyTorch's default); Padding is
// {{top, bottom}, {left, right}}, each side at most half the kernel, so
// that every window overlaps the input.
type PoolConfig struct {
	Stride  [2]int
	Padding [2][2]int
}

// PoolShape checks 2-d pooling of an N×C×H×W input x by a kernel of
// k[0]×k[1] and returns the normalized config and the output shape
// N×C×OH×OW, OH = ⌊(H + top + bottom - k[0])/stride⌋ + 1 and OW likewise.
// It panics, naming op, with ErrShape if x has not rank 4 or the kernel
// does not fit the padded input, and with ErrArg for a kernel or stride
// below 1, a negative padding, or a padding over half the kernel.
func PoolShape(op string, x []int, k [2]int, cfg PoolConfig) (PoolConfig, []int) {
	if len(x) != 4 {
		Panicf(ErrShape, op, "input %s: want rank 4 (N,C,H,W)", ShapeString(x))
	}
	var out [2]int
	for i := range 2 {
		if k[i] < 1 || cfg.Stride[i] < 0 {
			Panicf(ErrArg, op, "kernel %v and stride %v must be positive", k, cfg.Stride)
		}
		if cfg.Stride[i] == 0 {
			cfg.Stride[i] = k[i]
		}
		for _, p := range cfg.Padding[i] {
			if p < 0 || 2*p > k[i] {
				Panicf(ErrArg, op, "padding %v must be between 0 and half the kernel %v", cfg.Padding, k)
			}
		}
		out[i] = ConvOutSize(x[2+i], k[i], cfg.Stride[i], cfg.Padding[i][0], cfg.Padding[i][1], 1)
		if out[i] < 1 {
			Panicf(ErrShape, op, "kernel %v does not fit the input %s padded by %v", k, ShapeString(x), cfg.Padding)
		}
	}
	return cfg, []int{x[0], x[1], out[0], out[1]}
}

// MaxPool2D returns, for each k[0]×k[1] window of the N×C×H×W input x
// (stepped by the stride, over x padded with -Inf), the element of v at the
// position of the window's maximum of x: max pooling for v = x. v has x's
// shape, or more leading dimensions, over each of which the positions are
// reused. The maximum's position is the first in row-major window order
// whose value is largest (later equal values do not replace it), except
// that a NaN replaces it, as in PyTorch's CPU kernel. The result has v's
// leading dimensions and then N×C×OH×OW (see PoolShape). It panics as
// PoolShape does, with ErrShape if v's trailing dimensions are not x's, and
// with ErrDType if the dtypes differ.
func MaxPool2D(x, v *Tensor, k [2]int, cfg PoolConfig) *Tensor {
	const op = "max_pool2d"
	sameDType(op, x, v)
	cfg, shape := PoolShape(op, x.shape, k, cfg)
	lead := poolLead(op, "argument", v.shape, x.shape)
	out := dirty(x.dtype, append(append([]int(nil), lead...), shape...))
	if v == x && pool2x2(k, cfg) {
		// plain max pooling by 2×2 windows: the maxima, no positions
		if x.dtype == Float32 {
			max2x2(x.f32, out.f32, x.shape, shape)
		} else {
			max2x2(x.f64, out.f64, x.shape, shape)
		}
		return out
	}
	idx := argmaxes(x, k, cfg, shape)
	if x.dtype == Float32 {
		poolGather(idx, v.f32, out.f32, Size(x.shape))
	} else {
		poolGather(idx, v.f64, out.f64, Size(x.shape))
	}
	return out
}

// MaxPool2DScatter returns the transpose of MaxPool2D(x, ·, k, cfg): a
// tensor shaped like x (after u's extra leading dimensions) that is zero
// except where a window of x has its maximum, where it holds the sum of
// u's elements of the windows that pick that position. It panics like
// MaxPool2D, with ErrShape if u's trailing dimensions are not the pooled
// shape.
func MaxPool2DScatter(x, u *Tensor, k [2]int, cfg PoolConfig) *Tensor {
	const op = "max_pool2d_scatter"
	sameDType(op, x, u)
	cfg, shape := PoolShape(op, x.shape, k, cfg)
	lead := poolLead(op, "cotangent", u.shape, shape)
	outShape := append(append([]int(nil), lead...), x.shape...)
	if len(lead) == 0 && pool2x2(k, cfg) {
		// the kernel writes every element
		out := dirty(x.dtype, outShape)
		if x.dtype == Float32 {
			scatter2x2(x.f32, u.f32, out.f32, x.shape, shape)
		} else {
			scatter2x2(x.f64, u.f64, out.f64, x.shape, shape)
		}
		return out
	}
	out := Empty(x.dtype, outShape)
	idx := argmaxes(x, k, cfg, shape)
	if x.dtype == Float32 {
		poolScatter(idx, u.f32, out.f32, Size(x.shape))
	} else {
		poolScatter(idx, u.f64, out.f64, Size(x.shape))
	}
	return out
}

// poolLead returns the leading dimensions of shape s before its trailing
// dimensions want, and panics with ErrShape if s does not end in want.
func poolLead(op, what string, s, want []int) []int {
	n := len(s) - len(want)
	if n < 0 || !equalInts(s[n:], want) {
		Panicf(ErrShape, op, "%s %s does not end in %s", what, ShapeString(s), ShapeString(want))
	}
	return s[:n]
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// argmaxes returns, for each element of the pooled output (shape), the flat
// index into x of its window's maximum.
func argmaxes(x *Tensor, k [2]int, cfg PoolConfig, shape []int) []int {
	if x.dtype == Float32 {
		return argmaxesOf(x.f32, x.shape, k, cfg, shape)
	}
	return argmaxesOf(x.f64, x.shape, k, cfg, shape)
}

func argmaxesOf[T Float](xs []T, xshape []int, k [2]int, cfg PoolConfig, shape []int) []int {
	h, w := xshape[2], xshape[3]
	oh, ow := shape[2], shape[3]
	idx := make([]int, Size(shape))
	planes := xshape[0] * xshape[1]
	// planes on several cores, a piece of at least ~2¹³ input elements each
	workers.For(planes, max(1, poolGrain/max(1, h*w)), func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			base := pl * h * w
			o := idx[pl*oh*ow:][:oh*ow]
			for i := range oh {
				h0 := i*cfg.Stride[0] - cfg.Padding[0][0]
				for j := range ow {
					w0 := j*cfg.Stride[1] - cfg.Padding[1][0]
					best, at := T(math.Inf(-1)), -1
					for p := max(h0, 0); p < min(h0+k[0], h); p++ {
						for q := max(w0, 0); q < min(w0+k[1], w); q++ {
							f := base + p*w + q
							if val := xs[f]; val > best || val != val || at < 0 {
								best, at = val, f
							}
						}
					}
					o[i*ow+j] = at
				}
			}
		}
	})
	return idx
}

// pool2x2 reports whether pooling by k with cfg is by 2×2 windows with
// stride 2 and no padding, the common case with fast paths.
func pool2x2(k [2]int, cfg PoolConfig) bool {
	return k == [2]int{2, 2} && cfg.Stride == k && cfg.Padding == [2][2]int{}
}

// poolGrain is the least number of input elements of a piece of planes
// that a pooling kernel hands to another core.
const poolGrain = 1 << 13

// max2x2 writes into out, shaped pooled, the element of each 2×2 window
// (stride 2) of x, shaped xshape, at the window's maximum: the value
// MaxPool2D(x, x) picks (see kernel.MaxPool2x2), over pieces of the
// planes on several cores.
func max2x2[T Float](x, out []T, xshape, pooled []int) {
	h, w := xshape[2], xshape[3]
	oh, ow := pooled[2], pooled[3]
	workers.For(xshape[0]*xshape[1], max(1, poolGrain/max(1, h*w)), func(lo, hi int) {
		if h == 2*oh { // the planes' row pairs follow each other: one call
			kernel.MaxPool2x2(out[lo*oh*ow:hi*oh*ow], x[lo*h*w:hi*h*w], (hi-lo)*oh, ow, w)
			return
		}
		for pl := lo; pl < hi; pl++ {
			kernel.MaxPool2x2(out[pl*oh*ow:][:oh*ow], x[pl*h*w:][:h*w], oh, ow, w)
		}
	})
}

// scatter2x2 writes into out, shaped xshape, u (shaped pooled) scattered
// to the positions of its 2×2 windows' maxima in x, zeros elsewhere (see
// kernel.ScatterPool2x2), over pieces of the planes on several cores.
func scatter2x2[T Float](x, u, out []T, xshape, pooled []int) {
	h, w := xshape[2], xshape[3]
	oh, ow := pooled[2], pooled[3]
	workers.For(xshape[0]*xshape[1], max(1, poolGrain/max(1, h*w)), func(lo, hi int) {
		if h == 2*oh {
			kernel.ScatterPool2x2(out[lo*h*w:hi*h*w], x[lo*h*w:hi*h*w], u[lo*oh*ow:hi*oh*ow], (hi-lo)*oh, ow, w)
			return
		}
		for pl := lo; pl < hi; pl++ {
			op := out[pl*h*w:][:h*w]
			kernel.ScatterPool2x2(op, x[pl*h*w:][:h*w], u[pl*oh*ow:][:oh*ow], oh, ow, w)
			clear(op[2*oh*w:]) // the last row, which no window covers
		}
	})
}

func poolGather[T Float](idx []int, v, out []T, size int) {
	for b := 0; b*len(idx) < len(out); b++ {
		vb, ob := v[b*size:][:size], out[b*len(idx):][:len(idx)]
		for i, f := range idx {
			ob[i] = vb[f]
		}
	}
}

func poolScatter[T Float](idx []int, u, out []T, size int) {
	for b := 0; b*len(idx) < len(u); b++ {
		ub, ob := u[b*len(idx):][:len(idx)], out[b*size:][:size]
		for i, f := range idx {
			ob[f] += ub[i]
		}
	}
}
