package gpu

import (
	"errors"
	"fmt"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"
)

// Batch records kernel launches and submits them together: one command encoder, one compute
// pass, one submit, no synchronisation between ops. A batch can be submitted again and
// again (a network's forward pass at one input size is recorded once and replayed per
// frame), so recording allocates and submitting does not.
//
// Ops record into a batch and return their output tensor. The first error (a shape
// mismatch, a failed compile) sticks: later ops do nothing and return nil, and Err and
// Submit report it, so network code reads as a plain sequence of ops.
type Batch struct {
	d         *Device
	steps     []step
	copies    []textureCopy  // encoded after the compute pass, in the same command buffer
	scratch   []*Tensor      // intermediates only the batch's own kernels use, released with it
	paramBufs []*wgpu.Buffer // the launches' runtime constants (params)
	spare     spares         // buffers of dead tensors for later outputs (reuse.go)
	err       error
}

type step struct {
	k      *kernel
	bg     *wgpu.BindGroup
	groups [3]uint32
}

// textureCopy copies w×h pixels of an image, rows bytesPerRow apart from offset, into a
// texture at (x, y). The texture is looked up at each submit: a canvas hands out a new
// one per frame.
type textureCopy struct {
	src                 *Image
	offset, bytesPerRow uint64
	dst                 func() (*wgpu.Texture, error)
	x, y, w, h          int
}

// NewBatch starts an empty batch.
func (d *Device) NewBatch() *Batch { return &Batch{d: d} }

// Device is the device the batch records for.
func (b *Batch) Device() *Device { return b.d }

// Err is the first error any op recorded into the batch met.
func (b *Batch) Err() error { return b.err }

// Fail records err (if it is the first) and returns it.
func (b *Batch) Fail(err error) error {
	if b.err == nil {
		b.err = err
	}
	return b.err
}

// Len is the number of kernel launches recorded.
func (b *Batch) Len() int { return len(b.steps) }

// ok checks that the batch has no error and that every input is a live tensor of this
// device; op names the op for the error message.
func (b *Batch) ok(op string, ts ...*Tensor) bool {
	if b.err != nil {
		return false
	}
	for i, t := range ts {
		switch {
		case t == nil:
			b.Fail(fmt.Errorf("%s: input %d is nil", op, i))
		case t.freed:
			b.Fail(fmt.Errorf("%s: input %d (%v) was released", op, i, t))
		case t.d != b.d:
			b.Fail(fmt.Errorf("%s: input %d (%v) belongs to another device", op, i, t))
		}
	}
	return b.err == nil
}

// binding is one argument of a launch: the whole tensor, a window of it (offset and size
// in bytes, size 0 meaning the whole tensor), or a texture (kind bindTexture).
type binding struct {
	t            *Tensor
	tex          *Texture
	kind         bindKind
	offset, size uint64
}

func in(t *Tensor) binding  { return binding{t: t, kind: bindRead} }
func out(t *Tensor) binding { return binding{t: t, kind: bindWrite} }

// uniformWindow binds size bytes of t from offset as a uniform buffer. WebGPU requires
// offset to be a multiple of minUniformBufferOffsetAlignment (256 in Chrome) and size at
// most maxUniformBufferBindingSize (65536 by default).
func uniformWindow(t *Tensor, offset, size uint64) binding {
	return binding{t: t, kind: bindUniform, offset: offset, size: size}
}

// entry checks a binding against the tensor and the device's limits.
func (b *Batch) entry(i int, a binding) (wgpu.BindGroupEntry, error) {
	if a.kind == bindTexture {
		return wgpu.BindGroupEntry{Binding: uint32(i), TextureView: a.tex.view}, nil
	}
	full := uint64(a.t.Len()) * 4
	size := a.size
	if size == 0 {
		size = full - a.offset
	}
	switch {
	case a.offset > full || size > full-a.offset:
		return wgpu.BindGroupEntry{}, fmt.Errorf("gpu: binding %d: window [%d, +%d) outside %v (%d bytes)", i, a.offset, size, a.t, full)
	case a.kind == bindUniform && (a.offset%b.d.uniformAlign != 0 || size > b.d.maxUniform || size%16 != 0):
		return wgpu.BindGroupEntry{}, fmt.Errorf("gpu: binding %d: uniform window [%d, +%d) of %v is not %d-byte aligned, "+
			"over %d bytes or not a whole number of vec4", i, a.offset, size, a.t, b.d.uniformAlign, b.d.maxUniform)
	case a.kind == bindUniform && a.t.off%b.d.uniformAlign != 0:
		return wgpu.BindGroupEntry{}, fmt.Errorf("gpu: binding %d: %v starts at byte %d of its arena, not %d-byte aligned for a uniform", i, a.t, a.t.off, b.d.uniformAlign)
	case a.kind != bindUniform && (a.t.off+a.offset)%b.d.storageAlign != 0:
		return wgpu.BindGroupEntry{}, fmt.Errorf("gpu: binding %d: storage window offset %d of %v is not %d-byte aligned", i, a.t.off+a.offset, a.t, b.d.storageAlign)
	}
	return wgpu.BindGroupEntry{Binding: uint32(i), Buffer: a.t.buf, Offset: a.t.off + a.offset, Size: size}, nil
}

// launch compiles (once) and records one dispatch of entry in file.
func (b *Batch) launch(file, entry string, consts []constant, groups [3]uint32, args ...binding) {
	if b.err != nil {
		return
	}
	kinds := make([]bindKind, len(args))
	entries := make([]wgpu.BindGroupEntry, len(args))
	for i, a := range args {
		e, err := b.entry(i, a)
		if err != nil {
			b.Fail(fmt.Errorf("%s:%s: %w", file, entry, err))
			return
		}
		kinds[i], entries[i] = a.kind, e
	}
	if rt := splitRuntime(consts); len(rt) > 0 {
		e, err := b.params(rt)
		if err != nil {
			b.Fail(fmt.Errorf("%s:%s: %w", file, entry, err))
			return
		}
		kinds, entries = append(kinds, bindParams), append(entries, e)
	}
	k, err := b.d.kernel(file, entry, consts, kinds)
	if err != nil {
		b.Fail(err)
		return
	}
	bg, err := b.d.dev.CreateBindGroup(&wgpu.BindGroupDescriptor{Label: k.name, Layout: k.bgl, Entries: entries})
	if err != nil {
		b.Fail(fmt.Errorf("gpu: bind group for %s: %w", k.name, err))
		return
	}
	b.steps = append(b.steps, step{k: k, bg: bg, groups: groups})
}

// params makes the uniform buffer of a launch's runtime constants, written once: every
// replay reads the same sizes. The batch holds it until Release; it is not a tensor, so
// it stays out of the counts of live tensor buffers.
func (b *Batch) params(rt []constant) (wgpu.BindGroupEntry, error) {
	data := paramsBytes(rt)
	buf, err := b.d.allocParams(uint64(len(data)))
	if err != nil {
		return wgpu.BindGroupEntry{}, err
	}
	if err := b.d.queue.WriteBuffer(buf, 0, data); err != nil {
		b.d.releaseParams(buf)
		return wgpu.BindGroupEntry{}, fmt.Errorf("gpu: write params: %w", err)
	}
	b.paramBufs = append(b.paramBufs, buf)
	return wgpu.BindGroupEntry{Binding: paramsBinding, Buffer: buf, Size: uint64(len(data))}, nil
}

// launch1D records a kernel with one invocation per element of n, workgroup size 64.
// The kernel sees GRID_X and N as runtime constants besides consts.
func (b *Batch) launch1D(file, entry string, n int, consts []constant, args ...binding) {
	b.launch1DSize(file, entry, n, 64, consts, args...)
}

// launch1DSize is launch1D for a kernel of workgroup size wg.
func (b *Batch) launch1DSize(file, entry string, n, wg int, consts []constant, args ...binding) {
	gx, gy, gridX := grid1D(n, wg)
	consts = append([]constant{ru("GRID_X", gridX), ru("N", n)}, consts...)
	b.launch(file, entry, consts, [3]uint32{uint32(gx), uint32(gy), 1}, args...)
}

// Submit encodes every recorded launch into one command buffer and submits it. It does not
// wait for the GPU; Tensor.Read does.
func (b *Batch) Submit() error {
	if b.err != nil {
		return b.err
	}
	if len(b.steps) == 0 && len(b.copies) == 0 {
		return nil
	}
	if err := readyPipelines(b.steps); err != nil {
		return err
	}
	enc, err := b.d.dev.CreateCommandEncoder(nil)
	if err != nil {
		return fmt.Errorf("gpu: command encoder: %w", err)
	}
	pass, err := enc.BeginComputePass(nil)
	if err != nil {
		return fmt.Errorf("gpu: compute pass: %w", err)
	}
	for _, s := range b.steps {
		pass.SetPipeline(s.k.pipeline)
		pass.SetBindGroup(0, s.bg, nil)
		pass.Dispatch(s.groups[0], s.groups[1], s.groups[2])
	}
	if err := pass.End(); err != nil {
		return fmt.Errorf("gpu: end compute pass: %w", err)
	}
	for _, c := range b.copies {
		if c.src.t.freed {
			return fmt.Errorf("gpu: copy of released %v", c.src)
		}
		dst, err := c.dst()
		if err != nil {
			return err
		}
		enc.CopyBufferToTexture(c.src.t.buf, dst, []wgpu.BufferTextureCopy{{
			BufferLayout: wgpu.ImageDataLayout{Offset: c.src.t.off + c.offset, BytesPerRow: uint32(c.bytesPerRow), RowsPerImage: uint32(c.h)},
			TextureBase: wgpu.ImageCopyTexture{Texture: dst, Origin: wgpu.Origin3D{X: uint32(c.x), Y: uint32(c.y)},
				Aspect: gputypes.TextureAspectAll},
			Size: wgpu.Extent3D{Width: uint32(c.w), Height: uint32(c.h), DepthOrArrayLayers: 1},
		}})
	}
	cmd, err := enc.Finish()
	if err != nil {
		return fmt.Errorf("gpu: finish commands: %w", err)
	}
	if _, err := b.d.queue.Submit(cmd); err != nil {
		return fmt.Errorf("gpu: submit: %w", err)
	}
	return b.d.deviceError()
}

// Release frees the batch's bind groups and scratch tensors. Tensors the ops returned stay
// with their owners.
func (b *Batch) Release() {
	for _, s := range b.steps {
		s.bg.Release()
	}
	for _, t := range b.scratch {
		t.Release()
	}
	for _, buf := range b.paramBufs {
		b.d.releaseParams(buf)
	}
	b.paramBufs = nil
	b.releaseSpare()
	b.steps, b.copies, b.scratch = nil, nil, nil
	if b.err == nil {
		b.err = errReleasedBatch
	}
}

var errReleasedBatch = errors.New("gpu: batch was released")

// newOutput allocates an op's output tensor, recording any failure in the batch.
func (b *Batch) newOutput(op string, shape ...int) *Tensor {
	if b.err != nil {
		return nil
	}
	if t := b.takeSpare(shape); t != nil {
		return t
	}
	t, err := b.d.NewTensor(shape...)
	if err != nil {
		b.Fail(fmt.Errorf("%s: output %v: %w", op, shape, err))
		return nil
	}
	return t
}

// NewTensor allocates a tensor for the batch's ops to write, taking over a buffer Reuse
// gave the batch when one fits. Failures are recorded in the batch (nil is returned).
func (b *Batch) NewTensor(shape ...int) *Tensor { return b.newOutput("NewTensor", shape...) }

// SameBuffer reports whether a and b are views of one buffer.
func SameBuffer(a, b *Tensor) bool { return a != nil && b != nil && a.buf == b.buf }

// releaseAfterBatch hands t to the batch: an intermediate that only the batch's own kernels
// use (statistics, repacked weights) lives as long as the batch and is released with it.
func (b *Batch) releaseAfterBatch(t *Tensor) {
	if t != nil {
		b.scratch = append(b.scratch, t)
	}
}
