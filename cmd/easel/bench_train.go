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
that is differentiated (the forward 1×, the input and weight gradients 2×, counted so even
for a fixed loss network, whose weight gradients are not computed), and 1× those of a
forward pass that is not (the WGAN critic steps' fakes, the style step's loss network on
the crops); norms, activations, pooling, Gram matrices, losses and the optimizer are not
counted.`,
	}
	cmd.AddCommand(benchTrainDCGANCmd(), benchTrainGANCmd(), benchTrainTransformerCmd(), benchTrainStyleCmd(), benchTrainGatysCmd())
	return cmd
}

// trainBench is one prepared training step.
type trainBench struct {
	models  []string // one line per network
	input   string   // what a step works on
	step    func(ctx context.Context) error
	flops   float64
	what    string // what the FLOPs count: "3× the 2·multiply-adds of the convolutions of …"
	params  int    // trained parameters, for the memory breakdown
	rmsprop bool   // the optimizer keeps one moment (RMSprop), not two (Adam)
	// fixedWeights are the values of a network the step runs but does not train (a loss
	// network), for the memory breakdown.
	fixedWeights int
	release      func()
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
	return prepareGANBench(dev, models.GANTrainConfig{Kind: models.GANKindDCGAN, Batch: batch, LR: 0.0002, Beta1: 0.5}, gc, dc)
}

// ganBenchFlags are the settings of easel bench train gan; a flag not given takes the
// kind's default (ganBenchDefaults).
type ganBenchFlags struct {
	kind                          string
	batch, size, nc, nz, ngf, ndf int
	classes, cat, cont, nCritic   int
}

// ganBenchDefaults are easel train <kind>'s defaults: 64×64 colour images for dcgan and
// wgan, 32×32 digits (10 classes; InfoGAN's nz 62, 10-way code and 2 continuous codes)
// for cgan and infogan; widths 64, batch 64, 5 critic steps.
func ganBenchDefaults(kind string) ganBenchFlags {
	f := ganBenchFlags{kind: kind, batch: 64, size: models.DCGANSize, nc: 3, nz: 100, ngf: 64, ndf: 64}
	switch kind {
	case models.GANKindCGAN:
		f.size, f.nc, f.classes = 32, 1, 10
	case models.GANKindInfoGAN:
		f.size, f.nc, f.nz, f.cat, f.cont = 32, 1, 62, 10, 2
	case models.GANKindWGAN:
		f.nCritic = 5
	}
	return f
}

// ganBenchKindFlags are the flags only one kind takes, and that kind.
var ganBenchKindFlags = [][2]string{
	{"classes", models.GANKindCGAN}, {"cat", models.GANKindInfoGAN}, {"cont", models.GANKindInfoGAN}, {"n-critic", models.GANKindWGAN},
}

// resolve fills the flags not given from the kind's defaults and checks them all.
func (f *ganBenchFlags) resolve(flags interface{ Changed(string) bool }) error {
	if !slices.Contains(models.GANKinds, f.kind) {
		return fmt.Errorf("--kind %q: want one of %s", f.kind, strings.Join(models.GANKinds, ", "))
	}
	for _, fk := range ganBenchKindFlags {
		if name, kind := fk[0], fk[1]; flags.Changed(name) && kind != f.kind {
			return fmt.Errorf("--%s: only --kind %s takes it, not %s", name, kind, f.kind)
		}
	}
	def := ganBenchDefaults(f.kind)
	for name, v := range map[string][2]*int{
		"batch": {&f.batch, &def.batch}, "size": {&f.size, &def.size}, "nc": {&f.nc, &def.nc}, "nz": {&f.nz, &def.nz},
		"ngf": {&f.ngf, &def.ngf}, "ndf": {&f.ndf, &def.ndf}, "classes": {&f.classes, &def.classes},
		"cat": {&f.cat, &def.cat}, "cont": {&f.cont, &def.cont}, "n-critic": {&f.nCritic, &def.nCritic},
	} {
		if !flags.Changed(name) {
			*v[0] = *v[1]
		}
	}
	switch {
	case f.batch < 2 || f.batch > maxTrainBatch:
		return fmt.Errorf("--batch %d: want 2..%d (batch norm needs two images per batch)", f.batch, maxTrainBatch)
	case f.size != 32 && f.size != 64:
		return fmt.Errorf("--size %d: want 32 or 64", f.size)
	case f.nc != 1 && f.nc != 3:
		return fmt.Errorf("--nc %d: want 1 or 3", f.nc)
	case f.kind == models.GANKindCGAN && (f.classes < 2 || f.classes > 1000):
		return fmt.Errorf("--classes %d: want 2..1000", f.classes)
	case f.kind == models.GANKindInfoGAN && (f.cat == 1 || f.cat < 0 || f.cont < 0 || f.cat+f.cont == 0 || f.cat > 1000 || f.cont > 1000):
		return fmt.Errorf("--cat %d --cont %d: want a categorical code of 2..1000 values and/or 1..1000 continuous codes", f.cat, f.cont)
	case f.kind == models.GANKindWGAN && (f.nCritic < 1 || f.nCritic > 100):
		return fmt.Errorf("--n-critic %d: want 1..100", f.nCritic)
	}
	for _, v := range []struct {
		name   string
		v, max int
	}{{"nz", f.nz, 4096}, {"ngf", f.ngf, 1024}, {"ndf", f.ndf, 1024}} {
		if v.v < 1 || v.v > v.max {
			return fmt.Errorf("--%s %d: want 1..%d", v.name, v.v, v.max)
		}
	}
	return nil
}

func benchTrainGANCmd() *cobra.Command {
	var f trainBenchFlags
	var g ganBenchFlags
	cmd := &cobra.Command{
		Use:   "gan",
		Short: "Time one GAN training iteration of any kind (dcgan, cgan, infogan, wgan)",
		Long: `Time one iteration of easel train <kind> (models.GANTrainer), with its default learning
rates and weights: dcgan is pytorch/examples dcgan's (D on a real batch and on G(z)
detached, BCE, an Adam step of D; the updated D on G(z), an Adam step of G); cgan the same
with the class in G's and D's inputs; infogan adds the Q head and its mutual-information
loss (weights 1 and 0.1) on the fakes, in D's step and in G's; wgan is --n-critic critic
steps (G's forward alone, the critic on a real batch and on the fakes, RMSprop, clipping)
and one generator step. The networks start from dcgan's weights_init; the real batches,
classes, codes and latents are random and fixed (the work does not depend on them).

Flags not given take easel train <kind>'s defaults: 64×64 colour images for dcgan and
wgan, 32×32 one-channel images with 10 classes (cgan) or nz 62, a 10-way code and 2
continuous codes (infogan), ngf = ndf = 64, batch 64, 5 critic steps.

FLOPs, each pass 3× but where noted: dcgan and cgan, G once and D three times; infogan,
G once, D's body three times and the Q head twice (on the fakes); wgan, in each critic
step G's forward 1× and the critic twice, then G and the critic once.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.resolve(cmd.Flags()); err != nil {
				return err
			}
			gc := models.GeneratorConfig{NZ: g.nz, NGF: g.ngf, NC: g.nc, Size: g.size, Classes: g.classes, Cat: g.cat, Cont: g.cont}
			dc := models.DiscriminatorConfig{NDF: g.ndf, NC: g.nc, Size: g.size, Classes: g.classes, Cat: g.cat, Cont: g.cont}
			tc := models.GANTrainConfig{Kind: g.kind, Batch: g.batch, LR: 0.0002, Beta1: 0.5}
			switch g.kind {
			case models.GANKindWGAN:
				tc.LR, tc.Clip, tc.NCritic = 0.00005, 0.01, g.nCritic
			case models.GANKindInfoGAN:
				tc.InfoCat, tc.InfoCont = 1, 0.1
			}
			return benchTrain(cmd, f, func(dev *gpu.Device) (*trainBench, error) {
				return prepareGANBench(dev, tc, gc, dc)
			})
		},
	}
	f.add(cmd, 3, 1)
	fl := cmd.Flags()
	fl.StringVar(&g.kind, "kind", models.GANKindDCGAN, "training algorithm: "+strings.Join(models.GANKinds, ", "))
	fl.IntVar(&g.batch, "batch", 0, "batch size (default 64)")
	fl.IntVar(&g.size, "size", 0, "image side, 32 or 64 (default: 32 for cgan and infogan, 64 otherwise)")
	fl.IntVar(&g.nc, "nc", 0, "image channels, 1 or 3 (default: 1 for cgan and infogan, 3 otherwise)")
	fl.IntVar(&g.nz, "nz", 0, "latent size (default: 62 for infogan, 100 otherwise)")
	fl.IntVar(&g.ngf, "ngf", 0, "generator width (default 64)")
	fl.IntVar(&g.ndf, "ndf", 0, "discriminator width (default 64)")
	fl.IntVar(&g.classes, "classes", 0, "cgan: classes (default 10)")
	fl.IntVar(&g.cat, "cat", 0, "infogan: values of the categorical code, 0 for none (default 10)")
	fl.IntVar(&g.cont, "cont", 0, "infogan: continuous codes (default 2)")
	fl.IntVar(&g.nCritic, "n-critic", 0, "wgan: critic steps per generator step (default 5)")
	return cmd
}

// prepareGANBench records one iteration of tc.Kind on networks of configs gc and dc,
// initialised as dcgan's weights_init, with fixed random inputs.
func prepareGANBench(dev *gpu.Device, tc models.GANTrainConfig, gc models.GeneratorConfig, dc models.DiscriminatorConfig) (*trainBench, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	g, d := models.InitGenerator(gc, rng), models.InitDiscriminator(dc, rng)
	tr, err := models.NewGANTrainer(dev, g, d, tc)
	if err != nil {
		return nil, err
	}
	in := ganBenchInput(tr, rng)
	n, side := tc.Batch, gc.Side()
	input := fmt.Sprintf("batch of %d real images [%d,%d,%d,%d] and latents [%d,%d]", n, n, gc.NC, side, side, n, gc.NZ)
	switch tc.Kind {
	case models.GANKindCGAN:
		input += fmt.Sprintf(", one of %d classes for each image", gc.Classes)
	case models.GANKindInfoGAN:
		input += fmt.Sprintf(" with a %d-way code and %d continuous codes, information weights %g and %g", gc.Cat, gc.Cont, tc.InfoCat, tc.InfoCont)
	case models.GANKindWGAN:
		input = fmt.Sprintf("%d critic steps (clip %g), each on a batch of %d real images [%d,%d,%d,%d] and latents [%d,%d], and a generator step on latents [%d,%d]",
			tc.NCritic, tc.Clip, n, n, gc.NC, side, side, n, gc.NZ, n, gc.NZ)
	}
	opt := fmt.Sprintf("Adam lr %g, beta1 %g", tc.LR, tc.Beta1)
	if tc.Kind == models.GANKindWGAN {
		opt = fmt.Sprintf("RMSprop lr %g", tc.LR)
	}
	flops, what := ganBenchFLOPs(tc, gc, dc)
	return &trainBench{
		models: []string{
			fmt.Sprintf("%s %s, %s parameters (weights_init)", g.Arch, formatConfig(g.Config), formatCount(float64(paramCount(g)))),
			fmt.Sprintf("%s %s, %s parameters (weights_init)", d.Arch, formatConfig(d.Config), formatCount(float64(paramCount(d)))),
		},
		input: fmt.Sprintf("%s: %s; %s", tc.Kind, input, opt),
		step: func(ctx context.Context) error {
			_, err := tr.Step(ctx, in)
			return err
		},
		flops:   flops,
		what:    what,
		params:  trainedParams(g) + trainedParams(d),
		rmsprop: tc.Kind == models.GANKindWGAN,
		release: tr.Release,
	}, nil
}

// ganBenchFLOPs is the nominal work of one iteration of tc.Kind, and what it counts: 3×
// each differentiated forward pass, 1× the WGAN critic steps' G forward.
func ganBenchFLOPs(tc models.GANTrainConfig, gc models.GeneratorConfig, dc models.DiscriminatorConfig) (float64, string) {
	n := tc.Batch
	g, d := gc.FLOPs(n), dc.FLOPs(n)
	switch tc.Kind {
	case models.GANKindInfoGAN:
		body := dc
		body.Cat, body.Cont = 0, 0
		q := d - body.FLOPs(n) // the Q head: on the fakes only, in D's step and in G's
		return 3 * (g + 3*body.FLOPs(n) + 2*q), "3× the 2·multiply-adds of the convolutions of G once, D three times and the Q head twice"
	case models.GANKindWGAN:
		k := float64(tc.NCritic)
		return k*(g+3*2*d) + 3*(g+d), fmt.Sprintf("2·multiply-adds of the convolutions: in each of %d critic steps G's forward 1× and the critic twice 3×; in the generator step G and the critic once, 3×", tc.NCritic)
	}
	return 3 * (g + 3*d), "3× the 2·multiply-adds of the convolutions of G once and D three times"
}

// ganBenchInput draws one iteration's fixed inputs for tr: images in -1..1, N(0,1)
// latents, classes and codes.
func ganBenchInput(tr *models.GANTrainer, rng *rand.Rand) models.GANBatch {
	n, side := tr.TC.Batch, tr.G.Side()
	in := models.GANBatch{
		Real: make([]float32, tr.RealBatches()*n*tr.G.NC*side*side),
		Z:    make([]float32, tr.ZBatches()*n*tr.G.NZ),
	}
	for i := range in.Real {
		in.Real[i] = float32(2*rng.Float64() - 1)
	}
	for i := range in.Z {
		in.Z[i] = float32(rng.NormFloat64())
	}
	if k := tr.G.Classes + tr.G.Cat; k > 0 {
		for range n {
			in.FakeClass = append(in.FakeClass, rng.IntN(k))
		}
	}
	if tr.G.Classes > 0 {
		for range n {
			in.RealClass = append(in.RealClass, rng.IntN(tr.G.Classes))
		}
	}
	for range n * tr.G.Cont {
		in.Cont = append(in.Cont, float32(2*rng.Float64()-1))
	}
	return in
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
		what:    "3× the 2·multiply-adds of the convolutions of the forward pass",
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
	// Weights, gradients and Adam's two moments: four values per trained parameter
	// (RMSprop's one moment: three).
	perParam, state := uint64(4), "Adam moments"
	if c.rmsprop {
		perParam, state = 3, "RMSprop averages"
	}
	fixed := uint64(c.params)*perParam*4 + uint64(c.fixedWeights)*4
	lossNet := ""
	if c.fixedWeights > 0 {
		lossNet = fmt.Sprintf(", %.1f MiB the loss network's weights", mib(uint64(c.fixedWeights)*4))
	}
	fmt.Fprintf(out, "memory:  %.1f MiB of device buffers held by the recorded step (%.1f MiB weights, gradients and %s%s; %.1f MiB inputs, activations, values saved for backward, gradients and temporaries)\n",
		mib(held), mib(uint64(c.params)*perParam*4), state, lossNet, mib(held-min(fixed, held)))
	if grown != 0 {
		fmt.Fprintf(out, "         and %+.1f MiB after the timed steps\n", float64(grown)/(1<<20))
	}
	fmt.Fprintf(out, "work:    %.3f GFLOP per step (%s)\n", c.flops/1e9, c.what)
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
