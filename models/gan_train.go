package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"easel/autograd"
	"easel/gpu"
	"easel/optim"
)

// GAN training algorithms (GANTrainConfig.Kind).
const (
	GANKindDCGAN   = "dcgan"   // pytorch/examples dcgan: BCE losses, Adam
	GANKindCGAN    = "cgan"    // conditional GAN (Mirza & Osindero): G and D take the class
	GANKindInfoGAN = "infogan" // InfoGAN (Chen et al.): latent codes recovered by a Q head
	GANKindWGAN    = "wgan"    // WGAN (Arjovsky et al.): a critic, weight clipping, RMSprop
)

// GANKinds lists the training algorithms.
var GANKinds = []string{GANKindDCGAN, GANKindCGAN, GANKindInfoGAN, GANKindWGAN}

// GANTrainConfig are the hyperparameters of GAN training that are not the networks'.
type GANTrainConfig struct {
	Kind  string
	Batch int
	// LR is Adam's learning rate (RMSprop's for wgan); Beta1 is Adam's β1 (β2 is 0.999 and
	// eps 1e-8, PyTorch's defaults, as in pytorch/examples dcgan).
	LR, Beta1 float64
	// WGAN: the critic's weights are clipped to [-Clip, Clip] after each of its NCritic
	// steps per generator step (the paper's 0.01 and 5).
	Clip    float64
	NCritic int
	// RealLabel is the target of D's loss on real images (dcgan, cgan, infogan): 1, or
	// e.g. 0.9 for one-sided label smoothing (Salimans et al. 2016), which keeps D from
	// growing so confident that G's gradients vanish. G's target stays 1. 0 means 1.
	RealLabel float64
	// InstanceNoise adds Gaussian noise of a per-step scale (GANBatch.NoiseScale) to every
	// image D sees, real and fake (dcgan, cgan, infogan): "instance noise" (Sønderby et
	// al. 2016; Arjovsky & Bottou 2017), which makes the two distributions overlap so that
	// D cannot separate them perfectly early on, when G's images are still blurred.
	InstanceNoise bool
	// InfoGAN: the weights of the categorical code's cross-entropy (λ, 1 in the paper) and
	// of the continuous codes' squared error (a Gaussian of fixed variance) in the
	// mutual-information loss.
	InfoCat, InfoCont float64
}

// StatNames are the figures one iteration of kind reports, in GANStepStats.Values order.
func StatNames(kind string) []string {
	switch kind {
	case GANKindInfoGAN:
		return []string{"loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2", "loss_info"}
	case GANKindWGAN:
		return []string{"wasserstein", "loss_g", "critic_real", "critic_fake"}
	}
	return []string{"loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"}
}

// GANStepStats are the figures of one iteration (names: StatNames) and its wall time.
type GANStepStats struct {
	Values []float64
	Millis float64 // wall time of the step, upload to readback
}

// GANBatch is one iteration's input. With InstanceNoise, Noise holds 2·Batch images of
// N(0,1) noise (for the real batch, then the fake one) and NoiseScale its scale this step. Real holds RealBatches()·Batch images [nc,side,side]
// in -1..1; Z holds ZBatches()·Batch latents [nz] (N(0,1) noise). cgan: RealClass is the
// class of each real image and FakeClass the class the generator is asked for (one per
// latent). infogan: FakeClass is the categorical code of each latent and Cont its
// continuous codes (Cont per latent, in -1..1).
type GANBatch struct {
	Real       []float32
	RealClass  []int
	Z          []float32
	FakeClass  []int
	Cont       []float32
	Noise      []float32
	NoiseScale float64
}

// GANTrainer runs GAN training iterations on the GPU.
//
// dcgan is one iteration of pytorch/examples dcgan/main.py: D on the real batch (label 1)
// and on G(z) detached (label 0), BCE losses, one Adam step of D; then D, updated, on the
// same G(z) with label 1, and one Adam step of G. Batch norm runs in training mode and
// updates its running statistics at every forward pass, as PyTorch does.
//
// cgan is the same with the class as a one-hot vector after z in G's input and as one-hot
// maps after the image's channels in D's. infogan adds to G's input a categorical code and
// continuous codes, and a Q head on D's last features that predicts them: the
// mutual-information loss (cross-entropy of the categorical code, squared error of the
// continuous ones) trains D's body and Q on the detached fakes, and G through D.
//
// wgan is Algorithm 1 of Arjovsky et al.: NCritic critic steps (loss mean C(G(z)) − mean
// C(x), RMSprop, then every critic weight clipped to [−Clip, Clip]), then one generator
// step (loss −mean C(G(z))). The critic is D without its sigmoid; it reports the estimate
// of the Wasserstein distance mean C(x) − mean C(G(z)) of its last step.
//
// The whole iteration is recorded once into a batch and replayed by Submit: the caller's
// inputs are written into fixed input tensors, the optimizers' step counts into their
// parameter buffers, and the figures of up to StatsRing iterations read back in one copy.
type GANTrainer struct {
	G  GeneratorConfig
	D  DiscriminatorConfig
	TC GANTrainConfig

	dev        *gpu.Device
	gw, dw     *Weights // what the networks were made from (arch, config, IO, meta)
	gp, dp     *trainParams
	optG, optD *optim.Optimizer
	real, gin  []*gpu.Tensor // RealBatches images; ZBatches generator inputs [B,in,1,1]
	realHot    *gpu.Tensor   // cgan: one-hot classes of the real batch [B,classes,1,1]
	fakeHot    *gpu.Tensor   // cgan: of the fake batch
	code, cont *gpu.Tensor   // infogan: categorical code [B] and continuous codes [B,cont]
	ones, zero *gpu.Tensor
	realLabel  *gpu.Tensor    // RealLabel, D's target on real images
	noise      [2]*gpu.Tensor // InstanceNoise: N(0,1) for the real and the fake batch
	noiseScale *gpu.Tensor    // InstanceNoise: this step's scale [1]
	stats      *gpu.Tensor    // this iteration's figures
	ring       *gpu.Tensor    // [StatsRing, len(names)]: the figures not yet collected
	slot       *gpu.Tensor    // the ring row the next iteration writes (a uniform)
	names      []string
	batch      *gpu.Batch
	tape       *autograd.Tape
	steps      int // iterations collected
	pending    int // iterations submitted and not yet collected
	since      time.Time
	inBuf      []float32 // staging for the generator inputs
}

// StatsRing is how many iterations Submit can queue before Collect must read their
// figures: the GPU runs them back to back, and one readback serves them all.
const StatsRing = 16

// NewGANTrainer uploads the networks g and d and records one training iteration of
// tc.Kind at batch size tc.Batch. The networks' archs must fit the kind: dcgan-g/d for
// dcgan and wgan, cgan-g/d for cgan, infogan-g/d for infogan.
func NewGANTrainer(dev *gpu.Device, g, d *Weights, tc GANTrainConfig) (*GANTrainer, error) {
	if !slices.Contains(GANKinds, tc.Kind) {
		return nil, fmt.Errorf("GAN training: kind %q, want one of %q", tc.Kind, GANKinds)
	}
	gc, err := generatorConfig(g)
	if err != nil {
		return nil, fmt.Errorf("%s training: generator: %w", tc.Kind, err)
	}
	dc, err := discriminatorConfig(d)
	if err != nil {
		return nil, fmt.Errorf("%s training: discriminator: %w", tc.Kind, err)
	}
	want := map[string][2]string{
		GANKindDCGAN:   {ArchDCGANGenerator, ArchDCGANDiscriminator},
		GANKindWGAN:    {ArchDCGANGenerator, ArchDCGANDiscriminator},
		GANKindCGAN:    {ArchCGANGenerator, ArchCGANDiscriminator},
		GANKindInfoGAN: {ArchInfoGANGenerator, ArchInfoGANDiscriminator},
	}[tc.Kind]
	if g.Arch != want[0] || d.Arch != want[1] {
		return nil, fmt.Errorf("%s training: networks are %s and %s, want %s and %s", tc.Kind, g.Arch, d.Arch, want[0], want[1])
	}
	switch {
	case gc.NC != dc.NC:
		return nil, fmt.Errorf("%s training: the generator makes %d-channel images, the discriminator takes %d", tc.Kind, gc.NC, dc.NC)
	case gc.Side() != dc.Side():
		return nil, fmt.Errorf("%s training: the generator makes %d×%d images, the discriminator takes %d×%d", tc.Kind, gc.Side(), gc.Side(), dc.Side(), dc.Side())
	case gc.Classes != dc.Classes || gc.Cat != dc.Cat || gc.Cont != dc.Cont:
		return nil, fmt.Errorf("%s training: the generator's classes/codes (%d, %d, %d) differ from the discriminator's (%d, %d, %d)",
			tc.Kind, gc.Classes, gc.Cat, gc.Cont, dc.Classes, dc.Cat, dc.Cont)
	case tc.Batch < 2 || tc.Batch > 4096:
		// Batch norm in training mode needs two values per channel.
		return nil, fmt.Errorf("%s training: batch size %d, want 2..4096", tc.Kind, tc.Batch)
	case !(tc.LR > 0 && tc.LR < 1):
		return nil, fmt.Errorf("%s training: learning rate %v, want a value in (0, 1)", tc.Kind, tc.LR)
	case tc.Kind == GANKindWGAN && !(tc.Clip > 0 && tc.Clip < 100):
		return nil, fmt.Errorf("wgan training: clip %v, want a value in (0, 100)", tc.Clip)
	case tc.Kind == GANKindWGAN && (tc.NCritic < 1 || tc.NCritic > 100):
		return nil, fmt.Errorf("wgan training: %d critic steps per generator step, want 1..100", tc.NCritic)
	case tc.RealLabel != 0 && !(tc.RealLabel >= 0.5 && tc.RealLabel <= 1):
		return nil, fmt.Errorf("%s training: real label %v, want 0.5..1", tc.Kind, tc.RealLabel)
	case tc.Kind == GANKindInfoGAN && !(tc.InfoCat >= 0 && tc.InfoCont >= 0 && tc.InfoCat+tc.InfoCont > 0 && tc.InfoCat+tc.InfoCont < 1e6):
		return nil, fmt.Errorf("infogan training: information weights %v and %v, want ≥ 0, not both 0", tc.InfoCat, tc.InfoCont)
	}
	t := &GANTrainer{G: gc, D: dc, TC: tc, dev: dev, gw: g, dw: d, names: StatNames(tc.Kind)}
	if err := t.setup(); err != nil {
		t.Release()
		return nil, err
	}
	return t, nil
}

// RealBatches is the number of real batches one iteration takes (NCritic for wgan).
func (t *GANTrainer) RealBatches() int {
	if t.TC.Kind == GANKindWGAN {
		return t.TC.NCritic
	}
	return 1
}

// ZBatches is the number of latent batches one iteration takes (NCritic + 1 for wgan).
func (t *GANTrainer) ZBatches() int {
	if t.TC.Kind == GANKindWGAN {
		return t.TC.NCritic + 1
	}
	return 1
}

// StatNames are the names of the figures each iteration reports.
func (t *GANTrainer) StatNames() []string { return t.names }

func (t *GANTrainer) setup() error {
	var err error
	if t.gp, err = newTrainParams(t.dev, t.gw, t.G.specs()); err != nil {
		return err
	}
	if t.dp, err = newTrainParams(t.dev, t.dw, t.D.specs()); err != nil {
		return err
	}
	if t.TC.Kind == GANKindWGAN {
		rms := optim.RMSprop{LR: t.TC.LR, Alpha: 0.99, Eps: 1e-8}
		if t.optG, err = optim.NewRMSprop(t.dev, rms, t.gp.whole, t.gp.grads); err != nil {
			return fmt.Errorf("generator optimizer: %w", err)
		}
		if t.optD, err = optim.NewRMSprop(t.dev, rms, t.dp.whole, t.dp.grads); err != nil {
			return fmt.Errorf("critic optimizer: %w", err)
		}
	} else {
		adam := optim.Adam{LR: t.TC.LR, Beta1: t.TC.Beta1, Beta2: 0.999, Eps: 1e-8}
		if t.optG, err = optim.NewAdam(t.dev, adam, t.gp.whole, t.gp.grads); err != nil {
			return fmt.Errorf("generator optimizer: %w", err)
		}
		if t.optD, err = optim.NewAdam(t.dev, adam, t.dp.whole, t.dp.grads); err != nil {
			return fmt.Errorf("discriminator optimizer: %w", err)
		}
	}
	n, side := t.TC.Batch, t.G.Side()
	for range t.RealBatches() {
		x, err := t.dev.NewTensor(n, t.D.NC, side, side)
		if err != nil {
			return err
		}
		t.real = append(t.real, x)
	}
	for range t.ZBatches() {
		x, err := t.dev.NewTensor(n, t.G.InputWidth(), 1, 1)
		if err != nil {
			return err
		}
		t.gin = append(t.gin, x)
	}
	t.inBuf = make([]float32, n*t.G.InputWidth())
	if t.G.Classes > 0 {
		if t.realHot, err = t.dev.NewTensor(n, t.G.Classes, 1, 1); err != nil {
			return err
		}
		if t.fakeHot, err = t.dev.NewTensor(n, t.G.Classes, 1, 1); err != nil {
			return err
		}
	}
	if t.G.Cat > 0 {
		if t.code, err = t.dev.NewTensor(n); err != nil {
			return err
		}
	}
	if t.G.Cont > 0 {
		if t.cont, err = t.dev.NewTensor(n, t.G.Cont); err != nil {
			return err
		}
	}
	if t.ones, err = t.dev.NewTensor(n); err != nil {
		return err
	}
	if t.zero, err = t.dev.NewTensor(n); err != nil {
		return err
	}
	if t.realLabel, err = t.dev.NewTensor(n); err != nil {
		return err
	}
	if t.TC.InstanceNoise {
		if t.TC.Kind == GANKindWGAN {
			return errors.New("wgan training: instance noise is for the GAN losses, not the critic")
		}
		for i := range t.noise {
			if t.noise[i], err = t.dev.NewTensor(n, t.D.NC, side, side); err != nil {
				return err
			}
		}
		if t.noiseScale, err = t.dev.NewTensor(1); err != nil {
			return err
		}
	}
	if t.ring, err = t.dev.NewTensor(StatsRing, len(t.names)); err != nil {
		return err
	}
	if t.slot, err = t.dev.NewTensor(4); err != nil {
		return err
	}
	t.batch = t.dev.NewBatch()
	if t.TC.Kind == GANKindWGAN {
		t.recordWGAN()
	} else {
		t.record()
	}
	if err := t.tape.Err(); err != nil {
		return fmt.Errorf("%s training: record an iteration at batch %d: %w", t.TC.Kind, n, err)
	}
	return nil
}

// record records one iteration of dcgan, cgan or infogan into t.batch.
func (t *GANTrainer) record() {
	b := t.batch
	tp := autograd.New(b)
	t.tape = tp
	b.Fill(t.ones, 1)
	b.Fill(t.zero, 0)
	realLabel := t.TC.RealLabel
	if realLabel == 0 {
		realLabel = 1
	}
	b.Fill(t.realLabel, realLabel)
	b.Fill(t.gp.grads, 0) // netG.zero_grad()
	b.Fill(t.dp.grads, 0) // netD.zero_grad()
	ones, zero, realTarget := tp.Constant(t.ones), tp.Constant(t.zero), tp.Constant(t.realLabel)
	var realHot, fakeHot *autograd.Var
	if t.realHot != nil {
		realHot, fakeHot = tp.Constant(t.realHot), tp.Constant(t.fakeHot)
	}

	// fake = netG(noise)
	gv := t.gp.vars(tp, true)
	fake := t.generator(tp, gv, tp.Constant(t.gin[0]))

	// (1) D: errD_real on the real batch, errD_fake on G(z) detached, one step.
	dv := t.dp.vars(tp, true)
	// D sees real and fake images with instance noise, when enabled.
	noisy := func(x *autograd.Var, i int) *autograd.Var {
		if !t.TC.InstanceNoise {
			return x
		}
		return tp.Add(x, tp.MulScalar(tp.Constant(t.noise[i]), tp.Constant(t.noiseScale)))
	}
	logit, _ := t.discriminator(tp, dv, noisy(tp.Constant(t.real[0]), 0), realHot)
	out := tp.Sigmoid(logit)
	errReal := tp.BCE(out, realTarget)
	if tp.Err() != nil {
		return
	}
	dx := b.Mean(out.Tensor())
	tp.Backward(errReal)
	logit, feat := t.discriminator(tp, dv, noisy(tp.Detach(fake), 1), fakeHot)
	out = tp.Sigmoid(logit)
	errFake := tp.BCE(out, zero)
	if tp.Err() != nil {
		return
	}
	dgz1 := b.Mean(out.Tensor())
	// The figures are copied before the backward passes, which free what they no longer need.
	lossD := b.Add(errReal.Tensor(), errFake.Tensor())
	info := t.G.Cat > 0 || t.G.Cont > 0
	if info {
		// D's body and Q learn to recover the codes of the fakes.
		tp.Backward(tp.Add(errFake, t.infoLoss(tp, t.q(tp, dv, feat))))
	} else {
		tp.Backward(errFake)
	}
	t.optD.Record(b)

	// (2) G: the updated D on the same fake, label 1, one step of G. D's parameters are
	// constants here: their gradients would be zeroed before use anyway.
	dc := t.dp.vars(tp, false)
	logit, feat = t.discriminator(tp, dc, noisy(fake, 1), fakeHot)
	out = tp.Sigmoid(logit)
	errG := tp.BCE(out, ones)
	if tp.Err() != nil {
		return
	}
	dgz2 := b.Mean(out.Tensor())
	lossG := b.Scale(errG.Tensor(), 1, 0)
	figures := []*gpu.Tensor{lossD, lossG, dx, dgz1, dgz2}
	if info {
		l := t.infoLoss(tp, t.q(tp, dc, feat))
		if tp.Err() != nil {
			return
		}
		figures = append(figures, b.Scale(l.Tensor(), 1, 0))
		tp.Backward(tp.Add(errG, l))
	} else {
		tp.Backward(errG)
	}
	t.optG.Record(b)
	t.finish(figures, figures...)
}

// recordWGAN records one WGAN iteration: NCritic critic steps, then a generator step.
func (t *GANTrainer) recordWGAN() {
	b := t.batch
	tp := autograd.New(b)
	t.tape = tp
	var cReal, cFake *gpu.Tensor
	for k := range t.TC.NCritic {
		b.Fill(t.dp.grads, 0)
		// The generator's batch norm updates its running statistics here too, as in the
		// reference code, which runs netG in training mode for the critic's fakes.
		fake := t.generator(tp, t.gp.vars(tp, false), tp.Constant(t.gin[k]))
		dv := t.dp.vars(tp, true)
		real, _ := t.discriminator(tp, dv, tp.Constant(t.real[k]), nil)
		fakeOut, _ := t.discriminator(tp, dv, fake, nil)
		mReal, mFake := tp.Mean(real), tp.Mean(fakeOut)
		loss := tp.AddScaled(mFake, 1, mReal, -1)
		if tp.Err() != nil {
			return
		}
		if k == t.TC.NCritic-1 {
			cReal, cFake = b.Scale(mReal.Tensor(), 1, 0), b.Scale(mFake.Tensor(), 1, 0)
		}
		tp.Backward(loss)
		t.optD.Record(b)
		b.Clamp(t.dp.whole, -t.TC.Clip, t.TC.Clip)
	}
	b.Fill(t.gp.grads, 0)
	fake := t.generator(tp, t.gp.vars(tp, true), tp.Constant(t.gin[t.TC.NCritic]))
	out, _ := t.discriminator(tp, t.dp.vars(tp, false), fake, nil)
	lossG := tp.Scale(tp.Mean(out), -1, 0)
	if tp.Err() != nil {
		return
	}
	lossGT := b.Scale(lossG.Tensor(), 1, 0)
	tp.Backward(lossG)
	t.optG.Record(b)
	w := b.AddScaled(cReal, 1, cFake, -1)
	t.finish([]*gpu.Tensor{w, lossGT, cReal, cFake}, w, lossGT, cReal, cFake)
}

// finish gathers the iteration's figures into its ring row; temps are freed after.
func (t *GANTrainer) finish(figures []*gpu.Tensor, temps ...*gpu.Tensor) {
	b := t.batch
	t.stats = b.Concat(0, figures...)
	for _, s := range temps {
		b.Reuse(s)
	}
	b.CopyToSlot(t.ring, t.stats, t.slot)
}

// generator is the generator's forward pass in training mode on the tape: input
// [B,in,1,1] to a tanh image [B,nc,side,side].
func (t *GANTrainer) generator(tp *autograd.Tape, v map[string]*autograd.Var, z *autograd.Var) *autograd.Var {
	y := z
	n := ganLayers(t.G.Size)
	for i := range n {
		conv := fmt.Sprintf("main.%d", 3*i)
		p := gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}
		if i == 0 {
			p = gpu.ConvTranspose2DParams{Stride: 1, Padding: 0}
		}
		y = tp.ConvTranspose2D(y, v[conv+".weight"], nil, p)
		if i == n-1 {
			return tp.Tanh(y)
		}
		bn := fmt.Sprintf("main.%d", 3*i+1)
		y = tp.BatchNormTrain(y, v[bn+".weight"], v[bn+".bias"], t.gp.buffers[bn+".running_mean"],
			t.gp.buffers[bn+".running_var"], batchNormMomentum, batchNormEps)
		y = tp.ReLU(y)
	}
	return y
}

// batchNormMomentum is nn.BatchNorm2d's default momentum, which dcgan keeps.
const batchNormMomentum = 0.1

// discriminator is the discriminator's forward pass in training mode on the tape: the
// logit [B] of each image being real (before the sigmoid; the WGAN critic's output), and
// the features before the last convolution, which InfoGAN's Q head reads. hot, for cgan,
// is the one-hot class [B,classes,1,1], broadcast to maps after the image's channels.
func (t *GANTrainer) discriminator(tp *autograd.Tape, v map[string]*autograd.Var, x, hot *autograd.Var) (logit, feat *autograd.Var) {
	y := x
	if hot != nil {
		y = tp.Concat(1, x, tp.UpsampleNearest(hot, t.D.Side()))
	}
	convs := t.D.convs()
	last := len(convs) - 1
	for i, idx := range convs {
		conv := fmt.Sprintf("main.%d", idx)
		p := gpu.Conv2DParams{Stride: 2, Padding: 1}
		if i == last {
			p = gpu.Conv2DParams{Stride: 1, Padding: 0}
			feat = y
		}
		y = tp.Conv2D(y, v[conv+".weight"], nil, p)
		if i == last {
			break
		}
		if i > 0 {
			bn := fmt.Sprintf("main.%d", idx+1)
			y = tp.BatchNormTrain(y, v[bn+".weight"], v[bn+".bias"], t.dp.buffers[bn+".running_mean"],
				t.dp.buffers[bn+".running_var"], batchNormMomentum, batchNormEps)
		}
		y = tp.LeakyReLU(y, 0.2)
	}
	return tp.Reshape(y, t.TC.Batch), feat
}

// q is InfoGAN's Q head on the discriminator's last features: the categorical code's
// logits [B,cat] and the continuous codes' means [B,cont] (nil where the code is absent).
func (t *GANTrainer) q(tp *autograd.Tape, v map[string]*autograd.Var, feat *autograd.Var) [2]*autograd.Var {
	h := tp.Conv2D(feat, v["q.0.weight"], nil, gpu.Conv2DParams{Stride: 1, Padding: 0})
	h = tp.BatchNormTrain(h, v["q.1.weight"], v["q.1.bias"], t.dp.buffers["q.1.running_mean"],
		t.dp.buffers["q.1.running_var"], batchNormMomentum, batchNormEps)
	h = tp.LeakyReLU(h, 0.1)
	var out [2]*autograd.Var
	for i, head := range []struct {
		name string
		n    int
	}{{"q.cat", t.G.Cat}, {"q.cont", t.G.Cont}} {
		if head.n > 0 {
			y := tp.Conv2D(h, v[head.name+".weight"], v[head.name+".bias"], gpu.Conv2DParams{Stride: 1})
			out[i] = tp.Reshape(y, t.TC.Batch, head.n)
		}
	}
	return out
}

// infoLoss is InfoGAN's mutual-information loss: InfoCat·cross-entropy of the categorical
// code plus InfoCont·mean squared error of the continuous codes.
func (t *GANTrainer) infoLoss(tp *autograd.Tape, q [2]*autograd.Var) *autograd.Var {
	var loss *autograd.Var
	if q[0] != nil {
		loss = tp.Scale(tp.CrossEntropy(q[0], tp.Constant(t.code)), t.TC.InfoCat, 0)
	}
	if q[1] != nil {
		l := tp.MSE(q[1], tp.Constant(t.cont))
		if loss == nil {
			loss = tp.Scale(l, t.TC.InfoCont, 0)
		} else {
			loss = tp.AddScaled(loss, 1, l, t.TC.InfoCont)
		}
	}
	return loss
}

// Steps is the number of iterations collected (or restored from a checkpoint).
func (t *GANTrainer) Steps() int { return t.steps }

// Pending is the number of iterations submitted and not yet collected.
func (t *GANTrainer) Pending() int { return t.pending }

// Step runs one iteration and waits for its figures: Submit, then Collect.
func (t *GANTrainer) Step(ctx context.Context, in GANBatch) (GANStepStats, error) {
	if err := t.Submit(in); err != nil {
		return GANStepStats{}, err
	}
	st, err := t.Collect(ctx)
	if err != nil {
		return GANStepStats{}, err
	}
	return st[0], nil
}

// GeneratorInput writes into dst ([n, InputWidth]) the generator's input for latents z
// ([n,nz]), classes or categorical codes (n, or nil) and continuous codes ([n,cont], or
// nil): z, then the one-hot class or code, then the continuous codes. A class outside
// 0..classes-1 is an error.
func (c GeneratorConfig) GeneratorInput(dst, z []float32, class []int, cont []float32) error {
	in := c.InputWidth()
	n := len(dst) / in
	if len(dst) != n*in || len(z) != n*c.NZ {
		return fmt.Errorf("generator input: %d latent values for %d rows of %d", len(z), n, c.NZ)
	}
	k := c.Classes + c.Cat
	if k > 0 && len(class) != n {
		return fmt.Errorf("generator input: %d classes for %d latents", len(class), n)
	}
	if len(cont) != n*c.Cont {
		return fmt.Errorf("generator input: %d continuous code values for %d latents of %d", len(cont), n, c.Cont)
	}
	for i := range n {
		row := dst[i*in : (i+1)*in]
		copy(row, z[i*c.NZ:(i+1)*c.NZ])
		hot := row[c.NZ : c.NZ+k]
		clear(hot)
		if k > 0 {
			if class[i] < 0 || class[i] >= k {
				return fmt.Errorf("generator input: class %d of row %d, want 0..%d", class[i], i, k-1)
			}
			hot[class[i]] = 1
		}
		copy(row[c.NZ+k:], cont[i*c.Cont:(i+1)*c.Cont])
	}
	return nil
}

// Submit queues one iteration without waiting for the GPU. At most StatsRing iterations
// can wait for Collect.
func (t *GANTrainer) Submit(in GANBatch) error {
	step := t.steps + t.pending + 1
	fail := func(what string, err error) error {
		return fmt.Errorf("%s step %d: %s: %w", t.TC.Kind, step, what, err)
	}
	if t.pending == StatsRing {
		return fmt.Errorf("%s step %d: %d iterations are waiting: Collect their figures first", t.TC.Kind, step, t.pending)
	}
	n := t.TC.Batch
	per := t.D.NC * t.D.Side() * t.D.Side()
	if len(in.Real) != t.RealBatches()*n*per {
		return fail("real batch", fmt.Errorf("%d values, want %d batches of %d images [%d,%d,%d]", len(in.Real), t.RealBatches(), n, t.D.NC, t.D.Side(), t.D.Side()))
	}
	for k, x := range t.real {
		if err := x.Write(in.Real[k*n*per : (k+1)*n*per]); err != nil {
			return fail("real batch", err)
		}
	}
	zb := t.ZBatches()
	if len(in.Z) != zb*n*t.G.NZ {
		return fail("latents", fmt.Errorf("%d values, want %d batches of %d latents of %d", len(in.Z), zb, n, t.G.NZ))
	}
	coded := t.G.Classes + t.G.Cat
	if coded > 0 && len(in.FakeClass) != n {
		return fail("classes", fmt.Errorf("%d generator classes or codes, want %d", len(in.FakeClass), n))
	}
	for k, x := range t.gin {
		var class []int
		var cont []float32
		if coded > 0 {
			class = in.FakeClass
		}
		if t.G.Cont > 0 {
			cont = in.Cont
		}
		if err := t.G.GeneratorInput(t.inBuf, in.Z[k*n*t.G.NZ:(k+1)*n*t.G.NZ], class, cont); err != nil {
			return fail("latents", err)
		}
		if err := x.Write(t.inBuf); err != nil {
			return fail("latents", err)
		}
	}
	if t.G.Classes > 0 {
		if err := writeOneHot(t.realHot, in.RealClass, n, t.G.Classes); err != nil {
			return fail("real classes", err)
		}
		if err := writeOneHot(t.fakeHot, in.FakeClass, n, t.G.Classes); err != nil {
			return fail("classes", err)
		}
	}
	if t.code != nil {
		codes := make([]float32, n)
		for i, c := range in.FakeClass {
			codes[i] = float32(c)
		}
		if err := t.code.Write(codes); err != nil {
			return fail("codes", err)
		}
	}
	if t.cont != nil {
		if err := t.cont.Write(in.Cont); err != nil {
			return fail("continuous codes", err)
		}
	}
	if t.TC.InstanceNoise {
		if len(in.Noise) != 2*n*per {
			return fail("instance noise", fmt.Errorf("%d values, want 2 batches of %d images [%d,%d,%d]", len(in.Noise), n, t.D.NC, t.D.Side(), t.D.Side()))
		}
		if !(in.NoiseScale >= 0 && in.NoiseScale <= 10) {
			return fail("instance noise", fmt.Errorf("scale %v, want 0..10", in.NoiseScale))
		}
		for i, x := range t.noise {
			if err := x.Write(in.Noise[i*n*per : (i+1)*n*per]); err != nil {
				return fail("instance noise", err)
			}
		}
		if err := t.noiseScale.Write([]float32{float32(in.NoiseScale)}); err != nil {
			return fail("instance noise", err)
		}
	}
	if err := t.slot.Write([]float32{float32(t.pending), 0, 0, 0}); err != nil {
		return fail("figures", err)
	}
	if t.pending == 0 {
		t.since = time.Now()
	}
	if err := t.optD.BeginStep(); err != nil {
		return err
	}
	if err := t.optG.BeginStep(); err != nil {
		return err
	}
	if err := t.batch.Submit(); err != nil {
		return fmt.Errorf("%s step %d: %w", t.TC.Kind, step, err)
	}
	t.pending++
	return nil
}

// writeOneHot writes the one-hot vectors [n,k,1,1] of classes into x.
func writeOneHot(x *gpu.Tensor, classes []int, n, k int) error {
	if len(classes) != n {
		return fmt.Errorf("%d classes for a batch of %d", len(classes), n)
	}
	v := make([]float32, n*k)
	for i, c := range classes {
		if c < 0 || c >= k {
			return fmt.Errorf("class %d of row %d, want 0..%d", c, i, k-1)
		}
		v[i*k+c] = 1
	}
	return x.Write(v)
}

// Collect waits for the submitted iterations and returns their figures, in order; Millis
// is their average wall time. A non-finite figure is an error: the networks are then no
// longer usable, and the caller keeps its last checkpoint.
func (t *GANTrainer) Collect(ctx context.Context) ([]GANStepStats, error) {
	if t.pending == 0 {
		return nil, nil
	}
	v, err := t.ring.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s steps %d-%d: %w", t.TC.Kind, t.steps+1, t.steps+t.pending, err)
	}
	ms := float64(time.Since(t.since).Microseconds()) / 1000 / float64(t.pending)
	k := len(t.names)
	out := make([]GANStepStats, t.pending)
	n := t.pending
	t.pending = 0
	for i := range n {
		r := v[k*i : k*i+k]
		vals := make([]float64, k)
		for j, x := range r {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return out[:i], fmt.Errorf("%s step %d: %s is %v: training diverged (try a lower --lr)", t.TC.Kind, t.steps+1, t.names[j], x)
			}
			vals[j] = float64(x)
		}
		out[i] = GANStepStats{Values: vals, Millis: ms}
		t.steps++
	}
	return out, nil
}

// Generator returns the generator's weights now (batch norm running statistics included):
// a dcgan-g weights file that sampling runs in eval mode.
func (t *GANTrainer) Generator(ctx context.Context) (*Weights, error) { return t.gp.read(ctx, t.gw) }

// Discriminator returns the discriminator's weights now.
func (t *GANTrainer) Discriminator(ctx context.Context) (*Weights, error) {
	return t.dp.read(ctx, t.dw)
}

// Release frees everything the trainer holds on the device.
func (t *GANTrainer) Release() {
	if t.batch != nil {
		t.batch.Release()
	}
	if t.tape != nil {
		t.tape.Release()
	}
	for _, o := range []*optim.Optimizer{t.optG, t.optD} {
		if o != nil {
			o.Release()
		}
	}
	for _, x := range append(append([]*gpu.Tensor{t.realHot, t.fakeHot, t.code, t.cont, t.ones, t.zero, t.realLabel, t.noise[0], t.noise[1], t.noiseScale, t.stats, t.ring, t.slot}, t.real...), t.gin...) {
		x.Release()
	}
	t.gp.release()
	t.dp.release()
}

// TinyDCGANSteps trains a tiny DCGAN (nz 8, ngf 4, ndf 4, batch 4) for steps iterations on
// seeded data, weights and latents that every platform draws alike, and returns what each
// step reports (also to done, when not nil, as each step finishes). Natively and in the
// browser it must give the same figures: the check that training runs the same on both.
func TinyDCGANSteps(ctx context.Context, dev *gpu.Device, steps int, done func(GANStepStats)) ([]GANStepStats, error) {
	rng := rand.New(rand.NewPCG(11, 12))
	g := InitGenerator(GeneratorConfig{NZ: 8, NGF: 4, NC: 3}, rng)
	d := InitDiscriminator(DiscriminatorConfig{NDF: 4, NC: 3}, rng)
	const batch = 4
	t, err := NewGANTrainer(dev, g, d, GANTrainConfig{Kind: GANKindDCGAN, Batch: batch, LR: 0.002, Beta1: 0.5})
	if err != nil {
		return nil, err
	}
	defer t.Release()
	real := make([]float32, batch*3*DCGANSize*DCGANSize)
	z := make([]float32, batch*8)
	var out []GANStepStats
	for range steps {
		for i := range batch {
			fx, fy, ph := 1+3*rng.Float64(), 1+3*rng.Float64(), 6*rng.Float64()
			for c := range 3 {
				for y := range DCGANSize {
					for x := range DCGANSize {
						v := 0.8 * math.Sin(fx*float64(x)/16+fy*float64(y)/16+ph+float64(c))
						real[((i*3+c)*DCGANSize+y)*DCGANSize+x] = float32(v)
					}
				}
			}
		}
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
		st, err := t.Step(ctx, GANBatch{Real: real, Z: z})
		if err != nil {
			return out, err
		}
		out = append(out, st)
		if done != nil {
			done(st)
		}
	}
	return out, nil
}

// Device is the device the trainer runs on.
func (t *GANTrainer) Device() *gpu.Device { return t.dev }
