package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"strings"
	"testing"
)

// file assembles a safetensors file from a header and data, unpadded.
func file(header string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, data)...)
}

func withLength(n uint64, rest string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

// TestParseRejects feeds Parse truncated, corrupt and hostile files, each
// with one defect, and checks that it returns an ErrFormat error naming the
// defect.
func TestParseRejects(t *testing.T) {
	const ok = `"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}`
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"short length", []byte{1, 2, 3}, "too short"},
		{"hostile length", withLength(1<<63, "{}"), "exceeds the limit"},
		{"max uint64 length", withLength(^uint64(0), "{}"), "exceeds the limit"},
		{"length past the end", withLength(64, "{}"), "exceeds the 2 bytes after it"},
		{"not utf8", file("{\"w\xff\":1}", 0), "UTF-8"},
		{"not json", file("{nope", 0), "not JSON"},
		{"empty header", file("", 0), "does not begin with '{'"},
		{"leading space", file(" {}", 0), "does not begin with '{'"},
		{"not an object", file("[1,2]", 0), "does not begin with"},
		{"entry not an object", file(`{"w":[1]}`, 0), "not a JSON object"},
		{"trailing json", file("{}{}", 0), "after the JSON object"},
		{"truncated json", file(`{"w":{"dtype":"F32"`, 0), "JSON"},
		{"duplicate name", file("{"+ok+","+ok+"}", 8), `duplicate key "w"`},
		{"entry not object", file(`{"w":[1]}`, 0), `tensor "w"`},
		{"unknown dtype", file(`{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, 16), `unknown dtype "F128"`},
		{"dtype not string", file(`{"w":{"dtype":3,"shape":[1],"data_offsets":[0,4]}}`, 4), "dtype is not a string"},
		{"no dtype", file(`{"w":{"shape":[1],"data_offsets":[0,4]}}`, 4), "no dtype"},
		{"no shape", file(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, 4), "no shape"},
		{"null shape", file(`{"w":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, 4), "shape: not an array"},
		{"no offsets", file(`{"w":{"dtype":"F32","shape":[1]}}`, 4), "no data_offsets"},
		{"unknown field", file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"stride":[1]}}`, 4), `unknown field "stride"`},
		{"duplicate field", file(`{"w":{"dtype":"F32","dtype":"F64","shape":[1],"data_offsets":[0,4]}}`, 4), `duplicate key "dtype"`},
		{"negative dim", file(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "-1 is not a non-negative integer"},
		{"fractional dim", file(`{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, 4), "1.5 is not"},
		{"string dim", file(`{"w":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, 4), "is not an integer"},
		{"huge dim", file(`{"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}`, 4), "fits in 64 bits"},
		{"dim past int", file(`{"w":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}}`, 0), "too large"},
		{"size overflow", file(`{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, 0), "overflows"},
		{"size overflow by dtype", file(`{"w":{"dtype":"F64","shape":[2305843009213693952],"data_offsets":[0,0]}}`, 0), "overflows"},
		{"shape vs offsets", file(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), "needs 12 bytes but data_offsets [0,8] hold 8"},
		{"three offsets", file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 8), "has 3 numbers"},
		{"reversed offsets", file(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, 4), "end before they begin"},
		{"offsets past data", file(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8), "beyond the 8 bytes of data"},
		{"huge offsets", file(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[18446744073709551614,18446744073709551615]}}`, 1), "before the first tensor"},
		{"overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), `tensors "a" and "b" overlap`},
		{"same offsets", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4), "overlap"},
		{"gap", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, 12), `gap of 4 bytes between tensors "a" and "b"`},
		{"leading gap", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "4 bytes of data before the first tensor"},
		{"trailing bytes", file("{"+ok+"}", 9), "1 bytes after the last tensor"},
		{"data but no tensors", file("{}", 3), "3 bytes after"},
		{"metadata not object", file(`{"__metadata__":"x"}`, 0), "__metadata__"},
		{"metadata not strings", file(`{"__metadata__":{"epoch":3}}`, 0), `value of "epoch" is not a string`},
		{"metadata duplicate", file(`{"__metadata__":{"a":"1","a":"2"}}`, 0), `duplicate key "a"`},
		{"metadata twice", file(`{"__metadata__":{},"__metadata__":{}}`, 0), "duplicate key"},
	}
	for _, c := range cases {
		f, err := Parse(c.b)
		if err == nil {
			t.Errorf("%s: accepted, with %d entries", c.name, len(f.Entries))
			continue
		}
		if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %q, want an ErrFormat error containing %q", c.name, err, c.want)
		}
	}
}

// TestParseAccepts covers the valid corners: no tensors, zero-size tensors
// sharing an offset, a scalar, white space in the header, data offsets
// listed out of order.
func TestParseAccepts(t *testing.T) {
	cases := []struct {
		name  string
		b     []byte
		names []string
	}{
		{"no tensors", file("{}", 0), nil},
		{"padded", file("{}      ", 0), nil},
		{"metadata only", file(`{"__metadata__":{}}`, 0), nil},
		{"zero sized", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F64","shape":[2,0],"data_offsets":[0,0]}}`, 0), []string{"a", "b"}},
		{"out of order", file(`{"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]}, "a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`, 8), []string{"a", "b"}},
	}
	for _, c := range cases {
		f, err := Parse(c.b)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := f.Names(); len(got) != len(c.names) || len(got) > 0 && strings.Join(got, ",") != strings.Join(c.names, ",") {
			t.Errorf("%s: names %v, want %v", c.name, got, c.names)
		}
	}
}

// TestParseTruncated cuts a valid file at every length and flips every byte
// of its length prefix and header: Parse must return an error (or, for a
// flip that keeps the file valid, a file) and never panic.
func TestParseTruncated(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	for n := 0; n < len(b); n++ {
		if _, err := Parse(b[:n]); !errors.Is(err, ErrFormat) {
			t.Fatalf("truncated to %d of %d bytes: got %v, want ErrFormat", n, len(b), err)
		}
	}
	hlen := int(binary.LittleEndian.Uint64(b))
	for i := 0; i < 8+hlen; i++ {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] ^= x
			Parse(c)
		}
	}
}

// TestHostileLengthAllocatesNothing gives Parse a 10-byte file whose
// header length claims the largest header allowed: it must refuse without
// allocating anything near that.
func TestHostileLengthAllocatesNothing(t *testing.T) {
	b := withLength(MaxHeaderSize, "{}")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Parse(b)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrFormat) {
		t.Fatalf("got %v, want ErrFormat", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<16 {
		t.Errorf("refusing a hostile header length allocated %d bytes", n)
	}
	if _, err := Read(bytes.NewReader(b)); !errors.Is(err, ErrFormat) {
		t.Errorf("Read: got %v, want ErrFormat", err)
	}
}

func TestLoadErrorsNamePath(t *testing.T) {
	_, err := Load("testdata/does-not-exist.safetensors")
	if err == nil || !strings.Contains(err.Error(), "does-not-exist") {
		t.Errorf("missing file: %v", err)
	}
	path := t.TempDir() + "/bad.safetensors"
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "bad.safetensors") {
		t.Errorf("empty file: %v", err)
	}
}
