package optim_test

import (
	"fmt"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// rosenbrock is Σ 100·(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², minimal at (1, …, 1).
func rosenbrock(x ad.Value) ad.Value {
	n := x.Shape()[0]
	head, tail := ad.Slice(x, 0, 0, n-1), ad.Slice(x, 0, 1, n)
	return ad.Add(
		ad.Sum(ad.Mul(ad.Scalar(100), ad.Square(ad.Sub(tail, ad.Square(head)))), false),
		ad.Sum(ad.Square(ad.Sub(ad.Scalar(1), head)), false))
}

// Adam minimizes the Rosenbrock function, with the gradient from ad.Grad.
func ExampleAdam() {
	x := tensor.New([]float64{-1.5, 2}, 2)
	opt := optim.NewAdam([]optim.Param{{Name: "x", T: x}})
	opt.LR = 0.02
	xv := ad.From(x) // x is updated in place, so xv follows it
	for range 5000 {
		g := ad.Grad(rosenbrock, xv)
		opt.Step([]*tensor.Tensor{g.Tensor()})
	}
	fmt.Printf("x = %.4f, f(x) < 1e-12: %v\n", x.Data(), rosenbrock(xv).Item() < 1e-12)
	// Output:
	// x = [1.0000 1.0000], f(x) < 1e-12: true
}

// A linear warm-up then cosine annealing, as PyTorch's SequentialLR of a
// LinearLR and a CosineAnnealingLR; set the rate before each step.
func ExampleSequentialLR() {
	const base, warmup, epochs = 0.1, 3, 10
	sched := optim.SequentialLR{
		Schedules: []optim.Schedule{
			optim.LinearLR{Base: base, StartFactor: 0.25, EndFactor: 1, TotalIters: warmup},
			optim.CosineAnnealingLR{Base: base, TMax: epochs - warmup},
		},
		Milestones: []int{warmup},
	}
	for epoch := range epochs {
		fmt.Printf("%.4f ", sched.LR(epoch)) // opt.SetLearningRate(sched.LR(epoch)); train one epoch
	}
	fmt.Println()
	// Output:
	// 0.0250 0.0500 0.0750 0.1000 0.0950 0.0812 0.0611 0.0389 0.0188 0.0050
}

// Training with SGD, momentum and gradient clipping; the optimizer state
// is saved and restored to resume training exactly.
func ExampleSGD() {
	// fit w in y = w·x by least squares
	x := tensor.New([]float64{1, 2, 3, 4}, 4)
	y := tensor.New([]float64{2, 4, 6, 8}, 4)
	w := tensor.New([]float64{0}, 1)
	loss := func(w ad.Value) ad.Value { return ad.MSE(ad.Mul(w, ad.From(x)), ad.From(y)) }
	params := []optim.Param{{Name: "w", T: w}}
	opt := optim.NewSGD(params, 0.02)
	opt.Momentum = 0.9
	wv := ad.From(w)
	step := func(o optim.Optimizer) {
		g := []*tensor.Tensor{ad.Grad(loss, wv).Tensor()}
		optim.ClipGradNorm(g, 5, 2)
		o.Step(g)
	}
	for range 20 {
		step(opt)
	}
	state := opt.State() // e.g. written to a checkpoint beside the parameters
	fmt.Println("state:", state["w.momentum_buffer"].Shape())

	resumed := optim.NewSGD(params, 0.02)
	resumed.Momentum = 0.9
	if err := resumed.SetState(state); err != nil {
		panic(err)
	}
	for range 280 {
		step(resumed)
	}
	fmt.Printf("w = %.4f\n", w.Item())
	// Output:
	// state: [1]
	// w = 2.0000
}

// Clipping two gradients, of global norm √(3²+4²+12²) = 13, to norm 1.
func ExampleClipGradNorm() {
	a := tensor.New([]float64{3, 4}, 2)
	b := tensor.New([]float64{12}, 1)
	norm := optim.ClipGradNorm([]*tensor.Tensor{a, b}, 1, 2)
	fmt.Printf("norm %g, clipped %.4f %.4f\n", norm, a.Data(), b.Data())
	// Output:
	// norm 13, clipped [0.2308 0.3077] [0.9231]
}
