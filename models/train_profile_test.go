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

// A training step's profile, op by op: every op a step records (forward, backward,
// optimizer), each recorded alone into a batch of its own on random inputs of the shapes
// the step gives it, timed alone, and multiplied by the number of times a step runs it.
// The ops are the ones autograd records (autograd/ops.go), with the shapes of the
// trainers' networks; what this leaves out (gradient accumulation into the parameters'
// gradients, the residual sums' gradient copies, zeroing) is a few element-wise passes.

// profOp is one op of a training step.
type profOp struct {
	layer, kind string
	shape       string  // the shapes, for the table
	count       int     // runs per step
	flops       float64 // 2·multiply-adds per run (convolutions only)
	record      func(b *gpu.Batch)
}

// opProfiler makes random input tensors and collects ops.
type opProfiler struct {
	tb   testing.TB
	dev  *gpu.Device
	rng  *rand.Rand
	ts   []*gpu.Tensor
	ops  []profOp
	bufs []*gpu.Batch
}

func (p *opProfiler) rnd(shape ...int) *gpu.Tensor {
	n := 1
	for _, s := range shape {
		n *= s
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(p.rng.Float64()*2 - 1)
	}
	t, err := p.dev.FromData(data, shape...)
	if err != nil {
		p.tb.Fatal(err)
	}
	p.ts = append(p.ts, t)
	return t
}

func (p *opProfiler) add(layer, kind string, count int, flops float64, shape string, record func(b *gpu.Batch)) {
	if count > 0 {
		p.ops = append(p.ops, profOp{layer, kind, shape, count, flops, record})
	}
}

// keep holds op outputs until release.
func (p *opProfiler) keep(ts ...*gpu.Tensor) { p.ts = append(p.ts, ts...) }

func (p *opProfiler) release() {
	for _, b := range p.bufs {
		b.Release()
	}
	for _, t := range p.ts {
		t.Release()
	}
}

// conv adds a Conv2D (or, with up, an UpsampleConv2D) layer's ops: the forward fwd times,
// the input gradient dx times, the weight and bias gradients dw times.
func (p *opProfiler) conv(layer string, n, ci, co, k, h, w int, cp gpu.Conv2DParams, up bool, bias bool, fwd, dx, dw int) {
	ih, iw := h, w // the convolution's own input (upsampled)
	if up {
		ih, iw = 2*h, 2*w
	}
	oh, ow := (ih+2*cp.Padding-k)/cp.Stride+1, (iw+2*cp.Padding-k)/cp.Stride+1
	x, wt, dy := p.rnd(n, ci, h, w), p.rnd(co, ci, k, k), p.rnd(n, co, oh, ow)
	var bt *gpu.Tensor
	if bias {
		bt = p.rnd(co)
	}
	f := 2 * float64(n*ci*co*k*k*oh*ow)
	shape := fmt.Sprintf("%dx%d %d->%d k%d s%d", ih, iw, ci, co, k, cp.Stride)
	name := "conv"
	if up {
		name = "upconv"
	}
	p.add(layer, name+" forward", fwd, f, shape, func(b *gpu.Batch) {
		if up {
			p.keep(b.UpsampleConv2D(x, wt, bt, 2, cp))
		} else {
			p.keep(b.Conv2D(x, wt, bt, cp))
		}
	})
	p.add(layer, "conv backward input", dx, f, shape, func(b *gpu.Batch) {
		p.keep(b.Conv2DBackwardInput(dy, wt, []int{n, ci, ih, iw}, cp))
	})
	if up {
		du := p.rnd(n, ci, ih, iw)
		p.add(layer, "upsample backward", dx, 0, shape, func(b *gpu.Batch) { p.keep(b.UpsampleNearestBackward(du, 2)) })
		p.add(layer, "upsample (for dW)", dw, 0, shape, func(b *gpu.Batch) { p.keep(b.UpsampleNearest(x, 2)) })
	}
	xw := x
	if up {
		xw = p.rnd(n, ci, ih, iw)
	}
	p.add(layer, "conv backward weight", dw, f, shape, func(b *gpu.Batch) {
		p.keep(b.Conv2DBackwardWeight(xw, dy, []int{co, ci, k, k}, cp))
	})
	if bias {
		p.add(layer, "bias backward", dw, 0, shape, func(b *gpu.Batch) { p.keep(b.BiasBackward(dy)) })
	}
}

// convT adds a ConvTranspose2D layer (no bias) like conv.
func (p *opProfiler) convT(layer string, n, ci, co, k, h, w int, cp gpu.ConvTranspose2DParams, fwd, dx, dw int) {
	oh, ow := (h-1)*cp.Stride-2*cp.Padding+k, (w-1)*cp.Stride-2*cp.Padding+k
	x, wt, dy := p.rnd(n, ci, h, w), p.rnd(ci, co, k, k), p.rnd(n, co, oh, ow)
	f := 2 * float64(n*ci*co*k*k*h*w)
	shape := fmt.Sprintf("%dx%d %d->%d k%d s%d", h, w, ci, co, k, cp.Stride)
	p.add(layer, "convT forward", fwd, f, shape, func(b *gpu.Batch) { p.keep(b.ConvTranspose2D(x, wt, nil, cp)) })
	p.add(layer, "convT backward input", dx, f, shape, func(b *gpu.Batch) {
		p.keep(b.ConvTranspose2DBackwardInput(dy, wt, []int{n, ci, h, w}, cp))
	})
	p.add(layer, "convT backward weight", dw, f, shape, func(b *gpu.Batch) {
		p.keep(b.ConvTranspose2DBackwardWeight(x, dy, []int{ci, co, k, k}, cp))
	})
}

// elementwise adds an op on one tensor shape (norms, activations), forward and backward.
func (p *opProfiler) elementwise(layer, kind string, count int, shape []int) {
	x, dy, g, bt := p.rnd(shape...), p.rnd(shape...), p.rnd(shape[1]), p.rnd(shape[1])
	s := fmt.Sprint(shape)
	switch kind {
	case "instance norm":
		p.add(layer, kind+" forward", count, 0, s, func(b *gpu.Batch) { p.keep(b.InstanceNorm(x, g, bt, instanceNormEps)) })
		p.add(layer, kind+" backward", count, 0, s, func(b *gpu.Batch) { p.keep(b.InstanceNormBackward(dy, x, g, instanceNormEps)) })
	case "batch norm":
		rm, rv := p.rnd(shape[1]), p.rnd(shape[1])
		p.add(layer, kind+" forward", count, 0, s, func(b *gpu.Batch) {
			p.keep(b.BatchNormTrain(x, g, bt, rm, rv, batchNormMomentum, batchNormEps))
		})
		p.add(layer, kind+" backward", count, 0, s, func(b *gpu.Batch) { p.keep(b.BatchNormTrainBackward(dy, x, g, batchNormEps)) })
	case "relu":
		p.add(layer, kind+" forward", count, 0, s, func(b *gpu.Batch) { p.keep(b.ReLU(x)) })
		p.add(layer, kind+" backward", count, 0, s, func(b *gpu.Batch) { p.keep(b.ReLUBackward(dy, x)) })
	case "leaky relu":
		p.add(layer, kind+" forward", count, 0, s, func(b *gpu.Batch) { p.keep(b.LeakyReLU(x, 0.2)) })
		p.add(layer, kind+" backward", count, 0, s, func(b *gpu.Batch) { p.keep(b.LeakyReLUBackward(dy, x, 0.2)) })
	case "tanh":
		p.add(layer, kind+" forward", count, 0, s, func(b *gpu.Batch) { p.keep(b.Tanh(x)) })
		p.add(layer, kind+" backward", count, 0, s, func(b *gpu.Batch) { p.keep(b.TanhBackward(dy, x)) })
	case "sigmoid":
		p.add(layer, kind+" forward", count, 0, s, func(b *gpu.Batch) { p.keep(b.Sigmoid(x)) })
		p.add(layer, kind+" backward", count, 0, s, func(b *gpu.Batch) { p.keep(b.SigmoidBackward(dy, x)) })
	case "add":
		p.add(layer, "add (residual, its gradient)", count, 0, s, func(b *gpu.Batch) { p.keep(b.Add(x, dy)) })
		p.add(layer, "add into (residual gradient)", count, 0, s, func(b *gpu.Batch) { b.AddInto(dy, 1, x) })
	case "mse":
		one := p.rnd(1)
		p.add(layer, "mse forward", count, 0, s, func(b *gpu.Batch) { p.keep(b.MSE(x, dy)) })
		p.add(layer, "mse backward", count, 0, s, func(b *gpu.Batch) { p.keep(b.MSEBackward(one, x, dy)) })
	default:
		p.tb.Fatalf("unknown kind %q", kind)
	}
}

// adam adds an Adam step over n parameters and the zeroing of their gradients.
func (p *opProfiler) adam(layer string, count, n int) {
	prm, g, m, v := p.rnd(n), p.rnd(n), p.rnd(n), p.rnd(n)
	hyper, err := p.dev.FromData(gpu.AdamHyper(1e-3, 0.9, 0.999, 1e-8, 0, false, 1), gpu.HyperLen)
	if err != nil {
		p.tb.Fatal(err)
	}
	p.ts = append(p.ts, hyper)
	s := fmt.Sprintf("%d parameters", n)
	p.add(layer, "adam", count, 0, s, func(b *gpu.Batch) { b.AdamStep(prm, g, m, v, hyper) })
	p.add(layer, "zero gradients", count, 0, s, func(b *gpu.Batch) { b.Fill(g, 0) })
}

// run times every op and prints the table.
func (p *opProfiler) run(b *testing.B, title string) {
	ctx := context.Background()
	done, err := p.dev.FromData([]float32{0}, 1)
	if err != nil {
		b.Fatal(err)
	}
	p.ts = append(p.ts, done)
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	batches := make([]*gpu.Batch, len(p.ops))
	for i, op := range p.ops {
		batches[i] = p.dev.NewBatch()
		op.record(batches[i])
		if err := batches[i].Err(); err != nil {
			b.Fatalf("%s %s: %v", op.layer, op.kind, err)
		}
		p.bufs = append(p.bufs, batches[i])
	}
	wait := func(batch *gpu.Batch) time.Duration {
		start := time.Now()
		if err := batch.Submit(); err != nil {
			b.Fatal(err)
		}
		if _, err := done.Read(ctx); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	start := time.Now()
	for _, batch := range batches {
		wait(batch) // the driver compiles each pipeline at its first dispatch
	}
	b.Logf("first run (compiles): %v", time.Since(start).Round(time.Millisecond))
	times := make([][]time.Duration, len(p.ops))
	cpus := make([]time.Duration, len(p.ops))
	b.ResetTimer()
	for range b.N {
		for i, batch := range batches {
			c := cpu()
			times[i] = append(times[i], wait(batch))
			cpus[i] += cpu() - c
		}
	}
	b.StopTimer()
	median := func(d []time.Duration) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[len(s)/2]) / 1e6
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s (per op: median wall ms and mean CPU ms of one run; step: × runs per step)\n", title)
	fmt.Fprintf(&sb, "%-16s %-30s %-26s %3s %9s %9s %11s %8s\n", "layer", "op", "shape", "×", "ms", "cpu-ms", "step cpu-ms", "GFLOP/s")
	kindCPU, kindMS, kindFlops := map[string]float64{}, map[string]float64{}, map[string]float64{}
	var total, totalMS float64
	for i, op := range p.ops {
		ms, c := median(times[i]), float64(cpus[i])/1e6/float64(b.N)
		gf := ""
		if op.flops > 0 {
			gf = fmt.Sprintf("%.1f", op.flops/ms/1e6)
		}
		fmt.Fprintf(&sb, "%-16s %-30s %-26s %3d %9.2f %9.2f %11.1f %8s\n", op.layer, op.kind, op.shape, op.count, ms, c, c*float64(op.count), gf)
		kindCPU[op.kind] += c * float64(op.count)
		kindMS[op.kind] += ms * float64(op.count)
		kindFlops[op.kind] += op.flops * float64(op.count)
		total += c * float64(op.count)
		totalMS += ms * float64(op.count)
	}
	kinds := make([]string, 0, len(kindCPU))
	for k := range kindCPU {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kindCPU[kinds[i]] > kindCPU[kinds[j]] })
	fmt.Fprintf(&sb, "\n%-30s %11s %11s %6s %8s\n", "op, per step", "ms", "cpu-ms", "share", "GFLOP/s")
	for _, k := range kinds {
		gf := ""
		if kindFlops[k] > 0 {
			gf = fmt.Sprintf("%.1f", kindFlops[k]/kindMS[k]/1e6)
		}
		fmt.Fprintf(&sb, "%-30s %11.1f %11.1f %5.1f%% %8s\n", k, kindMS[k], kindCPU[k], 100*kindCPU[k]/total, gf)
	}
	fmt.Fprintf(&sb, "%-30s %11.1f %11.1f\n", "sum", totalMS, total)
	fmt.Fprintf(os.Stderr, "%s\n", sb.String())
	b.ReportMetric(totalMS, "ms/step")
	b.ReportMetric(total, "cpu-ms/step")
}

// BenchmarkTransformerTrainOps profiles a TransformerTrainer step of the standard network
// on a 1×3×256×256 input, op by op (see opProfiler).
//
//	go test ./models -run '^$' -bench TransformerTrainOps -benchtime 2x
func BenchmarkTransformerTrainOps(b *testing.B) {
	dev, err := gpu.Open(context.Background())
	if err != nil {
		b.Fatalf("needs a Vulkan adapter: %v", err)
	}
	defer dev.Close()
	c, n, s := StandardTransformer, 1, 256
	p := &opProfiler{tb: b, dev: dev, rng: rand.New(rand.NewPCG(1, 2))}
	defer p.release()
	reflect := func(stride, k int) gpu.Conv2DParams {
		return gpu.Conv2DParams{Stride: stride, Padding: k / 2, PadMode: gpu.PadReflect}
	}
	s2, s3 := (s-1)/2+1, ((s-1)/2)/2+1
	p.conv("conv1", n, 3, c.C1, 9, s, s, reflect(1, 9), false, true, 1, 0, 1)
	p.elementwise("in1", "instance norm", 1, []int{n, c.C1, s, s})
	p.elementwise("in1", "relu", 1, []int{n, c.C1, s, s})
	p.conv("conv2", n, c.C1, c.C2, 3, s, s, reflect(2, 3), false, true, 1, 1, 1)
	p.elementwise("in2", "instance norm", 1, []int{n, c.C2, s2, s2})
	p.elementwise("in2", "relu", 1, []int{n, c.C2, s2, s2})
	p.conv("conv3", n, c.C2, c.C3, 3, s2, s2, reflect(2, 3), false, true, 1, 1, 1)
	p.elementwise("in3", "instance norm", 1, []int{n, c.C3, s3, s3})
	p.elementwise("in3", "relu", 1, []int{n, c.C3, s3, s3})
	k := 2 * c.Blocks
	p.conv(fmt.Sprintf("res conv (×%d)", k), n, c.C3, c.C3, 3, s3, s3, reflect(1, 3), false, true, k, k, k)
	p.elementwise(fmt.Sprintf("res in (×%d)", k), "instance norm", k, []int{n, c.C3, s3, s3})
	p.elementwise(fmt.Sprintf("res relu (×%d)", c.Blocks), "relu", c.Blocks, []int{n, c.C3, s3, s3})
	p.elementwise(fmt.Sprintf("res add (×%d)", c.Blocks), "add", c.Blocks, []int{n, c.C3, s3, s3})
	p.conv("deconv1", n, c.C3, c.C2, 3, s3, s3, reflect(1, 3), true, true, 1, 1, 1)
	p.elementwise("in4", "instance norm", 1, []int{n, c.C2, 2 * s3, 2 * s3})
	p.elementwise("in4", "relu", 1, []int{n, c.C2, 2 * s3, 2 * s3})
	p.conv("deconv2", n, c.C2, c.C1, 3, 2*s3, 2*s3, reflect(1, 3), true, true, 1, 1, 1)
	p.elementwise("in5", "instance norm", 1, []int{n, c.C1, 4 * s3, 4 * s3})
	p.elementwise("in5", "relu", 1, []int{n, c.C1, 4 * s3, 4 * s3})
	p.conv("deconv3", n, c.C1, 3, 9, 4*s3, 4*s3, reflect(1, 9), false, true, 1, 1, 1)
	p.elementwise("loss", "mse", 1, []int{n, 3, 4 * s3, 4 * s3})
	params := 0
	for _, sp := range c.specs() {
		params += shapeLen(sp.shape)
	}
	p.adam("optimizer", 1, params)
	p.run(b, fmt.Sprintf("TransformerNet training step, standard, %dx3x%dx%d", n, s, s))
}

// BenchmarkDCGANTrainOps profiles a DCGANTrainer iteration at pytorch/examples' sizes
// (batch 64, nz 100, ngf = ndf = 64), op by op (see opProfiler): G's forward and backward
// once; D's forward three times, its weight gradients twice, its input gradients three
// times (once for the first layer: only D(G(z)) sends a gradient to the images).
//
//	go test ./models -run '^$' -bench DCGANTrainOps -benchtime 2x
func BenchmarkDCGANTrainOps(b *testing.B) {
	dev, err := gpu.Open(context.Background())
	if err != nil {
		b.Fatalf("needs a Vulkan adapter: %v", err)
	}
	defer dev.Close()
	n := 64
	gc, dc := GeneratorConfig{NZ: 100, NGF: 64, NC: 3}, DiscriminatorConfig{NDF: 64, NC: 3}
	p := &opProfiler{tb: b, dev: dev, rng: rand.New(rand.NewPCG(1, 2))}
	defer p.release()
	gw := []int{gc.NZ, 8 * gc.NGF, 4 * gc.NGF, 2 * gc.NGF, gc.NGF, gc.NC}
	side := 1
	for i := range 5 {
		cp := gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}
		if i == 0 {
			cp = gpu.ConvTranspose2DParams{Stride: 1, Padding: 0}
		}
		dx := 1
		if i == 0 {
			dx = 0
		}
		layer := fmt.Sprintf("G.main.%d", 3*i)
		p.convT(layer, n, gw[i], gw[i+1], 4, side, side, cp, 1, dx, 1)
		if i == 0 {
			side = 4
		} else {
			side *= 2
		}
		shape := []int{n, gw[i+1], side, side}
		if i == 4 {
			p.elementwise("G tanh", "tanh", 1, shape)
			break
		}
		p.elementwise(fmt.Sprintf("G.main.%d", 3*i+1), "batch norm", 1, shape)
		p.elementwise(fmt.Sprintf("G.main.%d", 3*i+2), "relu", 1, shape)
	}
	dw := []int{dc.NC, dc.NDF, 2 * dc.NDF, 4 * dc.NDF, 8 * dc.NDF, 1}
	side = DCGANSize
	for i, idx := range dc.convs() {
		cp := gpu.Conv2DParams{Stride: 2, Padding: 1}
		if i == 4 {
			cp = gpu.Conv2DParams{Stride: 1, Padding: 0}
		}
		dx := 3
		if i == 0 {
			dx = 1
		}
		p.conv(fmt.Sprintf("D.main.%d", idx), n, dw[i], dw[i+1], 4, side, side, cp, false, false, 3, dx, 2)
		if i == 4 {
			p.elementwise("D sigmoid", "sigmoid", 3, []int{n, 1, 1, 1})
			break
		}
		side /= 2
		shape := []int{n, dw[i+1], side, side}
		if i > 0 {
			p.elementwise(fmt.Sprintf("D.main.%d", idx+1), "batch norm", 3, shape)
		}
		p.elementwise("D leaky relu", "leaky relu", 3, shape)
	}
	count := func(specs []tensorSpec) int {
		c := 0
		for _, s := range specs {
			if !isBuffer(s.name) {
				c += shapeLen(s.shape)
			}
		}
		return c
	}
	p.adam("G optimizer", 1, count(gc.specs()))
	p.adam("D optimizer", 1, count(dc.specs()))
	p.run(b, fmt.Sprintf("DCGAN training iteration, batch %d, nz %d, ngf %d, ndf %d", n, gc.NZ, gc.NGF, dc.NDF))
}

func shapeLen(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}
