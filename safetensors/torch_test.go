package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// reference is testdata/mixed.json, written by testdata/gen.py beside
// testdata/mixed.safetensors: the values PyTorch stored, as JSON numbers.
type reference struct {
	Metadata map[string]string
	Order    []string
	Tensors  map[string]struct {
		DType  string
		Shape  []int
		Values []json.RawMessage
	}
}

func loadReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile("testdata/mixed.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	d := json.NewDecoder(bytesReader(b))
	d.UseNumber()
	if err := d.Decode(&ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// TestReadTorchFile reads the file PyTorch's tensors were written to by an
// independent producer (testdata/gen.py) with a dtype of every common kind:
// the float entries convert to tensors equal to PyTorch's values, the
// others keep their raw bytes (checked here by decoding them by hand) and
// refuse to convert with ErrDType.
func TestReadTorchFile(t *testing.T) {
	ref := loadReference(t)
	f, err := Load("testdata/mixed.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Names(), ref.Order) {
		t.Errorf("names %v, want the file order %v", f.Names(), ref.Order)
	}
	if !mapsEqual(f.Metadata, ref.Metadata) {
		t.Errorf("metadata %v, want %v", f.Metadata, ref.Metadata)
	}
	for name, want := range ref.Tensors {
		e, ok := f.Entry(name)
		if !ok {
			t.Fatalf("no entry %q", name)
		}
		if e.DType.String() != want.DType || !slices.Equal(e.Shape, want.Shape) && len(want.Shape)+len(e.Shape) > 0 {
			t.Errorf("%s: %s %v, want %s %v", name, e.DType, e.Shape, want.DType, want.Shape)
			continue
		}
		if len(e.Data) != e.DType.Size()*len(want.Values) {
			t.Errorf("%s: %d bytes for %d values", name, len(e.Data), len(want.Values))
			continue
		}
		x, err := e.Tensor()
		switch e.DType {
		case F64, F32:
			if err != nil {
				t.Fatal(err)
			}
			if wantD := map[DType]tensor.DType{F64: tensor.Float64, F32: tensor.Float32}[e.DType]; x.DType() != wantD {
				t.Errorf("%s: dtype %s, want %s", name, x.DType(), wantD)
			}
			for i, v := range x.Float64s() {
				w, err := strconv.ParseFloat(string(want.Values[i]), 64)
				if err != nil || v != w {
					t.Errorf("%s[%d] = %v, want %v", name, i, v, w)
				}
			}
			continue
		}
		if !errors.Is(err, ErrDType) {
			t.Errorf("%s: converting %s gave %v, want ErrDType", name, e.DType, err)
		}
		for i, v := range want.Values {
			got := rawValue(e.DType, e.Data[i*e.DType.Size():])
			w, err := strconv.ParseFloat(string(v), 64)
			if e.DType == BOOL {
				w, err = map[string]float64{"true": 1, "false": 0}[string(v)], nil
			}
			if err != nil || got != w {
				t.Errorf("%s[%d] = %v, want %s", name, i, got, v)
			}
		}
	}
}

// rawValue decodes one little-endian element of an integer, boolean or
// 16-bit float dtype. (Every integer of the reference data is exact in
// float64.)
func rawValue(d DType, b []byte) float64 {
	switch d {
	case BOOL, U8:
		return float64(b[0])
	case I8:
		return float64(int8(b[0]))
	case I16:
		return float64(int16(binary.LittleEndian.Uint16(b)))
	case I32:
		return float64(int32(binary.LittleEndian.Uint32(b)))
	case I64:
		return float64(int64(binary.LittleEndian.Uint64(b)))
	case BF16:
		return float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16))
	case F16:
		return half(binary.LittleEndian.Uint16(b))
	}
	return math.NaN()
}

// half decodes an IEEE-754 binary16 value (normal and subnormal; the
// reference data has no infinities or NaNs).
func half(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	if exp == 0 {
		return sign * math.Ldexp(frac, -24)
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}
