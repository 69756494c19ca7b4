package main

// A small JSON writer. The output needs an order of keys that follows the
// spec and numbers in Go's shortest round-trip form with the non-finite
// ones spelled as strings, so it is written by hand rather than through
// encoding/json's reflection.

import (
	"bytes"
	"math"
	"strconv"
	"unicode/utf8"
)

// obj is a JSON object with its keys in order.
type obj []field

type field struct {
	key string
	val any
}

// fmtNum formats v in the shortest form that parses back to v: 6.909297426825682,
// 2, 1e-08, NaN, +Inf, -Inf.
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// writeJSON appends v, followed by a newline, to b. v may be an obj, a
// string, a float64, an int, a bool, nil, or a slice of these ([]any,
// []string, []float64, [][]float64, []obj).
func writeJSON(b *bytes.Buffer, v any) {
	writeValue(b, v)
	b.WriteByte('\n')
}

func writeValue(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case float64:
		writeNum(b, v)
	case string:
		writeString(b, v)
	case obj:
		b.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeString(b, f.key)
			b.WriteString(": ")
			writeValue(b, f.val)
		}
		b.WriteByte('}')
	case []any:
		writeList(b, len(v), func(i int) { writeValue(b, v[i]) })
	case []string:
		writeList(b, len(v), func(i int) { writeString(b, v[i]) })
	case []float64:
		writeList(b, len(v), func(i int) { writeNum(b, v[i]) })
	case [][]float64:
		writeList(b, len(v), func(i int) { writeValue(b, v[i]) })
	case []obj:
		writeList(b, len(v), func(i int) { writeValue(b, v[i]) })
	default:
		panic("writeJSON: unsupported type")
	}
}

func writeList(b *bytes.Buffer, n int, elem func(i int)) {
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		elem(i)
	}
	b.WriteByte(']')
}

// writeNum writes v as a JSON number, or as the string "NaN", "Inf" or
// "-Inf", since JSON has no non-finite numbers.
func writeNum(b *bytes.Buffer, v float64) {
	switch {
	case math.IsNaN(v):
		b.WriteString(`"NaN"`)
	case math.IsInf(v, 1):
		b.WriteString(`"Inf"`)
	case math.IsInf(v, -1):
		b.WriteString(`"-Inf"`)
	default:
		b.WriteString(fmtNum(v))
	}
}

// writeString writes s as a JSON string literal.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\r':
				b.WriteString(`\r`)
			case c < 0x20 || c == 0x7f:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(`\ufffd`)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}
