package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/chainrule/chainrule/tensor"
)

// LoadInto loads the safetensors file at path into params, in place, as
// File.LoadInto does. Its errors name path.
func LoadInto(path string, params map[string]*tensor.Tensor) error {
	f, err := Load(path)
	if err != nil {
		return err
	}
	if err := f.LoadInto(params); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// LoadInto copies the file's tensors into params, the existing tensors of a
// model or optimizer keyed by name, in place: the tensors keep their
// identity and only their elements change. Like PyTorch's load_state_dict
// with strict=True, the names must match exactly and every shape must be
// equal; F64 and F32 entries convert to the parameter's dtype, as PyTorch's
// copy does (F64 into float32 rounds).
//
// It checks everything before it copies anything, so on error params are
// unchanged. The error wraps ErrMismatch and names the parameters: missing
// from the file, unexpected in the file, or of another shape; it wraps
// ErrDType for an entry of an integer or 16-bit dtype. It panics with
// tensor.ErrArg for a nil parameter.
func (f *File) LoadInto(params map[string]*tensor.Tensor) error {
	var missing, problems []string
	for name, p := range params {
		if p == nil {
			tensor.Panicf(tensor.ErrArg, "safetensors.LoadInto", "parameter %q is nil", name)
		}
		e, ok := f.Entry(name)
		if !ok {
			missing = append(missing, name)
			continue
		}
		if e.DType != F64 && e.DType != F32 {
			return fmt.Errorf("%w: parameter %q: the file holds it as %s; only F64 and F32 entries load into a tensor", ErrDType, name, e.DType)
		}
		if !slices.Equal(e.Shape, p.Shape()) {
			problems = append(problems, fmt.Sprintf("parameter %q has shape %s but the file's tensor has shape %s",
				name, tensor.ShapeString(p.Shape()), tensor.ShapeString(e.Shape)))
		}
	}
	var unexpected []string
	for _, e := range f.Entries {
		if _, ok := params[e.Name]; !ok {
			unexpected = append(unexpected, e.Name)
		}
	}
	slices.Sort(missing)
	slices.Sort(problems)
	if len(missing) > 0 {
		problems = append(problems, "missing from the file: "+quoteAll(missing))
	}
	if len(unexpected) > 0 {
		problems = append(problems, "unexpected in the file: "+quoteAll(unexpected))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrMismatch, strings.Join(problems, "; "))
	}
	for name, p := range params {
		e, _ := f.Entry(name)
		copyInto(p, e)
	}
	return nil
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// copyInto decodes e's bytes into p's elements, converting the dtype.
func copyInto(p *tensor.Tensor, e Entry) {
	switch {
	case p.DType() == tensor.Float64 && e.DType == F64:
		decode64(p.Data(), e.Data)
	case p.DType() == tensor.Float32 && e.DType == F32:
		decode32(p.Data32(), e.Data)
	case p.DType() == tensor.Float64: // from F32
		d := p.Data()
		for i := range d {
			d[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(e.Data[4*i:])))
		}
	default: // float32 from F64
		d := p.Data32()
		for i := range d {
			d[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(e.Data[8*i:])))
		}
	}
}
