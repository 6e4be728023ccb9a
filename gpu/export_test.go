package gpu

// NumForms is the number of layouts pc has prepared weights in.
func (pc *PackedConv) NumForms() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return len(pc.forms)
}

// GroupGrid exposes the 2D split of a workgroup count.
var GroupGrid = groupGrid
