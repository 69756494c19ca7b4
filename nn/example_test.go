package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// A training loop: an MLP learns XOR with Adam. The parameters are the
// layers' tensors; ValueAndGrads returns the gradients in the order of
// Params, which is the order Step takes.
func Example_training() {
	rng := rand.New(rand.NewPCG(1, 2))
	mlp := nn.Sequential{nn.NewLinear(rng, 2, 8, true), nn.Func(ad.Tanh), nn.NewLinear(rng, 8, 1, true)}
	x := ad.New([]float64{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2)
	y := ad.New([]float64{0, 1, 1, 0}, 4, 1)

	params := nn.Params(mlp)
	opt := optim.NewAdam(params)
	opt.LR = 0.05
	train := &nn.Ctx{Train: true, Rand: rng}
	var losses []float64
	for range 300 {
		loss, grads := train.ValueAndGrads(params, func(c *nn.Ctx) ad.Value {
			return ad.MSE(mlp.Forward(c, x), y)
		})
		opt.Step(grads)
		losses = append(losses, loss)
	}
	fmt.Println("parameters:", len(params), params[0].Name, params[3].Name)
	fmt.Println("loss fell below 1% of its start:", losses[299] < losses[0]/100)
	pred := mlp.Forward(nil, x).Tensor() // inference: evaluation mode, constants
	for i := range 4 {
		fmt.Printf("%v xor %v ≈ %v\n", x.Tensor().At(i, 0), x.Tensor().At(i, 1), math.Abs(math.Round(pred.AtFlat(i))))
	}
	// Output:
	// parameters: 4 0.weight 2.bias
	// loss fell below 1% of its start: true
	// 0 xor 0 ≈ 0
	// 0 xor 1 ≈ 1
	// 1 xor 0 ≈ 1
	// 1 xor 1 ≈ 0
}

func ExampleLinear() {
	l := nn.NewLinear(rand.New(rand.NewPCG(1, 2)), 3, 2, true)
	copy(l.Weight.Data(), []float64{1, 2, 3, 0, 1, 0}) // 2×3
	copy(l.Bias.Data(), []float64{10, 20})
	x := ad.New([]float64{1, 1, 1, 1, 2, 3}, 2, 3) // a batch of 2
	y := l.Forward(nil, x)                         // 2×2: row i is W·x_i + b
	fmt.Println(y.Tensor().Data())
	// Output: [16 21 24 22]
}

func ExampleConv2D() {
	conv := nn.NewConv2D(rand.New(rand.NewPCG(1, 2)), 1, 2, [2]int{2, 2}, ad.ConvConfig{Stride: [2]int{2, 2}}, true)
	conv.Weight.Fill(1) // 2×1×2×2: sums of 2×2 blocks
	copy(conv.Bias.Data(), []float64{0, 100})
	x := ad.From(tensor.Float64.Arange(0, 16, 1).Reshape(1, 1, 4, 4))
	y := conv.Forward(nil, x)
	fmt.Println(y.Shape())
	fmt.Println(y.Tensor().Data())
	// Output:
	// [1 2 2 2]
	// [10 18 42 50 110 118 142 150]
}

func ExampleLayerNorm() {
	ln := nn.NewLayerNorm(4)
	ln.Eps = 0
	x := ad.New([]float64{1, 2, 3, 4, 10, 10, 20, 20}, 2, 4)
	fmt.Printf("%.4f\n", ln.Forward(nil, x)) // mean 0, biased variance 1 per row
	// Output:
	// [[-1.3416 -0.4472  0.4472  1.3416]
	//  [-1.0000 -1.0000  1.0000  1.0000]]
}

func ExampleBatchNorm2D() {
	bn := nn.NewBatchNorm2D(1)
	x := ad.New([]float64{1, 2, 3, 6}, 2, 1, 1, 2) // mean 3, biased variance 3.5, unbiased 14/3
	y := bn.Forward(&nn.Ctx{Train: true}, x)
	fmt.Printf("train: %.4f\n", y.Tensor().Data())
	// running = 0.9·running + 0.1·batch: mean 0.9·0 + 0.1·3, variance 0.9·1 + 0.1·14/3
	fmt.Printf("running mean %.4f, running var %.4f\n", bn.RunningMean.AtFlat(0), bn.RunningVar.AtFlat(0))
	// evaluation: (1.3 - 0.3)/√(1.3667 + 1e-5)
	fmt.Printf("eval: %.4f\n", bn.Forward(nil, ad.New([]float64{1.3}, 1, 1, 1, 1)).Item())
	// Output:
	// train: [-1.0690 -0.5345 0.0000 1.6036]
	// running mean 0.3000, running var 1.3667
	// eval: 0.8554
}

func ExampleEmbedding() {
	e := nn.NewEmbedding(rand.New(rand.NewPCG(1, 2)), 5, 2)
	copy(e.Weight.Data(), []float64{0, 0, 1, 1, 2, 4, 3, 9, 4, 16}) // row i is (i, i²)
	fmt.Println(e.Lookup(nil, []int{3, 1, 4, 1}, 2, 2))
	fmt.Println(e.Forward(nil, ad.New([]float64{2, 0}, 2))) // ids held in a float tensor
	// Output:
	// [[[ 3  9]
	//   [ 1  1]]
	//
	//  [[ 4 16]
	//   [ 1  1]]]
	// [[2 4]
	//  [0 0]]
}

// With Causal set, a position's output does not depend on later positions.
func ExampleMultiHeadAttention() {
	rng := rand.New(rand.NewPCG(1, 2))
	attn := nn.NewMultiHeadAttention(rng, 8, 2, true)
	attn.Causal = true
	x := tensor.RandN(rng, 1, 5, 8) // batch 1, length 5, width 8
	y := attn.Forward(nil, ad.From(x))
	x.Set(100, 0, 4, 0) // change the last position
	y2 := attn.Forward(nil, ad.From(x))
	fmt.Println(y.Shape())
	same := func(pos int) bool {
		for j := range 8 {
			if y.Tensor().At(0, pos, j) != y2.Tensor().At(0, pos, j) {
				return false
			}
		}
		return true
	}
	fmt.Println("positions 0-3 unchanged:", same(0) && same(1) && same(2) && same(3), "position 4:", same(4))
	fmt.Println(nn.Params(attn)[0].Name, nn.Params(attn)[2].Name)
	// Output:
	// [1 5 8]
	// positions 0-3 unchanged: true position 4: false
	// in_proj_weight out_proj.weight
}

func ExampleDropout() {
	d := &nn.Dropout{P: 0.5}
	x := ad.From(tensor.Ones(8))
	fmt.Println("eval:", d.Forward(nil, x))
	// training: each element is 0 or 1/(1-P), from the context's generator
	y1 := d.Forward(&nn.Ctx{Train: true, Rand: rand.New(rand.NewPCG(1, 2))}, x).Tensor()
	y2 := d.Forward(&nn.Ctx{Train: true, Rand: rand.New(rand.NewPCG(1, 2))}, x).Tensor()
	same, zeroOrTwo := true, true
	for i := range 8 {
		same = same && y1.AtFlat(i) == y2.AtFlat(i)
		zeroOrTwo = zeroOrTwo && (y1.AtFlat(i) == 0 || y1.AtFlat(i) == 2)
	}
	fmt.Println("train: each 0 or 2:", zeroOrTwo, "same seed, same mask:", same)
	// Output:
	// eval: [1 1 1 1 1 1 1 1]
	// train: each 0 or 2: true same seed, same mask: true
}

func ExampleSequential() {
	rng := rand.New(rand.NewPCG(1, 2))
	net := nn.Sequential{
		nn.NewConv2D(rng, 1, 4, [2]int{3, 3}, ad.ConvConfig{}, true),
		nn.NewBatchNorm2D(4),
		nn.Func(ad.Relu),
		nn.Func(func(x ad.Value) ad.Value { return ad.Reshape(x, x.Shape()[0], -1) }),
		nn.NewLinear(rng, 4*6*6, 10, true),
	}
	for _, p := range nn.Params(net) {
		fmt.Println(p.Name, p.T.Shape())
	}
	fmt.Println("buffers:", nn.Buffers(net)[0].Name, nn.Buffers(net)[1].Name)
	fmt.Println(net.Forward(nil, ad.From(tensor.Zeros(2, 1, 8, 8))).Shape())
	// Output:
	// 0.weight [4 1 3 3]
	// 0.bias [4]
	// 1.weight [4]
	// 1.bias [4]
	// 4.weight [10 144]
	// 4.bias [10]
	// buffers: 1.running_mean 1.running_var
	// [2 10]
}

func ExampleMaxPool2D() {
	pool := &nn.MaxPool2D{Kernel: [2]int{2, 2}} // stride defaults to the kernel
	x := ad.From(tensor.Float64.Arange(0, 16, 1).Reshape(1, 1, 4, 4))
	y := pool.Forward(nil, x)
	fmt.Println(y.Shape(), y.Tensor().Data()) // the bottom-right element of each 2×2 block
	avg := &nn.AvgPool2D{Kernel: [2]int{2, 2}}
	fmt.Println(avg.Forward(nil, x).Tensor().Data()) // block means
	fmt.Println(nn.Flatten{}.Forward(nil, y).Shape())
	// Output:
	// [1 1 2 2] [5 7 13 15]
	// [2.5 4.5 10.5 12.5]
	// [1 4]
}

// A compiled training step: the parameters are inputs of the program
// (Bind), so that each run reads their current values; the optimizer
// updates them in place between runs.
func ExampleCtx_Bind() {
	rng := rand.New(rand.NewPCG(1, 2))
	model := nn.Sequential{nn.NewLinear(rng, 3, 4, true), nn.Func(ad.Tanh), nn.NewLinear(rng, 4, 1, true)}
	params := nn.Params(model)
	x := ad.From(tensor.RandN(rng, 16, 3))
	y := ad.From(tensor.RandN(rng, 16, 1))
	n := len(params)
	inputs := make([]ad.Value, n+1)
	for i, p := range params {
		inputs[i] = ad.From(p.T)
	}
	inputs[n] = x
	train := &nn.Ctx{Train: true}
	step := ad.Compile(func(in []ad.Value) []ad.Value {
		loss, grads := ad.ValueAndGrads(func(ps []ad.Value) ad.Value {
			return ad.MSE(model.Forward(train.Bind(params, ps), in[n]), y)
		}, in[:n]...)
		return append([]ad.Value{loss}, grads...)
	}, inputs...)

	opt := optim.NewSGD(params, 0.1)
	for i := range 3 {
		out := step.Run(inputs...)
		eager, _ := train.ValueAndGrads(params, func(c *nn.Ctx) ad.Value { return ad.MSE(model.Forward(c, x), y) })
		fmt.Printf("step %d: compiled and eager losses agree: %v\n", i, math.Abs(out[0].Item()-eager) < 1e-12)
		grads := make([]*tensor.Tensor, n)
		for j := range grads {
			grads[j] = out[1+j].Tensor()
		}
		opt.Step(grads)
	}
	// Output:
	// step 0: compiled and eager losses agree: true
	// step 1: compiled and eager losses agree: true
	// step 2: compiled and eager losses agree: true
}
