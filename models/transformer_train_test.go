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

// tinyTransformer is a TransformerNet-light of widths 4, 8, 8 and one residual block with
// every parameter random (the instance norms' affine parameters moved off 1 and 0).
func tinyTransformer(rng *rand.Rand) (*models.Weights, models.TransformerConfig) {
	c := models.TransformerConfig{C1: 4, C2: 8, C3: 8, Blocks: 1}
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
	return w, c
}

// TestTransformerTrainerGradients checks the tape's parameter gradients of TransformerNet
// (conv with reflect padding, stride 2, instance norm, ReLU, the residual sum, nearest
// upsampling + conv, MSE) against central finite differences of the float64 reference
// forward pass, on random elements of every tensor, on odd and even, non-square, batched
// inputs. The trainer runs one step at learning rate 0, so the gradients it leaves are
// those at the weights it was given.
func TestTransformerTrainerGradients(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	for _, shape := range [][3]int{{1, 16, 20}, {2, 13, 18}} {
		t.Run(fmt.Sprintf("%dx3x%dx%d", shape[0], shape[1], shape[2]), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(shape[1]), 11))
			w, c := tinyTransformer(rng)
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

			r := newRefTransformer(w, c)
			x64, t64 := f64(x), f64(target)
			loss := func() float64 {
				y, s := r.forward(x64, xs)
				if fmt.Sprint(s) != fmt.Sprint(ys) {
					t.Fatalf("reference output %v, trainer's %v", s, ys)
				}
				return ref.MSE(y, t64)
			}
			want := loss()
			if e := math.Abs(st.Loss-want) / want; !(e <= 1e-4) {
				t.Errorf("loss %.6g, reference %.6g (relative error %.1e)", st.Loss, want, e)
			}

			// A few elements of every tensor, then random ones of all: 300 in all.
			type elem struct {
				name string
				i    int
			}
			var elems []elem
			var all []elem
			for _, g := range grads.Tensors {
				for _, i := range rng.Perm(len(g.Data))[:min(len(g.Data), 6)] {
					elems = append(elems, elem{g.Name, i})
				}
				for i := range g.Data {
					all = append(all, elem{g.Name, i})
				}
			}
			for len(elems) < 300 {
				elems = append(elems, all[rng.IntN(len(all))])
			}
			got := map[string][]float32{}
			for _, g := range grads.Tensors {
				got[g.Name] = g.Data
			}
			fd := make([]float64, len(elems))
			global := 0.0
			for k, e := range elems {
				p := r.p[e.name]
				v := p[e.i]
				h := 1e-4 * max(1, math.Abs(v))
				p[e.i] = v + h
				up := loss()
				p[e.i] = v - h
				down := loss()
				p[e.i] = v
				fd[k] = (up - down) / (2 * h)
				global = max(global, math.Abs(fd[k]))
			}
			// Each error is relative to the largest gradient of its tensor, or to 1e-3 of
			// the largest of all for tensors whose gradient is next to nothing (the biases
			// of convolutions that an instance norm follows: it removes them).
			scale := map[string]float64{}
			for k, e := range elems {
				scale[e.name] = max(scale[e.name], math.Abs(fd[k]), 1e-3*global)
			}
			worst, worstAt := 0.0, ""
			for k, e := range elems {
				g := float64(got[e.name][e.i])
				rel := math.Abs(g-fd[k]) / scale[e.name]
				if !(rel <= worst) {
					worst, worstAt = rel, fmt.Sprintf("%s[%d]: tape %.6g, finite differences %.6g", e.name, e.i, g, fd[k])
				}
				if !(rel <= 1e-3) {
					t.Errorf("%s[%d]: gradient %.6g, finite differences %.6g (error %.1e of the tensor's largest %.3g)",
						e.name, e.i, g, fd[k], rel, scale[e.name])
				}
			}
			t.Logf("loss %.6g (reference %.6g); %d elements, worst error %.2e of its tensor's largest gradient (%s)",
				st.Loss, want, len(elems), worst, worstAt)
		})
	}
}

// TestTransformerTrainerLearns takes Adam steps towards a fixed target: the loss must fall,
// and the replayed batch must keep the weights and the loss finite.
func TestTransformerTrainerLearns(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	w, _ := tinyTransformer(rng)
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
