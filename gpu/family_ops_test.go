package gpu_test

import (
	"context"
	"testing"

	"easel/gpu"
	"easel/gpu/opcheck"
)

// gpuFamilyKernels are the kernel files only the GPU family launches: TestOps, on the
// test device's family, does not require them; TestOpsGPUFamily does.
var gpuFamilyKernels = map[string]bool{}

func init() {
	for _, f := range opcheck.FamilyKernels {
		gpuFamilyKernels[f] = true
	}
}

// openFamily opens a second device with the kernel family forced, closed at the end of t.
func openFamily(t *testing.T, f gpu.KernelFamily) *gpu.Device {
	t.Helper()
	dev, err := gpu.OpenWith(context.Background(), gpu.OpenOptions{Kernels: f})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dev.Close)
	if dev.Kernels() != f {
		t.Fatalf("OpenWith forced %v kernels, the device has %v", f, dev.Kernels())
	}
	t.Logf("adapter: %s", dev.Adapter())
	return dev
}

// TestOpsGPUFamily runs the op vectors of the ops whose kernels the GPU family replaces
// on a device forced to that family, against the same float64 references as TestOps, and
// checks that they ran the GPU family's kernels.
func TestOpsGPUFamily(t *testing.T) {
	dev := openFamily(t, gpu.KernelsGPU)
	launched, all := runOpCases(t, dev, opcheck.FamilyOp)
	if !all {
		return // -run chose some cases only
	}
	for file := range gpuFamilyKernels {
		if !launched[file] {
			t.Errorf("%s ran in none of the GPU family's op vectors", file)
		}
	}
}
