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

// BenchmarkSoftmax times Softmax and SoftmaxBackward on 2 samples of 96×128×128, each
// submit waited for by a one-element readback: the median submit in ms, the CPU time per
// submit of the whole process (cpu-ms), and GB/s of the memory the kernels touch at
// least (forward: x read twice, y written once; backward: y read twice, dy twice, dx
// written once; 4 bytes each).
func BenchmarkSoftmax(b *testing.B) {
	ctx := context.Background()
	shape := []int{2, 96, 128, 128}
	n := 2 * 96 * 128 * 128
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	x := benchUpload(b, data, shape...)
	defer x.Release()
	dy := benchUpload(b, data, shape...)
	defer dy.Release()
	done := benchUpload(b, []float32{0}, 1)
	defer done.Release()
	for _, c := range []struct {
		name   string
		passes float64 // element reads and writes, per element
		record func(bt *gpu.Batch) *gpu.Tensor
	}{
		{"Softmax/2x96x128x128", 3, func(bt *gpu.Batch) *gpu.Tensor { return bt.Softmax(x) }},
		{"SoftmaxBackward/2x96x128x128", 5, func(bt *gpu.Batch) *gpu.Tensor { return bt.SoftmaxBackward(dy, x) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			batch := testDevice.NewBatch()
			defer batch.Release()
			y := c.record(batch)
			if y == nil {
				b.Fatal(batch.Err())
			}
			defer y.Release()
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
			b.ReportMetric(c.passes*4*float64(n)/med/1e9, "GB/s")
		})
	}
}
