package ref

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var depthwiseCases = []struct {
	xs, ws      []int
	stride, pad int
}{
	{xs: []int{2, 3, 7, 5}, ws: []int{3, 1, 3, 3}, stride: 1, pad: 1},
	{xs: []int{2, 3, 7, 5}, ws: []int{3, 1, 3, 3}, stride: 1, pad: 0},
	{xs: []int{2, 4, 9, 8}, ws: []int{4, 1, 3, 3}, stride: 2, pad: 1},
	{xs: []int{3, 2, 8, 11}, ws: []int{2, 1, 3, 3}, stride: 2, pad: 0},
	{xs: []int{1, 3, 9, 7}, ws: []int{3, 1, 3, 5}, stride: 2, pad: 1},
	{xs: []int{2, 2, 6, 9}, ws: []int{2, 1, 5, 2}, stride: 1, pad: 1},
}

// DepthwiseConv2D is Conv2D with a weight that is zero between different channels: the
// definition of groups = C, checked against the dense reference.
func TestDepthwiseConv2DIsGroupedConv2D(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, c := range depthwiseCases {
		t.Run(fmt.Sprintf("x%v_w%v_s%d_p%d", c.xs, c.ws, c.stride, c.pad), func(t *testing.T) {
			x, w, b := randn(rng, numel(c.xs)), randn(rng, numel(c.ws)), randn(rng, c.ws[0])
			ch, kk := c.ws[0], c.ws[2]*c.ws[3]
			dense := make([]float64, ch*ch*kk)
			for i := range ch {
				copy(dense[(i*ch+i)*kk:(i*ch+i+1)*kk], w[i*kk:(i+1)*kk])
			}
			got, gs := DepthwiseConv2D(x, c.xs, w, c.ws, b, c.stride, c.pad)
			want, wantShape := Conv2D(x, c.xs, dense, []int{ch, ch, c.ws[2], c.ws[3]}, b, c.stride, c.pad, false)
			if !slices.Equal(gs, wantShape) {
				t.Fatalf("shape %v, want %v", gs, wantShape)
			}
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-12 {
					t.Fatalf("element %d: %v, dense conv %v", i, got[i], want[i])
				}
			}
		})
	}
}

// The analytic gradients of DepthwiseConv2D against central finite differences of
// L = <DepthwiseConv2D(x, w, b), g>.
func TestDepthwiseConv2DBackwardFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, c := range depthwiseCases {
		t.Run(fmt.Sprintf("x%v_w%v_s%d_p%d", c.xs, c.ws, c.stride, c.pad), func(t *testing.T) {
			x, w, b := randn(rng, numel(c.xs)), randn(rng, numel(c.ws)), randn(rng, c.ws[0])
			y, ys := DepthwiseConv2D(x, c.xs, w, c.ws, b, c.stride, c.pad)
			g := randn(rng, len(y))
			loss := func() float64 {
				y, _ := DepthwiseConv2D(x, c.xs, w, c.ws, b, c.stride, c.pad)
				return dot(y, g)
			}
			dx, dxs := DepthwiseConv2DBackwardInput(g, ys, w, c.ws, c.xs, c.stride, c.pad)
			dw, dws := DepthwiseConv2DBackwardWeight(x, c.xs, g, ys, c.ws, c.stride, c.pad)
			db, _ := BiasBackward(g, ys)
			if !slices.Equal(dxs, c.xs) || !slices.Equal(dws, c.ws) {
				t.Fatalf("gradient shapes %v %v, want %v %v", dxs, dws, c.xs, c.ws)
			}
			checkGrad(t, "dx", dx, x, loss)
			checkGrad(t, "dw", dw, w, loss)
			checkGrad(t, "dbias", db, b, loss)
		})
	}
}

// Hardtanh's gradient against finite differences away from the bounds, and PyTorch's
// hardtanh_backward at them: 0 at x = lo and x = hi.
func TestHardtanhBackward(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	x := randn(rng, 40)
	for i := range x {
		x[i] = 4 * x[i] // both sides of [0, 6]
	}
	g := randn(rng, len(x))
	loss := func() float64 { return dot(Unary(x, Hardtanh(0, 6)), g) }
	dx := HardtanhBackward(g, x, 0, 6)
	checkGrad(t, "dx", dx, x, loss)
	got := HardtanhBackward([]float64{1, 2, 3, 4, 5}, []float64{0, 6, -1, 3, 7}, 0, 6)
	if !slices.Equal(got, []float64{0, 0, 0, 4, 0}) {
		t.Errorf("at the bounds: %v, want [0 0 0 4 0]", got)
	}
}
