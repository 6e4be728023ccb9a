package autograd

import (
	"fmt"
	"math"
	"testing"
)

// TestSliceGradient: the gradient of MSE(Slice(x), target) is 2(x-target)/n inside the
// slice and zero outside, for slices at the start, in the middle, at the end and over the
// whole of a dimension, along the first and the last dimension.
func TestSliceGradient(t *testing.T) {
	shape := []int{3, 7}
	for _, c := range []struct{ dim, start, length int }{
		{1, 0, 3}, {1, 2, 4}, {-1, 5, 2}, {1, 0, 7}, {0, 1, 2}, {0, 0, 1},
	} {
		t.Run(fmt.Sprintf("dim%d_%d+%d", c.dim, c.start, c.length), func(t *testing.T) {
			xs := make([]float32, 21)
			for i := range xs {
				xs[i] = float32(math.Sin(float64(i)*1.3)) * 2
			}
			x := upload(t, xs, shape...)
			g := upload(t, make([]float32, 21), shape...)
			d := c.dim
			if d < 0 {
				d += 2
			}
			inside := func(r, col int) bool {
				p := []int{r, col}[d]
				return p >= c.start && p < c.start+c.length
			}
			var tgt []float32
			for r := range 3 {
				for col := range 7 {
					if inside(r, col) {
						tgt = append(tgt, float32(r)-float32(col)/4)
					}
				}
			}
			ts := []int{3, 7}
			ts[d] = c.length
			target := upload(t, tgt, ts...)
			b := testDev.NewBatch()
			defer b.Release()
			tp := New(b)
			defer tp.Release()
			loss := tp.MSE(tp.Slice(tp.Param(x, g), c.dim, c.start, c.length), tp.Constant(target))
			if err := tp.Backward(loss); err != nil {
				t.Fatal(err)
			}
			if err := b.Submit(); err != nil {
				t.Fatal(err)
			}
			got := read(t, g)
			k := 0
			for r := range 3 {
				for col := range 7 {
					i := r*7 + col
					want := 0.0
					if inside(r, col) {
						want = 2 * float64(xs[i]-tgt[k]) / float64(len(tgt))
						k++
					}
					if math.Abs(float64(got[i])-want) > 1e-6 {
						t.Errorf("grad[%d,%d] = %v, want %v", r, col, got[i], want)
					}
				}
			}
		})
	}
}
