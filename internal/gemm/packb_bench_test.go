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
