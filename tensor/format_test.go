package tensor

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

var _ fmt.Stringer = (*Tensor)(nil)
var _ fmt.Formatter = (*Tensor)(nil)

func TestString(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		name string
		x    *Tensor
		want string
	}{
		{"scalar", Scalar(2.5), "2.5"},
		{"scalar int", Scalar(-3), "-3"},
		{"NaN", Scalar(nan), "NaN"},
		{"+Inf", Scalar(inf), "+Inf"},
		{"-Inf", Scalar(-inf), "-Inf"},
		{"-0", Scalar(math.Copysign(0, -1)), "-0"},
		{"shortest float64", Scalar(0.1), "0.1"},
		{"float64 of a float32", Scalar(float64(float32(0.1))), "0.10000000149011612"},
		{"float32 shortest", Float32.Scalar(0.1), "0.1"},
		{"float32 third", New32([]float32{1.0 / 3}, 1), "[0.33333334]"},
		{"exponent", New([]float64{1e21, 1e-7, 123456789}, 3), "[         1e+21          1e-07 1.23456789e+08]"},
		{"vector", New([]float64{1, 2, 3}, 3), "[1 2 3]"},
		{"one", New([]float64{7}, 1), "[7]"},
		{"aligned vector", New([]float64{1, -22, 333}, 3), "[  1 -22 333]"},
		{"matrix", New([]float64{1, 2.5, 3, 4}, 2, 2), "[[  1 2.5]\n [  3   4]]"},
		{"column", New([]float64{1, 2, 3}, 3, 1), "[[1]\n [2]\n [3]]"},
		{"row", New([]float64{1, 2, 3}, 1, 3), "[[1 2 3]]"},
		{"special", New([]float64{nan, inf, -inf, 0}, 2, 2), "[[ NaN +Inf]\n [-Inf    0]]"},
		{"rank 3", Arange(0, 8, 1).Reshape(2, 2, 2), "[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]"},
		{"rank 3 thin", Arange(0, 4, 1).Reshape(2, 1, 2), "[[[0 1]]\n\n [[2 3]]]"},
		{"rank 4", Arange(0, 4, 1).Reshape(2, 1, 2, 1), "[[[[0]\n   [1]]]\n\n\n [[[2]\n   [3]]]]"},
		{"empty", Zeros(0), "[]"},
		{"empty matrix", Zeros(2, 0), "[]"},
		{"empty rows", Float32.Zeros(0, 3), "[]"},
		{"zero value", &Tensor{}, "[]"},
		{"nil", nil, "<nil>"},
	} {
		if got := c.x.String(); got != c.want {
			t.Errorf("%s: String() =\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
}

func TestStringSummarizes(t *testing.T) {
	// 1000 elements are printed in full, 1001 are summarized
	full := Arange(0, 1000, 1).String()
	if strings.Contains(full, "...") || strings.Count(full, " ") < 999 || !strings.HasSuffix(full, " 999]") {
		t.Errorf("1000 elements were summarized: %.60s...", full)
	}
	if got, want := Arange(0, 1001, 1).String(), "[   0    1    2 ...  998  999 1000]"; got != want {
		t.Errorf("1001 elements:\n%s\nwant\n%s", got, want)
	}
	if got, want := Float32.Arange(0, 1001, 1).String(), "[   0    1    2 ...  998  999 1000]"; got != want {
		t.Errorf("1001 float32 elements:\n%s\nwant\n%s", got, want)
	}

	// NumPy's print(np.arange(10000).reshape(100, 100))
	want := `[[   0    1    2 ...   97   98   99]
 [ 100  101  102 ...  197  198  199]
 [ 200  201  202 ...  297  298  299]
 ...
 [9700 9701 9702 ... 9797 9798 9799]
 [9800 9801 9802 ... 9897 9898 9899]
 [9900 9901 9902 ... 9997 9998 9999]]`
	if got := Arange(0, 10000, 1).Reshape(100, 100).String(); got != want {
		t.Errorf("(100,100):\n%s\nwant\n%s", got, want)
	}

	// (8,2,70): axes 0 and 2 are summarized, axis 1 (length 2) is not
	var b strings.Builder
	blocks := []int{0, 1, 2, -1, 5, 6, 7}
	b.WriteString("[")
	for bi, i := range blocks {
		if bi > 0 {
			b.WriteString("\n\n ")
		}
		if i < 0 {
			b.WriteString("...")
			continue
		}
		b.WriteString("[")
		for r := 0; r < 2; r++ {
			if r > 0 {
				b.WriteString("\n  ")
			}
			base := 140*i + 70*r
			fmt.Fprintf(&b, "[%4d %4d %4d ... %4d %4d %4d]", base, base+1, base+2, base+67, base+68, base+69)
		}
		b.WriteString("]")
	}
	b.WriteString("]")
	if got := Arange(0, 1120, 1).Reshape(8, 2, 70).String(); got != b.String() {
		t.Errorf("(8,2,70):\n%s\nwant\n%s", got, b.String())
	}

	// (6,200): an axis of length 6 = 2*3 is shown in full
	var rows []string
	for i := 0; i < 6; i++ {
		base := 200 * i
		rows = append(rows, fmt.Sprintf("[%4d %4d %4d ... %4d %4d %4d]", base, base+1, base+2, base+197, base+198, base+199))
	}
	if got, want := Arange(0, 1200, 1).Reshape(6, 200).String(), "["+strings.Join(rows, "\n ")+"]"; got != want {
		t.Errorf("(6,200):\n%s\nwant\n%s", got, want)
	}

	// the common width comes from the shown elements only
	x := Zeros(2000)
	x.SetFlat(1000, 123456)
	if got, want := x.String(), "[0 0 0 ... 0 0 0]"; got != want {
		t.Errorf("hidden wide element: %s, want %s", got, want)
	}
}

func TestFormat(t *testing.T) {
	x := New([]float64{1, 2.5, -3, 4}, 2, 2)
	for _, c := range []struct {
		format string
		x      *Tensor
		want   string
	}{
		{"%v", x, "[[  1 2.5]\n [ -3   4]]"},
		{"%s", x, "[[  1 2.5]\n [ -3   4]]"},
		{"%+v", x, "[[  1 2.5]\n [ -3   4]]"},
		{"%.2f", x, "[[ 1.00  2.50]\n [-3.00  4.00]]"},
		{"%f", New([]float64{0.5}, 1), "[0.500000]"},
		{"%F", New([]float64{0.5}, 1), "[0.500000]"},
		{"%.1e", New([]float64{1234, -0.5}, 2), "[ 1.2e+03 -5.0e-01]"},
		{"%E", Scalar(1), "1.000000E+00"},
		{"%g", x, "[[  1 2.5]\n [ -3   4]]"},
		{"%.3g", New32([]float32{1.0 / 3, 100}, 2), "[0.333   100]"},
		{"%G", Scalar(1e-10), "1E-10"},
		{"%.1f", New([]float64{math.NaN(), math.Inf(1)}, 2), "[ NaN +Inf]"},
		{"%d", New([]float64{1, 2}, 2), "%!d(*tensor.Tensor=[1 2])"},
		{"%q", Scalar(1), "%!q(*tensor.Tensor=1)"},
		{"%f", (*Tensor)(nil), "<nil>"},
		{"%v", (*Tensor)(nil), "<nil>"},
		{"%.2f", Zeros(0, 4), "[]"},
	} {
		if got := fmt.Sprintf(c.format, c.x); got != c.want {
			t.Errorf("Sprintf(%q) =\n%s\nwant\n%s", c.format, got, c.want)
		}
	}
	if got := fmt.Sprint(x); got != x.String() {
		t.Errorf("Sprint = %q, String = %q", got, x.String())
	}
}
