package models

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"easel/autograd"
	"easel/gpu"
	"easel/optim"
)

// DCGANTrainConfig are the hyperparameters of DCGAN training that are not the networks':
// batch size and Adam's learning rate and β1 (β2 is 0.999 and eps 1e-8, PyTorch's
// defaults, as in pytorch/examples dcgan).
type DCGANTrainConfig struct {
	Batch     int
	LR, Beta1 float64
}

// DCGANStepStats are the figures pytorch/examples dcgan prints for one iteration.
type DCGANStepStats struct {
	LossD  float64 // errD_real + errD_fake
	LossG  float64 // errG
	DX     float64 // mean D(x) on the real batch
	DGZ1   float64 // mean D(G(z)) before D's update
	DGZ2   float64 // mean D(G(z)) after it
	Millis float64 // wall time of the step, upload to readback
}

// DCGANTrainer runs iterations of pytorch/examples dcgan/main.py on the GPU. One iteration:
// D on the real batch (label 1) and on G(z) detached (label 0), BCE losses, one Adam step
// of D; then D, updated, on the same G(z) with label 1, and one Adam step of G. Batch norm
// runs in training mode and updates its running statistics at every forward pass, as
// PyTorch does (G's once, D's three times per iteration).
//
// The whole iteration is recorded once into a batch and replayed by Step: the caller's
// real images and latents are written into fixed input tensors, the optimizers' step
// counts into their parameter buffers, and the five figures read back in one copy.
type DCGANTrainer struct {
	G  GeneratorConfig
	D  DiscriminatorConfig
	TC DCGANTrainConfig

	dev        *gpu.Device
	gw, dw     *Weights // what the networks were made from (arch, config, IO, meta)
	gp, dp     *trainParams
	optG, optD *optim.Optimizer
	real, z    *gpu.Tensor
	ones, zero *gpu.Tensor
	stats      *gpu.Tensor // this iteration's figures
	ring       *gpu.Tensor // [StatsRing, 5]: the figures of the iterations not yet collected
	slot       *gpu.Tensor // the ring row the next iteration writes (a uniform)
	batch      *gpu.Batch
	tape       *autograd.Tape
	steps      int // iterations collected
	pending    int // iterations submitted and not yet collected
	since      time.Time
}

// StatsRing is how many iterations Submit can queue before Collect must read their
// figures: the GPU runs them back to back, and one readback serves them all.
const StatsRing = 16

// NewDCGANTrainer uploads the networks g (dcgan-g) and d (dcgan-d) and records one
// training iteration at batch size tc.Batch.
func NewDCGANTrainer(dev *gpu.Device, g, d *Weights, tc DCGANTrainConfig) (*DCGANTrainer, error) {
	if g.Arch != ArchDCGANGenerator || d.Arch != ArchDCGANDiscriminator {
		return nil, fmt.Errorf("DCGAN training: weights are %s and %s, want %s and %s", g.Arch, d.Arch, ArchDCGANGenerator, ArchDCGANDiscriminator)
	}
	gc, err := generatorConfig(g)
	if err != nil {
		return nil, err
	}
	dc, err := discriminatorConfig(d)
	if err != nil {
		return nil, err
	}
	if gc.NC != dc.NC {
		return nil, fmt.Errorf("DCGAN training: the generator makes %d-channel images, the discriminator takes %d", gc.NC, dc.NC)
	}
	if tc.Batch < 2 || tc.Batch > 4096 {
		// Batch norm in training mode needs two values per channel.
		return nil, fmt.Errorf("DCGAN training: batch size %d, want 2..4096", tc.Batch)
	}
	t := &DCGANTrainer{G: gc, D: dc, TC: tc, dev: dev, gw: g, dw: d}
	if err := t.setup(); err != nil {
		t.Release()
		return nil, err
	}
	return t, nil
}

func (t *DCGANTrainer) setup() error {
	var err error
	if t.gp, err = newTrainParams(t.dev, t.gw, t.G.specs()); err != nil {
		return err
	}
	if t.dp, err = newTrainParams(t.dev, t.dw, t.D.specs()); err != nil {
		return err
	}
	adam := optim.Adam{LR: t.TC.LR, Beta1: t.TC.Beta1, Beta2: 0.999, Eps: 1e-8}
	if t.optG, err = optim.NewAdam(t.dev, adam, t.gp.whole, t.gp.grads); err != nil {
		return fmt.Errorf("generator optimizer: %w", err)
	}
	if t.optD, err = optim.NewAdam(t.dev, adam, t.dp.whole, t.dp.grads); err != nil {
		return fmt.Errorf("discriminator optimizer: %w", err)
	}
	n := t.TC.Batch
	if t.real, err = t.dev.NewTensor(n, t.D.NC, DCGANSize, DCGANSize); err != nil {
		return err
	}
	if t.z, err = t.dev.NewTensor(n, t.G.NZ, 1, 1); err != nil {
		return err
	}
	if t.ones, err = t.dev.NewTensor(n); err != nil {
		return err
	}
	if t.zero, err = t.dev.NewTensor(n); err != nil {
		return err
	}
	if t.ring, err = t.dev.NewTensor(StatsRing, 5); err != nil {
		return err
	}
	if t.slot, err = t.dev.NewTensor(4); err != nil {
		return err
	}
	t.batch = t.dev.NewBatch()
	t.record()
	if err := t.tape.Err(); err != nil {
		return fmt.Errorf("DCGAN training: record an iteration at batch %d: %w", n, err)
	}
	return nil
}

// record records one iteration of dcgan/main.py into t.batch.
func (t *DCGANTrainer) record() {
	b := t.batch
	tp := autograd.New(b)
	t.tape = tp
	b.Fill(t.ones, 1)
	b.Fill(t.zero, 0)
	b.Fill(t.gp.grads, 0) // netG.zero_grad()
	b.Fill(t.dp.grads, 0) // netD.zero_grad()
	real, ones, zero := tp.Constant(t.real), tp.Constant(t.ones), tp.Constant(t.zero)

	// fake = netG(noise)
	gv := t.gp.vars(tp, true)
	fake := t.generator(tp, gv, tp.Constant(t.z))

	// (1) D: errD_real on the real batch, errD_fake on G(z) detached, one step.
	dv := t.dp.vars(tp, true)
	out := t.discriminator(tp, dv, real)
	errReal := tp.BCE(out, ones)
	if tp.Err() != nil {
		return
	}
	dx := b.Mean(out.Tensor())
	tp.Backward(errReal)
	out = t.discriminator(tp, dv, tp.Detach(fake))
	errFake := tp.BCE(out, zero)
	if tp.Err() != nil {
		return
	}
	dgz1 := b.Mean(out.Tensor())
	tp.Backward(errFake)
	t.optD.Record(b)

	// (2) G: the updated D on the same fake, label 1, one step of G. D's parameters are
	// constants here: their gradients would be zeroed before use anyway.
	out = t.discriminator(tp, t.dp.vars(tp, false), fake)
	errG := tp.BCE(out, ones)
	if tp.Err() != nil {
		return
	}
	dgz2 := b.Mean(out.Tensor())
	tp.Backward(errG)
	t.optG.Record(b)

	lossD := b.Add(errReal.Tensor(), errFake.Tensor())
	t.stats = b.Concat(0, lossD, errG.Tensor(), dx, dgz1, dgz2)
	for _, s := range []*gpu.Tensor{lossD, dx, dgz1, dgz2} {
		b.Reuse(s)
	}
	b.CopyToSlot(t.ring, t.stats, t.slot)
}

// generator is Generator.forward in training mode on the tape.
func (t *DCGANTrainer) generator(tp *autograd.Tape, v map[string]*autograd.Var, z *autograd.Var) *autograd.Var {
	y := z
	for i := range 5 {
		conv := fmt.Sprintf("main.%d", 3*i)
		p := gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}
		if i == 0 {
			p = gpu.ConvTranspose2DParams{Stride: 1, Padding: 0}
		}
		y = tp.ConvTranspose2D(y, v[conv+".weight"], nil, p)
		if i == 4 {
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

// discriminator is Discriminator.forward in training mode on the tape: the probability
// [N] that each image is real.
func (t *DCGANTrainer) discriminator(tp *autograd.Tape, v map[string]*autograd.Var, x *autograd.Var) *autograd.Var {
	y := x
	for i, idx := range discriminatorConvs {
		conv := fmt.Sprintf("main.%d", idx)
		p := gpu.Conv2DParams{Stride: 2, Padding: 1}
		if i == 4 {
			p = gpu.Conv2DParams{Stride: 1, Padding: 0}
		}
		y = tp.Conv2D(y, v[conv+".weight"], nil, p)
		if i == 4 {
			break
		}
		if i > 0 {
			bn := fmt.Sprintf("main.%d", idx+1)
			y = tp.BatchNormTrain(y, v[bn+".weight"], v[bn+".bias"], t.dp.buffers[bn+".running_mean"],
				t.dp.buffers[bn+".running_var"], batchNormMomentum, batchNormEps)
		}
		y = tp.LeakyReLU(y, 0.2)
	}
	y = tp.Sigmoid(y)
	return tp.Reshape(y, t.TC.Batch)
}

// Steps is the number of iterations collected (or restored from a checkpoint).
func (t *DCGANTrainer) Steps() int { return t.steps }

// Pending is the number of iterations submitted and not yet collected.
func (t *DCGANTrainer) Pending() int { return t.pending }

// Step runs one iteration and waits for its figures: Submit, then Collect.
func (t *DCGANTrainer) Step(ctx context.Context, real, z []float32) (DCGANStepStats, error) {
	if err := t.Submit(real, z); err != nil {
		return DCGANStepStats{}, err
	}
	st, err := t.Collect(ctx)
	if err != nil {
		return DCGANStepStats{}, err
	}
	return st[0], nil
}

// Submit queues one iteration on real images [Batch,nc,64,64] in -1..1 and latents
// [Batch,nz] (or [Batch,nz,1,1]), flattened, without waiting for the GPU. At most
// StatsRing iterations can wait for Collect.
func (t *DCGANTrainer) Submit(real, z []float32) error {
	step := t.steps + t.pending + 1
	if t.pending == StatsRing {
		return fmt.Errorf("DCGAN step %d: %d iterations are waiting: Collect their figures first", step, t.pending)
	}
	if err := t.real.Write(real); err != nil {
		return fmt.Errorf("DCGAN step %d: real batch: %w", step, err)
	}
	if err := t.z.Write(z); err != nil {
		return fmt.Errorf("DCGAN step %d: latents: %w", step, err)
	}
	if err := t.slot.Write([]float32{float32(t.pending), 0, 0, 0}); err != nil {
		return fmt.Errorf("DCGAN step %d: %w", step, err)
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
		return fmt.Errorf("DCGAN step %d: %w", step, err)
	}
	t.pending++
	return nil
}

// Collect waits for the submitted iterations and returns their figures, in order; Millis
// is their average wall time. A non-finite figure is an error: the networks are then no
// longer usable, and the caller keeps its last checkpoint.
func (t *DCGANTrainer) Collect(ctx context.Context) ([]DCGANStepStats, error) {
	if t.pending == 0 {
		return nil, nil
	}
	v, err := t.ring.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("DCGAN steps %d-%d: %w", t.steps+1, t.steps+t.pending, err)
	}
	ms := float64(time.Since(t.since).Microseconds()) / 1000 / float64(t.pending)
	names := []string{"loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"}
	out := make([]DCGANStepStats, t.pending)
	n := t.pending
	t.pending = 0
	for i := range n {
		r := v[5*i : 5*i+5]
		for j, x := range r {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return out[:i], fmt.Errorf("DCGAN step %d: %s is %v: training diverged (try a lower --lr)", t.steps+1, names[j], x)
			}
		}
		out[i] = DCGANStepStats{LossD: float64(r[0]), LossG: float64(r[1]), DX: float64(r[2]), DGZ1: float64(r[3]),
			DGZ2: float64(r[4]), Millis: ms}
		t.steps++
	}
	return out, nil
}

// Generator returns the generator's weights now (batch norm running statistics included):
// a dcgan-g weights file that sampling runs in eval mode.
func (t *DCGANTrainer) Generator(ctx context.Context) (*Weights, error) { return t.gp.read(ctx, t.gw) }

// Discriminator returns the discriminator's weights now.
func (t *DCGANTrainer) Discriminator(ctx context.Context) (*Weights, error) {
	return t.dp.read(ctx, t.dw)
}

// Release frees everything the trainer holds on the device.
func (t *DCGANTrainer) Release() {
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
	for _, x := range []*gpu.Tensor{t.real, t.z, t.ones, t.zero, t.stats, t.ring, t.slot} {
		x.Release()
	}
	t.gp.release()
	t.dp.release()
}

// TinyDCGANSteps trains a tiny DCGAN (nz 8, ngf 4, ndf 4, batch 4) for steps iterations on
// seeded data, weights and latents that every platform draws alike, and returns what each
// step reports (also to done, when not nil, as each step finishes). Natively and in the
// browser it must give the same figures: the check that training runs the same on both.
func TinyDCGANSteps(ctx context.Context, dev *gpu.Device, steps int, done func(DCGANStepStats)) ([]DCGANStepStats, error) {
	rng := rand.New(rand.NewPCG(11, 12))
	g := InitGenerator(GeneratorConfig{NZ: 8, NGF: 4, NC: 3}, rng)
	d := InitDiscriminator(DiscriminatorConfig{NDF: 4, NC: 3}, rng)
	const batch = 4
	t, err := NewDCGANTrainer(dev, g, d, DCGANTrainConfig{Batch: batch, LR: 0.002, Beta1: 0.5})
	if err != nil {
		return nil, err
	}
	defer t.Release()
	real := make([]float32, batch*3*DCGANSize*DCGANSize)
	z := make([]float32, batch*8)
	var out []DCGANStepStats
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
		st, err := t.Step(ctx, real, z)
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
