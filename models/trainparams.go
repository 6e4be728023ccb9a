package models

import (
	"context"
	"fmt"
	"strings"

	"easel/autograd"
	"easel/gpu"
)

// trainParams are a network's weights on a device for training: the trainable tensors in
// one arena and their gradients in another (an optimizer updates all of them in one
// dispatch, and zeroing the gradients is one dispatch), and the buffers that are not
// trained (batch norm's running statistics) apart.
type trainParams struct {
	arch    string
	names   []string // trainable tensors, in state_dict order
	whole   *gpu.Tensor
	grads   *gpu.Tensor
	parts   map[string]*gpu.Tensor
	gparts  map[string]*gpu.Tensor
	buffers map[string]*gpu.Tensor
	order   []tensorSpec // every tensor, in state_dict order
}

// isBuffer reports whether a state_dict tensor is a buffer, not a parameter.
func isBuffer(name string) bool {
	return strings.HasSuffix(name, ".running_mean") || strings.HasSuffix(name, ".running_var")
}

// newTrainParams checks w against specs and uploads it.
func newTrainParams(dev *gpu.Device, w *Weights, specs []tensorSpec) (*trainParams, error) {
	if err := w.Expect(specShapes(specs)); err != nil {
		return nil, err
	}
	p := &trainParams{arch: w.Arch, parts: map[string]*gpu.Tensor{}, gparts: map[string]*gpu.Tensor{},
		buffers: map[string]*gpu.Tensor{}, order: specs}
	var shapes [][]int
	for _, s := range specs {
		if !isBuffer(s.name) {
			p.names = append(p.names, s.name)
			shapes = append(shapes, s.shape)
		}
	}
	var parts, gparts []*gpu.Tensor
	var err error
	if p.whole, parts, err = dev.NewArena(shapes...); err != nil {
		return nil, fmt.Errorf("%s: parameters: %w", w.Arch, err)
	}
	if p.grads, gparts, err = dev.NewArena(shapes...); err != nil {
		p.release()
		return nil, fmt.Errorf("%s: gradients: %w", w.Arch, err)
	}
	for i, name := range p.names {
		p.parts[name], p.gparts[name] = parts[i], gparts[i]
	}
	for i := range w.Tensors {
		t := &w.Tensors[i]
		if isBuffer(t.Name) {
			bt, err := dev.FromData(t.Data, t.Shape...)
			if err != nil {
				p.release()
				return nil, fmt.Errorf("%s: upload %q: %w", w.Arch, t.Name, err)
			}
			p.buffers[t.Name] = bt
			continue
		}
		if err := p.parts[t.Name].Write(t.Data); err != nil {
			p.release()
			return nil, fmt.Errorf("%s: upload %q: %w", w.Arch, t.Name, err)
		}
	}
	return p, nil
}

// vars returns the parameters as tape leaves: with gradients (Param) or as constants (a
// network used but not trained in this part of a step).
func (p *trainParams) vars(tp *autograd.Tape, trained bool) map[string]*autograd.Var {
	m := make(map[string]*autograd.Var, len(p.names))
	for _, name := range p.names {
		if trained {
			m[name] = tp.Param(p.parts[name], p.gparts[name])
		} else {
			m[name] = tp.Constant(p.parts[name])
		}
	}
	return m
}

// readGrads copies every parameter's gradient back, as weights of w's arch, config, IO and
// meta.
func (p *trainParams) readGrads(ctx context.Context, w *Weights) (*Weights, error) {
	out := &Weights{Arch: w.Arch, Config: w.Config, IO: w.IO, Meta: w.Meta}
	for _, s := range p.order {
		data, err := p.gparts[s.name].Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: read the gradient of %q: %w", w.Arch, s.name, err)
		}
		out.Tensors = append(out.Tensors, Tensor{Name: s.name, Shape: append([]int(nil), s.shape...), Data: data, DType: F32})
	}
	return out, nil
}

// read copies every tensor back into weights of the same arch, config and IO as w.
func (p *trainParams) read(ctx context.Context, w *Weights) (*Weights, error) {
	out := &Weights{Arch: w.Arch, Config: w.Config, IO: w.IO, Meta: w.Meta}
	for _, s := range p.order {
		t := p.parts[s.name]
		if isBuffer(s.name) {
			t = p.buffers[s.name]
		}
		data, err := t.Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: read %q: %w", p.arch, s.name, err)
		}
		out.Tensors = append(out.Tensors, Tensor{Name: s.name, Shape: append([]int(nil), s.shape...), Data: data, DType: F32})
	}
	return out, nil
}

func (p *trainParams) release() {
	if p == nil {
		return
	}
	p.whole.Release()
	p.grads.Release()
	for _, t := range p.buffers {
		t.Release()
	}
	p.whole, p.grads, p.parts, p.gparts, p.buffers = nil, nil, nil, nil, nil
}
