package tensor_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/chainrule/chainrule/tensor"
)

func ExampleNew() {
	x := tensor.New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	fmt.Println(x.Shape(), x.DType(), x.At(1, 0))
	fmt.Println(x)
	// Output:
	// [2 3] float64 4
	// [[1 2 3]
	//  [4 5 6]]
}

func ExampleTensor_Reshape() {
	x := tensor.Arange(0, 6, 1)
	y := x.Reshape(3, -1) // -1 is inferred as 2
	fmt.Println(y.Shape())
	fmt.Println(y)
	// Output:
	// [3 2]
	// [[0 1]
	//  [2 3]
	//  [4 5]]
}

func ExampleTensor_String() {
	fmt.Println(tensor.New([]float64{1, 2.5, -3, 40}, 2, 2))
	fmt.Println(tensor.Scalar(0.1))
	fmt.Println(tensor.New32([]float32{0.1, 1.0 / 3}, 2))
	fmt.Printf("%.2f\n", tensor.New([]float64{1, 2.5}, 2))
	fmt.Println(tensor.Arange(0, 2000, 1))
	// Output:
	// [[  1 2.5]
	//  [ -3  40]]
	// 0.1
	// [       0.1 0.33333334]
	// [1.00 2.50]
	// [   0    1    2 ... 1997 1998 1999]
}

func ExampleAdd() {
	// (2,3) + (3): the row is added to every row
	a := tensor.New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	b := tensor.New([]float64{10, 20, 30}, 3)
	fmt.Println(tensor.Add(a, b))
	// (2,1) + (3): an outer sum
	c := tensor.New([]float64{100, 200}, 2, 1)
	fmt.Println(tensor.Add(c, b))
	// Output:
	// [[11 22 33]
	//  [14 25 36]]
	// [[110 120 130]
	//  [210 220 230]]
}

func ExampleMatMul() {
	a := tensor.New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	b := tensor.New([]float64{7, 8, 9, 10, 11, 12}, 3, 2)
	fmt.Println(tensor.MatMul(a, b))
	v := tensor.New([]float64{1, 0, -1}, 3)
	fmt.Println(tensor.MatMul(a, v)) // a 1-d right operand is a column
	err := tensor.Maybe(func() { tensor.MatMul(tensor.Zeros(3, 4), tensor.Zeros(5, 2)) })
	fmt.Println(err, errors.Is(err, tensor.ErrShape))
	// Output:
	// [[ 58  64]
	//  [139 154]]
	// [-2 -2]
	// chainrule: matmul: shapes (3,4) and (5,2) do not match true
}

func ExampleSum() {
	x := tensor.New([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	fmt.Println(tensor.Sum(x, nil, false))      // all axes
	fmt.Println(tensor.Sum(x, []int{0}, false)) // down the columns
	fmt.Println(tensor.Sum(x, []int{-1}, true)) // along the rows, keeping the axis
	fmt.Println(tensor.Sum(x, []int{1}, false).Shape())
	// Output:
	// 21
	// [5 7 9]
	// [[ 6]
	//  [15]]
	// [2]
}

func ExampleMaybe() {
	x := tensor.Zeros(2, 3)
	err := tensor.Maybe(func() { tensor.Sum(x, []int{2}, false) })
	fmt.Println(err)
	fmt.Println(errors.Is(err, tensor.ErrAxis), errors.Is(err, tensor.ErrShape))
	// Output:
	// chainrule: sum: axis 2 out of range for shape (2,3)
	// true false
}

func ExampleRandN() {
	// a seeded generator gives the same tensor every run; draws continue
	// its sequence, so a second call gives new samples
	r := rand.New(rand.NewPCG(1, 2))
	w := tensor.RandN(r, 2, 3)
	fmt.Println(w.Shape())
	fmt.Println(tensor.Equal(w, tensor.RandN(rand.New(rand.NewPCG(1, 2)), 2, 3)))
	fmt.Println(tensor.Equal(w, tensor.RandN(r, 2, 3)))
	// Output:
	// [2 3]
	// true
	// false
}

func ExampleSize() {
	fmt.Println(tensor.Size([]int{2, 3, 4}), tensor.Size([]int{5, 0}), tensor.Size(nil))
	// a shape whose size does not fit is refused, not wrapped around
	err := tensor.Maybe(func() { tensor.Zeros(math.MaxInt, 2) })
	fmt.Println(errors.Is(err, tensor.ErrShape))
	// Output:
	// 24 0 1
	// true
}

// The storage cache's knobs: a limit in bytes (0 turns caching off), and
// EmptyCache to hand everything cached to the garbage collector at once.
func ExampleSetCacheLimit() {
	previous := tensor.SetCacheLimit(64 << 20)
	fmt.Println(tensor.CacheLimit() >> 20)
	tensor.Recycle(tensor.Zeros(1 << 16)) // 512 KiB back to the cache
	fmt.Println(tensor.CachedBytes() >= 512<<10)
	tensor.EmptyCache()
	fmt.Println(tensor.CachedBytes())
	tensor.SetCacheLimit(previous)
	// Output:
	// 64
	// true
	// 0
}
