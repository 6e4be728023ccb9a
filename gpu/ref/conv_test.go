package ref

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func iota(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i)
	}
	return x
}

func randn(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// The example in PyTorch's ReflectionPad2d documentation: padding 2 on arange(9) as 3×3.
func TestReflectPadMatchesPyTorchDocs(t *testing.T) {
	got, shape := Pad2D(iota(9), []int{1, 1, 3, 3}, 2, true)
	want := []float64{
		8, 7, 6, 7, 8, 7, 6,
		5, 4, 3, 4, 5, 4, 3,
		2, 1, 0, 1, 2, 1, 0,
		5, 4, 3, 4, 5, 4, 3,
		8, 7, 6, 7, 8, 7, 6,
		5, 4, 3, 4, 5, 4, 3,
		2, 1, 0, 1, 2, 1, 0,
	}
	if !slices.Equal(shape, []int{1, 1, 7, 7}) || !slices.Equal(got, want) {
		t.Fatalf("got %v %v, want [1 1 7 7] %v", shape, got, want)
	}
}

// Output sizes PyTorch gives for the same layers.
func TestOutputSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name string
		got  []int
		want []int
	}{
		{"conv k3 s2 p1 on 37x53", second(Conv2D(randn(rng, 37*53), []int{1, 1, 37, 53}, randn(rng, 9), []int{1, 1, 3, 3}, nil, 2, 1, false)), []int{1, 1, 19, 27}},
		{"conv k4 s2 p1 on 7x7", second(Conv2D(randn(rng, 49), []int{1, 1, 7, 7}, randn(rng, 16), []int{1, 1, 4, 4}, nil, 2, 1, false)), []int{1, 1, 3, 3}},
		{"conv k9 p4 reflect on 9x10", second(Conv2D(randn(rng, 90), []int{1, 1, 9, 10}, randn(rng, 81), []int{1, 1, 9, 9}, nil, 1, 4, true)), []int{1, 1, 9, 10}},
		{"convT k4 s1 p0 on 1x1", second(ConvTranspose2D(randn(rng, 2), []int{1, 2, 1, 1}, randn(rng, 2*3*16), []int{2, 3, 4, 4}, nil, 1, 0, 0)), []int{1, 3, 4, 4}},
		{"convT k4 s2 p1 on 4x5", second(ConvTranspose2D(randn(rng, 20), []int{1, 1, 4, 5}, randn(rng, 16), []int{1, 1, 4, 4}, nil, 2, 1, 0)), []int{1, 1, 8, 10}},
		{"convT k3 s2 p1 op1 on 5x5", second(ConvTranspose2D(randn(rng, 25), []int{1, 1, 5, 5}, randn(rng, 9), []int{1, 1, 3, 3}, nil, 2, 1, 1)), []int{1, 1, 10, 10}},
		{"maxpool k2 on 37x53", second(MaxPool2D(randn(rng, 37*53), []int{1, 1, 37, 53}, 2, 0, 0)), []int{1, 1, 18, 26}},
		{"avgpool k3 s2 p1 on 7x8", second(AvgPool2D(randn(rng, 56), []int{1, 1, 7, 8}, 3, 2, 1)), []int{1, 1, 4, 4}},
		{"upsample 3 on 2x5", second(UpsampleNearest(randn(rng, 10), []int{1, 1, 2, 5}, 3)), []int{1, 1, 6, 15}},
	}
	for _, c := range cases {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: shape %v, want %v", c.name, c.got, c.want)
		}
	}
}

func second(_ []float64, s []int) []int { return s }

// Small cases worked out by hand.
func TestHandWorked(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	xs := []int{1, 1, 2, 2}
	check := func(name string, got, want []float64) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	// Stride 2 with a 2×2 kernel: each input pixel stamps a scaled copy of the kernel.
	y, _ := ConvTranspose2D(x, xs, []float64{1, 10, 100, 1000}, []int{1, 1, 2, 2}, []float64{0.5}, 2, 0, 0)
	check("convT s2", y, []float64{
		1.5, 10.5, 2.5, 20.5,
		100.5, 1000.5, 200.5, 2000.5,
		3.5, 30.5, 4.5, 40.5,
		300.5, 3000.5, 400.5, 4000.5,
	})
	// Output padding adds a last row and column that no tap reaches: bias only.
	y, _ = ConvTranspose2D([]float64{2}, []int{1, 1, 1, 1}, []float64{3}, []int{1, 1, 1, 1}, []float64{-1}, 2, 0, 1)
	check("convT op1", y, []float64{5, -1, -1, -1})
	// Padding crops the full 3×3 output of one pixel to its centre 2×2 (with output padding).
	y, _ = ConvTranspose2D([]float64{2}, []int{1, 1, 1, 1}, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, []int{1, 1, 3, 3}, []float64{-1}, 2, 1, 1)
	check("convT p1 op1", y, []float64{9, 11, 15, 17})
	y, _ = UpsampleNearest(x, xs, 2)
	check("upsample", y, []float64{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4})
	// Zero padding counts in the average: a corner window of 3×3 holds 4 real pixels.
	y, _ = AvgPool2D(iota(9), []int{1, 1, 3, 3}, 3, 1, 1)
	check("avgpool", y, []float64{8.0 / 9, 15.0 / 9, 12.0 / 9, 21.0 / 9, 36.0 / 9, 27.0 / 9, 20.0 / 9, 33.0 / 9, 24.0 / 9})
	y, _ = MaxPool2D([]float64{-5, -3, -4, -1, -2, -6, -7, -8, -9}, []int{1, 1, 3, 3}, 2, 2, 1)
	check("maxpool pads with -inf", y, []float64{-5, -3, -1, -2})
	y, _ = Conv2D(x, xs, []float64{1, 1}, []int{1, 1, 1, 2}, []float64{0.25}, 1, 1, false)
	check("conv 1x2 kernel, zero pad", y, []float64{0.25, 0.25, 0.25, 1.25, 3.25, 2.25, 3.25, 7.25, 4.25, 0.25, 0.25, 0.25})
}

// ConvTranspose2d is the adjoint of Conv2d with the same weight tensor:
// <conv(x), y> = <x, convT(y)> when output padding restores the input size.
func TestConvTransposeIsAdjointOfConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ n, ci, co, h, w, kh, kw, s, p int }{
		{2, 3, 5, 9, 7, 3, 3, 1, 1},
		{1, 2, 4, 11, 9, 4, 4, 2, 1},
		{1, 3, 2, 10, 12, 3, 2, 3, 2},
		{2, 4, 3, 1, 1, 1, 1, 1, 0},
	} {
		xs := []int{c.n, c.ci, c.h, c.w}
		ws := []int{c.co, c.ci, c.kh, c.kw}
		x, w := randn(rng, c.n*c.ci*c.h*c.w), randn(rng, c.co*c.ci*c.kh*c.kw)
		y, ys := Conv2D(x, xs, w, ws, nil, c.s, c.p, false)
		g := randn(rng, len(y))
		opH, opW := (c.h+2*c.p-c.kh)%c.s, (c.w+2*c.p-c.kw)%c.s
		if opH != opW {
			t.Fatalf("%+v: the test needs equal output padding in both dimensions", c)
		}
		xt, xts := ConvTranspose2D(g, ys, w, ws, nil, c.s, c.p, opH)
		if !slices.Equal(xts, xs) {
			t.Fatalf("%+v: transpose gives %v, want %v", c, xts, xs)
		}
		a, b := dot(y, g), dot(x, xt)
		if math.Abs(a-b) > 1e-9*math.Max(1, math.Abs(a)) {
			t.Errorf("%+v: <conv(x), g> = %v, <x, convT(g)> = %v", c, a, b)
		}
	}
}
