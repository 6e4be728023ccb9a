package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/models"
)

func benchTrainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Time training steps on this machine's GPU",
		Long: `Time one training step: after warm-up steps (the driver compiles shaders at the first
dispatch), the median over timed steps of one step as the trainer runs it (input upload,
one submit of the recorded forward, backward and optimizer passes, the loss readback),
the device memory the step holds, and the GFLOP/s. FLOPs per step are 3× the
2·multiply-adds of the convolutions and transposed convolutions of every forward pass
that is differentiated (the forward 1×, the input and weight gradients 2×); norms,
activations, losses and the optimizer are not counted.`,
	}
	cmd.AddCommand(benchTrainDCGANCmd(), benchTrainTransformerCmd())
	return cmd
}

// trainBench is one prepared training step.
type trainBench struct {
	models  []string // one line per network
	input   string   // what a step works on
	step    func(ctx context.Context) error
	flops   float64
	what    string // what the FLOPs count
	params  int    // trained parameters, for the memory breakdown
	release func()
}

type trainBenchFlags struct {
	runs, warmup int
}

func (f *trainBenchFlags) add(cmd *cobra.Command, runs, warmup int) {
	cmd.Flags().IntVar(&f.runs, "runs", runs, "timed steps")
	cmd.Flags().IntVar(&f.warmup, "warmup", warmup, "untimed steps first (shader compilation)")
}

func benchTrainDCGANCmd() *cobra.Command {
	var f trainBenchFlags
	var batch, nz, ngf, ndf, nc int
	cmd := &cobra.Command{
		Use:   "dcgan",
		Short: "Time one pytorch/examples dcgan training iteration",
		Long: `Time one iteration of pytorch/examples dcgan/main.py, as easel train dcgan runs it: D on a
real batch and on G(z) detached, BCE losses, an Adam step of D; the updated D on G(z), an
Adam step of G. The networks start from dcgan's weights_init; the real batch and the
latents are random and fixed (the work does not depend on them).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch < 2 || batch > maxTrainBatch {
				return fmt.Errorf("--batch %d: want 2..%d", batch, maxTrainBatch)
			}
			for _, v := range []struct {
				name   string
				v, max int
			}{{"nz", nz, 4096}, {"ngf", ngf, 1024}, {"ndf", ndf, 1024}} {
				if v.v < 1 || v.v > v.max {
					return fmt.Errorf("--%s %d: want 1..%d", v.name, v.v, v.max)
				}
			}
			if nc != 1 && nc != 3 {
				return fmt.Errorf("--nc %d: want 1 or 3", nc)
			}
			return benchTrain(cmd, f, func(dev *gpu.Device) (*trainBench, error) {
				return prepareDCGANBench(dev, batch, models.GeneratorConfig{NZ: nz, NGF: ngf, NC: nc},
					models.DiscriminatorConfig{NDF: ndf, NC: nc})
			})
		},
	}
	f.add(cmd, 3, 1)
	fl := cmd.Flags()
	fl.IntVar(&batch, "batch", 64, "batch size")
	fl.IntVar(&nz, "nz", 100, "latent size")
	fl.IntVar(&ngf, "ngf", 64, "generator width")
	fl.IntVar(&ndf, "ndf", 64, "discriminator width")
	fl.IntVar(&nc, "nc", 3, "image channels, 1 or 3")
	return cmd
}

func prepareDCGANBench(dev *gpu.Device, batch int, gc models.GeneratorConfig, dc models.DiscriminatorConfig) (*trainBench, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	g, d := models.InitGenerator(gc, rng), models.InitDiscriminator(dc, rng)
	tr, err := models.NewGANTrainer(dev, g, d, models.GANTrainConfig{Kind: models.GANKindDCGAN, Batch: batch, LR: 0.0002, Beta1: 0.5})
	if err != nil {
		return nil, err
	}
	real := make([]float32, batch*gc.NC*models.DCGANSize*models.DCGANSize)
	for i := range real {
		real[i] = float32(2*rng.Float64() - 1)
	}
	z := latent(batch, gc.NZ, 1)
	return &trainBench{
		models: []string{
			fmt.Sprintf("%s %s, %s parameters (weights_init)", g.Arch, formatConfig(g.Config), formatCount(float64(paramCount(g)))),
			fmt.Sprintf("%s %s, %s parameters (weights_init)", d.Arch, formatConfig(d.Config), formatCount(float64(paramCount(d)))),
		},
		input: fmt.Sprintf("batch of %d real images [%d,%d,%d,%d] and latents [%d,%d]", batch, batch, gc.NC,
			models.DCGANSize, models.DCGANSize, batch, gc.NZ),
		step: func(ctx context.Context) error {
			_, err := tr.Step(ctx, models.GANBatch{Real: real, Z: z})
			return err
		},
		flops:   3 * (gc.FLOPs(batch) + 3*dc.FLOPs(batch)),
		what:    "G once and D three times",
		params:  trainedParams(g) + trainedParams(d),
		release: tr.Release,
	}, nil
}

func benchTrainTransformerCmd() *cobra.Command {
	var f trainBenchFlags
	var model string
	var size, batch int
	var lr float64
	cmd := &cobra.Command{
		Use:   models.ArchTransformerNet,
		Short: "Time one TransformerNet training step (forward, MSE to a fixed target, backward, Adam)",
		Long: `Time one training step of fast_neural_style's TransformerNet on a square input: the forward
pass in training form, the MSE against a fixed target, the backward pass and an Adam step.
There is no loss network (VGG): this is the TransformerNet's own share of a
fast_neural_style step. --model standard (32/64/128 channels, 5 residual blocks) or light
(16/32/64, 3 blocks) starts from PyTorch's default initialisation; any other value names a
model or a weights file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch < 1 || batch > maxTrainBatch {
				return fmt.Errorf("--batch %d: want 1..%d", batch, maxTrainBatch)
			}
			if size < 5 || size > 4096 {
				return fmt.Errorf("--size %d: want 5..4096", size)
			}
			var w *models.Weights
			switch model {
			case "standard":
				w = models.InitTransformerNet(models.StandardTransformer, rand.New(rand.NewPCG(1, 2)))
			case "light":
				w = models.InitTransformerNet(models.LightTransformer, rand.New(rand.NewPCG(1, 2)))
			default:
				var err error
				if w, err = loadModel(cmd, model, models.ArchTransformerNet, models.ArchTransformerNetLight); err != nil {
					return err
				}
			}
			return benchTrain(cmd, f, func(dev *gpu.Device) (*trainBench, error) {
				return prepareTransformerBench(dev, w, model, batch, size, lr)
			})
		},
	}
	f.add(cmd, 5, 2)
	fl := cmd.Flags()
	fl.StringVar(&model, "model", "standard", "standard, light, or a model name or weights file")
	fl.IntVar(&size, "size", 256, "image side in pixels")
	fl.IntVar(&batch, "batch", 1, "batch size")
	fl.Float64Var(&lr, "lr", 1e-3, "Adam learning rate")
	return cmd
}

func prepareTransformerBench(dev *gpu.Device, w *models.Weights, name string, batch, size int, lr float64) (*trainBench, error) {
	tr, err := models.NewTransformerTrainer(dev, w, models.TransformerTrainConfig{Batch: batch, Height: size, Width: size, LR: lr})
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	xs, ys := tr.InputShape(), tr.OutputShape()
	x := make([]float32, xs[0]*xs[1]*xs[2]*xs[3])
	for i := range x {
		x[i] = float32((i * 37) % 256) // any image will do: the work does not depend on it
	}
	target := make([]float32, ys[0]*ys[1]*ys[2]*ys[3])
	for i := range target {
		target[i] = float32((i * 91) % 256)
	}
	if err := tr.SetTarget(target); err != nil {
		tr.Release()
		return nil, err
	}
	first := true
	return &trainBench{
		models: []string{fmt.Sprintf("%s (%s %s, %s parameters)", name, w.Arch, formatConfig(tr.Config.Config()),
			formatCount(float64(paramCount(w))))},
		input: fmt.Sprintf("%v in 0..255, fixed target %v, Adam lr %g", xs, ys, lr),
		step: func(ctx context.Context) error {
			in := x
			if !first {
				in = nil // the input stays
			}
			first = false
			_, err := tr.Step(ctx, in)
			return err
		},
		flops:   3 * tr.Config.FLOPs(batch, size, size),
		what:    "the forward pass",
		params:  trainedParams(w),
		release: tr.Release,
	}, nil
}

// trainedParams counts the values of w's trained tensors (not batch norm's running
// statistics).
func trainedParams(w *models.Weights) int {
	n := 0
	for i := range w.Tensors {
		t := &w.Tensors[i]
		if !strings.HasSuffix(t.Name, ".running_mean") && !strings.HasSuffix(t.Name, ".running_var") {
			n += t.NumElements()
		}
	}
	return n
}

func benchTrain(cmd *cobra.Command, f trainBenchFlags, prepare func(dev *gpu.Device) (*trainBench, error)) error {
	if f.runs < 1 || f.runs > 10000 || f.warmup < 0 || f.warmup > 100 {
		return fmt.Errorf("--runs %d, --warmup %d: want 1..10000 and 0..100", f.runs, f.warmup)
	}
	ctx := cmd.Context()
	dev, err := gpu.Open(ctx)
	if err != nil {
		return err
	}
	defer dev.Close()
	before := dev.LiveBytes()
	recordStart := time.Now()
	c, err := prepare(dev)
	if err != nil {
		return err
	}
	defer c.release()
	recordTime := time.Since(recordStart)
	held := dev.LiveBytes() - before

	var firstStep time.Duration
	for i := range f.warmup {
		start := time.Now()
		if err := c.step(ctx); err != nil {
			return err
		}
		if i == 0 {
			firstStep = time.Since(start)
		}
	}
	times := make([]time.Duration, f.runs)
	cpus := make([]time.Duration, f.runs)
	cpuOK := true
	for i := range times {
		start := time.Now()
		cpu0, ok0 := cpuTime()
		if err := c.step(ctx); err != nil {
			return err
		}
		times[i] = time.Since(start)
		cpu1, ok1 := cpuTime()
		cpus[i], cpuOK = cpu1-cpu0, cpuOK && ok0 && ok1
	}
	grown := int64(dev.LiveBytes()) - int64(before+held)
	median := medianDuration(times)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	mib := func(b uint64) float64 { return float64(b) / (1 << 20) }

	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "adapter: %s\n", dev.Adapter())
	for _, m := range c.models {
		fmt.Fprintf(out, "model:   %s\n", m)
	}
	fmt.Fprintf(out, "input:   %s\n", c.input)
	fmt.Fprintf(out, "steps:   %d warm-up and %d timed; recording took %.0f ms", f.warmup, f.runs, ms(recordTime))
	if f.warmup > 0 {
		fmt.Fprintf(out, ", the first step %.0f ms", ms(firstStep))
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "time:    median %.2f ms per step; min %.2f ms, max %.2f ms\n", ms(median), ms(times[0]), ms(times[len(times)-1]))
	if cpuOK {
		fmt.Fprintf(out, "cpu:     median %.2f ms CPU time per step (the process's, every thread: on lavapipe the driver's workers)\n", ms(medianDuration(cpus)))
	}
	// Weights, gradients and Adam's two moments: four values per trained parameter.
	fixed := uint64(c.params) * 4 * 4
	fmt.Fprintf(out, "memory:  %.1f MiB of device buffers held by the recorded step (%.1f MiB weights, gradients and Adam moments; %.1f MiB inputs, activations, values saved for backward, gradients and temporaries)\n",
		mib(held), mib(fixed), mib(held-min(fixed, held)))
	if grown != 0 {
		fmt.Fprintf(out, "         and %+.1f MiB after the timed steps\n", float64(grown)/(1<<20))
	}
	fmt.Fprintf(out, "work:    %.3f GFLOP per step (3× the 2·multiply-adds of the convolutions of %s)\n", c.flops/1e9, c.what)
	fmt.Fprintf(out, "speed:   %.2f GFLOP/s\n", c.flops/median.Seconds()/1e9)
	return nil
}

// medianDuration sorts ds and returns their median.
func medianDuration(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	m := ds[len(ds)/2]
	if len(ds)%2 == 0 {
		m = (ds[len(ds)/2-1] + ds[len(ds)/2]) / 2
	}
	return m
}
