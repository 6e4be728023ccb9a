package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// matMulCase is one MatMul vector: a [B,M,K] or [M,K] @ c [B,K,N] or [K,N].
type matMulCase struct{ a, c []int }

var matMulVectors = []matMulCase{
	{a: []int{37, 53}, c: []int{53, 29}},
	{a: []int{3, 37, 53}, c: []int{3, 53, 29}},
	{a: []int{2, 17, 19}, c: []int{19, 23}},
	{a: []int{13, 11}, c: []int{4, 11, 7}},
	{a: []int{1, 5}, c: []int{5, 1}},
	{a: []int{16, 32}, c: []int{32, 48}},
	// Widths N that are multiples of 4 take register tiles of 4 rows × 8 columns: rows and
	// columns that cut a tile, batches, a broadcast operand.
	{a: []int{37, 53}, c: []int{53, 28}},
	{a: []int{3, 9, 7}, c: []int{3, 7, 12}},
	{a: []int{2, 5, 19}, c: []int{19, 4}},
	{a: []int{6, 13}, c: []int{4, 13, 20}},
}

// linearCase is one Linear vector: x [..., in] and w [out, in].
type linearCase struct {
	x, w []int
	bias bool
}

var linearVectors = []linearCase{
	{x: []int{5, 100}, w: []int{7, 100}, bias: true}, // DCGAN-ish: latent to a small layer
	{x: []int{3, 37}, w: []int{29, 37}},
	{x: []int{2, 3, 17}, w: []int{5, 17}, bias: true},
}

var gramShapes = [][]int{{2, 5, 13, 11}, {1, 3, 37, 53}, {1, 17, 4, 4}}

// batchOf splits a 2D or 3D shape into batch, rows, cols and the batch stride (0 for 2D).
func batchOf(s []int) (batch, rows, cols, stride int) {
	if len(s) == 2 {
		return 1, s[0], s[1], 0
	}
	return s[0], s[1], s[2], s[1] * s[2]
}

func linearCases() []Case {
	var cs []Case
	for _, c := range matMulVectors {
		cs = append(cs, Case{Op: "MatMul", Name: fmt.Sprintf("%v@%v", c.a, c.c), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			a, av := in.Randn(c.a...)
			x, xv := in.Randn(c.c...)
			ba, m, k, sa := batchOf(c.a)
			bc, _, n, sc := batchOf(c.c)
			return b.MatMul(a, x), ref.MatMul(av, xv, max(ba, bc), m, k, n, sa, sc)
		}})
	}
	for _, c := range linearVectors {
		name := fmt.Sprintf("x%v_w%v", c.x, c.w)
		if c.bias {
			name += "_bias"
		}
		cs = append(cs, Case{Op: "Linear", Name: name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			w, wv := in.Randn(c.w...)
			var bias *gpu.Tensor
			var bv []float64
			if c.bias {
				bias, bv = in.Randn(c.w[0])
			}
			rows := len(xv) / c.w[1]
			return b.Linear(x, w, bias), ref.Linear(xv, wv, bv, rows, c.w[1], c.w[0])
		}})
	}
	for _, s := range gramShapes {
		cs = append(cs, Case{Op: "Gram", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(s...)
			return b.Gram(x), ref.Gram(xv, s)
		}})
	}
	return cs
}
