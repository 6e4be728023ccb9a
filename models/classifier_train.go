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

// ClassifierTrainConfig are the hyperparameters of classifier training: batch size and
// Adam's learning rate (betas 0.9, 0.999, eps 1e-8: PyTorch's defaults).
type ClassifierTrainConfig struct {
	Batch int
	LR    float64
}

// DefaultClassifierLR is the learning rate of classifier training unless told otherwise.
const DefaultClassifierLR = 1e-3

// ClassifierStepStats are what one training step reports: the loss and its two terms
// before the step's update (a term the network lacks is 0).
type ClassifierStepStats struct {
	Loss      float64 // ClassLoss + AttrLoss
	ClassLoss float64 // cross entropy over the classes
	AttrLoss  float64 // binary cross entropy with logits, mean over the attributes
	Millis    float64 // wall time of the step, submit to readback
}

// classifierStats is the number of figures a step writes into the ring.
const classifierStats = 3

// ClassifierTrainer trains the classifier: forward with batch norm in training mode (batch
// statistics, running statistics updated as PyTorch does), the loss
//
//	cross_entropy(logits[:, :classes], labels) + binary_cross_entropy_with_logits(logits[:, classes:], attrs)
//
// (each term only when the network has classes, attributes), backward and one Adam step.
// The step is recorded once into a batch and replayed: the caller's images, labels and
// attributes are written into fixed input tensors, and the figures of up to StatsRing steps
// come back in one readback (Submit, then Collect).
type ClassifierTrainer struct {
	Config ClassifierConfig
	TC     ClassifierTrainConfig

	dev              *gpu.Device
	w                *Weights // what the network was made from (arch, config, IO, meta)
	p                *trainParams
	opt              *optim.Optimizer
	x, labels, attrs *gpu.Tensor
	zero, ring, slot *gpu.Tensor
	batch            *gpu.Batch
	tape             *autograd.Tape
	labelBuf         []float32
	steps, pending   int
	since            time.Time
}

// NewClassifierTrainer uploads w (arch classifier) and records one training step at batch
// size tc.Batch.
func NewClassifierTrainer(dev *gpu.Device, w *Weights, tc ClassifierTrainConfig) (*ClassifierTrainer, error) {
	if w.Arch != ArchClassifier {
		return nil, fmt.Errorf("classifier training: weights are for arch %q, want %s", w.Arch, ArchClassifier)
	}
	c, err := classifierConfig(w)
	if err != nil {
		return nil, err
	}
	if tc.Batch < 2 || tc.Batch > 4096 {
		// Batch norm in training mode needs two values per channel.
		return nil, fmt.Errorf("classifier training: batch size %d, want 2..4096", tc.Batch)
	}
	if !(tc.LR >= 0 && tc.LR < 1) {
		return nil, fmt.Errorf("classifier training: learning rate %v, want a value in [0, 1)", tc.LR)
	}
	t := &ClassifierTrainer{Config: c, TC: tc, dev: dev, w: w}
	if err := t.setup(); err != nil {
		t.Release()
		return nil, err
	}
	return t, nil
}

func (t *ClassifierTrainer) setup() error {
	var err error
	if t.p, err = newTrainParams(t.dev, t.w, t.Config.specs()); err != nil {
		return err
	}
	adam := optim.Adam{LR: t.TC.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	if t.opt, err = optim.NewAdam(t.dev, adam, t.p.whole, t.p.grads); err != nil {
		return fmt.Errorf("classifier optimizer: %w", err)
	}
	n, c := t.TC.Batch, t.Config
	if t.x, err = t.dev.NewTensor(n, c.NC, c.Size, c.Size); err != nil {
		return err
	}
	if c.Classes > 0 {
		if t.labels, err = t.dev.NewTensor(n); err != nil {
			return err
		}
		t.labelBuf = make([]float32, n)
	}
	if c.Attrs > 0 {
		if t.attrs, err = t.dev.NewTensor(n, c.Attrs); err != nil {
			return err
		}
	}
	if t.zero, err = t.dev.NewTensor(1); err != nil {
		return err
	}
	if t.ring, err = t.dev.NewTensor(StatsRing, classifierStats); err != nil {
		return err
	}
	if t.slot, err = t.dev.NewTensor(4); err != nil {
		return err
	}
	t.batch = t.dev.NewBatch()
	t.record()
	if err := t.tape.Err(); err != nil {
		return fmt.Errorf("classifier training: record a step at batch %d: %w", n, err)
	}
	return nil
}

// record records zero_grad, forward, the loss, backward and the Adam update into t.batch.
func (t *ClassifierTrainer) record() {
	b := t.batch
	tp := autograd.New(b)
	t.tape = tp
	b.Fill(t.p.grads, 0)
	b.Fill(t.zero, 0)
	logits := t.forward(tp, t.p.vars(tp, true), tp.Constant(t.x))
	c := t.Config
	var classLoss, attrLoss, loss *autograd.Var
	if c.Classes > 0 {
		l := logits
		if c.Attrs > 0 {
			l = tp.Slice(logits, 1, 0, c.Classes)
		}
		classLoss = tp.CrossEntropy(l, tp.Constant(t.labels))
		loss = classLoss
	}
	if c.Attrs > 0 {
		l := logits
		if c.Classes > 0 {
			l = tp.Slice(logits, 1, c.Classes, c.Attrs)
		}
		attrLoss = tp.BCEWithLogits(l, tp.Constant(t.attrs))
		loss = attrLoss
	}
	if classLoss != nil && attrLoss != nil {
		loss = tp.Add(classLoss, attrLoss)
	}
	if tp.Err() != nil {
		return
	}
	// The figures are copied before Backward, which frees the terms once it has read them.
	term := func(v *autograd.Var) *gpu.Tensor {
		if v == nil {
			return t.zero
		}
		return v.Tensor()
	}
	stats := b.Concat(0, loss.Tensor(), term(classLoss), term(attrLoss))
	b.CopyToSlot(t.ring, stats, t.slot)
	b.Reuse(stats)
	if tp.Backward(loss) != nil {
		return
	}
	t.opt.Record(b)
}

// forward is Classifier.forward in training form on the tape: the logits [Batch,outputs].
func (t *ClassifierTrainer) forward(tp *autograd.Tape, v map[string]*autograd.Var, x *autograd.Var) *autograd.Var {
	y := x
	for i, l := range t.Config.convs() {
		y = tp.Conv2D(y, v[l.name()+".weight"], v[l.name()+".bias"], gpu.Conv2DParams{Stride: l.stride, Padding: l.pad})
		if i > 0 {
			bn := l.bn()
			y = tp.BatchNormTrain(y, v[bn+".weight"], v[bn+".bias"], t.p.buffers[bn+".running_mean"],
				t.p.buffers[bn+".running_var"], batchNormMomentum, batchNormEps)
		}
		y = tp.LeakyReLU(y, classifierSlope)
	}
	y = tp.AvgPool2D(y, gpu.Pool2DParams{Kernel: classifierSide})
	y = tp.Reshape(y, t.TC.Batch, t.Config.Features())
	return tp.Linear(y, v["fc.weight"], v["fc.bias"])
}

// Steps is the number of steps collected.
func (t *ClassifierTrainer) Steps() int { return t.steps }

// Pending is the number of steps submitted and not yet collected.
func (t *ClassifierTrainer) Pending() int { return t.pending }

// Step runs one step and waits for its figures: Submit, then Collect.
func (t *ClassifierTrainer) Step(ctx context.Context, images []float32, labels []int, attrs []float32) (ClassifierStepStats, error) {
	if err := t.Submit(images, labels, attrs); err != nil {
		return ClassifierStepStats{}, err
	}
	st, err := t.Collect(ctx)
	if err != nil {
		return ClassifierStepStats{}, err
	}
	return st[0], nil
}

// Submit queues one step without waiting for the GPU, on images [Batch,nc,size,size] in
// -1..1 (flattened), their class labels (Batch values in 0..classes-1; nil when the network
// has no classes) and attributes [Batch,attrs] (0 or 1, or any target probability in
// between; nil when it has none). At most StatsRing steps can wait for Collect.
func (t *ClassifierTrainer) Submit(images []float32, labels []int, attrs []float32) error {
	step := t.steps + t.pending + 1
	c, n := t.Config, t.TC.Batch
	if t.pending == StatsRing {
		return fmt.Errorf("classifier step %d: %d steps are waiting: Collect their figures first", step, t.pending)
	}
	if c.Classes == 0 && len(labels) > 0 {
		return fmt.Errorf("classifier step %d: %d labels, but the network has no classes", step, len(labels))
	}
	if c.Attrs == 0 && len(attrs) > 0 {
		return fmt.Errorf("classifier step %d: %d attribute values, but the network has no attributes", step, len(attrs))
	}
	if c.Classes > 0 {
		if len(labels) != n {
			return fmt.Errorf("classifier step %d: %d labels for a batch of %d", step, len(labels), n)
		}
		for i, l := range labels {
			if l < 0 || l >= c.Classes {
				return fmt.Errorf("classifier step %d: label %d of image %d, want 0..%d", step, l, i, c.Classes-1)
			}
			t.labelBuf[i] = float32(l)
		}
	}
	if c.Attrs > 0 {
		if len(attrs) != n*c.Attrs {
			return fmt.Errorf("classifier step %d: %d attribute values, want %d (batch %d × %d attributes)", step, len(attrs), n*c.Attrs, n, c.Attrs)
		}
		for i, a := range attrs {
			if !(a >= 0 && a <= 1) {
				return fmt.Errorf("classifier step %d: attribute %d of image %d is %v, want 0..1", step, i%c.Attrs, i/c.Attrs, a)
			}
		}
	}
	if err := t.x.Write(images); err != nil {
		return fmt.Errorf("classifier step %d: images: %w", step, err)
	}
	if c.Classes > 0 {
		if err := t.labels.Write(t.labelBuf); err != nil {
			return fmt.Errorf("classifier step %d: labels: %w", step, err)
		}
	}
	if c.Attrs > 0 {
		if err := t.attrs.Write(attrs); err != nil {
			return fmt.Errorf("classifier step %d: attributes: %w", step, err)
		}
	}
	if err := t.slot.Write([]float32{float32(t.pending), 0, 0, 0}); err != nil {
		return fmt.Errorf("classifier step %d: %w", step, err)
	}
	if t.pending == 0 {
		t.since = time.Now()
	}
	if err := t.opt.BeginStep(); err != nil {
		return err
	}
	if err := t.batch.Submit(); err != nil {
		return fmt.Errorf("classifier step %d: %w", step, err)
	}
	t.pending++
	return nil
}

// Collect waits for the submitted steps and returns their figures, in order; Millis is
// their average wall time. A non-finite loss is an error: the network is then no longer
// usable.
func (t *ClassifierTrainer) Collect(ctx context.Context) ([]ClassifierStepStats, error) {
	if t.pending == 0 {
		return nil, nil
	}
	v, err := t.ring.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("classifier steps %d-%d: %w", t.steps+1, t.steps+t.pending, err)
	}
	ms := float64(time.Since(t.since).Microseconds()) / 1000 / float64(t.pending)
	n := t.pending
	t.pending = 0
	out := make([]ClassifierStepStats, n)
	for i := range n {
		r := v[classifierStats*i : classifierStats*(i+1)]
		if x := float64(r[0]); math.IsNaN(x) || math.IsInf(x, 0) {
			return out[:i], fmt.Errorf("classifier step %d: loss is %v: training diverged (try a lower learning rate)", t.steps+1, x)
		}
		out[i] = ClassifierStepStats{Loss: float64(r[0]), ClassLoss: float64(r[1]), AttrLoss: float64(r[2]), Millis: ms}
		t.steps++
	}
	return out, nil
}

// Weights returns the network's weights now (batch norm running statistics included), with
// the arch, config, IO and meta it was made from.
func (t *ClassifierTrainer) Weights(ctx context.Context) (*Weights, error) { return t.p.read(ctx, t.w) }

// Gradients returns the gradients of the last step's loss with respect to every parameter
// (at the weights before that step's update), as weights of the network's names and
// shapes; a buffer (running statistics) has none and is left out.
func (t *ClassifierTrainer) Gradients(ctx context.Context) (*Weights, error) {
	out := &Weights{Arch: t.w.Arch, Config: t.w.Config, IO: t.w.IO, Meta: t.w.Meta}
	for _, s := range t.p.order {
		if isBuffer(s.name) {
			continue
		}
		data, err := t.p.gparts[s.name].Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: read the gradient of %q: %w", t.w.Arch, s.name, err)
		}
		out.Tensors = append(out.Tensors, Tensor{Name: s.name, Shape: append([]int(nil), s.shape...), Data: data, DType: F32})
	}
	return out, nil
}

// Release frees everything the trainer holds on the device.
func (t *ClassifierTrainer) Release() {
	if t.batch != nil {
		t.batch.Release()
	}
	if t.tape != nil {
		t.tape.Release()
	}
	if t.opt != nil {
		t.opt.Release()
	}
	for _, x := range []*gpu.Tensor{t.x, t.labels, t.attrs, t.zero, t.ring, t.slot} {
		x.Release()
	}
	t.p.release()
}
