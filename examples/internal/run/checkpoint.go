package run

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/chainrule/chainrule/nn"
	"github.com/chainrule/chainrule/safetensors"
	"github.com/chainrule/chainrule/tensor"
)

// Optimizer is the part of an optimizer (optim.Adam, optim.AdamW, …) that
// a checkpoint saves and restores.
type Optimizer interface {
	State() map[string]*tensor.Tensor
	SetState(map[string]*tensor.Tensor) error
}

// Checkpoint is what a training program saves to resume bit for bit: the
// model's tensors (under "model.NAME" in the file), the optimizer's state
// ("optim.NAME"), the state of the random source that orders the data,
// and the loop's own state (epoch, step, history …), a value that
// encoding/json stores in the file's metadata. Kind names the model and
// its configuration; Load refuses a checkpoint of another Kind.
type Checkpoint struct {
	Kind  string
	Model nn.Layer
	Optim Optimizer
	Rand  *rand.PCG
	State any // a pointer to a JSON-encodable struct
}

// Save writes the checkpoint to the safetensors file at path, atomically
// (safetensors.Save). It returns an error if the state does not encode or
// the file cannot be written.
func (c *Checkpoint) Save(path string) error {
	ts := map[string]*tensor.Tensor{}
	for name, t := range nn.StateDict(c.Model) {
		ts["model."+name] = t
	}
	for name, t := range c.Optim.State() {
		ts["optim."+name] = t
	}
	rs, err := c.Rand.MarshalBinary()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	st, err := json.Marshal(c.State)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return safetensors.Save(path, ts, map[string]string{
		"kind":  c.Kind,
		"rand":  base64.StdEncoding.EncodeToString(rs),
		"state": string(st),
	})
}

// Load reads the checkpoint at path into c's model, optimizer, random
// source and state. It returns a one-line error naming path for a file
// that cannot be read or is not a safetensors file, a checkpoint of
// another Kind, or tensors, optimizer state or metadata that do not fit;
// the model may then have been changed (the optimizer has not).
func (c *Checkpoint) Load(path string) error {
	f, err := safetensors.Load(path)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	kind, ok := f.Metadata["kind"]
	if !ok {
		return fmt.Errorf("checkpoint %s: not a training checkpoint (no \"kind\" in its metadata)", path)
	}
	if kind != c.Kind {
		return fmt.Errorf("checkpoint %s is of model %q, not %q", path, kind, c.Kind)
	}
	opt := map[string]*tensor.Tensor{}
	for _, name := range f.Names() {
		switch {
		case strings.HasPrefix(name, "model."):
		case strings.HasPrefix(name, "optim."):
			t, err := f.Tensor(name)
			if err != nil {
				return fmt.Errorf("checkpoint %s: %w", path, err)
			}
			opt[strings.TrimPrefix(name, "optim.")] = t
		default:
			return fmt.Errorf("checkpoint %s: unexpected tensor %q", path, name)
		}
	}
	// LoadInto checks that the names are exactly the model's (and the
	// optimizer's, which load into the copies just read).
	all := map[string]*tensor.Tensor{}
	for name, t := range nn.StateDict(c.Model) {
		all["model."+name] = t
	}
	for name, t := range opt {
		all["optim."+name] = t
	}
	if err := f.LoadInto(all); err != nil {
		return fmt.Errorf("checkpoint %s: %s", path, oneLine(err))
	}
	if err := c.Optim.SetState(opt); err != nil {
		return fmt.Errorf("checkpoint %s: optimizer state: %s", path, oneLine(err))
	}
	rs, err := base64.StdEncoding.DecodeString(f.Metadata["rand"])
	if err == nil {
		err = c.Rand.UnmarshalBinary(rs)
	}
	if err != nil {
		return fmt.Errorf("checkpoint %s: random source: %v", path, err)
	}
	if err := json.Unmarshal([]byte(f.Metadata["state"]), c.State); err != nil {
		return fmt.Errorf("checkpoint %s: state: %v", path, err)
	}
	return nil
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
