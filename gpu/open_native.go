//go:build !(js && wasm)

package gpu

import (
	"context"
	"fmt"
	"os"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"
	_ "github.com/gogpu/wgpu/hal/vulkan" // the only native backend Easel trusts for compute
)

// Open returns a device on the best Vulkan adapter. It refuses gogpu's Software renderer,
// which computes barriers, workgroup memory and atomics wrongly without any error. The
// kernel family is the CPU one on a CPU device (lavapipe, SwiftShader), the GPU one
// otherwise, unless the environment variable EASEL_KERNELS (cpu or gpu) forces one.
func Open(ctx context.Context) (*Device, error) { return OpenWith(ctx, OpenOptions{}) }

// OpenWith is Open with options; opts.Kernels, when set, overrides EASEL_KERNELS.
func OpenWith(ctx context.Context, opts OpenOptions) (*Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// A bad EASEL_KERNELS fails before any adapter is made.
	if _, err := chooseFamily(opts, os.Getenv(KernelsEnv), KernelsAuto); err != nil {
		return nil, err
	}
	inst, err := wgpu.CreateInstance(&wgpu.InstanceDescriptor{Backends: gputypes.BackendsVulkan})
	if err != nil {
		return nil, fmt.Errorf("gpu: create WebGPU instance: %w", err)
	}
	ad, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{PowerPreference: wgpu.PowerPreferenceHighPerformance})
	if err != nil {
		inst.Release()
		return nil, fmt.Errorf("gpu: no Vulkan adapter found (%v); install a Vulkan driver, "+
			"e.g. Debian's mesa-vulkan-drivers and libvulkan1 for the lavapipe CPU driver", err)
	}
	raw := ad.Info()
	if raw.Backend != gputypes.BackendVulkan {
		ad.Release()
		inst.Release()
		return nil, fmt.Errorf("gpu: got adapter %q on backend %s, want Vulkan; the software fallback "+
			"computes compute shaders wrongly, so Easel refuses it: install a Vulkan driver, "+
			"e.g. Debian's mesa-vulkan-drivers and libvulkan1", raw.Name, raw.Backend)
	}
	dev, err := ad.RequestDevice(&wgpu.DeviceDescriptor{Label: "easel", RequiredLimits: ad.Limits()})
	if err != nil {
		ad.Release()
		inst.Release()
		return nil, fmt.Errorf("gpu: request device on %q: %w", raw.Name, err)
	}
	info := AdapterInfo{
		Name:       raw.Name,
		Vendor:     raw.Vendor,
		Driver:     raw.DriverInfo,
		DeviceType: raw.DeviceType.String(),
		Backend:    raw.Backend.String(),
	}
	info.Kernels, _ = chooseFamily(opts, os.Getenv(KernelsEnv), adapterFamily(info, raw.DeviceType == gputypes.DeviceTypeCPU))
	return newDevice(inst, ad, dev, info), nil
}

// Natively gogpu reports WGSL and pipeline errors synchronously from each create call.
func (d *Device) beginCompileCheck() error { return nil }

// createPipeline compiles k's pipeline; natively at once.
func (d *Device) createPipeline(k *kernel, entry string) error {
	var err error
	k.pipeline, err = d.dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{Label: k.name,
		Layout: k.layout, Module: k.module, EntryPoint: entry})
	return err
}

func (d *Device) endCompileCheck() error { return nil }

// deviceError and settledDeviceError report asynchronous device errors; natively errors
// are synchronous.
func (d *Device) deviceError() error        { return nil }
func (d *Device) settledDeviceError() error { return nil }

// webTexture holds nothing natively: gogpu's texture is all Easel needs there.
type webTexture struct{}

func (d *Device) createTexture(desc *wgpu.TextureDescriptor) (*wgpu.Texture, webTexture, error) {
	t, err := d.dev.CreateTexture(desc)
	return t, webTexture{}, err
}
