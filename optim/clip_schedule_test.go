package optim_test

import (
	"math"
	"testing"

	"github.com/chainrule/chainrule/optim"
	"github.com/chainrule/chainrule/tensor"
)

// TestClipGradNorm compares with the norm of all elements together and
// the scaling min(1, maxNorm/(norm+1e-6)), for several p and both dtypes.
func TestClipGradNorm(t *testing.T) {
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		for _, p := range []float64{2, 1, 3, 0.5, math.Inf(1)} {
			for _, maxNorm := range []float64{0.1, 1e6} {
				gs := []*tensor.Tensor{tensor.RandN(seeded(1), 3, 4).As(d), nil, tensor.RandN(seeded(2), 5).As(d), tensor.RandN(seeded(3)).As(d)}
				var all []float64
				orig := make([][]float64, len(gs))
				for i, g := range gs {
					if g != nil {
						orig[i] = g.Float64s()
						all = append(all, orig[i]...)
					}
				}
				var want float64
				for _, v := range all {
					if math.IsInf(p, 1) {
						want = math.Max(want, math.Abs(v))
					} else {
						want += math.Pow(math.Abs(v), p)
					}
				}
				if !math.IsInf(p, 1) {
					want = math.Pow(want, 1/p)
				}
				got := optim.ClipGradNorm(gs, maxNorm, p)
				if math.Abs(got-want) > 1e-13*want {
					t.Errorf("%v p=%v: norm %v, want %v", d, p, got, want)
				}
				coef := math.Min(1, maxNorm/(want+1e-6))
				tol := 1e-15
				if d == tensor.Float32 {
					tol = 1e-7
				}
				for i, g := range gs {
					if g == nil {
						continue
					}
					for k, v := range g.Float64s() {
						w := orig[i][k] * coef
						if coef == 1 && v != orig[i][k] || math.Abs(v-w) > tol*math.Abs(w) {
							t.Errorf("%v p=%v max %v: grad %d[%d] = %v, want %v", d, p, maxNorm, i, k, v, w)
						}
					}
				}
				// after clipping, the norm is maxNorm (up to the 1e-6)
				if after := optim.ClipGradNorm(gs, 1e9, p); maxNorm < want && math.Abs(after-maxNorm) > 1e-5*maxNorm {
					t.Errorf("%v p=%v: norm after clipping %v, want %v", d, p, after, maxNorm)
				}
			}
		}
	}
}

// TestClipGradNormAliased: a gradient passed twice counts twice in the
// norm but is scaled once.
func TestClipGradNormAliased(t *testing.T) {
	g := tensor.New([]float64{3, 4}, 2)
	n := optim.ClipGradNorm([]*tensor.Tensor{g, g, g.Reshape(2)}, 1, 2)
	if want := math.Sqrt(75); math.Abs(n-want) > 1e-15*want {
		t.Errorf("norm %v, want %v", n, want)
	}
	c := 1 / (math.Sqrt(75) + 1e-6)
	if math.Abs(g.At(0)-3*c) > 1e-16 || math.Abs(g.At(1)-4*c) > 1e-16 {
		t.Errorf("aliased gradient scaled to %v, want %v", g, []float64{3 * c, 4 * c})
	}
}

// TestClipGradNormNonFinite: as in PyTorch, an infinite norm is returned
// and zeroes the finite gradients.
func TestClipGradNormNonFinite(t *testing.T) {
	g := tensor.New([]float64{1, math.Inf(1)}, 2)
	h := tensor.New([]float64{2}, 1)
	n := optim.ClipGradNorm([]*tensor.Tensor{h, g}, 1, 2)
	if !math.IsInf(n, 1) || h.At(0) != 0 {
		t.Errorf("norm %v, finite gradient %v; want +Inf and 0", n, h.At(0))
	}
	g = tensor.New([]float64{1, math.NaN()}, 2)
	if n := optim.ClipGradNorm([]*tensor.Tensor{g}, 1, math.Inf(1)); !math.IsNaN(n) {
		t.Errorf("inf-norm with a NaN: %v, want NaN", n)
	}
}

// The recurrences PyTorch 1.13's schedulers use in step() (get_lr), written
// from torch/optim/lr_scheduler.py; the closed forms must agree with them.
func torchStepLR(base float64, size int, gamma float64, n int) []float64 {
	lr, out := base, []float64{base}
	for e := 1; e < n; e++ {
		if e%size == 0 {
			lr *= gamma
		}
		out = append(out, lr)
	}
	return out
}

func torchCosine(base float64, tmax int, etaMin float64, n int) []float64 {
	lr, out := base, []float64{base}
	T := float64(tmax)
	for e := 1; e < n; e++ {
		E := float64(e)
		if (e-1-tmax)%(2*tmax) == 0 {
			lr += (base - etaMin) * (1 - math.Cos(math.Pi/T)) / 2
		} else {
			lr = (1+math.Cos(math.Pi*E/T))/(1+math.Cos(math.Pi*(E-1)/T))*(lr-etaMin) + etaMin
		}
		out = append(out, lr)
	}
	return out
}

func torchLinear(base, start, end float64, total, n int) []float64 {
	lr := base * start
	out := []float64{lr}
	for e := 1; e < n; e++ {
		if e <= total {
			lr *= 1 + (end-start)/(float64(total)*start+float64(e-1)*(end-start))
		}
		out = append(out, lr)
	}
	return out
}

func TestSchedulesMatchTorchRecurrences(t *testing.T) {
	const n = 200
	cases := []struct {
		name string
		s    optim.Schedule
		want []float64
	}{
		{"step", optim.StepLR{Base: 0.1, StepSize: 7, Gamma: 0.5}, torchStepLR(0.1, 7, 0.5, n)},
		{"cosine", optim.CosineAnnealingLR{Base: 0.1, TMax: 30, EtaMin: 1e-3}, torchCosine(0.1, 30, 1e-3, n)},
		{"cosine0", optim.CosineAnnealingLR{Base: 1, TMax: 10}, torchCosine(1, 10, 0, n)},
		{"linear", optim.LinearLR{Base: 0.1, StartFactor: 1.0 / 3, EndFactor: 1, TotalIters: 5}, torchLinear(0.1, 1.0/3, 1, 5, n)},
		{"linear-decay", optim.LinearLR{Base: 0.1, StartFactor: 1, EndFactor: 0.1, TotalIters: 50}, torchLinear(0.1, 1, 0.1, 50, n)},
	}
	// warm-up then cosine, as SequentialLR: the second schedule restarts
	seq := torchLinear(0.1, 0.1, 1, 10, 10)
	seq = append(seq, torchCosine(0.1, 40, 0, n-10)...)
	cases = append(cases, struct {
		name string
		s    optim.Schedule
		want []float64
	}{"sequential", optim.SequentialLR{Schedules: []optim.Schedule{
		optim.LinearLR{Base: 0.1, StartFactor: 0.1, EndFactor: 1, TotalIters: 10},
		optim.CosineAnnealingLR{Base: 0.1, TMax: 40}}, Milestones: []int{10}}, seq})
	for _, c := range cases {
		for e, w := range c.want {
			got := c.s.LR(e)
			// the recurrences accumulate rounding; near a zero of the
			// cosine, compare absolutely against the base rate
			if math.Abs(got-w) > 1e-12*math.Max(math.Abs(w), 1e-3) {
				t.Errorf("%s epoch %d: closed form %v, torch's recurrence %v", c.name, e, got, w)
				break
			}
		}
	}
}
