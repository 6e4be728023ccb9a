package models_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"easel/gpu/ref"
	"easel/models"
)

// refTransformer is TransformerNet's forward pass in float64 from gpu/ref's reference ops,
// for finite differences.
type refTransformer struct {
	c      models.TransformerConfig
	p      map[string][]float64
	shapes map[string][]int
}

func newRefTransformer(w *models.Weights, c models.TransformerConfig) *refTransformer {
	r := &refTransformer{c: c, p: map[string][]float64{}, shapes: map[string][]int{}}
	for _, t := range w.Tensors {
		r.p[t.Name] = f64(t.Data)
		r.shapes[t.Name] = t.Shape
	}
	return r
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func (r *refTransformer) forward(x []float64, xs []int) ([]float64, []int) {
	conv := func(name string, x []float64, xs []int, stride int) ([]float64, []int) {
		ws := r.shapes[name+".conv2d.weight"]
		return ref.Conv2D(x, xs, r.p[name+".conv2d.weight"], ws, r.p[name+".conv2d.bias"], stride, ws[2]/2, true)
	}
	norm := func(name string, x []float64, xs []int) []float64 {
		return ref.InstanceNorm(x, xs, r.p[name+".weight"], r.p[name+".bias"], 1e-5)
	}
	relu := func(x []float64) []float64 { return ref.Unary(x, ref.ReLU) }
	y, ys := conv("conv1", x, xs, 1)
	y = relu(norm("in1", y, ys))
	y, ys = conv("conv2", y, ys, 2)
	y = relu(norm("in2", y, ys))
	y, ys = conv("conv3", y, ys, 2)
	y = relu(norm("in3", y, ys))
	for i := 1; i <= r.c.Blocks; i++ {
		res := fmt.Sprintf("res%d", i)
		h, hs := conv(res+".conv1", y, ys, 1)
		h = relu(norm(res+".in1", h, hs))
		h, hs = conv(res+".conv2", h, hs, 1)
		h = norm(res+".in2", h, hs)
		y = ref.Binary(h, y, func(a, b float64) float64 { return a + b })
	}
	for _, l := range [][2]string{{"deconv1", "in4"}, {"deconv2", "in5"}} {
		y, ys = ref.UpsampleNearest(y, ys, 2)
		y, ys = conv(l[0], y, ys, 1)
		y = relu(norm(l[1], y, ys))
	}
	return conv("deconv3", y, ys, 1)
}

// gradients is the analytic float64 backward of mean((forward(x)-target)²) with respect
// to every parameter, from gpu/ref's backward references (each checked against finite
// differences in gpu/ref): the loss and the gradients by name.
func (r *refTransformer) gradients(x []float64, xs []int, target []float64) (float64, map[string][]float64) {
	g := map[string][]float64{}
	acc := func(name string, v []float64) {
		if g[name] == nil {
			g[name] = make([]float64, len(v))
		}
		for i := range v {
			g[name][i] += v[i]
		}
	}
	type back func(dy []float64) []float64
	var tape []back
	conv := func(name string, x []float64, xs []int, stride int) ([]float64, []int) {
		wn, bn := name+".conv2d.weight", name+".conv2d.bias"
		ws := r.shapes[wn]
		pad := ws[2] / 2
		y, ys := ref.Conv2D(x, xs, r.p[wn], ws, r.p[bn], stride, pad, true)
		tape = append(tape, func(dy []float64) []float64 {
			dw, _ := ref.Conv2DBackwardWeight(x, xs, dy, ys, ws, stride, pad, true)
			db, _ := ref.BiasBackward(dy, ys)
			acc(wn, dw)
			acc(bn, db)
			dx, _ := ref.Conv2DBackwardInput(dy, ys, r.p[wn], ws, xs, stride, pad, true)
			return dx
		})
		return y, ys
	}
	norm := func(name string, x []float64, xs []int) []float64 {
		gamma := r.p[name+".weight"]
		tape = append(tape, func(dy []float64) []float64 {
			dx, dg, db := ref.InstanceNormBackward(dy, x, xs, gamma, 1e-5)
			acc(name+".weight", dg)
			acc(name+".bias", db)
			return dx
		})
		return ref.InstanceNorm(x, xs, gamma, r.p[name+".bias"], 1e-5)
	}
	relu := func(x []float64) []float64 {
		tape = append(tape, func(dy []float64) []float64 { return ref.ReLUBackward(dy, x) })
		return ref.Unary(x, ref.ReLU)
	}
	// run records layers on a tape of their own and returns a backward through them.
	run := func(f func()) back {
		outer := tape
		tape = nil
		f()
		inner := tape
		tape = outer
		return func(dy []float64) []float64 {
			for i := len(inner) - 1; i >= 0; i-- {
				dy = inner[i](dy)
			}
			return dy
		}
	}
	y, ys := conv("conv1", x, xs, 1)
	y = relu(norm("in1", y, ys))
	y, ys = conv("conv2", y, ys, 2)
	y = relu(norm("in2", y, ys))
	y, ys = conv("conv3", y, ys, 2)
	y = relu(norm("in3", y, ys))
	for i := 1; i <= r.c.Blocks; i++ {
		res := fmt.Sprintf("res%d", i)
		var h []float64
		branch := run(func() {
			var hs []int
			h, hs = conv(res+".conv1", y, ys, 1)
			h = relu(norm(res+".in1", h, hs))
			h, hs = conv(res+".conv2", h, hs, 1)
			h = norm(res+".in2", h, hs)
		})
		tape = append(tape, func(dy []float64) []float64 {
			return ref.Binary(branch(dy), dy, func(a, b float64) float64 { return a + b })
		})
		y = ref.Binary(h, y, func(a, b float64) float64 { return a + b })
	}
	for _, l := range [][2]string{{"deconv1", "in4"}, {"deconv2", "in5"}} {
		var us []int
		y, us = ref.UpsampleNearest(y, ys, 2)
		tape = append(tape, func(dy []float64) []float64 {
			dx, _ := ref.UpsampleNearestBackward(dy, us, 2)
			return dx
		})
		y, ys = conv(l[0], y, us, 1)
		y = relu(norm(l[1], y, ys))
	}
	y, _ = conv("deconv3", y, ys, 1)
	dy := ref.MSEBackward(1, y, target)
	for i := len(tape) - 1; i >= 0; i-- {
		dy = tape[i](dy)
	}
	return ref.MSE(y, target), g
}

// tiny is the TransformerNet-light of the gradient tests: widths 4, 8, 8, one residual block.
var tiny = models.TransformerConfig{C1: 4, C2: 8, C3: 8, Blocks: 1}

// randomTransformer is a TransformerNet of config c with every parameter random (the
// instance norms' affine parameters moved off 1 and 0).
func randomTransformer(c models.TransformerConfig, rng *rand.Rand) *models.Weights {
	w := models.InitTransformerNet(c, rng)
	for i := range w.Tensors {
		t := &w.Tensors[i]
		if strings.Contains(t.Name, ".conv2d.") {
			continue
		}
		for j := range t.Data {
			if strings.HasSuffix(t.Name, ".weight") {
				t.Data[j] = float32(1 + 0.3*rng.NormFloat64())
			} else {
				t.Data[j] = float32(0.2 * rng.NormFloat64())
			}
		}
	}
	return w
}

// TestTransformerTrainerGradients checks the tape's parameter gradients of a tiny
// TransformerNet (convolutions with reflect padding, stride 2, instance norm, ReLU, the
// residual sum, nearest upsampling + convolution, MSE against a target) on an even and an
// odd, non-square, batched input, and of a wider one (16, 32, 64: the widths of the tuned
// kernels' paths). The trainer runs one step at learning rate 0, so the gradients it
// leaves are those at the weights it was given. They are compared with central finite
// differences of the float64 reference forward pass on 300 elements (100 for the wider
// network; a few of every tensor, the rest at random), and on every element with the
// float64 analytic
// backward built from gpu/ref's backward references. Each error is relative to the
// largest gradient of its tensor, or to 1e-3 of the largest of all for the tensors whose
// gradient is next to nothing (the biases of the convolutions an instance norm follows:
// the norm removes them).
func TestTransformerTrainerGradients(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	wide := models.TransformerConfig{C1: 16, C2: 32, C3: 64, Blocks: 1}
	for _, tc := range []struct {
		c      models.TransformerConfig
		shape  [3]int
		sample int
	}{{tiny, [3]int{1, 16, 20}, 300}, {tiny, [3]int{2, 13, 18}, 300}, {wide, [3]int{1, 20, 27}, 100}} {
		c, shape := tc.c, tc.shape
		t.Run(fmt.Sprintf("%d-%d-%d/%dx3x%dx%d", c.C1, c.C2, c.C3, shape[0], shape[1], shape[2]), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(shape[1]), 11))
			w := randomTransformer(c, rng)
			tr, err := models.NewTransformerTrainer(dev, w, models.TransformerTrainConfig{Batch: shape[0], Height: shape[1], Width: shape[2], LR: 0})
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Release()
			xs, ys := tr.InputShape(), tr.OutputShape()
			x := make([]float32, xs[0]*xs[1]*xs[2]*xs[3])
			for i := range x {
				x[i] = float32(255 * rng.Float64())
			}
			target := make([]float32, ys[0]*ys[1]*ys[2]*ys[3])
			for i := range target {
				target[i] = float32(4*rng.Float64() - 2)
			}
			if err := tr.SetTarget(target); err != nil {
				t.Fatal(err)
			}
			st, err := tr.Step(ctx, x)
			if err != nil {
				t.Fatal(err)
			}
			grads, err := tr.Gradients(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]float32{}
			for _, g := range grads.Tensors {
				got[g.Name] = g.Data
			}

			r := newRefTransformer(w, c)
			x64, t64 := f64(x), f64(target)
			loss := func() float64 {
				y, s := r.forward(x64, xs)
				if fmt.Sprint(s) != fmt.Sprint(ys) {
					t.Fatalf("reference output %v, trainer's %v", s, ys)
				}
				return ref.MSE(y, t64)
			}
			want, ana := r.gradients(x64, xs, t64)
			if e := math.Abs(st.Loss-want) / want; !(e <= 1e-4) {
				t.Errorf("loss %.6g, reference %.6g (relative error %.1e)", st.Loss, want, e)
			}
			largest := 0.0
			for _, v := range ana {
				for _, a := range v {
					largest = max(largest, math.Abs(a))
				}
			}
			scale := map[string]float64{}
			for name, v := range ana {
				scale[name] = 1e-3 * largest
				for _, a := range v {
					scale[name] = max(scale[name], math.Abs(a))
				}
			}

			// Finite differences. h is small because the first convolution's weights multiply
			// inputs of up to 255: at h = 1e-4 a few ReLUs change sides and the differences
			// are off by up to 2 %; from 1e-5 down they agree with the analytic gradient to
			// 1e-7.
			var elems []struct {
				name string
				i    int
			}
			for _, g := range grads.Tensors {
				for _, i := range rng.Perm(len(g.Data))[:min(len(g.Data), 6)] {
					elems = append(elems, struct {
						name string
						i    int
					}{g.Name, i})
				}
			}
			for len(elems) < tc.sample {
				g := grads.Tensors[rng.IntN(len(grads.Tensors))]
				elems = append(elems, struct {
					name string
					i    int
				}{g.Name, rng.IntN(len(g.Data))})
			}
			worstFD, worstFDAt := 0.0, ""
			for _, e := range elems {
				p := r.p[e.name]
				v := p[e.i]
				h := 1e-6 * max(1, math.Abs(v))
				p[e.i] = v + h
				up := loss()
				p[e.i] = v - h
				down := loss()
				p[e.i] = v
				fd := (up - down) / (2 * h)
				g := float64(got[e.name][e.i])
				rel := math.Abs(g-fd) / scale[e.name]
				if !(rel <= worstFD) {
					worstFD, worstFDAt = rel, fmt.Sprintf("%s[%d]: tape %.6g, finite differences %.6g", e.name, e.i, g, fd)
				}
				if !(rel <= 1e-3) {
					t.Errorf("%s[%d]: gradient %.6g, finite differences %.6g (error %.1e of %.3g)", e.name, e.i, g, fd, rel, scale[e.name])
				}
				if a := ana[e.name][e.i]; !(math.Abs(a-fd) <= 1e-5*scale[e.name]) {
					t.Errorf("%s[%d]: the reference analytic gradient %.8g, finite differences %.8g", e.name, e.i, a, fd)
				}
			}

			worst, worstAt, count := 0.0, "", 0
			for name, v := range ana {
				count += len(v)
				for i, a := range v {
					g := float64(got[name][i])
					rel := math.Abs(g-a) / scale[name]
					if !(rel <= worst) {
						worst, worstAt = rel, fmt.Sprintf("%s[%d]: tape %.6g, analytic %.6g", name, i, g, a)
					}
					if !(rel <= 1e-3) {
						t.Errorf("%s[%d]: gradient %.6g, analytic %.6g (error %.1e of %.3g)", name, i, g, a, rel, scale[name])
					}
				}
			}
			t.Logf("loss %.6g (reference %.6g); finite differences on %d elements: worst error %.2e (%s); "+
				"analytic on all %d: worst %.2e (%s)", st.Loss, want, len(elems), worstFD, worstFDAt,
				count, worst, worstAt)
		})
	}
}

// TestTransformerTrainerLearns takes Adam steps towards a fixed target: the loss must fall,
// and the replayed batch must keep the weights and the loss finite.
func TestTransformerTrainerLearns(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	w := randomTransformer(tiny, rng)
	tr, err := models.NewTransformerTrainer(dev, w, models.TransformerTrainConfig{Batch: 2, Height: 12, Width: 16, LR: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Release()
	xs, ys := tr.InputShape(), tr.OutputShape()
	x := make([]float32, xs[0]*xs[1]*xs[2]*xs[3])
	for i := range x {
		x[i] = float32(255 * rng.Float64())
	}
	target := make([]float32, ys[0]*ys[1]*ys[2]*ys[3])
	for i := range target {
		target[i] = float32(10 * math.Sin(float64(i)/7))
	}
	if err := tr.SetTarget(target); err != nil {
		t.Fatal(err)
	}
	var losses []float64
	for range 8 {
		st, err := tr.Step(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, st.Loss)
	}
	t.Logf("losses: %.4g", losses)
	if !(losses[len(losses)-1] < 0.9*losses[0]) {
		t.Errorf("8 Adam steps took the loss from %.4g to %.4g, want a fall of at least 10%%", losses[0], losses[len(losses)-1])
	}
	for i := 1; i < len(losses); i++ {
		if !(losses[i] < losses[i-1]) {
			t.Errorf("step %d: loss %.4g after %.4g: not falling", i+1, losses[i], losses[i-1])
		}
	}
	if tr.Steps() != 8 {
		t.Errorf("Steps() = %d after 8 steps", tr.Steps())
	}
	after, err := tr.Weights(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range after.Tensors {
		// Every weight has a gradient; a bias of a convolution followed by an instance norm
		// has none (the norm removes it), so biases may stay.
		if strings.HasSuffix(tt.Name, ".weight") && fmt.Sprint(tt.Data) == fmt.Sprint(w.Tensors[i].Data) {
			t.Errorf("%s did not change in 8 Adam steps", tt.Name)
		}
	}
}
