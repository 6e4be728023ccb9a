// Package gpu runs float32 tensor ops as WGSL compute shaders on a WebGPU device: natively
// through gogpu/wgpu on Vulkan, and in the browser on navigator.gpu. It knows nothing of
// style transfer or GANs.
package gpu

import (
	"errors"
	"fmt"
	"sync"

	"github.com/gogpu/wgpu"
)

// AdapterInfo says which adapter a Device runs on; tests print it.
type AdapterInfo struct {
	Name       string
	Vendor     string
	Driver     string
	DeviceType string
	Backend    string
	Kernels    KernelFamily // the kernel family the device uses
	// Subgroups says the device runs the GPU family's subgroup variants (reductions):
	// the adapter has the subgroups feature and the device was given it.
	Subgroups bool
}

func (a AdapterInfo) String() string {
	s := a.Name
	if a.Driver != "" {
		s += " (" + a.Driver + ")"
	}
	s += " on " + a.Backend + ", " + a.DeviceType
	if a.Kernels != KernelsAuto {
		s += ", " + a.Kernels.String() + " kernels"
	}
	if a.Subgroups {
		s += " with subgroups"
	}
	return s
}

// Device owns a WebGPU device, its compiled kernels and a pool of tensor buffers.
// Its methods are safe for use from one goroutine at a time.
type Device struct {
	instance *wgpu.Instance
	adapter  *wgpu.Adapter
	dev      *wgpu.Device
	queue    *wgpu.Queue
	info     AdapterInfo

	maxBinding   uint64 // largest storage binding the device accepts, in bytes
	maxBuffer    uint64
	maxUniform   uint64 // largest uniform binding, capped at WebGPU's default 64 KiB
	uniformAlign uint64 // uniform binding offsets are multiples of this
	storageAlign uint64 // storage binding offsets are multiples of this

	mu      sync.Mutex
	kernels map[string]*kernel
	free    map[uint64][]*wgpu.Buffer // released tensor buffers by byte size
	staging map[uint64][]*wgpu.Buffer // map-read buffers by byte size
	params  map[uint64][]*wgpu.Buffer // released launches' runtime-constant uniforms by byte size
	live    int                       // buffers handed out and not yet released
	liveB   uint64                    // their bytes
	closed  bool
	poison  bool // fill every new tensor with NaN, so an unwritten output fails a test
}

// ErrClosed is returned by operations on a closed Device.
var ErrClosed = errors.New("gpu: device is closed")

// Adapter describes the adapter this device runs on.
func (d *Device) Adapter() AdapterInfo { return d.info }

func newDevice(inst *wgpu.Instance, ad *wgpu.Adapter, dev *wgpu.Device, info AdapterInfo) *Device {
	lim := dev.Limits()
	return &Device{
		instance:     inst,
		adapter:      ad,
		dev:          dev,
		queue:        dev.Queue(),
		info:         info,
		maxBinding:   uint64(lim.MaxStorageBufferBindingSize),
		maxBuffer:    lim.MaxBufferSize,
		maxUniform:   min(lim.MaxUniformBufferBindingSize, MaxUniformWindow),
		uniformAlign: uint64(max(lim.MinUniformBufferOffsetAlignment, 256)),
		storageAlign: uint64(max(lim.MinStorageBufferOffsetAlignment, 256)),
		kernels:      map[string]*kernel{},
		free:         map[uint64][]*wgpu.Buffer{},
		staging:      map[uint64][]*wgpu.Buffer{},
		params:       map[uint64][]*wgpu.Buffer{},
	}
}

// Close releases every kernel and pooled buffer, then the device itself. Tensors still
// held by the caller must not be used afterwards.
func (d *Device) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	for _, k := range d.kernels {
		k.release()
	}
	for _, pool := range []map[uint64][]*wgpu.Buffer{d.free, d.staging, d.params} {
		for _, bufs := range pool {
			for _, b := range bufs {
				b.Release()
			}
		}
	}
	d.kernels, d.free, d.staging, d.params = nil, nil, nil, nil
	d.dev.Release()
	d.adapter.Release()
	d.instance.Release()
}

// LiveBuffers reports how many tensor buffers are handed out and not yet released.
// Tests use it to prove that a repeated forward pass allocates nothing new.
func (d *Device) LiveBuffers() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.live
}

// LiveBytes reports the bytes of the tensor buffers handed out and not yet released: what a
// plan holds is the difference before and after making it.
func (d *Device) LiveBytes() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.liveB
}

// PooledBuffers reports how many released buffers wait in the pool for reuse.
func (d *Device) PooledBuffers() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, bufs := range d.free {
		n += len(bufs)
	}
	return n
}

// MaxUniformWindow is the largest uniform binding Easel uses: WebGPU's default limit, which
// every browser grants, so kernels sized for it run unchanged everywhere.
const MaxUniformWindow = 65536

// Every tensor buffer can also be bound as a uniform window, so that kernels can read
// repacked weights through the uniform path; one usage for all keeps one pool.
const tensorUsage = wgpu.BufferUsageStorage | wgpu.BufferUsageUniform | wgpu.BufferUsageCopySrc | wgpu.BufferUsageCopyDst

// allocBuffer hands out a storage buffer of exactly size bytes, reusing a released one.
func (d *Device) allocBuffer(size uint64) (*wgpu.Buffer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if size > d.maxBinding || size > d.maxBuffer {
		return nil, fmt.Errorf("gpu: tensor of %d bytes exceeds the device's largest storage binding (%d bytes)", size, min(d.maxBinding, d.maxBuffer))
	}
	if bufs := d.free[size]; len(bufs) > 0 {
		b := bufs[len(bufs)-1]
		d.free[size] = bufs[:len(bufs)-1]
		d.live++
		d.liveB += size
		return b, nil
	}
	b, err := d.dev.CreateBuffer(&wgpu.BufferDescriptor{Label: "tensor", Size: size, Usage: tensorUsage})
	if err != nil {
		return nil, fmt.Errorf("gpu: create buffer of %d bytes: %w", size, err)
	}
	d.live++
	d.liveB += size
	return b, nil
}

func (d *Device) releaseBuffer(b *wgpu.Buffer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.live--
	d.liveB -= b.Size()
	if d.closed {
		b.Release()
		return
	}
	d.free[b.Size()] = append(d.free[b.Size()], b)
}

// SetPoison makes every tensor handed out afterwards start as NaN instead of whatever its
// pooled buffer held, so that a kernel leaving an element unwritten cannot pass a test.
func (d *Device) SetPoison(on bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.poison = on
}

// TrimPool destroys every pooled buffer, returning their memory to the driver. Uploads
// (Tensor.Write) are queued until the next submit, and a buffer destroyed with an upload
// pending crashes some drivers (lavapipe) at that submit: TrimPool first submits them and
// waits for the device.
func (d *Device) TrimPool() {
	if _, err := d.queue.Submit(); err == nil {
		d.dev.WaitIdle() // a no-op in the browser, which keeps buffers alive itself
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for size, bufs := range d.free {
		for _, b := range bufs {
			b.Release()
		}
		delete(d.free, size)
	}
}
