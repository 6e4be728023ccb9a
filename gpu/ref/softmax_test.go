package ref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Softmax against the textbook exp(x)/Σexp(x) on inputs where that does not overflow, and
// against itself shifted by a constant per row where it would: rows sum to 1, a shift of
// a row by ±80 changes nothing, and inputs of ±80 give finite values.
func TestSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	naive := func(x []float64, n int) []float64 {
		m := len(x) / n
		y := make([]float64, len(x))
		for r := range n {
			s := 0.0
			for i := r * m; i < (r+1)*m; i++ {
				s += math.Exp(x[i])
			}
			for i := r * m; i < (r+1)*m; i++ {
				y[i] = math.Exp(x[i]) / s
			}
		}
		return y
	}
	cases := []struct {
		name  string
		n, m  int
		scale float64 // of the normal inputs
		shift float64 // added to every input of row 0 for the shifted comparison
	}{
		{"one row of 1", 1, 1, 1, 80},
		{"odd", 1, 7, 1, -80},
		{"batched", 3, 2 * 5 * 7, 2, 80},
		{"large values", 2, 3 * 11, 40, 80},
		{"wide", 2, 4099, 3, -80},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%dx%d", c.name, c.n, c.m), func(t *testing.T) {
			x := Unary(randn(rng, c.n*c.m), func(v float64) float64 { return c.scale * v })
			got := Softmax(x, c.n)
			want := naive(x, c.n)
			shifted := append([]float64(nil), x...)
			for i := range c.m {
				shifted[i] += c.shift
			}
			again := Softmax(shifted, c.n)
			for r := range c.n {
				s := 0.0
				for i := r * c.m; i < (r+1)*c.m; i++ {
					s += got[i]
					if d := math.Abs(got[i] - want[i]); d > 1e-12*math.Max(want[i], 1e-300) && d > 1e-300 {
						t.Fatalf("y[%d] = %v, exp(x)/Σexp(x) = %v", i, got[i], want[i])
					}
					if d := math.Abs(again[i] - got[i]); d > 1e-9*got[i] || math.IsNaN(again[i]) {
						t.Fatalf("shifted by %v: y[%d] = %v, unshifted %v", c.shift, i, again[i], got[i])
					}
				}
				if math.Abs(s-1) > 1e-12 {
					t.Fatalf("row %d sums to %v", r, s)
				}
			}
		})
	}
	// Rows whose exp(x) overflows float64 (800) or spans 1600 in the exponent: finite,
	// NaN-free and equal to the closed form.
	y := Softmax([]float64{800, -800, 790, -80, 80, 80}, 2)
	e10, e160 := math.Exp(-10), math.Exp(-160)
	want := []float64{1 / (1 + e10), 0, e10 / (1 + e10), e160 / (2 + e160), 1 / (2 + e160), 1 / (2 + e160)}
	for i := range y {
		if math.Abs(y[i]-want[i]) > 1e-15*want[i] || math.IsNaN(y[i]) {
			t.Errorf("Softmax of ±800, ±80: y[%d] = %v, want %v", i, y[i], want[i])
		}
	}
}

// SoftmaxBackward against central finite differences of Σ dy·Softmax(x), on batched, odd
// rows, some with inputs up to ±80.
func TestSoftmaxBackwardMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		n, m  int
		scale float64
	}{{1, 1, 1}, {1, 5, 1}, {2, 3 * 5 * 7, 1}, {3, 13, 4}, {2, 9, 40}} {
		t.Run(fmt.Sprintf("%dx%d scale %v", c.n, c.m, c.scale), func(t *testing.T) {
			x := Unary(randn(rng, c.n*c.m), func(v float64) float64 { return c.scale * v })
			x[0] = 80 * math.Copysign(1, x[0])
			dy := randn(rng, c.n*c.m)
			got := SoftmaxBackward(dy, Softmax(x, c.n), c.n)
			const h = 1e-5
			worst, scale := 0.0, 0.0
			want := make([]float64, len(x))
			for k := range x {
				v := x[k]
				x[k] = v + h
				up := dot(dy, Softmax(x, c.n))
				x[k] = v - h
				down := dot(dy, Softmax(x, c.n))
				x[k] = v
				want[k] = (up - down) / (2 * h)
				scale = math.Max(scale, math.Abs(want[k]))
			}
			for k := range want {
				worst = math.Max(worst, math.Abs(got[k]-want[k]))
			}
			if c.m == 1 {
				// One element per row: softmax is constant 1, the gradient 0.
				if worst > 1e-12 {
					t.Fatalf("gradient of a one-element softmax: max |dx| %v, want 0", worst)
				}
				return
			}
			if worst > 1e-6*scale {
				t.Fatalf("max |analytic - finite difference| = %.2e, gradient scale %.2g", worst, scale)
			}
			t.Logf("max err %.1e relative to the gradient's scale %.2g", worst/scale, scale)
		})
	}
}
