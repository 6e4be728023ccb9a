package ref

import "math"

// groupStats returns the mean and biased variance of x[at(i)] for i < count, two-pass.
func groupStats(x []float64, count int, at func(i int) int) (mean, variance float64) {
	for i := range count {
		mean += x[at(i)]
	}
	mean /= float64(count)
	for i := range count {
		d := x[at(i)] - mean
		variance += d * d
	}
	return mean, variance / float64(count)
}

// normalize returns (x-mean[c])/sqrt(var[c]+eps)·gamma[c] + beta[c] for x [N,C,HW...],
// with mean and var given per (n,c) plane by stat; gamma and beta may be nil.
func normalize(x []float64, n, c, hw int, gamma, beta []float64, eps float64, stat func(n, c int) (float64, float64)) []float64 {
	y := make([]float64, len(x))
	for i := range n {
		for j := range c {
			mean, variance := stat(i, j)
			inv := 1 / math.Sqrt(variance+eps)
			for k := range hw {
				at := (i*c+j)*hw + k
				y[at] = (x[at] - mean) * inv
				if gamma != nil {
					y[at] = y[at]*gamma[j] + beta[j]
				}
			}
		}
	}
	return y
}

// planes returns N, C and the elements per plane of an [N,C,...] shape.
func planes(shape []int) (n, c, hw int) {
	hw = 1
	for _, s := range shape[2:] {
		hw *= s
	}
	return shape[0], shape[1], hw
}

// InstanceNorm is nn.InstanceNorm2d: each (n,c) plane of x [N,C,H,W] normalised by its
// mean and biased variance, then gamma[c]·v + beta[c] (gamma, beta nil: affine=False).
func InstanceNorm(x []float64, shape []int, gamma, beta []float64, eps float64) []float64 {
	n, c, hw := planes(shape)
	return normalize(x, n, c, hw, gamma, beta, eps, func(i, j int) (float64, float64) {
		return groupStats(x, hw, func(k int) int { return (i*c+j)*hw + k })
	})
}

// BatchNorm is nn.BatchNorm2d (or 1d) in eval mode, for x [N,C,...].
func BatchNorm(x []float64, shape []int, gamma, beta, runMean, runVar []float64, eps float64) []float64 {
	n, c, hw := planes(shape)
	return normalize(x, n, c, hw, gamma, beta, eps, func(_, j int) (float64, float64) {
		return runMean[j], runVar[j]
	})
}

// BatchNormTrain is nn.BatchNorm2d (or 1d) in train mode, for x [N,C,...]: x normalised
// by each channel's batch mean and biased variance, and the updated running statistics
// (1-momentum)·r + momentum·s, s being the batch mean or the unbiased batch variance.
func BatchNormTrain(x []float64, shape []int, gamma, beta, runMean, runVar []float64, momentum, eps float64) (y, newMean, newVar []float64) {
	n, c, hw := planes(shape)
	mean := make([]float64, c)
	variance := make([]float64, c)
	newMean = make([]float64, c)
	newVar = make([]float64, c)
	count := n * hw
	for j := range c {
		mean[j], variance[j] = groupStats(x, count, func(k int) int { return ((k/hw)*c+j)*hw + k%hw })
		newMean[j] = (1-momentum)*runMean[j] + momentum*mean[j]
		newVar[j] = (1-momentum)*runVar[j] + momentum*variance[j]*float64(count)/float64(count-1)
	}
	y = normalize(x, n, c, hw, gamma, beta, eps, func(_, j int) (float64, float64) { return mean[j], variance[j] })
	return y, newMean, newVar
}
