package models

import (
	"context"
	"fmt"
	"math"
	"time"

	"easel/autograd"
	"easel/gpu"
	"easel/optim"
)

// ImageOptimizer optimises an image against a perceptual loss on a loss network: feature
// inversion (a content layer and TV, Mahendran & Vedaldi), texture synthesis (style layers
// only) and style transfer by optimisation (both, Gatys et al.). The image is the only
// parameter; one step (loss, backward, and for Adam the update) is recorded once and
// replayed.
type ImageOptimizer struct {
	H, W int
	Loss PerceptualLoss

	dev     *gpu.Device
	lnet    LossNet
	x, grad *gpu.Tensor // the image [1,3,H,W] in 0..255 and its gradient
	content *gpu.Tensor // the content layer's features of the content image
	grams   []*gpu.Tensor
	styleW  []float64
	stats   *lossTerms
	opt     *optim.Optimizer // nil for Evaluate-only use (L-BFGS)
	batch   *gpu.Batch
	tape    *autograd.Tape
	cb      *gpu.Batch // the batch that computed content
	ct      *autograd.Tape
	cIdx    int
	sIdx    []int
	deep    int
	steps   int
}

// ImageLossStats are the weighted loss terms at an image.
type ImageLossStats struct {
	Content, Style, TV, Total float64
	Millis                    float64
}

// NewImageOptimizer prepares the optimisation of an h×w image: content [1,3,h,w] (RGB
// 0..255) is the image whose features the content layer must match (nil when the loss has
// no content layer); style [1,3,sh,sw] the image whose Gram matrices the style layers must
// match (nil when it has none). With adam nil the optimizer only evaluates the loss and
// its gradient (Evaluate), for a caller's L-BFGS.
func NewImageOptimizer(dev *gpu.Device, lnet LossNet, l PerceptualLoss, h, w int, content []float32, style []float32, sh, sw int, adam *optim.Adam) (*ImageOptimizer, error) {
	if h < 8 || w < 8 || h > 4096 || w > 4096 {
		return nil, fmt.Errorf("image optimisation: %d×%d image, want sides 8..4096", w, h)
	}
	o := &ImageOptimizer{H: h, W: w, Loss: l, dev: dev, lnet: lnet}
	var err error
	if o.cIdx, o.sIdx, o.deep, err = l.layers(lnet); err != nil {
		return nil, err
	}
	if (o.cIdx >= 0) != (content != nil) {
		return nil, fmt.Errorf("image optimisation: a content image is needed exactly when the loss has a content layer")
	}
	if (len(o.sIdx) > 0) != (style != nil) {
		return nil, fmt.Errorf("image optimisation: a style image is needed exactly when the loss has style layers")
	}
	if err := o.setup(content, style, sh, sw, adam); err != nil {
		o.Release()
		return nil, err
	}
	return o, nil
}

func (o *ImageOptimizer) setup(content, style []float32, sh, sw int, adam *optim.Adam) error {
	var err error
	loss := o.Loss // with the content weight normalised when asked
	if len(o.sIdx) > 0 {
		if o.grams, err = StyleGrams(o.dev, o.lnet, o.Loss.Smooth, style, sh, sw, o.sIdx, 1); err != nil {
			return err
		}
		if o.styleW, err = o.Loss.styleLayerWeights(context.Background(), o.grams); err != nil {
			return err
		}
	}
	if o.x, err = o.dev.NewTensor(1, 3, o.H, o.W); err != nil {
		return err
	}
	if o.grad, err = o.dev.NewTensor(1, 3, o.H, o.W); err != nil {
		return err
	}
	if o.cIdx >= 0 {
		if len(content) != 3*o.H*o.W {
			return fmt.Errorf("content image: %d values, want 3×%d×%d", len(content), o.H, o.W)
		}
		if err := o.x.Write(content); err != nil {
			return err
		}
		o.cb = o.dev.NewBatch()
		o.ct = autograd.New(o.cb)
		f := lossFeatures(o.ct, o.lnet, o.Loss.Smooth, o.ct.Constant(o.x), o.cIdx, []int{o.cIdx})
		if err := o.ct.Err(); err != nil {
			return fmt.Errorf("content image: %w", err)
		}
		o.content = f[0].Tensor()
		if err := o.cb.Submit(); err != nil {
			return err
		}
		if o.Loss.NormalizeContent {
			if loss.ContentWeight, err = normalizedWeight(o.content, loss.ContentWeight); err != nil {
				return fmt.Errorf("content image: layer %s: %w", o.Loss.ContentLayer, err)
			}
		}
	}
	if adam != nil {
		if o.opt, err = optim.NewAdam(o.dev, *adam, o.x, o.grad); err != nil {
			return fmt.Errorf("image optimisation: %w", err)
		}
	}
	o.batch = o.dev.NewBatch()
	tp := autograd.New(o.batch)
	o.tape = tp
	o.batch.Fill(o.grad, 0)
	var c *autograd.Var
	if o.content != nil {
		c = tp.Constant(o.content)
	}
	var total *autograd.Var
	o.stats, total = perceptualLoss(tp, o.lnet, loss, tp.Param(o.x, o.grad), c, o.cIdx, o.sIdx, o.deep, o.grams, o.styleW, nil)
	if tp.Err() == nil && tp.Backward(total) == nil && o.opt != nil {
		o.opt.Record(o.batch)
	}
	if err := tp.Err(); err != nil {
		return fmt.Errorf("image optimisation: record a step on %d×%d: %w", o.W, o.H, err)
	}
	return nil
}

// normalizedWeight is w divided by the mean square of the features f.
func normalizedWeight(f *gpu.Tensor, w float64) (float64, error) {
	v, err := f.Read(context.Background())
	if err != nil {
		return 0, err
	}
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return 0, fmt.Errorf("the features are all zero (a blank image?), so the content loss cannot be normalised")
	}
	return w / (ss / float64(len(v))), nil
}

// SetImage writes the image (RGB 0..255, [1,3,H,W] flattened): the starting point (the
// content image, or noise).
func (o *ImageOptimizer) SetImage(x []float32) error { return o.x.Write(x) }

// Image reads the image now.
func (o *ImageOptimizer) Image(ctx context.Context) ([]float32, error) { return o.x.Read(ctx) }

// Steps is the number of steps run.
func (o *ImageOptimizer) Steps() int { return o.steps }

// Step runs one Adam step: the loss at the current image, then its update.
func (o *ImageOptimizer) Step(ctx context.Context) (ImageLossStats, error) {
	if o.opt == nil {
		return ImageLossStats{}, fmt.Errorf("image optimisation: made without Adam; use Evaluate")
	}
	if err := o.opt.BeginStep(); err != nil {
		return ImageLossStats{}, err
	}
	return o.run(ctx)
}

// Evaluate writes x (nil keeps the image) and returns the loss there and its gradient
// with respect to the image, without changing it.
func (o *ImageOptimizer) Evaluate(ctx context.Context, x []float32) (ImageLossStats, []float32, error) {
	if o.opt != nil {
		return ImageLossStats{}, nil, fmt.Errorf("image optimisation: made with Adam, whose step would move the image; use Step")
	}
	if x != nil {
		if err := o.x.Write(x); err != nil {
			return ImageLossStats{}, nil, err
		}
	}
	st, err := o.run(ctx)
	if err != nil {
		return st, nil, err
	}
	g, err := o.grad.Read(ctx)
	return st, g, err
}

func (o *ImageOptimizer) run(ctx context.Context) (ImageLossStats, error) {
	start := time.Now()
	if err := o.batch.Submit(); err != nil {
		return ImageLossStats{}, fmt.Errorf("image optimisation step %d: %w", o.steps+1, err)
	}
	v, err := o.stats.read(ctx)
	if err != nil {
		return ImageLossStats{}, fmt.Errorf("image optimisation step %d: %w", o.steps+1, err)
	}
	o.steps++
	st := ImageLossStats{Content: v[0], Style: v[1], TV: v[2], Total: v[4],
		Millis: float64(time.Since(start).Microseconds()) / 1000}
	if math.IsNaN(st.Total) || math.IsInf(st.Total, 0) {
		return st, fmt.Errorf("image optimisation step %d: loss is %v: diverged (try a lower learning rate or weights)", o.steps, st.Total)
	}
	return st, nil
}

// FLOPs is the arithmetic of one step: the loss network forward and backward on the image.
func (o *ImageOptimizer) FLOPs() float64 { return 3 * o.lnet.FLOPs(o.deep, o.H, o.W) }

// Release frees what the optimizer holds on the device (not the loss network).
func (o *ImageOptimizer) Release() {
	for _, b := range []*gpu.Batch{o.batch, o.cb} {
		if b != nil {
			b.Release()
		}
	}
	for _, tp := range []*autograd.Tape{o.tape, o.ct} {
		if tp != nil {
			tp.Release()
		}
	}
	if o.opt != nil {
		o.opt.Release()
	}
	o.stats.release()
	for _, t := range append([]*gpu.Tensor{o.x, o.grad}, o.grams...) {
		t.Release()
	}
}
