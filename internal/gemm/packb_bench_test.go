package gemm

import "testing"

// BenchmarkPackBTrans packs a 256×(16·16) block of a B stored transposed
// (n×k), as the weight gradient of a convolution and a Linear layer's
// forward product x·Wᵀ do.
func BenchmarkPackBTrans(b *testing.B) {
	const kb, nb = 256, 256
	p := &problem[float32]{transB: true, k: kb, n: nb, b: make([]float32, nb*kb), ldb: kb}
	dst := make([]float32, kb*nb)
	for b.Loop() {
		packB(dst, p, 0, kb, 0, nb, 16)
	}
}

// BenchmarkPackB packs a 256×(8·32) block of a row-major B with rows 4 KiB
// apart, as the backward product dY·W of a 1024-wide layer does, in panels
// 32 wide: through the assembly copy (asm) and the Go loop (go).
func BenchmarkPackB(b *testing.B) {
	const kb, nb, ldb = 256, 256, 1024
	p := &problem[float32]{k: kb, n: nb, b: make([]float32, kb*ldb), ldb: ldb}
	dst := make([]float32, kb*nb)
	for _, asm := range []bool{true, false} {
		if asm && !HasAsm() {
			continue
		}
		b.Run(map[bool]string{true: "asm", false: "go"}[asm], func(b *testing.B) {
			defer func(u bool) { UseAsm = u }(UseAsm)
			UseAsm = asm
			for b.Loop() {
				packB(dst, p, 0, kb, 0, nb, 32)
			}
		})
	}
}
