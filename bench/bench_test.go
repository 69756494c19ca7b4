package main

import (
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/tensor"
)

func TestSummarize(t *testing.T) {
	s := summarize([]float64{5, 1, 3, 2, 4})
	if s != (summary{Median: 3, Min: 1, Max: 5}) {
		t.Errorf("odd count: %+v", s)
	}
	if s := summarize([]float64{4, 1, 3, 2}); s.Median != 2.5 {
		t.Errorf("even count: median %g, want 2.5", s.Median)
	}
}

func TestCompare(t *testing.T) {
	want := outputs{"grad": {1, -100, 0}, "value": {7}}
	if e, err := compare(outputs{"grad": {1, -100, 1e-6}}, want); err != nil || math.Abs(e-1e-8) > 1e-20 {
		t.Errorf("relative to the largest element: %g, %v; want 1e-8", e, err)
	}
	if _, err := compare(outputs{"hess": {1}}, want); err == nil {
		t.Error("no shared output: want an error")
	}
	if _, err := compare(outputs{"grad": {1, 2}}, want); err == nil {
		t.Error("length mismatch: want an error")
	}
	if _, err := compare(outputs{"grad": {1, math.NaN(), 0}}, want); err == nil {
		t.Error("NaN mismatch: want an error")
	}
}

func TestArrayRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		x := d.RandN(seeded(1), 3, 4)
		a, err := writeArray(filepath.Join(dir, d.String()+".bin"), x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readArray(a)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range x.Float64s() {
			if got[i] != v {
				t.Fatalf("%s element %d: %g, want %g", d, i, got[i], v)
			}
		}
	}
}

func TestHandGoAgainstChainrule(t *testing.T) {
	// every quick case's hand-written implementation agrees with chainrule
	for _, w := range workloads {
		if w.Name == "W7" {
			continue
		}
		for _, c := range w.Build(true) {
			if c.Special != nil { // measures itself (W3-ORT): nothing to compare
				continue
			}
			want := c.Impls[0].Outputs()
			for _, im := range c.Impls[1:] {
				e, err := compare(im.Outputs(), want)
				if err != nil || e > tolerance(c.DType) {
					t.Errorf("%s %s: relative error %g, %v", c.Name, im.Name, e, err)
				}
			}
		}
	}
}

func TestRunCaseVerifiesBeforeTiming(t *testing.T) {
	ops := map[string]int{}
	impl := func(name string, grad []float64) Impl {
		return Impl{Name: name, Op: func() { ops[name]++ }, Outputs: func() outputs { return outputs{"grad": grad} }}
	}
	c := &Case{Name: "T", Workload: "T", DType: tensor.Float64, Impls: []Impl{
		impl("chainrule", []float64{1, 2, 3}),
		impl("hand-go", []float64{1, 2, 3 + 1e-9}),
		impl("hand-go/wrong", []float64{1, 2, 3.1}),
	}}
	cfg := &config{rounds: 3, roundTime: time.Millisecond, peers: []string{"hand-go"}}
	rows := runCase(c, cfg, nil, t.TempDir())
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	for i, want := range []string{statusOK, statusOK, "FAILED-VERIFY"} {
		if rows[i].Status != want {
			t.Errorf("%s: status %q (%s), want %q", rows[i].Impl, rows[i].Status, rows[i].Reason, want)
		}
	}
	if len(rows[1].Rounds) != 3 || rows[1].Ratio <= 0 {
		t.Errorf("hand-go: %d rounds, ratio %g", len(rows[1].Rounds), rows[1].Ratio)
	}
	if ops["hand-go/wrong"] != 0 || len(rows[2].Rounds) != 0 {
		t.Errorf("a failed verification was timed: %d ops", ops["hand-go/wrong"])
	}
}

// BenchmarkW3 times one W3 training step (full size) in chainrule, eager
// and compiled, in both dtypes: the profile target for the MLP path.
func BenchmarkW3(b *testing.B) {
	for _, d := range []tensor.DType{tensor.Float32, tensor.Float64} {
		s := newMLPSetup(false, d)
		step, _ := s.chainruleStep()
		cstep, _ := s.compiledStep()
		b.Run("eager/"+dtypeName(d), func(b *testing.B) {
			for b.Loop() {
				step()
			}
		})
		b.Run("compiled/"+dtypeName(d), func(b *testing.B) {
			for b.Loop() {
				cstep()
			}
		})
	}
}

// Several W3 steps, eager (which recycles the applied gradients' storage)
// and compiled (which donates the old parameters), stay together: after
// them, both give the same loss and gradients.
func TestW3StepsAgree(t *testing.T) {
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		s := newMLPSetup(false, d) // full size: the gradients are large enough to be recycled
		step, grads := s.chainruleStep()
		cstep, cgrads := s.compiledStep()
		for range 5 {
			step()
			cstep()
		}
		e, err := compare(cgrads(), grads())
		if err != nil || e > tolerance(d) {
			t.Errorf("%s: after 5 steps, eager and compiled differ: relative error %g, %v", d, e, err)
		}
	}
}

// BenchmarkW8W9 times one W8 (LeNet-5) and one W9 (transformer encoder
// block) training step at full size in chainrule, eager and compiled: the
// profile targets for the convolution and attention paths.
func BenchmarkW8W9(b *testing.B) {
	s8, s9 := newW8Setup(false), newW9Setup(false)
	for _, c := range []struct {
		name string
		impl Impl
	}{{"W8/eager", s8.eager()}, {"W8/compiled", s8.compiled()}, {"W9/eager", s9.eager()}, {"W9/compiled", s9.compiled()}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.impl.Op()
			}
		})
	}
}

// TestW9Gradients checks the W9 block's gradients at the quick size in
// float64 against central finite differences of the loss, for a few
// elements of every parameter, and that the compiled step's loss and
// gradients are the eager step's after three AdamW steps each.
func TestW9Gradients(t *testing.T) {
	s := newW9Setup(true)
	m := s.model()
	nn.To(m, tensor.Float64)
	params := nn.Params(m)
	x, y := ad.From(s.x.As(tensor.Float64)), ad.From(s.y.As(tensor.Float64))
	lossOf := func() float64 { return s.loss(m, nil, x, y).Item() }
	_, grads := (&nn.Ctx{Train: true}).ValueAndGrads(params, func(c *nn.Ctx) ad.Value { return s.loss(m, c, x, y) })
	for i, p := range params {
		d := p.T.Data()
		for _, j := range []int{0, len(d) / 3, len(d) - 1} {
			old := d[j]
			h := 1e-6 * max(1, math.Abs(old))
			d[j] = old + h
			up := lossOf()
			d[j] = old - h
			down := lossOf()
			d[j] = old
			fd, g := (up-down)/(2*h), grads[i].Data()[j]
			if math.Abs(fd-g) > 1e-6*max(1, math.Abs(fd)) {
				t.Errorf("%s[%d]: gradient %g, finite differences %g", p.Name, j, g, fd)
			}
		}
	}
	eager, compiled := s.eager(), s.compiled()
	for range 3 {
		eager.Op()
		compiled.Op()
	}
	e, err := compare(compiled.Outputs(), eager.Outputs())
	if err != nil || e > tolerance(tensor.Float32) {
		t.Errorf("after 3 steps, eager and compiled W9 differ: relative error %g, %v", e, err)
	}
}
