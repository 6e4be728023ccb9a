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

// TransformerTrainConfig is the shape of a TransformerNet training step and Adam's learning
// rate (betas 0.9, 0.999 and eps 1e-8: PyTorch's defaults, as fast_neural_style keeps them).
type TransformerTrainConfig struct {
	Batch, Height, Width int
	LR                   float64
}

// TransformerStepStats are what one step reports.
type TransformerStepStats struct {
	Loss   float64 // the MSE before the step's update
	Millis float64 // wall time of the step, submit to readback
}

// TransformerTrainer trains TransformerNet to map an input to a fixed target: forward in
// training form, MSE loss mean((y-target)²), backward, one Adam step. There is no loss
// network: this is the network's own share of a fast_neural_style step, what benchmarks
// and the gradient tests need. TransformerNet has no buffers (its instance norms keep no
// running statistics).
//
// The step is recorded once into a batch and replayed by Step; the input and the target are
// tensors written before a step (SetTarget once, the input with each Step).
type TransformerTrainer struct {
	Config TransformerConfig
	TC     TransformerTrainConfig

	dev       *gpu.Device
	w         *Weights
	p         *trainParams
	opt       *optim.Optimizer
	x, target *gpu.Tensor
	outShape  []int
	loss      *gpu.Tensor
	batch     *gpu.Batch
	tape      *autograd.Tape
	steps     int
}

// NewTransformerTrainer uploads w (transformer-net or transformer-net-light) and records one
// training step on inputs [tc.Batch,3,tc.Height,tc.Width]. The target starts at zero.
func NewTransformerTrainer(dev *gpu.Device, w *Weights, tc TransformerTrainConfig) (*TransformerTrainer, error) {
	if w.Arch != ArchTransformerNet && w.Arch != ArchTransformerNetLight {
		return nil, fmt.Errorf("TransformerNet training: weights are for arch %q, want %s or %s", w.Arch, ArchTransformerNet, ArchTransformerNetLight)
	}
	c, err := transformerConfig(w)
	if err != nil {
		return nil, err
	}
	if tc.Batch < 1 || tc.Batch > 4096 || tc.Height < 5 || tc.Width < 5 || tc.Height > 1<<14 || tc.Width > 1<<14 {
		return nil, fmt.Errorf("TransformerNet training: input [%d,3,%d,%d], want batch 1..4096 and sides 5..16384", tc.Batch, tc.Height, tc.Width)
	}
	t := &TransformerTrainer{Config: c, TC: tc, dev: dev, w: w}
	if err := t.setup(); err != nil {
		t.Release()
		return nil, err
	}
	return t, nil
}

func (t *TransformerTrainer) setup() error {
	var err error
	if t.p, err = newTrainParams(t.dev, t.w, t.Config.specs()); err != nil {
		return err
	}
	adam := optim.Adam{LR: t.TC.LR, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	if t.opt, err = optim.NewAdam(t.dev, adam, t.p.whole, t.p.grads); err != nil {
		return fmt.Errorf("TransformerNet optimizer: %w", err)
	}
	n, h, w := t.TC.Batch, t.TC.Height, t.TC.Width
	if t.x, err = t.dev.NewTensor(n, 3, h, w); err != nil {
		return err
	}
	h3, w3 := ((h-1)/2)/2+1, ((w-1)/2)/2+1 // two stride-2 convolutions with padding 1
	t.outShape = []int{n, 3, 4 * h3, 4 * w3}
	if t.target, err = t.dev.NewTensor(t.outShape...); err != nil {
		return err
	}
	t.batch = t.dev.NewBatch()
	t.record()
	if err := t.tape.Err(); err != nil {
		return fmt.Errorf("TransformerNet training: record a step on [%d,3,%d,%d]: %w", n, h, w, err)
	}
	return nil
}

// record records zero_grad, forward, loss, backward and the Adam update into t.batch.
func (t *TransformerTrainer) record() {
	b := t.batch
	tp := autograd.New(b)
	t.tape = tp
	b.Fill(t.p.grads, 0)
	y := transformerTrainForward(tp, t.Config, t.p.vars(tp, true), tp.Constant(t.x))
	if y != nil && !slices.Equal(y.Shape(), t.outShape) {
		tp.Batch().Fail(fmt.Errorf("TransformerNet training: output %v, want %v", y.Shape(), t.outShape))
		return
	}
	loss := tp.MSE(y, tp.Constant(t.target))
	if tp.Err() != nil {
		return
	}
	t.loss = loss.Tensor()
	if tp.Backward(loss) != nil {
		return
	}
	t.opt.Record(b)
}

// transformerTrainForward is TransformerNet.forward on the tape (see TransformerNet.forward
// for the inference form, which fuses the norms with what follows them).
func transformerTrainForward(tp *autograd.Tape, c TransformerConfig, v map[string]*autograd.Var, x *autograd.Var) *autograd.Var {
	conv := func(name string, x *autograd.Var, stride int) *autograd.Var {
		w := v[name+".conv2d.weight"]
		k := w.Shape()[2]
		return tp.Conv2D(x, w, v[name+".conv2d.bias"], gpu.Conv2DParams{Stride: stride, Padding: k / 2, PadMode: gpu.PadReflect})
	}
	upConv := func(name string, x *autograd.Var) *autograd.Var {
		w := v[name+".conv2d.weight"]
		k := w.Shape()[2]
		return tp.UpsampleConv2D(x, w, v[name+".conv2d.bias"], 2, gpu.Conv2DParams{Stride: 1, Padding: k / 2, PadMode: gpu.PadReflect})
	}
	norm := func(name string, x *autograd.Var) *autograd.Var {
		return tp.InstanceNorm(x, v[name+".weight"], v[name+".bias"], instanceNormEps)
	}
	y := tp.ReLU(norm("in1", conv("conv1", x, 1)))
	y = tp.ReLU(norm("in2", conv("conv2", y, 2)))
	y = tp.ReLU(norm("in3", conv("conv3", y, 2)))
	for i := 1; i <= c.Blocks; i++ {
		res := fmt.Sprintf("res%d", i)
		h := tp.ReLU(norm(res+".in1", conv(res+".conv1", y, 1)))
		y = tp.Add(norm(res+".in2", conv(res+".conv2", h, 1)), y)
	}
	y = tp.ReLU(norm("in4", upConv("deconv1", y)))
	y = tp.ReLU(norm("in5", upConv("deconv2", y)))
	return conv("deconv3", y, 1)
}

// InputShape is the shape of a step's input, [Batch,3,Height,Width].
func (t *TransformerTrainer) InputShape() []int { return t.x.Shape() }

// OutputShape is the shape of the network's output and of the target.
func (t *TransformerTrainer) OutputShape() []int { return append([]int(nil), t.outShape...) }

// SetTarget writes the target (OutputShape, flattened) that later steps fit.
func (t *TransformerTrainer) SetTarget(target []float32) error {
	if err := t.target.Write(target); err != nil {
		return fmt.Errorf("TransformerNet training: target: %w", err)
	}
	return nil
}

// Steps is the number of steps taken.
func (t *TransformerTrainer) Steps() int { return t.steps }

// Step runs one step on input x (InputShape, flattened; nil keeps the last one written):
// the loss at the current weights, then their update. A non-finite loss is an error.
func (t *TransformerTrainer) Step(ctx context.Context, x []float32) (TransformerStepStats, error) {
	var st TransformerStepStats
	if x != nil {
		if err := t.x.Write(x); err != nil {
			return st, fmt.Errorf("TransformerNet step %d: input: %w", t.steps+1, err)
		}
	}
	start := time.Now()
	if err := t.opt.BeginStep(); err != nil {
		return st, err
	}
	if err := t.batch.Submit(); err != nil {
		return st, fmt.Errorf("TransformerNet step %d: %w", t.steps+1, err)
	}
	v, err := t.loss.Read(ctx)
	if err != nil {
		return st, fmt.Errorf("TransformerNet step %d: %w", t.steps+1, err)
	}
	t.steps++
	st = TransformerStepStats{Loss: float64(v[0]), Millis: float64(time.Since(start).Microseconds()) / 1000}
	if math.IsNaN(st.Loss) || math.IsInf(st.Loss, 0) {
		return st, fmt.Errorf("TransformerNet step %d: loss is %v: training diverged (try a lower learning rate)", t.steps, st.Loss)
	}
	return st, nil
}

// Weights returns the network's weights now.
func (t *TransformerTrainer) Weights(ctx context.Context) (*Weights, error) {
	return t.p.read(ctx, t.w)
}

// Gradients returns the gradients of the last step's loss with respect to every parameter
// (at the weights before that step's update), as weights of the network's names and
// shapes.
func (t *TransformerTrainer) Gradients(ctx context.Context) (*Weights, error) {
	return t.p.readGrads(ctx, t.w)
}

// Release frees everything the trainer holds on the device.
func (t *TransformerTrainer) Release() {
	if t.batch != nil {
		t.batch.Release()
	}
	if t.tape != nil {
		t.tape.Release()
	}
	if t.opt != nil {
		t.opt.Release()
	}
	for _, x := range []*gpu.Tensor{t.x, t.target} {
		x.Release()
	}
	t.p.release()
}
