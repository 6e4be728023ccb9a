package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/internal/trainview"
	"easel/models"
)

func evalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Evaluate trained models",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(evalGANCmd())
	return cmd
}

// evalGANFlags are easel eval gan's flags.
type evalGANFlags struct {
	model, data, classifier, out string
	n, ref, show                 int
	seed                         uint64
}

func evalGANCmd() *cobra.Command {
	var f evalGANFlags
	cmd := &cobra.Command{
		Use:   "gan --model G --data D --out DIR [--classifier C] [--n N]",
		Short: "Check that a GAN generalises: nearest training images, diversity, mode coverage",
		Long: `The checks of the lecture that a GAN does not just memorise its data, on N samples
(latents, classes and codes drawn from --seed):

- nearest.png: the first --show samples (left), each beside its nearest training image in
  pixels (middle) and in the classifier's feature space (right), among --ref training
  images; nn_pixel: the samples' mean distance to their nearest training image (RMS over
  pixels, in 0..255 units) against that of held-out real images (the data set's test split
  for mnist and fashion-mnist, faces beyond the training set for faces, otherwise images
  not among the --ref ones): a generator that copies its data comes much closer than
  held-out images do.
- diversity: the samples' mean pairwise RMS distance against the real images'.
- with a classifier (easel train classifier; default classifier-DATA): the class
  distribution of the samples against the data's, the classes it covers (mode coverage:
  at least a quarter of the uniform share) and their total-variation distance; for a
  conditional GAN the share of samples the classifier files under the class they were
  asked for; for an InfoGAN the class each categorical code came to stand for and the
  share of samples whose class is their code's (the paper reads its code as the digit
  with about 5 % error); for data with attributes (faces) each attribute's share in the
  samples against held-out real images, both judged by the classifier.

DIR receives nearest.png, samples.png and summary.json (all figures).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return evalGAN(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", defaultSampleModel, "generator")
	fl.StringVar(&f.data, "data", "", "its training data (as easel train --data)")
	fl.StringVar(&f.classifier, "classifier", "", "classifier of the data (default classifier-DATA if there is one; none: skip)")
	fl.StringVar(&f.out, "out", "", "folder for nearest.png, samples.png and summary.json (created)")
	fl.IntVar(&f.n, "n", 1000, "samples")
	fl.IntVar(&f.ref, "ref", 5000, "training images searched for nearest neighbours")
	fl.IntVar(&f.show, "show", 8, "samples shown in nearest.png")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the samples and of the reference images")
	cmd.MarkFlagRequired("data")
	cmd.MarkFlagRequired("out")
	return cmd
}

// ganEval is summary.json.
type ganEval struct {
	Model      string `json:"model"`
	Data       string `json:"data"`
	Classifier string `json:"classifier,omitempty"`
	Samples    int    `json:"samples"`
	Reference  int    `json:"reference_images"`
	HeldOut    string `json:"held_out"`
	// RMS distances in 0..255 units.
	NNPixelSamples  float64 `json:"nn_pixel_samples"`
	NNPixelHeldOut  float64 `json:"nn_pixel_held_out"`
	DiversitySample float64 `json:"diversity_samples"`
	DiversityReal   float64 `json:"diversity_real"`
	// With a classifier.
	ClassShareSamples []float64 `json:"class_share_samples,omitempty"`
	ClassShareData    []float64 `json:"class_share_data,omitempty"`
	ClassesCovered    int       `json:"classes_covered,omitempty"`
	ClassTV           float64   `json:"class_total_variation,omitempty"`
	ConditionAccuracy float64   `json:"condition_accuracy,omitempty"` // cgan
	CodeToClass       []int     `json:"code_to_class,omitempty"`      // infogan
	CodeAccuracy      float64   `json:"code_accuracy,omitempty"`      // infogan
	CodeIsBijection   bool      `json:"code_is_bijection,omitempty"`  // infogan
	AttrNames         []string  `json:"attr_names,omitempty"`
	AttrShareSamples  []float64 `json:"attr_share_samples,omitempty"`
	AttrShareHeldOut  []float64 `json:"attr_share_held_out,omitempty"`
	Seconds           float64   `json:"seconds"`
}

func evalGAN(cmd *cobra.Command, f evalGANFlags) error {
	start := time.Now()
	switch {
	case f.n < 16 || f.n > 100000:
		return fmt.Errorf("--n %d: want 16..100000", f.n)
	case f.ref < 16 || f.ref > 100000:
		return fmt.Errorf("--ref %d: want 16..100000", f.ref)
	case f.show < 1 || f.show > min(64, f.n):
		return fmt.Errorf("--show %d: want 1..%d", f.show, min(64, f.n))
	}
	gw, err := loadModel(cmd, f.model, models.ArchDCGANGenerator, models.ArchCGANGenerator, models.ArchInfoGANGenerator)
	if err != nil {
		return err
	}
	gc, err := models.GeneratorConfigOf(gw)
	if err != nil {
		return err
	}
	side := gc.Side()
	data, err := models.LoadDataset(f.data, side, gc.NC)
	if err != nil {
		return err
	}
	cw, cname, err := evalClassifier(cmd, f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	ev := ganEval{Model: f.model, Data: f.data, Classifier: cname, Samples: f.n}
	rng := rand.New(rand.NewPCG(f.seed, 3))

	// Reference (training) images and held-out real ones.
	per := gc.NC * side * side
	order := rng.Perm(data.N)
	refIdx := order[:min(f.ref, data.N)]
	ev.Reference = len(refIdx)
	ref := make([]float32, len(refIdx)*per)
	data.Batch(ref, refIdx)
	held, heldN, heldWhat, err := heldOut(f.data, data, order[len(refIdx):], min(f.n, 1000), side, gc.NC)
	if err != nil {
		return err
	}
	ev.HeldOut = heldWhat

	// Samples: latents, classes and codes from the seed.
	z := latent(f.n, gc.NZ, f.seed)
	var class []int
	if k := gc.Classes + gc.Cat; k > 0 {
		for range f.n {
			class = append(class, rng.IntN(k))
		}
	}
	cont := make([]float32, f.n*gc.Cont)
	for i := range cont {
		cont[i] = float32(2*rng.Float64() - 1)
	}
	in := make([]float32, f.n*gc.InputWidth())
	if err := gc.GeneratorInput(in, z, class, cont); err != nil {
		return err
	}
	ctx := cmd.Context()
	dev, err := gpu.Open(ctx)
	if err != nil {
		return err
	}
	defer dev.Close()
	samples, err := generateAll(ctx, dev, gw, in, f.n)
	if err != nil {
		return fmt.Errorf("model %s: %w", f.model, err)
	}

	// Pixels: nearest training image and diversity, on at most 500 images each.
	m := min(f.n, 500)
	nnS, nearest := nearestRMS(samples[:m*per], ref, per)
	nnH, _ := nearestRMS(held[:min(heldN, m)*per], ref, per)
	ev.NNPixelSamples, ev.NNPixelHeldOut = mean(nnS), mean(nnH)
	ev.DiversitySample = meanPairRMS(samples[:min(m, 200)*per], per)
	ev.DiversityReal = meanPairRMS(held[:min(heldN, 200)*per], per)

	var nearestFeat []int
	if cw != nil {
		c, err := models.NewClassifier(dev, cw)
		if err != nil {
			return fmt.Errorf("classifier %s: %w", cname, err)
		}
		defer c.Release()
		if c.Config.NC != gc.NC || c.Config.Size != side {
			return fmt.Errorf("classifier %s takes [%d,%d,%d] images, model %s makes [%d,%d,%d]", cname,
				c.Config.NC, c.Config.Size, c.Config.Size, f.model, gc.NC, side, side)
		}
		sl, sf, err := c.Predict(ctx, samples, f.n)
		if err != nil {
			return err
		}
		_, rf, err := c.Predict(ctx, ref, len(refIdx))
		if err != nil {
			return err
		}
		hl, _, err := c.Predict(ctx, held[:heldN*per], heldN)
		if err != nil {
			return err
		}
		nf := c.Config.Features()
		_, nearestFeat = nearestRMS(sf[:f.show*nf], rf, nf)
		classify(&ev, c.Config, cw, data, refIdx, sl, hl, class, gc)
	}
	if err := writeNearest(filepath.Join(f.out, "nearest.png"), samples, ref, nearest, nearestFeat, f.show, gc.NC, side); err != nil {
		return err
	}
	grid, err := trainview.GridNCHW(samples[:min(f.n, 64)*per], min(f.n, 64), gc.NC, side, side)
	if err != nil {
		return err
	}
	if err := trainview.WritePNG(filepath.Join(f.out, "samples.png"), grid); err != nil {
		return err
	}
	ev.Seconds = math.Round(time.Since(start).Seconds()*10) / 10
	ev.round()
	js, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return err
	}
	if err := models.WriteFileAtomic(filepath.Join(f.out, "summary.json"), append(js, '\n')); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s\n", js)
	return nil
}

// round keeps four decimals of every figure: more would be noise of the sampling.
func (ev *ganEval) round() {
	r := func(x *float64) { *x = math.Round(*x*1e4) / 1e4 }
	for _, x := range []*float64{&ev.NNPixelSamples, &ev.NNPixelHeldOut, &ev.DiversitySample, &ev.DiversityReal,
		&ev.ClassTV, &ev.ConditionAccuracy, &ev.CodeAccuracy} {
		r(x)
	}
	for _, xs := range [][]float64{ev.ClassShareSamples, ev.ClassShareData, ev.AttrShareSamples, ev.AttrShareHeldOut} {
		for i := range xs {
			r(&xs[i])
		}
	}
}

// evalClassifier loads --classifier, or classifier-DATA when it exists; "none" skips.
func evalClassifier(cmd *cobra.Command, f evalGANFlags) (*models.Weights, string, error) {
	name := f.classifier
	if name == "none" {
		return nil, "", nil
	}
	if name == "" {
		name = "classifier-" + strings.TrimSuffix(filepath.Base(f.data), filepath.Ext(f.data))
		w, err := models.LoadModel(name, os.Getenv(modelsDirEnv))
		if err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "note: no classifier %s: class and attribute checks skipped (give --classifier)\n", name)
			return nil, "", nil
		}
		if w.Arch != models.ArchClassifier {
			return nil, "", fmt.Errorf("model %s is a %s network, not a classifier", name, w.Arch)
		}
		return w, name, nil
	}
	w, err := loadModel(cmd, name, models.ArchClassifier)
	return w, name, err
}

// heldOut returns up to n real images the generator was not trained on: the test split
// of a named set, faces beyond the training set, or else the images of rest (not among the
// reference images, though the generator may have seen them).
func heldOut(name string, data *models.Dataset, rest []int, n, side, nc int) ([]float32, int, string, error) {
	per := nc * side * side
	test, err := models.LoadDataset(name+models.TestSplit, side, nc)
	switch {
	case err == nil:
		n = min(n, test.N)
		out := make([]float32, n*per)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		test.Batch(out, idx)
		return out, n, name + models.TestSplit, nil
	case data.Data == nil && data.Render != nil:
		// A rendered set draws any index: those past N were never trained on.
		out := make([]float32, n*per)
		idx := make([]int, n)
		for i := range idx {
			idx[i] = data.N + i
		}
		data.Batch(out, idx)
		return out, n, fmt.Sprintf("%s %d..%d (beyond the training set)", name, data.N, data.N+n-1), nil
	case len(rest) == 0:
		return nil, 0, "", errors.New("no images left beside the reference ones: lower --ref")
	}
	n = min(n, len(rest))
	out := make([]float32, n*per)
	data.Batch(out, rest[:n])
	return out, n, "images of the data set outside the reference set (the generator may have seen them)", nil
}

// generateAll runs the generator on n inputs, 256 at a time.
func generateAll(ctx context.Context, dev *gpu.Device, w *models.Weights, in []float32, n int) ([]float32, error) {
	width := len(in) / n
	var out []float32
	for i := 0; i < n; i += 256 {
		m := min(256, n-i)
		y, _, err := generate(ctx, dev, w, in[i*width:(i+m)*width])
		if err != nil {
			return nil, err
		}
		out = append(out, y...)
	}
	return out, nil
}

// nearestRMS returns, for each vector of xs (dim values each), the RMS distance to its
// nearest vector of ref, in 0..255 units for images in -1..1, and that vector's index.
func nearestRMS(xs, ref []float32, dim int) ([]float64, []int) {
	n, r := len(xs)/dim, len(ref)/dim
	dist, idx := make([]float64, n), make([]int, n)
	var wg sync.WaitGroup
	work := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				x := xs[i*dim : (i+1)*dim]
				best, bi := math.Inf(1), -1
				for j := range r {
					y := ref[j*dim : (j+1)*dim]
					var s float32
					for k, v := range x {
						d := v - y[k]
						s += d * d
					}
					if float64(s) < best {
						best, bi = float64(s), j
					}
				}
				dist[i], idx[i] = math.Sqrt(best/float64(dim))*127.5, bi
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	return dist, idx
}

// meanPairRMS is the mean RMS distance over all pairs of the vectors of xs, in 0..255 units.
func meanPairRMS(xs []float32, dim int) float64 {
	n := len(xs) / dim
	var sum float64
	pairs := 0
	for i := range n {
		for j := i + 1; j < n; j++ {
			var s float32
			a, b := xs[i*dim:(i+1)*dim], xs[j*dim:(j+1)*dim]
			for k, v := range a {
				d := v - b[k]
				s += d * d
			}
			sum += math.Sqrt(float64(s)/float64(dim)) * 127.5
			pairs++
		}
	}
	if pairs == 0 {
		return 0
	}
	return sum / float64(pairs)
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// classify fills the classifier's figures: class distributions and coverage, cgan's
// condition accuracy, InfoGAN's code-to-class map, attribute shares.
func classify(ev *ganEval, c models.ClassifierConfig, cw *models.Weights, data *models.Dataset, refIdx []int,
	sampleLogits, heldLogits []float32, class []int, gc models.GeneratorConfig) {
	k := c.Outputs()
	n := len(sampleLogits) / k
	argmax := func(row []float32) int {
		return slices.Index(row, slices.Max(row))
	}
	if c.Classes > 0 {
		pred := make([]int, n)
		ev.ClassShareSamples = make([]float64, c.Classes)
		for i := range n {
			pred[i] = argmax(sampleLogits[i*k : i*k+c.Classes])
			ev.ClassShareSamples[pred[i]] += 1 / float64(n)
		}
		if data.Labels != nil {
			ev.ClassShareData = make([]float64, c.Classes)
			for _, j := range refIdx {
				if l := data.Labels[j]; l >= 0 && l < c.Classes {
					ev.ClassShareData[l] += 1 / float64(len(refIdx))
				}
			}
			for i, s := range ev.ClassShareSamples {
				ev.ClassTV += math.Abs(s-ev.ClassShareData[i]) / 2
			}
		}
		for _, s := range ev.ClassShareSamples {
			if s >= 0.25/float64(c.Classes) {
				ev.ClassesCovered++
			}
		}
		switch {
		case gc.Classes > 0:
			hit := 0
			for i, p := range pred {
				if p == class[i] {
					hit++
				}
			}
			ev.ConditionAccuracy = float64(hit) / float64(n)
		case gc.Cat > 0:
			counts := make([][]int, gc.Cat)
			for i := range counts {
				counts[i] = make([]int, c.Classes)
			}
			for i, p := range pred {
				counts[class[i]][p]++
			}
			hit := 0
			seen := map[int]bool{}
			for code, row := range counts {
				best := slices.Index(row, slices.Max(row))
				ev.CodeToClass = append(ev.CodeToClass, best)
				seen[best] = true
				hit += row[best]
				_ = code
			}
			ev.CodeAccuracy = float64(hit) / float64(n)
			ev.CodeIsBijection = len(seen) == gc.Cat && gc.Cat == c.Classes
		}
	}
	if c.Attrs > 0 {
		names, err := models.ClassifierAttrNames(cw)
		if err == nil {
			ev.AttrNames = names
		}
		share := func(logits []float32) []float64 {
			m := len(logits) / k
			out := make([]float64, c.Attrs)
			for i := range m {
				for j := range c.Attrs {
					if logits[i*k+c.Classes+j] > 0 {
						out[j] += 1 / float64(m)
					}
				}
			}
			return out
		}
		ev.AttrShareSamples, ev.AttrShareHeldOut = share(sampleLogits), share(heldLogits)
	}
}

// writeNearest writes rows of [sample | nearest in pixels | nearest in features] for the
// first show samples (the last column only with a classifier).
func writeNearest(path string, samples, ref []float32, nnPix, nnFeat []int, show, nc, side int) error {
	per := nc * side * side
	cols := 2
	if nnFeat != nil {
		cols = 3
	}
	const pad = 2
	cell := side + pad
	out := image.NewNRGBA(image.Rect(0, 0, cols*cell+pad, show*cell+pad))
	draw.Draw(out, out.Bounds(), image.Black, image.Point{}, draw.Src)
	put := func(data []float32, row, col int) error {
		im, err := trainview.GridNCHW(data, 1, nc, side, side)
		if err != nil {
			return err
		}
		at := image.Pt(pad+col*cell, pad+row*cell)
		draw.Draw(out, image.Rectangle{Min: at, Max: at.Add(image.Pt(side, side))}, im, im.Bounds().Min, draw.Src)
		return nil
	}
	for i := range show {
		if err := put(samples[i*per:(i+1)*per], i, 0); err != nil {
			return err
		}
		if err := put(ref[nnPix[i]*per:(nnPix[i]+1)*per], i, 1); err != nil {
			return err
		}
		if nnFeat != nil {
			if err := put(ref[nnFeat[i]*per:(nnFeat[i]+1)*per], i, 2); err != nil {
				return err
			}
		}
	}
	return trainview.WritePNG(path, out)
}
