package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/chainrule/chainrule/tensor"
)

// MaxHeaderSize is the largest JSON header Parse accepts, in bytes: 100 MB,
// the bound of the reference implementation. A larger header length is
// rejected before anything is allocated for it.
const MaxHeaderSize = 100_000_000

// Entry is one tensor of a file as stored: its name, dtype, shape and raw
// little-endian bytes.
type Entry struct {
	Name  string
	DType DType
	Shape []int
	// Data holds the entry's bytes, exactly Size(Shape) * DType.Size() of
	// them. It shares the buffer given to Parse.
	Data []byte
}

// File is a parsed safetensors file: its entries in the order of their
// data in the file, and its __metadata__ (nil if the header has none).
type File struct {
	Metadata map[string]string
	Entries  []Entry
	index    map[string]int
}

// Names returns the names of the entries in file order.
func (f *File) Names() []string {
	names := make([]string, len(f.Entries))
	for i, e := range f.Entries {
		names[i] = e.Name
	}
	return names
}

// Entry returns the entry called name and whether the file has one.
func (f *File) Entry(name string) (Entry, bool) {
	if i, ok := f.index[name]; ok && i < len(f.Entries) && f.Entries[i].Name == name {
		return f.Entries[i], true
	}
	// A File not made by Parse, or whose Entries were rearranged.
	for _, e := range f.Entries {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}

// Tensor returns the entry called name as a new chainrule tensor. It returns
// an error wrapping ErrMismatch if there is no such entry and one wrapping
// ErrDType if its dtype is neither F64 nor F32.
func (f *File) Tensor(name string) (*tensor.Tensor, error) {
	e, ok := f.Entry(name)
	if !ok {
		return nil, fmt.Errorf("%w: no tensor %q in the file", ErrMismatch, name)
	}
	return e.Tensor()
}

// Tensors returns every F64 and F32 entry as a new chainrule tensor, keyed by
// name. Entries of other dtypes (integers, F16, BF16, ...) are left out;
// they remain in Entries.
func (f *File) Tensors() map[string]*tensor.Tensor {
	m := make(map[string]*tensor.Tensor, len(f.Entries))
	for _, e := range f.Entries {
		if e.DType == F64 || e.DType == F32 {
			t, _ := e.Tensor()
			m[e.Name] = t
		}
	}
	return m
}

// Tensor returns the entry as a new chainrule tensor of dtype Float64 (for
// F64) or Float32 (for F32), decoding its little-endian bytes. It returns an
// error wrapping ErrDType for any other dtype.
func (e Entry) Tensor() (*tensor.Tensor, error) {
	switch e.DType {
	case F64:
		if len(e.Data) != 8*tensor.Size(e.Shape) {
			return nil, fmt.Errorf("%w: tensor %q: %d bytes for shape %s of F64", ErrFormat, e.Name, len(e.Data), tensor.ShapeString(e.Shape))
		}
		v := make([]float64, len(e.Data)/8)
		decode64(v, e.Data)
		return tensor.New(v, e.Shape...), nil
	case F32:
		if len(e.Data) != 4*tensor.Size(e.Shape) {
			return nil, fmt.Errorf("%w: tensor %q: %d bytes for shape %s of F32", ErrFormat, e.Name, len(e.Data), tensor.ShapeString(e.Shape))
		}
		v := make([]float32, len(e.Data)/4)
		decode32(v, e.Data)
		return tensor.New32(v, e.Shape...), nil
	}
	return nil, fmt.Errorf("%w: tensor %q is %s; only F64 and F32 entries convert to a chainrule tensor", ErrDType, e.Name, e.DType)
}

func decode64(dst []float64, b []byte) {
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
}

func decode32(dst []float32, b []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// Load reads and parses the safetensors file at path. Its errors name the
// path; a file that is not valid safetensors gives one wrapping ErrFormat.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// Read reads r to its end and parses what it read as a safetensors file.
func Read(r io.Reader) (*File, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	return Parse(b)
}

// Parse parses a whole safetensors file held in b. The entries' Data share
// b. It validates everything and returns an error wrapping ErrFormat, naming
// the problem, for a file that is truncated, corrupt or hostile: a header
// length beyond MaxHeaderSize or the file, a header that is not a UTF-8 JSON
// object (beginning with '{' and followed by nothing but spaces), a duplicate name or key, an unknown dtype or field, a shape whose
// byte size overflows or differs from its data_offsets, offsets out of
// bounds, overlapping or leaving a gap, or bytes after the last tensor. It
// never panics.
func Parse(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, formatErr("file of %d bytes is too short for the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderSize {
		return nil, formatErr("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(len(b)-8) {
		return nil, formatErr("header length %d exceeds the %d bytes after it (truncated file?)", n, len(b)-8)
	}
	header, data := b[8:8+n], b[8+n:]
	if !utf8.Valid(header) {
		return nil, formatErr("header is not valid UTF-8")
	}
	if len(header) == 0 || header[0] != '{' {
		return nil, formatErr("header does not begin with '{'")
	}
	keys, values, err := object(header)
	if err != nil {
		return nil, formatErr("header: %v", err)
	}
	f := &File{index: make(map[string]int, len(keys))}
	type span struct{ begin, end uint64 }
	spans := make([]span, 0, len(keys))
	for i, name := range keys {
		if name == "__metadata__" {
			if f.Metadata, err = parseMetadata(values[i]); err != nil {
				return nil, formatErr("__metadata__: %v", err)
			}
			continue
		}
		e, s, err := parseEntry(name, values[i])
		if err != nil {
			return nil, formatErr("tensor %q: %v", name, err)
		}
		f.index[name] = len(f.Entries)
		f.Entries = append(f.Entries, e)
		spans = append(spans, span{s[0], s[1]})
	}
	// Put the entries in data order, then check that they tile the data:
	// the first begins at 0, each begins where the previous one ends, and
	// the last ends at the end of the file.
	order := make([]int, len(f.Entries))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		if c := cmpU64(spans[i].begin, spans[j].begin); c != 0 {
			return c
		}
		return cmpU64(spans[i].end, spans[j].end)
	})
	var at uint64
	prev := ""
	entries := make([]Entry, len(order))
	for k, i := range order {
		e, s := f.Entries[i], spans[i]
		switch {
		case s.begin < at:
			return nil, formatErr("tensors %q and %q overlap: data_offsets of %q begin at %d, before %d", prev, e.Name, e.Name, s.begin, at)
		case s.begin > at && k == 0:
			return nil, formatErr("%d bytes of data before the first tensor %q", s.begin, e.Name)
		case s.begin > at:
			return nil, formatErr("gap of %d bytes between tensors %q and %q", s.begin-at, prev, e.Name)
		case s.end > uint64(len(data)):
			return nil, formatErr("tensor %q: data_offsets [%d,%d] beyond the %d bytes of data (truncated file?)", e.Name, s.begin, s.end, len(data))
		}
		e.Data = data[s.begin:s.end:s.end]
		entries[k] = e
		f.index[e.Name] = k
		at, prev = s.end, e.Name
	}
	f.Entries = entries
	if at != uint64(len(data)) {
		return nil, formatErr("%d bytes after the last tensor's data", uint64(len(data))-at)
	}
	return f, nil
}

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrFormat}, args...)...)
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// object splits the JSON object in b into its keys and raw values, in order,
// and rejects duplicate keys (which encoding/json would silently merge) and
// anything after the object but white space.
func object(b []byte) ([]string, []json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, fmt.Errorf("not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("not a JSON object")
	}
	var keys []string
	var values []json.RawMessage
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("not JSON: %v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("not JSON: key %v", tok)
		}
		if seen[key] {
			return nil, nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("value of %q is not JSON: %v", key, err)
		}
		keys = append(keys, key)
		values = append(values, v)
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, nil, fmt.Errorf("not JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("data after the JSON object")
	}
	return keys, values, nil
}

func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	keys, values, err := object(raw)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(keys))
	for i, k := range keys {
		var s string
		if err := json.Unmarshal(values[i], &s); err != nil {
			return nil, fmt.Errorf("value of %q is not a string", k)
		}
		m[k] = s
	}
	return m, nil
}

// parseEntry parses one tensor's description and checks that its shape
// fits its data_offsets, with overflow checks.
func parseEntry(name string, raw json.RawMessage) (Entry, [2]uint64, error) {
	var offsets [2]uint64
	keys, values, err := object(raw)
	if err != nil {
		return Entry{}, offsets, err
	}
	e := Entry{Name: name}
	var have [3]bool
	for i, k := range keys {
		switch k {
		case "dtype":
			var s string
			if err := json.Unmarshal(values[i], &s); err != nil {
				return Entry{}, offsets, fmt.Errorf("dtype is not a string")
			}
			d, ok := parseDType(s)
			if !ok {
				return Entry{}, offsets, fmt.Errorf("unknown dtype %q", s)
			}
			e.DType, have[0] = d, true
		case "shape":
			dims, err := uints(values[i])
			if err != nil {
				return Entry{}, offsets, fmt.Errorf("shape: %v", err)
			}
			e.Shape = make([]int, len(dims))
			for j, d := range dims {
				if d > math.MaxInt {
					return Entry{}, offsets, fmt.Errorf("shape dimension %d is too large", d)
				}
				e.Shape[j] = int(d)
			}
			have[1] = true
		case "data_offsets":
			o, err := uints(values[i])
			if err != nil {
				return Entry{}, offsets, fmt.Errorf("data_offsets: %v", err)
			}
			if len(o) != 2 {
				return Entry{}, offsets, fmt.Errorf("data_offsets has %d numbers, want 2", len(o))
			}
			if o[0] > o[1] {
				return Entry{}, offsets, fmt.Errorf("data_offsets [%d,%d] end before they begin", o[0], o[1])
			}
			offsets, have[2] = [2]uint64{o[0], o[1]}, true
		default:
			return Entry{}, offsets, fmt.Errorf("unknown field %q", k)
		}
	}
	for i, field := range [3]string{"dtype", "shape", "data_offsets"} {
		if !have[i] {
			return Entry{}, offsets, fmt.Errorf("no %s", field)
		}
	}
	size, ok := byteSize(e.Shape, e.DType.Size())
	if !ok {
		return Entry{}, offsets, fmt.Errorf("the byte size of shape %s of %s overflows", tensor.ShapeString(e.Shape), e.DType)
	}
	if size != offsets[1]-offsets[0] {
		return Entry{}, offsets, fmt.Errorf("shape %s of %s needs %d bytes but data_offsets [%d,%d] hold %d",
			tensor.ShapeString(e.Shape), e.DType, size, offsets[0], offsets[1], offsets[1]-offsets[0])
	}
	return e, offsets, nil
}

// byteSize returns the number of bytes of a tensor of the given shape and
// element size, and false if it overflows uint64 or int.
func byteSize(shape []int, elem int) (uint64, bool) {
	if slices.Contains(shape, 0) {
		return 0, true
	}
	n := uint64(elem)
	for _, d := range shape {
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt {
			return 0, false
		}
		n = lo
	}
	return n, true
}

// uints parses a JSON array of non-negative integers (not null, not
// strings of digits).
func uints(raw json.RawMessage) ([]uint64, error) {
	var items []any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&items); err != nil || items == nil {
		return nil, fmt.Errorf("not an array of integers")
	}
	out := make([]uint64, len(items))
	for i, item := range items {
		s, ok := item.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%v is not an integer", item)
		}
		v, err := strconv.ParseUint(string(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s is not a non-negative integer that fits in 64 bits", s)
		}
		out[i] = v
	}
	return out, nil
}
