package ad

// Neural-network activations. Each is an elementwise primitive: a float64
// kernel and, one line below, its local derivative written with ad's own
// ops, so that it can be differentiated again. Formulas and the tanh
// approximation's constants are PyTorch's (torch.nn.functional.gelu,
// silu; Hendrycks & Gimpel, "Gaussian Error Linear Units", 2016).

import "math"

const (
	invSqrt2    = 1 / math.Sqrt2
	invSqrt2Pi  = 0.3989422804014327 // 1/√(2π)
	sqrt2OverPi = 0.7978845608028654 // √(2/π)
	geluCubic   = 0.044715
)

var geluPrim = new(prim)

func init() {
	*geluPrim = *unary("gelu", func(x float64) float64 {
		return 0.5 * x * (1 + math.Erf(x*invSqrt2))
	},
		// gelu'(x) = Φ(x) + x·φ(x), Φ(x) = ½(1 + erf(x/√2)), φ(x) = e^(-x²/2)/√(2π)
		func(x, _ Value) Value {
			cdf := Mul(like(x, 0.5), Add(like(x, 1), Erf(Mul(x, like(x, invSqrt2)))))
			pdf := Mul(like(x, invSqrt2Pi), Exp(Mul(like(x, -0.5), Square(x))))
			return Add(cdf, Mul(x, pdf))
		})
}

// GELU returns the Gaussian error linear unit x·Φ(x) = ½x(1 + erf(x/√2))
// elementwise, Φ the standard normal CDF (PyTorch's F.gelu with the
// default approximate='none'). Its derivative is Φ(x) + x·φ(x). It is
// finite everywhere: GELU(x) → 0 as x → -∞ and → x as x → +∞.
func GELU(x Value) Value { return bind(geluPrim, nil, x) }

var geluTanhPrim = new(prim)

func init() {
	*geluTanhPrim = *unary("gelu_tanh", func(x float64) float64 {
		return 0.5 * x * (1 + math.Tanh(sqrt2OverPi*(x+geluCubic*x*x*x)))
	},
		// With u = √(2/π)(x + 0.044715x³) and t = tanh u:
		// d/dx ½x(1+t) = ½(1+t) + ½x(1-t²)·√(2/π)(1 + 3·0.044715x²)
		func(x, _ Value) Value {
			x2 := Square(x)
			u := Mul(like(x, sqrt2OverPi), Add(x, Mul(like(x, geluCubic), Mul(x2, x))))
			t := Tanh(u)
			du := Mul(like(x, sqrt2OverPi), Add(like(x, 1), Mul(like(x, 3*geluCubic), x2)))
			half := like(x, 0.5)
			return Add(Mul(half, Add(like(x, 1), t)),
				Mul(Mul(half, x), Mul(Sub(like(x, 1), Square(t)), du)))
		})
}

// GELUTanh returns the tanh approximation of GELU elementwise,
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))) (PyTorch's F.gelu with
// approximate='tanh', as in GPT-2 and BERT). Its derivative is
// ½(1+t) + ½x(1-t²)·√(2/π)(1 + 0.134145x²) with t the tanh.
func GELUTanh(x Value) Value { return bind(geluTanhPrim, nil, x) }

var siluPrim = new(prim)

func init() {
	*siluPrim = *unary("silu", func(x float64) float64 {
		// x·σ(x) = x/(1+e⁻ˣ): no overflow, e⁻ˣ = +Inf gives -0 or 0.
		return x / (1 + math.Exp(-x))
	},
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
