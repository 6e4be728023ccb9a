package gpu

import (
	"fmt"
	"math"
)

// HyperLen is the element count of an optimizer's hyperparameter tensor: three vec4 of a
// uniform buffer. The optimizer ops read every hyperparameter from it at run time, so a
// learning-rate schedule or the bias corrections of a new step only rewrite the tensor
// (Tensor.Write before the submit); the recorded batch and its pipeline stay as they are.
// AdamHyper, SGDHyper and RMSpropHyper fill it.
const HyperLen = 12

// AdamHyper lays out the hyperparameters of torch.optim.Adam (decoupled false) or AdamW
// (decoupled true) for step t ≥ 1. The derived scalars PyTorch computes in double (1-β,
// lr/(1-β1^t), √(1-β2^t), 1-lr·wd) are computed here in float64 too and rounded once.
func AdamHyper(lr, beta1, beta2, eps, weightDecay float64, decoupled bool, t int) []float32 {
	bc1 := 1 - math.Pow(beta1, float64(t))
	bc2 := 1 - math.Pow(beta2, float64(t))
	coupled, decay := weightDecay, 1.0
	if decoupled {
		coupled, decay = 0, 1-lr*weightDecay
	}
	return f32s(beta1, 1-beta1, beta2, 1-beta2,
		eps, coupled, lr/bc1, math.Sqrt(bc2),
		decay, lr, bc1, bc2)
}

// SGDHyper lays out the hyperparameters of torch.optim.SGD. first says this is the first
// step since the momentum buffer was made: it then takes the gradient as it is.
func SGDHyper(lr, momentum, dampening, weightDecay float64, nesterov, first bool) []float32 {
	return f32s(lr, momentum, 1-dampening, weightDecay,
		b2f(nesterov), b2f(first), 0, 0,
		0, 0, 0, 0)
}

// RMSpropHyper lays out the hyperparameters of torch.optim.RMSprop.
func RMSpropHyper(lr, alpha, eps, weightDecay, momentum float64) []float32 {
	return f32s(lr, alpha, 1-alpha, eps,
		weightDecay, momentum, 0, 0,
		0, 0, 0, 0)
}

func f32s(v ...float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// AdamStep updates param in place by one step of Adam or AdamW (torch.optim.Adam/AdamW
// with amsgrad and maximize off), with first and second moments m and v, also updated in
// place, and hyper laid out by AdamHyper. One dispatch covers the whole flat tensor, so all
// of a network's parameters in one arena take one launch.
func (b *Batch) AdamStep(param, grad, m, v, hyper *Tensor) {
	b.optimStep("AdamStep", "adam", param, grad, hyper, []string{"m", "v"}, m, v)
}

// SGDStep updates param in place by one step of torch.optim.SGD with hyper laid out by
// SGDHyper. buf is the momentum buffer, updated in place; nil means no momentum, and the
// momentum in hyper is then ignored.
func (b *Batch) SGDStep(param, grad, buf, hyper *Tensor) {
	if buf == nil {
		b.optimStep("SGDStep", "sgd", param, grad, hyper, nil)
		return
	}
	b.optimStep("SGDStep", "sgd_momentum", param, grad, hyper, []string{"momentum buffer"}, buf)
}

// RMSpropStep updates param in place by one step of torch.optim.RMSprop with hyper laid out
// by RMSpropHyper; sq is the running average of squared gradients. buf is the momentum
// buffer: nil means no momentum, and the momentum in hyper is then ignored. gradAvg is the
// running average of gradients of centered RMSprop; nil means not centered. Every state
// tensor is updated in place.
func (b *Batch) RMSpropStep(param, grad, sq, buf, gradAvg, hyper *Tensor) {
	const op = "RMSpropStep"
	switch {
	case buf == nil && gradAvg == nil:
		b.optimStep(op, "rmsprop", param, grad, hyper, []string{"square average"}, sq)
	case gradAvg == nil:
		b.optimStep(op, "rmsprop_momentum", param, grad, hyper, []string{"square average", "momentum buffer"}, sq, buf)
	case buf == nil:
		b.optimStep(op, "rmsprop_centered", param, grad, hyper, []string{"square average", "gradient average"}, sq, gradAvg)
	default:
		b.optimStep(op, "rmsprop_centered_momentum", param, grad, hyper,
			[]string{"square average", "gradient average", "momentum buffer"}, sq, gradAvg, buf)
	}
}

// optimStep checks and records one update of param from grad, reading hyper as a uniform
// and updating the state tensors in place (bindings 3...); stateNames name them in errors.
func (b *Batch) optimStep(op, entry string, param, grad, hyper *Tensor, stateNames []string, state ...*Tensor) {
	all := append([]*Tensor{param, grad, hyper}, state...)
	names := append([]string{"parameters", "gradients", "hyperparameters"}, stateNames...)
	for i, t := range all {
		if t == nil && b.err == nil {
			b.Fail(fmt.Errorf("%s: %s: nil tensor", op, names[i]))
		}
	}
	if !b.ok(op, all...) {
		return
	}
	if hyper.Len() != HyperLen {
		b.Fail(fmt.Errorf("%s: hyperparameters %v have %d elements, want %d (gpu.HyperLen)", op, hyper.shape, hyper.Len(), HyperLen))
		return
	}
	n := param.Len()
	for i, t := range all {
		if t != hyper && t.Len() != n {
			b.Fail(fmt.Errorf("%s: %s %v has %d elements, parameters %v have %d", op, names[i], t.shape, t.Len(), param.shape, n))
			return
		}
	}
	// WebGPU refuses a buffer bound read-only (the gradients) or as a uniform (the
	// hyperparameters) and writable in one dispatch; state sharing a buffer with another
	// updated tensor would be updated twice per element or race.
	for i := range all {
		for j := range i {
			if all[i].buf == all[j].buf {
				b.Fail(fmt.Errorf("%s: %s %v and %s %v share a buffer; each needs its own", op,
					names[j], all[j].shape, names[i], all[i].shape))
				return
			}
		}
	}
	args := []binding{out(param), in(grad), uniformWindow(hyper, 0, HyperLen*4)}
	for _, s := range state {
		args = append(args, out(s))
	}
	b.launch1D("optim.wgsl", entry, n, nil, args...)
}
