package main

// Statistics over rounds, the verification metric, and number formatting.

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/chainrule/chainrule/tensor"
)

// summary is the median, minimum and maximum of one implementation's
// per-round times, in nanoseconds per operation.
type summary struct {
	Median float64 `json:"median_ns_per_op,omitempty"`
	Min    float64 `json:"min_ns_per_op,omitempty"`
	Max    float64 `json:"max_ns_per_op,omitempty"`
}

// summarize returns the summary of xs; it is all zeros for an empty slice.
func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return summary{Median: med, Min: s[0], Max: s[len(s)-1]}
}

// tolerance is the relative error within which a peer's result must agree
// with chainrule's: 1e-6 in float64, 1e-3 in float32.
func tolerance(d tensor.DType) float64 {
	if d == tensor.Float32 {
		return 1e-3
	}
	return 1e-6
}

// outputs are the results an implementation returns for verification, by
// name ("grad", "value", "hvp", …), flattened in row-major order.
type outputs map[string][]float64

// compare returns the largest relative error of got against want over the
// outputs both have: for each, max|got−want| divided by max|want| (the
// error relative to the scale of chainrule's result, so that elements near
// zero do not dominate). It fails when they share no output, when lengths
// differ or when a value is NaN in one and not the other.
func compare(got, want outputs) (float64, error) {
	worst, shared := 0.0, 0
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			continue
		}
		shared++
		if len(g) != len(w) {
			return math.Inf(1), fmt.Errorf("output %q has %d elements, chainrule's %d", name, len(g), len(w))
		}
		scale, diff := 0.0, 0.0
		for i := range w {
			if math.IsNaN(g[i]) != math.IsNaN(w[i]) {
				return math.Inf(1), fmt.Errorf("output %q element %d is %g, chainrule's %g", name, i, g[i], w[i])
			}
			if math.IsNaN(w[i]) {
				continue
			}
			scale = math.Max(scale, math.Abs(w[i]))
			diff = math.Max(diff, math.Abs(g[i]-w[i]))
		}
		rel := diff
		if scale > 0 {
			rel = diff / scale
		}
		worst = math.Max(worst, rel)
	}
	if shared == 0 {
		return math.Inf(1), fmt.Errorf("no output in common with chainrule's (%s)", strings.Join(keys(want), ", "))
	}
	return worst, nil
}

// keys returns the sorted names of o.
func keys(o outputs) []string {
	ks := make([]string, 0, len(o))
	for k := range o {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// fmtDuration formats nanoseconds with three significant digits and a unit:
// "412 ns", "1.23 µs", "45.6 ms", "1.20 s".
func fmtDuration(ns float64) string {
	switch {
	case ns < 1e3:
		return sig3(ns) + " ns"
	case ns < 1e6:
		return sig3(ns/1e3) + " µs"
	case ns < 1e9:
		return sig3(ns/1e6) + " ms"
	}
	return sig3(ns/1e9) + " s"
}

// sig3 formats v (≥ 0) with three significant digits.
func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// fmtBytes formats a byte count in binary units: "812 B", "3.1 MiB".
func fmtBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB"}
	i := 0
	for math.Abs(b) >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// fmtRatio formats a ratio: "0.42", "3.1", "120".
func fmtRatio(r float64) string {
	if math.IsInf(r, 0) || math.IsNaN(r) || r == 0 {
		return "-"
	}
	return sig3(r)
}
