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

// Rerolled returns the number of loops and of single instructions in the
// scalar form.
func (p *Program) Rerolled() (loops, single int) {
	for _, s := range p.scalar {
		if s.op == sLoop {
			loops++
		} else {
			single++
		}
	}
	return loops, single
}

// RerollWork returns the number of instructions the rerolling pass
// examined while compiling p.
func (p *Program) RerollWork() int { return p.rerollWork }

// SetRerolling turns rerolling and its register renumbering on or off
// and returns a function restoring them.
func SetRerolling(reroll, renumber bool) (restore func()) {
	r, n := rerolling, renumbering
	rerolling, renumbering = reroll, renumber
	return func() { rerolling, renumbering = r, n }
}

// SetRecycling turns Grad's recycling of intermediate storage on or off
// and returns a function restoring it.
func SetRecycling(on bool) (restore func()) {
	old := recycling
	recycling = on
	return func() { recycling = old }
}

// JacSizes returns the number of sizes Jacobian's Auto mode remembers.
func JacSizes() int {
	n := 0
	jacSizes.Range(func(any, any) bool { n++; return true })
	return n
}

// RememberSizes records k made-up Jacobian sizes, as k distinct functions
// or shapes would.
func RememberSizes(k int) {
	for i := range k {
		rememberSize(jacKey{fn: uintptr(i), shape: "test"}, i)
	}
}

// Aliased returns the number of fused results the program writes in place
// over an operand's storage.
func (p *Program) Aliased() int {
	n := 0
	for _, s := range p.steps {
		if s.g != nil {
			for _, m := range s.g.members {
				if m.alias >= 0 {
					n++
				}
			}
		}
	}
	return n
}

// Axpys returns the number of fused members that compute x ± y·c in one
// pass.
func (p *Program) Axpys() int {
	n := 0
	for _, s := range p.steps {
		if s.g != nil {
			for _, m := range s.g.members {
				if m.axpy != 0 {
					n++
				}
			}
		}
	}
	return n
}

// SetChaining turns the unary prims' chained kernels (relu, tanh,
// sigmoid: the local rule times the cotangent in one pass) on or off and
// returns a function restoring them.
func SetChaining(on bool) (restore func()) {
	old := chaining
	chaining = on
	return func() { chaining = old }
}
