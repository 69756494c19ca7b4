package ad_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// customMul is x·y (x a vector, y a scalar) with hand-written rules; vjpY
// returns the cotangent of y, jvpOut the output tangent.
func customMul(name string, vjpY func(ct, x, y ad.Value) ad.Value, jvpOut func(x, y, tx, ty ad.Value) ad.Value) func(xs ...ad.Value) ad.Value {
	return ad.Custom(name,
		func(p []ad.Value) ad.Value { return ad.Mul(p[0], p[1]) },
		func(p, t []ad.Value) ad.Value { return jvpOut(p[0], p[1], t[0], t[1]) },
		func(p []ad.Value, _, ct ad.Value) []ad.Value {
			return []ad.Value{ad.Mul(ct, p[1]), vjpY(ct, p[0], p[1])}
		})
}

var (
	goodVJPY = func(ct, x, _ ad.Value) ad.Value { return ad.Sum(ad.Mul(ct, x), false) }
	goodJVP  = func(x, y, tx, ty ad.Value) ad.Value { return ad.Add(ad.Mul(tx, y), ad.Mul(x, ty)) }
)

// Each mode and order of differentiation through a custom function.
var customModes = []struct {
	name string
	run  func(f func(xs ...ad.Value) ad.Value)
}{
	{"Grads", func(f func(xs ...ad.Value) ad.Value) {
		ad.Grads(func(xs []ad.Value) ad.Value { return ad.Sum(f(xs...), false) }, vec3(), ad.Scalar(2))
	}},
	{"VJP", func(f func(xs ...ad.Value) ad.Value) {
		_, pull := ad.VJP(func(xs []ad.Value) ad.Value { return f(xs...) }, vec3(), ad.Scalar(2))
		pull(ad.New([]float64{1, 1, 1}, 3))
	}},
	{"JVP", func(f func(xs ...ad.Value) ad.Value) {
		ad.JVP(func(xs []ad.Value) ad.Value { return f(xs...) }, []ad.Value{vec3(), ad.Scalar(2)}, []ad.Value{vec3(), ad.Scalar(1)})
	}},
	{"JVPBatch", func(f func(xs ...ad.Value) ad.Value) {
		ad.JVPBatch(func(xs []ad.Value) ad.Value { return f(xs...) }, []ad.Value{vec3(), ad.Scalar(2)},
			[]ad.Value{ad.From(tensor.Ones(2, 3)), ad.From(tensor.Ones(2))})
	}},
	{"Jacobian forward", func(f func(xs ...ad.Value) ad.Value) {
		ad.Jacobian(func(x ad.Value) ad.Value { return f(x, ad.Scalar(2)) }, vec3(), ad.Forward)
	}},
	{"Jacobian reverse", func(f func(xs ...ad.Value) ad.Value) {
		ad.Jacobian(func(y ad.Value) ad.Value { return f(vec3(), y) }, ad.Scalar(2), ad.Reverse)
	}},
	{"Hessian", func(f func(xs ...ad.Value) ad.Value) {
		ad.Hessian(func(y ad.Value) ad.Value { return ad.Sum(ad.Mul(f(vec3(), y), ad.Square(y)), false) }, ad.Scalar(2))
	}},
	{"Grad of Grad", func(f func(xs ...ad.Value) ad.Value) {
		ad.Grad(func(y ad.Value) ad.Value {
			return ad.Grad(func(y ad.Value) ad.Value { return ad.Sum(ad.Mul(f(vec3(), y), y), false) }, y)
		}, ad.Scalar(2))
	}},
}

func vec3() ad.Value { return ad.New([]float64{4, 5, 6}, 3) }

// A custom rule's tangents and cotangents are checked against the shape and
// dtype of what they are the derivative of, in every mode and order.
func TestCustomRuleResultsChecked(t *testing.T) {
	bad := []struct {
		name string
		f    func(xs ...ad.Value) ad.Value
		kind error
		msg  string // a fragment of the message
		fwd  bool   // the jvp rule is wrong (else the vjp rule)
	}{
		{"mul_ct_shape", customMul("mul_ct_shape", func(ct, _, y ad.Value) ad.Value { return ad.Mul(ct, y) }, goodJVP),
			tensor.ErrShape, "mul_ct_shape: vjp rule: cotangent of argument 1 has shape (3), want () (of argument 1)", false},
		{"mul_ct_short", customMul("mul_ct_short", func(ct, _, _ ad.Value) ad.Value { return ad.Slice(ct, 0, 0, 2) }, goodJVP),
			tensor.ErrShape, "cotangent of argument 1 has shape (2), want ()", false},
		{"mul_ct_f32", customMul("mul_ct_f32", func(ct, x, y ad.Value) ad.Value { return ad.AsType(goodVJPY(ct, x, y), tensor.Float32) }, goodJVP),
			tensor.ErrDType, "mul_ct_f32: vjp rule: cotangent of argument 1 has dtype float32, want float64", false},
		{"mul_tan_shape", customMul("mul_tan_shape", goodVJPY, func(x, y, tx, ty ad.Value) ad.Value { return ad.Sum(goodJVP(x, y, tx, ty), false) }),
			tensor.ErrShape, "mul_tan_shape: jvp rule: output tangent has shape (), want (3) (of the output)", true},
		{"mul_tan_f32", customMul("mul_tan_f32", goodVJPY, func(x, y, tx, ty ad.Value) ad.Value { return ad.AsType(goodJVP(x, y, tx, ty), tensor.Float32) }),
			tensor.ErrDType, "jvp rule: output tangent has dtype float32, want float64", true},
	}
	for _, b := range bad {
		for _, m := range customModes {
			usesJVP := strings.HasPrefix(m.name, "JVP") || m.name == "Jacobian forward"
			if usesJVP != b.fwd {
				continue
			}
			err := tensor.Maybe(func() { m.run(b.f) })
			if !errors.Is(err, b.kind) || !strings.Contains(err.Error(), b.msg) {
				t.Errorf("%s under %s: got %v, want %v containing %q", b.name, m.name, err, b.kind, b.msg)
			}
		}
	}
	// the correct rules pass in every mode, and give x·y's derivatives
	good := customMul("mul", goodVJPY, goodJVP)
	for _, m := range customModes {
		if err := tensor.Maybe(func() { m.run(good) }); err != nil {
			t.Errorf("correct rules under %s: %v", m.name, err)
		}
	}
	gs := ad.Grads(func(xs []ad.Value) ad.Value { return ad.Sum(good(xs...), false) }, vec3(), ad.Scalar(2))
	nearT(t, "∂/∂x Σ x·y", gs[0].Tensor(), tensor.New([]float64{2, 2, 2}, 3), 0)
	near(t, "∂/∂y Σ x·y", gs[1].Item(), 15, 0)
}

// A vjp rule may return the zero Value for an argument that gets no
// gradient (JAX's None), and a jvp rule for a zero tangent.
func TestCustomRuleZeroValue(t *testing.T) {
	scaled := ad.Custom("scaled", // x·c with c treated as a constant
		func(p []ad.Value) ad.Value { return ad.Mul(p[0], p[1]) },
		func(p, t []ad.Value) ad.Value { return ad.Mul(t[0], p[1]) },
		func(p []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ad.Mul(ct, p[1]), {}} })
	f := func(xs []ad.Value) ad.Value { return ad.Sum(scaled(xs...), false) }
	gs := ad.Grads(f, vec3(), ad.Scalar(2))
	nearT(t, "∂/∂x", gs[0].Tensor(), tensor.New([]float64{2, 2, 2}, 3), 0)
	near(t, "∂/∂c (no gradient)", gs[1].Item(), 0, 0)
	zero := ad.Custom("zero",
		func(p []ad.Value) ad.Value { return ad.Mul(p[0], ad.Scalar(0)) },
		func(p, t []ad.Value) ad.Value { return ad.Value{} },
		func(p []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{{}} })
	for _, b := range []bool{false, true} {
		var tan ad.Value
		if b {
			_, tan = ad.JVPBatch(func(xs []ad.Value) ad.Value { return zero(xs...) }, []ad.Value{vec3()}, []ad.Value{ad.From(tensor.Ones(2, 3))})
		} else {
			_, tan = ad.JVP(func(xs []ad.Value) ad.Value { return zero(xs...) }, []ad.Value{vec3()}, []ad.Value{vec3()})
		}
		if want := map[bool]int{false: 3, true: 6}[b]; tan.Size() != want || ad.Sum(ad.Abs(tan), false).Item() != 0 {
			t.Errorf("zero jvp rule (batched %v): tangent %v, want %d zeros", b, tan, want)
		}
	}
}

// The zero Value and nil functions panic with tensor.ErrArg, naming what
// was called, instead of reaching a nil pointer.
func TestInvalidArguments(t *testing.T) {
	var z ad.Value
	f1 := func(x ad.Value) ad.Value { return x }
	fs := func(xs []ad.Value) ad.Value { return xs[0] }
	var n1 func(ad.Value) ad.Value   // typed nil functions: an untyped nil
	var nN func([]ad.Value) ad.Value // cannot stand for a type parameter
	var nM func([]ad.Value) []ad.Value
	x := ad.Scalar(1)
	cases := []struct {
		op string
		f  func()
	}{
		{"dtype", func() { z.DType() }},
		{"item", func() { z.Item() }},
		{"shape", func() { z.Shape() }},
		{"rank", func() { z.Rank() }},
		{"size", func() { z.Size() }},
		{"tensor", func() { z.Tensor() }},
		{"grad", func() { ad.Grad(n1, x) }},
		{"value_and_grad", func() { ad.ValueAndGrad(n1, x) }},
		{"grads", func() { ad.Grads(nN, x) }},
		{"value_and_grads", func() { ad.ValueAndGrads(nN, x) }},
		{"vjp", func() { ad.VJP(nN, x) }},
		{"jvp", func() { ad.JVP(nN, []ad.Value{x}, []ad.Value{x}) }},
		{"jvp_batch", func() { ad.JVPBatch(nN, []ad.Value{x}, []ad.Value{ad.New([]float64{1}, 1)}) }},
		{"derivative", func() { ad.Derivative(n1, x) }},
		{"jac_fwd", func() { ad.JacFwd(n1, x) }},
		{"jac_rev", func() { ad.JacRev(n1, x) }},
		{"jacobian", func() { ad.Jacobian(n1, x, ad.Auto) }},
		{"hessian", func() { ad.Hessian(n1, x) }},
		{"hvp", func() { ad.HVP(n1, x, x) }},
		{"compile", func() { ad.Compile(nM, x) }},
		{"trace", func() { ad.Trace(nN, []ad.Value{x}) }},
		{"checkpoint", func() { ad.Checkpoint(nN) }},
		{"custom c", func() { ad.Custom("c", nN, nil, nil) }},
		{"custom c", func() { ad.Custom("c", fs, nil, nil) }},
		{"grad", func() { ad.Grad(f1, z) }},
		{"jacobian", func() { ad.Jacobian(f1, z, ad.Auto) }},
	}
	for _, c := range cases {
		err := tensor.Maybe(c.f)
		if !errors.Is(err, tensor.ErrArg) || !strings.HasPrefix(err.Error(), "chainrule: "+c.op+": ") {
			t.Errorf("%s: got %v, want ErrArg from %s", c.op, err, c.op)
		}
	}
	if s := z.String(); s != "<zero Value>" {
		t.Errorf("zero Value prints as %q", s)
	}
}

// ExampleCustom gives softplus, log(1+eˣ), the derivative σ(x) by hand:
// differentiating its body would overflow in e^x for large x.
func ExampleCustom() {
	sigmoid := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	softplus := ad.Custom("softplus",
		func(p []ad.Value) ad.Value { return ad.Log1p(ad.Exp(p[0])) },
		func(p, t []ad.Value) ad.Value { return ad.Mul(t[0], ad.Sigmoid(p[0])) },
		func(p []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ad.Mul(ct, ad.Sigmoid(p[0]))} })
	f := func(x ad.Value) ad.Value { return softplus(x) }
	for _, x := range []float64{-2, 0, 800} {
		g := ad.Grad(f, ad.Scalar(x)).Item()
		d := ad.Derivative(f, ad.Scalar(x)).Item()
		fmt.Printf("x = %g: grad %.6f, forward %.6f, σ(x) %.6f\n", x, g, d, sigmoid(x))
	}
	// A rule whose cotangent does not fit its argument is caught:
	bad := ad.Custom("bad",
		func(p []ad.Value) ad.Value { return ad.Mul(p[0], p[1]) },
		func(p, t []ad.Value) ad.Value { return ad.Add(ad.Mul(t[0], p[1]), ad.Mul(p[0], t[1])) },
		func(p []ad.Value, _, ct ad.Value) []ad.Value { return []ad.Value{ad.Mul(ct, p[1]), ad.Mul(ct, p[0])} })
	err := tensor.Maybe(func() {
		ad.Grads(func(xs []ad.Value) ad.Value { return ad.Sum(bad(xs...), false) }, ad.New([]float64{1, 2, 3}, 3), ad.Scalar(2))
	})
	fmt.Println(err)
	// Output:
	// x = -2: grad 0.119203, forward 0.119203, σ(x) 0.119203
	// x = 0: grad 0.500000, forward 0.500000, σ(x) 0.500000
	// x = 800: grad 1.000000, forward 1.000000, σ(x) 1.000000
	// chainrule: bad: vjp rule: cotangent of argument 1 has shape (3), want () (of argument 1)
}
