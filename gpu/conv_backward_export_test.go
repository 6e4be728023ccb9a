package gpu

// Conv2DBackwardWeightTile records Conv2DBackwardWeight with the register tile of cq output
// and iq input channel quads × tk taps of a kernel row (tk divides the kernel width)
// instead of the one it picks.
func (b *Batch) Conv2DBackwardWeightTile(cq, iq, tk int, x, dy *Tensor, wShape []int, p Conv2DParams) *Tensor {
	const op = "Conv2DBackwardWeight"
	if !b.ok(op, x, dy) {
		return nil
	}
	if err := checkConv2DGrad(op, x.shape, wShape, dy.shape, p); err != nil {
		b.Fail(err)
		return nil
	}
	t := weightGradTile{cq: cq, iq: iq, tk: tk}
	return b.convWeightGradTile(op, t, x, dy, wShape[2], wShape[3], p.Stride, p.Padding, p.PadMode)
}

// WeightGradTile is the register tile Conv2DBackwardWeight picks as (cq, iq, tk).
func WeightGradTile(cout, cin, kw, stride int) [3]int {
	t := pickWeightGradTile(cout, cin, kw, stride)
	return [3]int{t.cq, t.iq, t.tk}
}

// WeightGradSplits is how the GPU family's weight gradient splits its sum over the output
// pixels, for taps taps, cin input and cout output channels: (parts, pixels per part).
func WeightGradSplits(taps, cin, cout, pixels int) [2]int {
	splits, pps := weightGradSplits(taps, ceilTo(cin, 4), ceilTo(cout, 4), pixels)
	return [2]int{splits, pps}
}

// DepthwiseGradSplits is how the GPU family's depthwise weight gradient splits its sum
// over the output pixels, for c channels and taps taps: (parts, pixels per part).
func DepthwiseGradSplits(c, taps, pixels int) [2]int {
	splits, pps := depthwiseGradSplits(c, taps, pixels)
	return [2]int{splits, pps}
}
