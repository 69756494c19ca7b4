package optim_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// TestDefaults checks the constructors' defaults against torch.optim's,
// recorded by gen.py from the optimizers' .defaults.
func TestDefaults(t *testing.T) {
	var r struct {
		Defaults map[string]map[string]any `json:"defaults"`
	}
	loadJSON(t, &r)
	ps := optim.Named(tensor.Zeros(1))
	check := func(opt, key string, got any) {
		t.Helper()
		want := r.Defaults[opt][strings.TrimSuffix(key, "2")]
		if b, ok := want.([]any); ok {
			want = b[0].(float64)
			if strings.HasSuffix(key, "2") {
				want = b[1].(float64)
			}
		}
		if n, ok := want.(float64); ok {
			if g, _ := got.(float64); g != n {
				t.Errorf("%s %s: default %v, torch %v", opt, key, got, want)
			}
			return
		}
		if got != want {
			t.Errorf("%s %s: default %v, torch %v", opt, key, got, want)
		}
	}
	s := optim.NewSGD(ps, 0.1)
	check("sgd", "momentum", s.Momentum)
	check("sgd", "dampening", s.Dampening)
	check("sgd", "weight_decay", s.WeightDecay)
	check("sgd", "nesterov", s.Nesterov)
	check("sgd", "maximize", s.Maximize)
	for name, a := range map[string]*optim.Adam{"adam": optim.NewAdam(ps), "adamw": &optim.NewAdamW(ps).Adam} {
		check(name, "lr", a.LR)
		check(name, "betas", a.Beta1)
		check(name, "betas2", a.Beta2)
		check(name, "eps", a.Eps)
		check(name, "weight_decay", a.WeightDecay)
		check(name, "amsgrad", a.AMSGrad)
		check(name, "maximize", a.Maximize)
	}
	rm := optim.NewRMSProp(ps)
	check("rmsprop", "lr", rm.LR)
	check("rmsprop", "alpha", rm.Alpha)
	check("rmsprop", "eps", rm.Eps)
	check("rmsprop", "momentum", rm.Momentum)
	check("rmsprop", "weight_decay", rm.WeightDecay)
	check("rmsprop", "centered", rm.Centered)
	check("rmsprop", "maximize", rm.Maximize)
}

// setup is a training problem: the gen.py MLP in dtype d, with the
// parameters as fresh tensors.
type setup struct {
	loss func([]ad.Value) ad.Value
	ps   []optim.Param
	vs   []ad.Value
}

func newSetup(t testing.TB, d tensor.DType) *setup {
	r := loadRef(t)
	s := &setup{loss: mlpLoss(ad.From(newTensor(d, r.X, 8, 3)), ad.From(newTensor(d, r.Y, 8, 2)))}
	for i, n := range r.Names {
		p := optim.Param{Name: n, T: newTensor(d, r.Init[i], r.Shapes[i]...)}
		s.ps = append(s.ps, p)
		s.vs = append(s.vs, ad.From(p.T))
	}
	return s
}

func (s *setup) grads() []*tensor.Tensor {
	gs := ad.Grads(s.loss, s.vs...)
	out := make([]*tensor.Tensor, len(gs))
	for i, g := range gs {
		out[i] = g.Tensor()
	}
	return out
}

// clone returns a setup with copies of s's parameters.
func (s *setup) clone() *setup {
	c := &setup{loss: s.loss}
	for _, p := range s.ps {
		q := optim.Param{Name: p.Name, T: p.T.Clone()}
		c.ps = append(c.ps, q)
		c.vs = append(c.vs, ad.From(q.T))
	}
	return c
}

// configs are optimizers with every option on, made over ps; each
// includes a schedule, and clipping for some.
var configs = []struct {
	name  string
	make  func(ps []optim.Param) optim.Optimizer
	sched optim.Schedule
	clip  float64
}{
	{"sgd", func(ps []optim.Param) optim.Optimizer {
		o := optim.NewSGD(ps, 0.05)
		o.Momentum, o.Dampening, o.WeightDecay = 0.9, 0.1, 0.01
		return o
	}, optim.StepLR{Base: 0.05, StepSize: 3, Gamma: 0.5}, 0},
	{"sgd-nesterov", func(ps []optim.Param) optim.Optimizer {
		o := optim.NewSGD(ps, 0.05)
		o.Momentum, o.Nesterov, o.WeightDecay = 0.9, true, 0.01
		return o
	}, nil, 0.5},
	{"adam-amsgrad", func(ps []optim.Param) optim.Optimizer {
		o := optim.NewAdam(ps)
		o.LR, o.WeightDecay, o.AMSGrad = 0.02, 0.01, true
		return o
	}, optim.SequentialLR{Schedules: []optim.Schedule{optim.LinearLR{Base: 0.02, StartFactor: 0.1, EndFactor: 1, TotalIters: 5},
		optim.CosineAnnealingLR{Base: 0.02, TMax: 15}}, Milestones: []int{5}}, 0.5},
	{"adamw", func(ps []optim.Param) optim.Optimizer {
		o := optim.NewAdamW(ps)
		o.LR, o.WeightDecay = 0.02, 0.1
		return o
	}, optim.CosineAnnealingLR{Base: 0.02, TMax: 20, EtaMin: 0.001}, 0},
	{"adamw-amsgrad", func(ps []optim.Param) optim.Optimizer {
		o := optim.NewAdamW(ps)
		o.LR, o.AMSGrad = 0.02, true
		return o
	}, nil, 0.3},
	{"rmsprop-centered-momentum", func(ps []optim.Param) optim.Optimizer {
		o := optim.NewRMSProp(ps)
		o.Momentum, o.Centered, o.WeightDecay = 0.5, true, 0.01
		return o
	}, optim.LinearLR{Base: 0.01, StartFactor: 0.5, EndFactor: 1, TotalIters: 8}, 0.5},
	{"rmsprop", func(ps []optim.Param) optim.Optimizer { return optim.NewRMSProp(ps) }, nil, 0},
}

// train runs steps from..to-1 of the config's training.
func train(s *setup, o optim.Optimizer, sched optim.Schedule, clip float64, from, to int) {
	for step := from; step < to; step++ {
		g := s.grads()
		if clip > 0 {
			optim.ClipGradNorm(g, clip, 2)
		}
		if sched != nil {
			o.SetLearningRate(sched.LR(step))
		}
		o.Step(g)
	}
}

func bitwiseEqual(t *testing.T, what string, a, b []optim.Param) {
	t.Helper()
	for i := range a {
		x, y := a[i].T.Float64s(), b[i].T.Float64s()
		for k := range x {
			if math.Float64bits(x[k]) != math.Float64bits(y[k]) {
				t.Fatalf("%s: %s[%d] = %v, want %v (bitwise)", what, a[i].Name, k, x[k], y[k])
			}
		}
	}
}

// TestResume: 10 steps, then State into a fresh optimizer over copies of
// the parameters, then 10 more steps, must give exactly (bitwise) the
// parameters of 20 straight steps.
func TestResume(t *testing.T) {
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		for _, c := range configs {
			t.Run(c.name+"/"+d.String(), func(t *testing.T) {
				straight := newSetup(t, d)
				o := c.make(straight.ps)
				train(straight, o, c.sched, c.clip, 0, 20)

				first := newSetup(t, d)
				o1 := c.make(first.ps)
				train(first, o1, c.sched, c.clip, 0, 10)
				state := o1.State()
				// a deep copy, as a checkpoint would hold it
				saved := make(map[string]*tensor.Tensor, len(state))
				for k, v := range state {
					saved[k] = v.Clone()
				}
				resumed := first.clone()
				o2 := c.make(resumed.ps)
				if err := o2.SetState(saved); err != nil {
					t.Fatal(err)
				}
				for _, v := range saved { // SetState must copy
					v.Fill(math.NaN())
				}
				train(resumed, o2, c.sched, c.clip, 10, 20)
				bitwiseEqual(t, "resumed", resumed.ps, straight.ps)

				// and without the state, resuming differs (the test can fail)
				fresh := first.clone()
				o3 := c.make(fresh.ps)
				train(fresh, o3, c.sched, c.clip, 10, 20)
				same := true
				for i := range fresh.ps {
					if !tensor.Equal(fresh.ps[i].T, straight.ps[i].T) {
						same = false
					}
				}
				if same {
					t.Errorf("resuming without state gave the same parameters: the state is not exercised")
				}
			})
		}
	}
}

// TestStateKeys checks the state's names, shapes and dtypes.
func TestStateKeys(t *testing.T) {
	s := newSetup(t, tensor.Float32)
	o := optim.NewAdam(s.ps)
	o.AMSGrad = true
	if st := o.State(); len(st) != 0 {
		t.Fatalf("state before any step: %v", st)
	}
	g := s.grads()
	g[1] = nil
	o.Step(g)
	o.Step(s.grads())
	st := o.State()
	if len(st) != 4*4 {
		t.Errorf("%d entries, want 16", len(st))
	}
	for _, p := range s.ps {
		for _, b := range []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"} {
			v := st[p.Name+"."+b]
			if v == nil || v.DType() != tensor.Float32 || tensor.ShapeString(v.Shape()) != tensor.ShapeString(p.T.Shape()) {
				t.Errorf("%s.%s = %v", p.Name, b, v)
			}
		}
	}
	if n := st["fc1.weight.step"].Item(); n != 2 {
		t.Errorf("fc1.weight step %v, want 2", n)
	}
	if n := st["fc1.bias.step"].Item(); n != 1 {
		t.Errorf("fc1.bias step %v, want 1 (its gradient was nil once)", n)
	}
	// State is a copy
	st["fc1.weight.exp_avg"].Fill(7)
	if o.State()["fc1.weight.exp_avg"].AtFlat(0) == 7 {
		t.Error("State returned the optimizer's own buffer")
	}
}

// TestNilGradient: a nil gradient leaves its parameter and state alone.
func TestNilGradient(t *testing.T) {
	for _, c := range configs {
		s := newSetup(t, tensor.Float64)
		o := c.make(s.ps)
		o.Step(s.grads())
		before := s.ps[2].T.Clone()
		stBefore := o.State()
		g := s.grads()
		g[2] = nil
		o.Step(g)
		if !tensor.Equal(s.ps[2].T, before) {
			t.Errorf("%s: a parameter with a nil gradient changed", c.name)
		}
		st := o.State()
		for k, v := range stBefore {
			if strings.HasPrefix(k, "fc2.weight.") && !tensor.Equal(st[k], v) {
				t.Errorf("%s: state %s changed on a nil gradient", c.name, k)
			}
		}
	}
}

// TestMaximize: maximizing with gradient g is minimizing with −g.
func TestMaximize(t *testing.T) {
	for _, c := range configs {
		a, b := newSetup(t, tensor.Float64), newSetup(t, tensor.Float64)
		oa, ob := c.make(a.ps), c.make(b.ps)
		switch o := oa.(type) {
		case *optim.SGD:
			o.Maximize = true
		case *optim.Adam:
			o.Maximize = true
		case *optim.AdamW:
			o.Maximize = true
		case *optim.RMSProp:
			o.Maximize = true
		}
		for range 5 {
			ga, gb := a.grads(), b.grads()
			for _, g := range ga {
				for i, v := range g.Data() {
					g.Data()[i] = -v
				}
			}
			oa.Step(ga)
			ob.Step(gb)
		}
		bitwiseEqual(t, c.name+" maximize", a.ps, b.ps)
	}
}

// TestStepAllocs: after the first step, a step allocates nothing.
func TestStepAllocs(t *testing.T) {
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		for _, c := range configs {
			s := newSetup(t, d)
			o := c.make(s.ps)
			g := s.grads()
			o.Step(g)
			if n := testing.AllocsPerRun(20, func() { o.Step(g) }); n != 0 {
				t.Errorf("%s %v: %v allocations per step", c.name, d, n)
			}
			if n := testing.AllocsPerRun(20, func() { optim.ClipGradNorm(g, 1e-3, 2) }); n != 0 {
				t.Errorf("ClipGradNorm %v: %v allocations", d, n)
			}
			if c.sched != nil {
				if n := testing.AllocsPerRun(20, func() { o.SetLearningRate(c.sched.LR(7)) }); n != 0 {
					t.Errorf("%s schedule: %v allocations", c.name, n)
				}
			}
		}
	}
}

func panicsWith(t *testing.T, kind error, want []string, f func()) {
	t.Helper()
	err := tensor.Maybe(f)
	if !errors.Is(err, kind) {
		t.Errorf("got %v, want %v", err, kind)
		return
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func TestBadInput(t *testing.T) {
	s := newSetup(t, tensor.Float64)
	good := s.grads()
	for _, c := range configs {
		o := c.make(s.clone().ps)
		opName := map[string]string{"sgd": "optim.SGD", "sgd-nesterov": "optim.SGD", "adam-amsgrad": "optim.Adam",
			"adamw": "optim.AdamW", "adamw-amsgrad": "optim.AdamW", "rmsprop": "optim.RMSProp", "rmsprop-centered-momentum": "optim.RMSProp"}[c.name]
		g := append([]*tensor.Tensor(nil), good...)
		g[2] = tensor.Zeros(2, 4)
		panicsWith(t, tensor.ErrShape, []string{opName, `"fc2.weight"`, "(4,2)", "(2,4)"}, func() { o.Step(g) })
		g[2] = good[2].As(tensor.Float32)
		panicsWith(t, tensor.ErrDType, []string{opName, `"fc2.weight"`}, func() { o.Step(g) })
		panicsWith(t, tensor.ErrArg, []string{opName, "3 gradients for 4"}, func() { o.Step(good[:3]) })
		o.SetLearningRate(-1)
		panicsWith(t, tensor.ErrArg, []string{opName, "learning rate -1"}, func() { o.Step(good) })
		o.SetLearningRate(math.NaN())
		panicsWith(t, tensor.ErrArg, []string{opName, "learning rate NaN"}, func() { o.Step(good) })
	}
	ps := s.clone().ps
	a := optim.NewAdam(ps)
	a.Beta2 = 1
	panicsWith(t, tensor.ErrArg, []string{"optim.Adam", "beta2 1"}, func() { a.Step(good) })
	sg := optim.NewSGD(ps, 0.1)
	sg.Nesterov = true
	panicsWith(t, tensor.ErrArg, []string{"optim.SGD", "Nesterov"}, func() { sg.Step(good) })
	r := optim.NewRMSProp(ps)
	r.Momentum = -0.5
	panicsWith(t, tensor.ErrArg, []string{"optim.RMSProp", "momentum -0.5"}, func() { r.Step(good) })

	panicsWith(t, tensor.ErrArg, []string{"optim.NewAdam", `"w"`, "twice"}, func() {
		optim.NewAdam([]optim.Param{{"w", tensor.Zeros(1)}, {"w", tensor.Zeros(1)}})
	})
	w := tensor.Zeros(2)
	panicsWith(t, tensor.ErrArg, []string{"optim.NewAdamW", `"a" and "b" are the same tensor`}, func() {
		optim.NewAdamW([]optim.Param{{"a", w}, {"b", w}})
	})
	panicsWith(t, tensor.ErrArg, []string{"optim.NewSGD", `"w"`, "nil"}, func() { optim.NewSGD([]optim.Param{{"w", nil}}, 1) })
	panicsWith(t, tensor.ErrArg, []string{"optim.NewRMSProp", "no name"}, func() { optim.NewRMSProp([]optim.Param{{"", tensor.Zeros(1)}}) })
	panicsWith(t, tensor.ErrArg, []string{"optim.ClipGradNorm", "norm type 0"}, func() { optim.ClipGradNorm(good, 1, 0) })
	panicsWith(t, tensor.ErrArg, []string{"optim.ClipGradNorm", "max norm -1"}, func() { optim.ClipGradNorm(good, -1, 2) })
	panicsWith(t, tensor.ErrArg, []string{"optim.StepLR", "step size 0"}, func() { optim.StepLR{Base: 1}.LR(3) })
	panicsWith(t, tensor.ErrArg, []string{"optim.StepLR", "gamma 0"}, func() { optim.StepLR{Base: 1, StepSize: 2}.LR(3) })
	panicsWith(t, tensor.ErrArg, []string{"optim.StepLR", "gamma -0.5"}, func() { optim.StepLR{Base: 1, StepSize: 2, Gamma: -0.5}.LR(0) })
	panicsWith(t, tensor.ErrArg, []string{"optim.CosineAnnealingLR", "negative epoch"}, func() { optim.CosineAnnealingLR{Base: 1, TMax: 3}.LR(-1) })
	panicsWith(t, tensor.ErrArg, []string{"optim.LinearLR", "factors 0 and 1"}, func() { optim.LinearLR{Base: 1, EndFactor: 1, TotalIters: 3}.LR(1) })
	panicsWith(t, tensor.ErrArg, []string{"optim.SequentialLR", "milestones"}, func() {
		optim.SequentialLR{Schedules: []optim.Schedule{optim.StepLR{1, 1, 1}, optim.StepLR{1, 1, 1}, optim.StepLR{1, 1, 1}}, Milestones: []int{3, 3}}.LR(4)
	})
	panicsWith(t, tensor.ErrArg, []string{"optim.SequentialLR", "2 schedules need 1 milestones, have 0"}, func() {
		optim.SequentialLR{Schedules: []optim.Schedule{optim.StepLR{1, 1, 1}, optim.StepLR{1, 1, 1}}}.LR(4)
	})
}

// TestSetStateErrors: bad state returns an error naming the entry and
// changes nothing.
func TestSetStateErrors(t *testing.T) {
	s := newSetup(t, tensor.Float64)
	mk := func() (*optim.Adam, map[string]*tensor.Tensor) {
		o := optim.NewAdam(s.clone().ps)
		o.AMSGrad = true
		o.Step(s.grads())
		return o, o.State()
	}
	cases := []struct {
		name string
		edit func(st map[string]*tensor.Tensor)
		want string
	}{
		{"shape", func(st map[string]*tensor.Tensor) { st["fc1.bias.exp_avg"] = tensor.Zeros(5) }, `"fc1.bias.exp_avg" has shape (5)`},
		{"dtype", func(st map[string]*tensor.Tensor) { st["fc1.bias.exp_avg"] = st["fc1.bias.exp_avg"].As(tensor.Float32) }, `"fc1.bias.exp_avg" is float32`},
		{"unknown", func(st map[string]*tensor.Tensor) { st["fc3.weight.exp_avg"] = tensor.Zeros(1) }, `"fc3.weight.exp_avg"`},
		{"missing", func(st map[string]*tensor.Tensor) { delete(st, "fc2.bias.max_exp_avg_sq") }, `lacks "fc2.bias.max_exp_avg_sq"`},
		{"no step", func(st map[string]*tensor.Tensor) { delete(st, "fc2.bias.step") }, `"fc2.bias" is incomplete`},
		{"bad step", func(st map[string]*tensor.Tensor) { st["fc2.bias.step"] = tensor.Scalar(1.5) }, `"fc2.bias.step" is 1.5`},
		{"step shape", func(st map[string]*tensor.Tensor) { st["fc2.bias.step"] = tensor.Zeros(2) }, `"fc2.bias.step" is not a scalar`},
		{"nil", func(st map[string]*tensor.Tensor) { st["fc2.bias.exp_avg"] = nil }, `"fc2.bias.exp_avg" is nil`},
	}
	for _, c := range cases {
		o, st := mk()
		before := o.State()
		c.edit(st)
		err := o.SetState(st)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "Adam") {
			t.Errorf("%s: error %v, want one mentioning %s", c.name, err, c.want)
			continue
		}
		after := o.State()
		for k, v := range before {
			if !tensor.Equal(after[k], v) {
				t.Errorf("%s: a failed SetState changed %s", c.name, k)
			}
		}
	}
	// an empty state resets the optimizer to fresh
	o, _ := mk()
	if err := o.SetState(nil); err != nil || len(o.State()) != 0 {
		t.Errorf("SetState(nil): %v, state %v", err, o.State())
	}
}
