package gpu

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"
)

// MaxElements bounds one tensor; larger shapes are refused before any allocation.
const MaxElements = 1 << 28

// Tensor is a float32 NCHW (or any row-major) array in GPU memory.
type Tensor struct {
	d     *Device
	buf   *wgpu.Buffer
	off   uint64 // bytes from the buffer's start: a view into an arena starts further in
	shape []int
	view  bool // shares another tensor's buffer; Release does not free it
	freed bool
}

// Shape returns a copy of the tensor's dimensions.
func (t *Tensor) Shape() []int { return append([]int(nil), t.shape...) }

// Len is the number of elements.
func (t *Tensor) Len() int { return numel(t.shape) }

// Dim returns dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

func (t *Tensor) String() string { return fmt.Sprintf("Tensor%v", t.shape) }

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// checkShape refuses empty, negative and oversized shapes without overflowing.
func checkShape(shape []int) error {
	if len(shape) == 0 {
		return fmt.Errorf("gpu: tensor shape is empty")
	}
	n := 1
	for _, s := range shape {
		if s <= 0 {
			return fmt.Errorf("gpu: tensor shape %v has a dimension ≤ 0", shape)
		}
		if n > MaxElements/s {
			return fmt.Errorf("gpu: tensor shape %v has more than %d elements", shape, MaxElements)
		}
		n *= s
	}
	return nil
}

// NewTensor allocates an uninitialised tensor (from the pool when possible).
func (d *Device) NewTensor(shape ...int) (*Tensor, error) {
	if err := checkShape(shape); err != nil {
		return nil, err
	}
	buf, err := d.allocBuffer(uint64(numel(shape)) * 4)
	if err != nil {
		return nil, err
	}
	t := &Tensor{d: d, buf: buf, shape: append([]int(nil), shape...)}
	d.mu.Lock()
	poison := d.poison
	d.mu.Unlock()
	if poison {
		nan := make([]float32, t.Len())
		for i := range nan {
			nan[i] = float32(math.NaN())
		}
		if err := t.Write(nan); err != nil {
			t.Release()
			return nil, err
		}
	}
	return t, nil
}

// FromData allocates a tensor and uploads data into it.
func (d *Device) FromData(data []float32, shape ...int) (*Tensor, error) {
	t, err := d.NewTensor(shape...)
	if err != nil {
		return nil, err
	}
	if err := t.Write(data); err != nil {
		t.Release()
		return nil, err
	}
	return t, nil
}

// Write uploads data, which must hold exactly Len() values. The upload is ordered before
// any later Submit.
func (t *Tensor) Write(data []float32) error {
	if t.freed {
		return fmt.Errorf("gpu: write to released %v", t)
	}
	if len(data) != t.Len() {
		return fmt.Errorf("gpu: write of %d values into %v (%d elements)", len(data), t, t.Len())
	}
	return t.d.queue.WriteBuffer(t.buf, t.off, float32Bytes(data))
}

// Release returns the tensor's buffer to the device pool. Views release nothing.
func (t *Tensor) Release() {
	if t == nil || t.freed {
		return
	}
	t.freed = true
	if !t.view {
		t.d.releaseBuffer(t.buf)
	}
}

// Reshape returns a view with a new shape of the same element count. The view is valid
// while t is.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	if err := checkShape(shape); err != nil {
		return nil, err
	}
	if numel(shape) != t.Len() {
		return nil, fmt.Errorf("gpu: reshape %v to %v changes the element count", t.shape, shape)
	}
	return &Tensor{d: t.d, buf: t.buf, off: t.off, shape: append([]int(nil), shape...), view: true}, nil
}

// Read copies the tensor back to host memory, waiting for all submitted work.
func (t *Tensor) Read(ctx context.Context) ([]float32, error) {
	if t.freed {
		return nil, fmt.Errorf("gpu: read of released %v", t)
	}
	raw, err := t.d.readBuffer(ctx, t.buf, t.off, uint64(t.Len())*4)
	if err != nil {
		return nil, err
	}
	out := make([]float32, t.Len())
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}

func float32Bytes(data []float32) []byte {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

// readBuffer copies size bytes of src from offset into a pooled map-read buffer and maps it.
func (d *Device) readBuffer(ctx context.Context, src *wgpu.Buffer, offset, size uint64) ([]byte, error) {
	st, err := d.allocStaging(size)
	if err != nil {
		return nil, err
	}
	defer d.releaseStaging(st)
	enc, err := d.dev.CreateCommandEncoder(nil)
	if err != nil {
		return nil, fmt.Errorf("gpu: readback encoder: %w", err)
	}
	enc.CopyBufferToBuffer(src, offset, st, 0, size)
	cb, err := enc.Finish()
	if err != nil {
		return nil, fmt.Errorf("gpu: readback encoder: %w", err)
	}
	if _, err := d.queue.Submit(cb); err != nil {
		return nil, fmt.Errorf("gpu: readback submit: %w", err)
	}
	if err := st.Map(ctx, wgpu.MapModeRead, 0, size); err != nil {
		_ = st.Unmap() // a cancelled map must not go back to the pool still pending
		// In the browser a device lost meanwhile fails the map ("unmapped before mapping
		// was resolved"); the error then says so, as every operation on a lost device does.
		if derr := d.settledDeviceError(); derr != nil {
			return nil, fmt.Errorf("gpu: readback map: %v: %w", err, derr)
		}
		return nil, fmt.Errorf("gpu: readback map: %w", err)
	}
	rng, err := st.MappedRange(0, size)
	if err != nil {
		_ = st.Unmap()
		return nil, fmt.Errorf("gpu: readback mapped range: %w", err)
	}
	out := append([]byte(nil), rng.Bytes()...)
	if err := st.Unmap(); err != nil {
		return nil, fmt.Errorf("gpu: readback unmap: %w", err)
	}
	// In the browser, what the browser refused of the work read here (an invalid bind group,
	// a rejected submit) arrives as events around the map; the data is then not the ops'.
	if err := d.settledDeviceError(); err != nil {
		return nil, err
	}
	return out, nil
}

// allocPooled hands out a buffer of size bytes from pool, creating one of usage (label
// names it in errors) when the pool has none.
func (d *Device) allocPooled(pool map[uint64][]*wgpu.Buffer, label string, size uint64, usage gputypes.BufferUsage) (*wgpu.Buffer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if bufs := pool[size]; len(bufs) > 0 {
		b := bufs[len(bufs)-1]
		pool[size] = bufs[:len(bufs)-1]
		return b, nil
	}
	b, err := d.dev.CreateBuffer(&wgpu.BufferDescriptor{Label: label, Size: size, Usage: usage})
	if err != nil {
		return nil, fmt.Errorf("gpu: create %s buffer of %d bytes: %w", label, size, err)
	}
	return b, nil
}

// releasePooled returns b to pool, or destroys it once the device is closed.
func (d *Device) releasePooled(pool map[uint64][]*wgpu.Buffer, b *wgpu.Buffer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		b.Release()
		return
	}
	pool[b.Size()] = append(pool[b.Size()], b)
}

func (d *Device) allocStaging(size uint64) (*wgpu.Buffer, error) {
	return d.allocPooled(d.staging, "readback", size, wgpu.BufferUsageMapRead|wgpu.BufferUsageCopyDst)
}

func (d *Device) releaseStaging(b *wgpu.Buffer) { d.releasePooled(d.staging, b) }

// allocParams hands out a uniform buffer of size bytes for a launch's runtime constants.
// Like tensor buffers they are pooled, not destroyed, when their batch is released: a
// write queued for a destroyed buffer crashes some drivers (lavapipe) at the next submit,
// and queue order keeps a new write behind the work of the batch that used it before.
func (d *Device) allocParams(size uint64) (*wgpu.Buffer, error) {
	return d.allocPooled(d.params, "params", size, wgpu.BufferUsageUniform|wgpu.BufferUsageCopyDst)
}

func (d *Device) releaseParams(b *wgpu.Buffer) { d.releasePooled(d.params, b) }

// overlaps reports whether a and b share any byte of one buffer.
func overlaps(a, b *Tensor) bool {
	if a.buf != b.buf {
		return false
	}
	aEnd, bEnd := a.off+uint64(a.Len())*4, b.off+uint64(b.Len())*4
	return a.off < bEnd && b.off < aEnd
}

// NewArena allocates one buffer holding a tensor of each shape and returns the whole
// buffer as a flat tensor and each part as a view into it. Parts start at the device's
// storage-offset alignment, so each binds on its own; the gaps between them are zeroed.
// An optimizer updates every parameter of a network in one dispatch over the whole arena.
// Releasing whole frees the parts; their own Release does nothing.
func (d *Device) NewArena(shapes ...[]int) (whole *Tensor, parts []*Tensor, err error) {
	if len(shapes) == 0 {
		return nil, nil, fmt.Errorf("gpu: arena of no tensors")
	}
	align := d.storageAlign / 4
	offs := make([]int, len(shapes))
	total := 0
	for i, s := range shapes {
		if err := checkShape(s); err != nil {
			return nil, nil, fmt.Errorf("gpu: arena tensor %d: %w", i, err)
		}
		offs[i] = total
		n := (numel(s) + int(align) - 1) / int(align) * int(align)
		if total > MaxElements-n {
			return nil, nil, fmt.Errorf("gpu: arena of %d tensors has more than %d elements", len(shapes), MaxElements)
		}
		total += n
	}
	whole, err = d.NewTensor(total)
	if err != nil {
		return nil, nil, err
	}
	if err := whole.Write(make([]float32, total)); err != nil {
		whole.Release()
		return nil, nil, err
	}
	parts = make([]*Tensor, len(shapes))
	for i, s := range shapes {
		parts[i] = &Tensor{d: d, buf: whole.buf, off: uint64(offs[i]) * 4, shape: append([]int(nil), s...), view: true}
	}
	return whole, parts, nil
}
