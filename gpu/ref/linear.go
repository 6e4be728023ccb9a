package ref

// MatMul is a [M,K] @ b [K,N] for each of batch matrix pairs; a batch stride of 0
// broadcasts one matrix over the batch. The result is [batch,M,N].
func MatMul(a, b []float64, batch, m, k, n, aStride, bStride int) []float64 {
	y := make([]float64, batch*m*n)
	for z := range batch {
		for i := range m {
			for j := range n {
				s := 0.0
				for l := range k {
					s += a[z*aStride+i*k+l] * b[z*bStride+l*n+j]
				}
				y[(z*m+i)*n+j] = s
			}
		}
	}
	return y
}

// Linear is nn.Linear: x [rows,in], w [out,in], bias [out] or nil → x wᵀ + bias [rows,out].
func Linear(x, w, bias []float64, rows, in, out int) []float64 {
	y := make([]float64, rows*out)
	for r := range rows {
		for o := range out {
			s := 0.0
			if bias != nil {
				s = bias[o]
			}
			for i := range in {
				s += x[r*in+i] * w[o*in+i]
			}
			y[r*out+o] = s
		}
	}
	return y
}

// Gram is the style-loss Gram matrix of x [N,C,H,W]: F Fᵀ / (C·H·W) per image, F = x as
// [C,H·W], giving [N,C,C].
func Gram(x []float64, shape []int) []float64 {
	n, c, hw := planes(shape)
	y := make([]float64, n*c*c)
	for z := range n {
		for i := range c {
			for j := range c {
				s := 0.0
				for k := range hw {
					s += x[(z*c+i)*hw+k] * x[(z*c+j)*hw+k]
				}
				y[(z*c+i)*c+j] = s / float64(c*hw)
			}
		}
	}
	return y
}
