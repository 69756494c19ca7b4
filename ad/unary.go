package ad

// Elementwise unary primitives. Each one is a kernel and, one line below,
// its local derivative ∂y/∂x written with ad's own ops (so it can be
// differentiated again). The engine multiplies it into tangents and
// cotangents. Formulas are the standard ones (Abramowitz & Stegun ch. 4 and
// 7); conventions at kinks follow PyTorch's derivatives.yaml. Exp, Tanh and
// Sigmoid, the hot ones in neural networks, run internal/vmath's kernels
// (within 2 ulps of package math, and cheaper: a third for exp, three
// times for float32 tanh); the others run package math's function through
// tensor.Map.

import (
	"math"
	"slices"

	"github.com/chainrule/chainrule/internal/kernel"
	"github.com/chainrule/chainrule/internal/vmath"
	"github.com/chainrule/chainrule/tensor"
)

// unary makes an elementwise prim from a float64 kernel and the local
// derivative d(x, y) where y is the output.
func unary(name string, f func(float64) float64, d func(x, y Value) Value) *prim {
	return &prim{
		name:  name,
		impl:  func(a []*tensor.Tensor, _ *params) *tensor.Tensor { return tensor.Map(a[0], f) },
		s1:    f,
		local: func(_ int, a []Value, y Value, _ *params) Value { return d(a[0], y) },
	}
}

// kernelUnary is unary for a function with kernels of its own: k on
// tensors (nil: v64 or v32 over a new tensor's storage, by mapSlices),
// v64 and v32 on slices.
func kernelUnary(name string, f func(float64) float64, k func(*tensor.Tensor) *tensor.Tensor,
	v64 func(dst, src []float64) []float64, v32 func(dst, src []float32) []float32, d func(x, y Value) Value) *prim {
	if k == nil {
		k = func(t *tensor.Tensor) *tensor.Tensor { return mapSlices(t, v64, v32) }
	}
	return &prim{
		name:  name,
		impl:  func(a []*tensor.Tensor, _ *params) *tensor.Tensor { return k(a[0]) },
		s1:    f,
		v64:   v64,
		v32:   v32,
		local: func(_ int, a []Value, y Value, _ *params) Value { return d(a[0], y) },
	}
}

var negPrim = new(prim)

func init() {
	*negPrim = *kernelUnary("neg", func(x float64) float64 { return -x }, tensor.Neg, kernel.Neg[float64], kernel.Neg[float32],
		func(x, _ Value) Value { return like(x, -1) })
}

// Neg returns -x elementwise.
func Neg(x Value) Value { return bind(negPrim, nil, x) }

var expPrim = new(prim)

func init() {
	*expPrim = *kernelUnary("exp", vmath.Exp, tensor.Exp, vmath.ExpTo[float64], vmath.ExpTo[float32],
		func(_, y Value) Value { return y })
}

// Exp returns eˣ elementwise.
func Exp(x Value) Value { return bind(expPrim, nil, x) }

var logPrim = new(prim)

func init() {
	*logPrim = *unary("log", math.Log,
		func(x, _ Value) Value { return Reciprocal(x) })
}

// Log returns the natural logarithm elementwise: NaN for x < 0, -Inf at 0,
// where the derivative 1/x is +Inf.
func Log(x Value) Value { return bind(logPrim, nil, x) }

var log1pPrim = new(prim)

func init() {
	*log1pPrim = *unary("log1p", math.Log1p,
		func(x, _ Value) Value { return Reciprocal(Add(x, like(x, 1))) })
}

// Log1p returns log(1+x) elementwise, accurate for small x.
func Log1p(x Value) Value { return bind(log1pPrim, nil, x) }

var expm1Prim = new(prim)

func init() {
	*expm1Prim = *unary("expm1", math.Expm1,
		func(_, y Value) Value { return Add(y, like(y, 1)) })
}

// Expm1 returns eˣ-1 elementwise, accurate for small x.
func Expm1(x Value) Value { return bind(expm1Prim, nil, x) }

var sqrtPrim = new(prim)

func init() {
	*sqrtPrim = *unary("sqrt", math.Sqrt,
		func(_, y Value) Value { return Div(like(y, 0.5), y) })
}

// Sqrt returns √x elementwise. Its derivative 1/(2√x) is +Inf at 0 (as in
// PyTorch) and NaN for x < 0.
func Sqrt(x Value) Value { return bind(sqrtPrim, nil, x) }

var absPrim = new(prim)

func init() {
	*absPrim = *unary("abs", math.Abs,
		func(x, _ Value) Value { return Sign(x) })
}

// Abs returns |x| elementwise. Its derivative is sign(x), so abs'(0) = 0
// (PyTorch's convention).
func Abs(x Value) Value { return bind(absPrim, nil, x) }

var signPrim = new(prim)

func init() {
	*signPrim = *unary("sign", sign,
		func(Value, Value) Value { return Value{} })
}

// Sign returns -1, 0 or 1 by the sign of x (NaN for NaN). Its derivative is
// 0 everywhere, including at 0.
func Sign(x Value) Value { return bind(signPrim, nil, x) }

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // 0, -0 or NaN
}

var squarePrim = kernelUnary("square", func(x float64) float64 { return x * x }, tensor.Square, kernel.Square[float64], kernel.Square[float32],
	func(x, _ Value) Value { return Mul(like(x, 2), x) })

// Square returns x² elementwise. It is a primitive (not x·x) so that its
// reverse rule costs one multiplication, not two and an addition.
func Square(x Value) Value { return bind(squarePrim, nil, x) }

var sinPrim = new(prim)

func init() {
	*sinPrim = *unary("sin", math.Sin,
		func(x, _ Value) Value { return Cos(x) })
}

// Sin returns sin x elementwise.
func Sin(x Value) Value { return bind(sinPrim, nil, x) }

var cosPrim = new(prim)

func init() {
	*cosPrim = *unary("cos", math.Cos,
		func(x, _ Value) Value { return Neg(Sin(x)) })
}

// Cos returns cos x elementwise.
func Cos(x Value) Value { return bind(cosPrim, nil, x) }

var tanPrim = new(prim)

func init() {
	*tanPrim = *unary("tan", math.Tan,
		func(_, y Value) Value { return Add(like(y, 1), Mul(y, y)) })
}

// Tan returns tan x elementwise; its derivative is 1 + tan²x.
func Tan(x Value) Value { return bind(tanPrim, nil, x) }

var asinPrim = new(prim)

func init() {
	*asinPrim = *unary("asin", math.Asin,
		func(x, _ Value) Value { return Rsqrt(Sub(like(x, 1), Mul(x, x))) })
}

// Asin returns arcsin x elementwise; its derivative 1/√(1-x²) is +Inf at ±1.
func Asin(x Value) Value { return bind(asinPrim, nil, x) }

var acosPrim = new(prim)

func init() {
	*acosPrim = *unary("acos", math.Acos,
		func(x, _ Value) Value { return Neg(Rsqrt(Sub(like(x, 1), Mul(x, x)))) })
}

// Acos returns arccos x elementwise; its derivative -1/√(1-x²) is -Inf at ±1.
func Acos(x Value) Value { return bind(acosPrim, nil, x) }

var atanPrim = new(prim)

func init() {
	*atanPrim = *unary("atan", math.Atan,
		func(x, _ Value) Value { return Reciprocal(Add(like(x, 1), Mul(x, x))) })
}

// Atan returns arctan x elementwise.
func Atan(x Value) Value { return bind(atanPrim, nil, x) }

var sinhPrim = new(prim)

func init() {
	*sinhPrim = *unary("sinh", math.Sinh,
		func(x, _ Value) Value { return Cosh(x) })
}

// Sinh returns sinh x elementwise.
func Sinh(x Value) Value { return bind(sinhPrim, nil, x) }

var coshPrim = new(prim)

func init() {
	*coshPrim = *unary("cosh", math.Cosh,
		func(x, _ Value) Value { return Sinh(x) })
}

// Cosh returns cosh x elementwise.
func Cosh(x Value) Value { return bind(coshPrim, nil, x) }

var tanhPrim = new(prim)

func init() {
	*tanhPrim = *kernelUnary("tanh", vmath.Tanh, tensor.Tanh, vmath.TanhTo[float64], vmath.TanhTo[float32],
		func(_, y Value) Value { return Sub(like(y, 1), Mul(y, y)) })
	tanhPrim.local64, tanhPrim.local32 = tanhLocal[float64], tanhLocal[float32]
}

// tanhLocal is tanh's local rule as a slice kernel, 1 − y·y by the
// kernels of the rule's ops.
func tanhLocal[T kernel.Float](l, _, y []T) {
	kernel.Arith(kernel.OpMul, l, y, y)
	kernel.Arith(kernel.OpSub, l, []T{1}, l)
}

// Tanh returns tanh x elementwise; its derivative is 1 - tanh²x.
func Tanh(x Value) Value { return bind(tanhPrim, nil, x) }

var sigmoidPrim = new(prim)

func init() {
	*sigmoidPrim = *kernelUnary("sigmoid", vmath.Sigmoid, tensor.Sigmoid, vmath.SigmoidTo[float64], vmath.SigmoidTo[float32],
		func(_, y Value) Value { return Mul(y, Sub(like(y, 1), y)) })
	sigmoidPrim.local64, sigmoidPrim.local32 = sigmoidLocal[float64], sigmoidLocal[float32]
}

// sigmoidLocal is sigmoid's local rule as a slice kernel, y·(1 − y).
func sigmoidLocal[T kernel.Float](l, _, y []T) {
	kernel.Arith(kernel.OpSub, l, []T{1}, y)
	kernel.Arith(kernel.OpMul, l, y, l)
}

// Sigmoid returns 1/(1+e⁻ˣ) elementwise, computed without overflow; its
// derivative is σ(x)(1-σ(x)).
func Sigmoid(x Value) Value { return bind(sigmoidPrim, nil, x) }

var reluPrim, reluMaskPrim = new(prim), new(prim)

func init() {
	// typed slice kernels, not Map's float64 function calls: relu is the
	// hot activation of CNNs
	*reluPrim = *kernelUnary("relu", kernel.ReLUScalar[float64], nil,
		kernel.ReLU[float64], kernel.ReLU[float32],
		// the mask is read off the output, as PyTorch's
		// threshold_backward(grad, result, 0): relu(x) > 0 exactly where
		// x > 0 (NaN and ±0 give 0 either way), so the input need not
		// be kept for the reverse sweep (a compiled program keeps a
		// pre-activation x + b in scratch instead of memory)
		func(_, y Value) Value { return bind(reluMaskPrim, nil, y) })
	reluPrim.selects = 1 // the mask annihilates both ways, as PyTorch's threshold_backward
	reluPrim.local64, reluPrim.local32 = reluLocal[float64], reluLocal[float32]
	// relu's derivative, Greater(y, 0): 1 where y > 0, else 0 (NaN too)
	*reluMaskPrim = prim{name: "relu_mask", s1: kernel.ReLUMaskScalar[float64], v64: kernel.ReLUMask[float64], v32: kernel.ReLUMask[float32], nondiff: true, vmap: vmapAligned,
		impl: func(t []*tensor.Tensor, _ *params) *tensor.Tensor {
			return mapSlices(t[0], kernel.ReLUMask[float64], kernel.ReLUMask[float32])
		}}
}

// reluLocal is relu's local rule as a slice kernel, the mask [y > 0]
// (threshold_backward(g, y, 0) once the engine multiplies it in).
func reluLocal[T kernel.Float](l, _, y []T) { kernel.ReLUMask(l, y) }

// mapSlices runs a slice kernel over t into a new tensor, on every core
// for large tensors.
func mapSlices(t *tensor.Tensor, f64 func(dst, src []float64) []float64, f32 func(dst, src []float32) []float32) *tensor.Tensor {
	out := tensor.Uninitialized(t.DType(), slices.Clone(t.Shape()))
	if t.DType() == tensor.Float32 {
		x, z := t.Data32(), out.Data32()
		kernel.Parallel(len(z), func(lo, hi int) { f32(z[lo:hi], x[lo:hi]) })
		return out
	}
	x, z := t.Data(), out.Data()
	kernel.Parallel(len(z), func(lo, hi int) { f64(z[lo:hi], x[lo:hi]) })
	return out
}

// Relu returns max(x, 0) elementwise. Its derivative is 1 for x > 0 and 0
// otherwise, so relu'(0) = 0 (PyTorch's convention); it is a selection, so
// where x ≤ 0 the gradient is exactly 0 even under an infinite adjoint or
// tangent (see the package doc's Conventions).
func Relu(x Value) Value { return bind(reluPrim, nil, x) }

var softplusPrim = new(prim)

func init() {
	*softplusPrim = *unary("softplus", func(x float64) float64 {
		return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
	}, func(x, _ Value) Value { return Sigmoid(x) })
}

// Softplus returns log(1+eˣ) elementwise, computed without overflow as
// max(x,0) + log1p(e^-|x|); its derivative is σ(x). Unlike PyTorch's default
// it does not switch to x above a threshold.
func Softplus(x Value) Value { return bind(softplusPrim, nil, x) }

var erfPrim = new(prim)

func init() {
	*erfPrim = *unary("erf", math.Erf,
		func(x, _ Value) Value { return Mul(like(x, 2/math.SqrtPi), Exp(Neg(Mul(x, x)))) })
}

// Erf returns the error function elementwise; its derivative is
// 2/√π·e^(-x²).
func Erf(x Value) Value { return bind(erfPrim, nil, x) }

// Composite elementwise ops: no rules of their own.

// Reciprocal returns 1/x elementwise (±Inf at ±0).
func Reciprocal(x Value) Value {
	check("reciprocal", x)
	return Div(like(x, 1), x)
}

// Rsqrt returns 1/√x elementwise.
func Rsqrt(x Value) Value {
	check("rsqrt", x)
	return Reciprocal(Sqrt(x))
}
