package gpu

import (
	"fmt"
	"slices"
)

// Losses return a [1] tensor with PyTorch's default reduction "mean" (TotalVariation says
// its own), and their backward takes the upstream gradient dy as a [1] tensor, read when
// the batch runs. Forward passes use the two-stage reduction of reduce.go; backward passes
// are one kernel per element (loss_backward.wgsl).

// pair checks that x and target are live tensors of one shape.
func (b *Batch) pair(op string, x, target *Tensor) bool {
	if !b.ok(op, x, target) {
		return false
	}
	if !slices.Equal(x.shape, target.shape) {
		b.Fail(fmt.Errorf("%s: input %v and target %v differ in shape", op, x.shape, target.shape))
		return false
	}
	return true
}

// lossBackward records y = dL/dx by entry of loss_backward.wgsl over x's elements, binding
// x, the output, dy, then more (targets, row statistics).
func (b *Batch) lossBackward(op, entry string, x, dy *Tensor, alpha float64, cols, rows int, more ...*Tensor) *Tensor {
	dx := b.newOutput(op, x.shape...)
	if dx == nil {
		return nil
	}
	args := []binding{in(x), out(dx), in(dy)}
	for _, t := range more {
		args = append(args, in(t))
	}
	b.launch1D("loss_backward.wgsl", entry, x.Len(),
		[]constant{cf("ALPHA", alpha), cu("COLS", cols), cu("ROWS", rows)}, args...)
	return dx
}

// BCE is nn.BCELoss: mean(-(t·log p + (1-t)·log(1-p))) over probabilities p and targets t
// of one shape, each log clamped to ≥ -100 as PyTorch does (so p = 0 or 1 costs at most 100).
func (b *Batch) BCE(p, target *Tensor) *Tensor {
	if !b.pair("BCE", p, target) {
		return nil
	}
	return b.reduce("BCE", "partial_bce", 1/float64(p.Len()), p, target)
}

// BCEBackward is the gradient of BCE with respect to p: dy·(p-t)/max((1-p)·p, 1e-12)/n, as
// PyTorch's binary_cross_entropy_backward.
func (b *Batch) BCEBackward(dy, p, target *Tensor) *Tensor {
	const op = "BCEBackward"
	if !b.ok(op, dy) || !b.scalarInput(op, "the gradient", dy) || !b.pair(op, p, target) {
		return nil
	}
	return b.lossBackward(op, "bce_backward", p, dy, 1/float64(p.Len()), 1, 1, target)
}

// BCEWithLogits is nn.BCEWithLogitsLoss: BCE of sigmoid(z), computed stably as
// mean(max(z,0) - z·t + log(1+exp(-|z|))) for logits z and targets t of one shape.
func (b *Batch) BCEWithLogits(z, target *Tensor) *Tensor {
	if !b.pair("BCEWithLogits", z, target) {
		return nil
	}
	return b.reduce("BCEWithLogits", "partial_bce_logits", 1/float64(z.Len()), z, target)
}

// BCEWithLogitsBackward is the gradient of BCEWithLogits with respect to z:
// dy·(sigmoid(z)-t)/n.
func (b *Batch) BCEWithLogitsBackward(dy, z, target *Tensor) *Tensor {
	const op = "BCEWithLogitsBackward"
	if !b.ok(op, dy) || !b.scalarInput(op, "the gradient", dy) || !b.pair(op, z, target) {
		return nil
	}
	return b.lossBackward(op, "bce_logits_backward", z, dy, 1/float64(z.Len()), 1, 1, target)
}

// classes checks logits [N, C] against labels [N].
func (b *Batch) classes(op string, logits, labels *Tensor) bool {
	if !b.ok(op, logits, labels) {
		return false
	}
	if len(logits.shape) != 2 || len(labels.shape) != 1 || labels.shape[0] != logits.shape[0] {
		b.Fail(fmt.Errorf("%s: logits %v and labels %v, want [N, C] and [N]", op, logits.shape, labels.shape))
		return false
	}
	return true
}

// CrossEntropy is nn.CrossEntropyLoss: the mean over the N rows of logits [N, C] of
// logsumexp(row) - row[label], computed stably, with labels [N] holding class indices as
// float32. PyTorch refuses a label outside [0, C); here it is truncated and clamped into
// range (NaN picks some class), so that the kernel never reads outside the row. Rows are
// the reduction's items: the parallelism is over N.
func (b *Batch) CrossEntropy(logits, labels *Tensor) *Tensor {
	const op = "CrossEntropy"
	if !b.classes(op, logits, labels) {
		return nil
	}
	n, c := logits.shape[0], logits.shape[1]
	return b.reduceItems(op, "partial_cross_entropy", n, n*c, c, 1, 1/float64(n), logits, labels)
}

// CrossEntropyBackward is the gradient of CrossEntropy with respect to the logits:
// dy·(softmax(row) - onehot(label))/N, labels clamped as in CrossEntropy. One launch finds
// each row's logsumexp, one writes the gradient.
func (b *Batch) CrossEntropyBackward(dy, logits, labels *Tensor) *Tensor {
	const op = "CrossEntropyBackward"
	if !b.ok(op, dy) || !b.scalarInput(op, "the gradient", dy) || !b.classes(op, logits, labels) {
		return nil
	}
	n, c := logits.shape[0], logits.shape[1]
	lse := b.newOutput(op, n)
	if lse == nil {
		return nil
	}
	b.releaseAfterBatch(lse)
	b.launch1D("loss_backward.wgsl", "row_logsumexp", n,
		[]constant{cf("ALPHA", 1), cu("COLS", c), cu("ROWS", 1)}, in(logits), out(lse))
	return b.lossBackward(op, "cross_entropy_backward", logits, dy, 1/float64(n), c, 1, labels, lse)
}

// MSEBackward is the gradient of MSE(x, y) with respect to x: dy·2(x-y)/n. That with
// respect to y is its negative (the caller scales).
func (b *Batch) MSEBackward(dy, x, y *Tensor) *Tensor {
	const op = "MSEBackward"
	if !b.ok(op, dy) || !b.scalarInput(op, "the gradient", dy) || !b.pair(op, x, y) {
		return nil
	}
	return b.lossBackward(op, "mse_backward", x, dy, 2/float64(x.Len()), 1, 1, y)
}

// planes checks that x is [N, C, H, W].
func (b *Batch) planes(op string, x *Tensor) bool {
	if !b.ok(op, x) {
		return false
	}
	if len(x.shape) != 4 {
		b.Fail(fmt.Errorf("%s: input %v, want [N, C, H, W]", op, x.shape))
		return false
	}
	return true
}

// TotalVariation is the β=2 total-variation prior of Mahendran & Vedaldi on x [N, C, H, W]:
// the sum over every plane of the squared differences between horizontally and between
// vertically adjacent elements, divided by N (summed over each image, averaged over the
// batch; no mean over C, H or W).
func (b *Batch) TotalVariation(x *Tensor) *Tensor {
	const op = "TotalVariation"
	if !b.planes(op, x) {
		return nil
	}
	n := x.Len()
	return b.reduceItems(op, "partial_tv", n, n, x.shape[3], x.shape[2], 1/float64(x.shape[0]), x)
}

// TotalVariationBackward is the gradient of TotalVariation with respect to x times dy.
func (b *Batch) TotalVariationBackward(dy, x *Tensor) *Tensor {
	const op = "TotalVariationBackward"
	if !b.ok(op, dy) || !b.scalarInput(op, "the gradient", dy) || !b.planes(op, x) {
		return nil
	}
	return b.lossBackward(op, "tv_backward", x, dy, 2/float64(x.shape[0]), x.shape[3], x.shape[2])
}
