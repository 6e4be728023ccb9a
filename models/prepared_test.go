package models

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"easel/gpu"
)

// planRepackInBatch is newPlan with a recorder whose convolutions repack their weights in
// the batch, as training records them.
func planRepackInBatch(dev *gpu.Device, arch string, forward func(r *recorder, x *gpu.Tensor) *gpu.Tensor, in ...int) (*Plan, error) {
	x, err := dev.NewTensor(in...)
	if err != nil {
		return nil, err
	}
	r := &recorder{b: dev.NewBatch(), input: x, repackInBatch: true}
	return r.plan(arch, x, forward(r, x), true, true)
}

// repacks is the number of weight repacks p's batch runs per frame.
func repacks(p *Plan) int {
	n := 0
	for _, k := range p.batch.Kernels() {
		if strings.HasPrefix(k, "conv2d_repack.wgsl:") {
			n++
		}
	}
	return n
}

// TestPreparedWeightsPlan checks that a network's plans read convolution weights prepared
// once: no frame of a plan repacks weights, and every frame's output is bit for bit that
// of a plan that repacks them in its batch, for TransformerNet at a size whose widths are
// multiples of 4 and one whose are not (other tuned kernels), and for the DCGAN generator.
func TestPreparedWeightsPlan(t *testing.T) {
	dev := internalDevice(t)
	rng := rand.New(rand.NewPCG(7, 8))
	light := TransformerConfig{C1: 8, C2: 16, C3: 32, Blocks: 2}
	tn, g := testNets(t, dev, light, rng)
	for _, c := range []struct {
		name    string
		arch    string
		forward func(r *recorder, x *gpu.Tensor) *gpu.Tensor
		in      []int
	}{
		{"TransformerNet/1x3x32x48", light.Arch(), tn.forward, []int{1, 3, 32, 48}},
		{"TransformerNet/1x3x21x19", light.Arch(), tn.forward, []int{1, 3, 21, 19}},
		{"Generator", ArchDCGANGenerator, g.forward, []int{2, 8, 1, 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ref, err := planRepackInBatch(dev, c.arch, c.forward, c.in...)
			if err != nil {
				t.Fatal(err)
			}
			defer ref.Release()
			for plan := range 2 {
				p, err := newPlan(dev, c.arch, c.forward, c.in...)
				if err != nil {
					t.Fatal(err)
				}
				if n := repacks(p); n != 0 {
					p.Release()
					t.Fatalf("plan %d: %d weight repacks per frame, want 0 (the plan that repacks in its batch runs %d)", plan, n, repacks(ref))
				}
				for frame := range 2 {
					in := make([]float32, numel(c.in))
					for i := range in {
						in[i] = float32(rng.NormFloat64())
					}
					want := runOnce(t, ref, in)
					if got := runOnce(t, p, in); !slices.Equal(got, want) {
						p.Release()
						t.Fatalf("plan %d, frame %d: output differs from the plan that repacks its weights in the batch", plan, frame)
					}
				}
				p.Release()
			}
			t.Logf("%d weight repacks per frame without prepared weights", repacks(ref))
			if repacks(ref) == 0 {
				t.Fatalf("the reference plan repacks nothing: the case takes no tuned kernel")
			}
		})
	}
}
