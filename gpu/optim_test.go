package gpu_test

import (
	"strings"
	"testing"

	"easel/gpu"
)

// The optimizer ops refuse what would be wrong or invalid WebGPU with an error naming the
// op and the offending tensors, and record nothing.
func TestOptimStepErrors(t *testing.T) {
	d := testDevice
	mk := func(n int) *gpu.Tensor {
		x, err := d.NewTensor(n)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(x.Release)
		return x
	}
	p, g, m, v, hyper := mk(37), mk(37), mk(37), mk(37), mk(gpu.HyperLen)
	arena, parts, err := d.NewArena([]int{37}, []int{37}, []int{gpu.HyperLen})
	if err != nil {
		t.Fatal(err)
	}
	defer arena.Release()
	cases := []struct {
		name string
		rec  func(b *gpu.Batch)
		want string
	}{
		{"grad length", func(b *gpu.Batch) { b.AdamStep(p, mk(36), m, v, hyper) }, "AdamStep: gradients [36] has 36 elements, parameters [37] have 37"},
		{"state length", func(b *gpu.Batch) { b.SGDStep(p, g, mk(38), hyper) }, "SGDStep: momentum buffer [38] has 38 elements"},
		{"hyper length", func(b *gpu.Batch) { b.RMSpropStep(p, g, m, nil, nil, mk(8)) }, "RMSpropStep: hyperparameters [8] have 8 elements, want 12"},
		{"param and grad one arena", func(b *gpu.Batch) { b.SGDStep(parts[0], parts[1], nil, hyper) }, "SGDStep: parameters [37] and gradients [37] share a buffer"},
		{"same state twice", func(b *gpu.Batch) { b.AdamStep(p, g, m, m, hyper) }, "AdamStep: m [37] and v [37] share a buffer"},
		{"grad as state", func(b *gpu.Batch) { b.RMSpropStep(p, g, m, g, nil, hyper) }, "RMSpropStep: gradients [37] and momentum buffer [37] share a buffer"},
		{"hyper in the arena", func(b *gpu.Batch) { b.SGDStep(parts[0], g, nil, parts[2]) }, "share a buffer"},
		{"nil state", func(b *gpu.Batch) { b.AdamStep(p, g, nil, v, hyper) }, "AdamStep: m: nil tensor"},
		{"nil hyper", func(b *gpu.Batch) { b.SGDStep(p, g, nil, nil) }, "SGDStep: hyperparameters: nil tensor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := d.NewBatch()
			defer b.Release()
			c.rec(b)
			if b.Err() == nil || !strings.Contains(b.Err().Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", b.Err(), c.want)
			}
			if b.Len() != 0 {
				t.Fatalf("%d launches recorded after the error", b.Len())
			}
		})
	}
}
