package ad

// SetFusion sets the smallest fused size and the block size, and returns a
// function restoring them: tests fuse tiny tensors in blocks of a few
// elements, to cover groups and block edges.
func SetFusion(minElems, blockElems int) (restore func()) {
	m, b := minFuse, block
	minFuse, block = minElems, blockElems
	return func() { minFuse, block = m, b }
}

// Fused reports whether the program runs any fused group.
func (p *Program) Fused() bool {
	for _, s := range p.steps {
		if s.g != nil {
			return true
		}
	}
	return false
}
