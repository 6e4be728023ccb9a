package ref

// MatMulBackward is the backward of MatMul with the same arguments: the gradients of
// Σ dy·(a@b) with respect to a and b. A broadcast operand (batch stride 0) gets the sum
// over the batch; each gradient has its operand's length.
func MatMulBackward(dy, a, b []float64, batch, m, k, n, aStride, bStride int) (da, db []float64) {
	da, db = make([]float64, len(a)), make([]float64, len(b))
	for z := range batch {
		for i := range m {
			for j := range n {
				g := dy[(z*m+i)*n+j]
				for l := range k {
					da[z*aStride+i*k+l] += g * b[z*bStride+l*n+j]
					db[z*bStride+l*n+j] += g * a[z*aStride+i*k+l]
				}
			}
		}
	}
	return da, db
}

// LinearBackward is the backward of Linear: for dy [rows,out], the gradients dx [rows,in],
// dw [out,in] and, when hasBias, db [out] (nil otherwise).
func LinearBackward(dy, x, w []float64, rows, in, out int, hasBias bool) (dx, dw, db []float64) {
	dx, dw = make([]float64, rows*in), make([]float64, out*in)
	if hasBias {
		db = make([]float64, out)
	}
	for r := range rows {
		for o := range out {
			g := dy[r*out+o]
			for i := range in {
				dx[r*in+i] += g * w[o*in+i]
				dw[o*in+i] += g * x[r*in+i]
			}
			if hasBias {
				db[o] += g
			}
		}
	}
	return dx, dw, db
}

// GramBackward is the backward of Gram for x [N,C,H,W] and dy [N,C,C] (not assumed
// symmetric): dF = (dy + dyᵀ) F / (C·H·W) per image, F = x as [C,H·W].
func GramBackward(dy, x []float64, shape []int) []float64 {
	n, c, hw := planes(shape)
	dx := make([]float64, len(x))
	for z := range n {
		for i := range c {
			for j := range c {
				g := (dy[(z*c+i)*c+j] + dy[(z*c+j)*c+i]) / float64(c*hw)
				for k := range hw {
					dx[(z*c+i)*hw+k] += g * x[(z*c+j)*hw+k]
				}
			}
		}
	}
	return dx
}
