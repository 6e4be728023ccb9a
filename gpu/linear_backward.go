package gpu

import (
	"fmt"
	"slices"
)

// sumBatch records y[i] = Σ_z x[z·L + i] for z < batch, L the element count of y's shape.
func (b *Batch) sumBatch(op string, x *Tensor, batch int, shape ...int) *Tensor {
	y := b.newOutput(op, shape...)
	if y == nil {
		return nil
	}
	b.launch1D("linear_backward.wgsl", "sum_batch", y.Len(), []constant{cu("BATCH", batch), cu("C", 1)}, in(x), out(y))
	return y
}

// MatMulBackward is the backward of MatMul(a, c): given dy of the product's shape, the
// gradients da = dy cᵀ and dc = aᵀ dy, per batch entry. An operand broadcast over the
// batch (2D with the other 3D) gets the sum over the batch.
func (b *Batch) MatMulBackward(dy, a, c *Tensor) (da, dc *Tensor) {
	const op = "MatMulBackward"
	if !b.okArgs(op, arg{"dy", dy}, arg{"a", a}, arg{"c", c}) {
		return nil, nil
	}
	s, ys, err := matmulOperands(op, a.shape, c.shape)
	if err != nil {
		b.Fail(err)
		return nil, nil
	}
	if !slices.Equal(dy.shape, ys) {
		b.Fail(fmt.Errorf("%s: dy has shape %v, want %v for %v @ %v", op, dy.shape, ys, a.shape, c.shape))
		return nil, nil
	}
	broadcast := s.batch > 1
	ds := matmulShape{batch: s.batch, m: s.m, n: s.k, k: s.n, aStride: s.m * s.n, bStride: s.bStride, transB: true, alpha: 1}
	if broadcast && s.aStride == 0 {
		// Σ_z dy[z] c[z]ᵀ has no single-product form: the products, then their sum.
		t := b.matmul(op, ds, dy, c, nil, s.batch, s.m, s.k)
		da = b.sumBatch(op, t, s.batch, a.shape...)
		b.retire(t)
	} else {
		da = b.matmul(op, ds, dy, c, nil, a.shape...)
	}
	cs := matmulShape{batch: s.batch, m: s.k, n: s.n, k: s.m, aStride: s.aStride, bStride: s.m * s.n, transA: true, alpha: 1}
	if broadcast && s.bStride == 0 {
		// Σ_z a[z]ᵀ dy[z] is one product: a as [B·M, K] and dy as [B·M, N].
		cs.batch, cs.k = 1, s.batch*s.m
	}
	dc = b.matmul(op, cs, a, dy, nil, c.shape...)
	if b.err != nil {
		da.Release()
		dc.Release()
		return nil, nil
	}
	return da, dc
}

// LinearBackward is the backward of Linear(x, w, bias) for x [..., in] and w [out, in]:
// given dy [..., out], dx = dy w, dw = dyᵀ x (over all rows of x) and, when hasBias,
// db = Σ dy over the rows (nil otherwise).
func (b *Batch) LinearBackward(dy, x, w *Tensor, hasBias bool) (dx, dw, db *Tensor) {
	const op = "LinearBackward"
	if !b.okArgs(op, arg{"dy", dy}, arg{"input", x}, arg{"weight", w}) {
		return nil, nil, nil
	}
	if len(x.shape) < 2 || len(w.shape) != 2 || x.shape[len(x.shape)-1] != w.shape[1] {
		b.Fail(fmt.Errorf("%s: input %v and weight %v, want [..., in] and [out, in]", op, x.shape, w.shape))
		return nil, nil, nil
	}
	nIn, nOut := w.shape[1], w.shape[0]
	ys := append(x.Shape()[:len(x.shape)-1], nOut)
	if !slices.Equal(dy.shape, ys) {
		b.Fail(fmt.Errorf("%s: dy has shape %v, want %v for input %v and weight %v", op, dy.shape, ys, x.shape, w.shape))
		return nil, nil, nil
	}
	rows := x.Len() / nIn
	dx = b.matmul(op, matmulShape{batch: 1, m: rows, n: nIn, k: nOut, alpha: 1}, dy, w, nil, x.shape...)
	dw = b.matmul(op, matmulShape{batch: 1, m: nOut, n: nIn, k: rows, transA: true, alpha: 1}, dy, x, nil, nOut, nIn)
	if hasBias {
		db = b.sumBatch(op, dy, rows, nOut)
	}
	if b.err != nil {
		dx.Release()
		dw.Release()
		db.Release()
		return nil, nil, nil
	}
	return dx, dw, db
}

// GramBackward is the backward of Gram(x) for x [N,C,H,W]: given dy [N,C,C] (not assumed
// symmetric), dF = (dy + dyᵀ) F / (C·H·W) per image, F = x as [C,H·W].
func (b *Batch) GramBackward(dy, x *Tensor) *Tensor {
	const op = "GramBackward"
	if !b.okArgs(op, arg{"dy", dy}, arg{"input", x}) {
		return nil
	}
	if len(x.shape) != 4 {
		b.Fail(fmt.Errorf("%s: input %v, want [N,C,H,W]", op, x.shape))
		return nil
	}
	n, c, hw := x.shape[0], x.shape[1], x.shape[2]*x.shape[3]
	if !slices.Equal(dy.shape, []int{n, c, c}) {
		b.Fail(fmt.Errorf("%s: dy has shape %v, want [%d %d %d] for input %v", op, dy.shape, n, c, c, x.shape))
		return nil
	}
	sym := b.newOutput(op, n, c, c)
	if sym == nil {
		return nil
	}
	b.launch1D("linear_backward.wgsl", "add_transpose", sym.Len(), []constant{cu("BATCH", 1), cu("C", c)}, in(dy), out(sym))
	s := matmulShape{batch: n, m: c, n: hw, k: c, aStride: c * c, bStride: c * hw, alpha: 1 / float64(c*hw)}
	dx := b.matmul(op, s, sym, x, nil, x.shape...)
	b.retire(sym)
	return dx
}
