//go:build !(js && wasm)

package gpu_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"easel/gpu"
)

// cpuTime is the CPU time this process has used, the driver's threads included: on a
// CPU driver such as lavapipe the work an op costs, whatever else runs on the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// opBench is one op at one TransformerNet shape (256×256 input): record records it on
// inputs made by in, flops is its work (0 for ops that are not convolutions).
type opBench struct {
	name   string
	record func(b *gpu.Batch, in func(shape ...int) *gpu.Tensor) *gpu.Tensor
	flops  float64
}

func conv3x3(n, ci, co, h, w int) float64 { return 2 * float64(n*co*h*w*ci*9) }

// depthwise3x3 is the flops of a 3×3 depthwise convolution with an output of n×c×h×w.
func depthwise3x3(n, c, h, w int) float64 { return 2 * float64(n*c*h*w*9) }

var (
	depthwise1 = gpu.Conv2DParams{Stride: 1, Padding: 1}
	depthwise2 = gpu.Conv2DParams{Stride: 2, Padding: 1}
)

var opBenches = []opBench{
	{"InstanceNormReLU/1x32x256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.InstanceNormReLU(in(1, 32, 256, 256), in(32), in(32), 1e-5)
	}, 0},
	{"InstanceNormReLU/1x64x128x128", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.InstanceNormReLU(in(1, 64, 128, 128), in(64), in(64), 1e-5)
	}, 0},
	{"InstanceNormReLU/1x128x64x64", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.InstanceNormReLU(in(1, 128, 64, 64), in(128), in(128), 1e-5)
	}, 0},
	{"InstanceNormAdd/1x128x64x64", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.InstanceNormAdd(in(1, 128, 64, 64), in(128), in(128), in(1, 128, 64, 64), 1e-5)
	}, 0},
	{"ReLU/1x32x256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.ReLU(in(1, 32, 256, 256))
	}, 0},
	{"UpsampleConv2D/3x3_128-64_64x64/v11", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		y, _ := b.UpsampleConv2DVariant(11, in(1, 128, 64, 64), in(64, 128, 3, 3), in(64), reflect1)
		return y
	}, conv3x3(1, 128, 64, 128, 128)},
	{"UpsampleConv2D/3x3_128-64_64x64/v13", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		y, _ := b.UpsampleConv2DVariant(13, in(1, 128, 64, 64), in(64, 128, 3, 3), in(64), reflect1)
		return y
	}, conv3x3(1, 128, 64, 128, 128)},
	{"UpsampleConv2D/3x3_64-32_128x128/v11", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		y, _ := b.UpsampleConv2DVariant(11, in(1, 64, 128, 128), in(32, 64, 3, 3), in(32), reflect1)
		return y
	}, conv3x3(1, 64, 32, 256, 256)},
	{"UpsampleConv2D/3x3_64-32_128x128/v13", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		y, _ := b.UpsampleConv2DVariant(13, in(1, 64, 128, 128), in(32, 64, 3, 3), in(32), reflect1)
		return y
	}, conv3x3(1, 64, 32, 256, 256)},
	{"Conv2D/3x3_128-128_64x64", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2D(in(1, 128, 64, 64), in(128, 128, 3, 3), in(128), reflect1)
	}, conv3x3(1, 128, 128, 64, 64)},
	{"Conv2D/3x3s2_32-64_256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2D(in(1, 32, 256, 256), in(64, 32, 3, 3), in(64), gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect})
	}, conv3x3(1, 32, 64, 128, 128)},
	{"Conv2D/3x3s2_64-128_128x128", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2D(in(1, 64, 128, 128), in(128, 64, 3, 3), in(128), gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect})
	}, conv3x3(1, 64, 128, 64, 64)},
	{"Conv2D/9x9_3-32_256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2D(in(1, 3, 256, 256), in(32, 3, 9, 9), in(32), gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect})
	}, 2 * float64(32*256*256*3*81)},
	// MobileNetV2's depthwise layers (Keras, 224×224 input): expansion 144 at 56×56,
	// stride 1 and stride 2, batch 2. flops counts the forward's multiply-adds, which each
	// gradient repeats.
	{"DepthwiseConv2D/3x3_144_56x56_batch2", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.DepthwiseConv2D(in(2, 144, 56, 56), in(144, 1, 3, 3), in(144), depthwise1)
	}, depthwise3x3(2, 144, 56, 56)},
	{"DepthwiseConv2DBackwardInput/3x3_144_56x56_batch2", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.DepthwiseConv2DBackwardInput(in(2, 144, 56, 56), in(144, 1, 3, 3), []int{2, 144, 56, 56}, depthwise1)
	}, depthwise3x3(2, 144, 56, 56)},
	{"DepthwiseConv2DBackwardWeight/3x3_144_56x56_batch2", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.DepthwiseConv2DBackwardWeight(in(2, 144, 56, 56), in(2, 144, 56, 56), []int{144, 1, 3, 3}, depthwise1)
	}, depthwise3x3(2, 144, 56, 56)},
	{"DepthwiseConv2D/3x3s2_144_56x56_batch2", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.DepthwiseConv2D(in(2, 144, 56, 56), in(144, 1, 3, 3), in(144), depthwise2)
	}, depthwise3x3(2, 144, 28, 28)},
	{"DepthwiseConv2DBackwardInput/3x3s2_144_56x56_batch2", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.DepthwiseConv2DBackwardInput(in(2, 144, 28, 28), in(144, 1, 3, 3), []int{2, 144, 56, 56}, depthwise2)
	}, depthwise3x3(2, 144, 28, 28)},
	{"DepthwiseConv2DBackwardWeight/3x3s2_144_56x56_batch2", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.DepthwiseConv2DBackwardWeight(in(2, 144, 56, 56), in(2, 144, 28, 28), []int{144, 1, 3, 3}, depthwise2)
	}, depthwise3x3(2, 144, 28, 28)},
	{"Conv2D/9x9_32-3_256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2D(in(1, 32, 256, 256), in(3, 32, 9, 9), in(3), gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect})
	}, 2 * float64(3*256*256*32*81)},
}

// BenchmarkOps times single ops at the shapes of TransformerNet's layers on a 256×256
// input, besides the convolutions BenchmarkConv2D covers: each submit waited for by a
// one-element readback, the median submit reported (ms and, for convolutions, GFLOP/s
// of the convolution on the upsampled input where there is one), and the CPU time per
// submit of the whole process (cpu-ms: on lavapipe the work itself, which other load on
// the machine does not change). Outputs are not checked here; the op vectors (TestOps)
// do that.
func BenchmarkOps(b *testing.B) {
	ctx := context.Background()
	for _, o := range opBenches {
		b.Run(o.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			var ts []*gpu.Tensor
			defer func() {
				for _, t := range ts {
					t.Release()
				}
			}()
			in := func(shape ...int) *gpu.Tensor {
				n := 1
				for _, s := range shape {
					n *= s
				}
				data := make([]float32, n)
				for i := range data {
					data[i] = float32(rng.NormFloat64())
				}
				t := benchUpload(b, data, shape...)
				ts = append(ts, t)
				return t
			}
			batch := testDevice.NewBatch()
			defer batch.Release()
			y := o.record(batch, in)
			if y == nil {
				b.Fatal(batch.Err())
			}
			ts = append(ts, y)
			done := in(1)
			wait := func() time.Duration {
				start := time.Now()
				if err := batch.Submit(); err != nil {
					b.Fatal(err)
				}
				if _, err := done.Read(ctx); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			wait() // compiles
			times := make([]time.Duration, b.N)
			b.ResetTimer()
			cpu := cpuTime()
			for i := range times {
				times[i] = wait()
			}
			cpu = cpuTime() - cpu
			slices.Sort(times)
			med := times[len(times)/2].Seconds()
			b.ReportMetric(med*1e3, "ms")
			b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms")
			if o.flops > 0 {
				b.ReportMetric(o.flops/med/1e9, "GFLOP/s")
			}
		})
	}
}
