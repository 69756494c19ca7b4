package tensor

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel kinds of programmer error. Every panic raised by chainrule for a
// misuse carries an *Error whose Kind is one of these, so callers can test
// with errors.Is after converting the panic with Maybe.
var (
	// ErrShape reports shapes that do not fit the operation.
	ErrShape = errors.New("shape mismatch")
	// ErrAxis reports an axis or a permutation that is out of range.
	ErrAxis = errors.New("bad axis")
	// ErrDType reports operands of different dtypes mixed without a conversion.
	ErrDType = errors.New("dtype mismatch")
	// ErrIndex reports an element index or a gather index out of range.
	ErrIndex = errors.New("index out of range")
	// ErrGraph reports a value used outside the computation that made it.
	ErrGraph = errors.New("value from another graph")
	// ErrArg reports any other invalid argument (a nil tensor, a bad length).
	ErrArg = errors.New("invalid argument")
)

// Error is the panic value of every programmer error in chainrule. Its message
// names the operation and the shapes involved, e.g.
//
//	chainrule: matmul: shapes (3,4) and (5,2) do not match
type Error struct {
	Kind error  // one of ErrShape, ErrAxis, ErrDType, ErrIndex, ErrGraph, ErrArg
	Op   string // the operation that refused its arguments
	Msg  string // what was wrong, naming shapes where they matter
}

// Error returns "chainrule: op: msg".
func (e *Error) Error() string { return "chainrule: " + e.Op + ": " + e.Msg }

// Unwrap returns the sentinel kind, so errors.Is(err, ErrShape) works.
func (e *Error) Unwrap() error { return e.Kind }

// Panicf panics with an *Error of the given kind for op, its message
// formatted from format and args as by fmt.Sprintf. It is for code built on
// tensor — package ad, and a user's own operations or ad.Custom rules — to
// refuse bad arguments the way chainrule's operations do, so that Maybe and
// errors.Is treat them alike; op should name the operation the caller
// called.
func Panicf(kind error, op, format string, args ...any) {
	panic(&Error{Kind: kind, Op: op, Msg: fmt.Sprintf(format, args...)})
}

// Maybe runs fn and returns the *Error it panicked with, or nil if it returned
// normally. Panics that are not chainrule errors propagate unchanged. It is
// the counterpart of gonum's mat.Maybe.
func Maybe(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(*Error); ok {
				err = e
				return
			}
			panic(r)
		}
	}()
	fn()
	return nil
}

// ShapeString formats a shape the way error messages print it: (3,4), () for
// a scalar.
func ShapeString(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(')')
	return b.String()
}
