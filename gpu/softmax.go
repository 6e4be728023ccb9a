package gpu

import (
	"fmt"
	"slices"
)

// softmaxChunk is about how many elements of a sample one workgroup of softmax.wgsl
// handles; at most softmaxMaxParts workgroups share a sample.
const (
	softmaxChunk    = 4096
	softmaxMaxParts = 1024
)

// samples checks that x is [N, ...] of rank ≥ 2 with N within one grid dimension, and
// returns N and the elements per sample.
func (b *Batch) samples(op, name string, x *Tensor) (n, m int, ok bool) {
	if len(x.shape) < 2 {
		b.Fail(fmt.Errorf("%s: %s %v, want [N, ...] of rank ≥ 2", op, name, x.shape))
		return 0, 0, false
	}
	n = x.shape[0]
	if n > 65535 {
		b.Fail(fmt.Errorf("%s: %s %v has %d samples, at most 65535", op, name, x.shape, n))
		return 0, 0, false
	}
	return n, x.Len() / n, true
}

// softmaxLaunch records entry of softmax.wgsl on the P × N grid for samples of m elements.
func (b *Batch) softmaxLaunch(entry string, n, m, p int, args ...binding) {
	consts := []constant{cu("GRID_X", p*reduceWorkgroup), cu("M", m), cu("P", p)}
	b.launch("softmax.wgsl", entry, consts, [3]uint32{uint32(p), uint32(n), 1}, args...)
}

// softmaxParts is the number of workgroups that share a sample of m elements.
func softmaxParts(m int) int {
	return max(1, min((m+softmaxChunk-1)/softmaxChunk, softmaxMaxParts))
}

// Softmax is softmax over all the elements of each sample of x [N, ...] together:
// F.softmax(x.reshape(N, -1), dim=1).reshape(x.shape), computed stably (each sample's
// maximum is subtracted before exp). Two launches, each spreading a sample over many
// workgroups: partial maxima and sums of exp(x - max) in one read of x (online softmax),
// then exp(x - max)/sum.
func (b *Batch) Softmax(x *Tensor) *Tensor {
	const op = "Softmax"
	if !b.okArgs(op, arg{"input", x}) {
		return nil
	}
	n, m, ok := b.samples(op, "input", x)
	if !ok {
		return nil
	}
	p := softmaxParts(m)
	part := b.newOutput(op, n, 2, p)
	if part == nil {
		return nil
	}
	b.releaseAfterBatch(part)
	y := b.newOutput(op, x.shape...)
	if y == nil {
		return nil
	}
	args := []binding{in(x), out(y), out(part)}
	b.softmaxLaunch("softmax_stats", n, m, p, args...)
	b.softmaxLaunch("softmax_apply", n, m, p, args...)
	return y
}

// SoftmaxBackward is the gradient of Softmax from its output y: dx = y·(dy - Σ dy·y), the
// sum over each sample's elements. Two launches: the partial sums, then the gradient.
func (b *Batch) SoftmaxBackward(dy, y *Tensor) *Tensor {
	const op = "SoftmaxBackward"
	if !b.okArgs(op, arg{"the gradient", dy}, arg{"the output", y}) {
		return nil
	}
	if !slices.Equal(dy.shape, y.shape) {
		b.Fail(fmt.Errorf("%s: gradient %v and output %v differ in shape", op, dy.shape, y.shape))
		return nil
	}
	n, m, ok := b.samples(op, "output", y)
	if !ok {
		return nil
	}
	p := softmaxParts(m)
	part := b.newOutput(op, n, 2, p)
	if part == nil {
		return nil
	}
	b.releaseAfterBatch(part)
	dx := b.newOutput(op, y.shape...)
	if dx == nil {
		return nil
	}
	args := []binding{in(y), out(dx), out(part), in(dy)}
	b.softmaxLaunch("softmax_dot", n, m, p, args...)
	b.softmaxLaunch("softmax_backward", n, m, p, args...)
	return dx
}
