package ref

// The convolution family in NCHW layout, groups 1, dilation 1. Each function takes its
// input's shape [N, C, H, W] and returns the output with its shape. Parameters are assumed
// valid; the gpu ops check them.

// Pad2D pads the last two dimensions by pad on every side, as PyTorch's F.pad: with zeros,
// or, when reflect is set, with ReflectionPad2d's mirror that does not repeat the edge
// (index -i reads i, index H-1+i reads H-1-i; pad < H and pad < W).
func Pad2D(x []float64, shape []int, pad int, reflect bool) ([]float64, []int) {
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	ph, pw := h+2*pad, w+2*pad
	y := make([]float64, n*c*ph*pw)
	for p := range n * c {
		for i := range ph {
			for j := range pw {
				sy, sx := i-pad, j-pad
				if reflect {
					sy, sx = mirror(sy, h), mirror(sx, w)
				} else if sy < 0 || sy >= h || sx < 0 || sx >= w {
					continue
				}
				y[(p*ph+i)*pw+j] = x[(p*h+sy)*w+sx]
			}
		}
	}
	return y, []int{n, c, ph, pw}
}

func mirror(i, n int) int {
	if i < 0 {
		return -i
	}
	if i >= n {
		return 2*n - 2 - i
	}
	return i
}

// Conv2D is PyTorch's Conv2d: the input is padded (zeros or reflect), then every window of
// the weight w [Co, Ci, kH, kW] at the given stride gives one output pixel, plus bias[co]
// when bias is not nil. Output [N, Co, floor((H+2p-kH)/s)+1, floor((W+2p-kW)/s)+1].
func Conv2D(x []float64, xs []int, w []float64, ws []int, bias []float64, stride, pad int, reflect bool) ([]float64, []int) {
	xp, ps := Pad2D(x, xs, pad, reflect)
	n, ci, h, wd := ps[0], ps[1], ps[2], ps[3]
	co, kh, kw := ws[0], ws[2], ws[3]
	oh, ow := (h-kh)/stride+1, (wd-kw)/stride+1
	y := make([]float64, n*co*oh*ow)
	for b := range n {
		for o := range co {
			for oy := range oh {
				for ox := range ow {
					s := 0.0
					if bias != nil {
						s = bias[o]
					}
					for c := range ci {
						for ky := range kh {
							for kx := range kw {
								s += xp[((b*ci+c)*h+oy*stride+ky)*wd+ox*stride+kx] * w[((o*ci+c)*kh+ky)*kw+kx]
							}
						}
					}
					y[((b*co+o)*oh+oy)*ow+ox] = s
				}
			}
		}
	}
	return y, []int{n, co, oh, ow}
}

// ConvTranspose2D is PyTorch's ConvTranspose2d, written as the scatter that defines it:
// input pixel (iy, ix) of channel ci adds x·w[ci, co, ky, kx] to output pixel
// (iy·s - p + ky, ix·s - p + kx) when that lies inside the output of size
// (H-1)·s - 2p + kH + outPad. Output pixels no tap reaches hold just the bias.
func ConvTranspose2D(x []float64, xs []int, w []float64, ws []int, bias []float64, stride, pad, outPad int) ([]float64, []int) {
	n, ci, h, wd := xs[0], xs[1], xs[2], xs[3]
	co, kh, kw := ws[1], ws[2], ws[3]
	oh := (h-1)*stride - 2*pad + kh + outPad
	ow := (wd-1)*stride - 2*pad + kw + outPad
	y := make([]float64, n*co*oh*ow)
	for b := range n {
		for o := range co {
			if bias != nil {
				for i := range oh * ow {
					y[(b*co+o)*oh*ow+i] = bias[o]
				}
			}
			for c := range ci {
				for iy := range h {
					for ix := range wd {
						v := x[((b*ci+c)*h+iy)*wd+ix]
						for ky := range kh {
							for kx := range kw {
								oy, ox := iy*stride-pad+ky, ix*stride-pad+kx
								if oy < 0 || oy >= oh || ox < 0 || ox >= ow {
									continue
								}
								y[((b*co+o)*oh+oy)*ow+ox] += v * w[((c*co+o)*kh+ky)*kw+kx]
							}
						}
					}
				}
			}
		}
	}
	return y, []int{n, co, oh, ow}
}

// UpsampleNearest is nn.Upsample(scale_factor=scale, mode='nearest') for an integer scale:
// output pixel (oy, ox) copies input pixel (oy/scale, ox/scale).
func UpsampleNearest(x []float64, xs []int, scale int) ([]float64, []int) {
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	oh, ow := h*scale, w*scale
	y := make([]float64, n*c*oh*ow)
	for p := range n * c {
		for oy := range oh {
			for ox := range ow {
				y[(p*oh+oy)*ow+ox] = x[(p*h+oy/scale)*w+ox/scale]
			}
		}
	}
	return y, []int{n, c, oh, ow}
}
