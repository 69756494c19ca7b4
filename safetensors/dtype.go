package safetensors

import (
	"errors"
	"strconv"
)

// DType is the element type of an entry as the safetensors format names it.
// Every dtype of the format parses, so a file with integer or half-precision
// tensors reads; only F64 and F32 convert to a chainrule tensor.
type DType uint8

// The dtypes of the format, in the reference implementation's order of
// increasing alignment (the order Write relies on to keep every tensor
// aligned to its element size).
const (
	BOOL   DType = iota // boolean, one byte (0 or 1)
	U8                  // unsigned 8-bit integer
	I8                  // signed 8-bit integer
	F8E5M2              // 8-bit float, 5 exponent and 2 mantissa bits ("F8_E5M2")
	F8E4M3              // 8-bit float, 4 exponent and 3 mantissa bits ("F8_E4M3")
	I16                 // signed 16-bit integer
	U16                 // unsigned 16-bit integer
	F16                 // IEEE-754 half precision
	BF16                // bfloat16
	I32                 // signed 32-bit integer
	U32                 // unsigned 32-bit integer
	F32                 // IEEE-754 single precision: a tensor.Float32 tensor
	F64                 // IEEE-754 double precision: a tensor.Float64 tensor
	I64                 // signed 64-bit integer
	U64                 // unsigned 64-bit integer
)

const numDTypes = U64 + 1

var dtypeNames = [numDTypes]string{
	BOOL: "BOOL", U8: "U8", I8: "I8", F8E5M2: "F8_E5M2", F8E4M3: "F8_E4M3",
	I16: "I16", U16: "U16", F16: "F16", BF16: "BF16", I32: "I32", U32: "U32",
	F32: "F32", F64: "F64", I64: "I64", U64: "U64",
}

var dtypeSizes = [numDTypes]int{
	BOOL: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1, I16: 2, U16: 2, F16: 2,
	BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
}

// String returns the dtype's name in the format ("F64", "BF16", "F8_E4M3",
// ...), or "DType(n)" for a value that is none of them.
func (d DType) String() string {
	if d < numDTypes {
		return dtypeNames[d]
	}
	return "DType(" + strconv.Itoa(int(d)) + ")"
}

// Size returns the number of bytes of one element, or 0 for a value that is
// not a dtype of the format.
func (d DType) Size() int {
	if d < numDTypes {
		return dtypeSizes[d]
	}
	return 0
}

// parseDType returns the dtype named s in a header.
func parseDType(s string) (DType, bool) {
	for d, name := range dtypeNames {
		if name == s {
			return DType(d), true
		}
	}
	return 0, false
}

// Sentinel errors. Every error this package returns about a file's content
// or its fit to the parameters wraps one of them, so a caller can tell them
// apart with errors.Is; file-system errors wrap the *fs.PathError of package
// os instead.
var (
	// ErrFormat reports a file that is not a valid safetensors file:
	// truncated, corrupt, or hostile (a header too large, offsets out of
	// bounds or overlapping, shapes that do not match the bytes, duplicate
	// names, ...).
	ErrFormat = errors.New("safetensors: invalid file")
	// ErrDType reports an entry whose dtype has no chainrule tensor (any
	// dtype other than F64 and F32).
	ErrDType = errors.New("safetensors: dtype not convertible")
	// ErrMismatch reports a valid file that does not fit the tensors it is
	// loaded into: a missing or unexpected name, or a different shape.
	ErrMismatch = errors.New("safetensors: file does not match the parameters")
)
