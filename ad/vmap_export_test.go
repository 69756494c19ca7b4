package ad

// VmapFallbacks runs Vmap(f) on xs (all mapped along axis 0) and returns
// the names of the primitives that had no batching rule and ran once per
// batch element.
func VmapFallbacks(f func(xs []Value) Value, xs ...Value) []string {
	var names []string
	vmapWith(f, nil, &names)(xs...)
	return names
}
