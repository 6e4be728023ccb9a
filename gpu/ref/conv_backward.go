package ref

// Backward passes of the convolution family: the gradients of a scalar loss L with respect
// to each op's inputs, given dy = ∂L/∂y of its output. Each is written as the plain
// transpose of the forward's sum (every product x·w that made an output pixel sends
// dy·w back to x and dy·x back to w), independent of the gpu kernels' formulations.

// Conv2DBackwardInput is ∂L/∂x [N, Ci, H, W] (shape xs) of y = Conv2D(x, w, bias, stride,
// pad, reflect) for dy [N, Co, OH, OW] (shape dys). With reflect padding, the gradient of
// a padded pixel goes to the pixel it mirrors.
func Conv2DBackwardInput(dy []float64, dys []int, w []float64, ws []int, xs []int, stride, pad int, reflect bool) ([]float64, []int) {
	n, co, oh, ow := dys[0], dys[1], dys[2], dys[3]
	ci, kh, kw := ws[1], ws[2], ws[3]
	h, wd := xs[2], xs[3]
	dx := make([]float64, n*ci*h*wd)
	for b := range n {
		for o := range co {
			for oy := range oh {
				for ox := range ow {
					g := dy[((b*co+o)*oh+oy)*ow+ox]
					for c := range ci {
						for ky := range kh {
							for kx := range kw {
								iy, ix := oy*stride+ky-pad, ox*stride+kx-pad
								if reflect {
									iy, ix = mirror(iy, h), mirror(ix, wd)
								} else if iy < 0 || iy >= h || ix < 0 || ix >= wd {
									continue
								}
								dx[((b*ci+c)*h+iy)*wd+ix] += g * w[((o*ci+c)*kh+ky)*kw+kx]
							}
						}
					}
				}
			}
		}
	}
	return dx, []int{n, ci, h, wd}
}

// Conv2DBackwardWeight is ∂L/∂w [Co, Ci, kH, kW] (shape ws) of y = Conv2D(x, w, bias,
// stride, pad, reflect) for input x (shape xs) and dy [N, Co, OH, OW] (shape dys).
func Conv2DBackwardWeight(x []float64, xs []int, dy []float64, dys []int, ws []int, stride, pad int, reflect bool) ([]float64, []int) {
	xp, ps := Pad2D(x, xs, pad, reflect)
	n, ci, h, wd := ps[0], ps[1], ps[2], ps[3]
	co, oh, ow := dys[1], dys[2], dys[3]
	kh, kw := ws[2], ws[3]
	dw := make([]float64, co*ci*kh*kw)
	for b := range n {
		for o := range co {
			for oy := range oh {
				for ox := range ow {
					g := dy[((b*co+o)*oh+oy)*ow+ox]
					for c := range ci {
						for ky := range kh {
							for kx := range kw {
								dw[((o*ci+c)*kh+ky)*kw+kx] += g * xp[((b*ci+c)*h+oy*stride+ky)*wd+ox*stride+kx]
							}
						}
					}
				}
			}
		}
	}
	return dw, []int{co, ci, kh, kw}
}

// BiasBackward is ∂L/∂bias [C] of any op that adds bias[c] to channel c of its output
// [N, C, ...] (shape dys): the sum of dy over every dimension but 1.
func BiasBackward(dy []float64, dys []int) ([]float64, []int) {
	c := dys[1]
	inner := 1
	for _, s := range dys[2:] {
		inner *= s
	}
	db := make([]float64, c)
	for i, g := range dy {
		db[i/inner%c] += g
	}
	return db, []int{c}
}

// ConvTranspose2DBackwardInput is ∂L/∂x [N, Ci, H, W] (shape xs) of y =
// ConvTranspose2D(x, w, bias, stride, pad, outPad) for w [Ci, Co, kH, kW] and dy
// [N, Co, OH, OW] (shape dys): input pixel (iy, ix) gathers dy·w from every output pixel
// (iy·s - p + ky, ix·s - p + kx) it reached.
func ConvTranspose2DBackwardInput(dy []float64, dys []int, w []float64, ws []int, xs []int, stride, pad int) ([]float64, []int) {
	n, co, oh, ow := dys[0], dys[1], dys[2], dys[3]
	ci, kh, kw := ws[0], ws[2], ws[3]
	h, wd := xs[2], xs[3]
	dx := make([]float64, n*ci*h*wd)
	for b := range n {
		for c := range ci {
			for iy := range h {
				for ix := range wd {
					s := 0.0
					for o := range co {
						for ky := range kh {
							for kx := range kw {
								oy, ox := iy*stride-pad+ky, ix*stride-pad+kx
								if oy < 0 || oy >= oh || ox < 0 || ox >= ow {
									continue
								}
								s += dy[((b*co+o)*oh+oy)*ow+ox] * w[((c*co+o)*kh+ky)*kw+kx]
							}
						}
					}
					dx[((b*ci+c)*h+iy)*wd+ix] = s
				}
			}
		}
	}
	return dx, []int{n, ci, h, wd}
}

// ConvTranspose2DBackwardWeight is ∂L/∂w [Ci, Co, kH, kW] (shape ws) of y =
// ConvTranspose2D(x, w, bias, stride, pad, outPad) for input x (shape xs) and dy
// [N, Co, OH, OW] (shape dys).
func ConvTranspose2DBackwardWeight(x []float64, xs []int, dy []float64, dys []int, ws []int, stride, pad int) ([]float64, []int) {
	n, ci, h, wd := xs[0], xs[1], xs[2], xs[3]
	co, oh, ow := dys[1], dys[2], dys[3]
	kh, kw := ws[2], ws[3]
	dw := make([]float64, ci*co*kh*kw)
	for b := range n {
		for c := range ci {
			for iy := range h {
				for ix := range wd {
					v := x[((b*ci+c)*h+iy)*wd+ix]
					for o := range co {
						for ky := range kh {
							for kx := range kw {
								oy, ox := iy*stride-pad+ky, ix*stride-pad+kx
								if oy < 0 || oy >= oh || ox < 0 || ox >= ow {
									continue
								}
								dw[((c*co+o)*kh+ky)*kw+kx] += v * dy[((b*co+o)*oh+oy)*ow+ox]
							}
						}
					}
				}
			}
		}
	}
	return dw, []int{ci, co, kh, kw}
}

// UpsampleNearestBackward is ∂L/∂x [N, C, OH/scale, OW/scale] of y = UpsampleNearest(x,
// scale) for dy [N, C, OH, OW] (shape dys): each input pixel sums its scale×scale block.
func UpsampleNearestBackward(dy []float64, dys []int, scale int) ([]float64, []int) {
	n, c, oh, ow := dys[0], dys[1], dys[2], dys[3]
	h, w := oh/scale, ow/scale
	dx := make([]float64, n*c*h*w)
	for p := range n * c {
		for oy := range oh {
			for ox := range ow {
				dx[(p*h+oy/scale)*w+ox/scale] += dy[(p*oh+oy)*ow+ox]
			}
		}
	}
	return dx, []int{n, c, h, w}
}
