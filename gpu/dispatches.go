package gpu

// Kernels lists the kernel of each dispatch recorded so far, in order, as "file:entry"
// (e.g. "conv2d_3x3_c16x4x8.wgsl:conv2d_3x3_c16x4x8"): which kernels an op or a network
// runs, for tests and profiles.
func (b *Batch) Kernels() []string {
	names := make([]string, len(b.steps))
	for i, s := range b.steps {
		names[i] = s.k.name
	}
	return names
}
