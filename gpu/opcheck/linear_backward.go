package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// Batched, broadcast (either operand) and odd shapes.
var matMulBackwardVectors = []matMulCase{
	{a: []int{37, 53}, c: []int{53, 29}},
	{a: []int{3, 17, 19}, c: []int{3, 19, 23}},
	{a: []int{2, 17, 19}, c: []int{19, 23}},
	{a: []int{13, 11}, c: []int{4, 11, 7}},
	{a: []int{1, 5}, c: []int{5, 1}},
	{a: []int{2, 5, 19}, c: []int{19, 4}},
}

// Inputs whose width is a multiple of 4 take matmul's register tiles for dx.
var linearBackwardVectors = append(linearVectors, linearCase{x: []int{8, 16}, w: []int{12, 16}, bias: true})

// linearBackwardCases are the backward of MatMul, Linear and Gram.
func linearBackwardCases() []Case {
	var cs []Case
	for _, c := range matMulBackwardVectors {
		cs = append(cs, Case{Op: "MatMulBackward", Name: fmt.Sprintf("%v@%v", c.a, c.c), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			a, av := in.Randn(c.a...)
			x, xv := in.Randn(c.c...)
			ba, m, k, sa := batchOf(c.a)
			bc, _, n, sc := batchOf(c.c)
			ys := []int{m, n}
			if len(c.a) == 3 || len(c.c) == 3 {
				ys = []int{max(ba, bc), m, n}
			}
			dy, dyv := in.Randn(ys...)
			da, dc := b.MatMulBackward(dy, a, x)
			wantDa, wantDc := ref.MatMulBackward(dyv, av, xv, max(ba, bc), m, k, n, sa, sc)
			in.expectTensor(b, "dc", dc, wantDc)
			return da, wantDa
		}})
	}
	for _, c := range linearBackwardVectors {
		name := fmt.Sprintf("x%v_w%v", c.x, c.w)
		if c.bias {
			name += "_bias"
		}
		cs = append(cs, Case{Op: "LinearBackward", Name: name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			w, wv := in.Randn(c.w...)
			ys := append(append([]int(nil), c.x[:len(c.x)-1]...), c.w[0])
			dy, dyv := in.Randn(ys...)
			dx, dw, db := b.LinearBackward(dy, x, w, c.bias)
			rows := len(xv) / c.w[1]
			wantDx, wantDw, wantDb := ref.LinearBackward(dyv, xv, wv, rows, c.w[1], c.w[0], c.bias)
			in.expectTensor(b, "dw", dw, wantDw)
			if c.bias {
				in.expectTensor(b, "db", db, wantDb)
			} else {
				in.expectNil("db", db)
			}
			return dx, wantDx
		}})
	}
	for _, s := range gramShapes {
		cs = append(cs, Case{Op: "GramBackward", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(s...)
			dy, dyv := in.Randn(s[0], s[1], s[1])
			return b.GramBackward(dy, x), ref.GramBackward(dyv, xv, s)
		}})
	}
	return cs
}
