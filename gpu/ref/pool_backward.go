package ref

// poolWindows calls f for every window of a k×k pooling with stride and padding pad over
// x [N,C,H,W] (stride 0: stride k), with the window's output index and the input indices
// of its positions inside the input, in scan order (rows, then columns); count is the
// divisor of AvgPool2D (count_include_pad=True). It returns the output shape.
func poolWindows(xs []int, k, stride, pad int, f func(out int, positions []int, count int)) []int {
	if stride == 0 {
		stride = k
	}
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	oh, ow := poolOutSize(h, k, stride, pad), poolOutSize(w, k, stride, pad)
	positions := make([]int, 0, k*k)
	for p := range n * c {
		for oy := range oh {
			for ox := range ow {
				hs, ws := oy*stride-pad, ox*stride-pad
				positions = positions[:0]
				for ky := range k {
					for kx := range k {
						iy, ix := hs+ky, ws+kx
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							positions = append(positions, (p*h+iy)*w+ix)
						}
					}
				}
				count := (min(hs+k, h+pad) - hs) * (min(ws+k, w+pad) - ws)
				f((p*oh+oy)*ow+ox, positions, count)
			}
		}
	}
	return []int{n, c, oh, ow}
}

// MaxPool2DBackward is the backward of MaxPool2D: each window's gradient dy goes to the
// position of its maximum, the first one in scan order on ties (as PyTorch picks it), and
// adds up where windows overlap.
func MaxPool2DBackward(dy, x []float64, xs []int, k, stride, pad int) []float64 {
	dx := make([]float64, len(x))
	poolWindows(xs, k, stride, pad, func(o int, positions []int, _ int) {
		best := positions[0]
		for _, at := range positions[1:] {
			if x[at] > x[best] {
				best = at
			}
		}
		dx[best] += dy[o]
	})
	return dx
}

// AvgPool2DBackward is the backward of AvgPool2D for an input of shape xs: each window's
// gradient divided by its count goes to each of its positions inside the input.
func AvgPool2DBackward(dy []float64, xs []int, k, stride, pad int) []float64 {
	dx := make([]float64, xs[0]*xs[1]*xs[2]*xs[3])
	poolWindows(xs, k, stride, pad, func(o int, positions []int, count int) {
		for _, at := range positions {
			dx[at] += dy[o] / float64(count)
		}
	})
	return dx
}
