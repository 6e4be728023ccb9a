package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// reduceShapes take one stage (770 elements), two (5883, 131072) and a full 1024
// partials (1031², a share of more than one element per invocation).
var reduceShapes = [][]int{{2, 5, 7, 11}, {1, 3, 37, 53}, {1, 8, 128, 128}, {1, 1, 1031, 1031}, {3}}

func reduceCases() []Case {
	var cs []Case
	for _, s := range reduceShapes {
		// Sum and Mean draw from [-1, 2) so that the sum does not cancel to near zero, where
		// no float32 sum could meet a relative tolerance.
		cs = append(cs, Case{Op: "Sum", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Uniform(-1, 2, s...)
			return b.Sum(x), []float64{ref.Sum(xv)}
		}})
		cs = append(cs, Case{Op: "Mean", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Uniform(-1, 2, s...)
			return b.Mean(x), []float64{ref.Mean(xv)}
		}})
		cs = append(cs, Case{Op: "MSE", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(s...)
			y, yv := in.Randn(s...)
			return b.MSE(x, y), []float64{ref.MSE(xv, yv)}
		}})
	}
	return cs
}
