package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"

	"easel/gpu"
)

var (
	internalOnce sync.Once
	internalDev  *gpu.Device
	internalErr  error
)

// internalDevice opens a Vulkan device once for this package's internal tests.
func internalDevice(tb testing.TB) *gpu.Device {
	tb.Helper()
	internalOnce.Do(func() {
		// The CPU family, whose kernel choices the tests check, unless EASEL_KERNELS names one.
		f := gpu.KernelsCPU
		if os.Getenv(gpu.KernelsEnv) != "" {
			f = gpu.KernelsAuto
		}
		internalDev, internalErr = gpu.OpenWith(context.Background(), gpu.OpenOptions{Kernels: f})
	})
	if internalErr != nil {
		tb.Fatalf("needs a Vulkan adapter: %v", internalErr)
	}
	return internalDev
}

// planKeepAll is newPlan with a recorder that keeps every intermediate.
func planKeepAll(dev *gpu.Device, arch string, forward func(r *recorder, x *gpu.Tensor) *gpu.Tensor, in ...int) (*Plan, error) {
	x, err := dev.NewTensor(in...)
	if err != nil {
		return nil, err
	}
	r := &recorder{b: dev.NewBatch(), input: x, keepAll: true}
	return r.plan(arch, x, forward(r, x), true, true)
}

// planBytes makes a plan with make and returns it with the bytes of tensor memory it
// holds, its input included.
func planBytes(tb testing.TB, dev *gpu.Device, make func() (*Plan, error)) (*Plan, uint64) {
	tb.Helper()
	dev.TrimPool()
	before := dev.LiveBytes()
	p, err := make()
	if err != nil {
		tb.Fatal(err)
	}
	return p, dev.LiveBytes() - before
}

// runOnce writes in into p's input, runs it and reads the output.
func runOnce(tb testing.TB, p *Plan, in []float32) []float32 {
	tb.Helper()
	if err := p.Input.Write(in); err != nil {
		tb.Fatal(err)
	}
	if err := p.Run(); err != nil {
		tb.Fatal(err)
	}
	out, err := p.Output.Read(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestPlanReusesActivations checks that a plan hands dead intermediates to later layers
// (it holds less memory than one that keeps them all) and that its output is bit for bit
// that of the plan that keeps them all, on every network, at sizes that take the tuned
// kernels and at sizes that do not.
func TestPlanReusesActivations(t *testing.T) {
	dev := internalDevice(t)
	rng := rand.New(rand.NewPCG(5, 6))
	light := TransformerConfig{C1: 8, C2: 16, C3: 32, Blocks: 2}
	tn, g := testNets(t, dev, light, rng)
	d, err := NewDiscriminator(dev, InitDiscriminator(DiscriminatorConfig{NDF: 4, NC: 3}, rng))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	for _, c := range []struct {
		name    string
		arch    string
		forward func(r *recorder, x *gpu.Tensor) *gpu.Tensor
		in      []int
	}{
		{"TransformerNet/1x3x32x48", light.Arch(), tn.forward, []int{1, 3, 32, 48}},
		{"TransformerNet/2x3x21x19", light.Arch(), tn.forward, []int{2, 3, 21, 19}},
		{"Generator", ArchDCGANGenerator, g.forward, []int{3, 8, 1, 1}},
		{"Discriminator", ArchDCGANDiscriminator, d.forward, []int{3, 3, DCGANSize, DCGANSize}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := make([]float32, numel(c.in))
			for i := range in {
				in[i] = float32(rng.NormFloat64())
			}
			all, allBytes := planBytes(t, dev, func() (*Plan, error) { return planKeepAll(dev, c.arch, c.forward, c.in...) })
			defer all.Release()
			want := runOnce(t, all, in)
			p, bytes := planBytes(t, dev, func() (*Plan, error) { return newPlan(dev, c.arch, c.forward, c.in...) })
			defer p.Release()
			got := runOnce(t, p, in)
			if !slices.Equal(got, want) {
				t.Errorf("output differs from the plan that keeps every intermediate")
			}
			if again := runOnce(t, p, in); !slices.Equal(again, got) {
				t.Errorf("a replay gave a different output")
			}
			t.Logf("tensor memory %d bytes, %d keeping every intermediate", bytes, allBytes)
			if bytes >= allBytes {
				t.Errorf("the plan holds %d bytes, no less than the %d of one that keeps every intermediate", bytes, allBytes)
			}
		})
	}
}

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// BenchmarkPlanMemory reports the tensor memory a standard TransformerNet plan holds (its
// input, activations and statistics; not the weights nor their prepared forms), with the
// reuse of dead intermediates and keeping them all. It records plans (compiling their
// kernels) but runs nothing.
//
//	go test ./models -run '^$' -bench PlanMemory -benchtime 1x
func BenchmarkPlanMemory(b *testing.B) {
	dev := internalDevice(b)
	m, err := NewTransformerNet(dev, InitTransformerNet(StandardTransformer, rand.New(rand.NewPCG(1, 2))))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Release()
	for _, size := range [][2]int{{256, 256}, {480, 640}} {
		b.Run(fmt.Sprintf("standard/%dx%d", size[1], size[0]), func(b *testing.B) {
			var reuse, all uint64
			for range b.N {
				p, n := planBytes(b, dev, func() (*Plan, error) { return m.Plan(1, size[0], size[1]) })
				p.Release()
				q, k := planBytes(b, dev, func() (*Plan, error) { return planKeepAll(dev, m.Config.Arch(), m.forward, 1, 3, size[0], size[1]) })
				q.Release()
				reuse, all = n, k
			}
			b.ReportMetric(float64(reuse)/(1<<20), "MiB")
			b.ReportMetric(float64(all)/(1<<20), "MiB-keep-all")
		})
	}
}

// testNets are a TransformerNet of config tc and a small DCGAN generator (nz 8, ngf 4)
// with weights drawn from rng, released when the test ends.
func testNets(tb testing.TB, dev *gpu.Device, tc TransformerConfig, rng *rand.Rand) (*TransformerNet, *Generator) {
	tb.Helper()
	tn, err := NewTransformerNet(dev, InitTransformerNet(tc, rng))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(tn.Release)
	g, err := NewGenerator(dev, InitGenerator(GeneratorConfig{NZ: 8, NGF: 4, NC: 3}, rng))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(g.Release)
	return tn, g
}
