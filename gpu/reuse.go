package gpu

import (
	"fmt"

	"github.com/gogpu/wgpu"
)

// spares are the buffers Reuse gave a batch, by size in bytes.
type spares map[uint64][]*wgpu.Buffer

// Reuse declares t dead from here on in this batch: every op that reads it is recorded, so
// ops recorded later may write their outputs into its buffer. The batch keeps the buffer
// (it is never handed to anyone outside the batch, whose submits would overwrite it) and
// returns it to the device pool on Release, unless a later output took it over (on a
// failed batch, at once). t must not be used again; its Release does nothing.
//
// This is correct because a batch runs its dispatches in order, each finished before the
// next begins (a barrier after every dispatch natively, WebGPU's usage scopes in the
// browser), and a replay runs them all again in the same order. A network's forward pass
// uses it to hold only the activations that are alive at once.
func (b *Batch) Reuse(t *Tensor) {
	switch {
	case t == nil:
		return
	case b.err != nil:
		// The batch will never run: the buffer goes back to the pool now, not to the
		// garbage collector (which would destroy it, possibly with a write still queued).
		if t.d == b.d {
			t.Release()
		}
	case t.freed:
		b.Fail(fmt.Errorf("gpu: reuse of released %v", t))
	case t.view:
		b.Fail(fmt.Errorf("gpu: reuse of %v, a view of another tensor's buffer", t))
	case t.d != b.d:
		b.Fail(fmt.Errorf("gpu: reuse of %v, a tensor of another device", t))
	default:
		t.freed = true
		if b.spare == nil {
			b.spare = spares{}
		}
		size := t.buf.Size()
		b.spare[size] = append(b.spare[size], t.buf)
	}
}

// takeSpare returns a tensor of shape in a buffer that Reuse gave the batch, or nil: the
// smallest one that holds it, if it is at most spareSlack times the tensor's size (a small
// tensor must not hold a large buffer that a later large output needs). The tensor binds
// and reads only its own bytes of the buffer. With the device's poison on it takes none,
// so that every output a test reads starts as NaN.
func (b *Batch) takeSpare(shape []int) *Tensor {
	if len(b.spare) == 0 || checkShape(shape) != nil {
		return nil // NewTensor reports a bad shape
	}
	size := uint64(numel(shape)) * 4
	best := uint64(0)
	for s, bufs := range b.spare {
		if len(bufs) > 0 && s >= size && s <= spareSlack*size && (best == 0 || s < best) {
			best = s
		}
	}
	if best == 0 {
		return nil
	}
	b.d.mu.Lock()
	poison := b.d.poison
	b.d.mu.Unlock()
	if poison {
		return nil
	}
	bufs := b.spare[best]
	buf := bufs[len(bufs)-1]
	b.spare[best] = bufs[:len(bufs)-1]
	return &Tensor{d: b.d, buf: buf, shape: append([]int(nil), shape...)}
}

// spareSlack bounds the waste of a spare buffer: TransformerNet's activations shrink by 2
// and 4 between layers, and a buffer of a large early one serves the smaller ones.
const spareSlack = 4

// releaseSpare returns the buffers no output took over to the device pool.
func (b *Batch) releaseSpare() {
	for _, bufs := range b.spare {
		for _, buf := range bufs {
			b.d.releaseBuffer(buf)
		}
	}
	b.spare = nil
}
