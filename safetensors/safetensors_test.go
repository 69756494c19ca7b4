package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// sample returns tensors of both dtypes, with a scalar, an empty tensor and
// the special values a checkpoint must keep bit for bit.
func sample() map[string]*tensor.Tensor {
	return map[string]*tensor.Tensor{
		"b.weight": tensor.RandN(seeded(1), 3, 4),
		"a.bias":   tensor.New([]float64{math.Inf(1), math.Copysign(0, -1), math.NaN(), 5e-324}, 4),
		"a.weight": tensor.Float32.RandN(seeded(2), 2, 3),
		"scale":    tensor.Float32.Scalar(0.1),
		"c32":      tensor.New32([]float32{math.Float32frombits(0x7fa00001), float32(math.Copysign(0, -1)), math.Float32frombits(1)}, 3),
		"empty":    tensor.Zeros(0, 7),
		"z":        tensor.New([]float64{1, 2}, 2, 1),
	}
}

func bits64(t *tensor.Tensor) []uint64 {
	var out []uint64
	if t.DType() == tensor.Float32 {
		for _, v := range t.Data32() {
			out = append(out, uint64(math.Float32bits(v)))
		}
		return out
	}
	for _, v := range t.Data() {
		out = append(out, math.Float64bits(v))
	}
	return out
}

func sameTensor(a, b *tensor.Tensor) bool {
	return a.DType() == b.DType() && slices.Equal(a.Shape(), b.Shape()) && slices.Equal(bits64(a), bits64(b))
}

func TestRoundTrip(t *testing.T) {
	in := sample()
	meta := map[string]string{"format": "pt", "step": "12", "html": "<&>", "unicode": "π\u2028"}
	var buf bytes.Buffer
	if err := Write(&buf, in, meta); err != nil {
		t.Fatal(err)
	}
	f, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != len(in) {
		t.Fatalf("%d entries, want %d", len(f.Entries), len(in))
	}
	for name, want := range in {
		got, err := f.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		if !sameTensor(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	if !mapsEqual(f.Metadata, meta) {
		t.Errorf("metadata %v, want %v", f.Metadata, meta)
	}
	all := f.Tensors()
	if len(all) != len(in) {
		t.Errorf("Tensors has %d, want %d", len(all), len(in))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestLayout checks the written bytes against the format's specification
// with encoding/json, independently of Parse: header length, padding,
// offsets contiguous from 0 in the reference order (descending alignment,
// then name), each tensor aligned to its element size, data little-endian.
func TestLayout(t *testing.T) {
	in := sample()
	var buf bytes.Buffer
	if err := Write(&buf, in, nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	n := binary.LittleEndian.Uint64(b)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	header := b[8 : 8+n]
	if trimmed := bytes.TrimRight(header, " "); len(header)-len(trimmed) >= 8 || trimmed[len(trimmed)-1] != '}' {
		t.Errorf("header %q is not a JSON object padded with fewer than 8 spaces", header)
	}
	var h map[string]struct {
		DType       string    `json:"dtype"`
		Shape       []int     `json:"shape"`
		DataOffsets [2]uint64 `json:"data_offsets"`
	}
	if err := json.Unmarshal(header, &h); err != nil {
		t.Fatal(err)
	}
	if _, ok := h["__metadata__"]; ok {
		t.Error("__metadata__ written for empty metadata")
	}
	// The reference order, spelled out: F64 names sorted, then F32 names sorted.
	order := []string{"a.bias", "b.weight", "empty", "z", "a.weight", "c32", "scale"}
	data := b[8+n:]
	var at uint64
	for _, name := range order {
		e := h[name]
		src := in[name]
		want := map[tensor.DType]string{tensor.Float64: "F64", tensor.Float32: "F32"}[src.DType()]
		if e.DType != want || !slices.Equal(e.Shape, src.Shape()) && !(len(e.Shape) == 0 && src.Rank() == 0) {
			t.Errorf("%s: dtype %s shape %v, want %s %v", name, e.DType, e.Shape, want, src.Shape())
		}
		if e.DataOffsets[0] != at {
			t.Errorf("%s begins at %d, want %d", name, e.DataOffsets[0], at)
		}
		size := uint64(4)
		if want == "F64" {
			size = 8
		}
		if (8+n+e.DataOffsets[0])%size != 0 {
			t.Errorf("%s is not aligned to %d bytes in the file", name, size)
		}
		raw := data[e.DataOffsets[0]:e.DataOffsets[1]]
		for i, v := range src.Float64s() {
			var got float64
			if size == 8 {
				got = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			} else {
				got = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
			}
			if math.Float64bits(got) != math.Float64bits(v) {
				t.Errorf("%s[%d] stored as %v, want %v", name, i, got, v)
			}
		}
		at = e.DataOffsets[1]
	}
	if at != uint64(len(data)) || len(h) != len(order) {
		t.Errorf("data has %d bytes and %d entries, want %d and %d", len(data), len(h), at, len(order))
	}
	// The header lists the tensors in data order, as the reference does.
	var pos []int
	for _, name := range order {
		pos = append(pos, bytes.Index(header, []byte(`"`+name+`":`)))
	}
	if !slices.IsSorted(pos) {
		t.Errorf("header does not list the tensors in data order: %s", header)
	}
}

func TestWritePanics(t *testing.T) {
	for name, tensors := range map[string]map[string]*tensor.Tensor{
		"nil":      {"w": nil},
		"metadata": {"__metadata__": tensor.Zeros(1)},
		"utf8":     {"w\xff": tensor.Zeros(1)},
	} {
		err := tensor.Maybe(func() { Write(&bytes.Buffer{}, tensors, nil) })
		if !errors.Is(err, tensor.ErrArg) || !strings.Contains(err.Error(), "safetensors.Write") {
			t.Errorf("%s: got %v, want ErrArg naming safetensors.Write", name, err)
		}
	}
	err := tensor.Maybe(func() { Write(&bytes.Buffer{}, nil, map[string]string{"k": "\xff"}) })
	if !errors.Is(err, tensor.ErrArg) {
		t.Errorf("bad metadata: got %v, want ErrArg", err)
	}
}

func TestEntryTensorDType(t *testing.T) {
	for _, d := range []DType{BOOL, U8, I8, F8E5M2, F8E4M3, I16, U16, F16, BF16, I32, U32, I64, U64} {
		e := Entry{Name: "x", DType: d, Shape: []int{1}, Data: make([]byte, d.Size())}
		_, err := e.Tensor()
		if !errors.Is(err, ErrDType) || !strings.Contains(err.Error(), d.String()) || !strings.Contains(err.Error(), `"x"`) {
			t.Errorf("%s: got %v, want ErrDType naming the tensor and dtype", d, err)
		}
	}
	if DType(200).String() != "DType(200)" || DType(200).Size() != 0 {
		t.Error("an invalid DType must print as DType(n) and have size 0")
	}
}
