package ref

import "math"

// normBackward is the backward of a normalisation by batch statistics, PyTorch's formula:
// with xhat = (x-mean)·invstd over each group of count elements (group g's i-th element at
// at(g, i), its channel g % c), dx = gamma·invstd·(dy - (Σdy + xhat·Σdy·xhat)/count),
// dgamma[c] = Σ dy·xhat and dbeta[c] = Σ dy over the channel's groups. gamma nil: the
// non-affine op, gamma = 1 and no dgamma, dbeta.
func normBackward(dy, x, gamma []float64, c, groups, count int, at func(g, i int) int, eps float64) (dx, dgamma, dbeta []float64) {
	dx = make([]float64, len(x))
	if gamma != nil {
		dgamma, dbeta = make([]float64, c), make([]float64, c)
	}
	for g := range groups {
		mean, variance := groupStats(x, count, func(i int) int { return at(g, i) })
		inv := 1 / math.Sqrt(variance+eps)
		sumDy, sumDyXhat := 0.0, 0.0
		for i := range count {
			k := at(g, i)
			sumDy += dy[k]
			sumDyXhat += dy[k] * (x[k] - mean) * inv
		}
		scale := inv
		if gamma != nil {
			ch := g % c
			scale *= gamma[ch]
			dgamma[ch] += sumDyXhat
			dbeta[ch] += sumDy
		}
		for i := range count {
			k := at(g, i)
			xhat := (x[k] - mean) * inv
			dx[k] = scale * (dy[k] - (sumDy+xhat*sumDyXhat)/float64(count))
		}
	}
	return dx, dgamma, dbeta
}

// BatchNormTrainBackward is the backward of BatchNormTrain's output y for x [N,C,...]
// (the running statistics take no gradient): the gradients of Σ dy·y with respect to x,
// gamma and beta. gamma nil: the non-affine op, and dgamma, dbeta are nil.
func BatchNormTrainBackward(dy, x []float64, shape []int, gamma []float64, eps float64) (dx, dgamma, dbeta []float64) {
	n, c, hw := planes(shape)
	return normBackward(dy, x, gamma, c, c, n*hw, func(g, i int) int { return ((i/hw)*c+g)*hw + i%hw }, eps)
}

// InstanceNormBackward is the backward of InstanceNorm for x [N,C,H,W]: the gradients of
// Σ dy·y with respect to x, gamma and beta (dgamma, dbeta summed over N; nil when gamma is).
func InstanceNormBackward(dy, x []float64, shape []int, gamma []float64, eps float64) (dx, dgamma, dbeta []float64) {
	n, c, hw := planes(shape)
	return normBackward(dy, x, gamma, c, n*c, hw, func(g, i int) int { return g*hw + i }, eps)
}
