//go:build !(js && wasm)

package gpu_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"easel/gpu"
	"easel/gpu/opcheck"
	"easel/gpu/ref"
)

// TestDepthwiseGPUFamilyNewSizeCompilesNothing checks that the GPU family's depthwise
// convolution, input gradient and weight gradient keep their pipelines across image and
// batch sizes, channel counts and paddings (runtime constants): once the first layers
// have compiled both strides, with and without bias, and the weight gradient's sum of
// split parts, no other layer of a 3×3 kernel compiles a kernel. Each result is checked
// against the float64 reference too.
func TestDepthwiseGPUFamilyNewSizeCompilesNothing(t *testing.T) {
	ctx := context.Background()
	dev := openFamily(t, gpu.KernelsGPU)
	dev.SetPoison(true)
	rng := rand.New(rand.NewPCG(15, 16))
	draw := func(shape ...int) (*gpu.Tensor, []float64) { return randomTensor(t, dev, rng, shape...) }
	const warmup = 4 // the layers that compile the pipelines
	kernels := 0
	for i, c := range []struct {
		x            []int
		stride, pad  int
		bias, splits bool // splits: the weight gradient's sum is split across workgroups
	}{
		{x: []int{2, 5, 9, 11}, stride: 1, pad: 1, bias: true},
		{x: []int{3, 6, 37, 29}, stride: 1, pad: 1, splits: true},
		{x: []int{2, 4, 9, 11}, stride: 2, pad: 1, bias: true},
		{x: []int{1, 3, 13, 17}, stride: 2, pad: 0},
		{x: []int{4, 32, 16, 16}, stride: 1, pad: 1, bias: true, splits: true},
		{x: []int{1, 96, 14, 14}, stride: 2, pad: 1},
		{x: []int{2, 160, 7, 7}, stride: 1, pad: 1},
		{x: []int{2, 7, 40, 31}, stride: 2, pad: 0, bias: true, splits: true},
		{x: []int{1, 2, 5, 3}, stride: 1, pad: 3, bias: true},
	} {
		ch := c.x[1]
		ws := []int{ch, 1, 3, 3}
		p := gpu.Conv2DParams{Stride: c.stride, Padding: c.pad}
		ys := []int{c.x[0], ch, (c.x[2]+2*c.pad-3)/c.stride + 1, (c.x[3]+2*c.pad-3)/c.stride + 1}
		x, xv := draw(c.x...)
		w, wv := draw(ws...)
		dy, dyv := draw(ys...)
		var bias *gpu.Tensor
		var bv []float64
		if c.bias {
			bias, bv = draw(ch)
		}
		b := dev.NewBatch()
		y := b.DepthwiseConv2D(x, w, bias, p)
		dx := b.DepthwiseConv2DBackwardInput(dy, w, c.x, p)
		dw := b.DepthwiseConv2DBackwardWeight(x, dy, ws, p)
		want := []string{
			"depthwise_conv2d_pixel.wgsl:depthwise_conv2d_pixel",
			"depthwise_conv2d_pixel.wgsl:depthwise_conv2d_backward_input_pixel",
			"depthwise_conv2d_weight_grad_reduce.wgsl:depthwise_weight_grad",
		}
		if c.splits {
			want = append(want, "conv2d_backward.wgsl:sum_weight_grad")
		}
		if got := b.Kernels(); !slices.Equal(got, want) {
			t.Errorf("x%v stride %d: kernels %v, want %v", c.x, c.stride, got, want)
		}
		err := b.Submit()
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		wantY, _ := ref.DepthwiseConv2D(xv, c.x, wv, ws, bv, c.stride, c.pad)
		wantDX, _ := ref.DepthwiseConv2DBackwardInput(dyv, ys, wv, ws, c.x, c.stride, c.pad)
		wantDW, _ := ref.DepthwiseConv2DBackwardWeight(xv, c.x, dyv, ys, ws, c.stride, c.pad)
		for _, r := range []struct {
			name string
			t    *gpu.Tensor
			want []float64
		}{{"output", y, wantY}, {"input gradient", dx, wantDX}, {"weight gradient", dw, wantDW}} {
			got, err := r.t.Read(ctx)
			r.t.Release()
			if err != nil {
				t.Fatal(err)
			}
			if e := opcheck.RelErr(got, r.want); e > opcheck.Tolerance {
				t.Errorf("x%v stride %d padding %d: %s: max rel err %.2e > %.0e", c.x, c.stride, c.pad, r.name, e, opcheck.Tolerance)
			}
		}
		if k := dev.CompiledKernels(); i >= warmup && k != kernels {
			t.Errorf("x%v stride %d padding %d compiled %d new kernels", c.x, c.stride, c.pad, k-kernels)
		}
		kernels = dev.CompiledKernels()
	}
	if t.Failed() {
		return
	}
	t.Logf("%d pipelines for every layer", kernels)
}

// TestDepthwiseGradSplits pins how the GPU family's depthwise weight gradient splits its
// sum over the output pixels: op vectors split it (the last part shorter in one), small
// layers and layers of many channels do not, and a wide early layer of few channels
// splits into many parts.
func TestDepthwiseGradSplits(t *testing.T) {
	for _, c := range []struct {
		c, taps, pixels int
		want            [2]int // parts, pixels per part
	}{
		{5, 9, 3 * 37 * 29, [2]int{12, 269}}, // op vector x[3 5 37 29]: 260 in the last
		{7, 25, 4 * 16 * 12, [2]int{3, 256}}, // op vector x[4 7 31 23], 5×5 stride 2
		{32, 9, 2 * 16 * 16, [2]int{2, 256}}, // op vector x[2 32 16 16]
		{160, 9, 2 * 7 * 7, [2]int{1, 98}},   // op vector x[2 160 7 7]
		{32, 9, 8 * 112 * 112, [2]int{86, 1167}},
		{960, 9, 8 * 7 * 7, [2]int{1, 392}},
	} {
		got := gpu.DepthwiseGradSplits(c.c, c.taps, c.pixels)
		if got != c.want {
			t.Errorf("%d channels, %d taps, %d pixels: %v, want %v", c.c, c.taps, c.pixels, got, c.want)
		}
		if got[0]*got[1] < c.pixels || (got[0]-1)*got[1] >= c.pixels {
			t.Errorf("%d pixels: %d parts of %d do not cover them with a non-empty last part", c.pixels, got[0], got[1])
		}
	}
}
