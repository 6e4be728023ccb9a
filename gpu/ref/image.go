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
	out := make([]byte, 4*n*hw)
	for i := range n {
		for p := range hw {
			for c := range 3 {
				v := math.Floor(x[(i*3+c)*hw+p]*mul[c] + add[c] + 0.5)
				switch {
				case math.IsNaN(v) || v < 0:
					v = 0
				case v > 255:
					v = 255
				}
				out[4*(i*hw+p)+c] = byte(v)
			}
			out[4*(i*hw+p)+3] = 255
		}
	}
	return out
}
