package autograd

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"easel/gpu"
	"easel/gpu/ref"
)

// TestDepthwiseClampGradients checks a MobileNetV2-like chain on the tape: a stride-2
// depthwise convolution with bias, ReLU6 (Clamp to [0, 6]), a stride-1 depthwise
// convolution with a non-square kernel and no bias, and L = Σ y·g. The gradients of the
// input and of every parameter are compared with the float64 reference gradients of the
// same chain, and against central finite differences of the reference loss on a sample.
func TestDepthwiseClampGradients(t *testing.T) {
	t.Logf("adapter: %s", testDev.Adapter())
	rng := rand.New(rand.NewPCG(21, 22))
	xs, w1s, w2s := []int{2, 6, 9, 7}, []int{6, 1, 3, 3}, []int{6, 1, 3, 5}
	p1, p2 := gpu.Conv2DParams{Stride: 2, Padding: 1}, gpu.Conv2DParams{Stride: 1, Padding: 1}
	vals := map[string][]float64{
		"x": randn(rng, 2*6*9*7, 3), "w1": randn(rng, 6*9, 0.6), "b1": randn(rng, 6, 1), "w2": randn(rng, 6*15, 0.5),
	}
	shapes := map[string][]int{"x": xs, "w1": w1s, "b1": {6}, "w2": w2s}
	// The reference chain; returns the loss and the intermediates backward needs.
	h1s := []int{2, 6, 5, 4}
	ys := []int{2, 6, 5, 2}
	g := randn(rng, 2*6*5*2, 1)
	forward := func() (loss float64, h1, a []float64) {
		h1, _ = ref.DepthwiseConv2D(vals["x"], xs, vals["w1"], w1s, vals["b1"], p1.Stride, p1.Padding)
		a = ref.Unary(h1, ref.Hardtanh(0, 6))
		y, _ := ref.DepthwiseConv2D(a, h1s, vals["w2"], w2s, nil, p2.Stride, p2.Padding)
		for i := range y {
			loss += y[i] * g[i]
		}
		return loss, h1, a
	}
	wantLoss, h1, a := forward()
	inside := 0
	for _, v := range h1 {
		if v > 0 && v < 6 {
			inside++
		}
	}
	if inside == len(h1) || inside < len(h1)/4 {
		t.Fatalf("%d of %d pre-activations inside (0, 6): the test must see both", inside, len(h1))
	}
	want := map[string][]float64{}
	want["w2"], _ = ref.DepthwiseConv2DBackwardWeight(a, h1s, g, ys, w2s, p2.Stride, p2.Padding)
	da, _ := ref.DepthwiseConv2DBackwardInput(g, ys, vals["w2"], w2s, h1s, p2.Stride, p2.Padding)
	dh := ref.HardtanhBackward(da, h1, 0, 6)
	want["w1"], _ = ref.DepthwiseConv2DBackwardWeight(vals["x"], xs, dh, h1s, w1s, p1.Stride, p1.Padding)
	want["b1"], _ = ref.BiasBackward(dh, h1s)
	want["x"], _ = ref.DepthwiseConv2DBackwardInput(dh, h1s, vals["w1"], w1s, xs, p1.Stride, p1.Padding)

	b := testDev.NewBatch()
	defer b.Release()
	tp := New(b)
	defer tp.Release()
	vars, grads := map[string]*Var{}, map[string]*gpu.Tensor{}
	for name, v := range vals {
		grads[name] = upload(t, make([]float32, len(v)), shapes[name]...)
		vars[name] = tp.Param(upload(t, f32(v), shapes[name]...), grads[name])
	}
	h := tp.DepthwiseConv2D(vars["x"], vars["w1"], vars["b1"], p1)
	y := tp.DepthwiseConv2D(tp.Clamp(h, 0, 6), vars["w2"], nil, p2)
	loss := tp.Sum(tp.Mul(y, tp.Constant(upload(t, f32(g), ys...))))
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	if got := float64(read(t, loss.Tensor())[0]); math.Abs(got-wantLoss) > 1e-4*math.Abs(wantLoss) {
		t.Fatalf("loss %v, reference %v", got, wantLoss)
	}
	ctx := context.Background()
	for name, gt := range grads {
		got, err := gt.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		scale, worst := 0.0, 0.0
		for _, v := range want[name] {
			scale = math.Max(scale, math.Abs(v))
		}
		for i, v := range want[name] {
			worst = math.Max(worst, math.Abs(float64(got[i])-v)/scale)
		}
		// Finite differences of the reference loss on a sample, away from Clamp's corners.
		fdWorst := 0.0
		for _, j := range rng.Perm(len(got))[:min(len(got), 12)] {
			p := vals[name]
			orig := p[j]
			step := 1e-5 * math.Max(1, math.Abs(orig))
			p[j] = orig + step
			up, _, _ := forward()
			p[j] = orig - step
			down, _, _ := forward()
			p[j] = orig
			fdWorst = math.Max(fdWorst, math.Abs((up-down)/(2*step)-want[name][j])/scale)
		}
		t.Logf("%s %v: worst |grad - reference| %.2e, |reference - finite difference| %.2e of max|grad| %.3g",
			name, shapes[name], worst, fdWorst, scale)
		if worst > 1e-5 {
			t.Errorf("%s: gradient off the reference by %.2e of its scale (tolerance 1e-5)", name, worst)
		}
		if fdWorst > 1e-6 {
			t.Errorf("%s: reference gradient off finite differences by %.2e of its scale (tolerance 1e-6)", name, fdWorst)
		}
	}
}
