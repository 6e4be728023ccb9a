package ref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// checkGrad compares the analytic gradient of loss with respect to p with central finite
// differences, perturbing every element of p in place (and restoring it).
func checkGrad(t *testing.T, what string, grad, p []float64, loss func() float64) {
	t.Helper()
	if len(grad) != len(p) {
		t.Fatalf("%s: gradient has %d elements, parameter %d", what, len(grad), len(p))
	}
	const h = 1e-3
	scale := 0.0
	for _, g := range grad {
		scale = math.Max(scale, math.Abs(g))
	}
	if scale == 0 {
		t.Fatalf("%s: gradient is all zeros", what)
	}
	worst, at := 0.0, 0
	for i := range p {
		v := p[i]
		p[i] = v + h
		up := loss()
		p[i] = v - h
		down := loss()
		p[i] = v
		if e := math.Abs((up-down)/(2*h)-grad[i]) / scale; e > worst {
			worst, at = e, i
		}
	}
	if worst > 1e-8 {
		t.Errorf("%s: element %d: analytic %v, finite difference off by %.2e of the gradient's scale", what, at, grad[at], worst)
	}
}

// The analytic gradients of Conv2D with respect to input, weight and bias against central
// finite differences of L = <Conv2D(x, w, b), g> on odd, non-square, batched shapes.
func TestConv2DBackwardFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		xs, ws       []int
		stride, pad  int
		reflect      bool
		unreadBorder bool // the stride leaves x's last pixel unread
	}{
		{xs: []int{2, 3, 7, 5}, ws: []int{4, 3, 3, 3}, stride: 1, pad: 1},
		{xs: []int{2, 3, 7, 5}, ws: []int{4, 3, 3, 3}, stride: 1, pad: 1, reflect: true},
		{xs: []int{2, 2, 9, 7}, ws: []int{3, 2, 3, 3}, stride: 2, pad: 1, reflect: true},
		{xs: []int{2, 2, 8, 10}, ws: []int{3, 2, 3, 3}, stride: 2, unreadBorder: true},
		{xs: []int{2, 2, 9, 7}, ws: []int{3, 2, 4, 4}, stride: 2, unreadBorder: true},
		{xs: []int{2, 2, 9, 7}, ws: []int{3, 2, 4, 4}, stride: 2, pad: 1},
		{xs: []int{2, 3, 8, 6}, ws: []int{2, 3, 4, 4}, stride: 2, pad: 1},
		{xs: []int{1, 2, 9, 10}, ws: []int{2, 2, 9, 9}, stride: 1, pad: 4, reflect: true},
		{xs: []int{3, 4, 5, 3}, ws: []int{5, 4, 1, 1}, stride: 1},
		{xs: []int{2, 2, 7, 8}, ws: []int{3, 2, 2, 4}, stride: 3, pad: 2, unreadBorder: true},
		{xs: []int{1, 2, 5, 7}, ws: []int{2, 2, 3, 5}, stride: 2, pad: 2, reflect: true},
	} {
		name := fmt.Sprintf("x%v_w%v_s%d_p%d_reflect%v", c.xs, c.ws, c.stride, c.pad, c.reflect)
		t.Run(name, func(t *testing.T) {
			x, w, b := randn(rng, numel(c.xs)), randn(rng, numel(c.ws)), randn(rng, c.ws[0])
			y, ys := Conv2D(x, c.xs, w, c.ws, b, c.stride, c.pad, c.reflect)
			g := randn(rng, len(y))
			loss := func() float64 {
				y, _ := Conv2D(x, c.xs, w, c.ws, b, c.stride, c.pad, c.reflect)
				return dot(y, g)
			}
			dx, dxs := Conv2DBackwardInput(g, ys, w, c.ws, c.xs, c.stride, c.pad, c.reflect)
			dw, dws := Conv2DBackwardWeight(x, c.xs, g, ys, c.ws, c.stride, c.pad, c.reflect)
			db, dbs := BiasBackward(g, ys)
			if !slices.Equal(dxs, c.xs) || !slices.Equal(dws, c.ws) || !slices.Equal(dbs, c.ws[:1]) {
				t.Fatalf("gradient shapes %v %v %v, want %v %v %v", dxs, dws, dbs, c.xs, c.ws, c.ws[:1])
			}
			checkGrad(t, "dx", dx, x, loss)
			checkGrad(t, "dw", dw, w, loss)
			checkGrad(t, "dbias", db, b, loss)
			// x's last pixel is never read at this stride: its gradient is 0.
			if c.unreadBorder {
				h, wd := c.xs[2], c.xs[3]
				if dx[h*wd-1] != 0 {
					t.Errorf("dx of the unread corner is %v, want 0", dx[h*wd-1])
				}
			}
		})
	}
}

// The analytic gradients of ConvTranspose2D against central finite differences of
// L = <ConvTranspose2D(x, w, b), g>, output padding included.
func TestConvTranspose2DBackwardFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		xs, ws              []int
		stride, pad, outPad int
	}{
		{xs: []int{2, 3, 4, 5}, ws: []int{3, 2, 4, 4}, stride: 2, pad: 1},
		{xs: []int{2, 3, 1, 1}, ws: []int{3, 4, 4, 4}, stride: 1},
		{xs: []int{1, 2, 5, 3}, ws: []int{2, 3, 3, 3}, stride: 2, pad: 1, outPad: 1},
		{xs: []int{2, 2, 3, 4}, ws: []int{2, 3, 2, 2}, stride: 3, outPad: 2},
		{xs: []int{2, 3, 5, 6}, ws: []int{3, 2, 3, 5}, stride: 1, pad: 1},
		{xs: []int{3, 2, 4, 3}, ws: []int{2, 2, 1, 1}, stride: 1},
	} {
		name := fmt.Sprintf("x%v_w%v_s%d_p%d_op%d", c.xs, c.ws, c.stride, c.pad, c.outPad)
		t.Run(name, func(t *testing.T) {
			x, w, b := randn(rng, numel(c.xs)), randn(rng, numel(c.ws)), randn(rng, c.ws[1])
			y, ys := ConvTranspose2D(x, c.xs, w, c.ws, b, c.stride, c.pad, c.outPad)
			g := randn(rng, len(y))
			loss := func() float64 {
				y, _ := ConvTranspose2D(x, c.xs, w, c.ws, b, c.stride, c.pad, c.outPad)
				return dot(y, g)
			}
			dx, dxs := ConvTranspose2DBackwardInput(g, ys, w, c.ws, c.xs, c.stride, c.pad)
			dw, dws := ConvTranspose2DBackwardWeight(x, c.xs, g, ys, c.ws, c.stride, c.pad)
			db, dbs := BiasBackward(g, ys)
			if !slices.Equal(dxs, c.xs) || !slices.Equal(dws, c.ws) || !slices.Equal(dbs, c.ws[1:2]) {
				t.Fatalf("gradient shapes %v %v %v, want %v %v %v", dxs, dws, dbs, c.xs, c.ws, c.ws[1:2])
			}
			checkGrad(t, "dx", dx, x, loss)
			checkGrad(t, "dw", dw, w, loss)
			checkGrad(t, "dbias", db, b, loss)
		})
	}
}

func TestUpsampleNearestBackwardFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, c := range []struct {
		xs    []int
		scale int
	}{
		{[]int{2, 3, 5, 3}, 2},
		{[]int{1, 2, 3, 4}, 3},
		{[]int{3, 1, 2, 1}, 1},
	} {
		t.Run(fmt.Sprintf("x%v_scale%d", c.xs, c.scale), func(t *testing.T) {
			x := randn(rng, numel(c.xs))
			y, ys := UpsampleNearest(x, c.xs, c.scale)
			g := randn(rng, len(y))
			loss := func() float64 {
				y, _ := UpsampleNearest(x, c.xs, c.scale)
				return dot(y, g)
			}
			dx, dxs := UpsampleNearestBackward(g, ys, c.scale)
			if !slices.Equal(dxs, c.xs) {
				t.Fatalf("gradient shape %v, want %v", dxs, c.xs)
			}
			checkGrad(t, "dx", dx, x, loss)
		})
	}
}

// BiasBackward sums over the batch and every trailing dimension, for any rank from 2.
func TestBiasBackwardRanks(t *testing.T) {
	db, _ := BiasBackward([]float64{1, 2, 3, 4, 5, 6}, []int{2, 3})
	if !slices.Equal(db, []float64{5, 7, 9}) {
		t.Errorf("[2 3]: got %v, want [5 7 9]", db)
	}
	db, _ = BiasBackward(iota(12), []int{2, 2, 3})
	if !slices.Equal(db, []float64{0 + 1 + 2 + 6 + 7 + 8, 3 + 4 + 5 + 9 + 10 + 11}) {
		t.Errorf("[2 2 3]: got %v", db)
	}
}

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}
