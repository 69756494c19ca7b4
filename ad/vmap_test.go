package ad_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/gradcheck"
	"github.com/chainrule/chainrule/tensor"
)

// rows returns the k rows of x along axis 0.
func rows(x ad.Value) []ad.Value {
	out := make([]ad.Value, x.Shape()[0])
	for d := range out {
		out[d] = ad.Reshape(ad.Slice(x, 0, d, d+1), x.Shape()[1:]...)
	}
	return out
}

// TestVmapFallbacks lists the primitives that fall back to a loop over the
// batch: of the checker's table (every op at its first shapes), only the
// Custom and Checkpoint functions, whose rules are user code.
func TestVmapFallbacks(t *testing.T) {
	expected := map[string][]string{"Custom": {"sin_mul"}, "Checkpoint": {"checkpoint"}}
	for _, op := range gradcheck.Ops {
		args := op.Sample(1, op.Shapes[0])
		xs := make([]ad.Value, len(args))
		for i, a := range args {
			xs[i] = ad.Stack(0, ad.From(a), ad.From(a))
		}
		if fb := ad.VmapFallbacks(func(xs []ad.Value) ad.Value { return op.Fn(xs...) }, xs...); !slices.Equal(fb, expected[op.Name]) {
			t.Errorf("%s: primitives without a batching rule: %v, want %v", op.Name, fb, expected[op.Name])
		}
	}
	lpe := log1pexpRules()
	ck := ad.Checkpoint(func(xs []ad.Value) ad.Value { return ad.Sin(xs[0]) })
	x := ad.From(tensor.RandN(seeded(1), 3, 2))
	fb := ad.VmapFallbacks(func(xs []ad.Value) ad.Value { return ck(lpe(xs[0])) }, x)
	if want := []string{"log1pexp", "checkpoint"}; !slices.Equal(fb, want) {
		t.Errorf("fallbacks %v, want %v", fb, want)
	}
	// and the fallback computes what the loop computes
	got := ad.Vmap(func(xs []ad.Value) ad.Value { return ck(lpe(xs[0])) })(x).Tensor()
	var want []ad.Value
	for _, r := range rows(x) {
		want = append(want, ck(lpe(r)))
	}
	nearT(t, "fallback", got, ad.Stack(0, want...).Tensor(), 0)
}

// TestVmapNesting: Vmap of Vmap, of Grad, of JVP, of Hessian, and Grad
// and JVP of Vmap, against loops; and no perturbation confusion between a
// Grad outside Vmap and one inside.
func TestVmapNesting(t *testing.T) {
	f := func(x ad.Value) ad.Value { return ad.Sum(ad.Mul(ad.Sin(x), ad.Square(x)), false) }
	one := func(xs []ad.Value) ad.Value { return f(xs[0]) }
	x := ad.From(tensor.RandN(seeded(2), 4, 3, 2)) // 4 × 3 examples of shape (2)

	// vmap of vmap against a double loop
	vv := ad.Vmap(func(xs []ad.Value) ad.Value { return ad.Vmap(one)(xs[0]) })(x).Tensor()
	for i, r := range rows(x) {
		for j, e := range rows(r) {
			near(t, fmt.Sprintf("vmap of vmap [%d,%d]", i, j), vv.At(i, j), f(e).Item(), 1e-14)
		}
	}
	// vmap of grad, of Hessian, of JVP
	flat := ad.Reshape(x, 12, 2)
	vg := ad.Vmap(func(xs []ad.Value) ad.Value { return ad.Grad(f, xs[0]) })(flat).Tensor()
	vh := ad.Vmap(func(xs []ad.Value) ad.Value { return ad.Hessian(f, xs[0]) })(flat).Tensor()
	v := ad.From(tensor.RandN(seeded(3), 2))
	vj := ad.Vmap(func(xs []ad.Value) ad.Value {
		_, d := ad.JVP(one, xs, []ad.Value{v})
		return d
	})(flat).Tensor()
	for d, e := range rows(flat) {
		nearT(t, "vmap of grad", tensor.Slice(vg, 0, d, d+1).Reshape(2), ad.Grad(f, e).Tensor(), 1e-14)
		nearT(t, "vmap of hessian", tensor.Slice(vh, 0, d, d+1).Reshape(2, 2), ad.Hessian(f, e).Tensor(), 1e-13)
		_, jd := ad.JVP(one, []ad.Value{e}, []ad.Value{v})
		near(t, "vmap of jvp", vj.AtFlat(d), jd.Item(), 1e-14)
	}
	// grad and JVP of vmap: Σ_d f(x_d), whose gradient is row d's gradient
	s := func(x ad.Value) ad.Value { return ad.Sum(ad.Vmap(one)(x), false) }
	nearT(t, "grad of vmap", ad.Grad(s, flat).Tensor(), vg, 1e-14)
	dir := ad.From(tensor.RandN(seeded(4), 12, 2))
	_, jv := ad.JVP(func(xs []ad.Value) ad.Value { return s(xs[0]) }, []ad.Value{flat}, []ad.Value{dir})
	near(t, "jvp of vmap", jv.Item(), tensor.Sum(tensor.Mul(vg, dir.Tensor()), nil, false).Item(), 1e-13)

	// Hessian of vmap: block diagonal, the examples' Hessians on the diagonal
	z := ad.From(tensor.RandN(seeded(6), 6))
	hz := ad.Hessian(func(z ad.Value) ad.Value { return ad.Sum(ad.Vmap(one)(ad.Reshape(z, 3, 2)), false) }, z).Tensor()
	for d, e := range rows(ad.Reshape(z, 3, 2)) {
		he := ad.Hessian(f, e).Tensor()
		for i := range 6 {
			for j := range 6 {
				want := 0.0
				if i/2 == d && j/2 == d {
					want = he.At(i%2, j%2)
				}
				if i/2 == d {
					near(t, fmt.Sprintf("hessian of vmap [%d,%d]", i, j), hz.At(i, j), want, 1e-13)
				}
			}
		}
	}

	// perturbation confusion: d/dx Σ_d x·(d/dy (x·y))(y_d) = Σ_d x = 2x·k,
	// not 3x·k as if the inner derivative saw the outer x perturbed
	ys := ad.From(tensor.RandN(seeded(5), 4))
	g := ad.Grad(func(x ad.Value) ad.Value {
		inner := ad.Vmap(func(zs []ad.Value) ad.Value {
			return ad.Mul(x, ad.Grad(func(y ad.Value) ad.Value { return ad.Mul(x, y) }, zs[0]))
		})(ys)
		return ad.Sum(inner, false)
	}, ad.Scalar(1.5)).Item()
	near(t, "no perturbation confusion", g, 2*1.5*4, 1e-14)
}

// TestVmapInAxes: a mapped axis other than 0, an unmapped argument, an
// output that depends on no mapped argument, and the errors; a batched
// value prints as such, not as one of its elements.
func TestVmapInAxes(t *testing.T) {
	var printed string
	ad.Vmap(func(xs []ad.Value) ad.Value { printed = fmt.Sprint(ad.Exp(xs[0])); return xs[0] })(ad.From(tensor.RandN(seeded(1), 4, 2)))
	if printed != "<batched value under Vmap, shape (2) each>" {
		t.Errorf("a batched value prints as %q", printed)
	}
	a := ad.From(tensor.RandN(seeded(1), 3, 4)) // mapped along axis 1: 4 examples of shape (3)
	b := ad.From(tensor.RandN(seeded(2), 3))    // not mapped
	got := ad.Vmap(func(xs []ad.Value) ad.Value { return ad.Dot(xs[0], xs[1]) }, 1, ad.NotMapped)(a, b).Tensor()
	nearT(t, "in-axes 1", got, tensor.MatMul(b.Tensor().Reshape(1, 3), a.Tensor()).Reshape(4), 1e-14)
	c := ad.Vmap(func(xs []ad.Value) ad.Value { return ad.Exp(xs[1]) }, 0, ad.NotMapped)(a, b).Tensor()
	nearT(t, "constant output", c, tensor.BroadcastTo(tensor.Exp(b.Tensor()).Reshape(1, 3), []int{3, 3}), 0)

	id := func(xs []ad.Value) ad.Value { return xs[0] }
	for name, c := range map[string]struct {
		f    func()
		kind error
	}{
		"lengths differ": {func() { ad.Vmap(id)(a, ad.From(tensor.RandN(seeded(3), 2, 5))) }, tensor.ErrShape},
		"nothing mapped": {func() { ad.Vmap(id, ad.NotMapped)(b) }, tensor.ErrArg},
		"in-axes count":  {func() { ad.Vmap(id, 0, 0)(b) }, tensor.ErrArg},
		"axis":           {func() { ad.Vmap(id, 2)(b) }, tensor.ErrAxis},
		"Tensor inside":  {func() { ad.Vmap(func(xs []ad.Value) ad.Value { xs[0].Tensor(); return xs[0] })(b) }, tensor.ErrGraph},
		"Item inside":    {func() { ad.Vmap(func(xs []ad.Value) ad.Value { xs[0].Item(); return xs[0] })(b) }, tensor.ErrGraph},
	} {
		if err := tensor.Maybe(c.f); !errors.Is(err, c.kind) {
			t.Errorf("%s: %v, want %v", name, err, c.kind)
		}
	}
}

type perExampleFile struct {
	X      torchTensor   `json:"x"`
	Labels []int         `json:"labels"`
	Params []torchTensor `json:"params"`
	Losses []float64     `json:"losses"`
	Grads  torchTensor   `json:"grads"`
}

// TestVmapPerExampleGradientsTorch: per-example gradients of a small MLP,
// Vmap of Grads over the batch, against PyTorch's loop of
// torch.autograd.grad (testdata/torch/gen_per_example.py).
func TestVmapPerExampleGradientsTorch(t *testing.T) {
	raw, err := os.ReadFile("../testdata/torch/per_example.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref perExampleFile
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	params := make([]ad.Value, len(ref.Params))
	for i, p := range ref.Params {
		params[i] = p.value(tensor.Float64)
	}
	// one example: x of shape (4), its label one-hot of shape (3)
	loss := func(x, onehot ad.Value, ps []ad.Value) ad.Value {
		h := ad.Tanh(ad.Add(ad.MatMul(x, ps[0]), ps[1]))
		logits := ad.Add(ad.MatMul(h, ps[2]), ps[3])
		return ad.Neg(ad.Sum(ad.Mul(ad.LogSoftmax(logits, 0), onehot), false))
	}
	perExample := ad.Vmap(func(xs []ad.Value) ad.Value {
		gs := ad.Grads(func(ps []ad.Value) ad.Value { return loss(xs[0], xs[1], ps) }, params...)
		for i, g := range gs {
			gs[i] = ad.Reshape(g, -1)
		}
		return ad.Concat(0, gs...)
	})
	onehot := tensor.Zeros(len(ref.Labels), 3)
	for i, l := range ref.Labels {
		onehot.Set(1, i, l)
	}
	got := perExample(ref.X.value(tensor.Float64), ad.From(onehot)).Tensor()
	nearT(t, "per-example gradients", got, ref.Grads.value(tensor.Float64).Tensor(), 1e-12)
	losses := ad.Vmap(func(xs []ad.Value) ad.Value { return loss(xs[0], xs[1], params) })(ref.X.value(tensor.Float64), ad.From(onehot)).Tensor()
	nearT(t, "per-example losses", losses, tensor.New(ref.Losses, len(ref.Losses)), 1e-12)
}

// TestVmapComposesWithVJPAndCompile: Vmap of a VJP pull-back and of
// VJPBatch, and a compiled function that calls Vmap, against loops.
func TestVmapComposesWithVJPAndCompile(t *testing.T) {
	f := func(xs []ad.Value) ad.Value { return ad.Mul(ad.Tanh(xs[0]), ad.Sum(xs[0], false)) }
	xs := ad.From(tensor.RandN(seeded(1), 5, 3))
	cts := ad.From(tensor.RandN(seeded(2), 5, 3))
	got := ad.Vmap(func(e []ad.Value) ad.Value {
		_, pull := ad.VJP(f, e[0])
		return pull(e[1])[0]
	})(xs, cts).Tensor()
	gotB := ad.Vmap(func(e []ad.Value) ad.Value {
		_, pull := ad.VJPBatch(f, e[0])
		return ad.Reshape(pull(ad.Reshape(e[1], 1, 3))[0], 3)
	})(xs, cts).Tensor()
	ctr := rows(cts)
	for d, x := range rows(xs) {
		_, pull := ad.VJP(f, x)
		want := pull(ctr[d])[0].Tensor()
		nearT(t, "vmap of vjp", tensor.Slice(got, 0, d, d+1).Reshape(3), want, 1e-14)
		nearT(t, "vmap of vjp_batch", tensor.Slice(gotB, 0, d, d+1).Reshape(3), want, 1e-14)
	}

	prog := ad.Compile(func(in []ad.Value) []ad.Value {
		return []ad.Value{ad.Vmap(func(e []ad.Value) ad.Value { return ad.Grad(rosenN, e[0]) })(in[0])}
	}, xs)
	x2 := ad.From(tensor.RandN(seeded(3), 5, 3))
	out := prog.Run(x2)[0].Tensor()
	for d, x := range rows(x2) {
		nearT(t, "compiled vmap of grad", tensor.Slice(out, 0, d, d+1).Reshape(3), ad.Grad(rosenN, x).Tensor(), 1e-14)
	}
}
