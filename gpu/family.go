package gpu

import (
	"fmt"
	"strings"
)

// KernelFamily is the set of kernels a Device records its ops with. The CPU family is
// tuned for Vulkan drivers that run on the CPU (lavapipe, SwiftShader): small workgroups,
// many accumulators per invocation, weights repacked into uniform windows. The GPU family
// is tuned for real GPUs: workgroups of 256 invocations sharing tiles of inputs and
// weights in workgroup memory (an implicit GEMM for convolutions, a tiled matrix
// product), which on a CPU driver are slow. Both compute the same results.
type KernelFamily int

const (
	KernelsAuto KernelFamily = iota // chosen from the adapter at Open
	KernelsCPU                      // the family for CPU drivers
	KernelsGPU                      // the family for real GPUs
)

// KernelsEnv is the environment variable that forces a family natively: cpu or gpu.
const KernelsEnv = "EASEL_KERNELS"

func (f KernelFamily) String() string {
	switch f {
	case KernelsAuto:
		return "auto"
	case KernelsCPU:
		return "cpu"
	case KernelsGPU:
		return "gpu"
	}
	return fmt.Sprintf("KernelFamily(%d)", int(f))
}

// ParseKernelFamily reads a family's name: cpu, gpu, or auto (also the empty string).
func ParseKernelFamily(s string) (KernelFamily, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return KernelsAuto, nil
	case "cpu":
		return KernelsCPU, nil
	case "gpu":
		return KernelsGPU, nil
	}
	return KernelsAuto, fmt.Errorf("gpu: unknown kernel family %q, want cpu, gpu or auto", s)
}

// OpenOptions are the choices OpenWith takes; the zero value is Open's.
type OpenOptions struct {
	// Kernels forces a kernel family; KernelsAuto leaves the choice to the environment
	// (KernelsEnv, natively) and then to the adapter.
	Kernels KernelFamily
}

// Kernels is the family of kernels the device records its ops with.
func (d *Device) Kernels() KernelFamily { return d.info.Kernels }

// gpuKernels reports whether the device uses the GPU family.
func (d *Device) gpuKernels() bool { return d.info.Kernels == KernelsGPU }

// adapterFamily is the family an adapter gets when nothing forces one: the CPU family on
// a CPU device type, a browser's fallback adapter, or an adapter named like a CPU driver
// (SwiftShader, lavapipe, llvmpipe); the GPU family otherwise.
func adapterFamily(info AdapterInfo, cpuType bool) KernelFamily {
	if cpuType {
		return KernelsCPU
	}
	name := strings.ToLower(info.Name + " " + info.Vendor + " " + info.Driver)
	for _, cpu := range []string{"swiftshader", "lavapipe", "llvmpipe"} {
		if strings.Contains(name, cpu) {
			return KernelsCPU
		}
	}
	return KernelsGPU
}

// chooseFamily is the family a device opens with: forced by opts, else by env (the value
// of KernelsEnv; empty when unset), else the adapter's.
func chooseFamily(opts OpenOptions, env string, adapter KernelFamily) (KernelFamily, error) {
	switch opts.Kernels {
	case KernelsCPU, KernelsGPU:
		return opts.Kernels, nil
	case KernelsAuto:
	default:
		return KernelsAuto, fmt.Errorf("gpu: unknown kernel family %v in OpenOptions", opts.Kernels)
	}
	f, err := ParseKernelFamily(env)
	if err != nil {
		return KernelsAuto, fmt.Errorf("gpu: %s=%q: want cpu, gpu or auto", KernelsEnv, env)
	}
	if f != KernelsAuto {
		return f, nil
	}
	return adapter, nil
}
