package gpu_test

import (
	"math"
	"strings"
	"testing"

	"easel/gpu"
)

// Every invalid shape or parameter of the convolution family fails the batch with an error
// naming the op, never a panic, and records nothing.
func TestConvFamilyRefusesInvalidInput(t *testing.T) {
	d := testDevice
	tensor := func(shape ...int) *gpu.Tensor {
		t.Helper()
		x, err := d.NewTensor(shape...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(x.Release)
		return x
	}
	x := tensor(1, 3, 8, 6)
	x3 := tensor(3, 8, 6)
	w := tensor(4, 3, 3, 3)
	w5 := tensor(4, 5, 3, 3)
	bias := tensor(4)
	bias5 := tensor(5)
	tiny := tensor(1, 3, 1, 1)
	wt := tensor(3, 4, 3, 3) // ConvTranspose2D weight [Ci, Co, kH, kW]
	released := tensor(1, 3, 8, 6)
	released.Release()
	conv := func(x, w, bias *gpu.Tensor, p gpu.Conv2DParams) func(*gpu.Batch) *gpu.Tensor {
		return func(b *gpu.Batch) *gpu.Tensor { return b.Conv2D(x, w, bias, p) }
	}
	convT := func(x, w, bias *gpu.Tensor, p gpu.ConvTranspose2DParams) func(*gpu.Batch) *gpu.Tensor {
		return func(b *gpu.Batch) *gpu.Tensor { return b.ConvTranspose2D(x, w, bias, p) }
	}
	maxPool := func(x *gpu.Tensor, p gpu.Pool2DParams) func(*gpu.Batch) *gpu.Tensor {
		return func(b *gpu.Batch) *gpu.Tensor { return b.MaxPool2D(x, p) }
	}
	avgPool := func(x *gpu.Tensor, p gpu.Pool2DParams) func(*gpu.Batch) *gpu.Tensor {
		return func(b *gpu.Batch) *gpu.Tensor { return b.AvgPool2D(x, p) }
	}
	upsample := func(x *gpu.Tensor, s int) func(*gpu.Batch) *gpu.Tensor {
		return func(b *gpu.Batch) *gpu.Tensor { return b.UpsampleNearest(x, s) }
	}
	upConv := func(x, w, bias *gpu.Tensor, s int, p gpu.Conv2DParams) func(*gpu.Batch) *gpu.Tensor {
		return func(b *gpu.Batch) *gpu.Tensor { return b.UpsampleConv2D(x, w, bias, s, p) }
	}
	s1 := gpu.Conv2DParams{Stride: 1}
	cases := []struct {
		name, op string
		run      func(*gpu.Batch) *gpu.Tensor
	}{
		{"nil input", "Conv2D", conv(nil, w, nil, s1)},
		{"released bias", "Conv2D", conv(x, w, released, s1)},
		{"3D input", "Conv2D", conv(x3, w, nil, s1)},
		{"channel mismatch", "Conv2D", conv(x, w5, nil, s1)},
		{"bias length", "Conv2D", conv(x, w, bias5, s1)},
		{"stride 0", "Conv2D", conv(x, w, nil, gpu.Conv2DParams{})},
		{"huge stride", "Conv2D", conv(x, w, nil, gpu.Conv2DParams{Stride: math.MaxInt})},
		{"negative padding", "Conv2D", conv(x, w, nil, gpu.Conv2DParams{Stride: 1, Padding: -1})},
		{"huge padding", "Conv2D", conv(x, w, nil, gpu.Conv2DParams{Stride: 1, Padding: math.MaxInt})},
		{"padding with huge output", "Conv2D", conv(x, w, nil, gpu.Conv2DParams{Stride: 1, Padding: 1 << 24})},
		{"reflect padding ≥ width", "Conv2D", conv(x, w, nil, gpu.Conv2DParams{Stride: 1, Padding: 6, PadMode: gpu.PadReflect})},
		{"unknown pad mode", "Conv2D", conv(x, w, nil, gpu.Conv2DParams{Stride: 1, PadMode: 7})},
		{"kernel larger than input", "Conv2D", conv(tiny, w, bias, s1)},
		{"output padding ≥ stride", "ConvTranspose2D", convT(x, wt, nil, gpu.ConvTranspose2DParams{Stride: 2, OutputPadding: 2})},
		{"output size ≤ 0", "ConvTranspose2D", convT(tiny, wt, nil, gpu.ConvTranspose2DParams{Stride: 1, Padding: 2})},
		{"weight channel mismatch", "ConvTranspose2D", convT(x, w5, nil, gpu.ConvTranspose2DParams{Stride: 1})},
		{"bias length", "ConvTranspose2D", convT(x, wt, bias5, gpu.ConvTranspose2DParams{Stride: 1})},
		{"stride 0", "ConvTranspose2D", convT(x, wt, nil, gpu.ConvTranspose2DParams{})},
		{"huge stride", "ConvTranspose2D", convT(x, wt, nil, gpu.ConvTranspose2DParams{Stride: 1 << 24})},
		{"huge padding", "ConvTranspose2D", convT(x, wt, nil, gpu.ConvTranspose2DParams{Stride: 1, Padding: math.MaxInt})},
		{"scale 0", "UpsampleNearest", upsample(x, 0)},
		{"huge scale", "UpsampleNearest", upsample(x, math.MaxInt)},
		{"scale with huge output", "UpsampleNearest", upsample(x, 1<<20)},
		{"3D input", "UpsampleNearest", upsample(x3, 2)},
		{"scale 0", "UpsampleConv2D", upConv(x, w, nil, 0, s1)},
		{"huge scale", "UpsampleConv2D", upConv(x, w, nil, math.MaxInt, s1)},
		{"scale with huge output", "UpsampleConv2D", upConv(x, w, nil, 1<<20, s1)},
		{"3D input", "UpsampleConv2D", upConv(x3, w, nil, 2, s1)},
		{"channel mismatch", "UpsampleConv2D", upConv(x, w5, nil, 2, s1)},
		{"bias length", "UpsampleConv2D", upConv(x, w, bias5, 2, gpu.Conv2DParams{Stride: 1, Padding: 1})},
		{"released input", "UpsampleConv2D", upConv(released, w, nil, 2, s1)},
		{"kernel 0", "MaxPool2D", maxPool(x, gpu.Pool2DParams{})},
		{"padding over half the kernel", "MaxPool2D", maxPool(x, gpu.Pool2DParams{Kernel: 3, Padding: 2})},
		{"negative stride", "MaxPool2D", maxPool(x, gpu.Pool2DParams{Kernel: 2, Stride: -1})},
		{"kernel larger than input", "MaxPool2D", maxPool(x, gpu.Pool2DParams{Kernel: 7})},
		{"huge kernel", "AvgPool2D", avgPool(x, gpu.Pool2DParams{Kernel: math.MaxInt, Padding: math.MaxInt / 2})},
		{"negative padding", "AvgPool2D", avgPool(x, gpu.Pool2DParams{Kernel: 2, Padding: -1})},
		{"3D input", "AvgPool2D", avgPool(x3, gpu.Pool2DParams{Kernel: 2})},
	}
	for _, c := range cases {
		t.Run(c.op+"/"+c.name, func(t *testing.T) {
			b := d.NewBatch()
			defer b.Release()
			y := c.run(b)
			if y != nil || b.Err() == nil {
				t.Fatalf("got %v, error %v; want nil and an error", y, b.Err())
			}
			if !strings.HasPrefix(b.Err().Error(), c.op) || b.Len() != 0 {
				t.Fatalf("error %q does not start with %s, or %d launches were recorded", b.Err(), c.op, b.Len())
			}
			t.Log(b.Err())
		})
	}
}
