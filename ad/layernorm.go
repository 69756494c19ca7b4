package ad

// LayerNorm's fused primitives. layer_norm normalizes each row (the last n
// axes, contiguous) in one pass per row: the mean and the biased variance
// of the centred values accumulated in float64, then x̂ = (x - mean)·r with
// r = 1/√(var + eps). Its Jacobian is the symmetric map
// L = r(I - 11ᵀ/n - x̂x̂ᵀ/n) per row, so both its rules are
// layer_norm_grad(x, v) = r(v - mean(v) - x̂·mean(v⊙x̂)), again one pass
// per row, recomputing the row's statistics from x instead of saving them.
// layer_norm_grad's own rules, needed only for second derivatives, are
// written with ad's ops (see lnGradRules).

import (
	"math"
	"slices"

	"github.com/chainrule/chainrule/internal/vmath"
	"github.com/chainrule/chainrule/internal/workers"
	"github.com/chainrule/chainrule/tensor"
)

var layerNormPrim, layerNormGradPrim = new(prim), new(prim)

// lnParams stores n and eps: params.axis is n, params.idx eps's bits in
// two 32-bit halves (an int may be 32 bits wide).
func lnParams(n int, eps float64) *params {
	b := math.Float64bits(eps)
	return &params{axis: n, idx: []int{int(b >> 32), int(b & 0xffffffff)}}
}

func lnOf(p *params) (n int, eps float64) {
	return p.axis, math.Float64frombits(uint64(p.idx[0])<<32 | uint64(p.idx[1]))
}

// lnAxes returns the last n axes, counted from the end (so that leading
// batch axes do not move them).
func lnAxes(n int) []int {
	axes := make([]int, n)
	for i := range axes {
		axes[i] = i - n
	}
	return axes
}

func init() {
	*layerNormPrim = prim{
		name: "layer_norm",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			n, eps := lnOf(p)
			return lnKernel(t[0], nil, n, eps)
		},
		jvp: func(tans, a []Value, _ Value, p *params, _ int) Value {
			if tans[0].IsZero() {
				return Value{}
			}
			return bind(layerNormGradPrim, p, a[0], tans[0])
		},
		// a batch of cotangents keeps its leading axes: the kernel repeats
		// x's rows
		vjp: func(ct Value, _ int, a []Value, _ Value, p *params) Value {
			return bind(layerNormGradPrim, p, a[0], ct)
		},
		// the normalized axes stay last under a leading batch axis
		vmap: func(pr *prim, a []Value, _ []bool, p *params, _ int) Value { return bind(pr, p, a[0]) },
	}
	*layerNormGradPrim = prim{
		name: "layer_norm_grad",
		impl: func(t []*tensor.Tensor, p *params) *tensor.Tensor {
			n, eps := lnOf(p)
			return lnKernel(t[0], t[1], n, eps)
		},
		jvp: func(tans, a []Value, out Value, p *params, _ int) Value {
			var d Value
			if !tans[1].IsZero() { // linear in v
				d = bind(layerNormGradPrim, p, a[0], tans[1])
			}
			if !tans[0].IsZero() {
				dx := lnGradJVPx(a[0], a[1], out, lnBatchFront(tans[0], a[0], a[1]), p)
				if d.IsZero() {
					return dx
				}
				d = Add(d, dx)
			}
			return d
		},
		vjp: func(ct Value, i int, a []Value, out Value, p *params) Value {
			if i == 1 { // L is symmetric
				return bind(layerNormGradPrim, p, a[0], ct)
			}
			return lnSumTo(lnGradVJPx(a[0], a[1], out, ct, p), ctBatch(ct, out), out.Rank()-a[0].Rank())
		},
		// v may carry leading axes that x lacks (the kernel repeats x's
		// rows cyclically), not the other way round. With x batched, v
		// (batched too, by broadcasting if need be) has x's batch axis in
		// front of its extra axes E: moved behind them, v's rows line up
		// with x's repeated rows, and the result's batch axis moves back.
		vmap: func(pr *prim, a []Value, bat []bool, p *params, k int) Value {
			x, v := a[0], a[1]
			if !bat[0] {
				return bind(pr, p, x, v)
			}
			if !bat[1] {
				v = BroadcastTo(v, append([]int{k}, v.Shape()...)...)
			}
			e := v.Rank() - x.Rank()
			if e == 0 {
				return bind(pr, p, x, v)
			}
			// perm: 1…e, 0, e+1…; back: e, 0…e-1, e+1…
			perm, back := make([]int, 0, v.Rank()), []int{e}
			for i := 1; i <= e; i++ {
				perm = append(perm, i)
				back = append(back, i-1)
			}
			perm = append(perm, 0)
			for i := e + 1; i < v.Rank(); i++ {
				perm = append(perm, i)
				back = append(back, i)
			}
			return Transpose(bind(pr, p, x, Transpose(v, perm...)), back...)
		},
	}
}

// lnBatchFront returns the tangent dx of x with size-1 axes inserted
// after its batch axes, one for each leading axis that v has more than x,
// so that dx's batch axes broadcast in front of v's (a JVP's tangents of
// layer_norm_grad(x, v) carry theirs in front of v's shape, and v's extra
// axes may be another transformation's batch).
func lnBatchFront(dx, x, v Value) Value {
	b, extra := dx.Rank()-x.Rank(), v.Rank()-x.Rank()
	if b == 0 || extra == 0 {
		return dx
	}
	s := dx.Shape()
	t := append(slices.Clone(s[:b]), make([]int, extra)...)
	for i := b; i < b+extra; i++ {
		t[i] = 1
	}
	return Reshape(dx, append(t, s[b:]...)...)
}

// lnSumTo sums g, a cotangent with b batch axes in front, over the next
// extra axes: those that v has before x's (x's rows repeated).
func lnSumTo(g Value, b, extra int) Value {
	if extra == 0 {
		return g
	}
	axes := make([]int, extra)
	for i := range axes {
		axes[i] = b + i
	}
	return Sum(g, false, axes...)
}

// lnStats returns x̂ = layer_norm(x) and r = 1/√(var + eps) with the
// normalized axes kept as size 1, as ad values (for the second-order
// rules).
func lnStats(x Value, p *params) (xh, r Value) {
	n, eps := lnOf(p)
	axes := lnAxes(n)
	xc := Sub(x, Mean(x, true, axes...))
	r = Rsqrt(Add(Mean(Square(xc), true, axes...), like(x, eps)))
	return bind(layerNormPrim, p, x), r
}

// lnGradJVPx is the derivative of out = layer_norm_grad(x, v) along ẋ:
// with L ẋ = layer_norm_grad(x, ẋ), m = mean(v⊙x̂) and ṙ/r = -r·mean(x̂⊙ẋ),
// d out = -r·mean(x̂⊙ẋ)·out - r(L ẋ·m + x̂·mean(v⊙L ẋ)), the means over
// the normalized axes.
func lnGradJVPx(x, v, out, dx Value, p *params) Value {
	n, _ := lnOf(p)
	axes := lnAxes(n)
	xh, r := lnStats(x, p)
	m := Mean(Mul(v, xh), true, axes...)
	ldx := bind(layerNormGradPrim, p, x, dx)
	t1 := Mul(Mean(Mul(xh, dx), true, axes...), out)
	t2 := Add(Mul(ldx, m), Mul(xh, Mean(Mul(v, ldx), true, axes...)))
	return Neg(Mul(r, Add(t1, t2)))
}

// lnGradVJPx is the adjoint of lnGradJVPx's map ẋ ↦ d out, applied to the
// cotangent c: -r·x̂·mean(out⊙c) - L(r·m·c) - out·r·mean(x̂⊙c).
func lnGradVJPx(x, v, out, c Value, p *params) Value {
	n, _ := lnOf(p)
	axes := lnAxes(n)
	xh, r := lnStats(x, p)
	m := Mean(Mul(v, xh), true, axes...)
	t1 := Mul(xh, Mean(Mul(out, c), true, axes...))
	t3 := Mul(out, Mean(Mul(xh, c), true, axes...))
	t2 := bind(layerNormGradPrim, p, x, Mul(Mul(r, m), c))
	return Neg(Add(Mul(r, Add(t1, t3)), t2))
}

// lnKernel returns layer_norm(x) over the last n axes if v is nil, and
// layer_norm_grad(x, v) otherwise (v of x's shape, or with leading axes
// more: x's rows repeat).
func lnKernel(x, v *tensor.Tensor, n int, eps float64) *tensor.Tensor {
	shape := x.Shape()
	if v != nil {
		shape = v.Shape()
	}
	out := tensor.Uninitialized(x.DType(), slices.Clone(shape))
	row := 1
	for _, d := range x.Shape()[x.Rank()-n:] {
		row *= d
	}
	if out.Size() == 0 || row == 0 {
		return out
	}
	if x.DType() == tensor.Float32 {
		var vd []float32
		if v != nil {
			vd = v.Data32()
		}
		lnRows(x.Data32(), vd, out.Data32(), row, eps)
	} else {
		var vd []float64
		if v != nil {
			vd = v.Data()
		}
		lnRows(x.Data(), vd, out.Data(), row, eps)
	}
	return out
}

// lnRows computes the rows of z (each n long) from x's rows (repeating
// if z has more) and v's, in float64, the sums in four interleaved lanes;
// rows split across the cores from 2¹¹ elements.
func lnRows[T tensor.Float](x, v, z []T, n int, eps float64) {
	if x32, ok := any(x).([]float32); ok {
		v32, _ := any(v).([]float32)
		lnRows32(x32, v32, any(z).([]float32), n, eps)
		return
	}
	xRows := len(x) / n
	workers.For(len(z)/n, max(1, 1<<11/n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, zr := x[(r%xRows)*n:][:n], z[r*n:][:n]
			mean := lnSum(xr, 0, nil) / float64(n)
			rstd := 1 / math.Sqrt(lnSq(xr, mean)/float64(n)+eps)
			if v == nil {
				for j, a := range xr {
					zr[j] = T((float64(a) - mean) * rstd)
				}
				continue
			}
			vr := v[r*n:][:n]
			mv := lnSum(vr, 0, nil) / float64(n)
			mvx := lnSum(vr, mean, xr) * rstd / float64(n)
			for j, a := range xr {
				zr[j] = T(rstd * (float64(vr[j]) - mv - (float64(a)-mean)*rstd*mvx))
			}
		}
	})
}

// lnRows32 is lnRows for float32 rows with vmath's row kernels (AVX2
// where the processor has it): the same float64 arithmetic, the sums in
// sixteen lanes rather than four.
func lnRows32(x, v, z []float32, n int, eps float64) {
	xRows := len(x) / n
	workers.For(len(z)/n, max(1, 1<<11/n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, zr := x[(r%xRows)*n:][:n], z[r*n:][:n]
			mean := vmath.Sum32(xr) / float64(n)
			rstd := 1 / math.Sqrt(vmath.SqDev32(xr, mean)/float64(n)+eps)
			if v == nil {
				vmath.Normalize32(zr, xr, mean, rstd)
				continue
			}
			vr := v[r*n:][:n]
			mv := vmath.Sum32(vr) / float64(n)
			mvx := vmath.DotDev32(vr, xr, mean) * rstd / float64(n)
			vmath.NormGrad32(zr, xr, vr, mean, rstd, mv, mvx)
		}
	})
}

// lnSq returns Σ (a_j - c)² in float64, in four interleaved lanes.
func lnSq[T tensor.Float](a []T, c float64) float64 {
	var s0, s1, s2, s3 float64
	j := 0
	for ; j+4 <= len(a); j += 4 {
		v := a[j : j+4 : j+4]
		d0, d1, d2, d3 := float64(v[0])-c, float64(v[1])-c, float64(v[2])-c, float64(v[3])-c
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; j < len(a); j++ {
		d := float64(a[j]) - c
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// lnSum returns Σ a_j in float64 if y is nil, else Σ a_j·(y_j - c), in
// four interleaved lanes (four additions in flight, not one running
// total's chain).
func lnSum[T tensor.Float](a []T, c float64, y []T) float64 {
	var s0, s1, s2, s3 float64
	j := 0
	if y == nil {
		for ; j+4 <= len(a); j += 4 {
			v := a[j : j+4 : j+4]
			s0 += float64(v[0])
			s1 += float64(v[1])
			s2 += float64(v[2])
			s3 += float64(v[3])
		}
		for ; j < len(a); j++ {
			s0 += float64(a[j])
		}
		return (s0 + s1) + (s2 + s3)
	}
	y = y[:len(a)]
	for ; j+4 <= len(a); j += 4 {
		v, w := a[j:j+4:j+4], y[j:j+4:j+4]
		s0 += float64(v[0]) * (float64(w[0]) - c)
		s1 += float64(v[1]) * (float64(w[1]) - c)
		s2 += float64(v[2]) * (float64(w[2]) - c)
		s3 += float64(v[3]) * (float64(w[3]) - c)
	}
	for ; j < len(a); j++ {
		s0 += float64(a[j]) * (float64(y[j]) - c)
	}
	return (s0 + s1) + (s2 + s3)
}
