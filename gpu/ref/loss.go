package ref

import "math"

// Backward references. dy is the upstream gradient (of the op's output); each function
// returns the gradient of the op's input, with PyTorch's formulas.

// ReLUBackward is dy where x > 0 and 0 elsewhere, PyTorch's threshold_backward (the
// gradient at x = 0 is 0).
func ReLUBackward(dy, x []float64) []float64 {
	return Binary(dy, x, func(g, v float64) float64 {
		if v > 0 {
			return g
		}
		return 0
	})
}

// LeakyReLUBackward is dy where x > 0 and slope·dy elsewhere, as PyTorch's
// leaky_relu_backward.
func LeakyReLUBackward(dy, x []float64, slope float64) []float64 {
	return Binary(dy, x, func(g, v float64) float64 {
		if v > 0 {
			return g
		}
		return g * slope
	})
}

// HardtanhBackward is dy where lo < x < hi and 0 elsewhere, PyTorch's hardtanh_backward (the
// gradient at x = lo and x = hi is 0).
func HardtanhBackward(dy, x []float64, lo, hi float64) []float64 {
	return Binary(dy, x, func(g, v float64) float64 {
		if v > lo && v < hi {
			return g
		}
		return 0
	})
}

// TanhBackward is dy·(1-y²) from the output y = tanh(x).
func TanhBackward(dy, y []float64) []float64 {
	return Binary(dy, y, func(g, v float64) float64 { return g * (1 - v*v) })
}

// SigmoidBackward is dy·y·(1-y) from the output y = sigmoid(x).
func SigmoidBackward(dy, y []float64) []float64 {
	return Binary(dy, y, func(g, v float64) float64 { return g * (1 - v) * v })
}

// SumBackward is the gradient of Sum over n elements: dy everywhere.
func SumBackward(dy float64, n int) []float64 {
	g := make([]float64, n)
	for i := range g {
		g[i] = dy
	}
	return g
}

// MeanBackward is the gradient of Mean over n elements: dy/n everywhere.
func MeanBackward(dy float64, n int) []float64 { return SumBackward(dy/float64(n), n) }

// clampedLog is log(v) limited to ≥ -100, as PyTorch's binary_cross_entropy does (log(0)
// is -100, not -Inf).
func clampedLog(v float64) float64 { return math.Max(math.Log(v), -100) }

// BCE is nn.BCELoss with reduction "mean": mean(-(t·log(p) + (1-t)·log(1-p))), each log
// clamped to ≥ -100.
func BCE(p, t []float64) float64 {
	s := 0.0
	for i := range p {
		s += (t[i]-1)*math.Max(math.Log1p(-p[i]), -100) - t[i]*clampedLog(p[i])
	}
	return s / float64(len(p))
}

// BCEBackward is dy·(p-t)/max((1-p)·p, 1e-12)/n, PyTorch's binary_cross_entropy_backward
// for reduction "mean".
func BCEBackward(dy float64, p, t []float64) []float64 {
	n := float64(len(p))
	return Binary(p, t, func(p, t float64) float64 {
		return dy * (p - t) / math.Max((1-p)*p, 1e-12) / n
	})
}

// BCEWithLogits is nn.BCEWithLogitsLoss with reduction "mean", in the stable form
// max(z,0) - z·t + log(1+exp(-|z|)).
func BCEWithLogits(z, t []float64) float64 {
	s := 0.0
	for i := range z {
		s += math.Max(z[i], 0) - z[i]*t[i] + math.Log1p(math.Exp(-math.Abs(z[i])))
	}
	return s / float64(len(z))
}

// BCEWithLogitsBackward is dy·(sigmoid(z)-t)/n.
func BCEWithLogitsBackward(dy float64, z, t []float64) []float64 {
	n := float64(len(z))
	return Binary(z, t, func(z, t float64) float64 { return dy * (Sigmoid(z) - t) / n })
}

// logSumExp is log Σ exp(row), computed stably about the row's maximum.
func logSumExp(row []float64) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = math.Max(m, v)
	}
	s := 0.0
	for _, v := range row {
		s += math.Exp(v - m)
	}
	return m + math.Log(s)
}

// CrossEntropy is nn.CrossEntropyLoss with reduction "mean" on logits [n, c] (row-major)
// and class indices labels [n] in [0, c): mean over rows of logsumexp(row) - row[label].
func CrossEntropy(logits []float64, n, c int, labels []int) float64 {
	s := 0.0
	for i := range n {
		row := logits[i*c : (i+1)*c]
		s += logSumExp(row) - row[labels[i]]
	}
	return s / float64(n)
}

// CrossEntropyBackward is dy·(softmax(row) - onehot(label))/n for every row.
func CrossEntropyBackward(dy float64, logits []float64, n, c int, labels []int) []float64 {
	g := make([]float64, n*c)
	for i := range n {
		row := logits[i*c : (i+1)*c]
		lse := logSumExp(row)
		for j, v := range row {
			sm := math.Exp(v - lse)
			if j == labels[i] {
				sm--
			}
			g[i*c+j] = dy * sm / float64(n)
		}
	}
	return g
}

// MSEBackward is the gradient of MSE(x, y) with respect to x: dy·2(x-y)/n. That with
// respect to y is its negative.
func MSEBackward(dy float64, x, y []float64) []float64 {
	n := float64(len(x))
	return Binary(x, y, func(a, b float64) float64 { return dy * 2 * (a - b) / n })
}

// TotalVariation is the β=2 total-variation prior of Mahendran & Vedaldi on x [N,C,H,W]:
// the sum of the squared differences of horizontally and of vertically adjacent elements
// of every plane, divided by N (a sum over the image, averaged over the batch).
func TotalVariation(x []float64, shape []int) float64 {
	n, planes, h, w := shape[0], shape[0]*shape[1], shape[2], shape[3]
	s := 0.0
	for p := range planes {
		for i := range h {
			for j := range w {
				v := x[(p*h+i)*w+j]
				if j+1 < w {
					d := x[(p*h+i)*w+j+1] - v
					s += d * d
				}
				if i+1 < h {
					d := x[(p*h+i+1)*w+j] - v
					s += d * d
				}
			}
		}
	}
	return s / float64(n)
}

// TotalVariationBackward is the gradient of TotalVariation times dy.
func TotalVariationBackward(dy float64, x []float64, shape []int) []float64 {
	n, planes, h, w := shape[0], shape[0]*shape[1], shape[2], shape[3]
	g := make([]float64, len(x))
	k := 2 * dy / float64(n)
	for p := range planes {
		for i := range h {
			for j := range w {
				at := (p*h+i)*w + j
				if j+1 < w {
					d := x[at+1] - x[at]
					g[at] -= k * d
					g[at+1] += k * d
				}
				if i+1 < h {
					d := x[at+w] - x[at]
					g[at] -= k * d
					g[at+w] += k * d
				}
			}
		}
	}
	return g
}
