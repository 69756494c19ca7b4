// Command gorgonia is the Gorgonia v0.9.18 peer of chainrule's benchmark
// harness (go run ./bench). It lives in its own module so that chainrule
// never depends on Gorgonia, and speaks the harness protocol on stdin and
// stdout (the shared module ../protocol).
//
// Gorgonia differentiates symbolically: each case builds one expression
// graph with its gradient nodes (gorgonia.Grad) and compiles it to a tape
// machine once, at setup; a timed operation is one RunAll and Reset of
// that machine (plus the solver step in W3). It has no Hessian, HVP or
// Jacobian API, so W4, W5 and H100 are skipped.
package main

import (
	"fmt"
	"runtime/debug"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/chainrule/chainrule/bench/peers/protocol"
)

func main() {
	version := "v0.9.18"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "gorgonia.org/gorgonia" {
				version = d.Version
			}
		}
	}
	protocol.Serve(map[string]any{"gorgonia": version, "machine": "tape machine, graph compiled once per case"}, setup)
}

// setup builds the implementations of one case.
func setup(workload string, p params, in map[string]input) (map[string]impl, string, error) {
	switch workload {
	case "W1":
		return setupW1(in["x"])
	case "W2":
		return setupW2(in["x"])
	case "W3":
		return setupW3(p, in)
	case "W6":
		return setupW6(p, in)
	case "W8":
		return setupW8(p, in)
	case "GEMM":
		return setupGEMM(in)
	case "W9":
		return nil, "cannot run: Gorgonia v0.9 has no layer normalization, multi-head attention or GELU", nil
	}
	return nil, "not written for Gorgonia, which has no HVP, Jacobian or Hessian API", nil
}

// dense returns an input as a Gorgonia tensor sharing its values.
func dense(in input) *tensor.Dense {
	if in.DType == "float32" {
		return tensor.New(tensor.WithShape(in.Shape...), tensor.WithBacking(in.F32))
	}
	return tensor.New(tensor.WithShape(in.Shape...), tensor.WithBacking(in.F64))
}

// dtype returns an input's Gorgonia dtype.
func dtype(in input) tensor.Dtype {
	if in.DType == "float32" {
		return tensor.Float32
	}
	return tensor.Float64
}

// floats returns a Gorgonia value as float64.
func floats(v G.Value) []float64 {
	switch d := v.Data().(type) {
	case []float64:
		return append([]float64(nil), d...)
	case []float32:
		out := make([]float64, len(d))
		for i, x := range d {
			out[i] = float64(x)
		}
		return out
	case float64:
		return []float64{d}
	case float32:
		return []float64{float64(d)}
	}
	panic(fmt.Sprintf("unexpected value type %T", v.Data()))
}

// must panics on an error while building a graph; handle turns the panic
// into an error reply.
func must(n *G.Node, err error) *G.Node {
	if err != nil {
		panic(err)
	}
	return n
}

// machine compiles g and returns an impl running it, reading the named
// nodes' values as the outputs.
func machine(g *G.ExprGraph, outs map[string]*G.Node, opts ...G.VMOpt) impl {
	vm := G.NewTapeMachine(g, opts...)
	run := func() error {
		defer vm.Reset()
		return vm.RunAll()
	}
	return impl{Op: run, Out: func() (map[string][]float64, error) {
		defer vm.Reset()
		if err := vm.RunAll(); err != nil {
			return nil, err
		}
		res := map[string][]float64{}
		for k, n := range outs {
			res[k] = floats(n.Value())
		}
		return res, nil
	}}
}

// setupW1 builds the scalar-op Rosenbrock gradient: one scalar node per
// element and rosenScalar's op sequence.
func setupW1(x input) (map[string]impl, string, error) {
	g := G.NewGraph()
	xs := make(G.Nodes, len(x.F64))
	for i, v := range x.F64 {
		xs[i] = G.NewScalar(g, tensor.Float64, G.WithValue(v), G.WithName(fmt.Sprintf("x%d", i)))
	}
	s := G.NewConstant(0.0)
	for i := 0; i+1 < len(xs); i++ {
		d := must(G.Sub(xs[i+1], must(G.Mul(xs[i], xs[i]))))
		e := must(G.Sub(G.NewConstant(1.0), xs[i]))
		s = must(G.Add(s, must(G.Add(must(G.Mul(G.NewConstant(100.0), must(G.Mul(d, d)))), must(G.Mul(e, e))))))
	}
	grads, err := G.Grad(s, xs...)
	if err != nil {
		return nil, "", err
	}
	vm := G.NewTapeMachine(g)
	op := func() error { defer vm.Reset(); return vm.RunAll() }
	return map[string]impl{"gorgonia": {Op: op, Out: func() (map[string][]float64, error) {
		defer vm.Reset()
		if err := vm.RunAll(); err != nil {
			return nil, err
		}
		gs := make([]float64, len(grads))
		for i, n := range grads {
			gs[i] = floats(n.Value())[0]
		}
		return map[string][]float64{"value": floats(s.Value()), "grad": gs}, nil
	}}}, "", nil
}

// rosen builds the vector Rosenbrock function of x (n elements).
func rosen(x *G.Node, n int) *G.Node {
	a := must(G.Slice(x, G.S(0, n-1)))
	b := must(G.Slice(x, G.S(1, n)))
	t1 := must(G.Mul(G.NewConstant(100.0), must(G.Square(must(G.Sub(b, must(G.Square(a))))))))
	t2 := must(G.Square(must(G.Sub(G.NewConstant(1.0), a))))
	return must(G.Sum(must(G.Add(t1, t2))))
}

// setupW2 builds the vector Rosenbrock value and gradient, and the primal
// alone.
func setupW2(x input) (map[string]impl, string, error) {
	n := len(x.F64)
	g := G.NewGraph()
	xv := G.NewVector(g, tensor.Float64, G.WithShape(n), G.WithValue(dense(x)), G.WithName("x"))
	y := rosen(xv, n)
	grads, err := G.Grad(y, xv)
	if err != nil {
		return nil, "", err
	}
	gp := G.NewGraph()
	xp := G.NewVector(gp, tensor.Float64, G.WithShape(n), G.WithValue(dense(x)), G.WithName("x"))
	yp := rosen(xp, n)
	return map[string]impl{
		"gorgonia":        machine(g, map[string]*G.Node{"value": y, "grad": grads[0]}),
		"gorgonia/primal": machine(gp, map[string]*G.Node{"value": yp}),
	}, "", nil
}

// setupW3 builds the MLP training step with a one-hot cross-entropy and
// Gorgonia's vanilla SGD solver.
func setupW3(p params, in map[string]input) (map[string]impl, string, error) {
	dt := dtype(in["x"])
	b, c := p.Int("batch"), p.Int("classes")
	labels := p.Ints("labels")
	g := G.NewGraph()
	x := G.NewMatrix(g, dt, G.WithShape(in["x"].Shape...), G.WithValue(dense(in["x"])), G.WithName("x"))
	w1 := G.NewMatrix(g, dt, G.WithShape(in["w1"].Shape...), G.WithValue(dense(in["w1"]).Clone()), G.WithName("w1"))
	b1 := G.NewVector(g, dt, G.WithShape(in["b1"].Shape...), G.WithValue(dense(in["b1"]).Clone()), G.WithName("b1"))
	w2 := G.NewMatrix(g, dt, G.WithShape(in["w2"].Shape...), G.WithValue(dense(in["w2"]).Clone()), G.WithName("w2"))
	b2 := G.NewVector(g, dt, G.WithShape(in["b2"].Shape...), G.WithValue(dense(in["b2"]).Clone()), G.WithName("b2"))
	var onehot *tensor.Dense
	if dt == tensor.Float32 {
		v := make([]float32, b*c)
		for i, l := range labels {
			v[i*c+l] = 1
		}
		onehot = tensor.New(tensor.WithShape(b, c), tensor.WithBacking(v))
	} else {
		v := make([]float64, b*c)
		for i, l := range labels {
			v[i*c+l] = 1
		}
		onehot = tensor.New(tensor.WithShape(b, c), tensor.WithBacking(v))
	}
	y := G.NewMatrix(g, dt, G.WithShape(b, c), G.WithValue(onehot), G.WithName("y"))
	h := must(G.Tanh(must(G.BroadcastAdd(must(G.Mul(x, w1)), b1, nil, []byte{0}))))
	logits := must(G.BroadcastAdd(must(G.Mul(h, w2)), b2, nil, []byte{0}))
	picked := must(G.Sum(must(G.HadamardProd(must(G.LogSoftMax(logits, 1)), y)), 1))
	loss := must(G.Neg(must(G.Mean(picked))))
	learn := G.Nodes{w1, b1, w2, b2}
	grads, err := G.Grad(loss, learn...)
	if err != nil {
		return nil, "", err
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(learn...))
	solver := G.NewVanillaSolver(G.WithLearnRate(p.Float("lr")))
	step := func() error {
		defer vm.Reset()
		if err := vm.RunAll(); err != nil {
			return err
		}
		return solver.Step(G.NodesToValueGrads(learn))
	}
	out := func() (map[string][]float64, error) {
		defer vm.Reset()
		if err := vm.RunAll(); err != nil {
			return nil, err
		}
		var all []float64
		for _, n := range grads {
			all = append(all, floats(n.Value())...)
		}
		return map[string][]float64{"loss": floats(loss.Value()), "grad": all}, nil
	}
	return map[string]impl{"gorgonia": {Op: step, Out: out}}, "", nil
}

// setupW6 builds the gradient through the chain of tanh(W·h) layers
// (Gorgonia has no checkpointing).
func setupW6(p params, in map[string]input) (map[string]impl, string, error) {
	layers := p.Int("layers")
	g := G.NewGraph()
	w := G.NewMatrix(g, tensor.Float64, G.WithShape(in["w"].Shape...), G.WithValue(dense(in["w"])), G.WithName("w"))
	h0 := G.NewVector(g, tensor.Float64, G.WithShape(in["h0"].Shape...), G.WithValue(dense(in["h0"])), G.WithName("h0"))
	h := h0
	for i := 0; i < layers; i++ {
		h = must(G.Tanh(must(G.Mul(w, h))))
	}
	y := must(G.Sum(h))
	grads, err := G.Grad(y, h0)
	if err != nil {
		return nil, "", err
	}
	return map[string]impl{"gorgonia": machine(g, map[string]*G.Node{"grad": grads[0]})}, "", nil
}

// setupGEMM builds one matrix product.
func setupGEMM(in map[string]input) (map[string]impl, string, error) {
	dt := dtype(in["a"])
	g := G.NewGraph()
	a := G.NewMatrix(g, dt, G.WithShape(in["a"].Shape...), G.WithValue(dense(in["a"])), G.WithName("a"))
	b := G.NewMatrix(g, dt, G.WithShape(in["b"].Shape...), G.WithValue(dense(in["b"])), G.WithName("b"))
	c := must(G.Mul(a, b))
	return map[string]impl{"gorgonia": machine(g, map[string]*G.Node{"c": c})}, "", nil
}

// setupW8 builds the LeNet-5 training step (conv 6@5×5, ReLU, max-pool 2,
// conv 16@5×5, ReLU, max-pool 2, 256→120→84→10 with ReLU) with a one-hot
// cross-entropy and Gorgonia's momentum solver. The Linear weights are held
// transposed (In×Out, for x·W); their gradients are transposed back to
// chainrule's Out×In for verification.
func setupW8(p params, in map[string]input) (map[string]impl, string, error) {
	b, c := p.Int("batch"), 10
	labels := p.Ints("labels")
	g := G.NewGraph()
	dt := tensor.Float32
	x := G.NewTensor(g, dt, 4, G.WithShape(in["x"].Shape...), G.WithValue(dense(in["x"])), G.WithName("x"))
	param := func(name string) *G.Node {
		v := dense(in["p_"+name]).Clone().(*tensor.Dense)
		return G.NewTensor(g, dt, v.Dims(), G.WithShape(v.Shape()...), G.WithValue(v), G.WithName(name))
	}
	linear := func(name string) *G.Node { // the weight transposed to In×Out
		v := dense(in["p_"+name]).Clone().(*tensor.Dense)
		if err := v.T(); err != nil {
			panic(err)
		}
		if err := v.Transpose(); err != nil {
			panic(err)
		}
		return G.NewMatrix(g, dt, G.WithShape(v.Shape()...), G.WithValue(v), G.WithName(name))
	}
	c1w, c1b, c2w, c2b := param("0_weight"), param("0_bias"), param("3_weight"), param("3_bias")
	f1w, f1b, f2w, f2b, f3w, f3b := linear("7_weight"), param("7_bias"), linear("9_weight"), param("9_bias"), linear("11_weight"), param("11_bias")
	conv := func(h, w, bias *G.Node, out int) *G.Node {
		y := must(G.Conv2d(h, w, tensor.Shape{5, 5}, []int{0, 0}, []int{1, 1}, []int{1, 1}))
		y = must(G.BroadcastAdd(y, must(G.Reshape(bias, tensor.Shape{1, out, 1, 1})), nil, []byte{0, 2, 3}))
		return must(G.MaxPool2D(must(G.Rectify(y)), tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
	}
	h := conv(x, c1w, c1b, 6)
	h = conv(h, c2w, c2b, 16)
	h = must(G.Reshape(h, tensor.Shape{b, 256}))
	h = must(G.Rectify(must(G.BroadcastAdd(must(G.Mul(h, f1w)), f1b, nil, []byte{0}))))
	h = must(G.Rectify(must(G.BroadcastAdd(must(G.Mul(h, f2w)), f2b, nil, []byte{0}))))
	logits := must(G.BroadcastAdd(must(G.Mul(h, f3w)), f3b, nil, []byte{0}))
	v := make([]float32, b*c)
	for i, l := range labels {
		v[i*c+l] = 1
	}
	y := G.NewMatrix(g, dt, G.WithShape(b, c), G.WithValue(tensor.New(tensor.WithShape(b, c), tensor.WithBacking(v))), G.WithName("y"))
	picked := must(G.Sum(must(G.HadamardProd(must(G.LogSoftMax(logits, 1)), y)), 1))
	loss := must(G.Neg(must(G.Mean(picked))))
	learn := G.Nodes{c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b}
	grads, err := G.Grad(loss, learn...)
	if err != nil {
		return nil, "", err
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(learn...))
	solver := G.NewMomentum(G.WithLearnRate(p.Float("lr")), G.WithMomentum(p.Float("momentum")))
	step := func() error {
		defer vm.Reset()
		if err := vm.RunAll(); err != nil {
			return err
		}
		return solver.Step(G.NodesToValueGrads(learn))
	}
	out := func() (map[string][]float64, error) {
		defer vm.Reset()
		if err := vm.RunAll(); err != nil {
			return nil, err
		}
		var all []float64
		for i, n := range grads {
			f := floats(n.Value())
			if i >= 4 && i%2 == 0 { // a Linear weight's gradient, In×Out: back to Out×In
				s := n.Shape()
				t := make([]float64, len(f))
				for r := 0; r < s[0]; r++ {
					for q := 0; q < s[1]; q++ {
						t[q*s[0]+r] = f[r*s[1]+q]
					}
				}
				f = t
			}
			all = append(all, f...)
		}
		return map[string][]float64{"loss": floats(loss.Value()), "grad": all}, nil
	}
	return map[string]impl{"gorgonia": {Op: step, Out: out}}, "", nil
}
