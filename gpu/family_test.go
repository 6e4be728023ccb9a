package gpu

import (
	"strings"
	"testing"
)

func TestChooseFamily(t *testing.T) {
	lavapipe := AdapterInfo{Name: "llvmpipe (LLVM 19.1.7, 256 bits)", Driver: "Mesa 25.0.7", DeviceType: "CPU"}
	swiftshader := AdapterInfo{Name: "SwiftShader Device (Subzero)", Vendor: "google"}
	nvidia := AdapterInfo{Name: "NVIDIA H200", Vendor: "nvidia", DeviceType: "DiscreteGPU"}
	for _, c := range []struct {
		info AdapterInfo
		cpu  bool
		want KernelFamily
	}{
		{lavapipe, true, KernelsCPU},
		{lavapipe, false, KernelsCPU}, // by name
		{swiftshader, false, KernelsCPU},
		{nvidia, false, KernelsGPU},
		{nvidia, true, KernelsCPU}, // a fallback adapter
	} {
		if got := adapterFamily(c.info, c.cpu); got != c.want {
			t.Errorf("adapterFamily(%q, cpu %v) = %v, want %v", c.info.Name, c.cpu, got, c.want)
		}
	}
	for _, c := range []struct {
		opts    OpenOptions
		env     string
		adapter KernelFamily
		want    KernelFamily
	}{
		{OpenOptions{}, "", KernelsCPU, KernelsCPU},
		{OpenOptions{}, "gpu", KernelsCPU, KernelsGPU},
		{OpenOptions{}, " CPU ", KernelsGPU, KernelsCPU},
		{OpenOptions{}, "auto", KernelsGPU, KernelsGPU},
		{OpenOptions{Kernels: KernelsCPU}, "gpu", KernelsGPU, KernelsCPU},
		{OpenOptions{Kernels: KernelsGPU}, "", KernelsCPU, KernelsGPU},
	} {
		got, err := chooseFamily(c.opts, c.env, c.adapter)
		if err != nil || got != c.want {
			t.Errorf("chooseFamily(%v, %q, %v) = %v, %v; want %v", c.opts.Kernels, c.env, c.adapter, got, err, c.want)
		}
	}
	if _, err := chooseFamily(OpenOptions{}, "fast", KernelsCPU); err == nil ||
		!strings.Contains(err.Error(), KernelsEnv) || !strings.Contains(err.Error(), "cpu, gpu") {
		t.Errorf("a bad %s gave %v, want an error naming it and the allowed values", KernelsEnv, err)
	}
	if _, err := chooseFamily(OpenOptions{Kernels: 7}, "", KernelsCPU); err == nil {
		t.Error("an unknown family in OpenOptions gave no error")
	}
}
