package safetensors

import (
	"bytes"
	"os"
	"testing"

	"github.com/chainrule/chainrule/tensor"
)

// FuzzLoad parses arbitrary bytes. Parse must never panic; when it accepts
// a file, every entry's data must have the size its shape and dtype say,
// the float entries must convert, and writing those back and parsing again
// must give the same tensors.
func FuzzLoad(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, sample(), map[string]string{"format": "pt"})
	f.Add(buf.Bytes())
	if b, err := os.ReadFile("testdata/mixed.safetensors"); err == nil {
		f.Add(b)
	}
	f.Add(file("{}", 0))
	f.Add(file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8))
	f.Add(file(`{"__metadata__":{"a":"b"},"w":{"dtype":"BF16","shape":[0,3],"data_offsets":[0,0]}}`, 0))
	f.Add(withLength(1<<62, "{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Parse(b)
		if err != nil {
			return
		}
		floats := map[string]*tensor.Tensor{}
		for _, e := range file.Entries {
			if len(e.Data) != tensor.Size(e.Shape)*e.DType.Size() {
				t.Fatalf("%s: %d bytes for %s of %s", e.Name, len(e.Data), tensor.ShapeString(e.Shape), e.DType)
			}
			x, err := e.Tensor()
			if e.DType != F64 && e.DType != F32 {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			floats[e.Name] = x
		}
		var out bytes.Buffer
		if err := Write(&out, floats, file.Metadata); err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out.Bytes())
		if err != nil {
			t.Fatalf("the rewritten file does not parse: %v", err)
		}
		for name, x := range floats {
			y, err := again.Tensor(name)
			if err != nil || !sameTensor(x, y) {
				t.Fatalf("%s changed in the round trip: %v, %v", name, y, err)
			}
		}
	})
}
