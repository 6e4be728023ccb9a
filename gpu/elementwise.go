package gpu

import (
	"fmt"
	"math"
	"slices"
)

func (b *Batch) unary(op, entry string, x *Tensor, alpha, beta float64) *Tensor {
	if !b.ok(op, x) {
		return nil
	}
	y := b.newOutput(op, x.shape...)
	b.launch1D("unary.wgsl", entry, x.Len(), []constant{cf("ALPHA", alpha), cf("BETA", beta)}, in(x), out(y))
	return y
}

// ReLU is max(x, 0).
func (b *Batch) ReLU(x *Tensor) *Tensor { return b.unary("ReLU", "relu", x, 0, 0) }

// LeakyReLU is x for x ≥ 0 and slope·x below.
func (b *Batch) LeakyReLU(x *Tensor, slope float64) *Tensor {
	return b.unary("LeakyReLU", "leaky_relu", x, slope, 0)
}

// Hardtanh is min(max(x, lo), hi) for lo ≤ hi, into a new tensor: PyTorch's
// Hardtanh(lo, hi), and ReLU6 for lo = 0, hi = 6. The bounds are rounded to float32.
// (Clamp is the in-place form, without a gradient.)
func (b *Batch) Hardtanh(x *Tensor, lo, hi float64) *Tensor {
	const op = "Hardtanh"
	if err := checkClampBounds(op, lo, hi); err != nil {
		b.Fail(err)
		return nil
	}
	return b.unary(op, "hardtanh", x, lo, hi)
}

// checkClampBounds refuses bounds that are NaN, infinite or out of order.
func checkClampBounds(op string, lo, hi float64) error {
	for _, v := range []float64{lo, hi} {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
			return fmt.Errorf("%s: bound %v is not a finite float32", op, v)
		}
	}
	if lo > hi {
		return fmt.Errorf("%s: lower bound %v is above upper bound %v", op, lo, hi)
	}
	return nil
}

// Tanh is the hyperbolic tangent.
func (b *Batch) Tanh(x *Tensor) *Tensor { return b.unary("Tanh", "tanh_", x, 0, 0) }

// Sigmoid is 1/(1+exp(-x)).
func (b *Batch) Sigmoid(x *Tensor) *Tensor { return b.unary("Sigmoid", "sigmoid", x, 0, 0) }

// Scale is x·a + c.
func (b *Batch) Scale(x *Tensor, a, c float64) *Tensor { return b.unary("Scale", "affine", x, a, c) }

func (b *Batch) binary(op, entry string, x, y *Tensor, alpha, beta float64) *Tensor {
	if !b.ok(op, x, y) {
		return nil
	}
	if !slices.Equal(x.shape, y.shape) {
		b.Fail(fmt.Errorf("%s: shapes %v and %v differ", op, x.shape, y.shape))
		return nil
	}
	z := b.newOutput(op, x.shape...)
	b.launch1D("binary.wgsl", entry, x.Len(), []constant{cf("ALPHA", alpha), cf("BETA", beta)}, in(x), in(y), out(z))
	return z
}

// Add is x + y for tensors of one shape.
func (b *Batch) Add(x, y *Tensor) *Tensor { return b.binary("Add", "add", x, y, 1, 1) }

// AddScaled is a·x + c·y for tensors of one shape.
func (b *Batch) AddScaled(x *Tensor, a float64, y *Tensor, c float64) *Tensor {
	return b.binary("AddScaled", "add", x, y, a, c)
}

// Mul is the elementwise product of tensors of one shape.
func (b *Batch) Mul(x, y *Tensor) *Tensor { return b.binary("Mul", "mul", x, y, 0, 0) }
