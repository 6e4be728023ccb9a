package models

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"easel/gpu"
)

// params are a network's tensors on a device, by state_dict name, and the convolutions
// among them prepared for the tuned kernels (gpu.PackedConv): a network's weights stay as
// loaded, so each convolution's weights are repacked once, when a plan first needs them,
// not in every replay.
type params struct {
	t      map[string]*gpu.Tensor
	packed map[string]*gpu.PackedConv // by layer name: the 4-dimensional name.weight and name.bias
}

// tensorSpec is one tensor an architecture expects.
type tensorSpec struct {
	name  string
	shape []int
}

func specShapes(specs []tensorSpec) map[string][]int {
	m := make(map[string][]int, len(specs))
	for _, s := range specs {
		m[s.name] = s.shape
	}
	return m
}

// loadParams checks that w holds exactly the tensors of specs (every missing, unexpected
// or misshapen one is named in the error) and uploads them to dev.
func loadParams(dev *gpu.Device, w *Weights, specs []tensorSpec) (*params, error) {
	if err := w.Expect(specShapes(specs)); err != nil {
		return nil, err
	}
	p := &params{t: make(map[string]*gpu.Tensor, len(specs))}
	for i := range w.Tensors {
		wt := &w.Tensors[i]
		if _, dup := p.t[wt.Name]; dup {
			p.release()
			return nil, fmt.Errorf("%s: tensor %q appears twice", w.Arch, wt.Name)
		}
		if len(wt.Data) != wt.NumElements() {
			p.release()
			return nil, fmt.Errorf("%s: tensor %q: %d values, shape %v needs %d", w.Arch, wt.Name, len(wt.Data), wt.Shape, wt.NumElements())
		}
		t, err := dev.FromData(wt.Data, wt.Shape...)
		if err != nil {
			p.release()
			return nil, fmt.Errorf("%s: upload %q: %w", w.Arch, wt.Name, err)
		}
		p.t[wt.Name] = t
	}
	p.packed = map[string]*gpu.PackedConv{}
	for name, t := range p.t {
		layer, ok := strings.CutSuffix(name, ".weight")
		if !ok || len(t.Shape()) != 4 {
			continue
		}
		p.packed[layer] = gpu.NewPackedConv(t, p.t[layer+".bias"])
	}
	return p, nil
}

// get returns the tensor called name; loadParams has checked that every expected name is
// there, so a miss is a bug in the network code, reported as an error by the op it feeds.
func (p *params) get(name string) *gpu.Tensor { return p.t[name] }

// conv returns the prepared convolution of layer name (weight name.weight, bias
// name.bias if present); a miss is a bug in the network code, reported as an error by
// the op it feeds.
func (p *params) conv(name string) *gpu.PackedConv { return p.packed[name] }

func (p *params) release() {
	if p == nil {
		return
	}
	for _, pc := range p.packed {
		pc.Release()
	}
	p.packed = nil
	for _, t := range p.t {
		t.Release()
	}
	p.t = nil
}

// checkConfig refuses config keys other than allowed, naming them.
func checkConfig(arch string, c Config, allowed ...string) error {
	var unknown []string
	for k := range c {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("%s: unknown config key(s) %q (known: %q)", arch, unknown, allowed)
}

// configInt reads an integer hyperparameter and checks it lies in [lo, hi].
func configInt(arch string, c Config, key string, lo, hi int) (int, error) {
	v, err := c.Int(key)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", arch, err)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%s: config.%s is %d, want %d..%d", arch, key, v, lo, hi)
	}
	return v, nil
}

// Plan is one network's forward pass at one input shape, recorded once into a batch and
// replayed by Run: write Input, Run, read Output. Replays allocate nothing. A plan holds
// the memory of its activations until Release, but only as much as is alive at once:
// each intermediate's buffer is taken over by later layers once its last reader is
// recorded (gpu.Batch.Reuse).
type Plan struct {
	// Input is the tensor the caller writes before Run (the network's input convention is in
	// the weights' IO spec). A plan made by a model's Record method uses the caller's
	// tensor and does not release it.
	Input *gpu.Tensor
	// Output holds the result after Run.
	Output *gpu.Tensor

	batch              *gpu.Batch
	ownBatch, ownInput bool
	temps              []*gpu.Tensor // the tensors the recorded ops returned and the plan owns, Output's storage included
	released           bool
}

// Run submits the recorded forward pass. It does not wait: Output.Read does.
func (p *Plan) Run() error {
	if p.released {
		return fmt.Errorf("models: run of a released plan")
	}
	return p.batch.Submit()
}

// Release frees the plan's activations, its batch when it made it, and its input when it
// allocated it. The model stays usable. A plan made by Record records into the caller's
// batch, which must not be submitted again once the plan is released.
func (p *Plan) Release() {
	if p == nil || p.released {
		return
	}
	p.released = true
	if p.ownBatch {
		p.batch.Release()
	}
	for _, t := range p.temps {
		t.Release()
	}
	if p.ownInput {
		p.Input.Release()
	}
	p.temps = nil
}

// recorder records a network into a batch, keeping every tensor the ops return so that the
// plan can release them, handing dead ones to later layers, and naming the layer that
// failed first.
type recorder struct {
	b     *gpu.Batch
	input *gpu.Tensor // the plan's input, never freed
	temps []*gpu.Tensor
	err   error
	// keepAll makes free do nothing: tests compare a plan against one that keeps every
	// intermediate.
	keepAll bool
	// repackInBatch records the convolutions that repack their weights in the batch
	// instead of reading the prepared ones: tests compare the two.
	repackInBatch bool
	// split, when set, is called after each layer is recorded; the per-layer profile
	// (profile_test.go) starts a new batch there, so that each layer can be timed alone.
	split func(layer string)
}

// keep takes ownership of t, the output of layer; a nil t means the batch failed there.
func (r *recorder) keep(layer string, t *gpu.Tensor) *gpu.Tensor {
	if t != nil {
		r.temps = append(r.temps, t)
		if r.split != nil {
			r.split(layer)
		}
		return t
	}
	if r.err == nil {
		r.err = fmt.Errorf("%s: %w", layer, r.b.Err())
	}
	return nil
}

// free declares intermediates dead, their last reader recorded: later layers may write
// their outputs into them (gpu.Batch.Reuse), so that the plan holds only the activations
// alive at once. The plan's input, nil and tensors the recorder does not own are left
// alone.
func (r *recorder) free(ts ...*gpu.Tensor) {
	if r.keepAll {
		return
	}
	for _, t := range ts {
		if t == nil || t == r.input {
			continue
		}
		if i := slices.Index(r.temps, t); i >= 0 {
			r.temps = slices.Delete(r.temps, i, i+1)
			r.b.Reuse(t)
		}
	}
}

// plan turns a finished recording into a Plan, or releases what it allocated.
func (r *recorder) plan(arch string, x, y *gpu.Tensor, ownBatch, ownInput bool) (*Plan, error) {
	p := &Plan{Input: x, Output: y, batch: r.b, ownBatch: ownBatch, ownInput: ownInput, temps: r.temps}
	err := r.err
	if err == nil {
		err = r.b.Err()
	}
	if err != nil {
		p.Release()
		return nil, fmt.Errorf("%s: record forward pass for input %v: %w", arch, x.Shape(), err)
	}
	return p, nil
}

// newPlan allocates an input of shape in and records forward on it into a new batch.
func newPlan(dev *gpu.Device, arch string, forward func(r *recorder, x *gpu.Tensor) *gpu.Tensor, in ...int) (*Plan, error) {
	x, err := dev.NewTensor(in...)
	if err != nil {
		return nil, fmt.Errorf("%s: input %v: %w", arch, in, err)
	}
	r := &recorder{b: dev.NewBatch(), input: x}
	y := forward(r, x)
	return r.plan(arch, x, y, true, true)
}

// recordPlan records forward on the caller's x into the caller's b.
func recordPlan(b *gpu.Batch, arch string, x *gpu.Tensor, forward func(r *recorder, x *gpu.Tensor) *gpu.Tensor) (*Plan, error) {
	if b == nil || x == nil {
		return nil, fmt.Errorf("%s: record needs a batch and an input", arch)
	}
	if err := b.Err(); err != nil {
		return nil, fmt.Errorf("%s: record into a failed batch: %w", arch, err)
	}
	r := &recorder{b: b, input: x}
	y := forward(r, x)
	return r.plan(arch, x, y, false, false)
}

// conv records p[name.weight] (and p[name.bias] when present) applied to x, reading the
// weights prepared once.
func (r *recorder) conv(p *params, name string, x *gpu.Tensor, stride, pad int, mode gpu.PadMode) *gpu.Tensor {
	cp := gpu.Conv2DParams{Stride: stride, Padding: pad, PadMode: mode}
	pc := p.conv(name)
	if r.repackInBatch && pc != nil {
		return r.keep(name, r.b.Conv2D(x, pc.Weight(), pc.Bias(), cp))
	}
	return r.keep(name, r.b.Conv2DPacked(x, pc, cp))
}

// upConv records UpsampleConv2D of x with p[name.weight] (and p[name.bias] when present),
// reading the weights prepared once.
func (r *recorder) upConv(p *params, name string, x *gpu.Tensor, scale int, cp gpu.Conv2DParams) *gpu.Tensor {
	pc := p.conv(name)
	if r.repackInBatch && pc != nil {
		return r.keep(name, r.b.UpsampleConv2D(x, pc.Weight(), pc.Bias(), scale, cp))
	}
	return r.keep(name, r.b.UpsampleConv2DPacked(x, pc, scale, cp))
}

// convT records ConvTranspose2D of x with p[name.weight] (and p[name.bias] when present),
// reading the weights prepared once.
func (r *recorder) convT(p *params, name string, x *gpu.Tensor, cp gpu.ConvTranspose2DParams) *gpu.Tensor {
	pc := p.conv(name)
	if r.repackInBatch && pc != nil {
		return r.keep(name, r.b.ConvTranspose2D(x, pc.Weight(), pc.Bias(), cp))
	}
	return r.keep(name, r.b.ConvTranspose2DPacked(x, pc, cp))
}
