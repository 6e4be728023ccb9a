package ref_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"easel/gpu/ref"
)

// fdParam is one input of a finite-difference check: its values, which the check moves
// one at a time, and the analytic gradient to compare.
type fdParam struct {
	name string
	v    []float64
	grad []float64
}

// checkFiniteDiff compares each param's analytic gradient with the central difference
// (L(v+h) - L(v-h)) / 2h of L = Σ dy·forward(), forward reading the params' values. The
// error of an element is relative to the larger of its own size and 1% of the gradient's
// largest one.
func checkFiniteDiff(t *testing.T, forward func() []float64, dy []float64, params ...fdParam) {
	t.Helper()
	const h, tol = 1e-6, 1e-6
	loss := func() float64 {
		y := forward()
		if len(y) != len(dy) {
			t.Fatalf("forward gives %d elements, dy has %d", len(y), len(dy))
		}
		s := 0.0
		for i := range y {
			s += dy[i] * y[i]
		}
		return s
	}
	for _, p := range params {
		if len(p.grad) != len(p.v) {
			t.Fatalf("%s: gradient of %d elements for %d values", p.name, len(p.grad), len(p.v))
		}
		num := make([]float64, len(p.v))
		for j, v := range p.v {
			p.v[j] = v + h
			lp := loss()
			p.v[j] = v - h
			lm := loss()
			p.v[j] = v
			num[j] = (lp - lm) / (2 * h)
		}
		scale := 0.0
		for _, g := range num {
			scale = math.Max(scale, math.Abs(g))
		}
		if scale == 0 {
			t.Errorf("%s: the numerical gradient is all zeros; the case tests nothing", p.name)
			continue
		}
		worst, at := 0.0, 0
		for j := range num {
			e := math.Abs(p.grad[j]-num[j]) / math.Max(math.Abs(num[j]), 0.01*scale)
			if e > worst {
				worst, at = e, j
			}
		}
		if worst > tol {
			t.Errorf("%s: element %d: analytic %.10g, numerical %.10g (rel err %.2e)", p.name, at, p.grad[at], num[at], worst)
		}
	}
}

func fdRandn(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

func fdUniform(rng *rand.Rand, lo, hi float64, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*rng.Float64()
	}
	return x
}

func numelOf(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

func TestNormBackwardFiniteDiff(t *testing.T) {
	const eps = 1e-5
	for _, c := range []struct {
		instance bool
		x        []int
		affine   bool
		offset   float64
	}{
		{false, []int{5, 3, 7, 9}, true, 0},
		{false, []int{4, 3, 5, 3}, false, 6},
		{false, []int{6, 7}, true, 0},
		{false, []int{3, 4, 5}, true, 20},
		{false, []int{3, 2, 1, 1}, true, 0},
		{true, []int{2, 3, 7, 5}, true, 0},
		{true, []int{3, 2, 4, 3}, false, 6},
		{true, []int{2, 3, 1, 2}, true, 0},
	} {
		op := "BatchNormTrain"
		if c.instance {
			op = "InstanceNorm"
		}
		t.Run(fmt.Sprintf("%s%v_affine%v_offset%g", op, c.x, c.affine, c.offset), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, uint64(len(c.x))))
			x := fdUniform(rng, c.offset-1, c.offset+1, numelOf(c.x))
			var gamma, beta []float64
			if c.affine {
				gamma, beta = fdUniform(rng, 0.5, 2, c.x[1]), fdRandn(rng, c.x[1])
			}
			dy := fdRandn(rng, len(x))
			forward := func() []float64 {
				if c.instance {
					return ref.InstanceNorm(x, c.x, gamma, beta, eps)
				}
				y, _, _ := ref.BatchNormTrain(x, c.x, gamma, beta, make([]float64, c.x[1]), make([]float64, c.x[1]), 0.1, eps)
				return y
			}
			backward := ref.BatchNormTrainBackward
			if c.instance {
				backward = ref.InstanceNormBackward
			}
			dx, dgamma, dbeta := backward(dy, x, c.x, gamma, eps)
			params := []fdParam{{"dx", x, dx}}
			if c.affine {
				params = append(params, fdParam{"dgamma", gamma, dgamma}, fdParam{"dbeta", beta, dbeta})
			} else if dgamma != nil || dbeta != nil {
				t.Errorf("non-affine: dgamma %v, dbeta %v, want nil", dgamma, dbeta)
			}
			checkFiniteDiff(t, forward, dy, params...)
		})
	}
}

func TestPoolBackwardFiniteDiff(t *testing.T) {
	for _, c := range []struct {
		x              []int
		k, stride, pad int
	}{
		{[]int{2, 3, 9, 11}, 3, 2, 1}, // overlapping windows
		{[]int{1, 2, 7, 9}, 2, 2, 0},  // odd sizes: the last row and column take no window
		{[]int{2, 1, 8, 7}, 3, 1, 1},
		{[]int{1, 2, 11, 10}, 4, 3, 2},
	} {
		t.Run(fmt.Sprintf("x%v_k%d_s%d_p%d", c.x, c.k, c.stride, c.pad), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(8, uint64(c.k)))
			x := fdRandn(rng, numelOf(c.x))
			_, ys := ref.MaxPool2D(x, c.x, c.k, c.stride, c.pad)
			dy := fdRandn(rng, numelOf(ys))
			checkFiniteDiff(t, func() []float64 {
				y, _ := ref.MaxPool2D(x, c.x, c.k, c.stride, c.pad)
				return y
			}, dy, fdParam{"max dx", x, ref.MaxPool2DBackward(dy, x, c.x, c.k, c.stride, c.pad)})
			checkFiniteDiff(t, func() []float64 {
				y, _ := ref.AvgPool2D(x, c.x, c.k, c.stride, c.pad)
				return y
			}, dy, fdParam{"avg dx", x, ref.AvgPool2DBackward(dy, c.x, c.k, c.stride, c.pad)})
		})
	}
}

// PyTorch's max pooling sends the gradient to the first maximum of a window in scan order.
func TestMaxPoolBackwardTies(t *testing.T) {
	x := []float64{
		1, 3, 3,
		3, 2, 0,
		3, 3, 1,
	}
	// 2×2 windows with stride 1: the first 3 of windows (0,0) and (0,1) is at (0,1), of
	// window (1,0) at (1,0), of window (1,1) at (2,1).
	got := ref.MaxPool2DBackward([]float64{1, 10, 100, 1000}, x, []int{1, 1, 3, 3}, 2, 1, 0)
	want := []float64{
		0, 11, 0,
		100, 0, 0,
		0, 1000, 0,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestLinearBackwardFiniteDiff(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	for _, c := range []struct{ a, b []int }{
		{[]int{7, 5}, []int{5, 6}},
		{[]int{3, 4, 5}, []int{3, 5, 2}},
		{[]int{3, 4, 5}, []int{5, 2}},
		{[]int{4, 5}, []int{3, 5, 2}},
	} {
		t.Run(fmt.Sprintf("MatMul%v@%v", c.a, c.b), func(t *testing.T) {
			batch, aStride, bStride := 1, 0, 0
			if len(c.a) == 3 {
				batch, aStride = c.a[0], c.a[1]*c.a[2]
			}
			if len(c.b) == 3 {
				batch, bStride = c.b[0], c.b[1]*c.b[2]
			}
			m, k, n := c.a[len(c.a)-2], c.a[len(c.a)-1], c.b[len(c.b)-1]
			a, b := fdRandn(rng, numelOf(c.a)), fdRandn(rng, numelOf(c.b))
			dy := fdRandn(rng, batch*m*n)
			da, db := ref.MatMulBackward(dy, a, b, batch, m, k, n, aStride, bStride)
			checkFiniteDiff(t, func() []float64 { return ref.MatMul(a, b, batch, m, k, n, aStride, bStride) }, dy,
				fdParam{"da", a, da}, fdParam{"db", b, db})
		})
	}
	for _, bias := range []bool{true, false} {
		t.Run(fmt.Sprintf("Linear_bias%v", bias), func(t *testing.T) {
			rows, in, out := 5, 7, 3
			x, w := fdRandn(rng, rows*in), fdRandn(rng, out*in)
			var b []float64
			if bias {
				b = fdRandn(rng, out)
			}
			dy := fdRandn(rng, rows*out)
			dx, dw, db := ref.LinearBackward(dy, x, w, rows, in, out, bias)
			params := []fdParam{{"dx", x, dx}, {"dw", w, dw}}
			if bias {
				params = append(params, fdParam{"db", b, db})
			} else if db != nil {
				t.Errorf("db %v without a bias", db)
			}
			checkFiniteDiff(t, func() []float64 { return ref.Linear(x, w, b, rows, in, out) }, dy, params...)
		})
	}
	t.Run("Gram", func(t *testing.T) {
		shape := []int{2, 3, 5, 4}
		x := fdRandn(rng, numelOf(shape))
		dy := fdRandn(rng, 2*3*3) // not symmetric
		checkFiniteDiff(t, func() []float64 { return ref.Gram(x, shape) }, dy, fdParam{"dx", x, ref.GramBackward(dy, x, shape)})
	})
}

// Concat's backward is Slice: the gradient of each input is its slice of dy.
func TestConcatBackwardIsSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 1))
	for _, c := range []struct {
		dim    int
		shapes [][]int
	}{
		{1, [][]int{{2, 3, 4, 5}, {2, 2, 4, 5}, {2, 1, 4, 5}}},
		{0, [][]int{{3, 4}, {2, 4}}},
		{2, [][]int{{2, 3, 4}, {2, 3, 7}}},
	} {
		t.Run(fmt.Sprint(c.dim, c.shapes), func(t *testing.T) {
			xs := make([][]float64, len(c.shapes))
			total := 0
			for i, s := range c.shapes {
				xs[i] = fdRandn(rng, numelOf(s))
				total += len(xs[i])
			}
			yShape := slices.Clone(c.shapes[0])
			yShape[c.dim] = 0
			for _, s := range c.shapes {
				yShape[c.dim] += s[c.dim]
			}
			dy := fdRandn(rng, total)
			var params []fdParam
			start := 0
			for i, s := range c.shapes {
				params = append(params, fdParam{fmt.Sprintf("input %d", i), xs[i], ref.Slice(dy, yShape, c.dim, start, s[c.dim])})
				start += s[c.dim]
			}
			checkFiniteDiff(t, func() []float64 { return ref.Concat(c.dim, xs, c.shapes) }, dy, params...)
		})
	}
}
