package protocol

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// Save writes what Load reads back, bit for bit; a float32 file written by
// hand (as the harness writes one) loads as the same values.
func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	want := []float64{1.5, -0, math.Inf(1), 1e-310, math.Pi}
	a, err := Save(filepath.Join(dir, "case"), "grad", want)
	if err != nil {
		t.Fatal(err)
	}
	if a.DType != "float64" || len(a.Shape) != 1 || a.Shape[0] != len(want) {
		t.Fatalf("described as %+v", a)
	}
	in, err := Load(a)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range want {
		if math.Float64bits(in.F64[i]) != math.Float64bits(v) {
			t.Errorf("element %d: %v, want %v", i, in.F64[i], v)
		}
	}

	f32 := []float32{0.25, -3, 7e-40}
	b := make([]byte, 4*len(f32))
	for i, v := range f32 {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	path := filepath.Join(dir, "x.bin")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err = Load(Array{File: path, DType: "float32", Shape: []int{3}})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range f32 {
		if in.F32[i] != v {
			t.Errorf("float32 element %d: %v, want %v", i, in.F32[i], v)
		}
	}
	if _, err := Load(Array{File: path, DType: "int8"}); err == nil {
		t.Error("an unknown dtype loaded without error")
	}
}

func TestParams(t *testing.T) {
	p := Params{"n": 64.0, "lr": 0.01, "labels": []any{1.0, 0.0, 9.0}}
	if p.Int("n") != 64 || p.Float("lr") != 0.01 || len(p.Ints("labels")) != 3 || p.Ints("labels")[2] != 9 || p.Int("missing") != 0 {
		t.Errorf("params read as %d %g %v", p.Int("n"), p.Float("lr"), p.Ints("labels"))
	}
}
