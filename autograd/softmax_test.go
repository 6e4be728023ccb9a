package autograd

import (
	"math"
	"testing"

	"easel/gpu/ref"
)

// TestSoftmaxGradient: the gradient of Σ w·Softmax(x) over samples [2, 3, 5, 7] (one of
// them with inputs up to ±80) is SoftmaxBackward(w, y) of the float64 reference, and the
// forward value is the reference's.
func TestSoftmaxGradient(t *testing.T) {
	shape := []int{2, 3, 5, 7}
	n := 2 * 3 * 5 * 7
	xs, ws := make([]float32, n), make([]float32, n)
	xv, wv := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i] = float32(2 * math.Sin(float64(i)*1.7))
		if i >= n/2 {
			xs[i] *= 40 // up to ±80
		}
		ws[i] = float32(math.Cos(float64(i) * 0.9))
		xv[i], wv[i] = float64(xs[i]), float64(ws[i])
	}
	x := upload(t, xs, shape...)
	g := upload(t, make([]float32, n), shape...)
	w := upload(t, ws, shape...)
	b := testDev.NewBatch()
	defer b.Release()
	tp := New(b)
	defer tp.Release()
	loss := tp.Sum(tp.Mul(tp.Softmax(tp.Param(x, g)), tp.Constant(w)))
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	y := ref.Softmax(xv, 2)
	wantLoss := ref.Sum(ref.Binary(y, wv, func(a, b float64) float64 { return a * b }))
	if got := read(t, loss.Tensor())[0]; math.Abs(float64(got)-wantLoss) > 1e-6*math.Max(1, math.Abs(wantLoss)) {
		t.Errorf("loss = %v, want %v", got, wantLoss)
	}
	want := ref.SoftmaxBackward(wv, y, 2)
	got := read(t, g)
	scale := 0.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(v))
	}
	worst := 0.0
	for i := range want {
		worst = math.Max(worst, math.Abs(float64(got[i])-want[i]))
	}
	if worst > 1e-5*scale {
		t.Fatalf("max |gradient - reference| = %.2e, gradient scale %.2g", worst, scale)
	}
	t.Logf("max gradient error %.1e relative to its scale %.2g", worst/scale, scale)
}
