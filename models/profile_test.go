//go:build !(js && wasm)

package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"easel/gpu"
)

// layerBatch is one layer of a network recorded into a batch of its own.
type layerBatch struct {
	name string
	b    *gpu.Batch
}

// recordLayers records m's forward pass on an input [n,3,h,w] with every layer in its own
// batch, in order. The caller releases the batches, then the plan's tensors via release.
func recordLayers(dev *gpu.Device, m *TransformerNet, n, h, w int) (in *gpu.Tensor, layers []layerBatch, release func(), err error) {
	x, err := dev.NewTensor(n, 3, h, w)
	if err != nil {
		return nil, nil, nil, err
	}
	r := &recorder{b: dev.NewBatch()}
	r.split = func(layer string) {
		layers = append(layers, layerBatch{layer, r.b})
		r.b = dev.NewBatch()
	}
	m.forward(r, x)
	release = func() {
		for _, l := range layers {
			l.b.Release()
		}
		r.b.Release()
		for _, t := range r.temps {
			t.Release()
		}
		x.Release()
	}
	if r.err != nil {
		release()
		return nil, nil, nil, r.err
	}
	return x, layers, release, nil
}

// layerKind groups TransformerNet's layers by what they do, for the profile's summary.
func layerKind(name string) string {
	switch {
	case name == "conv1.conv2d":
		return "conv 9x9 3->32"
	case name == "deconv3.conv2d":
		return "conv 9x9 32->3"
	case name == "conv2.conv2d" || name == "conv3.conv2d":
		return "conv 3x3 stride 2"
	case strings.HasPrefix(name, "res") && strings.HasSuffix(name, ".conv2d"):
		return "conv 3x3 residual"
	case strings.HasSuffix(name, ".upsample"):
		return "upsample"
	case strings.HasPrefix(name, "deconv") && strings.HasSuffix(name, ".conv2d"):
		return "conv 3x3 after upsample"
	case strings.HasSuffix(name, ".in2"):
		return "instance norm + add"
	}
	return "instance norm + relu"
}

// BenchmarkTransformerLayers times each layer of the standard TransformerNet alone: every
// layer is a batch of its own, submitted and waited for (a one-element readback) b.N times
// after a warm-up; a layer's time is its median, its CPU time (cpu-ms, the process's, the
// driver's threads included: on lavapipe the work itself, which other load on the
// machine does not change) the mean. It prints the per-layer table and reports the CPU
// time per kind of layer as cpu-ms/<kind>, next to the whole network in one batch
// (ms/frame, cpu-ms/frame) and an empty wait (ms/wait, the floor of every figure here).
//
//	go test ./models -run '^$' -bench TransformerLayers -benchtime 5x
func BenchmarkTransformerLayers(b *testing.B) {
	dev, err := gpu.Open(context.Background())
	if err != nil {
		b.Fatalf("needs a Vulkan adapter: %v", err)
	}
	defer dev.Close()
	ctx := context.Background()
	for _, size := range [][2]int{{256, 256}} {
		b.Run(fmt.Sprintf("standard/%dx%d", size[0], size[1]), func(b *testing.B) {
			m, err := NewTransformerNet(dev, InitTransformerNet(StandardTransformer, rand.New(rand.NewPCG(1, 2))))
			if err != nil {
				b.Fatal(err)
			}
			defer m.Release()
			x, layers, release, err := recordLayers(dev, m, 1, size[0], size[1])
			if err != nil {
				b.Fatal(err)
			}
			defer release()
			data := make([]float32, x.Len())
			for i := range data {
				data[i] = float32((i * 37) % 256)
			}
			if err := x.Write(data); err != nil {
				b.Fatal(err)
			}
			done, err := dev.FromData([]float32{0}, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer done.Release()
			cpu := func() time.Duration {
				var ru syscall.Rusage
				if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
					b.Fatal(err)
				}
				return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			}
			wait := func(batch *gpu.Batch) time.Duration {
				start := time.Now()
				if batch != nil {
					if err := batch.Submit(); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := done.Read(ctx); err != nil {
					b.Fatal(err)
				}
				return time.Since(start)
			}
			plan, err := m.Plan(1, size[0], size[1])
			if err != nil {
				b.Fatal(err)
			}
			defer plan.Release()
			if err := plan.Input.Write(data); err != nil {
				b.Fatal(err)
			}
			// Warm up: the driver compiles each pipeline at its first dispatch.
			start := time.Now()
			for _, l := range layers {
				wait(l.b)
			}
			b.Logf("first run, layer by layer (compiles): %v", time.Since(start).Round(time.Millisecond))
			wait(plan.batch)
			times := make([][]time.Duration, len(layers))
			cpus := make([]time.Duration, len(layers))
			var whole, empty []time.Duration
			var wholeCPU time.Duration
			b.ResetTimer()
			for range b.N {
				for i, l := range layers {
					c := cpu()
					times[i] = append(times[i], wait(l.b))
					cpus[i] += cpu() - c
				}
				c := cpu()
				whole = append(whole, wait(plan.batch))
				wholeCPU += cpu() - c
				empty = append(empty, wait(nil))
			}
			b.StopTimer()
			median := func(d []time.Duration) float64 {
				s := slices.Clone(d)
				slices.Sort(s)
				return float64(s[len(s)/2]) / 1e6
			}
			perRun := func(d time.Duration) float64 { return float64(d) / 1e6 / float64(b.N) }
			kinds, kindsCPU := map[string]float64{}, map[string]float64{}
			count := map[string]int{}
			var sum, sumCPU float64
			var sb strings.Builder
			fmt.Fprintf(&sb, "%-22s %-24s %9s %9s %5s\n", "layer", "kind", "ms", "cpu-ms", "disp")
			for i, l := range layers {
				ms, c := median(times[i]), perRun(cpus[i])
				k := layerKind(l.name)
				kinds[k] += ms
				kindsCPU[k] += c
				count[k]++
				sum += ms
				sumCPU += c
				fmt.Fprintf(&sb, "%-22s %-24s %9.2f %9.2f %5d\n", l.name, k, ms, c, l.b.Len())
			}
			names := make([]string, 0, len(kinds))
			for k := range kinds {
				names = append(names, k)
			}
			sort.Slice(names, func(i, j int) bool { return kindsCPU[names[i]] > kindsCPU[names[j]] })
			fmt.Fprintf(&sb, "\n%-24s %6s %9s %9s %6s\n", "kind", "layers", "ms", "cpu-ms", "share")
			for _, k := range names {
				fmt.Fprintf(&sb, "%-24s %6d %9.2f %9.2f %5.1f%%\n", k, count[k], kinds[k], kindsCPU[k], 100*kindsCPU[k]/sumCPU)
				b.ReportMetric(kindsCPU[k], "cpu-ms/"+strings.ReplaceAll(strings.ReplaceAll(k, " ", "_"), ">", ""))
			}
			fmt.Fprintf(&sb, "sum of layers %.2f ms (%.2f cpu-ms), whole network in one batch %.2f ms (%.2f cpu-ms), empty wait %.2f ms\n",
				sum, sumCPU, median(whole), perRun(wholeCPU), median(empty))
			fmt.Fprintf(os.Stderr, "%s\n%s", b.Name(), sb.String())
			b.ReportMetric(median(whole), "ms/frame")
			b.ReportMetric(perRun(wholeCPU), "cpu-ms/frame")
			b.ReportMetric(median(empty), "ms/wait")
		})
	}
}
