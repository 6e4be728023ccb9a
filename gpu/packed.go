package gpu

import (
	"fmt"
	"sync"
)

// PackedConv is a convolution's weights and bias prepared once for the tuned kernels.
// Conv2D, UpsampleConv2D and ConvTranspose2D repack the weights into the tuned kernels'
// layout (conv2d_repack.wgsl) in the batch, before every use, so that a replayed batch
// reads weights that change between replays (training). A network whose weights stay as
// loaded records the *Packed ops instead: the weights are repacked at the first op that
// needs a layout, in a batch of their own submitted at once, and every later op and
// replay reads the repacked copy.
//
// The repacked form depends on the kernel an input shape picks, so a PackedConv keeps one
// per layout met. w and bias stay the caller's: they must hold their final values before
// the first op records (Tensor.Write is ordered before that submit), must not change
// while the PackedConv is used, and must outlive it. Release frees the repacked copies;
// batches that read them must be released first.
type PackedConv struct {
	w, bias  *Tensor
	mu       sync.Mutex               // guards the fields below: plans may be recorded concurrently
	forms    map[packLayout][]*Tensor // one tensor of repacked windows per chunk of input channels
	batches  []*Batch                 // the batches that repacked them, kept until Release
	released bool
}

// NewPackedConv prepares nothing yet: it names the weight and the bias (nil for none) of
// one convolution for the *Packed ops.
func NewPackedConv(w, bias *Tensor) *PackedConv { return &PackedConv{w: w, bias: bias} }

// Weight is the convolution's weight tensor.
func (pc *PackedConv) Weight() *Tensor { return pc.w }

// Bias is the convolution's bias tensor, nil for none.
func (pc *PackedConv) Bias() *Tensor { return pc.bias }

// Release frees the repacked weights (not w and bias). Safe on nil and twice.
func (pc *PackedConv) Release() {
	if pc == nil {
		return
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.released {
		return
	}
	pc.released = true
	for _, ts := range pc.forms {
		for _, t := range ts {
			t.Release()
		}
	}
	for _, pb := range pc.batches {
		pb.Release()
	}
	pc.forms, pc.batches = nil, nil
}

// prepare returns the repacked weights of layout l, one tensor per chunk, repacking them
// in a batch of their own the first time; failures are recorded in b (nil is returned).
func (pc *PackedConv) prepare(b *Batch, l packLayout) []*Tensor {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.released {
		b.Fail(fmt.Errorf("Conv2D: packed convolution of %v was released", pc.w))
		return nil
	}
	if ts, ok := pc.forms[l]; ok {
		return ts
	}
	pb := b.d.NewBatch()
	ts := make([]*Tensor, 0, l.chunks())
	fail := func(err error) []*Tensor {
		for _, t := range ts {
			t.Release()
		}
		pb.Release()
		b.Fail(fmt.Errorf("Conv2D: prepare weights %v: %w", pc.w, err))
		return nil
	}
	for c := range l.chunks() {
		t, err := b.d.NewTensor(l.groups * l.gsf)
		if err != nil {
			return fail(err)
		}
		ts = append(ts, t)
		pb.repack(l, c, pc.w, pc.bias, t)
	}
	if err := pb.Submit(); err != nil {
		return fail(err)
	}
	if pc.forms == nil {
		pc.forms = map[packLayout][]*Tensor{}
	}
	pc.forms[l] = ts
	pc.batches = append(pc.batches, pb)
	return ts
}

// okPacked checks pc for one of the *Packed ops and returns its weight and bias.
func (b *Batch) okPacked(op string, pc *PackedConv) (w, bias *Tensor, ok bool) {
	switch {
	case b.err != nil:
		return nil, nil, false
	case pc == nil:
		b.Fail(fmt.Errorf("%s: packed convolution is nil", op))
		return nil, nil, false
	}
	pc.mu.Lock()
	released := pc.released
	pc.mu.Unlock()
	if released {
		b.Fail(fmt.Errorf("%s: packed convolution of %v was released", op, pc.w))
		return nil, nil, false
	}
	return pc.w, pc.bias, true
}

// Conv2DPacked is Conv2D(x, pc's weight, pc's bias, p) reading weights prepared once.
func (b *Batch) Conv2DPacked(x *Tensor, pc *PackedConv, p Conv2DParams) *Tensor {
	w, bias, ok := b.okPacked("Conv2D", pc)
	if !ok {
		return nil
	}
	return b.conv2D(x, w, bias, p, pc)
}

// UpsampleConv2DPacked is UpsampleConv2D(x, pc's weight, pc's bias, scale, p) reading
// weights prepared once.
func (b *Batch) UpsampleConv2DPacked(x *Tensor, pc *PackedConv, scale int, p Conv2DParams) *Tensor {
	w, bias, ok := b.okPacked("UpsampleConv2D", pc)
	if !ok {
		return nil
	}
	return b.upsampleConv2D(x, w, bias, scale, p, pc)
}

// ConvTranspose2DPacked is ConvTranspose2D(x, pc's weight, pc's bias, p) reading weights
// prepared once.
func (b *Batch) ConvTranspose2DPacked(x *Tensor, pc *PackedConv, p ConvTranspose2DParams) *Tensor {
	w, bias, ok := b.okPacked("ConvTranspose2D", pc)
	if !ok {
		return nil
	}
	return b.convTranspose2D(x, w, bias, p, pc)
}
