package safetensors

import (
	"bytes"
	"math/rand/v2"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// seeded returns a generator for test data, the same for the same seed.
func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }
