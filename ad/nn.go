package ad

// Neural-network activations. Each is an elementwise primitive: a float64
// kernel and, one line below, its local derivative written with ad's own
// ops, so that it can be differentiated again. Formulas and the tanh
// approximation's constants are PyTorch's (torch.nn.functional.gelu,
// silu; Hendrycks & Gimpel, "Gaussian Error Linear Units", 2016).

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/internal/vmath"
	"github.com/chainrule/chainrule/internal/workers"
	"github.com/chainrule/chainrule/tensor"
)

const (
	invSqrt2Pi  = 0.3989422804014327 // 1/√(2π)
	sqrt2OverPi = 0.7978845608028654 // √(2/π)
	geluCubic   = 0.044715
)

var geluPrim = new(prim)

func init() {
	// the kernels are vmath's, without a call through tensor.Map per
	// element; x·Φ(x) with Φ(x) = ½erfc(-x/√2), exact in the left tail
	*geluPrim = *kernelUnary("gelu", vmath.GELU, nil,
		vmath.GELUTo[float64], vmath.GELUTo[float32],
		// gelu'(x) = Φ(x) + x·φ(x): one pass of its own primitive
		func(x, _ Value) Value { return bind(geluGradPrim, nil, x) })
	geluPrim.local64, geluPrim.local32 = geluLocal[float64], geluLocal[float32]
}

// geluLocal is GELU's local rule as a slice kernel: gelu_grad's (whose
// result does not depend on an element's position).
func geluLocal[T kernel.Float](l, x, _ []T) { vmath.GELUGradTo(l, x) }

// geluTanhLocal is GELUTanh's local rule as a slice kernel.
func geluTanhLocal[T kernel.Float](l, x, _ []T) { vmath.GELUTanhGradTo(l, x) }

var geluGradPrim = new(prim)

func init() {
	// gelu'(x) = Φ(x) + x·φ(x), Φ(x) = ½(1 + erf(x/√2)), φ(x) = e^(-x²/2)/√(2π),
	// computed in one pass (not ten of the ops below); its derivative,
	// gelu''(x) = 2φ(x) + x·φ'(x) = φ(x)(2 - x²), is written with ad's ops
	*geluGradPrim = *kernelUnary("gelu_grad", vmath.GELUGrad, nil,
		vmath.GELUGradTo[float64], vmath.GELUGradTo[float32],
		func(x, _ Value) Value {
			pdf := Mul(like(x, invSqrt2Pi), Exp(Mul(like(x, -0.5), Square(x))))
			return Mul(pdf, Sub(like(x, 2), Square(x)))
		})
}

// GELU returns the Gaussian error linear unit x·Φ(x) = ½x(1 + erf(x/√2))
// elementwise, Φ the standard normal CDF (PyTorch's F.gelu with the
// default approximate='none'). Its derivative is Φ(x) + x·φ(x). It is
// finite everywhere: GELU(x) → 0 as x → -∞ and → x as x → +∞.
//
// Accuracy: float64 within 6 ulps of x·erfc(-x/√2)/2 with math.Erfc.
// Float32 tensors on amd64 with AVX2/FMA use internal/vmath's assembly:
// GELU within 8 float32 ulps, its derivative within 6 ulps of the larger
// of Φ(x) and x·φ(x) (they cancel near its zero at x ≈ -0.75), tails and
// subnormals included. Scalars, other platforms and the purego build tag
// compute float32 in float64 and round once, so a float32 element may
// differ by a few ulps between a tensor and a scalar.
func GELU(x Value) Value { return bind(geluPrim, nil, x) }

var geluTanhPrim, geluTanhGradPrim = new(prim), new(prim)

func init() {
	*geluTanhPrim = *kernelUnary("gelu_tanh", vmath.GELUTanh, nil,
		vmath.GELUTanhTo[float64], vmath.GELUTanhTo[float32],
		// With u = √(2/π)(x + 0.044715x³) and t = tanh u:
		// d/dx ½x(1+t) = ½(1+t) + ½x(1-t²)·u', one pass of its own primitive
		func(x, _ Value) Value { return bind(geluTanhGradPrim, nil, x) })
	geluTanhPrim.local64, geluTanhPrim.local32 = geluTanhLocal[float64], geluTanhLocal[float32]
	// Its derivative, with t' = (1-t²)u' and u'' = 6·0.044715·√(2/π)x:
	// (1-t²)u' - x·t·(1-t²)u'² + ½x(1-t²)u'' = (1-t²)(u' - x·t·u'² + 3·0.044715·√(2/π)x²)
	*geluTanhGradPrim = *kernelUnary("gelu_tanh_grad", vmath.GELUTanhGrad, nil,
		vmath.GELUTanhGradTo[float64], vmath.GELUTanhGradTo[float32],
		func(x, _ Value) Value {
			x2 := Square(x)
			t := Tanh(Mul(like(x, sqrt2OverPi), Add(x, Mul(like(x, geluCubic), Mul(x2, x)))))
			du := Mul(like(x, sqrt2OverPi), Add(like(x, 1), Mul(like(x, 3*geluCubic), x2)))
			inner := Add(Sub(du, Mul(Mul(x, t), Square(du))), Mul(like(x, 3*geluCubic*sqrt2OverPi), x2))
			return Mul(Sub(like(x, 1), Square(t)), inner)
		})
}

// GELUTanh returns the tanh approximation of GELU elementwise,
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch's F.gelu with
// approximate='tanh', as in GPT-2 and BERT). Its derivative is
// ½(1+t) + ½x(1-t²)·√(2/π)(1 + 0.134145x²) with t the tanh. Float32
// tensors on amd64 with AVX2/FMA compute the equal form x·σ(2u) with one
// exp, which keeps its relative accuracy in the left tail, where 1 + t
// cancels (there float64 and scalars give 0; see internal/vmath).
func GELUTanh(x Value) Value { return bind(geluTanhPrim, nil, x) }

var siluPrim = new(prim)

func init() {
	// x·σ(x) = x/(1+e⁻ˣ): no overflow, e⁻ˣ = +Inf gives -0 or 0.
	*siluPrim = *kernelUnary("silu", vmath.SiLU, nil,
		vmath.SiLUTo[float64], vmath.SiLUTo[float32],
		// silu'(x) = σ(x)(1 + x(1-σ(x))); finite at ±∞ (σ saturates to 0 or 1).
		func(x, _ Value) Value {
			s := Sigmoid(x)
			return Mul(s, Add(like(x, 1), Mul(x, Sub(like(x, 1), s))))
		})
}

// SiLU returns the sigmoid linear unit (swish) x·σ(x) elementwise
// (PyTorch's F.silu). Its derivative is σ(x)(1 + x(1-σ(x))); both are
// computed without overflow (SiLU(-800) = -0, SiLU'(±800) = 0 and 1).
func SiLU(x Value) Value { return bind(siluPrim, nil, x) }

// DropoutMask returns a tensor of dtype d and the given shape whose
// elements are independently 0 with probability p and 1/(1-p) otherwise,
// drawn from rng: the mask of inverted dropout, whose expectation is 1.
// The same generator state gives the same mask. It panics with
// tensor.ErrArg if p is not in [0, 1] or rng is nil, and with
// tensor.ErrShape for a negative dimension.
func DropoutMask(rng *rand.Rand, p float64, d tensor.DType, shape ...int) *tensor.Tensor {
	if !(p >= 0 && p <= 1) {
		tensor.Panicf(tensor.ErrArg, "dropout", "probability %g is not in [0, 1]", p)
	}
	if rng == nil {
		tensor.Panicf(tensor.ErrArg, "dropout", "nil random source")
	}
	m := d.Zeros(shape...)
	scale := 1 / (1 - p)
	for i := range m.Size() {
		if rng.Float64() >= p {
			m.SetFlat(i, scale)
		}
	}
	return m
}

// Dropout returns x with each element zeroed with probability p and the
// others scaled by 1/(1-p) (inverted dropout, PyTorch's F.dropout) when
// train is set, and x itself when it is not (evaluation mode). The mask
// comes from DropoutMask(rng, p, …), so a step is reproducible from the
// generator's state; the gradient is the mask. With p = 1 every element is
// zeroed. It panics with tensor.ErrArg if p is not in [0, 1] (in either
// mode) or, in training mode, rng is nil; and with tensor.ErrGraph when x
// is being compiled, since Compile would freeze the mask drawn at
// recording time into every run: a compiled step takes the mask as an
// input instead (Mul(x, mask) with mask from DropoutMask).
func Dropout(x Value, p float64, train bool, rng *rand.Rand) Value {
	check("dropout", x)
	if !(p >= 0 && p <= 1) {
		tensor.Panicf(tensor.ErrArg, "dropout", "probability %g is not in [0, 1]", p)
	}
	if !train {
		return x
	}
	for v := x; v.tc != nil && !v.tc.done; v = v.primal() {
		if v.tc.kind == stageTrace {
			tensor.Panicf(tensor.ErrGraph, "dropout", "under Compile the mask would be drawn once and replayed by every run; pass a mask from DropoutMask as an input and multiply by it")
		}
	}
	return Mul(x, From(DropoutMask(rng, p, x.DType(), x.Shape()...)))
}

// Attention returns scaled dot-product attention, softmax(q·kᵀ/√d)·v,
// for queries q shaped …×Lq×d, keys k shaped …×Lk×d and values v shaped
// …×Lk×dv, as a …×Lq×dv value; the leading (batch, heads) dimensions
// broadcast as in MatMul. With causal set, query i attends only to keys
// j ≤ i (PyTorch's is_causal: the lower-triangular mask aligned at the top
// left), the others getting weight exactly 0. The softmax subtracts each
// row's maximum, so large logits neither overflow nor lose the gradient.
// It is a composite (PyTorch 2's F.scaled_dot_product_attention without
// dropout) whose softmax and its reverse rule each run in one pass per
// row. It panics with tensor.ErrShape if q or k or v has rank below 2
// or their sizes do not match, and with tensor.ErrDType if their dtypes
// differ.
func Attention(q, k, v Value, causal bool) Value {
	const op = "attention"
	check(op, q, k, v)
	qs, ks, vs := q.Shape(), k.Shape(), v.Shape()
	if len(qs) < 2 || len(ks) < 2 || len(vs) < 2 || qs[len(qs)-1] != ks[len(ks)-1] || ks[len(ks)-2] != vs[len(vs)-2] {
		tensor.Panicf(tensor.ErrShape, op, "queries %s, keys %s and values %s: want …×Lq×d, …×Lk×d and …×Lk×dv", tensor.ShapeString(qs), tensor.ShapeString(ks), tensor.ShapeString(vs))
	}
	if _, err := tensorBroadcast(qs[:len(qs)-2], ks[:len(ks)-2], vs[:len(vs)-2]); err != nil {
		tensor.Panicf(tensor.ErrShape, op, "batch dimensions of queries %s, keys %s and values %s do not broadcast", tensor.ShapeString(qs), tensor.ShapeString(ks), tensor.ShapeString(vs))
	}
	if q.DType() != k.DType() || q.DType() != v.DType() {
		tensor.Panicf(tensor.ErrDType, op, "queries %s, keys %s and values %s", q.DType(), k.DType(), v.DType())
	}
	d := qs[len(qs)-1]
	// scale the queries, not the scores (as PyTorch's attention does):
	// Lq·d products instead of Lq·Lk, fewer whenever there are more keys
	// than features
	scores := matmulT(Mul(q, like(q, 1/math.Sqrt(float64(d)))), k, false, true)
	if causal {
		lq, lk := qs[len(qs)-2], ks[len(ks)-2]
		keep := q.DType().Zeros(lq, lk)
		if keep.DType() == tensor.Float32 {
			lowerOnes(keep.Data32(), lq, lk)
		} else {
			lowerOnes(keep.Data(), lq, lk)
		}
		scores = Where(From(keep), scores, like(q, math.Inf(-1)))
	}
	return MatMul(bind(softmaxLastPrim, nil, scores), v)
}

// lowerOnes sets z's entries j ≤ i of row i to 1, z holding lq rows of lk.
func lowerOnes[T tensor.Float](z []T, lq, lk int) {
	for i := range lq {
		row := z[i*lk : i*lk+min(i+1, lk)]
		for j := range row {
			row[j] = 1
		}
	}
}

var softmaxLastPrim = new(prim)

func init() {
	// softmax over the last axis in one pass per row (max, exp, sum,
	// scale), for Attention's scores; its rules, written with ad's ops so
	// that they differentiate again, are those of Softmax: with y the
	// output, ẏ = y⊙(ẋ − Σ ẋ⊙y) and x̄ = y⊙(ȳ − Σ ȳ⊙y), the sums over the
	// last axis (which also holds with batch axes in front).
	*softmaxLastPrim = prim{
		name: "softmax_last",
		impl: func(t []*tensor.Tensor, _ *params) *tensor.Tensor { return softmaxLast(t[0]) },
		jvp: func(tans, _ []Value, out Value, _ *params, _ int) Value {
			if tans[0].IsZero() {
				return Value{}
			}
			return softmaxVJP(tans[0], out)
		},
		vjp: func(ct Value, _ int, _ []Value, out Value, _ *params) Value { return softmaxVJP(ct, out) },
		// the last axis stays last under a leading batch axis
		vmap: func(p *prim, args []Value, _ []bool, prm *params, _ int) Value { return bind(p, prm, args[0]) },
	}
}

// softmaxRule returns y⊙(d − Σ d⊙y), the sum over the last axis, with
// ad's ops: the tangent (or cotangent) of a softmax over the last axis
// with output y for the input tangent (or output cotangent) d. d may carry
// batch axes in front of y's.
func softmaxRule(d, y Value) Value { return Mul(y, centred(d, y)) }

// centred returns d − Σ d⊙y, the sum over the last axis: the factor of the
// softmax's rules that multiplies y.
func centred(d, y Value) Value { return Sub(d, Sum(Mul(d, y), true, -1)) }

// softmaxVJP is softmaxRule in one fused pass per row (the
// softmax_last_vjp primitive) when d and y share their shape and dtype, as
// in Attention's reverse pass; otherwise it is softmaxRule.
func softmaxVJP(d, y Value) Value {
	if d.Rank() == 0 || !sameShape(d.Shape(), y.Shape()) || d.DType() != y.DType() {
		return softmaxRule(d, y)
	}
	return bind(softmaxLastVJPPrim, nil, y, d)
}

var softmaxLastVJPPrim = new(prim)

func init() {
	// z = y⊙(d − s) with s = Σ d⊙y over the last axis (y and d of one
	// shape). Its rules, with ad's ops so that they differentiate again:
	// ż = ẏ⊙(d − s) + y⊙(ḋ − Σ(ḋ⊙y + d⊙ẏ)); d̄ = y⊙(z̄ − Σ z̄⊙y), the same
	// function of (y, z̄); ȳ = z̄⊙(d − s) − d⊙Σ z̄⊙y.
	*softmaxLastVJPPrim = prim{
		name: "softmax_last_vjp",
		impl: func(t []*tensor.Tensor, _ *params) *tensor.Tensor { return softmaxLastVJP(t[0], t[1]) },
		jvp: func(tans, a []Value, _ Value, _ *params, _ int) Value {
			y, d := a[0], a[1]
			ty, td := tans[0], tans[1]
			var acc, inner Value
			if !ty.IsZero() {
				acc = Mul(ty, centred(d, y))
				inner = Mul(d, ty)
			}
			if !td.IsZero() {
				if inner.IsZero() {
					inner = Mul(td, y)
				} else {
					inner = Add(inner, Mul(td, y))
				}
			}
			if inner.IsZero() {
				return Value{}
			}
			var term Value
			if td.IsZero() {
				term = Neg(Mul(y, Sum(inner, true, -1)))
			} else {
				term = Mul(y, Sub(td, Sum(inner, true, -1)))
			}
			if acc.IsZero() {
				return term
			}
			return Add(acc, term)
		},
		vjp: func(ct Value, i int, a []Value, _ Value, _ *params) Value {
			y, d := a[0], a[1]
			if i == 1 {
				return softmaxVJP(ct, y)
			}
			return Sub(Mul(ct, centred(d, y)), Mul(d, Sum(Mul(ct, y), true, -1)))
		},
		// rows along the last axis: with both arguments batched along a
		// leading axis it applies as it is; with one batched, the rule's
		// broadcasting does
		vmap: func(p *prim, args []Value, bat []bool, prm *params, _ int) Value {
			if bat[0] && bat[1] {
				return bind(p, prm, args...)
			}
			return softmaxRule(args[1], args[0])
		},
	}
}

// lastAxisOut returns an uninitialized tensor shaped like t, for a kernel
// on t's rows along its last axis, and their length (1 for a scalar).
func lastAxisOut(t *tensor.Tensor) (*tensor.Tensor, int) {
	n := 1
	if t.Rank() > 0 {
		n = t.Shape()[t.Rank()-1]
	}
	return tensor.Uninitialized(t.DType(), slices.Clone(t.Shape())), n
}

// softmaxLastVJP returns y⊙(d − Σ d⊙y), the sums over the last axis, for
// y and d of one shape and dtype, rows on every core.
func softmaxLastVJP(y, d *tensor.Tensor) *tensor.Tensor {
	out, n := lastAxisOut(y)
	if out.Size() == 0 {
		return out
	}
	if y.DType() == tensor.Float32 {
		softmaxVJPRows(y.Data32(), d.Data32(), out.Data32(), n)
	} else {
		softmaxVJPRows(y.Data(), d.Data(), out.Data(), n)
	}
	return out
}

// softmaxVJPRows sets z's rows of n to y⊙(d − Σ d⊙y) of y's and d's rows,
// split across the cores by rows from 2¹⁴ elements. Each row, in the L1
// cache, takes four passes of the SIMD kernels: d⊙y into z, its sum
// (kernel.Sum's eight lanes), d − s into z, y⊙z; a float32 row takes
// two with AVX2 (vmath.SoftmaxVJP32, the same result bit for bit).
func softmaxVJPRows[T tensor.Float](y, d, z []T, n int) {
	y32, f32 := any(y).([]float32)
	workers.For(len(y)/n, max(1, 1<<14/n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			yr, dr, zr := y[r*n:][:n], d[r*n:][:n], z[r*n:][:n]
			// float32 rows: the same operations fused into two passes
			if f32 && vmath.SoftmaxVJP32(any(zr).([]float32), y32[r*n:][:n], any(dr).([]float32)) {
				continue
			}
			kernel.ArithSame(kernel.OpMul, dr, yr, zr)
			kernel.ArithScalarY(kernel.OpSub, dr, kernel.Sum(zr), zr)
			kernel.ArithSame(kernel.OpMul, yr, zr, zr)
		}
	})
}

// softmaxLast returns the softmax of t over its last axis, rows on every
// core.
func softmaxLast(t *tensor.Tensor) *tensor.Tensor {
	out, n := lastAxisOut(t)
	if out.Size() == 0 {
		return out
	}
	if t.DType() == tensor.Float32 {
		softmaxRows(t.Data32(), out.Data32(), n)
	} else {
		softmaxRows(t.Data(), out.Data(), n)
	}
	return out
}

// softmaxRows sets z's rows of n to the softmax of x's, split across
// the cores by rows from 2¹⁴ elements (vmath.SoftmaxTo costs about a
// nanosecond an element in float32).
func softmaxRows[T tensor.Float](x, z []T, n int) {
	workers.For(len(x)/n, max(1, 1<<14/n), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			vmath.SoftmaxTo(z[r*n:][:n], x[r*n:][:n])
		}
	})
}

// tensorBroadcast reports whether the shapes broadcast together.
func tensorBroadcast(shapes ...[]int) ([]int, error) {
	out := []int{}
	err := tensor.Maybe(func() {
		for _, s := range shapes {
			out = tensor.BroadcastShapes("attention", out, s)
		}
	})
	return out, err
}
