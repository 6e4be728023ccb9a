package gpu

import (
	"fmt"
	"math"
	"slices"
)

// activationBackward records dx = dy·f'(x) (or f' from the output) for tensors of one shape.
func (b *Batch) activationBackward(op, entry string, dy, x *Tensor, alpha, beta float64) *Tensor {
	if !b.ok(op, dy, x) {
		return nil
	}
	if !slices.Equal(dy.shape, x.shape) {
		b.Fail(fmt.Errorf("%s: gradient %v and input %v differ in shape", op, dy.shape, x.shape))
		return nil
	}
	dx := b.newOutput(op, x.shape...)
	if dx == nil {
		return nil
	}
	b.launch1D("activation_backward.wgsl", entry, x.Len(), []constant{cf("ALPHA", alpha), cf("BETA", beta)}, in(dy), in(x), out(dx))
	return dx
}

// ReLUBackward is the gradient of ReLU: dy where x > 0, else 0 (PyTorch's
// threshold_backward: the gradient at 0 is 0).
func (b *Batch) ReLUBackward(dy, x *Tensor) *Tensor {
	return b.activationBackward("ReLUBackward", "relu_backward", dy, x, 0, 0)
}

// LeakyReLUBackward is the gradient of LeakyReLU: dy where x > 0, else dy·slope (PyTorch's
// leaky_relu_backward, so x = 0 takes the slope).
func (b *Batch) LeakyReLUBackward(dy, x *Tensor, slope float64) *Tensor {
	return b.activationBackward("LeakyReLUBackward", "leaky_relu_backward", dy, x, slope, 0)
}

// HardtanhBackward is the gradient of Hardtanh(x, lo, hi): dy where lo < x < hi, else 0
// (PyTorch's hardtanh_backward: the gradient at either bound is 0).
func (b *Batch) HardtanhBackward(dy, x *Tensor, lo, hi float64) *Tensor {
	const op = "HardtanhBackward"
	if err := checkClampBounds(op, lo, hi); err != nil {
		b.Fail(err)
		return nil
	}
	return b.activationBackward(op, "hardtanh_backward", dy, x, lo, hi)
}

// TanhBackward is the gradient of Tanh from its output y: dy·(1-y²).
func (b *Batch) TanhBackward(dy, y *Tensor) *Tensor {
	return b.activationBackward("TanhBackward", "tanh_backward", dy, y, 0, 0)
}

// SigmoidBackward is the gradient of Sigmoid from its output y: dy·y·(1-y).
func (b *Batch) SigmoidBackward(dy, y *Tensor) *Tensor {
	return b.activationBackward("SigmoidBackward", "sigmoid_backward", dy, y, 0, 0)
}

// scalarInput checks that s holds one element (a loss, a scalar gradient or weight).
func (b *Batch) scalarInput(op, what string, s *Tensor) bool {
	if s.Len() != 1 {
		b.Fail(fmt.Errorf("%s: %s has shape %v, want [1]", op, what, s.shape))
		return false
	}
	return true
}

// Broadcast is a tensor of shape filled with s[0]·scale, s a [1] tensor: the backward of
// Sum (scale 1) and of Mean (scale 1/n) spreading the scalar's gradient over the input.
func (b *Batch) Broadcast(s *Tensor, scale float64, shape ...int) *Tensor {
	const op = "Broadcast"
	if !b.ok(op, s) || !b.scalarInput(op, "the scalar", s) {
		return nil
	}
	if math.IsNaN(scale) || math.IsInf(scale, 0) {
		b.Fail(fmt.Errorf("%s: scale %v is not finite", op, scale))
		return nil
	}
	y := b.newOutput(op, shape...)
	if y == nil {
		return nil
	}
	b.launch1D("unary.wgsl", "broadcast", y.Len(), []constant{cf("ALPHA", scale), cf("BETA", 0)}, in(s), out(y))
	return y
}

// MulScalar is x·s[0] with s a [1] tensor read when the batch runs, so that a loss weight
// or learning rate can change between submits without a new pipeline.
func (b *Batch) MulScalar(x, s *Tensor) *Tensor {
	const op = "MulScalar"
	if !b.ok(op, x, s) || !b.scalarInput(op, "the scalar", s) {
		return nil
	}
	y := b.newOutput(op, x.shape...)
	if y == nil {
		return nil
	}
	b.launch1D("binary.wgsl", "mul_scalar", x.Len(), []constant{cf("ALPHA", 0), cf("BETA", 0)}, in(x), in(s), out(y))
	return y
}
