package gpu

// NumKernels exposes the size of the kernel cache to the external tests.
func (d *Device) NumKernels() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.kernels)
}

// GroupGrid exposes the 2D split of a workgroup count.
var GroupGrid = groupGrid
