package ref

import "math"

// ImageToTensor converts n packed RGBA8 images of hw pixels to [n,3,H,W]:
// x[n,c,y,x] = byte_c·mul[c] + add[c] for c = R, G, B.
func ImageToTensor(rgba []byte, n, hw int, mul, add [3]float64) []float64 {
	y := make([]float64, n*3*hw)
	for i := range n {
		for c := range 3 {
			for p := range hw {
				y[(i*3+c)*hw+p] = float64(rgba[4*(i*hw+p)+c])*mul[c] + add[c]
			}
		}
	}
	return y
}

// TensorToImage converts x [n,3,H,W] of hw pixels per image to packed RGBA8:
// byte_c = clamp(floor(x·mul[c]+add[c]+0.5), 0, 255), NaN to 0, alpha 255.
func TensorToImage(x []float64, n, hw int, mul, add [3]float64) []byte {
	return TensorToImageRows(x, n, 3, 1, hw, hw, mul, add)
}

// TensorToImageRows converts x [n,c,h,w] (c = 3, or 1 for gray) to packed RGBA8 images of
// h rows of rw pixels: byte_k = clamp(floor(x_k·mul[k]+add[k]+0.5), 0, 255) for k = R, G,
// B, where x_k is channel k, or the one channel of a gray image; NaN to 0, alpha 255;
// columns from w on all 0.
func TensorToImageRows(x []float64, n, c, h, w, rw int, mul, add [3]float64) []byte {
	out := make([]byte, 4*n*h*rw)
	for i := range n {
		for r := range h {
			for col := range w {
				p := 4 * ((i*h+r)*rw + col)
				for k := range 3 {
					ch := min(k, c-1)
					v := math.Floor(x[((i*c+ch)*h+r)*w+col]*mul[k] + add[k] + 0.5)
					switch {
					case math.IsNaN(v) || v < 0:
						v = 0
					case v > 255:
						v = 255
					}
					out[p+k] = byte(v)
				}
				out[p+3] = 255
			}
		}
	}
	return out
}

// TextureToTensor resamples an RGBA8 image of sh×sw pixels to [1,3,h,w] as
// gpu.Batch.TextureToTensor does: each output pixel is the mean of ky×kx bilinear
// samples (align_corners=False, clamped at the edges) spread evenly over its footprint,
// k = min(8, ⌈source size / output size⌉) per axis, then x = v·mul[c] + add[c].
func TextureToTensor(rgba []byte, sh, sw, h, w int, mul, add [3]float64) []float64 {
	taps := func(src, dst int) int { return max(1, min(8, (src+dst-1)/dst)) }
	ky, kx := taps(sh, h), taps(sw, w)
	texel := func(x, y, c int) float64 { return float64(rgba[4*(y*sw+x)+c]) }
	// tap is sub-sample t of k of output pixel o along an axis of s source and d output
	// pixels: the two neighbouring pixels and the weight of the second.
	tap := func(o, t, k, s, d int) (int, int, float64) {
		num, den := (2*(o*k+t)+1)*s-d*k, 2*d*k
		switch {
		case num <= 0:
			return 0, 0, 0
		case num/den >= s-1:
			return s - 1, s - 1, 0
		}
		i0 := num / den
		return i0, i0 + 1, float64(num-i0*den) / float64(den)
	}
	out := make([]float64, 3*h*w)
	for oy := range h {
		for ox := range w {
			for c := range 3 {
				sum := 0.0
				for j := range ky {
					y0, y1, ly := tap(oy, j, ky, sh, h)
					for k := range kx {
						x0, x1, lx := tap(ox, k, kx, sw, w)
						top := texel(x0, y0, c)*(1-lx) + texel(x1, y0, c)*lx
						bottom := texel(x0, y1, c)*(1-lx) + texel(x1, y1, c)*lx
						sum += top*(1-ly) + bottom*ly
					}
				}
				out[(c*h+oy)*w+ox] = sum/float64(ky*kx)*mul[c] + add[c]
			}
		}
	}
	return out
}

// BlendToImage blends x and y [n,3,h,w] into packed RGBA8 rows of rw pixels as
// gpu.Batch.BlendToImage does: byte = floor(x'·(1-t) + y'·t + 0.5) with x', y' clamped to
// 0..255 (NaN to 0), alpha 255, columns from w on all 0.
func BlendToImage(x, y []float64, n, h, w, rw int, t float64) []byte {
	unit := func(v float64) float64 {
		if math.IsNaN(v) {
			return 0
		}
		return math.Min(math.Max(v, 0), 255)
	}
	out := make([]byte, 4*n*h*rw)
	for i := range n {
		for r := range h {
			for col := range w {
				p := 4 * ((i*h+r)*rw + col)
				for c := range 3 {
					j := ((i*3+c)*h+r)*w + col
					v := math.Floor(unit(x[j])*(1-t) + unit(y[j])*t + 0.5)
					out[p+c] = byte(math.Min(math.Max(v, 0), 255))
				}
				out[p+3] = 255
			}
		}
	}
	return out
}
