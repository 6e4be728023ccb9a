package ref

// Depthwise convolution: PyTorch's Conv2d with groups = C (one filter per channel, depth
// multiplier 1), dilation 1, zero padding. w is [C, 1, kH, kW] (shape ws).

// DepthwiseConv2D is y[n, c, oy, ox] = bias[c] + Σ over ky, kx of
// x[n, c, oy·s + ky - p, ox·s + kx - p]·w[c, 0, ky, kx] (x zero outside), with output
// [N, C, floor((H+2p-kH)/s)+1, floor((W+2p-kW)/s)+1]. bias may be nil.
func DepthwiseConv2D(x []float64, xs []int, w []float64, ws []int, bias []float64, stride, pad int) ([]float64, []int) {
	xp, ps := Pad2D(x, xs, pad, false)
	n, c, h, wd := ps[0], ps[1], ps[2], ps[3]
	kh, kw := ws[2], ws[3]
	oh, ow := (h-kh)/stride+1, (wd-kw)/stride+1
	y := make([]float64, n*c*oh*ow)
	for b := range n {
		for ch := range c {
			for oy := range oh {
				for ox := range ow {
					s := 0.0
					if bias != nil {
						s = bias[ch]
					}
					for ky := range kh {
						for kx := range kw {
							s += xp[((b*c+ch)*h+oy*stride+ky)*wd+ox*stride+kx] * w[(ch*kh+ky)*kw+kx]
						}
					}
					y[((b*c+ch)*oh+oy)*ow+ox] = s
				}
			}
		}
	}
	return y, []int{n, c, oh, ow}
}

// DepthwiseConv2DBackwardInput is ∂L/∂x [N, C, H, W] (shape xs) of y = DepthwiseConv2D(x,
// w, bias, stride, pad) for dy [N, C, OH, OW] (shape dys): every product of the forward
// sends dy·w back to the input pixel it read.
func DepthwiseConv2DBackwardInput(dy []float64, dys []int, w []float64, ws []int, xs []int, stride, pad int) ([]float64, []int) {
	n, c, oh, ow := dys[0], dys[1], dys[2], dys[3]
	kh, kw := ws[2], ws[3]
	h, wd := xs[2], xs[3]
	dx := make([]float64, n*c*h*wd)
	for b := range n {
		for ch := range c {
			for oy := range oh {
				for ox := range ow {
					g := dy[((b*c+ch)*oh+oy)*ow+ox]
					for ky := range kh {
						for kx := range kw {
							iy, ix := oy*stride+ky-pad, ox*stride+kx-pad
							if iy < 0 || iy >= h || ix < 0 || ix >= wd {
								continue
							}
							dx[((b*c+ch)*h+iy)*wd+ix] += g * w[(ch*kh+ky)*kw+kx]
						}
					}
				}
			}
		}
	}
	return dx, []int{n, c, h, wd}
}

// DepthwiseConv2DBackwardWeight is ∂L/∂w [C, 1, kH, kW] (shape ws) of y =
// DepthwiseConv2D(x, w, bias, stride, pad) for input x (shape xs) and dy (shape dys).
func DepthwiseConv2DBackwardWeight(x []float64, xs []int, dy []float64, dys []int, ws []int, stride, pad int) ([]float64, []int) {
	xp, ps := Pad2D(x, xs, pad, false)
	n, c, h, wd := ps[0], ps[1], ps[2], ps[3]
	oh, ow := dys[2], dys[3]
	kh, kw := ws[2], ws[3]
	dw := make([]float64, c*kh*kw)
	for b := range n {
		for ch := range c {
			for oy := range oh {
				for ox := range ow {
					g := dy[((b*c+ch)*oh+oy)*ow+ox]
					for ky := range kh {
						for kx := range kw {
							dw[(ch*kh+ky)*kw+kx] += g * xp[((b*c+ch)*h+oy*stride+ky)*wd+ox*stride+kx]
						}
					}
				}
			}
		}
	}
	return dw, []int{c, 1, kh, kw}
}
