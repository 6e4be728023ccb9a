package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// softmaxShapes: samples of one workgroup (385, 6 and 3 elements), of two (5883) and of
// nine (33 033: more than one pass of the strided share per invocation); ranks 2 to 4.
var softmaxShapes = [][]int{{2, 5, 7, 11}, {1, 3, 37, 53}, {3, 2, 3}, {2, 3}, {2, 33, 1001}}

// softmaxCases checks Softmax on normal inputs and on inputs up to ±80 (exp(80)·n
// overflows float32 unless the maximum is subtracted), and SoftmaxBackward from a
// softmax output.
func softmaxCases() []Case {
	var cs []Case
	for _, s := range softmaxShapes {
		n := s[0]
		cs = append(cs, Case{Op: "Softmax", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(s...)
			return b.Softmax(x), ref.Softmax(xv, n)
		}})
		cs = append(cs, Case{Op: "Softmax", Name: fmt.Sprint(s, " ±80"), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Uniform(-80, 80, s...)
			return b.Softmax(x), ref.Softmax(xv, n)
		}})
		cs = append(cs, Case{Op: "SoftmaxBackward", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			dy, dyv := in.Randn(s...)
			y, yv := softmaxOutput(in, s)
			return b.SoftmaxBackward(dy, y), ref.SoftmaxBackward(dyv, yv, n)
		}})
	}
	return cs
}

// softmaxOutput draws the softmax of 3·normal inputs, per sample, rounded to float32.
func softmaxOutput(in *Inputs, shape []int) (*gpu.Tensor, []float64) {
	size := 1
	for _, d := range shape {
		size *= d
	}
	x := make([]float64, size)
	for i := range x {
		x[i] = 3 * in.rng.NormFloat64()
	}
	y := ref.Softmax(x, shape[0])
	k := 0
	return in.random(func() float64 { k++; return y[k-1] }, shape)
}
