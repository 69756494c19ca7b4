package tensor

import "testing"

// TestArithSuffix checks arithmetic with an operand that repeats along the
// leading dimensions (a bias row against a batch of rows) at sizes that
// split across the cores in pieces that start inside a row.
func TestArithSuffix(t *testing.T) {
	checkArithBroadcast(t, "suffix", func(s, out []int) bool { return len(s) > 0 && Size(s) > 1 && isSuffix(s, out) }, [][2][]int{
		{{5, 3}, {3}},
		{{300, 129}, {129}},
		{{1024, 256}, {256}},
		{{4, 70, 201}, {70, 201}},
		{{3, 1, 77}, {1, 77}},
		{{20000, 2}, {2}},
	})
}
