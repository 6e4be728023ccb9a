package gpu

import (
	"fmt"
	"slices"
)

// Concat joins tensors along dimension dim (negative counts from the end), like torch.cat:
// all inputs have one rank and agree in every other dimension.
func (b *Batch) Concat(dim int, xs ...*Tensor) *Tensor {
	const op = "Concat"
	if !b.ok(op, xs...) {
		return nil
	}
	if len(xs) == 0 {
		b.Fail(fmt.Errorf("%s: no inputs", op))
		return nil
	}
	rank := len(xs[0].shape)
	d := dim
	if d < 0 {
		d += rank
	}
	if d < 0 || d >= rank {
		b.Fail(fmt.Errorf("%s: dim %d out of range for input %v", op, dim, xs[0].shape))
		return nil
	}
	outShape := slices.Clone(xs[0].shape)
	outShape[d] = 0
	for i, x := range xs {
		agree := len(x.shape) == rank
		for j := 0; agree && j < rank; j++ {
			agree = j == d || x.shape[j] == xs[0].shape[j]
		}
		if !agree {
			b.Fail(fmt.Errorf("%s: along dim %d, input %d %v does not fit input 0 %v", op, dim, i, x.shape, xs[0].shape))
			return nil
		}
		outShape[d] += x.shape[d]
	}
	y := b.newOutput(op, outShape...)
	if y == nil {
		return nil
	}
	inner := numel(outShape[d+1:])
	off := 0
	for _, x := range xs {
		b.launch1D("concat.wgsl", "concat_copy", x.Len(), []constant{
			ru("INNER", inner), ru("DIM_IN", x.shape[d]), ru("DIM_OUT", outShape[d]), ru("OFF", off),
		}, in(x), out(y))
		off += x.shape[d]
	}
	return y
}

// Slice copies positions start..start+length-1 of dimension dim (negative counts from the
// end) of x, like x.narrow(dim, start, length).contiguous(). It is Concat's backward: each
// input's gradient is the slice of dy where the input went.
func (b *Batch) Slice(x *Tensor, dim, start, length int) *Tensor {
	const op = "Slice"
	if !b.okArgs(op, arg{"input", x}) {
		return nil
	}
	d := dim
	if d < 0 {
		d += len(x.shape)
	}
	if d < 0 || d >= len(x.shape) {
		b.Fail(fmt.Errorf("%s: dim %d out of range for input %v", op, dim, x.shape))
		return nil
	}
	if start < 0 || length < 1 || start > x.shape[d]-length {
		b.Fail(fmt.Errorf("%s: start %d, length %d along dim %d of input %v, want 0 ≤ start, 1 ≤ length, start+length ≤ %d",
			op, start, length, dim, x.shape, x.shape[d]))
		return nil
	}
	outShape := x.Shape()
	outShape[d] = length
	y := b.newOutput(op, outShape...)
	if y == nil {
		return nil
	}
	b.launch1D("concat.wgsl", "slice_copy", y.Len(), []constant{
		ru("INNER", numel(x.shape[d+1:])), ru("DIM_IN", x.shape[d]), ru("DIM_OUT", length), ru("OFF", start),
	}, in(x), out(y))
	return y
}
