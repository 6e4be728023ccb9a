//go:build !(js && wasm)

package gpu_test

import (
	"context"
	"fmt"
	"testing"

	"easel/gpu"
)

// vggConvShape is one distinct 3×3 convolution of torchvision's VGG16 feature stack
// (stride 1, zero padding 1): ci → co channels at size×size pixels for a 256×256 input.
type vggConvShape struct{ ci, co, size int }

var (
	vgg16Convs = []vggConvShape{
		{3, 64, 256}, {64, 64, 256}, {64, 128, 128}, {128, 128, 128}, {128, 256, 64}, {256, 256, 64},
		{256, 512, 32}, {512, 512, 32}, {512, 512, 16},
	}
	vggPad = gpu.Conv2DParams{Stride: 1, Padding: 1}
)

// vggConvBenches are the forward convolution, its input gradient and its weight gradient
// at every shape of vgg16Convs for 256×256 and 128×128 inputs (scale 1 and 2) and batches
// 1 and 4, named op/vgg_ci-co_size_batchN.
func vggConvBenches() []opBench {
	var benches []opBench
	for _, scale := range []int{1, 2} {
		for _, n := range []int{1, 4} {
			for _, s := range vgg16Convs {
				ci, co, h := s.ci, s.co, s.size/scale
				name := fmt.Sprintf("vgg_%d-%d_%dx%d_batch%d", ci, co, h, h, n)
				fl := conv3x3(n, ci, co, h, h)
				benches = append(benches,
					opBench{"Conv2D/" + name, func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
						return b.Conv2D(in(n, ci, h, h), in(co, ci, 3, 3), in(co), vggPad)
					}, fl},
					opBench{"Conv2DBackwardInput/" + name, func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
						return b.Conv2DBackwardInput(in(n, co, h, h), in(co, ci, 3, 3), []int{n, ci, h, h}, vggPad)
					}, fl},
					opBench{"Conv2DBackwardWeight/" + name, func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
						return b.Conv2DBackwardWeight(in(n, ci, h, h), in(n, co, h, h), []int{co, ci, 3, 3}, vggPad)
					}, fl})
			}
		}
	}
	return benches
}

// BenchmarkVGGConv times VGG16's convolutions and their gradients as BenchmarkConvBackward
// does; select a part with -bench, e.g. 'BenchmarkVGGConv/Conv2D/.*_batch1$'.
func BenchmarkVGGConv(b *testing.B) { benchOps(b, vggConvBenches()) }

// BenchmarkWeightGradFamilies times the convolution weight gradient of one VGG16 layer
// (64 → 128 channels at 64×64, a 128×128 input's second block) on each kernel family, on
// a device forced to it: named family/op/shape.
func BenchmarkWeightGradFamilies(b *testing.B) {
	const n, ci, co, h = 1, 64, 128, 64
	bench := opBench{fmt.Sprintf("Conv2DBackwardWeight/vgg_%d-%d_%dx%d_batch%d", ci, co, h, h, n),
		func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
			return b.Conv2DBackwardWeight(in(n, ci, h, h), in(n, co, h, h), []int{co, ci, 3, 3}, vggPad)
		}, conv3x3(n, ci, co, h, h)}
	for _, f := range []gpu.KernelFamily{gpu.KernelsCPU, gpu.KernelsGPU} {
		b.Run(f.String(), func(b *testing.B) {
			dev, err := gpu.OpenWith(context.Background(), gpu.OpenOptions{Kernels: f})
			if err != nil {
				b.Fatal(err)
			}
			defer dev.Close()
			b.Logf("adapter: %s", dev.Adapter())
			benchOpsOn(b, dev, []opBench{bench})
		})
	}
}
