package safetensors_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/chainrule/chainrule/safetensors"
	"github.com/chainrule/chainrule/tensor"
)

// Write and Read round-trip tensors of both dtypes and the metadata through
// the format, in memory.
func Example() {
	var buf bytes.Buffer
	err := safetensors.Write(&buf, map[string]*tensor.Tensor{
		"weight": tensor.New([]float64{1, 2, 3, 4, 5, 6}, 2, 3),
		"bias":   tensor.New32([]float32{0.5, -0.5}, 2),
	}, map[string]string{"format": "pt"})
	if err != nil {
		panic(err)
	}
	f, err := safetensors.Read(&buf)
	if err != nil {
		panic(err)
	}
	for _, e := range f.Entries {
		fmt.Println(e.Name, e.DType, e.Shape, len(e.Data), "bytes")
	}
	w, _ := f.Tensor("weight")
	fmt.Println(w)
	fmt.Println(f.Metadata)
	// Output:
	// weight F64 [2 3] 48 bytes
	// bias F32 [2] 8 bytes
	// [[1 2 3]
	//  [4 5 6]]
	// map[format:pt]
}

// Save writes a checkpoint atomically; LoadInto fills a model's parameters
// from it in place, checking names and shapes.
func ExampleLoadInto() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	trained := map[string]*tensor.Tensor{
		"linear.weight": tensor.New([]float64{1, 2, 3, 4}, 2, 2),
		"linear.bias":   tensor.New([]float64{0.5, -1}, 2),
	}
	if err := safetensors.Save(path, trained, map[string]string{"step": "100"}); err != nil {
		panic(err)
	}

	fresh := map[string]*tensor.Tensor{
		"linear.weight": tensor.Zeros(2, 2),
		"linear.bias":   tensor.Zeros(2),
	}
	if err := safetensors.LoadInto(path, fresh); err != nil {
		panic(err)
	}
	fmt.Println(fresh["linear.weight"], fresh["linear.bias"])

	wrong := map[string]*tensor.Tensor{
		"linear.weight": tensor.Zeros(3, 2),
		"linear.bias":   tensor.Zeros(2),
	}
	err := safetensors.LoadInto(path, wrong)
	fmt.Println(errors.Is(err, safetensors.ErrMismatch))
	// Output:
	// [[1 2]
	//  [3 4]] [0.5  -1]
	// true
}

// Parse rejects a corrupt file with an error naming the problem.
func ExampleParse() {
	header := `{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`
	b := append([]byte{byte(len(header)), 0, 0, 0, 0, 0, 0, 0}, header...)
	b = append(b, make([]byte, 8)...)
	_, err := safetensors.Parse(b)
	fmt.Println(err)
	// Output:
	// safetensors: invalid file: tensor "w": shape (3) of F32 needs 12 bytes but data_offsets [0,8] hold 8
}
