package gpu

import (
	"fmt"
	"slices"
)

// pool2DBackward checks dy against the pooling of an input of shape xs and records entry
// of pool_backward.wgsl, one invocation per input element; x is the input for max pooling,
// nil for average pooling.
func (b *Batch) pool2DBackward(op, entry string, dy, x *Tensor, xs []int, p Pool2DParams) *Tensor {
	if err := checkShape(xs); err != nil {
		b.Fail(fmt.Errorf("%s: input shape: %w", op, err))
		return nil
	}
	ys, stride, err := pool2DShape(op, xs, p)
	if err != nil {
		b.Fail(err)
		return nil
	}
	if !slices.Equal(dy.shape, ys) {
		b.Fail(fmt.Errorf("%s: dy has shape %v, want %v for input %v (kernel %d, stride %d, padding %d)",
			op, dy.shape, ys, xs, p.Kernel, stride, p.Padding))
		return nil
	}
	dx := b.newOutput(op, xs...)
	if dx == nil {
		return nil
	}
	consts := []constant{
		ci("IH", xs[2]), ci("IW", xs[3]), ci("OH", ys[2]), ci("OW", ys[3]),
		ci("K", p.Kernel), ci("STRIDE", stride), ci("PAD", p.Padding),
	}
	if x == nil {
		b.launch1D("pool_backward.wgsl", entry, dx.Len(), consts, in(dy), out(dx))
	} else {
		b.launch1D("pool_backward.wgsl", entry, dx.Len(), consts, in(dy), out(dx), in(x))
	}
	return dx
}

// MaxPool2DBackward is the backward of MaxPool2D(x, p): each window's gradient in dy goes
// to the position of the window's maximum in x, the first in scan order on ties (as
// PyTorch picks it), and adds up where windows overlap.
func (b *Batch) MaxPool2DBackward(dy, x *Tensor, p Pool2DParams) *Tensor {
	const op = "MaxPool2DBackward"
	if !b.okArgs(op, arg{"dy", dy}, arg{"input", x}) {
		return nil
	}
	return b.pool2DBackward(op, "max_pool2d_backward", dy, x, x.shape, p)
}

// AvgPool2DBackward is the backward of AvgPool2D(x, p) for x of shape xShape: each
// window's gradient in dy, divided by the forward's divisor (count_include_pad=True), goes
// to every input position of the window.
func (b *Batch) AvgPool2DBackward(dy *Tensor, xShape []int, p Pool2DParams) *Tensor {
	const op = "AvgPool2DBackward"
	if !b.okArgs(op, arg{"dy", dy}) {
		return nil
	}
	return b.pool2DBackward(op, "avg_pool2d_backward", dy, nil, xShape, p)
}
