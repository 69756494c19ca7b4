package cpuid

import (
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestFeaturesAgainstProcCPUInfo compares the detection with the flags
// Linux reports in /proc/cpuinfo (which the kernel lists only when it
// also saves the YMM state).
func TestFeaturesAgainstProcCPUInfo(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs /proc/cpuinfo on linux/amd64")
	}
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("cannot read /proc/cpuinfo: %v", err)
	}
	var flags []string
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			flags = strings.Fields(v)
			break
		}
	}
	want := slices.Contains(flags, "avx2") && slices.Contains(flags, "fma")
	if purego {
		want = false
	}
	if AVX2FMA != want {
		t.Errorf("AVX2FMA = %v, /proc/cpuinfo flags say %v (purego %v)", AVX2FMA, want, purego)
	}
	want512 := want && slices.Contains(flags, "avx512f")
	if AVX512F != want512 {
		t.Errorf("AVX512F = %v, /proc/cpuinfo flags say %v (purego %v)", AVX512F, want512, purego)
	}
}
