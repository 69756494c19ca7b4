package ad_test

import "math/rand/v2"

// seeded returns a PCG generator for tensor.RandN and tensor.Rand, seeded
// with seed; equal seeds give equal tensors.
func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }
