package tensor

// Two-dimensional convolution by im2col and GEMM (Chellapilla, Puri &
// Simard, "High performance convolutional neural networks for document
// processing", 2006). Each image's receptive fields are unfolded into the
// columns of a matrix, and one GEMM per image and group multiplies them by
// the weights. The two adjoint kernels reuse the same unfolding: the
// transposed convolution (the gradient with respect to the input) is a GEMM
// followed by col2im, the scatter-add inverse of im2col; the weight
// gradient is a GEMM of the output gradient with the transposed unfolded
// input, accumulated over the batch. The forward pass unfolds straight
// into the GEMM's packed panels (gemm.F32Packed).
//
// Dense geometries (unit stride and dilation, no padding; LeNet's) unfold
// over "wide" positions instead: output position (i, j) becomes column
// i·w+j for every column j of the input's width (wideCols), so that each
// tap's row of the unfolding is one contiguous run of the input, copied
// whole, at the price of w-ow gap columns per output row, which the
// output gradients fill with zeros and the forward pass drops
// (narrowRows). With four or more input channels per group, the adjoints
// skip the unfolding: one GEMM per tap reads the input in place, or adds
// straight into the input gradient, both viewed as cg rows h·w apart
// (convWeightGradTaps, convInputGradTaps). The gap columns would multiply
// an infinity or NaN by zero, so they are cleared, or the kernels fall
// back, when an operand is not all finite. The forward pass packs the
// wide unfolding with gemm.PackRowsAt (a panel row a copy) and, like the
// weight gradient with few input channels, pads its product to whole
// panels and row blocks with zeros whose results it drops, so that every
// micro-tile runs the GEMM's full kernel.

import (
	"fmt"
	"slices"
	"sync"

	gemmpkg "github.com/chainrule/chainrule/internal/gemm"
	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/internal/workers"
)

// ConvConfig holds the static arguments of a 2-d convolution, with
// PyTorch's meanings. Zero values mean the defaults: stride 1, no padding,
// dilation 1, one group.
type ConvConfig struct {
	// Stride is the step between receptive fields, {vertical, horizontal}.
	Stride [2]int
	// Padding is the number of zeros added around the input,
	// {{top, bottom}, {left, right}}; it may differ on the two sides.
	Padding [2][2]int
	// Dilation is the spacing between kernel taps, {vertical, horizontal}.
	Dilation [2]int
	// Groups splits the input channels C and output channels O into Groups
	// independent convolutions, each from C/Groups channels to O/Groups;
	// Groups = C (with O a multiple of C) is a depthwise convolution.
	Groups int
}

// normalized returns c with the zero defaults filled in, after checking
// that no field is negative.
func (c ConvConfig) normalized(op string) ConvConfig {
	for i := range 2 {
		if c.Stride[i] < 0 || c.Dilation[i] < 0 || c.Padding[i][0] < 0 || c.Padding[i][1] < 0 {
			Panicf(ErrArg, op, "negative stride, dilation or padding in %+v", c)
		}
		if c.Stride[i] == 0 {
			c.Stride[i] = 1
		}
		if c.Dilation[i] == 0 {
			c.Dilation[i] = 1
		}
	}
	if c.Groups < 0 {
		Panicf(ErrArg, op, "negative groups %d", c.Groups)
	}
	if c.Groups == 0 {
		c.Groups = 1
	}
	return c
}

// Normalized returns c with its zero fields replaced by the defaults
// (stride 1, dilation 1, one group). It panics with ErrArg, naming op, if a
// field is negative.
func (c ConvConfig) Normalized(op string) ConvConfig { return c.normalized(op) }

// ConvOutSize returns the output length of a convolution along one axis:
// ⌊(in + padBefore + padAfter - dilation·(k-1) - 1)/stride⌋ + 1, or a
// number below 1 if the kernel does not fit.
func ConvOutSize(in, k, stride, padBefore, padAfter, dilation int) int {
	span := in + padBefore + padAfter - dilation*(k-1) - 1
	if span < 0 {
		return 0
	}
	return span/stride + 1
}

// geometry is a convolution's sizes: input N×C×H×W, weights O×(C/G)×KH×KW,
// output N×O×OH×OW.
type geometry struct {
	n, c, h, w     int
	o, kh, kw      int
	oh, ow         int
	cfg            ConvConfig
	cg, og         int // channels per group, in and out
	k              int // rows of the unfolded input: cg·kh·kw
	direct         bool
	dense          bool // unit stride and dilation, no padding: every tap reads inside the input
	inSize, outPix int  // h·w, oh·ow
}

func newGeometry(cfg ConvConfig, n, c, h, w, o, kh, kw int) geometry {
	g := geometry{n: n, c: c, h: h, w: w, o: o, kh: kh, kw: kw, cfg: cfg}
	s, p, d := cfg.Stride, cfg.Padding, cfg.Dilation
	g.oh = ConvOutSize(h, kh, s[0], p[0][0], p[0][1], d[0])
	g.ow = ConvOutSize(w, kw, s[1], p[1][0], p[1][1], d[1])
	g.cg, g.og = c/cfg.Groups, o/cfg.Groups
	g.k = g.cg * kh * kw
	g.inSize, g.outPix = h*w, g.oh*g.ow
	// A 1×1 kernel with unit stride and no padding reads the input as it is.
	g.direct = kh == 1 && kw == 1 && s == [2]int{1, 1} && p == [2][2]int{}
	g.dense = s == [2]int{1, 1} && d == [2]int{1, 1} && p == [2][2]int{}
	return g
}

// ConvShape checks the shapes of a 2-d convolution of an N×C×H×W input by
// O×(C/G)×KH×KW weights and returns the normalized config and the output
// shape N×O×OH×OW. It panics, naming op, with ErrShape if a shape has not
// rank 4, C or O is not a multiple of the groups, the weights' second
// dimension is not C/G, or the kernel (dilated) does not fit in the padded
// input; and with ErrArg for a negative config field.
func ConvShape(op string, x, w []int, cfg ConvConfig) (ConvConfig, []int) {
	cfg = cfg.normalized(op)
	if len(x) != 4 || len(w) != 4 {
		Panicf(ErrShape, op, "input %s and weights %s: want ranks 4 (N,C,H,W) and 4 (O,C/groups,KH,KW)", ShapeString(x), ShapeString(w))
	}
	g := cfg.Groups
	if x[1]%g != 0 || w[0]%g != 0 {
		Panicf(ErrShape, op, "%d input channels and %d output channels are not multiples of groups=%d", x[1], w[0], g)
	}
	if w[1] != x[1]/g {
		Panicf(ErrShape, op, "weights %s for input %s with groups=%d: want %d input channels per group, have %d", ShapeString(w), ShapeString(x), g, x[1]/g, w[1])
	}
	if w[2] < 1 || w[3] < 1 {
		Panicf(ErrShape, op, "weights %s: empty kernel", ShapeString(w))
	}
	geo := newGeometry(cfg, x[0], x[1], x[2], x[3], w[0], w[2], w[3])
	if geo.oh < 1 || geo.ow < 1 {
		Panicf(ErrShape, op, "kernel %d×%d (dilation %v) does not fit the %d×%d input padded by %v", w[2], w[3], cfg.Dilation, x[2], x[3], cfg.Padding)
	}
	return cfg, []int{x[0], w[0], geo.oh, geo.ow}
}

// Conv2D returns the 2-d cross-correlation (PyTorch's conv2d, no bias) of
// x, shaped N×C×H×W, with weights w, shaped O×(C/G)×KH×KW, for G =
// cfg.Groups: out[n,o,i,j] = Σ_{c,p,q} x[n, g·C/G+c, i·sh-pt+p·dh,
// j·sw-pl+q·dw]·w[o,c,p,q] over the channels c of o's group g, zero outside
// the input. The result is N×O×OH×OW (see ConvOutSize). It panics as
// ConvShape does, and with ErrDType if the dtypes differ.
func Conv2D(x, w *Tensor, cfg ConvConfig) *Tensor {
	sameDType("conv2d", x, w)
	cfg, shape := ConvShape("conv2d", x.shape, w.shape, cfg)
	g := newGeometry(cfg, x.shape[0], x.shape[1], x.shape[2], x.shape[3], w.shape[0], w.shape[2], w.shape[3])
	out := dirty(x.dtype, shape)
	if x.dtype == Float32 {
		conv2D(g, x.f32, w.f32, out.f32)
	} else {
		conv2D(g, x.f64, w.f64, out.f64)
	}
	return out
}

// ConvTranspose2D returns the transposed convolution of y, shaped
// N×O×OH×OW, with weights w, shaped O×(C/G)×KH×KW, to an N×C×h×wd result:
// the adjoint of Conv2D with these weights and config as a linear map of
// its input, so ⟨Conv2D(x, w), y⟩ = ⟨x, ConvTranspose2D(y, w, h, wd)⟩
// (PyTorch's conv_transpose2d, whose weights have this layout). h and wd
// are the input's height and width, which the output size does not
// determine when a stride exceeds 1. It panics with ErrShape if Conv2D of
// an N×C×h×wd input by w does not give y's shape, and with ErrDType.
func ConvTranspose2D(y, w *Tensor, cfg ConvConfig, h, wd int) *Tensor {
	const op = "conv_transpose2d"
	sameDType(op, y, w)
	cfg = cfg.normalized(op)
	if y.Rank() != 4 || w.Rank() != 4 {
		Panicf(ErrShape, op, "input %s and weights %s: want ranks 4 (N,O,H,W) and 4 (O,C/groups,KH,KW)", ShapeString(y.shape), ShapeString(w.shape))
	}
	if h < 1 || wd < 1 {
		Panicf(ErrShape, op, "output size %d×%d", h, wd)
	}
	x := []int{y.shape[0], w.shape[1] * cfg.Groups, h, wd}
	_, ys := ConvShape(op, x, w.shape, cfg)
	if !slices.Equal(ys, y.shape) {
		Panicf(ErrShape, op, "input %s does not match weights %s and output size %d×%d (config %+v): want %s", ShapeString(y.shape), ShapeString(w.shape), h, wd, cfg, ShapeString(ys))
	}
	g := newGeometry(cfg, x[0], x[1], h, wd, w.shape[0], w.shape[2], w.shape[3])
	out := Empty(y.dtype, x) // col2im accumulates into zeros
	if y.dtype == Float32 {
		convInputGrad(g, y.f32, w.f32, out.f32)
	} else {
		convInputGrad(g, y.f64, w.f64, out.f64)
	}
	return out
}

// Conv2DWeightGrad returns the gradient of ⟨Conv2D(x, w), y⟩ with respect
// to w: the kh×kw weights' adjoint, shaped O×(C/G)×kh×kw for x shaped
// N×C×H×W and y shaped N×O×OH×OW, so ⟨Conv2D(x, w), y⟩ = ⟨w,
// Conv2DWeightGrad(x, y, kh, kw)⟩. It panics with ErrShape if Conv2D of x
// by kh×kw weights does not give y's shape, and with ErrDType.
func Conv2DWeightGrad(x, y *Tensor, cfg ConvConfig, kh, kw int) *Tensor {
	const op = "conv2d_weight_grad"
	sameDType(op, x, y)
	cfg = cfg.normalized(op)
	if x.Rank() != 4 || y.Rank() != 4 {
		Panicf(ErrShape, op, "input %s and output gradient %s: want rank 4", ShapeString(x.shape), ShapeString(y.shape))
	}
	ws := []int{y.shape[1], x.shape[1] / max(cfg.Groups, 1), kh, kw}
	_, ys := ConvShape(op, x.shape, ws, cfg)
	if !slices.Equal(ys, y.shape) {
		Panicf(ErrShape, op, "output gradient %s does not match input %s and kernel %d×%d (config %+v): want %s", ShapeString(y.shape), ShapeString(x.shape), kh, kw, cfg, ShapeString(ys))
	}
	g := newGeometry(cfg, x.shape[0], x.shape[1], x.shape[2], x.shape[3], ws[0], kh, kw)
	out := dirty(x.dtype, ws)
	if x.dtype == Float32 {
		convWeightGrad(g, x.f32, y.f32, out.f32)
	} else {
		convWeightGrad(g, x.f64, y.f64, out.f64)
	}
	return out
}

// gemmT is C = alpha·op(A)·op(B) + beta·C for row-major matrices with
// leading dimensions lda, ldb, ldc.
func gemmT[T Float](ta, tb bool, m, n, k int, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch x := any(a).(type) {
	case []float64:
		gemmpkg.F64(ta, tb, m, n, k, 1, x, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	case []float32:
		gemmpkg.F32(ta, tb, m, n, k, 1, x, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	default:
		panic(fmt.Sprintf("tensor: gemm of %T", a))
	}
}

// convGrain is the least work, in multiply-adds, of a piece of images
// that a convolution kernel hands to another core.
const convGrain = 1 << 17

// forImages calls f on pieces [lo, hi) of the g.n images, on several cores
// when each image's products are too small for the GEMM to split over
// cores itself and there is enough work in all.
func (g geometry) forImages(f func(lo, hi int)) {
	perImage := g.og * g.k * g.outPix * g.cfg.Groups
	if perImage >= gemmpkg.ParallelThreshold || perImage == 0 {
		f(0, g.n)
		return
	}
	workers.For(g.n, max(1, convGrain/perImage), f)
}

// conv2D computes out = conv(x, w): per image and group, the og×k weight
// block times the k×(oh·ow) unfolded input, which im2colPacked writes
// straight into the GEMM's packed panels; for a dense geometry, times the
// k×wide unfolding (packWide), narrowed to oh×ow after.
func conv2D[T Float](g geometry, x, w, out []T) {
	nr, mr := panelWidth[T](), rowBlock[T]()
	wide := g.wide()
	// A dense geometry's product is computed over whole panels (the packed
	// B's zeros past column wide give zero columns that narrowRows drops)
	// and, per group, whole row blocks of the weights (wp: zero rows added
	// past og), so that every micro-tile takes the GEMM's full kernel, not
	// its slower edge path.
	var offs []int
	var wp []T
	widePad, ogPad := ceilDiv(wide, nr)*nr, ceilDiv(g.og, mr)*mr
	if g.dense && !g.direct {
		offs = g.tapOffsets()
		if ogPad != g.og {
			wp = allocDirty[T](g.cfg.Groups * ogPad * g.k)
			defer recycle(wp)
			for gr := range g.cfg.Groups {
				d := wp[gr*ogPad*g.k:][:ogPad*g.k]
				copy(d, w[gr*g.og*g.k:][:g.og*g.k])
				clear(d[g.og*g.k:])
			}
		}
	}
	g.forImages(func(lo, hi int) {
		var cols []T
		switch {
		case g.dense && !g.direct:
			cols = allocDirty[T](gemmpkg.PackedLen(g.k, wide, nr) + ogPad*widePad)
			defer recycle(cols)
		case !g.direct:
			cols = allocDirty[T](gemmpkg.PackedLen(g.k, g.outPix, nr) + g.outPix)
			defer recycle(cols)
		}
		for n := lo; n < hi; n++ {
			for gr := range g.cfg.Groups {
				xs := x[(n*g.c+gr*g.cg)*g.inSize:][:g.cg*g.inSize]
				o := out[(n*g.o+gr*g.og)*g.outPix:][:g.og*g.outPix]
				switch {
				case g.direct:
					gemmT(false, false, g.og, g.outPix, g.k, w[gr*g.og*g.k:], g.k, xs, g.outPix, 0, o, g.outPix)
					continue
				case g.dense:
					np := gemmpkg.PackedLen(g.k, wide, nr)
					packWide(xs, cols[:np], offs, nr, wide)
					yw := cols[np:][:ogPad*widePad]
					wg := w[gr*g.og*g.k:]
					if wp != nil {
						wg = wp[gr*ogPad*g.k:]
					}
					gemmPacked(ogPad, widePad, g.k, wg, g.k, cols[:np], 0, yw, widePad)
					narrowRows(g, yw, o, widePad)
					continue
				}
				im2colPacked(g, xs, cols, nr)
				gemmPacked(g.og, g.outPix, g.k, w[gr*g.og*g.k:], g.k, cols, 0, o, g.outPix)
			}
		}
	})
}

// rowBlock returns the GEMM's row block mr for T: the rows of A its
// micro-kernels take at a time (see gemm.RowBlock32).
func rowBlock[T Float]() int {
	var z T
	if _, ok := any(z).(float32); ok {
		return gemmpkg.RowBlock32()
	}
	return gemmpkg.RowBlock64()
}

// panelWidth returns the panel width of the GEMM's packed B for T.
func panelWidth[T Float]() int {
	var z T
	if _, ok := any(z).(float32); ok {
		return gemmpkg.PanelWidth32()
	}
	return gemmpkg.PanelWidth64()
}

// gemmPacked is C = A·B + beta·C for a row-major m×k A and a k×n B
// packed in panels (see gemm.F32Packed); for a zero beta C is only written.
func gemmPacked[T Float](m, n, k int, a []T, lda int, bp []T, beta T, c []T, ldc int) {
	switch x := any(a).(type) {
	case []float64:
		gemmpkg.F64Packed(m, n, k, x, lda, any(bp).([]float64), float64(beta), any(c).([]float64), ldc)
	case []float32:
		gemmpkg.F32Packed(m, n, k, x, lda, any(bp).([]float32), float32(beta), any(c).([]float32), ldc)
	}
}

// convInputGrad adds the transposed convolution of y into dx (zeroed):
// per image and group, the k×(oh·ow) product wᵀ·y folded back by col2im;
// for dense geometries, over wide positions (see wideCols), either folded
// back by one vector addition per tap (col2imWide: a narrow kernel, few
// input channels) or, with enough input channels to fill the GEMM's
// micro-tiles, as one product per tap (p, q) accumulating straight into
// dx (convInputGradTaps).
func convInputGrad[T Float](g geometry, y, w, dx []T) {
	wide := g.wide()
	// The wide products are longer by wide/(oh·ow): col2imWide's vector
	// additions repay that only while the kernel is narrow against the
	// input (LeNet's conv1, not conv2). The gap columns of the wide
	// products are the weights times zeros, zeros unless the weights are
	// not all finite.
	useTaps := g.dense && !g.direct && g.cg >= 4
	useWide := g.dense && !g.direct && !useTaps && 4*wide <= 5*g.outPix
	finite := true
	if useTaps || useWide {
		s := kernel.Sum(w)
		finite = s-s == 0
		useTaps = useTaps && finite // else col2im, which adds no gaps
	}
	var wt []T
	nr := panelWidth[T]()
	if useTaps {
		wt = tapMajor(g, w)
		defer recycle(wt)
	}
	g.forImages(func(lo, hi int) {
		var cols []T
		switch {
		case useTaps:
			cols = allocDirty[T](g.og*wide + gemmpkg.PackedLen(g.og, wide, nr))
			defer recycle(cols)
		case useWide:
			cols = allocDirty[T]((g.k + g.og) * wide)
			defer recycle(cols)
		case !g.direct:
			cols = allocDirty[T](g.k * g.outPix)
			defer recycle(cols)
		}
		for n := lo; n < hi; n++ {
			for gr := range g.cfg.Groups {
				ys := y[(n*g.o+gr*g.og)*g.outPix:][:g.og*g.outPix]
				d := dx[(n*g.c+gr*g.cg)*g.inSize:][:g.cg*g.inSize]
				wg := w[gr*g.og*g.k:]
				switch {
				case g.direct:
					gemmT(true, false, g.k, g.outPix, g.og, wg, g.k, ys, g.outPix, 0, d, g.outPix)
				case useTaps:
					yw, bp := cols[:g.og*wide], cols[g.og*wide:]
					spreadRows(g, ys, yw, wide, n == lo)
					packRows(yw, g.og, wide, bp, nr)
					convInputGradTaps(g, wt[gr*g.og*g.k:][:g.og*g.k], bp, d, wide)
				case useWide:
					c, yw := cols[:g.k*wide], cols[g.k*wide:][:g.og*wide]
					spreadRows(g, ys, yw, wide, n == lo)
					gemmT(true, false, g.k, wide, g.og, wg, g.k, yw, wide, 0, c, wide)
					col2imWide(g, c, d, wide, finite)
				default:
					gemmT(true, false, g.k, g.outPix, g.og, wg, g.k, ys, g.outPix, 0, cols, g.outPix)
					col2im(g, cols, d)
				}
			}
		}
	})
}

// convInputGradTaps adds into dx, one image's cg×h×w input gradient of a
// group of a dense geometry, the products of each tap (p, q): over the wide
// positions P, dx[c, p·w+q+P] += Σ_o w[o, c, p, q]·yw[o, P], a cg×og block
// of the weights (wt, tap-major) times the og×wide spread output gradient
// (packed in bp) accumulated into dx viewed from p·w+q with rows h·w apart.
func convInputGradTaps[T Float](g geometry, wt, bp, dx []T, wide int) {
	for t := range g.kh * g.kw {
		p, q := t/g.kw, t%g.kw
		gemmPacked(g.cg, wide, g.og, wt[t*g.cg*g.og:][:g.cg*g.og], g.og, bp, 1, dx[p*g.w+q:], g.inSize)
	}
}

// tapMajor returns the weights w, O×cg×kh×kw, rearranged per group as
// kh·kw blocks, one per tap (p, q), of cg×og: element [g][p·kw+q][c][o] =
// w[g·og+o, c, p, q].
func tapMajor[T Float](g geometry, w []T) []T {
	wt := allocDirty[T](len(w))
	taps := g.kh * g.kw
	for gr := range g.cfg.Groups {
		src, dst := w[gr*g.og*g.k:][:g.og*g.k], wt[gr*g.og*g.k:][:g.og*g.k]
		for o := range g.og {
			for c := range g.cg {
				for t, v := range src[(o*g.cg+c)*taps:][:taps] {
					dst[(t*g.cg+c)*g.og+o] = v
				}
			}
		}
	}
	return wt
}

// packRows writes the rows×n row-major matrix a as the GEMM's packed B
// (see gemm.F32Packed): panels nr columns wide, zeros past column n.
func packRows[T Float](a []T, rows, n int, bp []T, nr int) {
	for t := range ceilDiv(n, nr) {
		m := min(nr, n-t*nr)
		panel := bp[t*rows*nr:][:rows*nr]
		for r := range rows {
			o := panel[r*nr:][:nr]
			copy(o, a[r*n+t*nr:][:m])
			clear(o[m:])
		}
	}
}

// col2imWide adds the columns of cols, k×wide, the wide unfolding (see
// wideCols) of a dense geometry's input gradient, back into the cg×h×w
// channels dx: tap (c, p, q)'s row adds to the contiguous run of dx from
// c·h·w + p·w + q, as one vector addition. The gap columns j ≥ ow are the
// weights times the zeros that spreadRows put there, zeros unless the
// weights are not all finite: only then are they cleared first.
func col2imWide[T Float](g geometry, cols, dx []T, wide int, finite bool) {
	r := 0
	for c := range g.cg {
		for p := range g.kh {
			for q := range g.kw {
				row := cols[r*wide:][:wide]
				if !finite {
					clearGaps(g, row)
				}
				d := dx[c*g.inSize+p*g.w+q:][:wide]
				kernel.ArithSame(kernel.OpAdd, d, row, d)
				r++
			}
		}
	}
}

// convWeightGrad computes dw = Σ_n y_n·colsₙᵀ per group, og×k products
// of the output gradient with the transposed unfolded input, which the
// GEMM packs with its register transposes (the transposed product,
// dwᵀ = cols·yᵀ, would run its micro-tiles along LeNet's few output
// channels). Dense geometries unfold "wide" (see wideCols) instead of
// by im2col, or, with four or more input channels per group, run one
// product per tap (convWeightGradTaps). Pieces of images run on several cores, each summing into its
// own buffer; the buffers are then added in image order, so the result
// depends only on the number of pieces, not on timing.
func convWeightGrad[T Float](g geometry, x, y, dw []T) {
	if g.n == 0 {
		clear(dw)
		return
	}
	var mu sync.Mutex
	partial := map[int][]T{}
	wide := g.wide()
	// With enough input channels to fill the GEMM's micro-tiles, one
	// product per tap reads the input in place (see convWeightGradTaps),
	// unless the input holds an infinity or a NaN, which the wide
	// positions' gaps would multiply by zero.
	useTaps := g.dense && !g.direct && g.cg >= 4
	if useTaps {
		s := kernel.Sum(x)
		useTaps = s-s == 0
	}
	nr := panelWidth[T]()
	// the accumulator of a group: og×k, or for useTaps tap-major with the
	// og columns padded to whole panels, so that the products write
	// their micro-tiles straight into it
	ld, per := g.og, g.og*g.k
	if useTaps {
		ld = ceilDiv(g.og, nr) * nr
		per = g.kh * g.kw * g.cg * ld
	}
	// The wide unfolding's product, og×k, is computed over kPad ≥ k
	// columns, whole panels (zero rows added to the unfolding), when that
	// adds at most a quarter: its micro-tiles then take the GEMM's full
	// kernel, not its slower edge path (LeNet's conv1: 25 → 32).
	kPad := g.k
	if p := ceilDiv(g.k, nr) * nr; g.dense && !g.direct && !useTaps && 4*(p-g.k) <= p {
		kPad = p
		per = g.og * kPad
	}
	g.forImages(func(lo, hi int) {
		d := allocDirty[T](g.cfg.Groups * per)
		var buf []T
		switch {
		case useTaps:
			buf = allocDirty[T](gemmpkg.PackedLen(wide, g.og, nr))
			defer recycle(buf)
		case g.dense:
			buf = allocDirty[T]((kPad + g.og) * wide)
			defer recycle(buf)
			// the padding rows: their products are dropped, zeros keep them
			// defined (and free of slow subnormals)
			clear(buf[g.k*wide : kPad*wide])
		case !g.direct:
			buf = allocDirty[T](g.k * g.outPix)
			defer recycle(buf)
		}
		for gr := range g.cfg.Groups {
			dg := d[gr*per:][:per]
			for n := lo; n < hi; n++ {
				xs := x[(n*g.c+gr*g.cg)*g.inSize:][:g.cg*g.inSize]
				ys := y[(n*g.o+gr*g.og)*g.outPix:][:g.og*g.outPix]
				var beta T
				if n > lo {
					beta = 1
				}
				switch {
				case g.direct:
					gemmT(false, true, g.og, g.k, g.outPix, ys, g.outPix, xs, g.outPix, beta, dg, g.k)
				case useTaps:
					convWeightGradTaps(g, xs, ys, buf, beta, dg, ld, wide, nr)
				case g.dense:
					cols, yw := buf[:kPad*wide], buf[kPad*wide:][:g.og*wide]
					wideCols(g, xs, ys, cols[:g.k*wide], yw, wide, n == lo)
					gemmT(false, true, g.og, kPad, wide, yw, wide, cols, wide, beta, dg, kPad)
				default:
					im2col(g, xs, buf)
					gemmT(false, true, g.og, g.k, g.outPix, ys, g.outPix, buf, g.outPix, beta, dg, g.k)
				}
			}
		}
		mu.Lock()
		partial[lo] = d
		mu.Unlock()
	})
	los := make([]int, 0, len(partial))
	for lo := range partial {
		los = append(los, lo)
	}
	slices.Sort(los)
	sum := partial[los[0]]
	for _, lo := range los[1:] {
		for i, v := range partial[lo] {
			sum[i] += v
		}
		recycle(partial[lo])
	}
	switch {
	case useTaps:
		fromTapMajor(g, sum, ld, dw)
	case kPad > g.k:
		for r := range g.cfg.Groups * g.og { // og rows of kPad per group
			copy(dw[r*g.k:][:g.k], sum[r*kPad:])
		}
	default:
		copy(dw, sum)
	}
	recycle(sum)
}

// convWeightGradTaps computes, for one image's group of a dense geometry,
// the weight gradient tap by tap, tap-major (see tapMajor, here with rows
// ld ≥ og long) into dt, plus beta times dt: for tap (p, q), the cg×og
// block Σ_P x[c, p·w+q+P]·yw[o, P]
// over the wide positions P, with the input read in place (the cg rows h·w
// apart from p·w+q) and the output gradient spread to the wide positions,
// transposed and packed once into bp (PackedLen(wide, og, nr)).
func convWeightGradTaps[T Float](g geometry, x, ys, bp []T, beta T, dt []T, ld, wide, nr int) {
	// bp: ⌈og/nr⌉ panels; panel t holds, for each wide position P, the
	// values of the nr channels t·nr… at P, zeros in the gaps j ≥ ow
	// zeros in the gaps j ≥ ow; written a row (position) at a time
	for t := range ceilDiv(g.og, nr) {
		panel := bp[t*wide*nr:][:wide*nr]
		o0, o1 := t*nr, min(g.og, t*nr+nr)
		for i := range g.oh {
			for j := range g.ow {
				row := panel[(i*g.w+j)*nr:][:nr]
				src := ys[o0*g.outPix+i*g.ow+j:]
				for o := range o1 - o0 {
					row[o] = src[o*g.outPix]
				}
				clear(row[o1-o0:])
			}
			if i < g.oh-1 {
				clear(panel[(i*g.w+g.ow)*nr : (i+1)*g.w*nr])
			}
		}
	}
	for t := range g.kh * g.kw {
		p, q := t/g.kw, t%g.kw
		gemmPacked(g.cg, ld, wide, x[p*g.w+q:], g.inSize, bp, beta, dt[t*g.cg*ld:][:g.cg*ld], ld)
	}
}

// fromTapMajor is the inverse of tapMajor for tap-major blocks wt whose
// rows are ld ≥ og long: it writes them into w, O×cg×kh×kw.
func fromTapMajor[T Float](g geometry, wt []T, ld int, w []T) {
	taps := g.kh * g.kw
	for gr := range g.cfg.Groups {
		src, dst := wt[gr*taps*g.cg*ld:][:taps*g.cg*ld], w[gr*g.og*g.k:][:g.og*g.k]
		for o := range g.og {
			for c := range g.cg {
				row := dst[(o*g.cg+c)*taps:][:taps]
				for t := range row {
					row[t] = src[(t*g.cg+c)*ld+o]
				}
			}
		}
	}
}

// wideCols unfolds one image for the weight gradient of a dense geometry
// over "wide" positions: output position (i, j) becomes column i·w+j, for
// every column j of the input's width, up to the last real position
// (wide = (oh-1)·w + ow columns). Tap (c, p, q)'s row of cols, k×wide, is
// then the contiguous run of x from c·h·w + p·w + q, zeroed in the columns
// j ≥ ow, which match no output position, and yw, og×wide, holds the
// output gradient ys (og×oh×ow) with zeros in those columns (written if
// gaps is set, see spreadRows), so that yw·colsᵀ = ys·im2col(x)ᵀ.
func wideCols[T Float](g geometry, x, ys, cols, yw []T, wide int, gaps bool) {
	// The gap columns' products with yw's zeros are zeros unless x holds
	// an infinity or a NaN (its sum is then not finite, as it may also be
	// by overflow): only then are they cleared.
	s := kernel.Sum(x)
	finite := s-s == 0
	r := 0
	for c := range g.cg {
		for p := range g.kh {
			for q := range g.kw {
				row := cols[r*wide:][:wide]
				copy(row, x[c*g.inSize+p*g.w+q:])
				if !finite {
					clearGaps(g, row)
				}
				r++
			}
		}
	}
	spreadRows(g, ys, yw, wide, gaps)
}

// clearGaps zeroes the columns i·w+j, j ≥ ow, of a wide row, which match
// no output position: their products with zeros must be zeros even where
// the row holds an infinity or a NaN, which lies outside this tap's
// receptive fields.
func clearGaps[T Float](g geometry, row []T) {
	for i := range g.oh - 1 {
		gap := row[i*g.w+g.ow : (i+1)*g.w]
		for j := range gap {
			gap[j] = 0
		}
	}
}

// spreadRows writes the og×oh×ow values ys into yw, og×wide, at the wide
// positions i·w+j, and zeros in the columns j ≥ ow between them if gaps
// is set: a buffer that is reused for every image of a piece has them
// from the first.
func spreadRows[T Float](g geometry, ys, yw []T, wide int, gaps bool) {
	for o := range g.og {
		src, dst := ys[o*g.outPix:][:g.outPix], yw[o*wide:][:wide]
		kernel.CopyRows(dst, g.w, src, g.ow, g.oh, g.ow)
		if gaps {
			for i := range g.oh - 1 {
				clear(dst[i*g.w+g.ow : (i+1)*g.w])
			}
		}
	}
}

// narrowRows is the inverse of spreadRows: it writes the wide positions
// i·w+j, j < ow, of yw, og rows ld ≥ wide apart, into ys, og×oh×ow.
func narrowRows[T Float](g geometry, yw, ys []T, ld int) {
	wide := g.wide()
	for o := range g.og {
		kernel.CopyRows(ys[o*g.outPix:][:g.outPix], g.ow, yw[o*ld:][:wide], g.w, g.oh, g.ow)
	}
}

// wide returns the number of wide positions of a dense geometry's
// unfolding (see wideCols): (oh-1)·w + ow.
func (g geometry) wide() int { return (g.oh-1)*g.w + g.ow }

// im2col unfolds the cg×h×w channels x into cols, k×(oh·ow): row
// (c·kh+p)·kw+q holds tap (p,q) of channel c at every output position,
// zero where it falls in the padding.
func im2col[T Float](g geometry, x, cols []T) {
	r := 0
	for c := range g.cg {
		xc := x[c*g.inSize:][:g.inSize]
		for p := range g.kh {
			for q := range g.kw {
				im2colRow(g, xc, p, q, cols[r*g.outPix:][:g.outPix])
				r++
			}
		}
	}
}

// im2colPacked is im2col writing the k×(oh·ow) unfolded input as the
// GEMM's packed B: panels nr columns wide, panel t at t·k·nr, holding nr
// values of each row in turn, zeros past column oh·ow. Each row is
// unfolded into the scratch space past the panels, then copied out a
// panel's width at a time; dst holds gemm.PackedLen(k, oh·ow, nr) + oh·ow
// values.
func im2colPacked[T Float](g geometry, x, dst []T, nr int) {
	kn := g.k * nr
	np := gemmpkg.PackedLen(g.k, g.outPix, nr)
	row := dst[np:][:g.outPix]
	full := g.outPix / nr // whole panels; the last may be partial
	r := 0
	for c := range g.cg {
		xc := x[c*g.inSize:][:g.inSize]
		for p := range g.kh {
			for q := range g.kw {
				im2colRow(g, xc, p, q, row)
				d := dst[r*nr:]
				for t := range full {
					copy(d[t*kn:][:nr], row[t*nr:][:nr])
				}
				if rest := g.outPix - full*nr; rest > 0 {
					seg := d[full*kn:][:nr]
					copy(seg, row[full*nr:])
					clear(seg[rest:])
				}
				r++
			}
		}
	}
}

// packWide writes a dense geometry's unfolding of the cg×h×w channels x
// over wide positions (see wideCols), k×wide, as the GEMM's packed B:
// panels nr columns wide, panel t at t·k·nr, holding nr values of each
// row in turn, zeros past column wide. Each tap's row is the contiguous
// run of x from offs[r] (tapOffsets), copied a panel's width at a time by
// gemm.PackRowsAt.
func packWide[T Float](x, dst []T, offs []int, nr, wide int) {
	switch x := any(x).(type) {
	case []float32:
		gemmpkg.PackRowsAt32(any(dst).([]float32), x, offs, wide, nr)
	case []float64:
		gemmpkg.PackRowsAt64(any(dst).([]float64), x, offs, wide, nr)
	}
}

// tapOffsets returns where, in one image's cg×h×w input of a group, the
// rows of a dense geometry's wide unfolding begin: c·h·w + p·w + q for
// tap (c, p, q), row (c·kh+p)·kw+q.
func (g geometry) tapOffsets() []int {
	offs := make([]int, 0, g.k)
	for c := range g.cg {
		for p := range g.kh {
			for q := range g.kw {
				offs = append(offs, c*g.inSize+p*g.w+q)
			}
		}
	}
	return offs
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// im2colRow writes into row, oh·ow long, tap (p,q) of channel xc at every
// output position, zero where it falls in the padding.
func im2colRow[T Float](g geometry, xc []T, p, q int, row []T) {
	s, pd, d := g.cfg.Stride, g.cfg.Padding, g.cfg.Dilation
	lo, hi := validRange(g.ow, g.w, s[1], q*d[1]-pd[1][0])
	off := q*d[1] - pd[1][0]
	for i := range g.oh {
		seg := row[i*g.ow:][:g.ow]
		ih := i*s[0] - pd[0][0] + p*d[0]
		if ih < 0 || ih >= g.h || lo >= hi {
			clear(seg)
			continue
		}
		clear(seg[:lo])
		clear(seg[hi:])
		xr := xc[ih*g.w:][:g.w]
		if s[1] == 1 {
			copy(seg[lo:hi], xr[lo+off:hi+off])
			continue
		}
		for j := lo; j < hi; j++ {
			seg[j] = xr[j*s[1]+off]
		}
	}
}

// col2im adds the columns of cols (as im2col lays them out) back into the
// cg×h×w channels dx.
func col2im[T Float](g geometry, cols, dx []T) {
	if g.dense {
		col2imDense(g, cols, dx)
		return
	}
	s, pd, d := g.cfg.Stride, g.cfg.Padding, g.cfg.Dilation
	r := 0
	for c := range g.cg {
		dc := dx[c*g.inSize:][:g.inSize]
		for p := range g.kh {
			for q := range g.kw {
				row := cols[r*g.outPix:][:g.outPix]
				r++
				lo, hi := validRange(g.ow, g.w, s[1], q*d[1]-pd[1][0])
				if lo >= hi {
					continue
				}
				off := q*d[1] - pd[1][0]
				for i := range g.oh {
					ih := i*s[0] - pd[0][0] + p*d[0]
					if ih < 0 || ih >= g.h {
						continue
					}
					seg := row[i*g.ow:][:g.ow]
					dr := dc[ih*g.w:][:g.w]
					if s[1] == 1 {
						dst := dr[lo+off : hi+off]
						for j, v := range seg[lo:hi] {
							dst[j] += v
						}
						continue
					}
					for j := lo; j < hi; j++ {
						dr[j*s[1]+off] += seg[j]
					}
				}
			}
		}
	}
}

// col2imDense is col2im for a dense geometry: each output row's column
// values add to a contiguous run of an input row.
func col2imDense[T Float](g geometry, cols, dx []T) {
	oh, ow, w := g.oh, g.ow, g.w
	r := 0
	for c := range g.cg {
		dc := dx[c*g.inSize:][:g.inSize]
		for p := range g.kh {
			for q := range g.kw {
				row := cols[r*g.outPix:][:g.outPix]
				dst := dc[p*w+q:]
				for i := range oh {
					seg := row[i*ow:][:ow]
					d := dst[i*w:][:len(seg)]
					for j, v := range seg {
						d[j] += v
					}
				}
				r++
			}
		}
	}
}

// validRange returns the output columns j in [lo, hi) whose input column
// j·stride+off lies in [0, w).
func validRange(ow, w, stride, off int) (lo, hi int) {
	// j·stride + off ≥ 0  ⇔  j ≥ ⌈-off/stride⌉
	if off < 0 {
		lo = (-off + stride - 1) / stride
	}
	// j·stride + off ≤ w-1  ⇔  j ≤ ⌊(w-1-off)/stride⌋
	if w-1-off < 0 {
		return 0, 0
	}
	hi = min(ow, (w-1-off)/stride+1)
	if lo > hi {
		lo = hi
	}
	return lo, hi
}
