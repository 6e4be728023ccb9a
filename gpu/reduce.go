package gpu

import (
	"fmt"
	"slices"
)

const (
	reduceWorkgroup = 64
	// reduceChunk is about how many inputs one workgroup of the first stage sums; at most
	// reduceMaxPartials workgroups share the work.
	reduceChunk       = 4096
	reduceMaxPartials = 1024
)

// reduce records ALPHA·Σ f(x[, x2]) into a new [1] tensor: entry is partial_sum or
// partial_sq_diff (or another partial_* of reduce.wgsl over elements).
func (b *Batch) reduce(op, entry string, alpha float64, xs ...*Tensor) *Tensor {
	n := xs[0].Len()
	return b.reduceItems(op, entry, n, n, 1, 1, alpha, xs...)
}

// reduceItems records ALPHA·Σ over n items (elements, or rows of cols for
// partial_cross_entropy) into a new [1] tensor; work (about n·cols) sizes the first stage,
// cols and rows are the kernel's COLS and ROWS. Work up to one chunk takes one launch;
// more takes one launch for partial sums, kept in a tensor the batch owns, and one to sum
// those.
func (b *Batch) reduceItems(op, entry string, n, work, cols, rows int, alpha float64, xs ...*Tensor) *Tensor {
	p := min((work+reduceChunk-1)/reduceChunk, (n+reduceWorkgroup-1)/reduceWorkgroup, reduceMaxPartials)
	args := func(y *Tensor) []binding { // x, y, then x2 for partial_sq_diff
		bs := []binding{in(xs[0]), out(y)}
		for _, x := range xs[1:] {
			bs = append(bs, in(x))
		}
		return bs
	}
	y := b.newOutput(op, 1)
	if y == nil {
		return nil
	}
	if p <= 1 {
		b.launch("reduce.wgsl", entry, reduceConsts(n, 1, cols, rows, alpha), [3]uint32{1, 1, 1}, args(y)...)
		return y
	}
	partials := b.newOutput(op, p)
	if partials == nil {
		return nil
	}
	b.releaseAfterBatch(partials)
	b.launch("reduce.wgsl", entry, reduceConsts(n, p, cols, rows, 1), [3]uint32{uint32(p), 1, 1}, args(partials)...)
	b.launch("reduce.wgsl", "partial_sum", reduceConsts(p, 1, 1, 1, alpha), [3]uint32{1, 1, 1}, in(partials), out(y))
	return y
}

func reduceConsts(n, p, cols, rows int, alpha float64) []constant {
	return []constant{cu("GRID_X", p*reduceWorkgroup), cu("N", n), cu("P", p), cf("ALPHA", alpha),
		cu("COLS", cols), cu("ROWS", rows)}
}

// Sum is the sum of all elements of x, as a [1] tensor.
func (b *Batch) Sum(x *Tensor) *Tensor {
	if !b.ok("Sum", x) {
		return nil
	}
	return b.reduce("Sum", "partial_sum", 1, x)
}

// Mean is the mean of all elements of x, as a [1] tensor.
func (b *Batch) Mean(x *Tensor) *Tensor {
	if !b.ok("Mean", x) {
		return nil
	}
	return b.reduce("Mean", "partial_sum", 1/float64(x.Len()), x)
}

// MSE is mean((x-y)²) over tensors of one shape, as a [1] tensor: F.mse_loss with the
// default reduction "mean".
func (b *Batch) MSE(x, y *Tensor) *Tensor {
	const op = "MSE"
	if !b.ok(op, x, y) {
		return nil
	}
	if !slices.Equal(x.shape, y.shape) {
		b.Fail(fmt.Errorf("%s: shapes %v and %v differ", op, x.shape, y.shape))
		return nil
	}
	return b.reduce(op, "partial_sq_diff", 1/float64(x.Len()), x, y)
}
