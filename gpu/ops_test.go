package gpu_test

import (
	"context"
	"io/fs"
	"os"
	"strings"
	"testing"

	"easel/gpu"
	"easel/gpu/opcheck"
	"easel/shaders"
)

var testDevice *gpu.Device

func TestMain(m *testing.M) {
	dev, err := gpu.OpenWith(context.Background(), gpu.OpenOptions{Kernels: testKernels()})
	if err != nil {
		os.Stderr.WriteString("gpu tests need a Vulkan adapter: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("gpu tests run on adapter: " + dev.Adapter().String() + "\n")
	testDevice = dev
	code := m.Run()
	dev.Close()
	os.Exit(code)
}

// testKernels is the test device's kernel family: the CPU family, whose kernel choices
// the tests check, unless EASEL_KERNELS names one (TestOpsGPUFamily opens a device of the
// GPU family on any adapter).
func testKernels() gpu.KernelFamily {
	if os.Getenv(gpu.KernelsEnv) != "" {
		return gpu.KernelsAuto // Open reads it
	}
	return gpu.KernelsCPU
}

// TestOps runs the op vectors. When it runs them all, every kernel that shaders/ ships
// must have run in at least one: a selection rule that stops matching (a tuned kernel's
// fits, the order Conv2D tries them in) would otherwise leave its kernel dead while the
// op falls back to a slower one and every result stays right.
func TestOps(t *testing.T) {
	t.Logf("adapter: %s", testDevice.Adapter())
	launched, all := runOpCases(t, testDevice, func(string) bool { return true })
	if !all {
		return // -run chose some cases only
	}
	if testDevice.Kernels() != gpu.KernelsCPU {
		t.Logf("%v kernels: the check that every shipped kernel ran needs the CPU family", testDevice.Kernels())
		return
	}
	for _, file := range shippedKernels(t) {
		switch {
		case launched[file]:
		case gpuFamilyKernels[file]:
			// The GPU family's kernels: TestOpsGPUFamily runs them.
		default:
			t.Errorf("shaders/%s ran in none of the op vectors: add a case that takes it, or remove it if no op can", file)
		}
	}
}

// runOpCases runs the op vectors of the ops keep chooses on dev, each as a subtest. It
// returns the kernel files they launched and whether every chosen case ran (-run may
// choose fewer).
func runOpCases(t *testing.T, dev *gpu.Device, keep func(op string) bool) (launched map[string]bool, all bool) {
	ctx := context.Background()
	launched = map[string]bool{}
	ran, want := 0, 0
	for i, c := range opcheck.Cases() {
		if !keep(c.Op) {
			continue
		}
		want++
		t.Run(c.Op+"/"+c.Name, func(t *testing.T) {
			ran++
			live := dev.LiveBuffers()
			r := c.Check(ctx, dev, uint64(i+1))
			if leaked := dev.LiveBuffers() - live; leaked != 0 {
				// A buffer left to the garbage collector can be destroyed with a write
				// still queued, which crashes lavapipe later.
				t.Errorf("the case left %d tensor buffers unreleased", leaked)
			}
			for _, k := range r.Kernels {
				file, _, _ := strings.Cut(k, ":")
				launched[file] = true
			}
			if !r.Passed() {
				t.Fatalf("%s (tolerance %.0e)", r, opcheck.Tolerance)
			}
			t.Log(r)
		})
	}
	return launched, ran == want
}

// shippedKernels lists the kernel files of shaders/: every WGSL file but the preludes,
// common.wgsl and the files other kernels include.
func shippedKernels(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(shaders.FS, "*.wgsl")
	if err != nil {
		t.Fatal(err)
	}
	prelude := map[string]bool{"common.wgsl": true}
	for _, f := range files {
		text, err := shaders.Source(f)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(text) {
			if name, ok := strings.CutPrefix(line, "//!include "); ok {
				name = strings.TrimSpace(name)
				// with its variant for devices with subgroups, which the browser tests run
				prelude[name] = true
				prelude[strings.TrimSuffix(name, ".wgsl")+"_subgroup.wgsl"] = true
			}
		}
	}
	var kernels []string
	for _, f := range files {
		if !prelude[f] {
			kernels = append(kernels, f)
		}
	}
	return kernels
}
