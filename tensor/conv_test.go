package tensor

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
)

// eachProduct calls f for every product of a 2-d convolution of an input
// shaped xs by weights shaped ws, by the definition as seven nested loops:
// output element (b, oc, i, j) takes input (b, ch, ih, iw) times weight
// (oc, ci, p, q), for ih = i·sh-pt+p·dh, iw = j·sw-pl+q·dw inside the
// input and ch = the first channel of oc's group + ci.
func eachProduct(xs, ws []int, c ConvConfig, f func(b, oc, i, j, ch, ci, p, q, ih, iw int)) {
	c = c.normalized("test")
	n, h, wd := xs[0], xs[2], xs[3]
	o, cg, kh, kw := ws[0], ws[1], ws[2], ws[3]
	og := o / c.Groups
	oh := ConvOutSize(h, kh, c.Stride[0], c.Padding[0][0], c.Padding[0][1], c.Dilation[0])
	ow := ConvOutSize(wd, kw, c.Stride[1], c.Padding[1][0], c.Padding[1][1], c.Dilation[1])
	for b := range n {
		for oc := range o {
			for i := range oh {
				for j := range ow {
					for ci := range cg {
						for p := range kh {
							for q := range kw {
								ih := i*c.Stride[0] - c.Padding[0][0] + p*c.Dilation[0]
								iw := j*c.Stride[1] - c.Padding[1][0] + q*c.Dilation[1]
								if ih >= 0 && ih < h && iw >= 0 && iw < wd {
									f(b, oc, i, j, oc/og*cg+ci, ci, p, q, ih, iw)
								}
							}
						}
					}
				}
			}
		}
	}
}

// naiveConv is the definition of a 2-d convolution (eachProduct), the
// independent reference for the im2col kernels.
func naiveConv(x, w *Tensor, c ConvConfig) *Tensor {
	cn := c.normalized("test")
	h, wd, kh, kw := x.shape[2], x.shape[3], w.shape[2], w.shape[3]
	oh := ConvOutSize(h, kh, cn.Stride[0], cn.Padding[0][0], cn.Padding[0][1], cn.Dilation[0])
	ow := ConvOutSize(wd, kw, cn.Stride[1], cn.Padding[1][0], cn.Padding[1][1], cn.Dilation[1])
	out := Zeros(x.shape[0], w.shape[0], oh, ow)
	eachProduct(x.shape, w.shape, c, func(b, oc, i, j, ch, ci, p, q, ih, iw int) {
		out.Set(out.At(b, oc, i, j)+x.At(b, ch, ih, iw)*w.At(oc, ci, p, q), b, oc, i, j)
	})
	return out
}

var convCases = []struct {
	x, w []int
	cfg  ConvConfig
}{
	{[]int{2, 3, 5, 6}, []int{4, 3, 3, 3}, ConvConfig{}},
	{[]int{1, 2, 8, 7}, []int{3, 2, 3, 3}, ConvConfig{Stride: [2]int{2, 3}, Padding: [2][2]int{{0, 2}, {1, 0}}}},
	{[]int{2, 2, 9, 8}, []int{2, 2, 3, 2}, ConvConfig{Stride: [2]int{1, 2}, Padding: [2][2]int{{2, 1}, {1, 1}}, Dilation: [2]int{2, 3}}},
	{[]int{2, 4, 6, 6}, []int{6, 2, 3, 3}, ConvConfig{Padding: [2][2]int{{1, 1}, {1, 1}}, Groups: 2}},
	{[]int{2, 3, 6, 5}, []int{3, 1, 3, 3}, ConvConfig{Stride: [2]int{2, 2}, Padding: [2][2]int{{1, 1}, {1, 1}}, Groups: 3}},
	{[]int{3, 4, 4, 5}, []int{5, 4, 1, 1}, ConvConfig{}},                                   // direct 1×1
	{[]int{1, 2, 4, 5}, []int{2, 2, 1, 1}, ConvConfig{Stride: [2]int{2, 2}}},               // strided 1×1
	{[]int{1, 1, 3, 3}, []int{1, 1, 3, 3}, ConvConfig{Padding: [2][2]int{{4, 4}, {4, 4}}}}, // padding wider than the kernel
	{[]int{1, 2, 5, 4}, []int{2, 1, 2, 2}, ConvConfig{Stride: [2]int{3, 3}, Padding: [2][2]int{{2, 0}, {0, 3}}, Groups: 2}},
	{[]int{2, 4, 7, 6}, []int{4, 2, 3, 2}, ConvConfig{Groups: 2}}, // dense (unit stride, no padding), grouped
	{[]int{1, 2, 3, 5}, []int{3, 2, 3, 2}, ConvConfig{}},          // dense, one output row
	{[]int{2, 3, 6, 4}, []int{2, 3, 2, 4}, ConvConfig{}},          // dense, one output column
	{[]int{2, 2, 9, 10}, []int{3, 2, 2, 2}, ConvConfig{}},         // dense, narrow kernel: the wide input gradient
	{[]int{2, 4, 6, 7}, []int{3, 4, 3, 2}, ConvConfig{}},          // dense, 4 input channels: the input gradient by taps
	{[]int{1, 8, 5, 6}, []int{4, 4, 2, 3}, ConvConfig{Groups: 2}}, // the same, grouped
}

func closeTo(t *testing.T, what string, got, want *Tensor, tol float64) {
	t.Helper()
	if fmt.Sprint(got.Shape()) != fmt.Sprint(want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
	}
	g, w := got.Float64s(), want.Float64s()
	for i := range g {
		if !(math.Abs(g[i]-w[i]) <= tol*(1+math.Abs(w[i]))) { // a NaN fails
			t.Fatalf("%s: element %d = %.17g, want %.17g", what, i, g[i], w[i])
		}
	}
}

func dot(a, b *Tensor) float64 {
	s := 0.0
	for i, v := range a.Float64s() {
		s += v * b.AtFlat(i)
	}
	return s
}

// TestConv2D checks the im2col kernel against naiveConv in both dtypes, and
// the two adjoint kernels by ⟨conv(x, w), y⟩ = ⟨x, convT(y, w)⟩ =
// ⟨w, wgrad(x, y)⟩, and by comparing them with the naive convolution's
// transposes built one basis vector at a time.
func TestConv2D(t *testing.T) {
	for k, c := range convCases {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			x, w := RandN(seeded(uint64(3*k+1)), c.x...), RandN(seeded(uint64(3*k+2)), c.w...)
			want := naiveConv(x, w, c.cfg)
			got := Conv2D(x, w, c.cfg)
			closeTo(t, "conv2d", got, want, 1e-13)
			closeTo(t, "conv2d float32", Conv2D(x.As(Float32), w.As(Float32), c.cfg), want, 1e-5)

			y := RandN(seeded(uint64(3*k+3)), got.Shape()...)
			dx := ConvTranspose2D(y, w, c.cfg, c.x[2], c.x[3])
			dw := Conv2DWeightGrad(x, y, c.cfg, c.w[2], c.w[3])
			lhs := dot(got, y)
			if d := math.Abs(dot(x, dx) - lhs); d > 1e-11*(1+math.Abs(lhs)) {
				t.Errorf("⟨x, convT(y, w)⟩ - ⟨conv(x, w), y⟩ = %g", d)
			}
			if d := math.Abs(dot(w, dw) - lhs); d > 1e-11*(1+math.Abs(lhs)) {
				t.Errorf("⟨w, wgrad(x, y)⟩ - ⟨conv(x, w), y⟩ = %g", d)
			}
			// Elementwise: dx[i] = ⟨naiveConv(eᵢ, w), y⟩, dw[j] = ⟨naiveConv(x, eⱼ), y⟩.
			for i := range x.Size() {
				e := Zeros(c.x...)
				e.SetFlat(i, 1)
				if want := dot(naiveConv(e, w, c.cfg), y); math.Abs(dx.AtFlat(i)-want) > 1e-12*(1+math.Abs(want)) {
					t.Fatalf("convT element %d = %g, want %g", i, dx.AtFlat(i), want)
				}
			}
			for j := range w.Size() {
				e := Zeros(c.w...)
				e.SetFlat(j, 1)
				if want := dot(naiveConv(x, e, c.cfg), y); math.Abs(dw.AtFlat(j)-want) > 1e-12*(1+math.Abs(want)) {
					t.Fatalf("wgrad element %d = %g, want %g", j, dw.AtFlat(j), want)
				}
			}
			x32, y32, w32 := x.As(Float32), y.As(Float32), w.As(Float32)
			closeTo(t, "convT float32", ConvTranspose2D(y32, w32, c.cfg, c.x[2], c.x[3]), dx, 1e-5)
			closeTo(t, "wgrad float32", Conv2DWeightGrad(x32, y32, c.cfg, c.w[2], c.w[3]), dw, 1e-5)
		})
	}
}

// TestConv2DRecycledStorage runs the kernels into storage that held other
// values, which they must overwrite or clear.
func TestConv2DRecycledStorage(t *testing.T) {
	c := convCases[1]
	x, w := RandN(seeded(1), c.x...), RandN(seeded(2), c.w...)
	want := naiveConv(x, w, c.cfg)
	for range 3 {
		got := Conv2D(x, w, c.cfg)
		closeTo(t, "conv2d", got, want, 1e-13)
		junk := Full(math.NaN(), got.Shape()...)
		Recycle(junk)
		Recycle(got)
	}
}

func TestConv2DErrors(t *testing.T) {
	x, w := Zeros(1, 4, 5, 5), Zeros(2, 2, 3, 3)
	cases := []struct {
		name string
		fn   func()
		kind error
		msg  string
	}{
		{"rank", func() { Conv2D(Zeros(4, 5, 5), w, ConvConfig{Groups: 2}) }, ErrShape, "want ranks 4"},
		{"channels", func() { Conv2D(x, w, ConvConfig{}) }, ErrShape, "want 4 input channels per group, have 2"},
		{"groups", func() { Conv2D(x, Zeros(3, 2, 3, 3), ConvConfig{Groups: 2}) }, ErrShape, "not multiples of groups=2"},
		{"too big", func() { Conv2D(x, w, ConvConfig{Groups: 2, Dilation: [2]int{3, 1}}) }, ErrShape, "does not fit"},
		{"negative", func() { Conv2D(x, w, ConvConfig{Groups: 2, Stride: [2]int{-1, 1}}) }, ErrArg, "negative"},
		{"dtype", func() { Conv2D(x.As(Float32), w, ConvConfig{Groups: 2}) }, ErrDType, "conv2d"},
		{"transpose", func() { ConvTranspose2D(Zeros(1, 2, 3, 3), w, ConvConfig{Groups: 2}, 6, 5) }, ErrShape, "conv_transpose2d"},
		{"wgrad", func() { Conv2DWeightGrad(x, Zeros(1, 2, 3, 2), ConvConfig{Groups: 2}, 3, 3) }, ErrShape, "conv2d_weight_grad"},
	}
	for _, c := range cases {
		err := Maybe(c.fn)
		if !errors.Is(err, c.kind) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %v, want %v containing %q", c.name, err, c.kind, c.msg)
		}
	}
}

// TestConv2DParallel runs enough small images that the kernels split them
// over cores (when there are several), against the naive convolution, the
// adjoint identities, and the weight gradient summed image by image.
func TestConv2DParallel(t *testing.T) {
	xs, ws := []int{64, 2, 12, 12}, []int{4, 2, 3, 3} // 5184 multiply-adds an image: 2 pieces of 32
	cfg := ConvConfig{Stride: [2]int{1, 2}, Padding: [2][2]int{{1, 1}, {0, 2}}}
	g := newGeometry(cfg.normalized("test"), xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3])
	pieces := 0
	g.forImages(func(lo, hi int) { pieces++ })
	if runtime.GOMAXPROCS(0) > 1 && pieces < 2 {
		t.Fatalf("%d pieces: the test no longer splits the images", pieces)
	}
	x, w := RandN(seeded(1), xs...), RandN(seeded(2), ws...)
	got := Conv2D(x, w, cfg)
	closeTo(t, "conv2d", got, naiveConv(x, w, cfg), 1e-13)
	y := RandN(seeded(3), got.Shape()...)
	lhs := dot(got, y)
	dx := ConvTranspose2D(y, w, cfg, xs[2], xs[3])
	if d := math.Abs(dot(x, dx) - lhs); d > 1e-11*(1+math.Abs(lhs)) {
		t.Errorf("⟨x, convT(y, w)⟩ - ⟨conv(x, w), y⟩ = %g", d)
	}
	dw := Conv2DWeightGrad(x, y, cfg, ws[2], ws[3])
	sum := Zeros(ws...)
	for n := range xs[0] {
		xn, yn := Slice(x, 0, n, n+1), Slice(y, 0, n, n+1)
		sum.AddInPlace(Conv2DWeightGrad(xn, yn, cfg, ws[2], ws[3]))
		closeTo(t, "convT image", ConvTranspose2D(yn, w, cfg, xs[2], xs[3]), Slice(dx, 0, n, n+1), 1e-14)
	}
	closeTo(t, "wgrad", dw, sum, 1e-12)
	for range 3 { // the same pieces each time: bit-identical
		if !Equal(Conv2DWeightGrad(x, y, cfg, ws[2], ws[3]), dw) {
			t.Fatal("weight gradient differs between runs")
		}
	}
}

// TestConv2DLargeShapes runs the shapes of W8's LeNet-5 and shapes with
// more than one k block of the GEMM (k = C·KH·KW > 256) and many panels,
// which convCases' small images do not reach: the forward pass against
// naiveConv, the adjoints by the identities ⟨conv(x, w), y⟩ = ⟨x,
// convT(y, w)⟩ = ⟨w, wgrad(x, y)⟩ in float64 (for random x, w, y and for
// basis vectors of w), and float32 against float64.
func TestConv2DLargeShapes(t *testing.T) {
	for k, c := range []struct {
		x, w []int
		cfg  ConvConfig
	}{
		{[]int{2, 1, 28, 28}, []int{6, 1, 5, 5}, ConvConfig{}},
		{[]int{3, 6, 12, 12}, []int{16, 6, 5, 5}, ConvConfig{}},
		{[]int{2, 12, 9, 11}, []int{7, 12, 5, 5}, ConvConfig{Padding: [2][2]int{{2, 1}, {0, 3}}}},
		{[]int{1, 8, 13, 20}, []int{10, 4, 3, 3}, ConvConfig{Stride: [2]int{2, 1}, Dilation: [2]int{1, 2}, Groups: 2}},
	} {
		x, w := RandN(seeded(uint64(50+k)), c.x...), RandN(seeded(uint64(60+k)), c.w...)
		got := Conv2D(x, w, c.cfg)
		closeTo(t, fmt.Sprint("conv2d ", k), got, naiveConv(x, w, c.cfg), 1e-13)
		y := RandN(seeded(uint64(70+k)), got.Shape()...)
		dx := ConvTranspose2D(y, w, c.cfg, c.x[2], c.x[3])
		dw := Conv2DWeightGrad(x, y, c.cfg, c.w[2], c.w[3])
		lhs := dot(got, y)
		if d := math.Abs(dot(x, dx) - lhs); d > 1e-11*(1+math.Abs(lhs)) {
			t.Errorf("%d: ⟨x, convT(y, w)⟩ - ⟨conv(x, w), y⟩ = %g", k, d)
		}
		for j := 0; j < w.Size(); j += w.Size()/6 + 1 {
			e := Zeros(c.w...)
			e.SetFlat(j, 1)
			if want := dot(naiveConv(x, e, c.cfg), y); math.Abs(dw.AtFlat(j)-want) > 1e-11*(1+math.Abs(want)) {
				t.Fatalf("%d: wgrad element %d = %g, want %g", k, j, dw.AtFlat(j), want)
			}
		}
		x32, y32, w32 := x.As(Float32), y.As(Float32), w.As(Float32)
		closeTo(t, fmt.Sprint("conv2d float32 ", k), Conv2D(x32, w32, c.cfg), got, 1e-4)
		closeTo(t, fmt.Sprint("convT float32 ", k), ConvTranspose2D(y32, w32, c.cfg, c.x[2], c.x[3]), dx, 1e-4)
		closeTo(t, fmt.Sprint("wgrad float32 ", k), Conv2DWeightGrad(x32, y32, c.cfg, c.w[2], c.w[3]), dw, 1e-4)
	}
}

// naiveAdjoints returns the two adjoints of the convolution by their
// definitions as sums over the receptive fields (eachProduct), touching
// only the products that each field contains: dx[b,ch,ih,iw] =
// Σ w[oc,ci,p,q]·y[b,oc,i,j] and dw[oc,ci,p,q] = Σ x[b,ch,ih,iw]·y[b,oc,i,j].
func naiveAdjoints(x, w, y *Tensor, c ConvConfig) (dx, dw *Tensor) {
	dx, dw = Zeros(x.shape...), Zeros(w.shape...)
	eachProduct(x.shape, w.shape, c, func(b, oc, i, j, ch, ci, p, q, ih, iw int) {
		yv := y.At(b, oc, i, j)
		dx.Set(dx.At(b, ch, ih, iw)+w.At(oc, ci, p, q)*yv, b, ch, ih, iw)
		dw.Set(dw.At(oc, ci, p, q)+x.At(b, ch, ih, iw)*yv, oc, ci, p, q)
	})
	return dx, dw
}

// sameNonFinite fails unless got and want agree: equal infinities and NaNs
// at the same places, finite values within tol.
func sameNonFinite(t *testing.T, what string, got, want *Tensor, tol float64) {
	t.Helper()
	for i := range want.Size() {
		g, w := got.AtFlat(i), want.AtFlat(i)
		switch {
		case math.IsNaN(w) || math.IsInf(w, 0):
			if !(math.IsNaN(g) && math.IsNaN(w)) && g != w {
				t.Fatalf("%s: element %d = %g, want %g", what, i, g, w)
			}
		case !(math.Abs(g-w) <= tol*(1+math.Abs(w))): // false for a NaN
			t.Fatalf("%s: element %d = %g, want %g", what, i, g, w)
		}
	}
}

// TestConv2DNonFinite puts infinities and NaNs in the input and the
// weights, including where only some taps reach (the last column, which
// the dense kernels' wide positions pass on the way to the next row), and
// checks all three kernels against the definitions, which never multiply
// a value outside a receptive field. (With padding, the kernels multiply
// the padding's zeros, as PyTorch's do: 0·∞ is then NaN where the
// definition skips the product.)
func TestConv2DNonFinite(t *testing.T) {
	for k, c := range []struct {
		x, w []int
		cfg  ConvConfig
	}{
		{[]int{2, 1, 7, 6}, []int{3, 1, 3, 2}, ConvConfig{}},
		{[]int{2, 4, 6, 7}, []int{4, 2, 2, 3}, ConvConfig{Groups: 2}},
		{[]int{1, 2, 7, 8}, []int{2, 2, 3, 3}, ConvConfig{Stride: [2]int{2, 1}, Dilation: [2]int{1, 2}}},
		{[]int{2, 4, 6, 7}, []int{3, 4, 3, 2}, ConvConfig{}},
	} {
		for _, dt := range []DType{Float64, Float32} {
			x, w := RandN(seeded(uint64(90+k)), c.x...), RandN(seeded(uint64(95+k)), c.w...)
			x.Set(math.Inf(1), 0, 0, 0, c.x[3]-1)
			x.Set(math.NaN(), c.x[0]-1, c.x[1]-1, c.x[2]-2, c.x[3]-1)
			w.Set(math.Inf(-1), 0, 0, 0, 0)
			y := RandN(seeded(uint64(99+k)), Conv2D(x, w, c.cfg).Shape()...)
			dx, dw := naiveAdjoints(x, w, y, c.cfg)
			xd, wd, yd := x.As(dt), w.As(dt), y.As(dt)
			what := fmt.Sprint(k, " ", dt)
			sameNonFinite(t, what+" conv2d", Conv2D(xd, wd, c.cfg), naiveConv(x, w, c.cfg), 1e-4)
			sameNonFinite(t, what+" convT", ConvTranspose2D(yd, wd, c.cfg, c.x[2], c.x[3]), dx, 1e-4)
			sameNonFinite(t, what+" wgrad", Conv2DWeightGrad(xd, yd, c.cfg, c.w[2], c.w[3]), dw, 1e-4)
		}
	}
}

// TestConvAdjointsRecycledStorage runs the dense adjoint kernels, several
// images to a piece, with the storage cache full of NaNs, so that every
// scratch buffer they take holds NaNs: the spread output gradient's gap
// columns, zeroed for the first image of a piece and relied on for the
// next, must be zeros, and every other value written. The weight gradient
// takes the wide unfolding (two input channels; one with 25 taps, whose
// product is padded to 32 columns), the input gradient the wide col2im
// (two) and the per-tap products (four), against the naive adjoints.
func TestConvAdjointsRecycledStorage(t *testing.T) {
	for _, c := range []struct{ x, w []int }{
		{[]int{6, 2, 10, 40}, []int{3, 2, 3, 3}},
		{[]int{6, 1, 20, 30}, []int{4, 1, 5, 5}}, // k = 25: a padded product
		{[]int{6, 4, 10, 40}, []int{8, 4, 3, 3}},
	} {
		x, w := RandN(seeded(31), c.x...), RandN(seeded(32), c.w...)
		y := RandN(seeded(33), Conv2D(x, w, ConvConfig{}).Shape()...)
		dx, dw := naiveAdjoints(x, w, y, ConvConfig{})
		for _, d := range []DType{Float64, Float32} {
			for k := 4097; k <= 1<<17; {
				_, size := classOf(k)
				Recycle(Full(math.NaN(), size).As(d))
				Recycle(Full(math.NaN(), size).As(d))
				k = size + 1
			}
			xd, wd, yd := x.As(d), w.As(d), y.As(d)
			closeTo(t, fmt.Sprint(c.x, d, " input gradient"), ConvTranspose2D(yd, wd, ConvConfig{}, c.x[2], c.x[3]), dx, 1e-4)
			closeTo(t, fmt.Sprint(c.x, d, " weight gradient"), Conv2DWeightGrad(xd, yd, ConvConfig{}, c.w[2], c.w[3]), dw, 1e-4)
		}
	}
}
