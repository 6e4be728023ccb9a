package models

import (
	"context"
	"math/rand/v2"
	"testing"

	"easel/gpu"
)

// TestNewSizeCompilesNothing checks that the networks' pipelines do not depend on the
// input's size: once TransformerNet (standard widths, as the page runs it) has run at one
// size, plans at other sizes compile no new kernel; likewise the DCGAN generator at
// other batch sizes. Which kernels run still depends on the width: the tuned ones need
// rows of whole vec4 at every scale (a width that is a multiple of 16, as the page's
// frames are), and other widths take fallbacks, one more set of pipelines. Each plan is
// run, so a kernel compiled lazily at submit would count too. Both kernel families.
func TestNewSizeCompilesNothing(t *testing.T) {
	t.Run("cpu", func(t *testing.T) { checkNewSizeCompilesNothing(t, internalDevice(t)) })
	t.Run("gpu", func(t *testing.T) {
		dev, err := gpu.OpenWith(context.Background(), gpu.OpenOptions{Kernels: gpu.KernelsGPU})
		if err != nil {
			t.Fatal(err)
		}
		defer dev.Close()
		checkNewSizeCompilesNothing(t, dev)
	})
}

func checkNewSizeCompilesNothing(t *testing.T, dev *gpu.Device) {
	rng := rand.New(rand.NewPCG(3, 4))
	tn, g := testNets(t, dev, StandardTransformer, rng)
	run := func(what string, p *Plan, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		defer p.Release()
		if err := p.Run(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if _, err := p.Output.Read(context.Background()); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	// Widths multiples of 16: the tuned kernels at every scale.
	first := [2]int{32, 48} // h, w
	p, err := tn.Plan(1, first[0], first[1])
	run("TransformerNet", p, err)
	n := dev.CompiledKernels()
	for _, s := range [][2]int{{48, 32}, {64, 64}, {36, 80}, {52, 16}} {
		p, err := tn.Plan(1, s[0], s[1])
		run("TransformerNet", p, err)
		if k := dev.CompiledKernels(); k != n {
			t.Errorf("TransformerNet at %d×%d after %d×%d compiled %d new kernels", s[1], s[0], first[1], first[0], k-n)
			n = k
		}
	}
	p, err = g.Plan(2)
	run("Generator", p, err)
	n = dev.CompiledKernels()
	for _, batch := range []int{5, 12} {
		p, err := g.Plan(batch)
		run("Generator", p, err)
		if k := dev.CompiledKernels(); k != n {
			t.Errorf("Generator at batch %d after batch 2 compiled %d new kernels", batch, k-n)
			n = k
		}
	}
	t.Logf("%d kernels on %s", n, dev.Adapter())
}
