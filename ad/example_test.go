package ad_test

import (
	"fmt"
	"math"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// The quickstart: the gradient of the Rosenbrock function, written with Go
// numbers where constants go.
func ExampleGrads() {
	rosen := func(xs []ad.Value) ad.Value {
		x, y := xs[0], xs[1]
		return ad.Add(ad.Square(ad.Sub(1, x)), ad.Mul(100, ad.Square(ad.Sub(y, ad.Square(x)))))
	}
	v, g := ad.ValueAndGrads(rosen, ad.Scalar(-1.2), ad.Scalar(1))
	fmt.Printf("f = %.4g, ∇f = (%.4g, %.4g)\n", v, g[0], g[1])
	// Output: f = 24.2, ∇f = (-215.6, -88)
}

// The quickstart's second part: tensors, broadcasting, any mode, any order.
func ExampleGrad() {
	x := ad.New([]float64{1, 2, 3}, 3)
	f := func(x ad.Value) ad.Value { return ad.SumAll(ad.Mul(x, ad.Sin(x))) }
	fmt.Printf("%.4f\n", ad.Grad(f, x))        // reverse mode
	ad.JacFwd(ad.Sin, x)                       // forward mode, one batched pass
	ad.Hessian(f, x)                           // forward-over-reverse
	_, mode := ad.Jacobian(ad.Sin, x, ad.Auto) // picks the cheaper mode
	fmt.Println(mode)
	// Output:
	// [ 1.3818  0.0770 -2.8289]
	// reverse
}

// Scalar code over a vector's elements: gonum's Wood function, line for
// line as in float64 Go, with Go numbers as constants and n-ary Add and
// Mul. Its gradient at (-3, -1, -3, -1) is gonum's hand-written one.
func ExampleElements() {
	wood := func(xv ad.Value) ad.Value {
		x := ad.Elements(xv)
		f1 := ad.Sub(x[1], ad.Mul(x[0], x[0]))
		f2 := ad.Sub(1, x[0])
		f3 := ad.Sub(x[3], ad.Mul(x[2], x[2]))
		f4 := ad.Sub(1, x[2])
		f5 := ad.Sub(ad.Add(x[1], x[3]), 2)
		f6 := ad.Sub(x[1], x[3])
		return ad.Add(ad.Mul(100, f1, f1), ad.Mul(f2, f2), ad.Mul(90, f3, f3), ad.Mul(f4, f4), ad.Mul(10, f5, f5), ad.Mul(0.1, f6, f6))
	}
	v, g := ad.ValueAndGrad(wood, ad.New([]float64{-3, -1, -3, -1}, 4))
	fmt.Printf("%g %g\n", v, g)
	// Output: 19192 [-12008  -2080 -10808  -1880]
}

// At reads one element, differentiably.
func ExampleAt() {
	m := ad.New([]float64{1, 2, 3, 4}, 2, 2)
	det := func(m ad.Value) ad.Value {
		return ad.Sub(ad.Mul(ad.At(m, 0, 0), ad.At(m, 1, 1)), ad.Mul(ad.At(m, 0, 1), ad.At(m, 1, 0)))
	}
	fmt.Println(det(m))
	fmt.Println(ad.Grad(det, m)) // the cofactor matrix
	// Output:
	// -2
	// [[ 4 -3]
	//  [-2  1]]
}

// A Go number (or Scalar) is weakly typed: it takes the dtype of the value
// it meets, so float32 code stays float32; two strong dtypes still panic.
func ExampleScalar() {
	x := ad.From(tensor.New32([]float32{1, 2, 3}, 3))
	y := ad.Mul(0.5, ad.Square(x))
	g := ad.Grad(func(x ad.Value) ad.Value { return ad.SumAll(ad.Mul(0.5, ad.Square(x))) }, x)
	fmt.Println(y.DType(), y, g.DType(), g)
	err := tensor.Maybe(func() { ad.Mul(ad.New([]float64{2}, 1), x) })
	fmt.Println(err)
	// Output:
	// float32 [0.5   2 4.5] float32 [1 2 3]
	// chainrule: mul: float64 (1) and float32 (3) need a conversion
}

// A function made by Custom plugs into every transformation as it is.
func ExampleCustom_transformations() {
	// x ↦ x³ with hand-written rules: d/dx = 3x²
	cube := ad.Custom("cube", func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], xs[0], xs[0]) },
		func(p, t []ad.Value) ad.Value { return ad.Mul(3, ad.Square(p[0]), t[0]) },
		func(p []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ad.Mul(3, ad.Square(p[0]), ct)} })
	x := ad.New([]float64{1, 2}, 2)
	fmt.Println(ad.JacFwd(cube, x))
	fmt.Println(ad.Grad(cube, ad.Scalar(2)), ad.Hessian(cube, ad.Scalar(2)))
	// Output:
	// [[ 3  0]
	//  [ 0 12]]
	// 12 12
}

func ExampleVJP() {
	y, pull := ad.VJP(func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], ad.Scalar(3)) }, ad.New([]float64{1, 2}, 2))
	fmt.Println(y)
	fmt.Println(pull(ad.New([]float64{1, 0}, 2))[0])
	fmt.Println(pull(ad.New([]float64{0, 1}, 2))[0])
	// Output:
	// [3 6]
	// [3 0]
	// [0 3]
}

func ExampleJVP() {
	f := func(xs []ad.Value) ad.Value { return ad.Mul(xs[0], xs[1]) }
	y, dy := ad.JVP(f, []ad.Value{ad.Scalar(2), ad.Scalar(5)}, []ad.Value{ad.Scalar(1), ad.Scalar(0)})
	fmt.Println(y, dy)
	// Output: 10 5
}

func ExampleJacobian() {
	f := func(x ad.Value) ad.Value { return ad.Mul(x, ad.Sum(x, false)) }
	j, mode := ad.Jacobian(f, ad.New([]float64{1, 2}, 2), ad.Auto)
	fmt.Println(mode)
	fmt.Println(j)
	// Output:
	// reverse
	// [[4 1]
	//  [2 5]]
}

func ExampleHessian() {
	f := func(x ad.Value) ad.Value { return ad.Sum(ad.Mul(ad.Mul(x, x), x), false) }
	fmt.Println(ad.Hessian(f, ad.New([]float64{1, 2}, 2)))
	// Output:
	// [[ 6  0]
	//  [ 0 12]]
}

// A derivative inside a function being differentiated: no perturbation
// confusion.
func ExampleDerivative_nested() {
	f := func(x ad.Value) ad.Value {
		inner := ad.Derivative(func(y ad.Value) ad.Value { return ad.Add(x, y) }, ad.Scalar(1))
		return ad.Mul(x, inner)
	}
	fmt.Println(ad.Derivative(f, ad.Scalar(1)))
	// Output: 1
}

func ExampleTrace() {
	g := ad.Trace(func(xs []ad.Value) ad.Value {
		return ad.Add(ad.Mul(xs[0], xs[1]), ad.Exp(xs[0]))
	}, []ad.Value{ad.Scalar(0), ad.Scalar(3)}, "x", "y")
	fmt.Print(g)
	for _, n := range g.Nodes()[2:] {
		for i := 0; i < n.NumArgs(); i++ {
			l, _ := n.Local(i)
			a, _ := n.Arg(i)
			fmt.Printf("∂%s/∂%s = %v\n", n.Name(), a.Name(), l)
		}
	}
	// Output:
	// x = 0
	// y = 3
	// v1 = mul(x, y) = 0
	// v2 = exp(x) = 1
	// v3 = add(v1, v2) = 1
	// ∂v1/∂x = 3
	// ∂v1/∂y = 0
	// ∂v2/∂x = 1
	// ∂v3/∂v1 = 1
	// ∂v3/∂v2 = 1
}

func ExampleWhere() {
	// The unselected branch gets exactly zero gradient, even where its own
	// derivative is infinite (sqrt at 0).
	f := func(x ad.Value) ad.Value { return ad.Where(ad.Greater(x, ad.Scalar(0)), ad.Sqrt(x), ad.Scalar(0)) }
	fmt.Println(ad.Grad(f, ad.Scalar(0)))
	// Output: 0
}

func Example_errors() {
	err := tensor.Maybe(func() {
		ad.MatMul(ad.From(tensor.Zeros(3, 4)), ad.From(tensor.Zeros(5, 2)))
	})
	fmt.Println(err)
	// Output: chainrule: matmul: shapes (3,4) and (5,2) do not match
}

// Compile records a value and its gradient once; Run replays them on new
// inputs. The elementwise chain is fused: it runs a block of elements at a
// time, and only the results marked * reach memory. At x = 0.5 everywhere,
// x·tanh x sums to 8192 · 0.2311 and its derivative is
// tanh x + x(1 − tanh² x) = 0.8553.
func ExampleCompile() {
	f := func(xs []ad.Value) []ad.Value {
		loss := func(x ad.Value) ad.Value { return ad.Sum(ad.Mul(ad.Tanh(x), x), false) }
		y, g := ad.ValueAndGrad(loss, xs[0])
		return []ad.Value{y, g}
	}
	p := ad.Compile(f, ad.From(tensor.Zeros(8192)))
	fmt.Print(p)
	out := p.Run(ad.From(tensor.Full(0.5, 8192)))
	fmt.Printf("value %.4f, gradient[0] %.4f\n", out[0].Item(), out[1].Tensor().AtFlat(0))
	// Output:
	// r0 = input float64(8192)
	// r5 = const float64(8192) filled 1
	// r7 = const float64(8192) filled 1
	// r10 = const 1
	// fused (8192) {
	//    r1 = tanh(r0)
	//   *r2 = mul(r1, r0)
	//    r6 = chain_mul(r5, r0)
	//    r8 = chain_mul(r7, r1)
	//    r9 = mul(r1, r1)
	//    r11 = sub(r10, r9)
	//    r12 = chain_mul(r6, r11)
	//   *r13 = add(r8, r12)
	// }
	// r3 = sum_to(r2)
	// r4 = reshape(r3)
	// return r4, r13
	// value 1892.8319, gradient[0] 0.8553
}

// A compiled gradient-descent step on ½‖w − 1‖² that donates its input:
// each step hands the old parameters' storage to the next, so the loop
// allocates nothing of w's size. Gradient descent with rate 0.1 shrinks
// w − 1 by 0.9 a step, so after 10 steps from 0 every wᵢ is 1 − 0.9¹⁰.
func ExampleProgram_Donate() {
	step := func(in []ad.Value) []ad.Value {
		loss := func(w ad.Value) ad.Value {
			d := ad.Sub(w, ad.Scalar(1))
			return ad.Mul(ad.Scalar(0.5), ad.Sum(ad.Mul(d, d), false))
		}
		return []ad.Value{ad.Sub(in[0], ad.Mul(ad.Scalar(0.1), ad.Grad(loss, in[0])))}
	}
	p := ad.Compile(step, ad.From(tensor.Zeros(8192))).Donate(0)
	w := ad.From(tensor.Zeros(8192))
	for i := 0; i < 10; i++ {
		old := w
		w = p.Run(w)[0]
		if i == 0 {
			fmt.Println("old parameters after a step:", old.Shape())
		}
	}
	fmt.Printf("w[0] %.6f, closed form %.6f\n", w.Tensor().AtFlat(0), 1-math.Pow(0.9, 10))
	// Output:
	// old parameters after a step: [0]
	// w[0] 0.651322, closed form 0.651322
}

// Scalar code written with a Go loop records the loop unrolled; Compile
// rolls it back up, and AppendRun replays it into the previous outputs
// without allocating.
func ExampleProgram_AppendRun() {
	// Σ (x_i − i)², whose gradient is 2(x_i − i): each step below halves
	// every x_i − i, so f falls to a quarter (Σ i² = 328350 at first)
	f := func(xs []ad.Value) []ad.Value {
		v, gs := ad.ValueAndGrads(func(xs []ad.Value) ad.Value {
			s := ad.Scalar(0)
			for i, x := range xs {
				d := ad.Sub(x, ad.Scalar(float64(i)))
				s = ad.Add(s, ad.Mul(d, d))
			}
			return s
		}, xs...)
		return append([]ad.Value{v}, gs...)
	}
	xs := make([]ad.Value, 100)
	for i := range xs {
		xs[i] = ad.Scalar(0)
	}
	p := ad.Compile(f, xs...)
	var out []ad.Value
	for step := 0; step < 3; step++ {
		out = p.AppendRun(out[:0], xs...)
		for i := range xs { // a gradient-descent step: x ← x − 0.25·∇
			xs[i] = ad.Scalar(xs[i].Item() - 0.25*out[i+1].Item())
		}
		fmt.Printf("step %d: f = %.4g\n", step, out[0].Item())
	}
	// Output:
	// step 0: f = 3.284e+05
	// step 1: f = 8.209e+04
	// step 2: f = 2.052e+04
}

// A Value formats like its tensor: the verbs %e, %f and %g apply to every
// element.
func ExampleValue_Format() {
	g := ad.Grad(func(x ad.Value) ad.Value { return ad.SumAll(ad.Exp(x)) }, ad.New([]float64{0, 1}, 2))
	fmt.Printf("%.3f\n", g)
	fmt.Printf("%.2e\n", g)
	// Output:
	// [1.000 2.718]
	// [1.00e+00 2.72e+00]
}
