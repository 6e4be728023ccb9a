// Package autograd is reverse-mode automatic differentiation over the gpu package's ops.
//
// A Tape records ops into a gpu.Batch as a network runs forward; Backward then records the
// backward kernels into the same batch, in reverse. Nothing runs until the batch is
// submitted, and a batch can be submitted again and again: a training step at one shape is
// recorded once (forward, backward, optimizer) and replayed every step, so a step neither
// allocates nor compiles. Inputs that change per step (data, latents, labels) are tensors
// the caller writes before each submit.
//
// Memory follows the tape: an op saves the tensors its backward needs, and once every
// backward that saved a tensor is recorded, the tensor's buffer is handed to later ops of
// the batch (gpu.Batch.Reuse); gradients die as soon as their op's backward has read them.
// Parameters are leaves whose gradients accumulate into tensors the caller owns (typically
// views into one arena, so that an optimizer updates them all in one dispatch); the caller
// zeroes them once per step, as PyTorch's zero_grad does.
package autograd

import (
	"errors"
	"fmt"

	"easel/gpu"
)

// Var is a tensor on a tape: a leaf (parameter, constant) or the output of a recorded op.
type Var struct {
	tape *Tape
	t    *gpu.Tensor
	// needsGrad: a gradient must flow to this variable (it is a parameter or depends on one).
	needsGrad bool
	node      *node // the op that made it; nil for leaves
	// owned: the tape allocated t (an op output) and frees it once nothing needs it.
	owned bool
	// saves counts the recorded ops whose backward still needs t.
	saves int
	// base keeps the variable whose buffer a view (Reshape) shares alive while the view is.
	base *Var

	gradInto *gpu.Tensor // a parameter's gradient: contributions are added into it
	grad     *gpu.Tensor // the gradient accumulated so far during Backward
	gradBuf  *gpu.Tensor // the tensor that owns grad's buffer, freed once grad is used; nil if not owned
	released bool
}

// Tensor is the variable's value. It is valid until the tape frees it: after a Backward
// that no longer needs it, or at Release.
func (v *Var) Tensor() *gpu.Tensor { return v.t }

// Shape is the value's shape.
func (v *Var) Shape() []int { return v.t.Shape() }

// node is one recorded op.
type node struct {
	name   string
	inputs []*Var
	out    *Var
	saved  []*Var
	// backward records the gradients of the inputs given the output's gradient dy; an entry
	// is nil for an input that needs none. The tape frees dy afterwards unless a returned
	// gradient shares its buffer (a reshape).
	backward func(dy *gpu.Tensor) []*gpu.Tensor
	done     bool
}

// Tape records differentiable ops into one batch.
type Tape struct {
	b     *gpu.Batch
	nodes []*node
	vars  []*Var // every variable, for Release
	err   error
}

// New starts a tape recording into b.
func New(b *gpu.Batch) *Tape { return &Tape{b: b} }

// Batch is the batch the tape records into.
func (tp *Tape) Batch() *gpu.Batch { return tp.b }

// Err is the first error met while recording, the tape's or the batch's.
func (tp *Tape) Err() error {
	if tp.err != nil {
		return tp.err
	}
	return tp.b.Err()
}

func (tp *Tape) fail(err error) {
	if tp.err == nil {
		tp.err = err
		tp.b.Fail(err)
	}
}

// Param is a leaf whose gradient is added into grad (same element count) by every Backward
// that reaches it. The tape neither frees t nor grad.
func (tp *Tape) Param(t, grad *gpu.Tensor) *Var {
	switch {
	case t == nil || grad == nil:
		tp.fail(errors.New("autograd: Param needs a tensor and its gradient tensor"))
		return nil
	case t.Len() != grad.Len():
		tp.fail(fmt.Errorf("autograd: parameter %v with gradient %v: element counts differ", t, grad))
		return nil
	}
	return tp.leaf(t, true, grad)
}

// Constant is a leaf that needs no gradient (data, labels, a frozen network's weights).
// The tape does not free t.
func (tp *Tape) Constant(t *gpu.Tensor) *Var {
	if t == nil {
		tp.fail(errors.New("autograd: Constant of a nil tensor"))
		return nil
	}
	return tp.leaf(t, false, nil)
}

// Detach is a constant holding v's value, like PyTorch's v.detach(): gradients stop there.
// It does not keep v alive: v's tape frees its tensor only after every op that saved it
// has its backward recorded, and a detached use is not one of them, so record the uses
// of a detached value before v's own Backward.
func (tp *Tape) Detach(v *Var) *Var {
	if !tp.live("Detach", v) {
		return nil
	}
	d := tp.leaf(v.t, false, nil)
	d.base = v
	v.saves++ // v's value must outlive the detached uses
	return d
}

func (tp *Tape) leaf(t *gpu.Tensor, needsGrad bool, grad *gpu.Tensor) *Var {
	v := &Var{tape: tp, t: t, needsGrad: needsGrad, gradInto: grad}
	tp.vars = append(tp.vars, v)
	return v
}

// live checks that every input is a variable of this tape whose value is still there.
func (tp *Tape) live(op string, vs ...*Var) bool {
	if tp.Err() != nil {
		return false
	}
	for i, v := range vs {
		switch {
		case v == nil:
			tp.fail(fmt.Errorf("%s: input %d is nil", op, i))
		case v.tape != tp:
			tp.fail(fmt.Errorf("%s: input %d belongs to another tape", op, i))
		case v.released:
			tp.fail(fmt.Errorf("%s: input %d (%v) was freed by an earlier Backward; record its uses before that Backward", op, i, v.t))
		}
	}
	return tp.err == nil
}

// record adds an op's output y to the tape. saved are the inputs (or the output itself,
// through saveOut) whose values backward reads. backward may be nil when no input needs a
// gradient.
func (tp *Tape) record(name string, y *gpu.Tensor, inputs []*Var, saved []*Var, backward func(dy *gpu.Tensor) []*gpu.Tensor) *Var {
	if y == nil || tp.Err() != nil {
		if tp.err == nil {
			tp.fail(fmt.Errorf("autograd: %s: %w", name, tp.b.Err()))
		}
		return nil
	}
	out := &Var{tape: tp, t: y, owned: true}
	tp.vars = append(tp.vars, out)
	for _, in := range inputs {
		if in != nil && in.needsGrad {
			out.needsGrad = true
		}
	}
	if !out.needsGrad {
		return out // nothing to differentiate: no node, nothing saved
	}
	n := &node{name: name, inputs: inputs, out: out, backward: backward}
	for _, s := range saved {
		if s == nil {
			continue
		}
		if s == savedOutput {
			s = out
		}
		s.saves++
		n.saved = append(n.saved, s)
	}
	out.node = n
	tp.nodes = append(tp.nodes, n)
	return out
}

// savedOutput stands for the op's own output in record's saved list (tanh and sigmoid
// differentiate through their output).
var savedOutput = &Var{}

// needs reports whether input v of an op needs a gradient.
func needs(v *Var) bool { return v != nil && v.needsGrad }

// Backward records the gradient of loss (a one-element variable) with respect to every
// parameter it depends on, adding it into each parameter's gradient tensor. Each op's
// backward is recorded once: ops an earlier Backward already went through are an error,
// as in PyTorch without retain_graph. Values that no later backward needs are freed.
func (tp *Tape) Backward(loss *Var) error {
	if !tp.live("Backward", loss) {
		return tp.Err()
	}
	if loss.t.Len() != 1 {
		tp.fail(fmt.Errorf("autograd: Backward of %v, want a one-element loss", loss.t))
		return tp.err
	}
	if !loss.needsGrad {
		tp.fail(errors.New("autograd: Backward of a loss that depends on no parameter"))
		return tp.err
	}
	// Mark the nodes that lead to the loss.
	reach := map[*node]bool{}
	stack := []*node{loss.node}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n == nil || reach[n] {
			continue
		}
		if n.done {
			tp.fail(fmt.Errorf("autograd: Backward through %s a second time", n.name))
			return tp.err
		}
		reach[n] = true
		for _, in := range n.inputs {
			if needs(in) && in.node != nil {
				stack = append(stack, in.node)
			}
		}
	}
	seed := tp.b.NewTensor(1)
	if seed == nil {
		return tp.Err()
	}
	tp.b.Fill(seed, 1)
	loss.grad, loss.gradBuf = seed, seed
	loss.saves++ // the caller reads the loss after the batch runs
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		n := tp.nodes[i]
		if !reach[n] {
			continue
		}
		n.done = true
		dy := n.out.grad
		if dy == nil {
			// The output fed nothing that reached the loss through a differentiable path
			// (e.g. only a detached use): its inputs get no gradient from it.
			tp.unsave(n)
			continue
		}
		grads := n.backward(dy)
		if tp.Err() != nil {
			return tp.Err()
		}
		// Every input's gradient is settled before any is accumulated: an accumulate may
		// free dy's buffer, which a later input that also gets dy (Add) must copy first.
		type pending struct {
			in     *Var
			g, buf *gpu.Tensor
		}
		var ps []pending
		keepDy := false
		for j, in := range n.inputs {
			if j >= len(grads) || grads[j] == nil {
				continue
			}
			if !needs(in) {
				// Computed with the others (batch norm's affine gradients) but not wanted.
				if !gpu.SameBuffer(grads[j], dy) {
					tp.reuse(grads[j])
				}
				continue
			}
			g, buf := grads[j], grads[j]
			switch {
			case !gpu.SameBuffer(g, dy):
			case in.gradInto != nil:
				buf = nil // added into the parameter's gradient now; dy is freed below
			case keepDy:
				// dy's buffer went to another input already (Add): this one gets a copy.
				g = tp.b.Scale(g, 1, 0)
				buf = g
			default:
				keepDy, buf = true, n.out.gradBuf
			}
			ps = append(ps, pending{in, g, buf})
		}
		for _, p := range ps {
			tp.accumulate(p.in, p.g, p.buf)
		}
		if !keepDy {
			tp.freeGrad(n.out)
		}
		n.out.grad, n.out.gradBuf = nil, nil
		tp.unsave(n)
		tp.maybeFree(n.out)
		if tp.Err() != nil {
			return tp.Err()
		}
	}
	return tp.Err()
}

// accumulate adds gradient g (whose buffer buf owns, nil if not owned) to v's.
func (tp *Tape) accumulate(v *Var, g, buf *gpu.Tensor) {
	switch {
	case v.gradInto != nil:
		tp.b.AddInto(v.gradInto, 1, g)
		tp.reuse(buf)
	case v.grad == nil:
		v.grad, v.gradBuf = g, buf
	default:
		if v.gradBuf == nil || gpu.SameBuffer(v.grad, g) {
			// Never add into a buffer the variable does not own: copy first.
			sum := tp.b.AddScaled(v.grad, 1, g, 1)
			tp.freeGrad(v)
			tp.reuse(buf)
			v.grad, v.gradBuf = sum, sum
			return
		}
		tp.b.AddInto(v.grad, 1, g)
		tp.reuse(buf)
	}
}

func (tp *Tape) freeGrad(v *Var) {
	tp.reuse(v.gradBuf)
	v.grad, v.gradBuf = nil, nil
}

func (tp *Tape) reuse(t *gpu.Tensor) {
	if t != nil {
		tp.b.Reuse(t)
	}
}

// unsave drops n's hold on the values it saved, freeing those nothing else needs.
func (tp *Tape) unsave(n *node) {
	for _, s := range n.saved {
		s.saves--
		tp.maybeFree(s)
	}
	n.saved = nil
}

// maybeFree frees an op output whose value no pending backward needs and whose own op's
// backward is recorded (or that has none).
func (tp *Tape) maybeFree(v *Var) {
	if v.saves > 0 || v.released {
		return
	}
	if v.node != nil && !v.node.done {
		return
	}
	if v.base != nil && !v.owned {
		// A view or a detached copy: its base may go now.
		base := v.base
		v.base = nil
		v.released = true
		base.saves--
		tp.maybeFree(base)
		return
	}
	if !v.owned {
		return
	}
	v.released = true
	tp.b.Reuse(v.t)
}

// Release frees every value and gradient the tape still holds. The recorded batch reads
// them: release it first (or with the tape) and never submit it again.
func (tp *Tape) Release() {
	for _, v := range tp.vars {
		if v.gradBuf != nil {
			v.gradBuf.Release()
			v.grad, v.gradBuf = nil, nil
		}
		if v.owned && !v.released {
			v.released = true
			v.t.Release()
		}
	}
	tp.vars, tp.nodes = nil, nil
}
