package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// poolBackwardCase is one pooling backward vector; ties draws the input from a few
// integers, so that windows hold equal maxima.
type poolBackwardCase struct {
	poolCase
	ties bool
}

var poolBackwardVectors = []poolBackwardCase{
	{poolCase: poolCase{x: []int{2, 3, 15, 17}, p: gpu.Pool2DParams{Kernel: 3, Stride: 2, Padding: 1}}}, // overlapping windows
	{poolCase: poolCase{x: []int{1, 4, 9, 11}, p: gpu.Pool2DParams{Kernel: 2, Stride: 2}}},              // last row and column in no window
	{poolCase: poolCase{x: []int{1, 3, 37, 53}, p: gpu.Pool2DParams{Kernel: 2}}},
	{poolCase: poolCase{x: []int{1, 7, 9, 8}, p: gpu.Pool2DParams{Kernel: 3, Stride: 1, Padding: 1}}},
	{poolCase: poolCase{x: []int{2, 3, 11, 13}, p: gpu.Pool2DParams{Kernel: 4, Stride: 3, Padding: 2}}},
	{poolCase: poolCase{x: []int{3, 1, 1, 1}, p: gpu.Pool2DParams{Kernel: 1}}},
	{poolCase: poolCase{x: []int{2, 3, 15, 17}, p: gpu.Pool2DParams{Kernel: 3, Stride: 2, Padding: 1}}, ties: true},
	{poolCase: poolCase{x: []int{1, 2, 10, 9}, p: gpu.Pool2DParams{Kernel: 3, Stride: 1, Padding: 1}}, ties: true},
}

func (c poolBackwardCase) name() string {
	s := fmt.Sprintf("x%v_k%d_s%d_p%d", c.x, c.p.Kernel, c.p.Stride, c.p.Padding)
	if c.ties {
		s += "_ties"
	}
	return s
}

// poolBackwardCases are the backward of max and average pooling.
func poolBackwardCases() []Case {
	var cs []Case
	for _, c := range poolBackwardVectors {
		cs = append(cs, Case{Op: "MaxPool2DBackward", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			if c.ties {
				x, xv = in.random(func() float64 { return float64(in.rng.IntN(4)) }, c.x)
			}
			_, ys := ref.MaxPool2D(xv, c.x, c.p.Kernel, c.p.Stride, c.p.Padding)
			dy, dyv := in.Randn(ys...)
			return b.MaxPool2DBackward(dy, x, c.p), ref.MaxPool2DBackward(dyv, xv, c.x, c.p.Kernel, c.p.Stride, c.p.Padding)
		}})
	}
	for _, c := range poolBackwardVectors {
		if c.ties {
			continue
		}
		cs = append(cs, Case{Op: "AvgPool2DBackward", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			_, ys := ref.AvgPool2D(make([]float64, c.x[0]*c.x[1]*c.x[2]*c.x[3]), c.x, c.p.Kernel, c.p.Stride, c.p.Padding)
			dy, dyv := in.Randn(ys...)
			return b.AvgPool2DBackward(dy, c.x, c.p), ref.AvgPool2DBackward(dyv, c.x, c.p.Kernel, c.p.Stride, c.p.Padding)
		}})
	}
	return cs
}
