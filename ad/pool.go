package ad

// Pooling. Max pooling is built from two primitives indexed by the argmax
// of each window of a selector x, which they treat as a constant (the
// argmax is piecewise constant in x, so its derivative is 0 almost
// everywhere): take(x, v) gathers v at x's argmaxes and scatter(x, u) adds
// u back at them. Each is linear in its second argument and the transpose
// of the other, so MaxPool2D(x) = take(x, x) is differentiable to any
// order, and the argmax is recomputed from x's value when it runs (so
// Compile replays it correctly on new inputs). Average pooling is a
// composite: a depthwise convolution with a kernel of ones, divided by the
// window size.

import (
	"github.com/chainrule/chainrule/tensor"
)

// PoolConfig holds 2-d pooling's stride (zero: the kernel size) and padding
// {{top, bottom}, {left, right}}, each at most half the kernel; see
// tensor.PoolConfig.
type PoolConfig = tensor.PoolConfig

func poolParams(k [2]int, cfg PoolConfig) *params {
	return &params{idx: []int{k[0], k[1], cfg.Stride[0], cfg.Stride[1],
		cfg.Padding[0][0], cfg.Padding[0][1], cfg.Padding[1][0], cfg.Padding[1][1]}}
}

func poolOf(p *params) ([2]int, PoolConfig) {
	i := p.idx
	return [2]int{i[0], i[1]}, PoolConfig{Stride: [2]int{i[2], i[3]}, Padding: [2][2]int{{i[4], i[5]}, {i[6], i[7]}}}
}

var poolTakePrim, poolScatterPrim = new(prim), new(prim)

func init() {
	*poolTakePrim = prim{
		name: "max_pool2d",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			k, c := poolOf(p)
			return tensor.MaxPool2D(t[0], t[1], k, c)
		},
		// Linear in v, constant in the selector x: d take(x, v) = take(x, dv).
		// The kernel reuses the argmaxes over v's leading (batch) dimensions.
		jvp: func(tans, a []Value, _ Value, p *params, _ int) Value {
			if tans[1].IsZero() {
				return Value{}
			}
			return bind(poolTakePrim, p, a[0], tans[1])
		},
		// v̄ = scatter(x, ȳ); x̄ = 0. The kernel reuses the argmaxes over a
		// batch of cotangents' leading dimensions.
		vjp: func(ct Value, i int, a []Value, _ Value, p *params) Value {
			if i == 0 {
				return Value{}
			}
			return bind(poolScatterPrim, p, a[0], ct)
		},
		vmap: vmapPool,
	}
	*poolScatterPrim = prim{
		name: "max_pool2d_scatter",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			k, c := poolOf(p)
			return tensor.MaxPool2DScatter(t[0], t[1], k, c)
		},
		// d scatter(x, u) = scatter(x, du)
		jvp: func(tans, a []Value, _ Value, p *params, _ int) Value {
			if tans[1].IsZero() {
				return Value{}
			}
			return bind(poolScatterPrim, p, a[0], tans[1])
		},
		// ū = take(x, ū's cotangent); x̄ = 0; batched as take's.
		vjp: func(ct Value, i int, a []Value, _ Value, p *params) Value {
			if i == 0 {
				return Value{}
			}
			return bind(poolTakePrim, p, a[0], ct)
		},
		vmap: vmapPool,
	}
}

// vmapPool is the batching rule of take and scatter: a batch of the
// operand v alone reuses x's argmaxes (the kernels take v with leading
// dimensions); a batch of selectors x folds into the image axis N, with
// v's batch axis (v copied k times if it is shared) moved next to its N.
func vmapPool(p *prim, a []Value, bat []bool, prm *params, k int) Value {
	x, v := a[0], a[1]
	switch {
	case !bat[0]:
		return bind(p, prm, x, v)
	case k == 0:
		return emptyBatch(func(xs []Value) Value { return bind(p, prm, xs...) }, a, bat)
	case !bat[1]:
		v = spread(v, k)
	}
	xs, vs := x.Shape(), v.Shape() // k×N×C×H×W; k, v's leading dimensions, N×C×h×w
	m := len(vs) - 5
	perm := make([]int, 0, len(vs)) // the batch axis next to N
	for i := 1; i <= m; i++ {
		perm = append(perm, i)
	}
	perm = append(perm, 0, m+1, m+2, m+3, m+4)
	vf := Reshape(Transpose(v, perm...), append(append([]int(nil), vs[1:m+1]...), k*vs[m+1], vs[m+2], vs[m+3], vs[m+4])...)
	y := bind(p, prm, Reshape(x, k*xs[1], xs[2], xs[3], xs[4]), vf)
	ys := y.Shape() // v's leading dimensions, k·N×C×h'×w'
	y = Reshape(y, append(append([]int(nil), ys[:m]...), k, xs[1], ys[m+1], ys[m+2], ys[m+3])...)
	back := []int{m}
	for i := range m + 5 {
		if i != m {
			back = append(back, i)
		}
	}
	return Transpose(y, back...)
}

// MaxPool2D returns the maximum of each kernel[0]×kernel[1] window of x,
// shaped N×C×H×W, as an N×C×OH×OW value with OH = ⌊(H + top + bottom -
// kernel[0])/stride⌋ + 1 and OW likewise (PyTorch's F.max_pool2d; padding
// counts as -Inf). The gradient flows to the position of each window's
// maximum; overlapping windows add. On ties it goes entirely to the first
// maximal element in row-major window order, as in PyTorch (whose CPU
// kernel keeps the first maximum it meets); a NaN in a window is its
// maximum. The second derivative is 0. Under Vmap a batch of inputs is
// pooled as one input of all the images.
//
// It panics with tensor.ErrShape if x has not rank 4 or the kernel does not
// fit the padded input, and with tensor.ErrArg for a kernel or stride
// below 1 or a padding over half the kernel.
func MaxPool2D(x Value, kernel [2]int, cfg PoolConfig) Value {
	check("max_pool2d", x)
	cfg, _ = tensor.PoolShape("max_pool2d", x.Shape(), kernel, cfg)
	return bind(poolTakePrim, poolParams(kernel, cfg), x, x)
}

// AvgPool2D returns the mean of each kernel[0]×kernel[1] window of x,
// shaped N×C×H×W, as an N×C×OH×OW value shaped as for MaxPool2D (PyTorch's
// F.avg_pool2d with its default count_include_pad=True: padding counts as
// zeros, and every window is divided by the kernel's size). It is a
// composite: a depthwise Conv2D with a kernel of ones, then a division. It
// panics as MaxPool2D does, naming avg_pool2d.
func AvgPool2D(x Value, kernel [2]int, cfg PoolConfig) Value {
	const op = "avg_pool2d"
	check(op, x)
	cfg, out := tensor.PoolShape(op, x.Shape(), kernel, cfg)
	s := x.Shape()
	planes := Reshape(x, s[0]*s[1], 1, s[2], s[3])
	ones := From(x.DType().Ones(1, 1, kernel[0], kernel[1]))
	sum := Conv2D(planes, ones, ConvConfig{Stride: cfg.Stride, Padding: cfg.Padding})
	return Reshape(Div(sum, like(x, float64(kernel[0]*kernel[1]))), out...)
}
