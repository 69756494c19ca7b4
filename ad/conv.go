package ad

// Convolution. Three primitives close under differentiation: the
// convolution y = conv(x, w), its transpose as a linear map of x,
// x̄ = convT(ȳ, w), and its transpose as a linear map of w,
// w̄ = wgrad(x, ȳ). Each is bilinear, so its forward rule applies the
// primitive to one tangent at a time, and its reverse rules are the other
// two primitives, from ⟨conv(x, w), y⟩ = ⟨x, convT(y, w)⟩ = ⟨w, wgrad(x, y)⟩
// (Dumoulin & Visin, "A guide to convolution arithmetic for deep
// learning", 2016). Their kernels (tensor/conv.go) unfold the input and
// run the GEMM.

import (
	"github.com/chainrule/chainrule/tensor"
)

// ConvConfig holds a 2-d convolution's stride, padding (asymmetric
// allowed), dilation and groups; see tensor.ConvConfig. The zero value is
// stride 1, no padding, dilation 1, one group.
type ConvConfig = tensor.ConvConfig

// convSpec is a convolution's config with the input's spatial size and the
// kernel's, the static arguments all three primitives share. It travels in
// params.idx (see encode).
type convSpec struct {
	cfg    ConvConfig
	h, w   int // input height and width
	kh, kw int // kernel height and width
}

func (s convSpec) encode() *params {
	c := s.cfg
	return &params{idx: []int{c.Stride[0], c.Stride[1], c.Padding[0][0], c.Padding[0][1], c.Padding[1][0], c.Padding[1][1],
		c.Dilation[0], c.Dilation[1], c.Groups, s.h, s.w, s.kh, s.kw}}
}

func convOf(p *params) convSpec {
	i := p.idx
	return convSpec{
		cfg: ConvConfig{Stride: [2]int{i[0], i[1]}, Padding: [2][2]int{{i[2], i[3]}, {i[4], i[5]}},
			Dilation: [2]int{i[6], i[7]}, Groups: i[8]},
		h: i[9], w: i[10], kh: i[11], kw: i[12],
	}
}

var convPrim, convTPrim, convWPrim = new(prim), new(prim), new(prim)

func init() {
	*convPrim = prim{
		name: "conv2d",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor { return tensor.Conv2D(t[0], t[1], convOf(p).cfg) },
		// d conv(x, w) = conv(dx, w) + conv(x, dw)
		jvp: func(tans, a []Value, _ Value, p *params, b int) Value {
			s := convOf(p)
			return bilinearJVP(tans, b,
				func(dx Value) Value {
					return batchRows(dx, b, func(v Value, k int, bt bool) Value { return convBatch(v, a[1], bt, false, s, k) })
				},
				func(dw Value) Value {
					return batchRows(dw, b, func(v Value, k int, bt bool) Value { return convBatch(a[0], v, false, bt, s, k) })
				})
		},
		// x̄ = convT(ȳ, w), w̄ = wgrad(x, ȳ); a batch of cotangents is folded
		// as by the batching rule (convTBatch, convWBatch).
		vjp: func(ct Value, i int, a []Value, out Value, p *params) Value {
			s := convOf(p)
			return batchRows(ct, ctBatch(ct, out), func(ct Value, k int, bt bool) Value {
				if i == 0 {
					return convTBatch(ct, a[1], bt, false, s, k)
				}
				return convWBatch(a[0], ct, false, bt, s, k)
			})
		},
		vmap: func(_ *prim, a []Value, bat []bool, p *params, k int) Value {
			return convBatch(a[0], a[1], bat[0], bat[1], convOf(p), k)
		},
	}
	*convTPrim = prim{
		name: "conv_transpose2d",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			s := convOf(p)
			return tensor.ConvTranspose2D(t[0], t[1], s.cfg, s.h, s.w)
		},
		// d convT(y, w) = convT(dy, w) + convT(y, dw)
		jvp: func(tans, a []Value, _ Value, p *params, b int) Value {
			s := convOf(p)
			return bilinearJVP(tans, b,
				func(dy Value) Value {
					return batchRows(dy, b, func(v Value, k int, bt bool) Value { return convTBatch(v, a[1], bt, false, s, k) })
				},
				func(dw Value) Value {
					return batchRows(dw, b, func(v Value, k int, bt bool) Value { return convTBatch(a[0], v, false, bt, s, k) })
				})
		},
		// ⟨convT(y, w), X⟩ = ⟨y, conv(X, w)⟩ = ⟨w, wgrad(X, y)⟩
		vjp: func(ct Value, i int, a []Value, out Value, p *params) Value {
			s := convOf(p)
			return batchRows(ct, ctBatch(ct, out), func(ct Value, k int, bt bool) Value {
				if i == 0 {
					return convBatch(ct, a[1], bt, false, s, k)
				}
				return convWBatch(ct, a[0], bt, false, s, k)
			})
		},
		vmap: func(_ *prim, a []Value, bat []bool, p *params, k int) Value {
			return convTBatch(a[0], a[1], bat[0], bat[1], convOf(p), k)
		},
	}
	*convWPrim = prim{
		name: "conv2d_weight_grad",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			s := convOf(p)
			return tensor.Conv2DWeightGrad(t[0], t[1], s.cfg, s.kh, s.kw)
		},
		// d wgrad(x, y) = wgrad(dx, y) + wgrad(x, dy)
		jvp: func(tans, a []Value, _ Value, p *params, b int) Value {
			s := convOf(p)
			return bilinearJVP(tans, b,
				func(dx Value) Value {
					return batchRows(dx, b, func(v Value, k int, bt bool) Value { return convWBatch(v, a[1], bt, false, s, k) })
				},
				func(dy Value) Value {
					return batchRows(dy, b, func(v Value, k int, bt bool) Value { return convWBatch(a[0], v, false, bt, s, k) })
				})
		},
		// ⟨wgrad(x, y), V⟩ = ⟨conv(x, V), y⟩: x̄ = convT(y, V), ȳ = conv(x, V)
		vjp: func(ct Value, i int, a []Value, out Value, p *params) Value {
			s := convOf(p)
			return batchRows(ct, ctBatch(ct, out), func(ct Value, k int, bt bool) Value {
				if i == 0 {
					return convTBatch(a[1], ct, false, bt, s, k)
				}
				return convBatch(a[0], ct, false, bt, s, k)
			})
		},
		vmap: func(_ *prim, a []Value, bat []bool, p *params, k int) Value {
			return convWBatch(a[0], a[1], bat[0], bat[1], convOf(p), k)
		},
	}
}

func conv(x, w Value, s convSpec) Value {
	s.h, s.w, s.kh, s.kw = x.Shape()[2], x.Shape()[3], w.Shape()[2], w.Shape()[3]
	return bind(convPrim, s.encode(), x, w)
}

func convT(y, w Value, s convSpec) Value { return bind(convTPrim, s.encode(), y, w) }

func convW(x, y Value, s convSpec) Value { return bind(convWPrim, s.encode(), x, y) }

// Batching. A batch of k convolutions is one convolution: a batch of
// images (k×N×C×H×W) folds into the image axis, k·N images; a batch of
// weights folds into the channel axes, with the groups multiplied by k
// where each batch element needs its own inputs (a block-diagonal, grouped
// convolution). With G groups, channels of a batch folded into a channel
// axis of C are ordered (G, k, C/G) where the other operand is shared
// (the group structure is kept, each group k times wider) and (k, G, C/G)
// where both are batched (k·G groups, batch element by batch element).
// The same folding serves Vmap (one batch axis), VJPBatch's cotangents
// and JVPBatch's tangents (batchRows flattens their batch axes into one).

// foldChannels returns v, which has a leading batch axis of k, with the
// batch folded into its axis ax (counted without the batch axis), of C
// channels, ordered (g, k, C/g): v's shape less the batch axis, with k·C
// at ax.
func foldChannels(v Value, k, g, ax int) Value {
	s := v.Shape()[1:]
	c := s[ax]
	split := append(append(append([]int{k}, s[:ax]...), g, c/g), s[ax+1:]...)
	perm := make([]int, 0, len(split))
	for i := 1; i <= ax+1; i++ { // the axes before ax, and the group axis
		perm = append(perm, i)
	}
	perm = append(perm, 0)
	for i := ax + 2; i < len(split); i++ {
		perm = append(perm, i)
	}
	out := append([]int(nil), s...)
	out[ax] = k * c
	return Reshape(Transpose(Reshape(v, split...), perm...), out...)
}

// unfoldChannels inverts foldChannels: v's axis ax holds k·C channels
// ordered (g, k, C/g); it returns them as a leading batch axis of k in
// front of v's shape with C at ax.
func unfoldChannels(v Value, k, g, ax int) Value {
	s := v.Shape()
	c := s[ax] / k
	split := append(append(append([]int(nil), s[:ax]...), g, k, c/g), s[ax+1:]...)
	perm := []int{ax + 1}
	for i := range split {
		if i != ax+1 {
			perm = append(perm, i)
		}
	}
	out := append([]int{k}, s...)
	out[ax+1] = c
	return Reshape(Transpose(Reshape(v, split...), perm...), out...)
}

// spread returns v, unbatched, as a batch of k copies (a broadcast view).
func spread(v Value, k int) Value {
	return BroadcastTo(Reshape(v, lead(1, v.Shape())...), lead(k, v.Shape())...)
}

// withGroups returns s with g groups.
func withGroups(s convSpec, g int) convSpec {
	s.cfg.Groups = g
	return s
}

// convBatch returns conv(x, w) where x (if bx) and w (if bw) carry a
// leading batch axis of k, with the batch axis in front: x's batch folds
// into the images; w's into the output channels (one convolution with k
// times as many output channels); both into the channels, as a convolution
// of k times as many groups.
func convBatch(x, w Value, bx, bw bool, s convSpec, k int) Value {
	g := s.cfg.Groups
	switch {
	case !bx && !bw:
		return conv(x, w, s)
	case k == 0:
		return emptyBatch(func(xs []Value) Value { return conv(xs[0], xs[1], s) }, []Value{x, w}, []bool{bx, bw})
	case !bw:
		return foldBatch(x, 1, func(v Value) Value { return conv(v, w, s) })
	case !bx:
		return unfoldChannels(conv(x, foldChannels(w, k, g, 0), s), k, g, 1)
	}
	y := conv(foldChannels(x, k, 1, 1), foldChannels(w, k, 1, 0), withGroups(s, k*g))
	return unfoldChannels(y, k, 1, 1)
}

// convTBatch returns convT(y, w) where y (if by) and w (if bw) carry a
// leading batch axis of k, with the batch axis in front: y's batch folds
// into the images; a batch of weights into the channels, as a transposed
// convolution of k times as many groups (y copied k times if it is shared).
func convTBatch(y, w Value, by, bw bool, s convSpec, k int) Value {
	switch {
	case !by && !bw:
		return convT(y, w, s)
	case k == 0:
		return emptyBatch(func(xs []Value) Value { return convT(xs[0], xs[1], s) }, []Value{y, w}, []bool{by, bw})
	case !bw:
		return foldBatch(y, 1, func(v Value) Value { return convT(v, w, s) })
	case !by:
		y = spread(y, k)
	}
	x := convT(foldChannels(y, k, 1, 1), foldChannels(w, k, 1, 0), withGroups(s, k*s.cfg.Groups))
	return unfoldChannels(x, k, 1, 1)
}

// convWBatch returns wgrad(x, y) where x (if bx) and y (if by) carry a
// leading batch axis of k, with the batch axis in front: a batch of y
// folds into its channels (k times as many output channels of the
// weights), a batch of x into its channels (k times as many input channels
// per group), and both, as k times as many groups.
func convWBatch(x, y Value, bx, by bool, s convSpec, k int) Value {
	g := s.cfg.Groups
	switch {
	case !bx && !by:
		return convW(x, y, s)
	case k == 0:
		return emptyBatch(func(xs []Value) Value { return convW(xs[0], xs[1], s) }, []Value{x, y}, []bool{bx, by})
	case !bx:
		return unfoldChannels(convW(x, foldChannels(y, k, g, 1), s), k, g, 0)
	case !by:
		return unfoldChannels(convW(foldChannels(x, k, g, 1), y, s), k, 1, 1)
	}
	w := convW(foldChannels(x, k, 1, 1), foldChannels(y, k, 1, 1), withGroups(s, k*g))
	return unfoldChannels(w, k, 1, 0)
}

// emptyBatch returns f's result for a batch of none: zeros shaped as f of
// one element (args flagged in bat have a leading batch axis of 0), with a
// leading axis of 0.
func emptyBatch(f func(xs []Value) Value, args []Value, bat []bool) Value {
	xs := make([]Value, len(args))
	for i, a := range args {
		xs[i] = a
		if bat[i] {
			xs[i] = wrap(a.DType().Zeros(a.Shape()[1:]...))
		}
	}
	y := f(xs)
	return wrap(y.DType().Zeros(lead(0, y.Shape())...))
}

// batchRows applies f, a rule in its batched form, to v, which carries b
// leading batch dimensions (a VJPBatch sweep's cotangent, JVPBatch's
// tangent), and returns f's result with those dimensions in front. f(v, k,
// true) takes v with its batch dimensions flattened into one leading axis
// of k (possibly 0) and returns its result with that axis in front;
// f(v, 0, false), for b = 0, takes v alone.
func batchRows(v Value, b int, f func(v Value, k int, batched bool) Value) Value {
	if b == 0 {
		return f(v, 0, false)
	}
	s := v.Shape()
	k := tensor.Size(s[:b])
	y := f(Reshape(v, lead(k, s[b:])...), k, true)
	return Reshape(y, batched(v, b, y.Shape()[1:])...)
}

// bilinearJVP sums the forward rule's terms of a bilinear primitive: f0 of
// the first argument's tangent and f1 of the second's, skipping symbolic
// zeros.
func bilinearJVP(tans []Value, _ int, f0, f1 func(Value) Value) Value {
	var acc Value
	for i, t := range tans {
		if t.IsZero() {
			continue
		}
		var term Value
		if i == 0 {
			term = f0(t)
		} else {
			term = f1(t)
		}
		if acc.IsZero() {
			acc = term
		} else {
			acc = Add(acc, term)
		}
	}
	return acc
}

// foldBatch applies f, which maps an N×… value to an N×… value image by
// image, to t with b leading batch dimensions, by folding them into N.
func foldBatch(t Value, b int, f func(Value) Value) Value {
	if b == 0 {
		return f(t)
	}
	s := t.Shape()
	y := f(Reshape(t, append([]int{tensor.Size(s[:b+1])}, s[b+1:]...)...))
	return Reshape(y, append(append([]int(nil), s[:b+1]...), y.Shape()[1:]...)...)
}

// Conv2D returns the 2-d convolution (cross-correlation, as PyTorch's
// F.conv2d without bias) of x, shaped N×C×H×W, with weights w, shaped
// O×(C/G)×KH×KW for G = cfg.Groups, as an N×O×OH×OW value with
// OH = ⌊(H + top + bottom - dh·(KH-1) - 1)/sh⌋ + 1 and OW likewise. Add a
// bias b of O elements with Add(y, Reshape(b, O, 1, 1)).
//
// The forward pass and both gradients run on the GEMM (the kernels of
// tensor.Conv2D, ConvTranspose2D and Conv2DWeightGrad). The gradient
// with respect to x is ConvTranspose2D, and the one with respect to w a
// convolution of x with the output gradient; both are differentiable
// again, to any order. Under Vmap, and for VJPBatch's and JVPBatch's
// batches, a batch of k inputs runs as one convolution of all their
// images, and a batch of weights as one convolution with k times the
// groups (or, for shared inputs, k times the output channels).
//
// It panics with tensor.ErrShape if a shape has not rank 4, the channels do
// not match the weights and groups, or the kernel does not fit the padded
// input; with tensor.ErrArg for a negative config field; and with
// tensor.ErrDType if the dtypes differ.
func Conv2D(x, w Value, cfg ConvConfig) Value {
	check("conv2d", x, w)
	if x.DType() != w.DType() {
		tensor.Panicf(tensor.ErrDType, "conv2d", "input %s and weights %s", x.DType(), w.DType())
	}
	cfg, _ = tensor.ConvShape("conv2d", x.Shape(), w.Shape(), cfg)
	return conv(x, w, convSpec{cfg: cfg})
}

// ConvTranspose2D returns the transposed convolution (PyTorch's
// F.conv_transpose2d without bias) of y, shaped N×O×H×W, with weights w,
// shaped O×(C/G)×KH×KW, as an N×C×H'×W' value: the adjoint of Conv2D with
// the same weights and config, mapping Conv2D's output space back to its
// input space, with H' = (H-1)·sh - top - bottom + dh·(KH-1) + 1 +
// outPad[0] and W' likewise. outPad (PyTorch's output_padding) picks one of
// the input sizes that Conv2D maps to H×W when the stride exceeds 1; each
// must be smaller than the stride (PyTorch also accepts one smaller than
// the dilation, which adds rows that no input reaches).
//
// It panics with tensor.ErrShape if a shape has not rank 4, the channels
// do not match or the result would be empty; with tensor.ErrArg for a
// negative config field or an outPad too large; and with tensor.ErrDType
// if the dtypes differ.
func ConvTranspose2D(y, w Value, cfg ConvConfig, outPad [2]int) Value {
	const op = "conv_transpose2d"
	check(op, y, w)
	if y.DType() != w.DType() {
		tensor.Panicf(tensor.ErrDType, op, "input %s and weights %s", y.DType(), w.DType())
	}
	cfg = cfg.Normalized(op)
	ys, ws := y.Shape(), w.Shape()
	if len(ys) != 4 || len(ws) != 4 {
		tensor.Panicf(tensor.ErrShape, op, "input %s and weights %s: want ranks 4 (N,O,H,W) and 4 (O,C/groups,KH,KW)", tensor.ShapeString(ys), tensor.ShapeString(ws))
	}
	if ws[0] != ys[1] {
		tensor.Panicf(tensor.ErrShape, op, "input %s has %d channels, weights %s want %d", tensor.ShapeString(ys), ys[1], tensor.ShapeString(ws), ws[0])
	}
	var size [2]int
	for i := range 2 {
		if outPad[i] < 0 || outPad[i] >= cfg.Stride[i] {
			tensor.Panicf(tensor.ErrArg, op, "output padding %v must be non-negative and smaller than the stride %v", outPad, cfg.Stride)
		}
		size[i] = (ys[2+i]-1)*cfg.Stride[i] - cfg.Padding[i][0] - cfg.Padding[i][1] + cfg.Dilation[i]*(ws[2+i]-1) + 1 + outPad[i]
	}
	if size[0] < 1 || size[1] < 1 {
		tensor.Panicf(tensor.ErrShape, op, "input %s with weights %s and config %+v gives an empty %d×%d output", tensor.ShapeString(ys), tensor.ShapeString(ws), cfg, size[0], size[1])
	}
	// The forward convolution of the result must give y's shape (the
	// channel and group checks, and consistency of the sizes).
	tensor.ConvShape(op, []int{ys[0], ws[1] * cfg.Groups, size[0], size[1]}, ws, cfg)
	return convT(y, w, convSpec{cfg: cfg, h: size[0], w: size[1], kh: ws[2], kw: ws[3]})
}

// Conv1DConfig holds a 1-d convolution's stride, padding {left, right},
// dilation and groups; zero values mean stride 1, no padding, dilation 1,
// one group.
type Conv1DConfig struct {
	Stride   int
	Padding  [2]int
	Dilation int
	Groups   int
}

// Conv1D returns the 1-d convolution (PyTorch's F.conv1d without bias) of
// x, shaped N×C×L, with weights w, shaped O×(C/G)×K, as an N×O×L' value:
// Conv2D over a height of 1. It panics as Conv2D does, naming conv1d.
func Conv1D(x, w Value, cfg Conv1DConfig) Value {
	const op = "conv1d"
	check(op, x, w)
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 3 || len(ws) != 3 {
		tensor.Panicf(tensor.ErrShape, op, "input %s and weights %s: want ranks 3 (N,C,L) and 3 (O,C/groups,K)", tensor.ShapeString(xs), tensor.ShapeString(ws))
	}
	if x.DType() != w.DType() {
		tensor.Panicf(tensor.ErrDType, op, "input %s and weights %s", x.DType(), w.DType())
	}
	c := ConvConfig{Stride: [2]int{1, cfg.Stride}, Padding: [2][2]int{{}, cfg.Padding}, Dilation: [2]int{1, cfg.Dilation}, Groups: cfg.Groups}
	c = c.Normalized(op)
	// The checks of Conv2D, with the 1-d shapes in the messages.
	if g := c.Groups; xs[1]%g != 0 || ws[0]%g != 0 || ws[1] != xs[1]/g || ws[2] < 1 {
		tensor.Panicf(tensor.ErrShape, op, "weights %s do not fit input %s with groups=%d: want O×%d×K, O a multiple of %d", tensor.ShapeString(ws), tensor.ShapeString(xs), g, xs[1]/g, g)
	}
	if tensor.ConvOutSize(xs[2], ws[2], c.Stride[1], c.Padding[1][0], c.Padding[1][1], c.Dilation[1]) < 1 {
		tensor.Panicf(tensor.ErrShape, op, "kernel of %d (dilation %d) does not fit the input %s padded by %v", ws[2], c.Dilation[1], tensor.ShapeString(xs), cfg.Padding)
	}
	x4 := Reshape(x, xs[0], xs[1], 1, xs[2])
	w4 := Reshape(w, ws[0], ws[1], 1, ws[2])
	c, ys := tensor.ConvShape(op, x4.Shape(), w4.Shape(), c)
	return Reshape(conv(x4, w4, convSpec{cfg: c}), ys[0], ys[1], ys[3])
}
