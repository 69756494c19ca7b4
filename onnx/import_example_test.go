package onnx_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/onnx"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/safetensors"
	"github.com/chainrule/chainrule/tensor"
)

// Fine-tune an MLP that PyTorch exported (testdata/onnx/import/gen.py):
// import it, take SGD steps on its parameters, save them as safetensors.
func Example_fineTune() {
	m, err := onnx.Load("../testdata/onnx/import/mlp_f64_op17.onnx")
	if err != nil {
		log.Fatal(err)
	}
	mlp, err := onnx.Import(m)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("input:", mlp.Inputs[0].Name, mlp.Inputs[0].DimParams[0], mlp.Inputs[0].Shape[1])
	fmt.Println("parameters:", len(mlp.Params), mlp.Params[0].Name, mlp.Params[0].T.Shape())

	x := ad.From(tensor.Float64.Full(0.5, 5, 4))
	target := ad.From(tensor.Float64.Zeros(5, 3))
	params := nn.Params(mlp) // an Imported of one input and one output is an nn.Layer
	opt := optim.NewSGD(params, 0.1)
	opt.Momentum = 0.9
	var ctx *nn.Ctx // evaluation mode
	first, last := 0.0, 0.0
	for step := range 20 {
		loss, grads := ctx.ValueAndGrads(params, func(c *nn.Ctx) ad.Value {
			return ad.MSE(mlp.Forward(c, x), target)
		})
		opt.Step(grads)
		if step == 0 {
			first = loss
		}
		last = loss
	}
	fmt.Println("loss fell:", last < first/10)

	dir, err := os.MkdirTemp("", "finetune")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mlp.safetensors")
	if err := nn.Save(path, mlp, map[string]string{"from": "mlp_f64_op17.onnx"}); err != nil {
		log.Fatal(err)
	}
	f, err := safetensors.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("saved:", f.Names())
	// Output:
	// input: x batch 4
	// parameters: 8 0.weight [8 4]
	// loss fell: true
	// saved: [0.bias 0.weight 2.bias 2.weight 4.bias 4.weight 6.bias 6.weight]
}

// TestImportFineTune takes three steps of SGD with momentum on the
// imported MLP and compares the loss and the parameters after each step
// with PyTorch's torch.optim.SGD trajectory (mlp_sgd.json), then saves the
// parameters as safetensors and loads them into a fresh import.
func TestImportFineTune(t *testing.T) {
	var ref struct {
		X, Target refArray
		LR        float64 `json:"lr"`
		Momentum  float64 `json:"momentum"`
		Steps     []struct {
			Loss   float64             `json:"loss"`
			Params map[string]refArray `json:"params"`
		} `json:"steps"`
	}
	readJSON(t, "mlp_sgd.json", &ref)
	mlp := load(t, "mlp_f64_op17.onnx")
	x, target := ad.From(ref.X.tensor(tensor.Float64)), ad.From(ref.Target.tensor(tensor.Float64))
	params := nn.Params(mlp)
	opt := optim.NewSGD(params, ref.LR)
	opt.Momentum = ref.Momentum
	for i, step := range ref.Steps {
		loss, grads := (*nn.Ctx)(nil).ValueAndGrads(params, func(c *nn.Ctx) ad.Value {
			return ad.MSE(mlp.Forward(c, x), target)
		})
		if d := loss - step.Loss; d > 1e-12 || d < -1e-12 {
			t.Errorf("step %d: loss %v, PyTorch %v", i, loss, step.Loss)
		}
		opt.Step(grads)
		for _, p := range mlp.Params {
			closeTo(t, fmt.Sprintf("step %d %s", i, p.Name), p.T, step.Params[p.Name], 1e-10)
		}
	}

	path := filepath.Join(t.TempDir(), "mlp.safetensors")
	if err := safetensors.Save(path, nn.StateDict(mlp), nil); err != nil {
		t.Fatal(err)
	}
	fresh := load(t, "mlp_f64_op17.onnx")
	if err := nn.Load(path, fresh); err != nil {
		t.Fatal(err)
	}
	for i, p := range fresh.Params {
		if !tensor.Equal(p.T, mlp.Params[i].T) {
			t.Errorf("%s: loaded tensor differs from the saved one", p.Name)
		}
	}
	if tensor.Equal(fresh.Params[0].T, load(t, "mlp_f64_op17.onnx").Params[0].T) {
		t.Error("the loaded parameters are the file's, not the fine-tuned ones")
	}
}

// Differentiate an imported transformer block with respect to its
// parameters (Apply, the functional form) and take a Hessian-vector
// product with respect to its input.
func ExampleImported_Apply() {
	m, err := onnx.Load("../testdata/onnx/import/transformer_f64_op17.onnx")
	if err != nil {
		log.Fatal(err)
	}
	block, err := onnx.Import(m)
	if err != nil {
		log.Fatal(err)
	}
	x := ad.From(tensor.Float64.Full(0.1, 3, 5, 8)) // a batch of 3: the file's input is (batch, 5, 8)
	params := make([]ad.Value, len(block.Params))
	for i, p := range block.Params {
		params[i] = ad.From(p.T)
	}
	grads := ad.Grads(func(ps []ad.Value) ad.Value {
		return ad.SumAll(ad.Square(block.Apply(ps, x)[0]))
	}, params...)
	fmt.Println(block.Params[0].Name, grads[0].Shape())

	loss := func(x ad.Value) ad.Value { return ad.SumAll(ad.Tanh(block.Call(x)[0])) }
	hv := ad.HVP(loss, x, ad.From(tensor.Float64.Ones(3, 5, 8)))
	fmt.Println("Hessian-vector product:", hv.Shape())
	// Output:
	// self_attn.in_proj_weight [24 8]
	// Hessian-vector product: [3 5 8]
}
