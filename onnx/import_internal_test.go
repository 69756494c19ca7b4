package onnx

import (
	"math"
	"slices"
	"testing"
)

// TestSliceRange checks ONNX Slice's index selection against Python's
// list slicing (whose clamping ONNX follows); the expected lists were
// printed by Python 3 for list(range(n))[start:end:step].
func TestSliceRange(t *testing.T) {
	const maxI, minI = math.MaxInt64, math.MinInt64
	cases := []struct {
		n                int
		start, end, step int64
		want             []int
	}{
		{5, 0, maxI, 1, []int{0, 1, 2, 3, 4}},
		{5, -2, maxI, 1, []int{3, 4}},
		{5, 1, -1, 1, []int{1, 2, 3}},
		{5, maxI, minI, -1, []int{4, 3, 2, 1, 0}},
		{5, -1, minI, -2, []int{4, 2, 0}},
		{5, 4, 0, -1, []int{4, 3, 2, 1}},
		{5, 0, 5, 2, []int{0, 2, 4}},
		{5, 3, 1, 1, []int{}},
		{5, -9, 9, 3, []int{0, 3}},
		{5, 2, maxI, maxI, []int{2}},
		{5, 4, minI, minI, []int{4}},
		{0, 0, maxI, 1, []int{}},
		{5, 10, -10, -3, []int{4, 1}},
	}
	for _, c := range cases {
		if got := sliceRange("Slice", c.n, c.start, c.end, c.step); !slices.Equal(got, c.want) {
			t.Errorf("n=%d [%d:%d:%d]: %v, want %v", c.n, c.start, c.end, c.step, got, c.want)
		}
	}
}
