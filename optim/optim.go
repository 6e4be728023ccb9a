// Package optim holds optimizers over a network's parameters on the GPU: Adam, AdamW, SGD
// and RMSprop with PyTorch 1.13's update formulas (torch.optim, single-tensor path).
//
// An optimizer updates one flat parameter tensor from one flat gradient tensor of the same
// element count, in one dispatch: put all of a network's parameters in one arena
// (gpu.Device.NewArena) and their gradients in another. Training records the update into a
// batch once (Record) with the forward and backward passes and replays the batch each step;
// BeginStep before each submit advances the step count and writes the learning rate and
// bias corrections into a small uniform buffer the kernel reads, so nothing is recompiled
// or re-recorded when they change.
//
//	opt, err := optim.NewAdam(dev, optim.DefaultAdam(), params, grads)
//	...
//	opt.Record(b) // after the backward ops that fill grads
//	for step := range steps {
//		if err := opt.BeginStep(); err != nil { ... }
//		if err := b.Submit(); err != nil { ... }
//	}
package optim

import (
	"context"
	"fmt"
	"math"

	"easel/gpu"
)

// Adam configures torch.optim.Adam (Decoupled false: weight decay is added to the gradient)
// or torch.optim.AdamW (Decoupled true: parameters shrink by 1 - LR·WeightDecay before the
// step). amsgrad and maximize are not supported.
type Adam struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Decoupled                          bool
}

// DefaultAdam is torch.optim.Adam's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8.
func DefaultAdam() Adam { return Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// DefaultAdamW is torch.optim.AdamW's defaults: Adam's and weight decay 1e-2.
func DefaultAdamW() Adam {
	return Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-2, Decoupled: true}
}

// SGD configures torch.optim.SGD. maximize is not supported.
type SGD struct {
	LR, Momentum, Dampening, WeightDecay float64
	Nesterov                             bool
}

// RMSprop configures torch.optim.RMSprop. maximize is not supported.
type RMSprop struct {
	LR, Alpha, Eps, WeightDecay, Momentum float64
	Centered                              bool
}

// DefaultRMSprop is torch.optim.RMSprop's defaults: lr 1e-2, alpha 0.99, eps 1e-8.
func DefaultRMSprop() RMSprop { return RMSprop{LR: 1e-2, Alpha: 0.99, Eps: 1e-8} }

// bound is one hyperparameter and whether it is in range.
type bound struct {
	name string // with the range wanted, for the error
	v    float64
	ok   bool
}

// check returns an error naming the first hyperparameter outside its range, as PyTorch's
// constructors do (and refusing NaN and infinities, which PyTorch lets through).
func check(opt string, bs ...bound) error {
	for _, b := range bs {
		if math.IsNaN(b.v) || math.IsInf(b.v, 0) {
			return fmt.Errorf("optim: %s: %s %v is not finite", opt, b.name, b.v)
		}
		if !b.ok {
			return fmt.Errorf("optim: %s: invalid %s: %v", opt, b.name, b.v)
		}
	}
	return nil
}

func (c Adam) name() string {
	if c.Decoupled {
		return "AdamW"
	}
	return "Adam"
}

// Validate checks the ranges torch.optim.Adam checks: lr ≥ 0, eps ≥ 0, 0 ≤ betas < 1,
// weight decay ≥ 0.
func (c Adam) Validate() error {
	return check(c.name(),
		bound{"learning rate (want ≥ 0)", c.LR, c.LR >= 0},
		bound{"eps (want ≥ 0)", c.Eps, c.Eps >= 0},
		bound{"beta1 (want in [0, 1))", c.Beta1, c.Beta1 >= 0 && c.Beta1 < 1},
		bound{"beta2 (want in [0, 1))", c.Beta2, c.Beta2 >= 0 && c.Beta2 < 1},
		bound{"weight decay (want ≥ 0)", c.WeightDecay, c.WeightDecay >= 0})
}

// Validate checks the ranges torch.optim.SGD checks: lr, momentum and weight decay ≥ 0;
// Nesterov momentum needs a momentum > 0 and dampening 0.
func (c SGD) Validate() error {
	if err := check("SGD",
		bound{"learning rate (want ≥ 0)", c.LR, c.LR >= 0},
		bound{"momentum (want ≥ 0)", c.Momentum, c.Momentum >= 0},
		bound{"dampening", c.Dampening, true},
		bound{"weight decay (want ≥ 0)", c.WeightDecay, c.WeightDecay >= 0}); err != nil {
		return err
	}
	if c.Nesterov && (c.Momentum <= 0 || c.Dampening != 0) {
		return fmt.Errorf("optim: SGD: Nesterov momentum requires a momentum > 0 and zero dampening (momentum %v, dampening %v)", c.Momentum, c.Dampening)
	}
	return nil
}

// Validate checks the ranges torch.optim.RMSprop checks: lr, eps, momentum, weight decay
// and alpha ≥ 0.
func (c RMSprop) Validate() error {
	return check("RMSprop",
		bound{"learning rate (want ≥ 0)", c.LR, c.LR >= 0},
		bound{"eps (want ≥ 0)", c.Eps, c.Eps >= 0},
		bound{"momentum (want ≥ 0)", c.Momentum, c.Momentum >= 0},
		bound{"weight decay (want ≥ 0)", c.WeightDecay, c.WeightDecay >= 0},
		bound{"alpha (want ≥ 0)", c.Alpha, c.Alpha >= 0})
}

// Optimizer updates one flat parameter tensor from its gradients, keeping its state
// (moments, momentum buffer, square average) in GPU tensors of the same element count.
// Make one with NewAdam, NewSGD or NewRMSprop.
type Optimizer struct {
	dev           *gpu.Device
	kind          string // "Adam", "AdamW", "SGD", "RMSprop"
	adam          Adam
	sgd           SGD
	rms           RMSprop
	params, grads *gpu.Tensor
	hyper         *gpu.Tensor
	// state tensors by PyTorch's state names; nil where the configuration needs none
	expAvg, expAvgSq, momentum, squareAvg, gradAvg *gpu.Tensor
	lr                                             float64
	t                                              int
	released                                       bool
}

// NewAdam makes an Adam or AdamW optimizer over params with gradients grads (tensors of one
// element count in separate buffers); both moments start at zero.
func NewAdam(dev *gpu.Device, cfg Adam, params, grads *gpu.Tensor) (*Optimizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := &Optimizer{kind: cfg.name(), adam: cfg, lr: cfg.LR}
	return o.init(dev, params, grads, &o.expAvg, &o.expAvgSq)
}

// NewSGD makes an SGD optimizer over params with gradients grads. With momentum it keeps a
// momentum buffer, which the first step sets to the gradient.
func NewSGD(dev *gpu.Device, cfg SGD, params, grads *gpu.Tensor) (*Optimizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := &Optimizer{kind: "SGD", sgd: cfg, lr: cfg.LR}
	var state []**gpu.Tensor
	if cfg.Momentum != 0 {
		state = append(state, &o.momentum)
	}
	return o.init(dev, params, grads, state...)
}

// NewRMSprop makes an RMSprop optimizer over params with gradients grads. It keeps a
// square average, a momentum buffer if Momentum > 0 and a gradient average if Centered, all
// starting at zero.
func NewRMSprop(dev *gpu.Device, cfg RMSprop, params, grads *gpu.Tensor) (*Optimizer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := &Optimizer{kind: "RMSprop", rms: cfg, lr: cfg.LR}
	state := []**gpu.Tensor{&o.squareAvg}
	if cfg.Momentum > 0 {
		state = append(state, &o.momentum)
	}
	if cfg.Centered {
		state = append(state, &o.gradAvg)
	}
	return o.init(dev, params, grads, state...)
}

// init checks params and grads, allocates the hyperparameter tensor and zeroed state, and
// writes the hyperparameters of step 1.
func (o *Optimizer) init(dev *gpu.Device, params, grads *gpu.Tensor, state ...**gpu.Tensor) (*Optimizer, error) {
	switch {
	case dev == nil:
		return nil, fmt.Errorf("optim: %s: nil device", o.kind)
	case params == nil || grads == nil:
		return nil, fmt.Errorf("optim: %s: nil parameter or gradient tensor", o.kind)
	case params.Len() != grads.Len():
		return nil, fmt.Errorf("optim: %s: parameters %v (%d elements) and gradients %v (%d elements) differ in size",
			o.kind, params.Shape(), params.Len(), grads.Shape(), grads.Len())
	}
	o.dev, o.params, o.grads = dev, params, grads
	var err error
	if o.hyper, err = dev.NewTensor(gpu.HyperLen); err != nil {
		return nil, fmt.Errorf("optim: %s: hyperparameters: %w", o.kind, err)
	}
	zeros := make([]float32, params.Len())
	for _, s := range state {
		if *s, err = dev.FromData(zeros, params.Len()); err != nil {
			o.Release()
			return nil, fmt.Errorf("optim: %s: state for %d parameters: %w", o.kind, params.Len(), err)
		}
	}
	if err := o.writeHyper(1); err != nil {
		o.Release()
		return nil, err
	}
	return o, nil
}

// Kind is "Adam", "AdamW", "SGD" or "RMSprop".
func (o *Optimizer) Kind() string { return o.kind }

// Record records the update of the parameters from the gradients into b: one dispatch,
// replayed with the batch. Record it after the ops that compute the gradients; errors
// stick in the batch as for any op.
func (o *Optimizer) Record(b *gpu.Batch) {
	if o.released {
		b.Fail(fmt.Errorf("optim: %s: Record after Release", o.kind))
		return
	}
	switch o.kind {
	case "Adam", "AdamW":
		b.AdamStep(o.params, o.grads, o.expAvg, o.expAvgSq, o.hyper)
	case "SGD":
		b.SGDStep(o.params, o.grads, o.momentum, o.hyper)
	case "RMSprop":
		b.RMSpropStep(o.params, o.grads, o.squareAvg, o.momentum, o.gradAvg, o.hyper)
	}
}

// BeginStep advances the step count and writes the hyperparameters of the new step (the
// current learning rate, Adam's bias corrections, SGD's first-step flag). Call it before
// each submit of a batch holding the update; the write is ordered before that submit.
func (o *Optimizer) BeginStep() error {
	if o.released {
		return fmt.Errorf("optim: %s: BeginStep after Release", o.kind)
	}
	if err := o.writeHyper(o.t + 1); err != nil {
		return err
	}
	o.t++
	return nil
}

// writeHyper writes the hyperparameters of step t.
func (o *Optimizer) writeHyper(t int) error {
	var h []float32
	switch o.kind {
	case "Adam", "AdamW":
		c := o.adam
		h = gpu.AdamHyper(o.lr, c.Beta1, c.Beta2, c.Eps, c.WeightDecay, c.Decoupled, t)
	case "SGD":
		c := o.sgd
		h = gpu.SGDHyper(o.lr, c.Momentum, c.Dampening, c.WeightDecay, c.Nesterov, t == 1)
	case "RMSprop":
		c := o.rms
		h = gpu.RMSpropHyper(o.lr, c.Alpha, c.Eps, c.WeightDecay, c.Momentum)
	}
	if err := o.hyper.Write(h); err != nil {
		return fmt.Errorf("optim: %s: write hyperparameters of step %d: %w", o.kind, t, err)
	}
	return nil
}

// SetLR sets the learning rate from the next BeginStep on (a schedule).
func (o *Optimizer) SetLR(lr float64) error {
	if math.IsNaN(lr) || math.IsInf(lr, 0) || lr < 0 {
		return fmt.Errorf("optim: %s: invalid learning rate %v (want finite, ≥ 0)", o.kind, lr)
	}
	o.lr = lr
	return nil
}

// LR is the current learning rate.
func (o *Optimizer) LR() float64 { return o.lr }

// Step is the number of steps begun: 0 before the first BeginStep, t during step t.
func (o *Optimizer) Step() int { return o.t }

// OptimizerState is an optimizer's state for a checkpoint: the step count and the state
// tensors under PyTorch's state names, each flat over the whole parameter tensor (gaps
// of an arena included). Slices the configuration does not use are nil.
type OptimizerState struct {
	Kind string // "Adam", "AdamW", "SGD" or "RMSprop"
	Step int
	LR   float64 // the learning rate at the time, which a schedule may have changed

	ExpAvg, ExpAvgSq []float32 // Adam: first and second moments
	MomentumBuffer   []float32 // SGD, RMSprop with momentum
	SquareAvg        []float32 // RMSprop
	GradAvg          []float32 // centered RMSprop
}

// slots pairs the state's slices with the optimizer's tensors.
func (o *Optimizer) slots(s *OptimizerState) []struct {
	name string
	t    *gpu.Tensor
	v    *[]float32
} {
	return []struct {
		name string
		t    *gpu.Tensor
		v    *[]float32
	}{
		{"exp_avg", o.expAvg, &s.ExpAvg},
		{"exp_avg_sq", o.expAvgSq, &s.ExpAvgSq},
		{"momentum_buffer", o.momentum, &s.MomentumBuffer},
		{"square_avg", o.squareAvg, &s.SquareAvg},
		{"grad_avg", o.gradAvg, &s.GradAvg},
	}
}

// State reads the optimizer's state back from the GPU, waiting for submitted work.
func (o *Optimizer) State(ctx context.Context) (OptimizerState, error) {
	s := OptimizerState{Kind: o.kind, Step: o.t, LR: o.lr}
	if o.released {
		return s, fmt.Errorf("optim: %s: State after Release", o.kind)
	}
	for _, sl := range o.slots(&s) {
		if sl.t == nil {
			continue
		}
		v, err := sl.t.Read(ctx)
		if err != nil {
			return s, fmt.Errorf("optim: %s: read %s: %w", o.kind, sl.name, err)
		}
		*sl.v = v
	}
	return s, nil
}

// LoadState replaces the optimizer's state with s, which must come from an optimizer of
// the same kind and configuration over as many parameters. The learning rate is s.LR.
func (o *Optimizer) LoadState(s OptimizerState) error {
	if o.released {
		return fmt.Errorf("optim: %s: LoadState after Release", o.kind)
	}
	if s.Kind != o.kind {
		return fmt.Errorf("optim: %s: state is of a %q optimizer", o.kind, s.Kind)
	}
	if s.Step < 0 {
		return fmt.Errorf("optim: %s: state has step %d < 0", o.kind, s.Step)
	}
	if math.IsNaN(s.LR) || math.IsInf(s.LR, 0) || s.LR < 0 {
		return fmt.Errorf("optim: %s: state has invalid learning rate %v", o.kind, s.LR)
	}
	slots := o.slots(&s)
	for _, sl := range slots {
		switch {
		case sl.t == nil && *sl.v != nil:
			return fmt.Errorf("optim: %s: state has %s, which this configuration does not use", o.kind, sl.name)
		case sl.t != nil && len(*sl.v) != sl.t.Len():
			return fmt.Errorf("optim: %s: state's %s has %d values, want %d", o.kind, sl.name, len(*sl.v), sl.t.Len())
		}
	}
	for _, sl := range slots {
		if sl.t != nil {
			if err := sl.t.Write(*sl.v); err != nil {
				return fmt.Errorf("optim: %s: write %s: %w", o.kind, sl.name, err)
			}
		}
	}
	o.t, o.lr = s.Step, s.LR
	return nil
}

// Release frees the optimizer's state and hyperparameter tensors (not the parameters or
// gradients). Batches the update was recorded into must not be submitted afterwards.
func (o *Optimizer) Release() {
	for _, t := range []*gpu.Tensor{o.hyper, o.expAvg, o.expAvgSq, o.momentum, o.squareAvg, o.gradAvg} {
		t.Release()
	}
	o.released = true
}
