package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// concatCase joins tensors of shapes xs along dim (negative counts from the end).
type concatCase struct {
	dim int
	xs  [][]int
}

var concatVectors = []concatCase{
	{dim: 1, xs: [][]int{{2, 3, 5, 7}, {2, 4, 5, 7}, {2, 1, 5, 7}}},
	{dim: 0, xs: [][]int{{3, 5}, {2, 5}}},
	{dim: -1, xs: [][]int{{2, 3, 4}, {2, 3, 9}}},
	{dim: 3, xs: [][]int{{1, 3, 37, 53}, {1, 3, 37, 11}}},
	{dim: 2, xs: [][]int{{2, 3, 1, 5}}},
}

func concatCases() []Case {
	var cs []Case
	for _, c := range concatVectors {
		cs = append(cs, Case{Op: "Concat", Name: fmt.Sprintf("dim%d_%v", c.dim, c.xs), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			var ts []*gpu.Tensor
			var vs [][]float64
			for _, s := range c.xs {
				t, v := in.Randn(s...)
				ts, vs = append(ts, t), append(vs, v)
			}
			d := c.dim
			if d < 0 {
				d += len(c.xs[0])
			}
			return b.Concat(c.dim, ts...), ref.Concat(d, vs, c.xs)
		}})
	}
	return cs
}

// sliceCase copies positions start..start+length-1 of dimension dim of x.
type sliceCase struct {
	x                  []int
	dim, start, length int
}

var sliceVectors = []sliceCase{
	{x: []int{2, 7, 5, 7}, dim: 1, start: 3, length: 4},
	{x: []int{5, 3}, dim: 0, start: 2, length: 3},
	{x: []int{2, 3, 13}, dim: -1, start: 4, length: 9},
	{x: []int{1, 3, 37, 64}, dim: 3, start: 53, length: 11},
	{x: []int{2, 3, 1, 5}, dim: 2, start: 0, length: 1},
	{x: []int{3, 4, 5}, dim: 0, start: 2, length: 1},
}

// sliceCases are Slice, Concat's backward.
func sliceCases() []Case {
	var cs []Case
	for _, c := range sliceVectors {
		cs = append(cs, Case{Op: "Slice", Name: fmt.Sprintf("x%v_dim%d_%d+%d", c.x, c.dim, c.start, c.length), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			d := c.dim
			if d < 0 {
				d += len(c.x)
			}
			return b.Slice(x, c.dim, c.start, c.length), ref.Slice(xv, c.x, d, c.start, c.length)
		}})
	}
	return cs
}
