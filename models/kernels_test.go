package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"easel/gpu"
)

// kernel names a tuned kernel by its file's base name, whose entry point has the same
// name, as gpu.Batch.Kernels lists it.
func kernel(name string) string { return name + ".wgsl:" + name }

// TestLayerKernels pins the kernel each convolution of the shipped networks lands on:
// TransformerNet (standard and light) at 256×256, the DCGAN generator (the embedded
// default's widths) and discriminator (pytorch/examples' widths) at 64×64. The op
// vectors check that every kernel computes right whichever one a shape takes; this test
// fails when a selection rule (a tuned kernel's fits, the order Conv2D tries them in)
// stops matching a real layer, which would otherwise fall back to a slower kernel with
// every result still right. Recording is enough: the kernels are chosen then.
func TestLayerKernels(t *testing.T) {
	var (
		conv3x3    = kernel("conv2d_3x3_c16x4x8")
		conv3x3s2  = kernel("conv2d_3x3s2_c16x4x8")
		conv9x9    = kernel("conv2d_9x9_c16x4x8")
		conv9x9C4  = kernel("conv2d_9x9_c4x4x16")
		conv4x4s2  = kernel("conv2d_4x4s2_c16x4x8")
		up2        = kernel("conv2d_up2_c8x8x8")
		generic    = "conv2d.wgsl:conv2d"
		matmulTile = "matmul.wgsl:matmul_tiled"
	)
	transformer := func(blocks int) map[string][]string {
		want := map[string][]string{
			"conv1.conv2d":   {conv9x9},
			"conv2.conv2d":   {conv3x3s2},
			"conv3.conv2d":   {conv3x3s2},
			"deconv1.conv2d": {up2},
			"deconv2.conv2d": {up2},
			"deconv3.conv2d": {conv9x9C4},
		}
		for i := 1; i <= blocks; i++ {
			want[fmt.Sprintf("res%d.conv1.conv2d", i)] = []string{conv3x3}
			want[fmt.Sprintf("res%d.conv2.conv2d", i)] = []string{conv3x3}
		}
		return want
	}
	// A device of its own, closed at the end: the networks' weights are uploaded and
	// released here without a submit in between, and their writes, queued until the
	// next submit, must not land in buffers that a later test's TrimPool has destroyed
	// on a shared device (lavapipe crashes then).
	dev, err := gpu.Open(context.Background())
	if err != nil {
		t.Fatalf("needs a Vulkan adapter: %v", err)
	}
	defer dev.Close()
	for _, c := range []struct {
		name    string
		weights *Weights
		input   []int
		want    map[string][]string // layer: its kernels, the weight repack left out
	}{
		{ArchTransformerNet, InitTransformerNet(StandardTransformer, rand.New(rand.NewPCG(1, 1))), []int{1, 3, 256, 256},
			transformer(StandardTransformer.Blocks)},
		{ArchTransformerNetLight, InitTransformerNet(LightTransformer, rand.New(rand.NewPCG(1, 2))), []int{1, 3, 256, 256},
			transformer(LightTransformer.Blocks)},
		{ArchDCGANGenerator, InitGenerator(DefaultGenerator, rand.New(rand.NewPCG(1, 3))), []int{1, DefaultGenerator.NZ, 1, 1},
			map[string][]string{
				"main.0": {matmulTile}, "main.3": {up2}, "main.6": {up2}, "main.9": {up2}, "main.12": {up2},
			}},
		{ArchDCGANDiscriminator, InitDiscriminator(DiscriminatorConfig{NDF: 64, NC: 3}, rand.New(rand.NewPCG(1, 4))),
			[]int{1, 3, DCGANSize, DCGANSize},
			map[string][]string{
				"main.0": {conv4x4s2}, "main.2": {conv4x4s2}, "main.5": {conv4x4s2}, "main.8": {conv4x4s2},
				"main.11": {generic},
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := layerKernels(t, dev, c.weights, c.input)
			for layer, want := range c.want {
				if k, ok := got[layer]; !ok {
					t.Errorf("%s: no layer %s recorded", c.name, layer)
				} else if !slices.Equal(k, want) {
					t.Errorf("%s: %s runs %q, want %q", c.name, layer, k, want)
				}
			}
			for layer, k := range got {
				if _, ok := c.want[layer]; !ok && slices.ContainsFunc(k, func(k string) bool { return strings.HasPrefix(k, "conv") }) {
					t.Errorf("%s: convolution layer %s (%q) is not pinned", c.name, layer, k)
				}
			}
		})
	}
}

// layerKernels records the network of weights w on an input of shape in and returns, per
// layer, the kernels its dispatches run, each once, in order, the weight repack left out.
func layerKernels(t *testing.T, dev *gpu.Device, w *Weights, in []int) map[string][]string {
	t.Helper()
	var forward func(r *recorder, x *gpu.Tensor) *gpu.Tensor
	switch w.Arch {
	case ArchTransformerNet, ArchTransformerNetLight:
		m, err := NewTransformerNet(dev, w)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Release()
		forward = m.forward
	case ArchDCGANGenerator:
		m, err := NewGenerator(dev, w)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Release()
		forward = m.forward
	case ArchDCGANDiscriminator:
		m, err := NewDiscriminator(dev, w)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Release()
		forward = m.forward
	default:
		t.Fatalf("no network for arch %s", w.Arch)
	}
	x, err := dev.NewTensor(in...)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{b: dev.NewBatch(), input: x}
	layers := map[string][]string{}
	done := 0
	r.split = func(layer string) {
		all := r.b.Kernels()
		for _, k := range all[done:] {
			if !strings.HasPrefix(k, "conv2d_repack.wgsl:") && !slices.Contains(layers[layer], k) {
				layers[layer] = append(layers[layer], k)
			}
		}
		done = len(all)
	}
	p, err := r.plan(w.Arch, x, forward(r, x), true, true)
	if err != nil {
		t.Fatal(err)
	}
	p.Release()
	return layers
}
