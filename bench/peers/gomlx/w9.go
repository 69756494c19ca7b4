package main

import (
	"fmt"
	"math"
	"strings"

	G "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// setupW9 builds the pre-LayerNorm transformer encoder block's training
// step (PyTorch's nn.TransformerEncoderLayer with norm_first=True, exact
// GELU, no dropout, batch first) from graph operations, with the harness's
// initial weights in PyTorch's layout and names: one graph returns the
// loss, the parameters and AdamW's moments after one step (torch.optim.AdamW's
// defaults: lr 1e-3, betas 0.9 and 0.999, eps 1e-8, weight decay 0.01), which
// replace the old ones; another returns the loss and gradients for
// verification. GoMLX's layers package would draw its own weights from a
// context, so the block is written out from graph operations (as the other
// peers' are); the in-projection is held as three parameters, its query,
// key and value thirds, because simplego lacks Pad, the gradient of a Slice.
// GoMLX has no gradient for Rsqrt either: the normalization divides by a
// square root.
func setupW9(p params, in map[string]input) (map[string]impl, string, error) {
	heads := p.Int("heads")
	list, _ := p["params"].([]any)
	names := make([]string, len(list))
	for i, v := range list {
		names[i], _ = v.(string)
	}
	// the graph's parameters (leaves): the harness's, except that the
	// in-projection's weight and bias are split into their query, key and
	// value thirds (simplego has no Pad, the gradient of a Slice); their
	// gradients are concatenated back for verification
	var leaves []*tensors.Tensor
	var leafShapes [][]int
	first := map[string]int{} // parameter name → its first leaf
	split := map[string]bool{"self_attn.in_proj_weight": true, "self_attn.in_proj_bias": true}
	for _, name := range names {
		key := "p_" + strings.ReplaceAll(name, ".", "_")
		x, ok := in[key]
		if !ok {
			return nil, "", fmt.Errorf("W9: no initial value for %s", name)
		}
		first[name] = len(leaves)
		parts := 1
		if split[name] {
			parts = 3
		}
		rows := x.Shape[0] / parts
		stride := len(x.F32) / parts
		for i := range parts {
			shape := append([]int{rows}, x.Shape[1:]...)
			leaves = append(leaves, tensors.FromFlatDataAndDimensions(append([]float32(nil), x.F32[i*stride:(i+1)*stride]...), shape...))
			leafShapes = append(leafShapes, shape)
		}
	}
	for _, name := range []string{"self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
		"self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias",
		"norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"} {
		if _, ok := first[name]; !ok {
			return nil, "", fmt.Errorf("W9: parameter %s missing from %v", name, names)
		}
	}
	n := len(leaves)
	ms := make([]*tensors.Tensor, n)
	vs := make([]*tensors.Tensor, n)
	for i, s := range leafShapes {
		ms[i] = tensors.FromFlatDataAndDimensions(make([]float32, size(s)), s...)
		vs[i] = tensors.FromFlatDataAndDimensions(make([]float32, size(s)), s...)
	}
	x, y := tensor(in["x"]), tensor(in["y"])
	lossAndGrads := func(ins []*G.Node) (*G.Node, []*G.Node) {
		x, y, w := ins[0], ins[1], ins[2:2+n]
		param := func(name string) *G.Node { return w[first[name]] }
		dims := x.Shape().Dimensions
		b, l, e := dims[0], dims[1], dims[2]
		d := e / heads
		// row broadcasts a vector over the batch and sequence axes
		row := func(v *G.Node) *G.Node { return G.ExpandAxes(v, 0, 1) }
		affine := func(h, weight, bias *G.Node) *G.Node {
			return G.Add(G.MatMul(h, G.Transpose(weight, 0, 1)), row(bias))
		}
		linear := func(h *G.Node, prefix string) *G.Node {
			return affine(h, param(prefix+"weight"), param(prefix+"bias"))
		}
		layerNorm := func(h *G.Node, prefix string) *G.Node {
			mean := G.ReduceAndKeep(h, G.ReduceMean, -1)
			c := G.Sub(h, mean)
			variance := G.ReduceAndKeep(G.Square(c), G.ReduceMean, -1) // biased, as PyTorch's
			// Div by Sqrt: GoMLX has no gradient for Rsqrt
			return G.Add(G.Mul(G.Div(c, G.Sqrt(G.AddScalar(variance, 1e-5))), row(param(prefix+"weight"))), row(param(prefix+"bias")))
		}
		// attention: the in-projection's thirds make the queries, keys
		// and values, split into heads N×H×L×D
		a := layerNorm(x, "norm1.")
		project := func(i int) *G.Node {
			wi, bi := w[first["self_attn.in_proj_weight"]+i], w[first["self_attn.in_proj_bias"]+i]
			return G.TransposeAllAxes(G.Reshape(affine(a, wi, bi), b, l, heads, d), 0, 2, 1, 3)
		}
		q, k, v := project(0), project(1), project(2)
		scores := G.MulScalar(G.MatMul(q, G.Transpose(k, 2, 3)), 1/math.Sqrt(float64(d)))
		att := G.MatMul(G.Softmax(scores, -1), v)
		att = G.Reshape(G.TransposeAllAxes(att, 0, 2, 1, 3), b, l, e)
		h := G.Add(x, linear(att, "self_attn.out_proj."))
		// the feed-forward network with the exact GELU, x·Φ(x)
		f := linear(layerNorm(h, "norm2."), "linear1.")
		f = G.Mul(G.MulScalar(f, 0.5), G.AddScalar(G.Erf(G.MulScalar(f, 1/math.Sqrt2)), 1))
		out := G.Add(h, linear(f, "linear2."))
		loss := G.ReduceAllMean(G.Square(G.Sub(out, y)))
		return loss, G.Gradient(loss, w...)
	}
	// AdamW as torch.optim.AdamW: p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g;
	// v ← β2·v + (1−β2)·g²; p ← p − (lr/bc1)·m / (√v/√bc2 + eps), with the
	// bias corrections bc = 1 − β^t computed here and passed in per step
	const lr, beta1, beta2, eps, wd = 1e-3, 0.9, 0.999, 1e-8, 0.01
	stepExec, err := G.NewExecAny(backend, func(ins []*G.Node) []*G.Node {
		loss, gs := lossAndGrads(ins)
		stepSize, sqrtBC2 := ins[2+3*n], ins[3+3*n]
		out := []*G.Node{loss}
		var nm, nv []*G.Node
		for i, g := range gs {
			w, m, v := ins[2+i], ins[2+n+i], ins[2+2*n+i]
			m = G.Add(G.MulScalar(m, beta1), G.MulScalar(g, 1-beta1))
			v = G.Add(G.MulScalar(v, beta2), G.MulScalar(G.Square(g), 1-beta2))
			denom := G.AddScalar(G.Div(G.Sqrt(v), sqrtBC2), eps)
			w = G.Sub(G.MulScalar(w, 1-lr*wd), G.Mul(stepSize, G.Div(m, denom)))
			out, nm, nv = append(out, w), append(nm, m), append(nv, v)
		}
		return append(append(out, nm...), nv...)
	})
	if err != nil {
		return nil, "", err
	}
	gradExec, err := G.NewExecAny(backend, func(ins []*G.Node) []*G.Node {
		loss, gs := lossAndGrads(ins)
		out := []*G.Node{loss}
		for _, name := range names { // the harness's order, split gradients joined
			i := first[name]
			if split[name] {
				out = append(out, G.Concatenate([]*G.Node{gs[i], gs[i+1], gs[i+2]}, 0))
			} else {
				out = append(out, gs[i])
			}
		}
		return out
	})
	if err != nil {
		return nil, "", err
	}
	t := 0
	args := func(withState bool) []any {
		a := []any{x, y}
		for _, t := range leaves {
			a = append(a, t)
		}
		if withState {
			for _, t := range ms {
				a = append(a, t)
			}
			for _, t := range vs {
				a = append(a, t)
			}
			bc1, bc2 := 1-math.Pow(beta1, float64(t)), 1-math.Pow(beta2, float64(t))
			a = append(a, tensors.FromScalar(float32(lr/bc1)), tensors.FromScalar(float32(math.Sqrt(bc2))))
		}
		return a
	}
	step := func() error {
		t++
		outs, err := stepExec.Exec(args(true)...)
		if err != nil {
			return err
		}
		outs[0].FinalizeAll()
		finalize(leaves)
		finalize(ms)
		finalize(vs)
		copy(leaves, outs[1:1+n])
		copy(ms, outs[1+n:1+2*n])
		copy(vs, outs[1+2*n:])
		return nil
	}
	out := func() (map[string][]float64, error) { return gradOutputs(gradExec, args(false)) }
	// simplego may lack an operation or its gradient: probe at setup.
	if _, err := out(); err != nil {
		return nil, fmt.Sprintf("GoMLX's simplego backend cannot run the step: %.200s", err), nil
	}
	return map[string]impl{"gomlx": {Op: step, Out: out}}, "", nil
}

// size returns the number of elements of a shape.
func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
