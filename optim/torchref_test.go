package optim_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// torchRef is testdata/torch_ref.json, written by testdata/gen.py with
// PyTorch 1.13: 20-step trajectories of torch.optim on a 2-layer tanh MLP.
type torchRef struct {
	TorchVersion string      `json:"torch_version"`
	Names        []string    `json:"names"`
	Shapes       [][]int     `json:"shapes"`
	Init         [][]float64 `json:"init"`
	X            []float64   `json:"x"`
	Y            []float64   `json:"y"`
	Cases        []refCase   `json:"cases"`
}

type refCase struct {
	Name      string         `json:"name"`
	Optimizer string         `json:"optimizer"`
	DType     string         `json:"dtype"`
	Hparams   map[string]any `json:"hparams"`
	Schedule  map[string]any `json:"schedule"`
	Clip      *struct {
		MaxNorm  float64 `json:"max_norm"`
		NormType any     `json:"norm_type"`
	} `json:"clip"`
	Losses []float64   `json:"losses"`
	LRs    []float64   `json:"lrs"`
	Norms  []float64   `json:"norms"`
	Params [][]float64 `json:"params"`
}

func loadRef(t testing.TB) *torchRef {
	t.Helper()
	b, err := os.ReadFile("testdata/torch_ref.json")
	if err != nil {
		t.Fatal(err)
	}
	var r torchRef
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Cases) == 0 {
		t.Fatal("no cases")
	}
	return &r
}

// newTensor returns a tensor of dtype d holding data (float64 values,
// rounded to float32 for a float32 tensor).
func newTensor(d tensor.DType, data []float64, shape ...int) *tensor.Tensor {
	return tensor.New(append([]float64(nil), data...), shape...).As(d)
}

// mlpLoss is gen.py's loss, mean((tanh(x·w1 + b1)·w2 + b2 − y)²).
func mlpLoss(x, y ad.Value) func(ps []ad.Value) ad.Value {
	return func(ps []ad.Value) ad.Value {
		h := ad.Tanh(ad.Add(ad.MatMul(x, ps[0]), ps[1]))
		return ad.MSE(ad.Add(ad.MatMul(h, ps[2]), ps[3]), y)
	}
}

func hp(m map[string]any, key string, def float64) float64 {
	if v, ok := m[key]; ok {
		return v.(float64)
	}
	return def
}

func flag(m map[string]any, key string) bool {
	v, ok := m[key]
	return ok && v.(bool)
}

// buildOptimizer makes the optimizer gen.py made, from torch's keyword
// arguments, with torch's defaults for the others (the constructors'
// defaults are checked by TestDefaults).
func buildOptimizer(t *testing.T, c refCase, ps []optim.Param) optim.Optimizer {
	h := c.Hparams
	switch c.Optimizer {
	case "sgd":
		o := optim.NewSGD(ps, hp(h, "lr", math.NaN()))
		o.Momentum, o.Dampening, o.WeightDecay = hp(h, "momentum", 0), hp(h, "dampening", 0), hp(h, "weight_decay", 0)
		o.Nesterov = flag(h, "nesterov")
		return o
	case "adam", "adamw":
		var o *optim.Adam
		if c.Optimizer == "adam" {
			o = optim.NewAdam(ps)
		} else {
			o = &optim.NewAdamW(ps).Adam
		}
		o.LR, o.Eps, o.WeightDecay = hp(h, "lr", o.LR), hp(h, "eps", o.Eps), hp(h, "weight_decay", o.WeightDecay)
		if b, ok := h["betas"].([]any); ok {
			o.Beta1, o.Beta2 = b[0].(float64), b[1].(float64)
		}
		o.AMSGrad = flag(h, "amsgrad")
		return o
	case "rmsprop":
		o := optim.NewRMSProp(ps)
		o.LR, o.Alpha, o.Eps = hp(h, "lr", o.LR), hp(h, "alpha", o.Alpha), hp(h, "eps", o.Eps)
		o.Momentum, o.WeightDecay, o.Centered = hp(h, "momentum", 0), hp(h, "weight_decay", 0), flag(h, "centered")
		return o
	}
	t.Fatalf("unknown optimizer %q", c.Optimizer)
	return nil
}

func buildSchedule(t *testing.T, s map[string]any, base float64) optim.Schedule {
	if s == nil {
		return nil
	}
	switch s["kind"] {
	case "step":
		return optim.StepLR{Base: base, StepSize: int(hp(s, "step_size", 0)), Gamma: hp(s, "gamma", 0)}
	case "cosine":
		return optim.CosineAnnealingLR{Base: base, TMax: int(hp(s, "t_max", 0)), EtaMin: hp(s, "eta_min", 0)}
	case "linear":
		return optim.LinearLR{Base: base, StartFactor: hp(s, "start_factor", 0), EndFactor: hp(s, "end_factor", 0), TotalIters: int(hp(s, "total_iters", 0))}
	case "warmup_cosine":
		w := int(hp(s, "warmup", 0))
		return optim.SequentialLR{
			Schedules: []optim.Schedule{
				optim.LinearLR{Base: base, StartFactor: hp(s, "start_factor", 0), EndFactor: 1, TotalIters: w},
				optim.CosineAnnealingLR{Base: base, TMax: int(hp(s, "t_max", 0)), EtaMin: hp(s, "eta_min", 0)},
			},
			Milestones: []int{w},
		}
	}
	t.Fatalf("unknown schedule %v", s)
	return nil
}

// relErr returns max|got − want| / max|want| over the elements.
func relErr(got, want []float64) float64 {
	var d, s float64
	for i := range want {
		d = math.Max(d, math.Abs(got[i]-want[i]))
		s = math.Max(s, math.Abs(want[i]))
	}
	return d / s
}

// TestTorchTrajectories runs every case of testdata/torch_ref.json for 20
// steps, with the gradients computed by chainrule's ad (so the test checks
// the gradients and the optimizer together), clipping and the schedule as
// gen.py did, and compares the loss, learning rate, gradient norm and all
// parameters after every step with PyTorch's: to 1e-12 relative in float64
// and 1e-5 in float32 (the learning rate to 1e-13: the schedules are
// closed forms, PyTorch's step() uses recurrences). The relative error of a step's parameters is the
// largest absolute difference over the largest magnitude of PyTorch's.
func TestTorchTrajectories(t *testing.T) {
	r := loadRef(t)
	for _, c := range r.Cases {
		t.Run(c.Name+"/"+c.DType, func(t *testing.T) {
			d, tol := tensor.Float64, 1e-12
			if c.DType == "float32" {
				d, tol = tensor.Float32, 1e-5
			}
			x := ad.From(newTensor(d, r.X, 8, 3))
			y := ad.From(newTensor(d, r.Y, 8, 2))
			loss := mlpLoss(x, y)
			ps := make([]optim.Param, len(r.Names))
			vs := make([]ad.Value, len(r.Names))
			for i, n := range r.Names {
				ps[i] = optim.Param{Name: n, T: newTensor(d, r.Init[i], r.Shapes[i]...)}
				vs[i] = ad.From(ps[i].T)
			}
			opt := buildOptimizer(t, c, ps)
			sched := buildSchedule(t, c.Schedule, opt.LearningRate())
			var worst float64
			for step := range c.Params {
				v, gs := ad.ValueAndGrads(loss, vs...)
				grads := make([]*tensor.Tensor, len(gs))
				for i, g := range gs {
					grads[i] = g.Tensor()
				}
				if e := math.Abs(v.Item()-c.Losses[step]) / c.Losses[step]; e > tol {
					t.Fatalf("step %d: loss %v, torch %v (rel err %.3g)", step, v.Item(), c.Losses[step], e)
				}
				if c.Clip != nil {
					p := math.Inf(1)
					if f, ok := c.Clip.NormType.(float64); ok {
						p = f
					}
					n := optim.ClipGradNorm(grads, c.Clip.MaxNorm, p)
					if e := math.Abs(n-c.Norms[step]) / c.Norms[step]; e > tol {
						t.Fatalf("step %d: gradient norm %v, torch %v (rel err %.3g)", step, n, c.Norms[step], e)
					}
				}
				if sched != nil {
					opt.SetLearningRate(sched.LR(step))
				}
				if e := math.Abs(opt.LearningRate()-c.LRs[step]) / c.LRs[step]; e > 1e-13 {
					t.Fatalf("step %d: learning rate %v, torch %v (rel err %.3g)", step, opt.LearningRate(), c.LRs[step], e)
				}
				opt.Step(grads)
				var got []float64
				for _, p := range ps {
					got = append(got, p.T.Float64s()...)
				}
				e := relErr(got, c.Params[step])
				worst = math.Max(worst, e)
				if e > tol {
					t.Fatalf("step %d: parameters differ from torch's by %.3g relative (tolerance %g)\ngot  %v\nwant %v", step, e, tol, got, c.Params[step])
				}
			}
			t.Logf("worst relative error over %d steps: %.3g", len(c.Params), worst)
		})
	}
}

func TestTorchRefProvenance(t *testing.T) {
	r := loadRef(t)
	if r.TorchVersion[:4] != "1.13" {
		t.Errorf("reference data from torch %s, want 1.13", r.TorchVersion)
	}
	kinds := map[string]bool{}
	for _, c := range r.Cases {
		kinds[fmt.Sprint(c.Optimizer, c.DType)] = true
		if len(c.Params) != 20 {
			t.Errorf("%s: %d steps, want 20", c.Name, len(c.Params))
		}
	}
	for _, o := range []string{"sgd", "adam", "adamw", "rmsprop"} {
		for _, d := range []string{"float64", "float32"} {
			if !kinds[o+d] {
				t.Errorf("no %s %s reference", o, d)
			}
		}
	}
}
