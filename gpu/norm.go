package gpu

import (
	"fmt"
	"math"
	"slices"
)

// statsWorkgroup is the workgroup size of norm.wgsl's stats kernel.
const statsWorkgroup = 64

// normConsts are norm.wgsl's constants. Every launch defines all of them, so that the
// module compiles; unused ones are 1 (0 where never a divisor), so that they never tell
// two pipelines apart.
type normConsts struct {
	groups, planes, hw, planeStride, c, varOff int
	eps, scale, momentum                       float64
}

func (k normConsts) list() []constant {
	one := func(v int) int { return max(v, 1) }
	count := one(k.planes) * one(k.hw)
	return []constant{
		ru("G", one(k.groups)), ru("PLANES", one(k.planes)), ru("HW", one(k.hw)),
		ru("PLANE_STRIDE", one(k.planeStride)), ru("COUNT", count), rf("INV_COUNT", 1/float64(count)),
		cu("C", one(k.c)), ru("VAR_OFF", k.varOff), cf("EPS", k.eps), cf("SCALE", k.scale), cf("MOMENTUM", k.momentum),
	}
}

// groupStats records the statistics kernel over x: groups groups of planes planes of hw
// elements, group g starting at g·hw and its planes planeStride apart. The result
// [2, groups] (means, then biased variances) lives as long as the batch.
func (b *Batch) groupStats(op string, x *Tensor, groups, planes, hw, planeStride int) *Tensor {
	st := b.newOutput(op, 2, groups)
	if st == nil {
		return nil
	}
	b.releaseAfterBatch(st)
	gx := min(groups, 65535)
	gy := (groups + gx - 1) / gx
	consts := normConsts{groups: groups, planes: planes, hw: hw, planeStride: planeStride}.list()
	b.launch("norm.wgsl", "stats", append(consts, ru("GRID_X", gx*statsWorkgroup), ru("N", 1)),
		[3]uint32{uint32(gx), uint32(gy), 1}, in(x), out(st))
	return st
}

// normalize records y = (x-mean)/sqrt(var+eps)·gamma + beta for x [N,C,...] with hw
// elements per plane; a plane's group is plane % groups, whose mean is mean[g] and
// variance variance[varOff+g].
func (b *Batch) normalize(op string, x, mean, variance, gamma, beta *Tensor, groups, hw, varOff int, eps float64) *Tensor {
	y := b.newOutput(op, x.shape...)
	if y == nil {
		return nil
	}
	consts := normConsts{groups: groups, hw: hw, c: x.shape[1], varOff: varOff, eps: eps}.list()
	if gamma == nil {
		b.launch1D("norm.wgsl", "normalize", x.Len(), consts, in(x), out(y), in(mean), in(variance))
	} else {
		b.launch1D("norm.wgsl", "normalize_affine", x.Len(), consts, in(x), out(y), in(mean), in(variance), in(gamma), in(beta))
	}
	return y
}

// arg is an op's input with its name, for error messages.
type arg struct {
	name string
	t    *Tensor
}

// okArgs is ok for inputs that an error message names.
func (b *Batch) okArgs(op string, args ...arg) bool {
	if b.err != nil {
		return false
	}
	for _, a := range args {
		switch {
		case a.t == nil:
			b.Fail(fmt.Errorf("%s: %s is nil", op, a.name))
		case a.t.freed:
			b.Fail(fmt.Errorf("%s: %s (%v) was released", op, a.name, a.t))
		case a.t.d != b.d:
			b.Fail(fmt.Errorf("%s: %s (%v) belongs to another device", op, a.name, a.t))
		}
		if b.err != nil {
			return false
		}
	}
	return true
}

// checkEps refuses a non-positive, NaN or infinite eps.
func (b *Batch) checkEps(op string, eps float64) bool {
	if !(eps > 0) || math.IsInf(eps, 0) {
		b.Fail(fmt.Errorf("%s: eps %v, want a finite value > 0", op, eps))
		return false
	}
	return true
}

// checkPerChannel checks that each named tensor is [c].
func (b *Batch) checkPerChannel(op string, x *Tensor, c int, names []string, ts ...*Tensor) bool {
	for i, t := range ts {
		if !slices.Equal(t.shape, []int{c}) {
			b.Fail(fmt.Errorf("%s: %s has shape %v, want [%d] for input %v", op, names[i], t.shape, c, x.shape))
			return false
		}
	}
	return true
}

// affineArgs checks gamma and beta: both nil, or both live [c] tensors.
func (b *Batch) affineArgs(op string, x, gamma, beta *Tensor, c int) bool {
	if (gamma == nil) != (beta == nil) {
		b.Fail(fmt.Errorf("%s: gamma and beta must both be given or both be nil", op))
		return false
	}
	if gamma == nil {
		return true
	}
	return b.okArgs(op, arg{"gamma", gamma}, arg{"beta", beta}) && b.checkPerChannel(op, x, c, []string{"gamma", "beta"}, gamma, beta)
}

// activation is what a fused normalisation applies to its output (instance_norm.wgsl's
// ACT and SLOPE).
type activation struct {
	kind  int // 0 none, 1 ReLU, 2 LeakyReLU
	slope float64
}

var (
	noActivation = activation{}
	reluAct      = activation{kind: 1}
)

func leakyReLUAct(slope float64) activation { return activation{kind: 2, slope: slope} }

// after records act on y as an op of its own (the unfused path) and hands y to later ops.
func (b *Batch) after(y *Tensor, act activation) *Tensor {
	switch {
	case y == nil:
		return nil
	case act.kind == 1:
		return b.then(y, b.ReLU(y))
	case act.kind == 2:
		return b.then(y, b.LeakyReLU(y, act.slope))
	}
	return y
}

// InstanceNorm normalises each (n,c) plane of x [N,C,H,W] by its own mean and biased
// variance, like PyTorch's nn.InstanceNorm2d: y = (x-mean)/sqrt(var+eps)·gamma[c] + beta[c].
// gamma and beta are [C], or both nil for affine=False. PyTorch's default eps is 1e-5.
func (b *Batch) InstanceNorm(x, gamma, beta *Tensor, eps float64) *Tensor {
	return b.instanceNorm("InstanceNorm", x, gamma, beta, nil, noActivation, eps)
}

// InstanceNormReLU is ReLU(InstanceNorm(x, gamma, beta, eps)), the ReLU applied as the
// output is written (no pass of its own).
func (b *Batch) InstanceNormReLU(x, gamma, beta *Tensor, eps float64) *Tensor {
	return b.instanceNorm("InstanceNormReLU", x, gamma, beta, nil, reluAct, eps)
}

// InstanceNormAdd is InstanceNorm(x, gamma, beta, eps) + r for r of x's shape: a residual
// block's last normalisation and its skip connection, the sum made as the output is
// written.
func (b *Batch) InstanceNormAdd(x, gamma, beta, r *Tensor, eps float64) *Tensor {
	const op = "InstanceNormAdd"
	if !b.okArgs(op, arg{"residual", r}) {
		return nil
	}
	if x != nil && !slices.Equal(r.shape, x.shape) {
		b.Fail(fmt.Errorf("%s: residual has shape %v, input %v", op, r.shape, x.shape))
		return nil
	}
	return b.instanceNorm(op, x, gamma, beta, r, noActivation, eps)
}

// instanceNorm records instance norm, then act, then the sum with r when r is not nil.
// Planes of a multiple of 4 elements take instance_norm.wgsl, everything fused; others
// norm.wgsl and separate ops.
func (b *Batch) instanceNorm(op string, x, gamma, beta, r *Tensor, act activation, eps float64) *Tensor {
	if !b.okArgs(op, arg{"input", x}) || !b.checkEps(op, eps) {
		return nil
	}
	if len(x.shape) != 4 {
		b.Fail(fmt.Errorf("%s: input %v, want [N,C,H,W]", op, x.shape))
		return nil
	}
	n, c, hw := x.shape[0], x.shape[1], x.shape[2]*x.shape[3]
	if hw < 2 {
		// PyTorch refuses this too: the variance of one value is 0 and y would be beta.
		b.Fail(fmt.Errorf("%s: input %v has one element per plane, want more than one", op, x.shape))
		return nil
	}
	if !b.affineArgs(op, x, gamma, beta, c) {
		return nil
	}
	if hw%4 == 0 {
		nc := b.norm4Consts(x, gamma != nil, eps)
		st := b.newOutput(op, nc.g, 4)
		if st == nil {
			return nil
		}
		gx := min(nc.g, 65535)
		gy := (nc.g + gx - 1) / gx
		// The statistics do not depend on what follows them: one pipeline for every variant.
		b.launch("instance_norm.wgsl", "stats", append(nc.list(noActivation, false, 1), ru("GRID_X", gx*statsWorkgroup), ru("N", 1)),
			[3]uint32{uint32(gx), uint32(gy), 1}, in(x), in(biasOr(gamma, x)), in(biasOr(beta, x)), out(st))
		return b.applyNorm4(op, x, st, r, act, nc)
	}
	st := b.groupStats(op, x, n*c, 1, hw, 1)
	if st == nil {
		return nil
	}
	y := b.after(b.normalize(op, x, st, st, gamma, beta, n*c, hw, n*c, eps), act)
	if y == nil || r == nil {
		return y
	}
	return b.then(y, b.Add(y, r))
}

// then hands t, an intermediate whose only reader y's op is recorded, to later ops of the
// batch (Reuse), and returns y.
func (b *Batch) then(t, y *Tensor) *Tensor {
	if y == nil {
		t.Release()
		return nil
	}
	b.Reuse(t)
	return y
}

// norm4Consts are instance_norm.wgsl's shape constants for x [N,C,H,W], H·W a multiple of 4.
type norm4Consts struct {
	g, c, hw4 int
	affine    bool
	eps       float64
}

func (b *Batch) norm4Consts(x *Tensor, affine bool, eps float64) norm4Consts {
	return norm4Consts{g: x.shape[0] * x.shape[1], c: x.shape[1], hw4: x.shape[2] * x.shape[3] / 4, affine: affine, eps: eps}
}

func (k norm4Consts) list(act activation, residual bool, vpi int) []constant {
	return []constant{
		ru("G", k.g), cu("C", k.c), ru("HW4", k.hw4), rf("INV_COUNT", 1/float64(4*k.hw4)), cf("EPS", k.eps),
		cb("AFFINE", k.affine), cu("ACT", act.kind), cf("SLOPE", act.slope), cb("RESIDUAL", residual), cu("VPI", vpi),
		ru("CHUNKS", (k.hw4+vpi-1)/vpi),
	}
}

// applyNorm4 records instance_norm.wgsl's apply on x with the per-plane statistics st
// (which it hands to later ops), act, and the sum with r unless r is nil.
func (b *Batch) applyNorm4(op string, x, st, r *Tensor, act activation, nc norm4Consts) *Tensor {
	y := b.newOutput(op, x.shape...)
	if y == nil {
		b.Reuse(st)
		return nil
	}
	const vpi = 4
	chunks := (nc.hw4 + vpi - 1) / vpi
	b.launch1D("instance_norm.wgsl", "apply", nc.g*chunks, nc.list(act, r != nil, vpi),
		in(x), in(x), in(x), out(y), in(st), in(biasOr(r, x)))
	b.Reuse(st)
	return y
}

// batchNormShape checks that x is [N,C], [N,C,L] or [N,C,H,W] and returns N, C and the
// elements per plane.
func (b *Batch) batchNormShape(op string, x *Tensor) (n, c, hw int, ok bool) {
	if len(x.shape) < 2 || len(x.shape) > 4 {
		b.Fail(fmt.Errorf("%s: input %v, want [N,C], [N,C,L] or [N,C,H,W]", op, x.shape))
		return 0, 0, 0, false
	}
	return x.shape[0], x.shape[1], numel(x.shape[2:]), true
}

// batchNormArgs checks the arguments common to both modes of batch norm.
func (b *Batch) batchNormArgs(op string, x, gamma, beta, runMean, runVar *Tensor, eps float64) (n, c, hw int, ok bool) {
	if !b.okArgs(op, arg{"input", x}, arg{"running mean", runMean}, arg{"running var", runVar}) || !b.checkEps(op, eps) {
		return 0, 0, 0, false
	}
	n, c, hw, ok = b.batchNormShape(op, x)
	ok = ok && b.checkPerChannel(op, x, c, []string{"running mean", "running var"}, runMean, runVar) &&
		b.affineArgs(op, x, gamma, beta, c)
	return n, c, hw, ok
}

// BatchNorm is batch normalisation in inference (eval) mode, like PyTorch's nn.BatchNorm2d
// (and 1d) after model.eval(): y = (x-runMean[c])/sqrt(runVar[c]+eps)·gamma[c] + beta[c]
// for x [N,C], [N,C,L] or [N,C,H,W]. gamma and beta are [C] or both nil.
func (b *Batch) BatchNorm(x, gamma, beta, runMean, runVar *Tensor, eps float64) *Tensor {
	return b.batchNorm("BatchNorm", x, gamma, beta, runMean, runVar, noActivation, eps)
}

// BatchNormReLU is ReLU(BatchNorm(x, gamma, beta, runMean, runVar, eps)), the ReLU
// applied as the output is written (DCGAN's generator).
func (b *Batch) BatchNormReLU(x, gamma, beta, runMean, runVar *Tensor, eps float64) *Tensor {
	return b.batchNorm("BatchNormReLU", x, gamma, beta, runMean, runVar, reluAct, eps)
}

// BatchNormLeakyReLU is LeakyReLU(BatchNorm(x, gamma, beta, runMean, runVar, eps), slope),
// the activation applied as the output is written (DCGAN's discriminator).
func (b *Batch) BatchNormLeakyReLU(x, gamma, beta, runMean, runVar *Tensor, slope, eps float64) *Tensor {
	return b.batchNorm("BatchNormLeakyReLU", x, gamma, beta, runMean, runVar, leakyReLUAct(slope), eps)
}

// batchNorm records eval-mode batch norm, then act. [N,C,H,W] inputs with H·W a multiple
// of 4 take instance_norm.wgsl (per-plane statistics from the running ones, the rest as
// instance norm), everything fused; others norm.wgsl and a separate activation.
func (b *Batch) batchNorm(op string, x, gamma, beta, runMean, runVar *Tensor, act activation, eps float64) *Tensor {
	_, c, hw, ok := b.batchNormArgs(op, x, gamma, beta, runMean, runVar, eps)
	if !ok {
		return nil
	}
	if len(x.shape) != 4 || hw%4 != 0 {
		return b.after(b.normalize(op, x, runMean, runVar, gamma, beta, c, hw, 0, eps), act)
	}
	nc := b.norm4Consts(x, gamma != nil, eps)
	st := b.newOutput(op, nc.g, 4)
	if st == nil {
		return nil
	}
	b.launch1D("instance_norm.wgsl", "running", nc.g, nc.list(noActivation, false, 1),
		in(x), in(biasOr(gamma, x)), in(biasOr(beta, x)), out(st), in(x), in(x), in(runMean), in(runVar))
	return b.applyNorm4(op, x, st, nil, act, nc)
}

// BatchNormTrain is batch normalisation in training mode, like PyTorch's nn.BatchNorm2d
// (and 1d) after model.train(): x [N,C], [N,C,L] or [N,C,H,W] is normalised by the mean
// and biased variance of each channel over N and the spatial dims, and runMean and runVar
// [C] are updated in place: r = (1-momentum)·r + momentum·s, where s is the batch mean, or
// the unbiased batch variance (times n/(n-1), n = N·H·W). PyTorch's defaults are momentum
// 0.1 and eps 1e-5. Each submit of the batch updates the running statistics again.
func (b *Batch) BatchNormTrain(x, gamma, beta, runMean, runVar *Tensor, momentum, eps float64) *Tensor {
	const op = "BatchNormTrain"
	n, c, hw, ok := b.batchNormArgs(op, x, gamma, beta, runMean, runVar, eps)
	if !ok {
		return nil
	}
	if !(momentum >= 0 && momentum <= 1) {
		b.Fail(fmt.Errorf("%s: momentum %v, want a value in [0, 1]", op, momentum))
		return nil
	}
	if n*hw < 2 {
		// As in PyTorch: the unbiased variance of one value is undefined.
		b.Fail(fmt.Errorf("%s: input %v has one value per channel, want more than one", op, x.shape))
		return nil
	}
	if overlaps(runMean, runVar) {
		b.Fail(fmt.Errorf("%s: running mean and running var overlap", op))
		return nil
	}
	st := b.groupStats(op, x, c, n, hw, c*hw)
	if st == nil {
		return nil
	}
	y := b.normalize(op, x, st, st, gamma, beta, c, hw, c, eps)
	count := float64(n * hw)
	b.launch1D("norm.wgsl", "update_running", c, normConsts{scale: 1, momentum: momentum}.list(),
		in(st), out(runMean))
	b.launch1D("norm.wgsl", "update_running", c, normConsts{varOff: c, scale: count / (count - 1), momentum: momentum}.list(),
		in(st), out(runVar))
	return y
}
