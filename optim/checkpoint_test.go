package optim_test

import (
	"path/filepath"
	"testing"

	"github.com/chainrule/chainrule/safetensors"
	"github.com/chainrule/chainrule/tensor"
)

// TestResumeFromCheckpoint is TestResume through files: 10 steps; the
// parameters and the optimizer's state saved as safetensors checkpoints
// (model and optimizer, as PyTorch users save two state dicts); both
// loaded into fresh objects (the parameters with LoadInto, over a fresh
// model's initial values); 10 more steps — bitwise equal to 20 straight
// steps.
func TestResumeFromCheckpoint(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []tensor.DType{tensor.Float64, tensor.Float32} {
		for _, c := range configs {
			t.Run(c.name+"/"+d.String(), func(t *testing.T) {
				straight := newSetup(t, d)
				train(straight, c.make(straight.ps), c.sched, c.clip, 0, 20)

				first := newSetup(t, d)
				o1 := c.make(first.ps)
				train(first, o1, c.sched, c.clip, 0, 10)
				model := map[string]*tensor.Tensor{}
				for _, p := range first.ps {
					model[p.Name] = p.T
				}
				modelPath := filepath.Join(dir, c.name+d.String()+".model.safetensors")
				optimPath := filepath.Join(dir, c.name+d.String()+".optim.safetensors")
				if err := safetensors.Save(modelPath, model, nil); err != nil {
					t.Fatal(err)
				}
				if err := safetensors.Save(optimPath, o1.State(), nil); err != nil {
					t.Fatal(err)
				}

				resumed := newSetup(t, d) // initial values, overwritten below
				params := map[string]*tensor.Tensor{}
				for _, p := range resumed.ps {
					params[p.Name] = p.T
				}
				if err := safetensors.LoadInto(modelPath, params); err != nil {
					t.Fatal(err)
				}
				f, err := safetensors.Load(optimPath)
				if err != nil {
					t.Fatal(err)
				}
				o2 := c.make(resumed.ps)
				if err := o2.SetState(f.Tensors()); err != nil {
					t.Fatal(err)
				}
				train(resumed, o2, c.sched, c.clip, 10, 20)
				bitwiseEqual(t, "resumed from the checkpoint", resumed.ps, straight.ps)
			})
		}
	}
}
