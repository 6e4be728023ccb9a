package ref

// Sum is the sum of all elements.
func Sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

// Mean is the mean of all elements.
func Mean(x []float64) float64 { return Sum(x) / float64(len(x)) }

// MSE is mean((x-y)²), F.mse_loss with reduction "mean".
func MSE(x, y []float64) float64 {
	s := 0.0
	for i := range x {
		d := x[i] - y[i]
		s += d * d
	}
	return s / float64(len(x))
}
