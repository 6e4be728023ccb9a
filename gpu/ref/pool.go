package ref

import "math"

// poolOutSize is PyTorch's pooling output size with ceil_mode=False.
func poolOutSize(n, k, stride, pad int) int { return (n+2*pad-k)/stride + 1 }

// MaxPool2D is PyTorch's MaxPool2d (ceil_mode=False): the maximum over each k×k window of
// the input padded with -inf. Stride 0 means stride k.
func MaxPool2D(x []float64, xs []int, k, stride, pad int) ([]float64, []int) {
	if stride == 0 {
		stride = k
	}
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	oh, ow := poolOutSize(h, k, stride, pad), poolOutSize(w, k, stride, pad)
	y := make([]float64, n*c*oh*ow)
	for p := range n * c {
		for oy := range oh {
			for ox := range ow {
				m := math.Inf(-1)
				for ky := range k {
					for kx := range k {
						iy, ix := oy*stride-pad+ky, ox*stride-pad+kx
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							m = math.Max(m, x[(p*h+iy)*w+ix])
						}
					}
				}
				y[(p*oh+oy)*ow+ox] = m
			}
		}
	}
	return y, []int{n, c, oh, ow}
}

// AvgPool2D is PyTorch's AvgPool2d (ceil_mode=False, count_include_pad=True): each window's
// sum divided by the number of its positions inside the zero-padded input, which PyTorch
// computes as (min(hs+k, H+p) - hs)·(min(ws+k, W+p) - ws). Stride 0 means stride k.
func AvgPool2D(x []float64, xs []int, k, stride, pad int) ([]float64, []int) {
	if stride == 0 {
		stride = k
	}
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	oh, ow := poolOutSize(h, k, stride, pad), poolOutSize(w, k, stride, pad)
	y := make([]float64, n*c*oh*ow)
	for p := range n * c {
		for oy := range oh {
			for ox := range ow {
				hs, ws := oy*stride-pad, ox*stride-pad
				count := (min(hs+k, h+pad) - hs) * (min(ws+k, w+pad) - ws)
				s := 0.0
				for ky := range k {
					for kx := range k {
						iy, ix := hs+ky, ws+kx
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							s += x[(p*h+iy)*w+ix]
						}
					}
				}
				y[(p*oh+oy)*ow+ox] = s / float64(count)
			}
		}
	}
	return y, []int{n, c, oh, ow}
}
