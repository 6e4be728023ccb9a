package gpu

import "fmt"

// Pool2DParams are a pooling window's side, stride and padding on every side. Stride 0
// means Stride = Kernel, as in PyTorch.
type Pool2DParams struct {
	Kernel, Stride, Padding int
}

// pool2DShape checks a pooling op's input shape xs and parameters and returns the output
// shape and the stride in effect.
func pool2DShape(op string, xs []int, p Pool2DParams) ([]int, int, error) {
	if len(xs) != 4 {
		return nil, 0, fmt.Errorf("%s: input has shape %v, want 4 dimensions", op, xs)
	}
	if err := checkParam(op, "kernel", p.Kernel, 1); err != nil {
		return nil, 0, err
	}
	stride := p.Stride
	if stride == 0 {
		stride = p.Kernel
	}
	if err := checkParam(op, "stride", stride, 1); err != nil {
		return nil, 0, err
	}
	if p.Padding < 0 || p.Padding > p.Kernel/2 {
		return nil, 0, fmt.Errorf("%s: padding %d must be between 0 and kernel/2 = %d (kernel %d, input %v)", op, p.Padding, p.Kernel/2, p.Kernel, xs)
	}
	oh := windowOutSize(xs[2], p.Kernel, stride, p.Padding)
	ow := windowOutSize(xs[3], p.Kernel, stride, p.Padding)
	if oh <= 0 || ow <= 0 {
		return nil, 0, fmt.Errorf("%s: kernel %d is larger than input %v with padding %d", op, p.Kernel, xs, p.Padding)
	}
	return []int{xs[0], xs[1], oh, ow}, stride, nil
}

func (b *Batch) pool2D(op, entry string, x *Tensor, p Pool2DParams) *Tensor {
	if !b.ok(op, x) {
		return nil
	}
	shape, stride, err := pool2DShape(op, x.shape, p)
	if err != nil {
		b.Fail(err)
		return nil
	}
	y := b.newOutput(op, shape...)
	if y == nil {
		return nil
	}
	b.launch1D("pool.wgsl", entry, y.Len(), []constant{
		ri("IH", x.shape[2]), ri("IW", x.shape[3]), ru("OH", shape[2]), ru("OW", shape[3]),
		ci("K", p.Kernel), ci("STRIDE", stride), ci("PAD", p.Padding),
	}, in(x), out(y))
	return y
}

// MaxPool2D is PyTorch's MaxPool2d (ceil_mode=False, dilation 1) over square windows;
// padding counts as -inf.
func (b *Batch) MaxPool2D(x *Tensor, p Pool2DParams) *Tensor {
	return b.pool2D("MaxPool2D", "max_pool2d", x, p)
}

// AvgPool2D is PyTorch's AvgPool2d (ceil_mode=False, count_include_pad=True) over square
// windows: padded zeros count in the average.
func (b *Batch) AvgPool2D(x *Tensor, p Pool2DParams) *Tensor {
	return b.pool2D("AvgPool2D", "avg_pool2d", x, p)
}
