package models_test

import (
	"context"
	"math"
	"testing"

	"easel/gpu"
)

// familyTolerance bounds max|gpu family - cpu family| relative to the cpu family's max|y|:
// the two families sum in different orders, in float32.
const familyTolerance = 1e-4

// TestParityGPUFamily runs the PyTorch fixtures (TransformerNet, the DCGAN generator and
// discriminator) on a second device forced to the GPU kernel family: its outputs must
// match PyTorch's as the default device's do, and the default device's within
// familyTolerance.
func TestParityGPUFamily(t *testing.T) {
	cpuDev := testDevice(t)
	gpuDev, err := gpu.OpenWith(context.Background(), gpu.OpenOptions{Kernels: gpu.KernelsGPU})
	if err != nil {
		t.Fatal(err)
	}
	defer gpuDev.Close()
	t.Logf("adapters: %s; %s", cpuDev.Adapter(), gpuDev.Adapter())
	for _, c := range parityCases {
		t.Run(c.name, func(t *testing.T) {
			w := importPth(t, c.pth, c.arch)
			var nets [2]network
			for i, dev := range []*gpu.Device{cpuDev, gpuDev} {
				net, err := c.open(dev, w)
				if err != nil {
					t.Fatal(err)
				}
				defer net.release()
				nets[i] = net
			}
			for _, pair := range c.pairs {
				in, want := readNpy(t, pair[0]), readNpy(t, pair[1])
				var outs [2][]float32
				for i, dev := range []*gpu.Device{cpuDev, gpuDev} {
					p, err := nets[i].plan(in.shape)
					if err != nil {
						t.Fatalf("%s on %v kernels: %v", pair[0], dev.Kernels(), err)
					}
					outs[i], _ = runPlan(t, dev, p, in.data)
					rel := compare(t, p.Output.Shape(), outs[i], want)
					p.Release()
					t.Logf("%s on %v kernels: max|got-want|/max|want| = %.2e", pair[0], dev.Kernels(), rel)
				}
				var maxDiff, maxY float64
				for j, v := range outs[0] {
					maxDiff = math.Max(maxDiff, math.Abs(float64(outs[1][j])-float64(v)))
					maxY = math.Max(maxY, math.Abs(float64(v)))
				}
				if math.IsNaN(maxDiff) || maxDiff > familyTolerance*maxY {
					t.Errorf("%s: gpu family differs from cpu family by %.3g, %.3g of max|y| %.3g (tolerance %.0e)",
						pair[0], maxDiff, maxDiff/maxY, maxY, familyTolerance)
				}
			}
		})
	}
}
