package tensor

import (
	"errors"
	"testing"
)

func TestErrorMessageAndUnwrap(t *testing.T) {
	e := &Error{Kind: ErrAxis, Op: "sum", Msg: "axis 3 out of range"}
	if got, want := e.Error(), "chainrule: sum: axis 3 out of range"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if e.Unwrap() != ErrAxis {
		t.Errorf("Unwrap() = %v, want ErrAxis", e.Unwrap())
	}
	if !errors.Is(e, ErrAxis) {
		t.Error("errors.Is(e, ErrAxis) = false")
	}
	if errors.Is(e, ErrShape) {
		t.Error("errors.Is(e, ErrShape) = true for an ErrAxis error")
	}
}

func TestSentinelsDistinct(t *testing.T) {
	kinds := []error{ErrShape, ErrAxis, ErrDType, ErrIndex, ErrGraph, ErrArg}
	for i, a := range kinds {
		for j, b := range kinds {
			if (i == j) != errors.Is(a, b) {
				t.Errorf("errors.Is(%v, %v) = %v", a, b, errors.Is(a, b))
			}
		}
	}
}

func TestPanicf(t *testing.T) {
	err := Maybe(func() { Panicf(ErrIndex, "gather", "index %d of %s", 7, "(2,3)") })
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Maybe returned %T %v, want *Error", err, err)
	}
	if e.Kind != ErrIndex || e.Op != "gather" || e.Msg != "index 7 of (2,3)" {
		t.Errorf("Panicf made %+v", *e)
	}
	if got, want := err.Error(), "chainrule: gather: index 7 of (2,3)"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestMaybeReturnsNilWhenNoPanic(t *testing.T) {
	ran := false
	if err := Maybe(func() { ran = true }); err != nil {
		t.Errorf("Maybe = %v, want nil", err)
	}
	if !ran {
		t.Error("Maybe did not run fn")
	}
}

func TestMaybePropagatesForeignPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func()
	}{
		{"string", func() { panic("boom") }},
		{"plain error", func() { panic(ErrShape) }}, // a sentinel alone is not an *Error
		{"runtime", func() {
			var s []int
			_ = s[len(s)+1]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("the panic did not propagate through Maybe")
				}
			}()
			err := Maybe(tc.fn)
			t.Errorf("Maybe returned %v instead of panicking", err)
		})
	}
}

func TestShapeString(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  string
	}{
		{nil, "()"},
		{[]int{}, "()"},
		{[]int{3}, "(3)"},
		{[]int{3, 4}, "(3,4)"},
		{[]int{0, 12, 1}, "(0,12,1)"},
		{[]int{-1, 2}, "(-1,2)"},
	} {
		if got := ShapeString(c.shape); got != c.want {
			t.Errorf("ShapeString(%v) = %q, want %q", c.shape, got, c.want)
		}
	}
}
