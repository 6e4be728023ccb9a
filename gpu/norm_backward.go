package gpu

import (
	"fmt"
	"slices"
)

// normBackwardConsts are norm_backward.wgsl's constants for groups of count elements laid
// out as in groupStats.
type normBackwardConsts struct {
	groups, hw, planeStride, count, c int
	affine                            bool
	eps                               float64
}

func (k normBackwardConsts) list() []constant {
	return []constant{
		cu("G", k.groups), cu("HW", k.hw), cu("PLANE_STRIDE", k.planeStride), cu("COUNT", k.count),
		cf("INV_COUNT", 1/float64(k.count)), cu("C", k.c), cb("AFFINE", k.affine), cf("EPS", k.eps),
	}
}

// retire ends an intermediate whose readers are all recorded: later ops of the batch may
// take its buffer (Reuse), or, once the batch has failed, it is released.
func (b *Batch) retire(t *Tensor) {
	if b.err != nil {
		t.Release()
		return
	}
	b.Reuse(t)
}

// normGradArgs checks the arguments common to the normalisation backwards: dy and x live
// and of one shape, gamma nil or [C], eps valid.
func (b *Batch) normGradArgs(op string, dy, x, gamma *Tensor, eps float64) bool {
	if !b.okArgs(op, arg{"dy", dy}, arg{"input", x}) || !b.checkEps(op, eps) {
		return false
	}
	if !slices.Equal(dy.shape, x.shape) {
		b.Fail(fmt.Errorf("%s: dy has shape %v, input %v", op, dy.shape, x.shape))
		return false
	}
	if gamma == nil || len(x.shape) < 2 {
		return true
	}
	return b.okArgs(op, arg{"gamma", gamma}) && b.checkPerChannel(op, x, x.shape[1], []string{"gamma"}, gamma)
}

// normBackward records the statistics and gradient sums of each group (one workgroup per
// group), then dx and, with gamma, dgamma and dbeta.
func (b *Batch) normBackward(op string, dy, x, gamma *Tensor, k normBackwardConsts) (dx, dgamma, dbeta *Tensor) {
	k.affine = gamma != nil
	st := b.newOutput(op, k.groups, 4)
	if st == nil {
		return nil, nil, nil
	}
	gx := min(k.groups, 65535)
	gy := (k.groups + gx - 1) / gx
	b.launch("norm_backward.wgsl", "sums", append(k.list(), cu("GRID_X", gx*statsWorkgroup), cu("N", 1)),
		[3]uint32{uint32(gx), uint32(gy), 1}, in(x), in(dy), out(st))
	dx = b.newOutput(op, x.shape...)
	if k.affine {
		dgamma, dbeta = b.newOutput(op, k.c), b.newOutput(op, k.c)
	}
	if b.err != nil {
		st.Release()
		dx.Release()
		dgamma.Release()
		dbeta.Release()
		return nil, nil, nil
	}
	if k.affine {
		b.launch1D("norm_backward.wgsl", "input_param_grads", x.Len(), k.list(),
			in(x), in(dy), out(st), in(gamma), out(dx), out(dgamma), out(dbeta))
	} else {
		b.launch1D("norm_backward.wgsl", "input_grad", x.Len(), k.list(), in(x), in(dy), out(st), in(x), out(dx))
	}
	b.retire(st)
	if b.err != nil {
		dx.Release()
		dgamma.Release()
		dbeta.Release()
		return nil, nil, nil
	}
	return dx, dgamma, dbeta
}

// BatchNormTrainBackward is the backward of BatchNormTrain's output for x [N,C], [N,C,L]
// or [N,C,H,W]: given dy, the gradients dx, dgamma and dbeta (the running statistics take
// none). The batch mean and biased variance are recomputed from x, as the forward computed
// them. gamma nil is the non-affine op: dx as with gamma 1, and dgamma, dbeta nil. PyTorch's
// formula, M = N·H·W: dx = gamma·invstd/M·(M·dy - Σdy - xhat·Σdy·xhat), dgamma = Σdy·xhat,
// dbeta = Σdy, the sums per channel.
func (b *Batch) BatchNormTrainBackward(dy, x, gamma *Tensor, eps float64) (dx, dgamma, dbeta *Tensor) {
	const op = "BatchNormTrainBackward"
	if !b.normGradArgs(op, dy, x, gamma, eps) {
		return nil, nil, nil
	}
	n, c, hw, ok := b.batchNormShape(op, x)
	if !ok {
		return nil, nil, nil
	}
	if n*hw < 2 {
		b.Fail(fmt.Errorf("%s: input %v has one value per channel, want more than one", op, x.shape))
		return nil, nil, nil
	}
	return b.normBackward(op, dy, x, gamma, normBackwardConsts{groups: c, hw: hw, planeStride: c * hw, count: n * hw, c: c, eps: eps})
}

// InstanceNormBackward is the backward of InstanceNorm for x [N,C,H,W]: given dy, the
// gradients dx, dgamma and dbeta (the last two summed over N; nil when gamma is nil, the
// non-affine op). Each (n,c) plane's mean and biased variance are recomputed from x.
func (b *Batch) InstanceNormBackward(dy, x, gamma *Tensor, eps float64) (dx, dgamma, dbeta *Tensor) {
	const op = "InstanceNormBackward"
	if !b.normGradArgs(op, dy, x, gamma, eps) {
		return nil, nil, nil
	}
	if len(x.shape) != 4 {
		b.Fail(fmt.Errorf("%s: input %v, want [N,C,H,W]", op, x.shape))
		return nil, nil, nil
	}
	n, c, hw := x.shape[0], x.shape[1], x.shape[2]*x.shape[3]
	if hw < 2 {
		b.Fail(fmt.Errorf("%s: input %v has one element per plane, want more than one", op, x.shape))
		return nil, nil, nil
	}
	return b.normBackward(op, dy, x, gamma, normBackwardConsts{groups: n * c, hw: hw, planeStride: 1, count: hw, c: c, eps: eps})
}
