package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/models"
)

func directionsCmd() *cobra.Command {
	var model, classifier, out string
	var n, minSide int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "directions --model G --classifier C --out D.msgpack [--n N --seed S]",
		Short: "Find attribute directions in a generator's latent space (for latent arithmetic)",
		Long: `Find one latent direction per attribute of a classifier: draw N latents (seeded), generate
their images, let the classifier (easel train classifier, on a data set with attributes,
e.g. faces) judge each attribute, and take the mean latent of the samples that have it
minus the mean of those that lack it. This is the lecture's latent arithmetic ("man with
glasses − man without glasses"), with the judging done by a classifier instead of by
hand. Adding a direction to a latent adds the attribute: the page's attribute buttons do
that. An attribute seen on fewer than --min samples (or missing on fewer) is left out,
with a note. The output (arch latent-directions) names the generator it belongs to.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 2 || n > 1<<20 {
				return fmt.Errorf("--n %d: want 2..%d", n, 1<<20)
			}
			if err := refuseInput(out, model, classifier); err != nil {
				return err
			}
			return findDirections(cmd, model, classifier, out, n, minSide, seed)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&model, "model", defaultSampleModel, "generator (arch dcgan-g)")
	fl.StringVar(&classifier, "classifier", "classifier-faces", "classifier with attributes")
	fl.StringVar(&out, "out", "", "directions file to write (.msgpack)")
	fl.IntVar(&n, "n", 4096, "latents to draw")
	fl.IntVar(&minSide, "min", 32, "fewest samples with (and without) an attribute to keep its direction")
	fl.Uint64Var(&seed, "seed", 1, "seed of the latents")
	cmd.MarkFlagRequired("out")
	return cmd
}

func findDirections(cmd *cobra.Command, model, classifier, out string, n, minSide int, seed uint64) error {
	start := time.Now()
	gw, err := loadModel(cmd, model, models.ArchDCGANGenerator)
	if err != nil {
		return err
	}
	cw, err := loadModel(cmd, classifier, models.ArchClassifier)
	if err != nil {
		return err
	}
	gc, err := models.GeneratorConfigOf(gw)
	if err != nil {
		return err
	}
	names, err := models.ClassifierAttrNames(cw)
	if err != nil {
		return fmt.Errorf("classifier %s: %w", classifier, err)
	}
	if len(names) == 0 {
		return fmt.Errorf("classifier %s judges no attributes: train one on a data set with attributes (faces)", classifier)
	}
	ctx := cmd.Context()
	dev, err := gpu.Open(ctx)
	if err != nil {
		return err
	}
	defer dev.Close()
	z := latent(n, gc.NZ, seed)
	attrs, err := judge(ctx, dev, gw, cw, z, n)
	if err != nil {
		return err
	}
	classes, _ := cw.Config.Int("classes")
	k := classes + len(names)
	var kept []string
	var vecs [][]float32
	zero := make([]float32, gc.NZ)
	for j, name := range names {
		var with, without [][]float32
		for i := range n {
			zi := z[i*gc.NZ : (i+1)*gc.NZ]
			if attrs[i*k+classes+j] > 0 {
				with = append(with, zi)
			} else {
				without = append(without, zi)
			}
		}
		if len(with) < minSide || len(without) < minSide {
			fmt.Fprintf(cmd.ErrOrStderr(), "note: %s: %d of %d samples have it: too few on one side (--min %d), left out\n",
				name, len(with), n, minSide)
			continue
		}
		d, err := models.LatentArithmetic(zero, with, without)
		if err != nil {
			return err
		}
		kept = append(kept, name)
		vecs = append(vecs, d)
		fmt.Fprintf(cmd.OutOrStdout(), "%s: %d of %d samples (%.1f%%)\n", name, len(with), n, 100*float64(len(with))/float64(n))
	}
	if len(kept) == 0 {
		return fmt.Errorf("no attribute was seen on at least %d samples and missed on %d: draw more (--n)", minSide, minSide)
	}
	meta := models.Meta{
		Name:    strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)),
		License: "CC0-1.0",
		Source:  fmt.Sprintf("easel directions: %s judged by %s", model, classifier),
		Description: fmt.Sprintf("Latent directions of %s: for each attribute the classifier %s judges, the mean latent "+
			"of the samples with it minus the mean of those without, over %d latents of seed %d", model, classifier, n, seed),
		Trained:         true,
		TrainingCommand: commandLine(cmd),
		Date:            time.Now().UTC().Format("2006-01-02"),
	}
	w, err := models.NewDirections(gw.Meta.Name, gc.NZ, kept, vecs, meta)
	if err != nil {
		return err
	}
	if err := models.WriteFile(out, w); err != nil {
		return fmt.Errorf("write %s: %w", out, unwrapPath(err))
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d directions for %s in %v\n", out, len(kept), gw.Meta.Name, time.Since(start).Round(time.Millisecond))
	return nil
}

// judge generates the images of inputs in (n of them) with generator gw and returns the
// classifier cw's logits [n, classes+attrs].
func judge(ctx context.Context, dev *gpu.Device, gw, cw *models.Weights, in []float32, n int) ([]float32, error) {
	c, err := models.NewClassifier(dev, cw)
	if err != nil {
		return nil, err
	}
	defer c.Release()
	gc, err := models.GeneratorConfigOf(gw)
	if err != nil {
		return nil, err
	}
	if c.Config.NC != gc.NC || c.Config.Size != gc.Side() {
		return nil, fmt.Errorf("the classifier takes [%d,%d,%d] images, the generator makes [%d,%d,%d]",
			c.Config.NC, c.Config.Size, c.Config.Size, gc.NC, gc.Side(), gc.Side())
	}
	width := gc.InputWidth()
	const chunk = 256
	var logits []float32
	for i := 0; i < n; i += chunk {
		m := min(chunk, n-i)
		y, _, err := generate(ctx, dev, gw, in[i*width:(i+m)*width])
		if err != nil {
			return nil, err
		}
		l, _, err := c.Predict(ctx, y, m)
		if err != nil {
			return nil, err
		}
		logits = append(logits, l...)
	}
	return logits, nil
}
