package gpu

// NumKernels exposes the size of the kernel cache to the external tests.
func (d *Device) NumKernels() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.kernels)
}

// NumForms is the number of layouts pc has prepared weights in.
func (pc *PackedConv) NumForms() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.forms)
}
