// Command gomlx is the GoMLX v0.26.0 peer of chainrule's benchmark harness
// (go run ./bench), on GoMLX's pure-Go "simplego" backend. It lives in its
// own module so that chainrule never depends on GoMLX, and speaks the
// harness protocol on stdin and stdout (the shared module ../protocol).
//
// GoMLX builds a graph per case, differentiated symbolically
// (graph.Gradient), and JIT-compiles it for the backend once, at the first
// execution (during verification, before timing); a timed operation is one
// Exec of the compiled graph. It has no Jacobian or Hessian API, so W5 and
// H100 are skipped.
package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	G "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/core/tensors/images"

	"github.com/chainrule/chainrule/bench/peers/protocol"
)

// backend is the simplego backend all cases run on.
var backend backends.Backend

func main() {
	version := "v0.26.0"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/gomlx/gomlx" {
				version = d.Version
			}
		}
	}
	var err error
	backend, err = simplego.New("")
	info := map[string]any{"gomlx": version, "backend": "simplego"}
	if err != nil {
		info["error"] = err.Error()
	}
	protocol.Serve(info, setup)
}

// setup builds the implementations of one case.
func setup(workload string, p params, in map[string]input) (map[string]impl, string, error) {
	if backend == nil {
		return nil, "the simplego backend did not start", nil
	}
	switch workload {
	case "W1":
		return setupW1(in["x"])
	case "W2":
		return setupW2(in["x"])
	case "W3":
		return setupW3(p, in)
	case "W4":
		return setupW4(in)
	case "W6":
		return setupW6(p, in)
	case "W8":
		return setupW8(p, in)
	case "GEMM":
		return setupGEMM(in)
	case "W9":
		return setupW9(p, in)
	}
	return nil, "not written for GoMLX, which has no Jacobian or Hessian API", nil
}

// tensor returns an input as a GoMLX tensor.
func tensor(in input) *tensors.Tensor {
	if in.DType == "float32" {
		return tensors.FromFlatDataAndDimensions(append([]float32(nil), in.F32...), in.Shape...)
	}
	return tensors.FromFlatDataAndDimensions(append([]float64(nil), in.F64...), in.Shape...)
}

// floats returns a tensor's values as float64.
func floats(t *tensors.Tensor) ([]float64, error) {
	if v, err := tensors.CopyFlatData[float64](t); err == nil {
		return v, nil
	}
	v, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out, nil
}

// finalize frees the outputs of an execution.
func finalize(ts []*tensors.Tensor) {
	for _, t := range ts {
		t.FinalizeAll()
	}
}

// executable compiles fn lazily (at its first execution) and returns an
// impl that runs it on args, naming its outputs in order; an empty name
// drops that output from verification.
func executable(fn any, args []any, names ...string) (impl, error) {
	exec, err := G.NewExecAny(backend, fn)
	if err != nil {
		return impl{}, err
	}
	op := func() error {
		outs, err := exec.Exec(args...)
		finalize(outs)
		return err
	}
	out := func() (map[string][]float64, error) {
		return outputs(exec, args, func(i int) string {
			if i < len(names) {
				return names[i]
			}
			return ""
		})
	}
	return impl{Op: op, Out: out}, nil
}

// gradOutputs runs exec, a graph returning the loss and then gradients,
// on args and returns its outputs for verification: "loss", and "grad"
// the gradients' values in order.
func gradOutputs(exec *G.Exec, args []any) (map[string][]float64, error) {
	return outputs(exec, args, func(i int) string {
		if i == 0 {
			return "loss"
		}
		return "grad"
	})
}

// outputs runs exec on args and returns its outputs by name(i), the
// values of outputs of one name concatenated in order; an empty name
// drops that output.
func outputs(exec *G.Exec, args []any, name func(i int) string) (map[string][]float64, error) {
	outs, err := exec.Exec(args...)
	if err != nil {
		return nil, err
	}
	defer finalize(outs)
	res := map[string][]float64{}
	for i, t := range outs {
		n := name(i)
		if n == "" {
			continue
		}
		v, err := floats(t)
		if err != nil {
			return nil, err
		}
		res[n] = append(res[n], v...)
	}
	return res, nil
}

// setupW1 builds the scalar-op Rosenbrock gradient over one scalar input
// per element, with rosenScalar's op sequence.
func setupW1(x input) (map[string]impl, string, error) {
	args := make([]any, len(x.F64))
	names := []string{"value"}
	for i, v := range x.F64 {
		args[i] = tensors.FromFlatDataAndDimensions([]float64{v})
		names = append(names, "grad")
	}
	fn := func(xs []*G.Node) []*G.Node {
		s := G.ScalarZero(xs[0].Graph(), xs[0].DType())
		for i := 0; i+1 < len(xs); i++ {
			d := G.Sub(xs[i+1], G.Mul(xs[i], xs[i]))
			e := G.Sub(G.ConstAs(xs[i], 1.0), xs[i])
			s = G.Add(s, G.Add(G.Mul(G.ConstAs(d, 100.0), G.Mul(d, d)), G.Mul(e, e)))
		}
		return append([]*G.Node{s}, G.Gradient(s, xs...)...)
	}
	im, err := executable(fn, args, names...)
	return map[string]impl{"gomlx": im}, "", err
}

// rosen builds the vector Rosenbrock function of x. x[:-1] and x[1:] are
// gathers rather than slices: the gradient of Slice is Pad, which simplego
// does not implement, while that of Gather is ScatterSum, which it does.
func rosen(x *G.Node) *G.Node {
	n := x.Shape().Dimensions[0]
	idx := G.Iota(x.Graph(), shapes.Make(dtypes.Int32, n-1, 1), 0)
	a := G.Gather(x, idx, true)
	b := G.Gather(x, G.AddScalar(idx, 1), true)
	t1 := G.Mul(G.ConstAs(x, 100.0), G.Square(G.Sub(b, G.Square(a))))
	t2 := G.Square(G.Sub(G.ConstAs(a, 1.0), a))
	return G.ReduceAllSum(G.Add(t1, t2))
}

// setupW2 builds the vector Rosenbrock value and gradient, and the primal.
func setupW2(x input) (map[string]impl, string, error) {
	args := []any{tensor(x)}
	grad, err := executable(func(x *G.Node) (*G.Node, *G.Node) {
		y := rosen(x)
		return y, G.Gradient(y, x)[0]
	}, args, "value", "grad")
	if err != nil {
		return nil, "", err
	}
	primal, err := executable(func(x *G.Node) *G.Node { return rosen(x) }, args, "value")
	return map[string]impl{"gomlx": grad, "gomlx/primal": primal}, "", err
}

// setupW3 builds the MLP training step: one graph returns the loss and the
// updated parameters, which replace the old ones; another returns the loss
// and gradients for verification.
func setupW3(p params, in map[string]input) (map[string]impl, string, error) {
	b, c, lr := p.Int("batch"), p.Int("classes"), p.Float("lr")
	labels := p.Ints("labels")
	f32 := in["x"].DType == "float32"
	var onehot *tensors.Tensor
	if f32 {
		v := make([]float32, b*c)
		for i, l := range labels {
			v[i*c+l] = 1
		}
		onehot = tensors.FromFlatDataAndDimensions(v, b, c)
	} else {
		v := make([]float64, b*c)
		for i, l := range labels {
			v[i*c+l] = 1
		}
		onehot = tensors.FromFlatDataAndDimensions(v, b, c)
	}
	x := tensor(in["x"])
	ps := []*tensors.Tensor{tensor(in["w1"]), tensor(in["b1"]), tensor(in["w2"]), tensor(in["b2"])}
	lossAndGrads := func(ins []*G.Node) (*G.Node, []*G.Node) {
		x, y, w1, b1, w2, b2 := ins[0], ins[1], ins[2], ins[3], ins[4], ins[5]
		h := G.Tanh(G.Add(G.MatMul(x, w1), G.ExpandAxes(b1, 0)))
		logits := G.Add(G.MatMul(h, w2), G.ExpandAxes(b2, 0))
		loss := G.Neg(G.ReduceAllMean(G.ReduceSum(G.Mul(G.LogSoftmax(logits, -1), y), -1)))
		return loss, G.Gradient(loss, w1, b1, w2, b2)
	}
	stepExec, err := G.NewExecAny(backend, func(ins []*G.Node) []*G.Node {
		loss, gs := lossAndGrads(ins)
		out := []*G.Node{loss}
		for i, g := range gs {
			w := ins[2+i]
			out = append(out, G.Sub(w, G.Mul(G.ConstAs(w, lr), g)))
		}
		return out
	})
	if err != nil {
		return nil, "", err
	}
	gradExec, err := G.NewExecAny(backend, func(ins []*G.Node) []*G.Node {
		loss, gs := lossAndGrads(ins)
		return append([]*G.Node{loss}, gs...)
	})
	if err != nil {
		return nil, "", err
	}
	args := func() []any { return []any{x, onehot, ps[0], ps[1], ps[2], ps[3]} }
	step := func() error {
		outs, err := stepExec.Exec(args()...)
		if err != nil {
			return err
		}
		outs[0].FinalizeAll()
		finalize(ps)
		copy(ps, outs[1:])
		return nil
	}
	out := func() (map[string][]float64, error) { return gradOutputs(gradExec, args()) }
	return map[string]impl{"gomlx": {Op: step, Out: out}}, "", nil
}

// setupW4 builds the Hessian-vector product as the gradient of ⟨∇f, v⟩
// (reverse over reverse, GoMLX's only way to a second derivative).
func setupW4(in map[string]input) (map[string]impl, string, error) {
	im, err := executable(func(x, v *G.Node) *G.Node {
		g := G.Gradient(rosen(x), x)[0]
		return G.Gradient(G.ReduceAllSum(G.Mul(g, v)), x)[0]
	}, []any{tensor(in["x"]), tensor(in["v"])}, "hvp")
	if err != nil {
		return nil, "", err
	}
	// GoMLX may lack second derivatives of some ops: probe at setup.
	if _, err := im.Out(); err != nil {
		return nil, fmt.Sprintf("GoMLX cannot differentiate the gradient: %.200s", err), nil
	}
	return map[string]impl{"gomlx": im}, "", nil
}

// setupW6 builds the gradient through the chain of tanh(W·h) layers
// (GoMLX has no checkpointing in its graph API).
func setupW6(p params, in map[string]input) (map[string]impl, string, error) {
	layers := p.Int("layers")
	im, err := executable(func(w, h0 *G.Node) *G.Node {
		h := h0
		for i := 0; i < layers; i++ {
			h = G.Tanh(G.Dot(w, h))
		}
		return G.Gradient(G.ReduceAllSum(h), h0)[0]
	}, []any{tensor(in["w"]), tensor(in["h0"])}, "grad")
	return map[string]impl{"gomlx": im}, "", err
}

// setupGEMM builds one matrix product.
func setupGEMM(in map[string]input) (map[string]impl, string, error) {
	im, err := executable(func(a, b *G.Node) *G.Node { return G.MatMul(a, b) },
		[]any{tensor(in["a"]), tensor(in["b"])}, "c")
	return map[string]impl{"gomlx": im}, "", err
}

// setupW8 builds the LeNet-5 training step in channels-first layout (the
// kernels OIHW, as chainrule's and PyTorch's): one graph returns the loss,
// the updated parameters and momentum buffers (SGD with momentum as
// torch.optim.SGD: b ← μ·b + g, p ← p − lr·b, b starting at zero), which
// replace the old ones; another returns the loss and gradients for
// verification.
func setupW8(p params, in map[string]input) (map[string]impl, string, error) {
	b, c, lr, mom := p.Int("batch"), 10, p.Float("lr"), p.Float("momentum")
	labels := p.Ints("labels")
	v := make([]float32, b*c)
	for i, l := range labels {
		v[i*c+l] = 1
	}
	onehot := tensors.FromFlatDataAndDimensions(v, b, c)
	x := tensor(in["x"])
	list, _ := p["params"].([]any)
	names := make([]string, len(list))
	for i, v := range list {
		names[i], _ = v.(string)
	}
	ps := make([]*tensors.Tensor, len(names))
	bufs := make([]*tensors.Tensor, len(names))
	for i, name := range names {
		key := "p_" + strings.ReplaceAll(name, ".", "_")
		ps[i] = tensor(in[key])
		bufs[i] = tensors.FromFlatDataAndDimensions(make([]float32, len(in[key].F32)), in[key].Shape...)
	}
	n := len(ps)
	lossAndGrads := func(ins []*G.Node) (*G.Node, []*G.Node) {
		x, y, w := ins[0], ins[1], ins[2:2+n]
		relu := func(h *G.Node) *G.Node { return G.Max(h, G.ZerosLike(h)) }
		conv := func(h, k, bias *G.Node) *G.Node {
			h = G.Convolve(h, k).ChannelsAxis(images.ChannelsFirst).Strides(1).NoPadding().Done()
			h = relu(G.Add(h, G.Reshape(bias, 1, bias.Shape().Dimensions[0], 1, 1)))
			return G.MaxPool(h).ChannelsAxis(images.ChannelsFirst).Window(2).Strides(2).Done()
		}
		linear := func(h, k, bias *G.Node) *G.Node {
			return G.Add(G.MatMul(h, G.Transpose(k, 0, 1)), G.ExpandAxes(bias, 0))
		}
		h := conv(x, w[0], w[1])
		h = conv(h, w[2], w[3])
		h = G.Reshape(h, b, 256)
		h = relu(linear(h, w[4], w[5]))
		h = relu(linear(h, w[6], w[7]))
		logits := linear(h, w[8], w[9])
		loss := G.Neg(G.ReduceAllMean(G.ReduceSum(G.Mul(G.LogSoftmax(logits, -1), y), -1)))
		return loss, G.Gradient(loss, w...)
	}
	stepExec, err := G.NewExecAny(backend, func(ins []*G.Node) []*G.Node {
		loss, gs := lossAndGrads(ins)
		out := []*G.Node{loss}
		var nb []*G.Node
		for i, g := range gs {
			w, buf := ins[2+i], ins[2+n+i]
			bn := G.Add(G.Mul(G.ConstAs(buf, mom), buf), g)
			out = append(out, G.Sub(w, G.Mul(G.ConstAs(w, lr), bn)))
			nb = append(nb, bn)
		}
		return append(out, nb...)
	})
	if err != nil {
		return nil, "", err
	}
	gradExec, err := G.NewExecAny(backend, func(ins []*G.Node) []*G.Node {
		loss, gs := lossAndGrads(ins)
		return append([]*G.Node{loss}, gs...)
	})
	if err != nil {
		return nil, "", err
	}
	args := func(withBufs bool) []any {
		a := []any{x, onehot}
		for _, t := range ps {
			a = append(a, t)
		}
		if withBufs {
			for _, t := range bufs {
				a = append(a, t)
			}
		}
		return a
	}
	step := func() error {
		outs, err := stepExec.Exec(args(true)...)
		if err != nil {
			return err
		}
		outs[0].FinalizeAll()
		finalize(ps)
		finalize(bufs)
		copy(ps, outs[1:1+n])
		copy(bufs, outs[1+n:])
		return nil
	}
	out := func() (map[string][]float64, error) { return gradOutputs(gradExec, args(false)) }
	// simplego lacks some gradients (max pooling's): probe at setup.
	if _, err := out(); err != nil {
		return nil, fmt.Sprintf("GoMLX's simplego backend cannot run the step: %.200s", err), nil
	}
	return map[string]impl{"gomlx": {Op: step, Out: out}}, "", nil
}
