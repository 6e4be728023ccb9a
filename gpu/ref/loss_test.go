package ref

import (
	"math"
	"math/rand/v2"
	"testing"
)

// awayFromZero draws n normal values at least 0.05 from zero, so that a finite difference
// never steps across the kink of ReLU.
func awayFromZero(rng *rand.Rand, n int) []float64 {
	x := randn(rng, n)
	for i, v := range x {
		x[i] = math.Copysign(math.Abs(v)+0.05, v)
	}
	return x
}

func uniform(rng *rand.Rand, n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*rng.Float64()
	}
	return x
}

// targets draws BCE targets: 0, 1 and fractional, a third each.
func targets(rng *rand.Rand, n int) []float64 {
	t := make([]float64, n)
	for i := range t {
		switch rng.IntN(3) {
		case 0:
			t[i] = 0
		case 1:
			t[i] = 1
		default:
			t[i] = 0.05 + 0.9*rng.Float64()
		}
	}
	return t
}

// Every analytic backward against central finite differences of its forward reference:
// with L(x) = Σ dy·f(x), the gradient of L with respect to x must be the backward of dy.
// Shapes are odd, non-square and batched.
func TestBackwardMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shape := []int{2, 3, 5, 7}
	n := 2 * 3 * 5 * 7
	dy := randn(rng, n)        // upstream gradient of an elementwise op
	dys := 0.7 + rng.Float64() // upstream gradient of a scalar
	scalar := func(f func([]float64) float64) func([]float64) float64 {
		return func(x []float64) float64 { return dys * f(x) }
	}
	elementwise := func(f func(float64) float64) func([]float64) float64 {
		return func(x []float64) float64 { return dot(dy, Unary(x, f)) }
	}
	y2 := randn(rng, n)
	tgt := targets(rng, n)
	const rows, classes = 5, 7
	labels := make([]int, rows)
	for i := range labels {
		labels[i] = rng.IntN(classes)
	}
	logits := Unary(randn(rng, rows*classes), func(v float64) float64 { return 3 * v })
	z := Unary(randn(rng, n), func(v float64) float64 { return 4 * v })
	z[0], z[1], z[2], z[3] = 40, -40, 25, -25 // saturated logits

	cases := []struct {
		name string
		x    []float64
		loss func(x []float64) float64 // Σ dy·f(x)
		grad func(x []float64) []float64
	}{
		{"ReLU", awayFromZero(rng, n), elementwise(ReLU),
			func(x []float64) []float64 { return ReLUBackward(dy, x) }},
		{"LeakyReLU", awayFromZero(rng, n), elementwise(LeakyReLU(0.2)),
			func(x []float64) []float64 { return LeakyReLUBackward(dy, x, 0.2) }},
		{"Tanh", randn(rng, n), elementwise(Tanh),
			func(x []float64) []float64 { return TanhBackward(dy, Unary(x, Tanh)) }},
		{"Sigmoid", Unary(randn(rng, n), func(v float64) float64 { return 3 * v }), elementwise(Sigmoid),
			func(x []float64) []float64 { return SigmoidBackward(dy, Unary(x, Sigmoid)) }},
		{"Sum", randn(rng, n), scalar(Sum), func(x []float64) []float64 { return SumBackward(dys, len(x)) }},
		{"Mean", randn(rng, n), scalar(Mean), func(x []float64) []float64 { return MeanBackward(dys, len(x)) }},
		{"MSE/x", randn(rng, n), scalar(func(x []float64) float64 { return MSE(x, y2) }),
			func(x []float64) []float64 { return MSEBackward(dys, x, y2) }},
		{"MSE/y", randn(rng, n), scalar(func(y []float64) float64 { return MSE(y2, y) }),
			func(y []float64) []float64 {
				return Unary(MSEBackward(dys, y2, y), func(v float64) float64 { return -v })
			}},
		{"BCE", uniform(rng, n, 0.01, 0.99), scalar(func(p []float64) float64 { return BCE(p, tgt) }),
			func(p []float64) []float64 { return BCEBackward(dys, p, tgt) }},
		{"BCEWithLogits", z, scalar(func(z []float64) float64 { return BCEWithLogits(z, tgt) }),
			func(z []float64) []float64 { return BCEWithLogitsBackward(dys, z, tgt) }},
		{"CrossEntropy", logits, scalar(func(x []float64) float64 { return CrossEntropy(x, rows, classes, labels) }),
			func(x []float64) []float64 { return CrossEntropyBackward(dys, x, rows, classes, labels) }},
		{"TotalVariation", randn(rng, n), scalar(func(x []float64) float64 { return TotalVariation(x, shape) }),
			func(x []float64) []float64 { return TotalVariationBackward(dys, x, shape) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const h = 1e-5
			got := c.grad(c.x)
			x := append([]float64(nil), c.x...)
			want := make([]float64, len(x))
			scale := 0.0
			for k := range x {
				v := x[k]
				x[k] = v + h
				up := c.loss(x)
				x[k] = v - h
				down := c.loss(x)
				x[k] = v
				want[k] = (up - down) / (2 * h)
				scale = math.Max(scale, math.Abs(want[k]))
			}
			if scale == 0 {
				t.Fatal("the finite-difference gradient is zero everywhere")
			}
			worst := 0.0
			for k := range want {
				worst = math.Max(worst, math.Abs(got[k]-want[k])/scale)
			}
			if worst > 1e-6 {
				t.Fatalf("max |analytic - finite difference| / max|gradient| = %.2e", worst)
			}
			t.Logf("max err %.1e relative to the gradient's scale %.2g", worst, scale)
		})
	}
}

// BCE clamps each log at -100, as PyTorch: p = 0 with target 1 and p = 1 with target 0
// cost 100, and p = t in {0, 1} costs nothing.
func TestLossBCEClamp(t *testing.T) {
	cases := []struct{ p, t, want float64 }{
		{0, 1, 100}, {1, 0, 100}, {0, 0, 0}, {1, 1, 0}, {0, 0.25, 25}, {0.5, 1, math.Ln2},
	}
	for _, c := range cases {
		if got := BCE([]float64{c.p}, []float64{c.t}); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("BCE(p=%v, t=%v) = %v, want %v", c.p, c.t, got, c.want)
		}
	}
	// The backward's denominator is clamped at 1e-12: p = 0, t = 1 gives -1e12.
	if g := BCEBackward(1, []float64{0}, []float64{1}); g[0] != -1e12 {
		t.Errorf("BCEBackward(p=0, t=1) = %v, want -1e12", g[0])
	}
}

// CrossEntropy on uniform logits is log(C) per row, whatever the labels.
func TestLossCrossEntropyUniform(t *testing.T) {
	got := CrossEntropy(make([]float64, 3*7), 3, 7, []int{0, 6, 3})
	if math.Abs(got-math.Log(7)) > 1e-12 {
		t.Fatalf("got %v, want log 7 = %v", got, math.Log(7))
	}
}
