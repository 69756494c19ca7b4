package onnx

// The lowering of convolution and max pooling. Conv2D becomes ONNX's Conv
// in float32; ONNX Runtime has no float64 Conv, so in float64 it becomes
// im2col: a strided Slice per kernel tap, concatenated, and a MatMul. The
// convolution's two transposes are convolutions too (Dumoulin & Visin,
// 2016): the weight gradient convolves the input with the output gradient
// (strides and dilations swapped), and the transposed convolution
// convolves the zero-interleaved output gradient with the flipped kernel;
// both reuse the Conv lowering, so they have float64 kernels as well.

import (
	"math"
	"slices"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

func norm2(v [2]int, def [2]int) [2]int {
	for i := range v {
		if v[i] == 0 {
			v[i] = def[i]
		}
	}
	return v
}

// convGeometry returns cfg's stride, dilation and groups, the zero
// defaults filled in.
func convGeometry(cfg ad.ConvConfig) (stride, dilation [2]int, groups int) {
	return norm2(cfg.Stride, [2]int{1, 1}), norm2(cfg.Dilation, [2]int{1, 1}), max(cfg.Groups, 1)
}

// sliceAxes is Slice of x over axes, with steps if not nil.
func (e *exporter) sliceAxes(x string, starts, ends, axes, steps []int64) string {
	ins := []string{x, e.int64s(starts, len(starts)), e.int64s(ends, len(ends)), e.int64s(axes, len(axes))}
	if steps != nil {
		ins = append(ins, e.int64s(steps, len(steps)))
	}
	return e.node("Slice", ins)
}

// conv is Conv2D of x (N×C×H×W) by w (O×C/G×KH×KW).
func (e *exporter) conv(x, w string, xs, ws []int, cfg ad.ConvConfig, d tensor.DType) string {
	s, dl, g := convGeometry(cfg)
	pd := cfg.Padding
	if d == tensor.Float32 {
		return e.node("Conv", []string{x, w},
			intsAttr("kernel_shape", int64(ws[2]), int64(ws[3])),
			intsAttr("strides", int64(s[0]), int64(s[1])),
			intsAttr("dilations", int64(dl[0]), int64(dl[1])),
			intsAttr("pads", int64(pd[0][0]), int64(pd[1][0]), int64(pd[0][1]), int64(pd[1][1])),
			intAttr("group", int64(g)))
	}
	n, h, wd := xs[0], xs[2], xs[3]
	o, cg, kh, kw := ws[0], ws[1], ws[2], ws[3]
	oh := (h+pd[0][0]+pd[0][1]-dl[0]*(kh-1)-1)/s[0] + 1
	ow := (wd+pd[1][0]+pd[1][1]-dl[1]*(kw-1)-1)/s[1] + 1
	if pd != [2][2]int{} {
		x = e.node("Pad", []string{x, e.int64s([]int64{0, 0, int64(pd[0][0]), int64(pd[1][0]), 0, 0, int64(pd[0][1]), int64(pd[1][1])}, 8), e.scalar(0, d)})
	}
	taps := make([]string, 0, kh*kw)
	for i := range kh {
		for j := range kw {
			t := e.sliceAxes(x,
				[]int64{int64(i * dl[0]), int64(j * dl[1])},
				[]int64{int64(i*dl[0] + (oh-1)*s[0] + 1), int64(j*dl[1] + (ow-1)*s[1] + 1)},
				[]int64{2, 3}, []int64{int64(s[0]), int64(s[1])})
			taps = append(taps, e.node("Unsqueeze", []string{t, e.int64s([]int64{2}, 1)}))
		}
	}
	cols := taps[0]
	if len(taps) > 1 {
		cols = e.node("Concat", taps, intAttr("axis", 2))
	}
	k := cg * kh * kw
	cols = e.node("Reshape", []string{cols, e.shapeConst([]int{n, g, k, oh * ow})})
	wm := e.node("Reshape", []string{w, e.shapeConst([]int{g, o / g, k})})
	y := e.node("MatMul", []string{wm, cols})
	return e.node("Reshape", []string{y, e.shapeConst([]int{n, o, oh, ow})})
}

// convWeightGrad is the gradient of Conv2D in its kernel: wgrad(x, ȳ) of
// shape O×C/G×KH×KW, per group the convolution of x's channels (as a
// batch) with ȳ's channels (as kernels), stride and dilation swapped.
func (e *exporter) convWeightGrad(in ad.Instr, x, y string, xs, ys []int, p *ad.ConvParams, d tensor.DType) (string, error) {
	if len(xs) != 4 {
		return "", e.fail(in, "an input of rank %d (only N×C×H×W)", len(xs))
	}
	cfg := p.Config
	s, dl, g := convGeometry(cfg)
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	o, oh, ow := ys[1], ys[2], ys[3]
	cg, og := c/g, o/g
	perm := intsAttr("perm", 1, 0, 2, 3)
	parts := make([]string, g)
	for k := range g {
		xg, yg := x, y
		if g > 1 {
			xg = e.sliceAxes(x, []int64{int64(k * cg)}, []int64{int64((k + 1) * cg)}, []int64{1}, nil)
			yg = e.sliceAxes(y, []int64{int64(k * og)}, []int64{int64((k + 1) * og)}, []int64{1}, nil)
		}
		xt := e.node("Transpose", []string{xg}, perm) // Cg×N×H×W
		yt := e.node("Transpose", []string{yg}, perm) // Og×N×OH×OW
		r := e.conv(xt, yt, []int{cg, n, h, wd}, []int{og, n, oh, ow},
			ad.ConvConfig{Stride: dl, Dilation: s, Padding: cfg.Padding, Groups: 1}, d) // Cg×Og×KH'×KW'
		r = e.sliceAxes(r, []int64{0, 0}, []int64{int64(p.KH), int64(p.KW)}, []int64{2, 3}, nil)
		parts[k] = e.node("Transpose", []string{r}, perm)
	}
	if g == 1 {
		return parts[0], nil
	}
	return e.node("Concat", parts, intAttr("axis", 0)), nil
}

// convTranspose is the transpose of Conv2D in its input: convT(ȳ, w) of
// shape N×C×H×W, the convolution (stride 1, the same dilation) of ȳ
// interleaved with stride−1 zeros and padded by dilation·(K−1) − pad
// before, with the kernel flipped and its two channel axes swapped per
// group.
func (e *exporter) convTranspose(in ad.Instr, y, w string, ys, ws []int, p *ad.ConvParams, d tensor.DType) (string, error) {
	if len(ys) != 4 {
		return "", e.fail(in, "an input of rank %d (only N×O×OH×OW)", len(ys))
	}
	cfg := p.Config
	s, dl, g := convGeometry(cfg)
	n, o, oh, ow := ys[0], ys[1], ys[2], ys[3]
	cg, kh, kw := ws[1], ws[2], ws[3]
	og := o / g
	// interleave zeros: N×O×OH×1×OW×1 padded to N×O×OH×s0×OW×s1
	lh, lw := (oh-1)*s[0]+1, (ow-1)*s[1]+1
	if s != [2]int{1, 1} {
		u := e.node("Reshape", []string{y, e.shapeConst([]int{n, o, oh, 1, ow, 1})})
		u = e.node("Pad", []string{u, e.int64s([]int64{0, 0, 0, 0, 0, 0, 0, 0, 0, int64(s[0] - 1), 0, int64(s[1] - 1)}, 12), e.scalar(0, d)})
		u = e.node("Reshape", []string{u, e.shapeConst([]int{n, o, oh * s[0], ow * s[1]})})
		y = e.sliceAxes(u, []int64{0, 0}, []int64{int64(lh), int64(lw)}, []int64{2, 3}, nil)
	}
	// pad (or crop, where the pad is negative) to the sizes the
	// convolution needs to give H×W
	eh, ew := dl[0]*(kh-1), dl[1]*(kw-1)
	before := [2]int{eh - cfg.Padding[0][0], ew - cfg.Padding[1][0]}
	after := [2]int{p.H + eh - lh - before[0], p.W + ew - lw - before[1]}
	var crop [2][2]int
	for i := range 2 {
		if before[i] < 0 {
			crop[i][0], before[i] = -before[i], 0
		}
		if after[i] < 0 {
			crop[i][1], after[i] = -after[i], 0
		}
	}
	if crop != [2][2]int{} {
		y = e.sliceAxes(y, []int64{int64(crop[0][0]), int64(crop[1][0])},
			[]int64{int64(lh - crop[0][1]), int64(lw - crop[1][1])}, []int64{2, 3}, nil)
		lh, lw = lh-crop[0][0]-crop[0][1], lw-crop[1][0]-crop[1][1]
	}
	// the kernel: flipped, and per group O/G×Cg → Cg×O/G, stacked to C×O/G
	flip := e.sliceAxes(w, []int64{-1, -1}, []int64{math.MinInt64, math.MinInt64}, []int64{2, 3}, []int64{-1, -1})
	perm := intsAttr("perm", 1, 0, 2, 3)
	parts := make([]string, g)
	for k := range g {
		wk := flip
		if g > 1 {
			wk = e.sliceAxes(flip, []int64{int64(k * og)}, []int64{int64((k + 1) * og)}, []int64{0}, nil)
		}
		parts[k] = e.node("Transpose", []string{wk}, perm)
	}
	wt := parts[0]
	if g > 1 {
		wt = e.node("Concat", parts, intAttr("axis", 0))
	}
	return e.conv(y, wt, []int{n, o, lh, lw}, []int{cg * g, og, kh, kw},
		ad.ConvConfig{Dilation: dl, Padding: [2][2]int{{before[0], after[0]}, {before[1], after[1]}}, Groups: g}, d), nil
}

// maxPool lowers max_pool2d(x, v) and max_pool2d_scatter(x, u), which
// index v and u by the argmax of each window of x: MaxPool's Indices
// (flat over N×C×H×W), then Gather or ScatterElements with reduction add.
func (e *exporter) maxPool(in ad.Instr, x, v string, argReg []ad.Reg, shape []int, p *ad.PoolParams, d tensor.DType) (string, error) {
	xs := argReg[0].Shape
	if len(xs) != 4 {
		return "", e.fail(in, "an input of rank %d (only N×C×H×W)", len(xs))
	}
	k := p.Kernel
	s := norm2(p.Config.Stride, k)
	pd := p.Config.Padding
	attrs := []*Attribute{
		intsAttr("kernel_shape", int64(k[0]), int64(k[1])),
		intsAttr("strides", int64(s[0]), int64(s[1])),
		intsAttr("pads", int64(pd[0][0]), int64(pd[1][0]), int64(pd[0][1]), int64(pd[1][1])),
	}
	if in.Op == "max_pool2d" && in.Args[0] == in.Args[1] {
		return e.node("MaxPool", []string{x}, attrs...), nil
	}
	// the batch of v or u must be x's: the kernels' reuse of the argmaxes
	// over leading batch dimensions has no lowering yet
	other := argReg[1].Shape
	want := shape
	if in.Op == "max_pool2d_scatter" {
		want = xs
	}
	if in.Op == "max_pool2d" && !slices.Equal(other, xs) || in.Op == "max_pool2d_scatter" && len(other) != 4 {
		return "", e.fail(in, "pooling %v by the argmaxes of %v: leading batch dimensions are not exported", other, xs)
	}
	idx := e.fresh()
	vals := e.fresh()
	e.g.Nodes = append(e.g.Nodes, &Node{OpType: "MaxPool", Inputs: []string{x}, Outputs: []string{vals, idx}, Attributes: attrs, Name: idx + "_MaxPool"})
	minus1 := e.shapeConst([]int{-1})
	if in.Op == "max_pool2d" {
		flat := e.node("Reshape", []string{v, minus1})
		return e.node("Gather", []string{flat, idx}), nil
	}
	size := 1
	for _, n := range xs {
		size *= n
	}
	zeros := e.node("ConstantOfShape", []string{e.shapeConst([]int{size})},
		&Attribute{Name: "value", Type: AttrTensor, T: tensorProto("", tensor.Zeros(1), d)})
	sc := e.node("ScatterElements", []string{zeros, e.node("Reshape", []string{idx, minus1}), e.node("Reshape", []string{v, minus1})},
		intAttr("axis", 0), &Attribute{Name: "reduction", Type: AttrString, S: []byte("add")})
	return e.node("Reshape", []string{sc, e.shapeConst(want)}), nil
}
