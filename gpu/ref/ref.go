// Package ref is the float64 CPU reference of every gpu op, written for clarity, not speed.
// Tensors are flat row-major slices with an explicit shape; semantics follow PyTorch.
package ref

import "math"

// Unary applies f to every element.
func Unary(x []float64, f func(float64) float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = f(v)
	}
	return y
}

func ReLU(v float64) float64 { return math.Max(v, 0) }

func LeakyReLU(slope float64) func(float64) float64 {
	return func(v float64) float64 {
		if v >= 0 {
			return v
		}
		return slope * v
	}
}

// Hardtanh is min(max(v, lo), hi): PyTorch's Hardtanh(lo, hi), ReLU6 for [0, 6].
func Hardtanh(lo, hi float64) func(float64) float64 {
	return func(v float64) float64 { return math.Min(math.Max(v, lo), hi) }
}

func Tanh(v float64) float64 { return math.Tanh(v) }

func Sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

// Binary combines two slices of one length elementwise.
func Binary(a, b []float64, f func(x, y float64) float64) []float64 {
	y := make([]float64, len(a))
	for i := range a {
		y[i] = f(a[i], b[i])
	}
	return y
}
