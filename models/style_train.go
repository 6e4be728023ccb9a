package models

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"easel/autograd"
	"easel/gpu"
	"easel/optim"
)

// PerceptualLoss is the loss of Johnson et al.'s fast style networks and of Gatys et al.'s
// transfer, on a loss network's features: content weight × mean squared difference of the
// content layer's features, style weight × Σ over style layers of the mean squared
// difference of Gram matrices (normalised by C·H·W, as fast_neural_style computes them),
// and TV weight × total variation of the image.
type PerceptualLoss struct {
	ContentLayer  string   // e.g. relu2_2; "" for none (texture synthesis)
	StyleLayers   []string // e.g. relu1_2, relu2_2, relu3_3
	ContentWeight float64
	StyleWeight   float64
	TVWeight      float64
	// NormalizeStyle divides each style layer's term by the mean square of its target Gram
	// matrix, so that every layer counts alike whatever the scale of its features (the
	// features of a random-weight network differ by orders of magnitude between layers).
	NormalizeStyle bool
	// NormalizeContent divides the content term by the mean square of the content target's
	// features: Mahendran & Vedaldi's ‖Φ(x)−Φ₀‖²/‖Φ₀‖², which puts the term near 1 at the
	// start whatever the layer's scale. Image optimisation only: fast style training's
	// target changes with every batch.
	NormalizeContent bool
	// Smooth passes every loss feature map through a softmax over each image's whole map
	// before the Gram matrices and the content term: activation smoothing (Wang et al., CVPR
	// 2021), which makes networks with residual connections such as MobileNetV2 usable for
	// style, as VGG is without it.
	Smooth bool
}

// styleLayerWeights are the weights of the style layers' terms: StyleWeight, divided by
// the mean square of each target Gram matrix when NormalizeStyle is set.
func (l PerceptualLoss) styleLayerWeights(ctx context.Context, grams []*gpu.Tensor) ([]float64, error) {
	ws := make([]float64, len(grams))
	for i, g := range grams {
		ws[i] = l.StyleWeight
		if !l.NormalizeStyle {
			continue
		}
		v, err := g.Read(ctx)
		if err != nil {
			return nil, err
		}
		var ss float64
		for _, x := range v {
			ss += float64(x) * float64(x)
		}
		if ss == 0 {
			return nil, fmt.Errorf("style image: the Gram matrix of style layer %d is all zero (a blank image?)", i+1)
		}
		ws[i] /= ss / float64(len(v))
	}
	return ws, nil
}

// layers resolves the loss's layer names on c: the content layer's index (-1 if none), the
// style layers' and the deepest one needed.
func (l PerceptualLoss) layers(c LossNet) (content int, style []int, deepest int, err error) {
	content, deepest = -1, -1
	if l.ContentLayer != "" {
		if content, err = c.LayerIndex(l.ContentLayer); err != nil {
			return
		}
		deepest = content
	}
	if len(l.StyleLayers) == 0 && content < 0 {
		return 0, nil, 0, fmt.Errorf("perceptual loss: no content layer and no style layers")
	}
	for _, name := range l.StyleLayers {
		i, e := c.LayerIndex(name)
		if e != nil {
			return 0, nil, 0, e
		}
		if slices.Contains(style, i) {
			return 0, nil, 0, fmt.Errorf("perceptual loss: style layer %s named twice", name)
		}
		style = append(style, i)
		deepest = max(deepest, i)
	}
	for _, w := range []float64{l.ContentWeight, l.StyleWeight, l.TVWeight} {
		if !(w >= 0) || math.IsInf(w, 0) {
			return 0, nil, 0, fmt.Errorf("perceptual loss: weight %v, want a finite number ≥ 0", w)
		}
	}
	return content, style, deepest, nil
}

// StyleGrams computes the Gram matrices of img [1,3,H,W] (RGB 0..255) at the given layers,
// each repeated n times ([n,C,C], the target of a batch of n), on a batch of their own.
// The caller releases the returned tensors.
func StyleGrams(dev *gpu.Device, lnet LossNet, smooth bool, img []float32, h, w int, layers []int, n int) ([]*gpu.Tensor, error) {
	if h < 1 || w < 1 || len(img) != 3*h*w {
		return nil, fmt.Errorf("style image: %d values, want 3×%d×%d", len(img), h, w)
	}
	if n < 1 {
		return nil, fmt.Errorf("style image: %d copies, want at least 1", n)
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("style image: no style layers")
	}
	for _, l := range layers {
		if l < 0 || l >= lnet.Layers() {
			return nil, fmt.Errorf("style image: layer %d, want 0..%d (the layers %s holds)", l, lnet.Layers()-1, lnet.Arch())
		}
	}
	rep := make([]float32, 0, n*len(img))
	for range n {
		rep = append(rep, img...)
	}
	x, err := dev.FromData(rep, n, 3, h, w)
	if err != nil {
		return nil, fmt.Errorf("style image: %w", err)
	}
	defer x.Release()
	b := dev.NewBatch()
	defer b.Release()
	tp := autograd.New(b)
	defer tp.Release()
	feats := lossFeatures(tp, lnet, smooth, tp.Constant(x), slices.Max(layers), layers)
	var grams []*gpu.Tensor
	for _, f := range feats {
		if f == nil {
			break
		}
		gv := tp.Gram(f) // the tape's, released with it
		if gv == nil {
			break
		}
		g, err := dev.NewTensor(gv.Shape()...)
		if err != nil {
			return nil, releaseAll(grams, err)
		}
		grams = append(grams, g)
		b.Fill(g, 0)
		b.AddInto(g, 1, gv.Tensor())
	}
	if err := tp.Err(); err != nil {
		return nil, releaseAll(grams, fmt.Errorf("style image %d×%d: %w", w, h, err))
	}
	if err := b.Submit(); err != nil {
		return nil, releaseAll(grams, err)
	}
	return grams, nil
}

func releaseAll(ts []*gpu.Tensor, err error) error {
	for _, t := range ts {
		t.Release()
	}
	return err
}

// StyleTrainConfig is the shape of a fast-style training step: batch, crop side (a multiple
// of 4, so that TransformerNet's output has the input's size), Adam's learning rate and
// the loss.
type StyleTrainConfig struct {
	Batch, Size int
	LR          float64
	Loss        PerceptualLoss
	// Stability is the weight of the stability term (Gupta et al. 2017): Stability ×
	// mean((f(x+n) − f(x))²), where f is the network, x the step's crops and n the noise
	// the caller writes with SetNoise (pixel noise, as a webcam's sensor adds to every
	// frame). f(x) is held constant in the term (a stop-gradient): the term pulls the
	// noisy output towards the clean one, which the perceptual loss alone shapes, rather
	// than the clean output towards an average over noise. 0 leaves the term out: the
	// step is then exactly the one without it.
	Stability float64
}

// StyleStepStats are what one step reports: the weighted loss terms before the step's
// update (Stability is 0 when the term is off), and the wall time of the step.
type StyleStepStats struct {
	Content, Style, TV, Stability, Total float64
	Millis                               float64
}

// StyleTrainer trains TransformerNet with a perceptual loss (Johnson et al. 2016): the
// network stylises a batch of content crops; the loss network reads its output and the
// crops; content, style and TV losses; backward through the loss network into the
// TransformerNet; one Adam step. As with TransformerTrainer the step is recorded once and
// replayed; the crops are written before each step.
type StyleTrainer struct {
	Config TransformerConfig
	TC     StyleTrainConfig

	dev    *gpu.Device
	w      *Weights
	lnet   LossNet
	p      *trainParams
	opt    *optim.Optimizer
	x      *gpu.Tensor
	noise  *gpu.Tensor // the stability term's pixel noise; nil when the term is off
	grams  []*gpu.Tensor
	stats  *lossTerms
	batch  *gpu.Batch
	tape   *autograd.Tape
	steps  int
	deep   int
	cIdx   int
	sIdx   []int
	flops  float64
	styleW []float64
	output *gpu.Tensor // the last step's stylised crops
}

// NewStyleTrainer uploads net (transformer-net or transformer-net-light), computes the
// style image's Gram targets (style [1,3,sh,sw], RGB 0..255) and records one step.
func NewStyleTrainer(dev *gpu.Device, net *Weights, lnet LossNet, style []float32, sh, sw int, tc StyleTrainConfig) (*StyleTrainer, error) {
	if net.Arch != ArchTransformerNet && net.Arch != ArchTransformerNetLight {
		return nil, fmt.Errorf("style training: weights are for arch %q, want %s or %s", net.Arch, ArchTransformerNet, ArchTransformerNetLight)
	}
	c, err := transformerConfig(net)
	if err != nil {
		return nil, err
	}
	if tc.Batch < 1 || tc.Batch > 256 || tc.Size < 16 || tc.Size > 2048 || tc.Size%4 != 0 {
		return nil, fmt.Errorf("style training: batch %d of %d×%d crops, want batch 1..256 and a side 16..2048 that is a multiple of 4", tc.Batch, tc.Size, tc.Size)
	}
	if !(tc.LR > 0) || math.IsInf(tc.LR, 0) {
		return nil, fmt.Errorf("style training: learning rate %v, want > 0", tc.LR)
	}
	if !(tc.Stability >= 0) || math.IsInf(tc.Stability, 0) {
		return nil, fmt.Errorf("style training: stability weight %v, want a finite number ≥ 0", tc.Stability)
	}
	if tc.Loss.NormalizeContent {
		return nil, fmt.Errorf("style training: NormalizeContent is for image optimisation; the content target changes with every batch")
	}
	t := &StyleTrainer{Config: c, TC: tc, dev: dev, w: net, lnet: lnet}
	if t.cIdx, t.sIdx, t.deep, err = tc.Loss.layers(lnet); err != nil {
		return nil, err
	}
	if err := t.setup(style, sh, sw); err != nil {
		t.Release()
		return nil, err
	}
	return t, nil
}

func (t *StyleTrainer) setup(style []float32, sh, sw int) error {
	var err error
	if len(t.sIdx) > 0 {
		if t.grams, err = StyleGrams(t.dev, t.lnet, t.TC.Loss.Smooth, style, sh, sw, t.sIdx, t.TC.Batch); err != nil {
			return err
		}
		if t.styleW, err = t.TC.Loss.styleLayerWeights(context.Background(), t.grams); err != nil {
			return err
		}
	}
	if t.p, err = newTrainParams(t.dev, t.w, t.Config.specs()); err != nil {
		return err
	}
	adam := optim.Adam{LR: t.TC.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	if t.opt, err = optim.NewAdam(t.dev, adam, t.p.whole, t.p.grads); err != nil {
		return fmt.Errorf("style training optimizer: %w", err)
	}
	n, s := t.TC.Batch, t.TC.Size
	if t.x, err = t.dev.NewTensor(n, 3, s, s); err != nil {
		return err
	}
	if t.output, err = t.dev.NewTensor(n, 3, s, s); err != nil {
		return err
	}
	if t.TC.Stability > 0 {
		if t.noise, err = t.dev.NewTensor(n, 3, s, s); err != nil {
			return err
		}
		if err := t.noise.Write(make([]float32, n*3*s*s)); err != nil {
			return err
		}
	}
	t.batch = t.dev.NewBatch()
	t.record()
	if err := t.tape.Err(); err != nil {
		return fmt.Errorf("style training: record a step on [%d,3,%d,%d]: %w", n, s, s, err)
	}
	net := t.Config.FLOPs(1, s, s)
	vggOut := t.lnet.FLOPs(t.deep, s, s)
	t.flops = float64(n) * (3*net + 3*vggOut)
	if t.cIdx >= 0 {
		t.flops += float64(n) * t.lnet.FLOPs(t.cIdx, s, s)
	}
	if t.noise != nil {
		t.flops += float64(n) * 3 * net // the network on the noisy crops, forward and backward
	}
	return nil
}

// record records zero_grad, forward, the loss, backward and the Adam update.
func (t *StyleTrainer) record() {
	b := t.batch
	tp := autograd.New(b)
	t.tape = tp
	b.Fill(t.p.grads, 0)
	x := tp.Constant(t.x)
	params := t.p.vars(tp, true)
	y := transformerTrainForward(tp, t.Config, params, x)
	if tp.Err() != nil {
		return
	}
	if !slices.Equal(y.Shape(), t.x.Shape()) {
		b.Fail(fmt.Errorf("style training: output %v, want %v", y.Shape(), t.x.Shape()))
		return
	}
	b.Fill(t.output, 0)
	b.AddInto(t.output, 1, y.Tensor())
	var content *autograd.Var
	if t.cIdx >= 0 {
		content = lossFeatures(tp, t.lnet, t.TC.Loss.Smooth, x, t.cIdx, []int{t.cIdx})[0]
	}
	var stability *autograd.Var
	if t.noise != nil {
		// The same parameters on the noisy crops; the clean output is a constant here.
		yn := transformerTrainForward(tp, t.Config, params, tp.Add(x, tp.Constant(t.noise)))
		stability = tp.Scale(tp.MSE(yn, tp.Detach(y)), t.TC.Stability, 0)
	}
	var total *autograd.Var
	t.stats, total = perceptualLoss(tp, t.lnet, t.TC.Loss, y, content, t.cIdx, t.sIdx, t.deep, t.grams, t.styleW, stability)
	if tp.Err() != nil {
		return
	}
	if tp.Backward(total) != nil {
		return
	}
	t.opt.Record(b)
}

// lossTerms holds a recorded perceptual loss's weighted terms on the device: the present
// ones (content, style and stability may be absent) and the total, in one tensor the
// caller owns.
type lossTerms struct {
	t   *gpu.Tensor
	has [4]bool // content, style, tv, stability
}

// read returns content, style, tv, stability and total (absent terms 0) after the batch
// ran.
func (l *lossTerms) read(ctx context.Context) ([5]float64, error) {
	var out [5]float64
	v, err := l.t.Read(ctx)
	if err != nil {
		return out, err
	}
	k := 0
	for i, ok := range l.has {
		if ok {
			out[i] = float64(v[k])
			k++
		}
	}
	out[4] = float64(v[k])
	return out, nil
}

func (l *lossTerms) release() {
	if l != nil {
		l.t.Release()
	}
}

// perceptualLoss records the loss l of image y [N,3,H,W] on the tape: content against the
// features content (cIdx's, same shape as y's; nil when cIdx < 0), style against the
// Gram targets grams ([N,C,C] per style layer, weighted by styleWeights), TV on y, and
// the already weighted stability term when it is not nil. It returns the weighted terms
// (valid after the batch runs; the caller releases them) and the total as the variable to
// differentiate.
func perceptualLoss(tp *autograd.Tape, lnet LossNet, l PerceptualLoss, y, content *autograd.Var, cIdx int, sIdx []int, deep int, grams []*gpu.Tensor, styleWeights []float64, stability *autograd.Var) (*lossTerms, *autograd.Var) {
	want := append([]int{}, sIdx...)
	if cIdx >= 0 {
		want = append(want, cIdx)
	}
	feats := lossFeatures(tp, lnet, l.Smooth, y, deep, want)
	if tp.Err() != nil {
		return nil, nil
	}
	var terms [4]*autograd.Var
	if cIdx >= 0 {
		terms[0] = tp.Scale(tp.MSE(feats[len(feats)-1], content), l.ContentWeight, 0)
	}
	for i := range sIdx {
		d := tp.MSE(tp.Gram(feats[i]), tp.Constant(grams[i]))
		if terms[1] == nil {
			terms[1] = tp.Scale(d, styleWeights[i], 0)
		} else {
			terms[1] = tp.AddScaled(terms[1], 1, d, styleWeights[i])
		}
	}
	terms[2] = tp.Scale(tp.TotalVariation(y), l.TVWeight, 0)
	terms[3] = stability
	var total *autograd.Var
	lt := &lossTerms{}
	parts := make([]*gpu.Tensor, 0, 5)
	for i, v := range terms {
		switch {
		case v == nil:
			continue
		case total == nil:
			total = v
		default:
			total = tp.Add(total, v)
		}
		lt.has[i] = true
		parts = append(parts, v.Tensor())
	}
	if tp.Err() != nil {
		return nil, nil
	}
	// The batch's own op: its output is not the tape's, so the tape never hands its buffer
	// to a later op.
	if lt.t = tp.Batch().Concat(0, append(parts, total.Tensor())...); lt.t == nil {
		return nil, nil
	}
	return lt, total
}

// Steps is the number of steps taken.
func (t *StyleTrainer) Steps() int { return t.steps }

// FLOPs is the arithmetic of one step (forward and backward of both networks).
func (t *StyleTrainer) FLOPs() float64 { return t.flops }

// Step runs one step on content crops x ([Batch,3,Size,Size] flattened, RGB 0..255; nil
// keeps the last ones): the loss at the current weights, then their update. A non-finite
// loss is an error.
func (t *StyleTrainer) Step(ctx context.Context, x []float32) (StyleStepStats, error) {
	var st StyleStepStats
	if x != nil {
		if err := t.x.Write(x); err != nil {
			return st, fmt.Errorf("style training step %d: input: %w", t.steps+1, err)
		}
	}
	start := time.Now()
	if err := t.opt.BeginStep(); err != nil {
		return st, err
	}
	if err := t.batch.Submit(); err != nil {
		return st, fmt.Errorf("style training step %d: %w", t.steps+1, err)
	}
	v, err := t.stats.read(ctx)
	if err != nil {
		return st, fmt.Errorf("style training step %d: %w", t.steps+1, err)
	}
	t.steps++
	st = StyleStepStats{Content: v[0], Style: v[1], TV: v[2], Stability: v[3], Total: v[4],
		Millis: float64(time.Since(start).Microseconds()) / 1000}
	if math.IsNaN(st.Total) || math.IsInf(st.Total, 0) {
		return st, fmt.Errorf("style training step %d: loss is %v: training diverged (try a lower learning rate)", t.steps, st.Total)
	}
	return st, nil
}

// SetNoise writes the pixel noise of the stability term ([Batch,3,Size,Size] flattened, in
// the crops' 0..255 units) that later steps add to their crops; it starts at zero. An error
// when the term is off (Stability 0).
func (t *StyleTrainer) SetNoise(noise []float32) error {
	if t.noise == nil {
		return fmt.Errorf("style training: noise for the stability term, but its weight is 0")
	}
	if err := t.noise.Write(noise); err != nil {
		return fmt.Errorf("style training: stability noise: %w", err)
	}
	return nil
}

// Gradients returns the gradients of the last step's loss with respect to every parameter
// (at the weights before that step's update), as weights of the network's names and
// shapes.
func (t *StyleTrainer) Gradients(ctx context.Context) (*Weights, error) {
	return t.p.readGrads(ctx, t.w)
}

// Output reads the last step's stylised crops (before that step's update),
// [Batch,3,Size,Size] RGB in about 0..255.
func (t *StyleTrainer) Output(ctx context.Context) ([]float32, error) { return t.output.Read(ctx) }

// Weights returns the network's weights now.
func (t *StyleTrainer) Weights(ctx context.Context) (*Weights, error) { return t.p.read(ctx, t.w) }

// Optimizer is the trainer's Adam, for checkpoints.
func (t *StyleTrainer) Optimizer() *optim.Optimizer { return t.opt }

// Release frees everything the trainer holds on the device (not the loss network).
func (t *StyleTrainer) Release() {
	if t.batch != nil {
		t.batch.Release()
	}
	if t.tape != nil {
		t.tape.Release()
	}
	if t.opt != nil {
		t.opt.Release()
	}
	t.stats.release()
	for _, x := range append([]*gpu.Tensor{t.x, t.output, t.noise}, t.grams...) {
		x.Release()
	}
	t.p.release()
}
