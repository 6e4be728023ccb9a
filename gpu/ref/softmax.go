package ref

import "math"

// Softmax is softmax over each of n equal rows of x (the samples of a tensor [n, ...]
// flattened): F.softmax(x.reshape(n, -1), dim=1). Each row's maximum is subtracted
// before exp, so that large inputs do not overflow.
func Softmax(x []float64, n int) []float64 {
	m := len(x) / n
	y := make([]float64, len(x))
	for r := range n {
		row := x[r*m : (r+1)*m]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		s := 0.0
		for i, v := range row {
			y[r*m+i] = math.Exp(v - mx)
			s += y[r*m+i]
		}
		for i := range row {
			y[r*m+i] /= s
		}
	}
	return y
}

// SoftmaxBackward is the gradient of Softmax from its output y: dx = y·(dy - Σ dy·y), the
// sum over each of the n rows.
func SoftmaxBackward(dy, y []float64, n int) []float64 {
	m := len(y) / n
	dx := make([]float64, len(y))
	for r := range n {
		d := 0.0
		for i := r * m; i < (r+1)*m; i++ {
			d += dy[i] * y[i]
		}
		for i := r * m; i < (r+1)*m; i++ {
			dx[i] = y[i] * (dy[i] - d)
		}
	}
	return dx
}
