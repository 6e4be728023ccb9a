package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/internal/imagefile"
	"easel/models"
)

func benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time the networks on this machine's GPU",
		Long: `Time one network's forward pass: after warm-up runs (the driver compiles shaders at the
first dispatch), the median over timed runs of one submit and the wait for the output's
readback, and the GFLOP/s that gives. The setup line gives the cold costs apart: recording
the plan (which compiles its shaders) and the first run. FLOPs count 2·multiply-adds of
the convolutions and transposed convolutions; norms, activations and bias additions are
not counted. easel bench peak measures the FP32 throughput the GPU reaches, the scale
these GFLOP/s compare with.`,
	}
	cmd.AddCommand(benchPeakCmd(), benchStylizeCmd(), benchSampleCmd(), benchTrainCmd())
	return cmd
}

type benchOptions struct {
	model        string
	runs, warmup int
	size, n      int
	defaultN     int
	defaultModel string
	sizeApplies  bool
	archs        []string
	prepare      func(dev *gpu.Device, w *models.Weights, o benchOptions) (*benchCase, error)
	short        string
}

// benchCase is one prepared network: a plan with its input written, its FLOPs per run and
// the number of images a run makes.
type benchCase struct {
	plan    *models.Plan
	release func()
	flops   float64
	images  int
}

func benchStylizeCmd() *cobra.Command {
	return benchSubcommand(benchOptions{
		short: "Time TransformerNet on a square image", defaultModel: defaultStyleBenchModel, defaultN: 1, sizeApplies: true,
		archs: []string{models.ArchTransformerNet, models.ArchTransformerNetLight},
		prepare: func(dev *gpu.Device, w *models.Weights, o benchOptions) (*benchCase, error) {
			m, err := models.NewTransformerNet(dev, w)
			if err != nil {
				return nil, err
			}
			p, err := m.Plan(o.n, o.size, o.size)
			if err != nil {
				m.Release()
				return nil, err
			}
			x := make([]float32, p.Input.Len())
			for i := range x {
				x[i] = float32((i * 37) % 256) // any image will do: the work does not depend on it
			}
			if err := p.Input.Write(x); err != nil {
				p.Release()
				m.Release()
				return nil, err
			}
			return &benchCase{plan: p, release: func() { p.Release(); m.Release() },
				flops: m.Config.FLOPs(o.n, o.size, o.size), images: o.n}, nil
		},
	}, "stylize")
}

func benchSampleCmd() *cobra.Command {
	return benchSubcommand(benchOptions{
		short: "Time the DCGAN generator on a batch", defaultModel: defaultSampleModel, defaultN: 64,
		archs: []string{models.ArchDCGANGenerator},
		prepare: func(dev *gpu.Device, w *models.Weights, o benchOptions) (*benchCase, error) {
			g, err := models.NewGenerator(dev, w)
			if err != nil {
				return nil, err
			}
			p, err := g.Plan(o.n)
			if err != nil {
				g.Release()
				return nil, err
			}
			if err := p.Input.Write(latent(o.n, g.Config.NZ, 1)); err != nil {
				p.Release()
				g.Release()
				return nil, err
			}
			return &benchCase{plan: p, release: func() { p.Release(); g.Release() },
				flops: g.Config.FLOPs(o.n), images: o.n}, nil
		},
	}, "sample")
}

func benchSubcommand(o benchOptions, use string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: o.short,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return bench(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", o.defaultModel, "model name or weights file")
	f.IntVar(&o.runs, "runs", 10, "timed runs")
	f.IntVar(&o.warmup, "warmup", 2, "untimed runs first (shader compilation)")
	f.IntVar(&o.n, "n", o.defaultN, "batch size")
	if o.sizeApplies {
		f.IntVar(&o.size, "size", 256, "image side in pixels")
	}
	return cmd
}

func bench(cmd *cobra.Command, o benchOptions) error {
	if o.runs < 1 || o.runs > 10000 || o.warmup < 0 || o.warmup > 100 {
		return fmt.Errorf("--runs %d, --warmup %d: want 1..10000 and 0..100", o.runs, o.warmup)
	}
	if o.n < 1 || o.n > maxSamples {
		return fmt.Errorf("--n %d: want 1..%d", o.n, maxSamples)
	}
	if o.sizeApplies && (o.size < 5 || o.size > imagefile.MaxSide) {
		return fmt.Errorf("--size %d: want 5..%d", o.size, imagefile.MaxSide)
	}
	w, err := loadModel(cmd, o.model, o.archs...)
	if err != nil {
		return err
	}
	dev, err := gpu.Open(cmd.Context())
	if err != nil {
		return err
	}
	defer dev.Close()
	start := time.Now()
	c, err := o.prepare(dev, w, o)
	if err != nil {
		return fmt.Errorf("model %s: %w", o.model, err)
	}
	defer c.release()
	once := func() error {
		if err := c.plan.Run(); err != nil {
			return err
		}
		_, err := c.plan.Output.Read(cmd.Context())
		return err
	}
	prepared := time.Since(start)
	var first time.Duration
	for i := range o.warmup {
		start := time.Now()
		if err := once(); err != nil {
			return err
		}
		if i == 0 {
			first = time.Since(start)
		}
	}
	times := make([]time.Duration, o.runs)
	for i := range times {
		start := time.Now()
		if err := once(); err != nil {
			return err
		}
		times[i] = time.Since(start)
	}
	slices.Sort(times)
	median := times[len(times)/2]
	if len(times)%2 == 0 {
		median = (times[len(times)/2-1] + times[len(times)/2]) / 2
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

	out := cmd.OutOrStdout()
	trained := "trained"
	if !w.Meta.Trained {
		trained = "UNTRAINED"
	}
	fmt.Fprintf(out, "adapter: %s\n", dev.Adapter())
	fmt.Fprintf(out, "model:   %s (%s %s, %s parameters, %s)\n", o.model, w.Arch, formatConfig(w.Config),
		formatCount(float64(paramCount(w))), trained)
	fmt.Fprintf(out, "input:   %v, %d warm-up and %d timed runs\n", c.plan.Input.Shape(), o.warmup, o.runs)
	if o.warmup > 0 {
		fmt.Fprintf(out, "setup:   plan and shader compiles %.1f ms, first run %.2f ms\n", ms(prepared), ms(first))
	} else {
		fmt.Fprintf(out, "setup:   plan and shader compiles %.1f ms\n", ms(prepared))
	}
	per := "frame"
	if c.images > 1 {
		per = fmt.Sprintf("batch of %d (%.2f ms per image)", c.images, ms(median)/float64(c.images))
	}
	fmt.Fprintf(out, "time:    median %.2f ms per %s; min %.2f ms, max %.2f ms\n", ms(median), per, ms(times[0]), ms(times[len(times)-1]))
	fmt.Fprintf(out, "work:    %.3f GFLOP per run (2·multiply-adds of the convolutions)\n", c.flops/1e9)
	fmt.Fprintf(out, "speed:   %.2f GFLOP/s\n", c.flops/median.Seconds()/1e9)
	return nil
}
