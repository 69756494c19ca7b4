package tensor

import (
	"math/rand/v2"
	"testing"
)

// Issue 11: invalid dtypes and repeated axes were accepted silently.

// TestInvalidDType checks that every function taking a DType refuses one
// that is neither Float64 nor Float32, naming the function, instead of
// making a tensor of zeros that belongs to no dtype.
func TestInvalidDType(t *testing.T) {
	bad := DType(7)
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		op string
		fn func()
	}{
		{"as", func() { Ones(2).As(bad) }},
		{"as", func() { Float32.Ones(2).As(bad) }},
		{"scalar", func() { bad.Scalar(1) }},
		{"zeros", func() { bad.Zeros(2) }},
		{"ones", func() { bad.Ones(2) }},
		{"full", func() { bad.Full(3, 2) }},
		{"arange", func() { bad.Arange(0, 3, 1) }},
		{"eye", func() { bad.Eye(2) }},
		{"randn", func() { bad.RandN(r, 2) }},
		{"rand", func() { bad.Rand(r, 0, 1, 2) }},
		{"empty", func() { Empty(bad, []int{2}) }},
		{"uninitialized", func() { Uninitialized(bad, []int{2}) }},
	} {
		checkPanic(t, c.op, ErrDType, "chainrule: "+c.op+": unknown dtype DType(7)", c.fn)
	}
	// the valid dtypes still work, and As to the same dtype is the identity
	for _, d := range dtypes {
		x := d.Ones(2)
		if x.As(d) != x || x.As(Float64).DType() != Float64 || x.As(Float32).DType() != Float32 {
			t.Errorf("%s: As misbehaves", d)
		}
	}
}

// TestReductionsRefuseRepeatedAxes checks that an axis given twice (also as
// i and i-rank) panics with ErrAxis, as numpy.sum(x, axis=(0, 0)) and
// torch.sum(x, (0, 0)) refuse it, instead of being reduced once.
func TestReductionsRefuseRepeatedAxes(t *testing.T) {
	x := Ones(2, 3)
	for _, c := range []struct {
		op string
		fn func(*Tensor, []int, bool) *Tensor
	}{{"sum", Sum}, {"max", Max}, {"min", Min}} {
		checkPanic(t, c.op+" (0,0)", ErrAxis, "chainrule: "+c.op+": axis 0 repeated in [0 0] for shape (2,3)", func() { c.fn(x, []int{0, 0}, false) })
		checkPanic(t, c.op+" (1,-1)", ErrAxis, "chainrule: "+c.op+": axis -1 repeated in [1 -1] for shape (2,3)", func() { c.fn(x, []int{1, -1}, true) })
	}
}
