package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"testing"

	nlp "github.com/nlpodyssey/safetensors"

	"github.com/chainrule/chainrule/tensor"
)

// The independent implementation these tests check against is
// github.com/nlpodyssey/safetensors, a Go port of the reference (Rust)
// implementation, used in tests only.

// TestIndependentReader reads a file written by Write with the independent
// reader and compares every tensor's dtype, shape and bytes with the values
// written, and the metadata.
func TestIndependentReader(t *testing.T) {
	in := sample()
	meta := map[string]string{"format": "pt", "epoch": "3"}
	var buf bytes.Buffer
	if err := Write(&buf, in, meta); err != nil {
		t.Fatal(err)
	}
	st, err := nlp.Deserialize(buf.Bytes())
	if err != nil {
		t.Fatalf("the independent reader rejects the file: %v", err)
	}
	if st.Len() != len(in) {
		t.Fatalf("the independent reader sees %d tensors, want %d", st.Len(), len(in))
	}
	for name, want := range in {
		v, ok := st.Tensor(name)
		if !ok {
			t.Fatalf("the independent reader has no %q", name)
		}
		wantDType := map[tensor.DType]nlp.DType{tensor.Float64: nlp.F64, tensor.Float32: nlp.F32}[want.DType()]
		shape := make([]int, len(v.Shape()))
		for i, d := range v.Shape() {
			shape[i] = int(d)
		}
		if v.DType() != wantDType || !slices.Equal(shape, want.Shape()) {
			t.Errorf("%s: independent reader sees %s %v, want %s %v", name, v.DType(), shape, wantDType, want.Shape())
			continue
		}
		var got []uint64
		for i := 0; i < len(v.Data()); i += int(wantDType.Size()) {
			if wantDType == nlp.F64 {
				got = append(got, binary.LittleEndian.Uint64(v.Data()[i:]))
			} else {
				got = append(got, uint64(binary.LittleEndian.Uint32(v.Data()[i:])))
			}
		}
		if !slices.Equal(got, bits64(want)) {
			t.Errorf("%s: independent reader sees bits %x, want %x", name, got, bits64(want))
		}
	}
	_, md, err := nlp.ReadMetadata(buf.Bytes())
	if err != nil || !mapsEqual(md.Metadata(), meta) {
		t.Errorf("independent reader sees metadata %v (%v), want %v", md.Metadata(), err, meta)
	}
}

// view adapts a chainrule tensor to the independent writer.
type view struct{ t *tensor.Tensor }

func (v view) DType() nlp.DType {
	if v.t.DType() == tensor.Float32 {
		return nlp.F32
	}
	return nlp.F64
}

func (v view) Shape() []uint64 {
	s := make([]uint64, v.t.Rank())
	for i, d := range v.t.Shape() {
		s[i] = uint64(d)
	}
	return s
}

func (v view) Data() []byte {
	var b []byte
	for _, x := range v.t.Float64s() {
		if v.t.DType() == tensor.Float32 {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(x)))
		} else {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
	}
	return b
}

func (v view) DataLen() uint64 { return uint64(len(v.Data())) }

// TestSameBytesAsIndependentWriter checks that Write produces exactly the
// bytes of the independent writer. That writer lists the header's keys in
// sorted order where the reference lists them in data order, so the tensors
// are chosen to make the two orders agree (all F64 names sort before all
// F32 names, and lower-case names sort after "__metadata__").
func TestSameBytesAsIndependentWriter(t *testing.T) {
	in := map[string]*tensor.Tensor{
		"enc.bias":   tensor.RandN(seeded(3), 5),
		"enc.weight": tensor.RandN(seeded(4), 5, 3),
		"head":       tensor.New([]float64{math.Inf(-1), math.NaN(), math.Copysign(0, -1)}, 3),
		"x32.a":      tensor.Float32.RandN(seeded(5), 2, 2),
		"x32.b":      tensor.Float32.RandN(seeded(6), 7),
		"x32.empty":  tensor.Float32.Zeros(2, 0),
	}
	for _, meta := range []map[string]string{nil, {"format": "pt", "a/b": "<x & y>"}} {
		var ours bytes.Buffer
		if err := Write(&ours, in, meta); err != nil {
			t.Fatal(err)
		}
		views := map[string]view{}
		for k, v := range in {
			views[k] = view{v}
		}
		theirs, err := nlp.Serialize(views, meta)
		if err != nil {
			t.Fatal(err)
		}
		// The independent writer escapes <, > and & as JSON allows; the
		// reference (serde_json) does not, nor does Write. Undo it to compare.
		theirs = bytes.ReplaceAll(theirs, []byte(`\u003c`), []byte("<"))
		theirs = bytes.ReplaceAll(theirs, []byte(`\u003e`), []byte(">"))
		theirs = bytes.ReplaceAll(theirs, []byte(`\u0026`), []byte("&"))
		if meta != nil {
			// The unescaping shortened the header by 15 bytes: repad it.
			n := binary.LittleEndian.Uint64(theirs)
			h := bytes.TrimRight(theirs[8:8+n-15], " ")
			pad := (8 - len(h)%8) % 8
			fixed := binary.LittleEndian.AppendUint64(nil, uint64(len(h)+pad))
			fixed = append(fixed, h...)
			fixed = append(fixed, bytes.Repeat([]byte(" "), pad)...)
			theirs = append(fixed, theirs[8+n-15:]...)
		}
		if !bytes.Equal(ours.Bytes(), theirs) {
			t.Errorf("metadata %v: bytes differ from the independent writer's\nours:   %q\ntheirs: %q", meta, ours.Bytes()[:64], theirs[:64])
		}
	}
}

// TestReadIndependentWriter reads a file of every dtype written by the
// independent writer.
func TestReadIndependentWriter(t *testing.T) {
	raw := func(d nlp.DType, shape []uint64, n int) nlp.TensorView {
		b := make([]byte, n*int(d.Size()))
		for i := range b {
			b[i] = byte(i*7 + int(d))
		}
		v, err := nlp.NewTensorView(d, shape, b)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	views := map[string]nlp.TensorView{
		"f64": raw(nlp.F64, []uint64{2, 3}, 6), "f32": raw(nlp.F32, []uint64{4}, 4),
		"f16": raw(nlp.F16, []uint64{3}, 3), "bf16": raw(nlp.BF16, []uint64{1, 1}, 1),
		"i64": raw(nlp.I64, []uint64{2}, 2), "u64": raw(nlp.U64, []uint64{1}, 1),
		"i32": raw(nlp.I32, []uint64{5}, 5), "u32": raw(nlp.U32, []uint64{2}, 2),
		"i16": raw(nlp.I16, []uint64{3}, 3), "u16": raw(nlp.U16, []uint64{1}, 1),
		"i8": raw(nlp.I8, []uint64{3}, 3), "u8": raw(nlp.U8, []uint64{9}, 9),
		"bool": raw(nlp.BOOL, []uint64{2}, 2),
	}
	b, err := nlp.Serialize(views, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Entries) != len(views) || f.Metadata["k"] != "v" {
		t.Fatalf("%d entries and metadata %v", len(f.Entries), f.Metadata)
	}
	for name, v := range views {
		e, ok := f.Entry(name)
		if !ok {
			t.Fatalf("no %q", name)
		}
		if e.DType.String() != v.DType().String() || e.DType.Size() != int(v.DType().Size()) || !bytes.Equal(e.Data, v.Data()) {
			t.Errorf("%s: read %s %v, want %s", name, e.DType, e.Shape, v.DType())
		}
	}
	x, err := f.Tensor("f64")
	if err != nil {
		t.Fatal(err)
	}
	for i, got := range x.Data() {
		if want := math.Float64frombits(binary.LittleEndian.Uint64(views["f64"].Data()[8*i:])); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("f64[%d] = %v, want %v", i, got, want)
		}
	}
}
