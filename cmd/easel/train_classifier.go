package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/models"
)

// classifierFlags are easel train classifier's flags.
type classifierFlags struct {
	data, out                                       string
	size, width, nc, steps, batch, evalEvery, evalN int
	lr, holdout                                     float64
	seed                                            uint64
}

func trainClassifierCmd() *cobra.Command {
	var f classifierFlags
	cmd := &cobra.Command{
		Use:   "classifier --data mnist|fashion-mnist|DIR|X.npy --steps N --out C.msgpack",
		Short: "Train the image classifier that measures generated images (classes, attributes, features)",
		Long: `Train Easel's image classifier (arch classifier): a 3×3 convolution, then stride-2 4×4
convolutions with batch norm and LeakyReLU(0.2) down to 4×4, a global average pool (the
features, 4·width values per image) and a linear layer giving one logit per class and one
per binary attribute. It reads the class and attributes of generated images (how a GAN's
samples spread over the data's classes, InfoGAN's categorical code read as a digit), and
its features serve nearest-neighbour search.

--data is a named data set scaled to --size (mnist, fashion-mnist: their labels are the
classes) or another set that has labels or attributes. Each step draws a batch of --batch
images in a new random order every epoch (seeded by --seed, as are the initial weights)
and takes one Adam step on cross entropy over the classes plus binary cross entropy over
the attributes.

At the end the classifier is measured on held-out images: the set's test split (mnist:test,
fashion-mnist:test), or for a set without one the --holdout share of it, kept out of
training. Every --eval-every steps a quick check on --eval-n held-out images is printed.
--out receives the weights (written atomically), with the data, steps, seed, command,
training time and held-out accuracy in their meta.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return trainClassifier(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "training data: mnist, fashion-mnist, or another labelled set")
	fl.IntVar(&f.size, "size", 32, "image side, 32 or 64")
	fl.IntVar(&f.width, "width", 32, "network width w (features: 4·w per image)")
	fl.IntVar(&f.nc, "nc", 0, "image channels, 1 or 3 (0: 1 for mnist and fashion-mnist, else 3)")
	fl.IntVar(&f.steps, "steps", 0, "training steps")
	fl.IntVar(&f.batch, "batch", 64, "batch size")
	fl.Float64Var(&f.lr, "lr", models.DefaultClassifierLR, "Adam learning rate")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the initial weights, the data order and a held-out share")
	fl.Float64Var(&f.holdout, "holdout", 0.1, "share of a set without a test split held out for measuring")
	fl.IntVar(&f.evalEvery, "eval-every", 500, "check the held-out accuracy every N steps (0: only at the end)")
	fl.IntVar(&f.evalN, "eval-n", 1000, "held-out images of the periodic check")
	fl.StringVar(&f.out, "out", "", "trained classifier weights (.msgpack)")
	cmd.MarkFlagRequired("data")
	cmd.MarkFlagRequired("steps")
	cmd.MarkFlagRequired("out")
	return cmd
}

func (f classifierFlags) check() error {
	switch {
	case f.steps < 1 || f.steps > maxTrainSteps:
		return fmt.Errorf("--steps %d: want 1..%d", f.steps, maxTrainSteps)
	case f.batch < 2 || f.batch > maxTrainBatch:
		return fmt.Errorf("--batch %d: want 2..%d (batch norm needs two images per batch)", f.batch, maxTrainBatch)
	case f.size != 32 && f.size != 64:
		return fmt.Errorf("--size %d: want 32 or 64", f.size)
	case f.nc != 0 && f.nc != 1 && f.nc != 3:
		return fmt.Errorf("--nc %d: want 1 or 3 (or 0 to choose by the data)", f.nc)
	case !(f.lr > 0 && f.lr < 1):
		return fmt.Errorf("--lr %v: want a value in (0, 1)", f.lr)
	case !(f.holdout > 0 && f.holdout < 1):
		return fmt.Errorf("--holdout %v: want a share in (0, 1)", f.holdout)
	case f.evalEvery < 0:
		return fmt.Errorf("--eval-every %d: want 0 or more", f.evalEvery)
	case f.evalN < 1:
		return fmt.Errorf("--eval-n %d: want 1 or more", f.evalN)
	case !strings.EqualFold(filepath.Ext(f.out), ".msgpack"):
		return fmt.Errorf("--out %s: want a .msgpack weights file", f.out)
	}
	// Found out now rather than after the training.
	if fi, err := os.Stat(filepath.Dir(f.out)); err != nil || !fi.IsDir() {
		return fmt.Errorf("--out %s: its folder %s does not exist", f.out, filepath.Dir(f.out))
	}
	return nil
}

// classifierRun is a training run's data and state.
type classifierRun struct {
	f                 classifierFlags
	log               io.Writer
	train, held       models.ClassifierData
	trainIdx, heldIdx []int // the images of each that the run uses
	heldSource        string
	rng               *rand.Rand
	order             []int
	pos               int
	tr                *models.ClassifierTrainer
	dev               *gpu.Device
	command           string
	start             time.Time
	loopTime          time.Duration // the training steps' wall time, without loading and measuring
}

func trainClassifier(cmd *cobra.Command, f classifierFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	r := &classifierRun{f: f, log: cmd.ErrOrStderr(), command: commandLine(cmd), start: time.Now(),
		rng: rand.New(rand.NewPCG(f.seed, 1))}
	if err := r.loadData(); err != nil {
		return err
	}
	c := models.ClassifierConfig{NC: r.train.C, Size: f.size, Width: f.width, Classes: r.train.Classes, Attrs: len(r.train.AttrNames), AttrNames: r.train.AttrNames}
	w, err := models.InitClassifier(c, rand.New(rand.NewPCG(f.seed, 0)))
	if err != nil {
		return err
	}
	if err := r.train.Check(c); err != nil {
		return err
	}
	if err := r.held.Check(c); err != nil {
		return fmt.Errorf("held-out data: %w", err)
	}
	ctx := cmd.Context()
	if r.dev, err = gpu.Open(ctx); err != nil {
		return err
	}
	defer r.dev.Close()
	fmt.Fprintf(r.log, "easel: training a classifier (%d classes, %d attributes, width %d) on %s (%d images) with %s\n",
		c.Classes, c.Attrs, c.Width, r.train.Source, len(r.trainIdx), r.dev.Adapter())
	if r.tr, err = models.NewClassifierTrainer(r.dev, w, models.ClassifierTrainConfig{Batch: f.batch, LR: f.lr}); err != nil {
		return err
	}
	defer r.tr.Release()
	if err := r.loop(ctx); err != nil {
		return err
	}
	return r.finish(ctx)
}

// loadData loads the training data and the held-out images: the set's test split, or a
// seeded share of the set kept out of training.
func (r *classifierRun) loadData() error {
	f := r.f
	nc := f.nc
	if nc == 0 {
		nc = 3
		if models.GrayDataset(f.data) {
			nc = 1
		}
	}
	d, err := models.LoadDataset(f.data, f.size, nc)
	if err != nil {
		return err
	}
	r.train = models.NewClassifierData(d)
	if r.train.Classes == 0 && len(r.train.AttrNames) == 0 {
		return fmt.Errorf("data %s has neither labels nor attributes: nothing for a classifier to learn", f.data)
	}
	test, err := models.LoadTestDataset(f.data, f.size, nc)
	switch {
	case err == nil:
		r.held, r.heldSource = models.NewClassifierData(test), test.Source
		r.held.Classes = max(r.held.Classes, r.train.Classes)
		r.trainIdx, r.heldIdx = seq(d.N), seq(test.N)
	case errors.Is(err, models.ErrNoTestSplit):
		if r.trainIdx, r.heldIdx, err = holdOut(d.N, f.holdout, f.seed, f.batch); err != nil {
			return fmt.Errorf("data %s: %w", f.data, err)
		}
		r.held, r.heldSource = r.train, fmt.Sprintf("%s, %d images held out", d.Source, len(r.heldIdx))
	default:
		return fmt.Errorf("held-out data: %w", err)
	}
	if len(r.trainIdx) < f.batch {
		return fmt.Errorf("data %s: %d training images, fewer than one batch of %d", f.data, len(r.trainIdx), f.batch)
	}
	return nil
}

// holdOut splits images 0..n-1 into training and held-out ones: a seeded random share of
// them held out, at least one, leaving at least one batch for training.
func holdOut(n int, share float64, seed uint64, batch int) (train, held []int, err error) {
	k := int(share * float64(n))
	if k < 1 || n-k < batch {
		return nil, nil, fmt.Errorf("%d images: holding out %g of them leaves %d held-out and %d training images, want at least 1 and one batch of %d",
			n, share, k, n-k, batch)
	}
	perm := rand.New(rand.NewPCG(seed, 2)).Perm(n)
	return perm[k:], perm[:k], nil
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// nextBatch returns the data indices of the next batch, starting a new epoch in a new
// random order when fewer than a batch remain.
func (r *classifierRun) nextBatch() []int {
	b := r.f.batch
	if r.order == nil || r.pos+b > len(r.order) {
		perm := r.rng.Perm(len(r.trainIdx))
		r.order = make([]int, len(perm))
		for i, p := range perm {
			r.order[i] = r.trainIdx[p]
		}
		r.pos = 0
	}
	idx := r.order[r.pos : r.pos+b]
	r.pos += b
	return idx
}

func (r *classifierRun) loop(ctx context.Context) error {
	f, c := r.f, r.tr.Config
	images := make([]float32, f.batch*c.NC*c.Size*c.Size)
	var labels []int
	if c.Classes > 0 {
		labels = make([]int, f.batch)
	}
	var attrs []float32
	if c.Attrs > 0 {
		attrs = make([]float32, f.batch*c.Attrs)
	}
	last := time.Now()
	var evalTime time.Duration
	defer func(start time.Time) { r.loopTime = time.Since(start) - evalTime }(last)
	for step := 1; step <= f.steps; step++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted at step %d: %w", step, err)
		}
		r.train.TrainingBatch(r.nextBatch(), images, labels, attrs)
		if err := r.tr.Submit(images, labels, attrs); err != nil {
			return err
		}
		atEval := f.evalEvery > 0 && step%f.evalEvery == 0 && step < f.steps
		// The GPU runs queued steps back to back; their figures come back together.
		if r.tr.Pending() < models.StatsRing && !atEval && step < f.steps {
			continue
		}
		stats, err := r.tr.Collect(ctx)
		if err != nil {
			return err
		}
		var loss, cl, al float64
		for _, s := range stats {
			loss, cl, al = loss+s.Loss, cl+s.ClassLoss, al+s.AttrLoss
		}
		n := float64(len(stats))
		fmt.Fprintf(r.log, "[%d/%d] loss %.4f (classes %.4f, attributes %.4f) %.2f steps/s\n",
			step, f.steps, loss/n, cl/n, al/n, n/time.Since(last).Seconds())
		last = time.Now()
		if atEval {
			ev, err := r.evaluate(ctx, r.heldIdx[:min(f.evalN, len(r.heldIdx))])
			if err != nil {
				return err
			}
			fmt.Fprintf(r.log, "[%d/%d] held-out check: %s\n", step, f.steps, r.describe(ev))
			evalTime += time.Since(last)
			last = time.Now()
		}
	}
	return nil
}

// evaluate measures the classifier as it is now on held-out images idx.
func (r *classifierRun) evaluate(ctx context.Context, idx []int) (models.ClassifierEval, error) {
	w, err := r.tr.Weights(ctx)
	if err != nil {
		return models.ClassifierEval{}, err
	}
	m, err := models.NewClassifier(r.dev, w)
	if err != nil {
		return models.ClassifierEval{}, err
	}
	defer m.Release()
	return m.Evaluate(ctx, r.held, idx)
}

// describe is ev in words: the class accuracy and each attribute's.
func (r *classifierRun) describe(ev models.ClassifierEval) string {
	var parts []string
	if r.tr.Config.Classes > 0 {
		parts = append(parts, fmt.Sprintf("accuracy %.4f", ev.Accuracy))
	}
	for i, a := range ev.AttrAccuracy {
		parts = append(parts, fmt.Sprintf("%s %.4f", r.held.AttrNames[i], a))
	}
	return fmt.Sprintf("%s on %d images", strings.Join(parts, ", "), ev.N)
}

// finish measures the classifier on every held-out image and writes it.
func (r *classifierRun) finish(ctx context.Context) error {
	f, c := r.f, r.tr.Config
	ev, err := r.evaluate(ctx, r.heldIdx)
	if err != nil {
		return err
	}
	result := r.describe(ev)
	fmt.Fprintf(r.log, "easel: held-out (%s): %s\n", r.heldSource, result)
	w, err := r.tr.Weights(ctx)
	if err != nil {
		return err
	}
	attrs := ""
	if c.Attrs > 0 {
		attrs = ", attributes " + strings.Join(r.train.AttrNames, " ")
	}
	w.Meta = models.Meta{
		Name:    strings.TrimSuffix(filepath.Base(f.out), filepath.Ext(f.out)),
		License: "CC0-1.0",
		Source:  "easel train classifier on " + r.train.Source,
		Description: fmt.Sprintf("Image classifier trained by Easel: data %s (%d training images, %d classes%s), size %d, width %d, "+
			"batch %d, Adam lr %g, seed %d, %d steps in %s. Held-out (%s): %s.", r.train.Source, len(r.trainIdx), c.Classes, attrs,
			c.Size, c.Width, f.batch, f.lr, f.seed, r.tr.Steps(), r.loopTime.Round(time.Second), r.heldSource, result),
		Trained:         true,
		TrainingCommand: r.command,
		Steps:           int64(r.tr.Steps()),
		Date:            time.Now().UTC().Format("2006-01-02"),
	}
	if err := models.WriteFile(f.out, w); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(r.log, "easel: wrote %s (%d steps in %s, %.2f steps/s; %s in all)\n", f.out, r.tr.Steps(),
		r.loopTime.Round(time.Second), float64(r.tr.Steps())/r.loopTime.Seconds(), time.Since(r.start).Round(time.Second))
	return nil
}
