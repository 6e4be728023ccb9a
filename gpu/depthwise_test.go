package gpu_test

import (
	"math"
	"strings"
	"testing"

	"easel/gpu"
)

// Every invalid shape or parameter of the depthwise convolution, its gradients and
// Hardtanh fails the batch with an error naming the op, never a panic, and records nothing.
func TestDepthwiseRefusesInvalidInput(t *testing.T) {
	tensor := func(shape ...int) *gpu.Tensor {
		t.Helper()
		x, err := testDevice.NewTensor(shape...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(x.Release)
		return x
	}
	x, x3 := tensor(2, 3, 8, 6), tensor(3, 8, 6)
	w, wDense, w4, w3 := tensor(3, 1, 3, 3), tensor(3, 3, 3, 3), tensor(4, 1, 3, 3), tensor(3, 3, 3)
	bias, bias4 := tensor(3), tensor(4)
	tiny := tensor(2, 3, 1, 1)
	dy := tensor(2, 3, 8, 6)
	released := tensor(2, 3, 8, 6)
	released.Release()
	p := gpu.Conv2DParams{Stride: 1, Padding: 1}
	fwd := func(x, w, bias *gpu.Tensor, p gpu.Conv2DParams) func(*gpu.Batch) *gpu.Tensor {
		return func(b *gpu.Batch) *gpu.Tensor { return b.DepthwiseConv2D(x, w, bias, p) }
	}
	cases := []struct {
		name, op string
		run      func(*gpu.Batch) *gpu.Tensor
	}{
		{"nil input", "DepthwiseConv2D", fwd(nil, w, nil, p)},
		{"released input", "DepthwiseConv2D", fwd(released, w, nil, p)},
		{"3D input", "DepthwiseConv2D", fwd(x3, w, nil, p)},
		{"3D weight", "DepthwiseConv2D", fwd(x, w3, nil, p)},
		{"dense weight", "DepthwiseConv2D", fwd(x, wDense, nil, p)},
		{"channel mismatch", "DepthwiseConv2D", fwd(x, w4, nil, p)},
		{"bias length", "DepthwiseConv2D", fwd(x, w, bias4, p)},
		{"stride 0", "DepthwiseConv2D", fwd(x, w, bias, gpu.Conv2DParams{})},
		{"huge stride", "DepthwiseConv2D", fwd(x, w, nil, gpu.Conv2DParams{Stride: math.MaxInt})},
		{"negative padding", "DepthwiseConv2D", fwd(x, w, nil, gpu.Conv2DParams{Stride: 1, Padding: -1})},
		{"padding with huge output", "DepthwiseConv2D", fwd(x, w, nil, gpu.Conv2DParams{Stride: 1, Padding: 1 << 24})},
		{"reflect padding", "DepthwiseConv2D", fwd(x, w, nil, gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect})},
		{"kernel larger than input", "DepthwiseConv2D", fwd(tiny, w, nil, gpu.Conv2DParams{Stride: 1})},
		{"output gradient shape", "DepthwiseConv2DBackwardInput", func(b *gpu.Batch) *gpu.Tensor {
			return b.DepthwiseConv2DBackwardInput(dy, w, []int{2, 3, 8, 6}, gpu.Conv2DParams{Stride: 2, Padding: 1})
		}},
		{"input shape 3D", "DepthwiseConv2DBackwardInput", func(b *gpu.Batch) *gpu.Tensor {
			return b.DepthwiseConv2DBackwardInput(dy, w, []int{3, 8, 6}, p)
		}},
		{"input shape with 0", "DepthwiseConv2DBackwardInput", func(b *gpu.Batch) *gpu.Tensor {
			return b.DepthwiseConv2DBackwardInput(dy, w, []int{2, 3, 0, 6}, p)
		}},
		{"weight shape", "DepthwiseConv2DBackwardWeight", func(b *gpu.Batch) *gpu.Tensor {
			return b.DepthwiseConv2DBackwardWeight(x, dy, []int{3, 2, 3, 3}, p)
		}},
		{"reflect padding", "DepthwiseConv2DBackwardWeight", func(b *gpu.Batch) *gpu.Tensor {
			return b.DepthwiseConv2DBackwardWeight(x, dy, []int{3, 1, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect})
		}},
		{"nil output gradient", "DepthwiseConv2DBackwardWeight", func(b *gpu.Batch) *gpu.Tensor {
			return b.DepthwiseConv2DBackwardWeight(x, nil, []int{3, 1, 3, 3}, p)
		}},
		{"bounds out of order", "Hardtanh", func(b *gpu.Batch) *gpu.Tensor { return b.Hardtanh(x, 6, 0) }},
		{"NaN bound", "Hardtanh", func(b *gpu.Batch) *gpu.Tensor { return b.Hardtanh(x, math.NaN(), 6) }},
		{"infinite bound", "Hardtanh", func(b *gpu.Batch) *gpu.Tensor { return b.Hardtanh(x, 0, math.Inf(1)) }},
		{"bound beyond float32", "Hardtanh", func(b *gpu.Batch) *gpu.Tensor { return b.Hardtanh(x, -1e39, 0) }},
		{"bounds out of order", "HardtanhBackward", func(b *gpu.Batch) *gpu.Tensor { return b.HardtanhBackward(dy, x, 1, -1) }},
		{"shapes differ", "HardtanhBackward", func(b *gpu.Batch) *gpu.Tensor { return b.HardtanhBackward(dy, tiny, 0, 6) }},
	}
	for _, c := range cases {
		t.Run(c.op+"/"+c.name, func(t *testing.T) {
			b := testDevice.NewBatch()
			defer b.Release()
			y := c.run(b)
			if y != nil || b.Err() == nil {
				t.Fatalf("got %v, error %v; want nil and an error", y, b.Err())
			}
			if !strings.HasPrefix(b.Err().Error(), c.op+":") || b.Len() != 0 {
				t.Fatalf("error %q does not start with %s:, or %d launches were recorded", b.Err(), c.op, b.Len())
			}
			t.Log(b.Err())
		})
	}
}
