//go:build !(js && wasm)

package gpu_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"easel/gpu"
)

var (
	dcganDown = gpu.Conv2DParams{Stride: 2, Padding: 1}
	reflect4  = gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}
	reflectS2 = gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}
)

// convBackwardBenches are the convolution gradients at the shapes of a DCGAN
// discriminator's middle layer at batch 64 (the generator's mirror layer for the
// transposed convolution) and of TransformerNet's residual, first and second layers at
// 256×256.
// flops counts the forward convolution's multiply-adds, which each gradient repeats.
var convBackwardBenches = []opBench{
	{"Conv2D/4x4s2_64-128_32x32_batch64", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2D(in(64, 64, 32, 32), in(128, 64, 4, 4), nil, dcganDown)
	}, 2 * float64(64*128*16*16*64*16)},
	{"Conv2DBackwardWeight/4x4s2_64-128_32x32_batch64", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2DBackwardWeight(in(64, 64, 32, 32), in(64, 128, 16, 16), []int{128, 64, 4, 4}, dcganDown)
	}, 2 * float64(64*128*16*16*64*16)},
	{"Conv2DBackwardInput/4x4s2_64-128_32x32_batch64", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2DBackwardInput(in(64, 128, 16, 16), in(128, 64, 4, 4), []int{64, 64, 32, 32}, dcganDown)
	}, 2 * float64(64*128*16*16*64*16)},
	{"ConvTranspose2DBackwardWeight/4x4s2_128-64_16x16_batch64", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.ConvTranspose2DBackwardWeight(in(64, 128, 16, 16), in(64, 64, 32, 32), []int{128, 64, 4, 4},
			gpu.ConvTranspose2DParams{Stride: 2, Padding: 1})
	}, 2 * float64(64*128*16*16*64*16)},
	{"Conv2D/3x3_128-128_64x64", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2D(in(1, 128, 64, 64), in(128, 128, 3, 3), nil, reflect1)
	}, conv3x3(1, 128, 128, 64, 64)},
	{"Conv2DBackwardWeight/3x3_128-128_64x64", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2DBackwardWeight(in(1, 128, 64, 64), in(1, 128, 64, 64), []int{128, 128, 3, 3}, reflect1)
	}, conv3x3(1, 128, 128, 64, 64)},
	{"Conv2DBackwardInput/3x3_128-128_64x64", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2DBackwardInput(in(1, 128, 64, 64), in(128, 128, 3, 3), []int{1, 128, 64, 64}, reflect1)
	}, conv3x3(1, 128, 128, 64, 64)},
	{"Conv2D/3x3s2_32-64_256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2D(in(1, 32, 256, 256), in(64, 32, 3, 3), nil, reflectS2)
	}, conv3x3(1, 32, 64, 128, 128)},
	{"Conv2DBackwardInput/3x3s2_32-64_256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2DBackwardInput(in(1, 64, 128, 128), in(64, 32, 3, 3), []int{1, 32, 256, 256}, reflectS2)
	}, conv3x3(1, 32, 64, 128, 128)},
	{"Conv2DBackwardWeight/3x3s2_32-64_256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2DBackwardWeight(in(1, 32, 256, 256), in(1, 64, 128, 128), []int{64, 32, 3, 3}, reflectS2)
	}, conv3x3(1, 32, 64, 128, 128)},
	{"Conv2D/9x9_3-32_256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2D(in(1, 3, 256, 256), in(32, 3, 9, 9), nil, reflect4)
	}, 2 * float64(32*256*256*3*81)},
	{"Conv2DBackwardInput/9x9_3-32_256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2DBackwardInput(in(1, 32, 256, 256), in(32, 3, 9, 9), []int{1, 3, 256, 256}, reflect4)
	}, 2 * float64(32*256*256*3*81)},
	{"Conv2DBackwardWeight/9x9_3-32_256x256", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
		return b.Conv2DBackwardWeight(in(1, 3, 256, 256), in(1, 32, 256, 256), []int{32, 3, 9, 9}, reflect4)
	}, 2 * float64(32*256*256*3*81)},
}

// BenchmarkConvBackward times the convolution gradients as BenchmarkOps times ops: the
// median submit (ms, GFLOP/s) and the process's CPU time per submit (cpu-ms). Outputs are
// checked by the op vectors (TestOps), not here.
func BenchmarkConvBackward(b *testing.B) {
	benchOps(b, convBackwardBenches)
}

// benchOps times each of benches as BenchmarkConvBackward describes, on the test device.
func benchOps(b *testing.B, benches []opBench) { benchOpsOn(b, testDevice, benches) }

// benchOpsOn is benchOps on dev.
func benchOpsOn(b *testing.B, dev *gpu.Device, benches []opBench) {
	ctx := context.Background()
	for _, o := range benches {
		b.Run(o.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			var ts []*gpu.Tensor
			defer func() {
				for _, t := range ts {
					t.Release()
				}
			}()
			in := func(shape ...int) *gpu.Tensor {
				data := make([]float32, shapeLen(shape))
				for i := range data {
					data[i] = float32(rng.NormFloat64())
				}
				t, err := dev.FromData(data, shape...)
				if err != nil {
					b.Fatal(err)
				}
				ts = append(ts, t)
				return t
			}
			batch := dev.NewBatch()
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
			b.ReportMetric(o.flops/med/1e9, "GFLOP/s")
		})
	}
}
