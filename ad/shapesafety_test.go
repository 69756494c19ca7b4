package ad_test

import (
	"testing"

	"github.com/chainrule/chainrule/ad"
	"github.com/chainrule/chainrule/tensor"
)

// Issue 11 at the level of package ad: invalid dtypes and repeated axes are
// refused with chainrule's sentinel errors, under the name of the op the
// user called. hugeshape_test.go has issue 10's shapes.

func TestAsTypeInvalidDType(t *testing.T) {
	x := ad.From(tensor.Ones(3))
	wantPanic(t, "AsType", tensor.ErrDType, "chainrule: astype: unknown dtype DType(7)", func() { ad.AsType(x, tensor.DType(7)) })
	wantPanic(t, "Grad of AsType", tensor.ErrDType, "chainrule: astype: unknown dtype DType(7)", func() {
		ad.Grad(func(x ad.Value) ad.Value { return ad.Sum(ad.AsType(x, tensor.DType(7)), false) }, x)
	})
	// the round trip through float32 keeps a gradient of ones (the
	// derivative of the identity), in float64
	g := ad.Grad(func(x ad.Value) ad.Value {
		return ad.Sum(ad.AsType(ad.AsType(x, tensor.Float32), tensor.Float64), false)
	}, x)
	if g.DType() != tensor.Float64 || !tensor.Equal(g.Tensor(), tensor.Ones(3)) {
		t.Errorf("gradient of the float32 round trip: %v, want float64 ones", g)
	}
}

func TestReductionsRefuseRepeatedAxes(t *testing.T) {
	x := ad.From(tensor.Ones(2, 3))
	for _, c := range []struct {
		name string
		fn   func(ad.Value, bool, ...int) ad.Value
	}{
		{"sum", ad.Sum}, {"mean", ad.Mean}, {"max", ad.Max}, {"min", ad.Min},
		{"prod", ad.Prod}, {"logsumexp", ad.LogSumExp},
	} {
		wantPanic(t, c.name+"(x, 0, 0)", tensor.ErrAxis, "axis 0 repeated in [0 0] for shape (2,3)", func() { c.fn(x, false, 0, 0) })
		wantPanic(t, c.name+"(x, 1, -1)", tensor.ErrAxis, "axis -1 repeated in [1 -1] for shape (2,3)", func() { c.fn(x, true, 1, -1) })
		wantPanic(t, "Grad of "+c.name, tensor.ErrAxis, "repeated", func() {
			ad.Grad(func(x ad.Value) ad.Value { return ad.Sum(c.fn(x, false, 0, 0), false) }, x)
		})
	}
	// the repro names the op
	wantPanic(t, "Sum", tensor.ErrAxis, "chainrule: sum: axis 0 repeated", func() { ad.Sum(x, false, 0, 0) })
}
