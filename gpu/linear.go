package gpu

import (
	"fmt"
	"slices"
)

// matmulTile is the workgroup edge of matmul.wgsl: 8×8 output elements.
const matmulTile = 8

// matmulShape is one batched product y[z] = alpha·A[z]B[z] (+ bias) for matmul.wgsl.
type matmulShape struct {
	batch, m, n, k   int
	aStride, bStride int // elements between consecutive batch entries; 0 broadcasts
	transA, transB   bool
	alpha            float64
}

// matmul records the product into a new output of shape outShape (batch·m·n elements).
func (b *Batch) matmul(op string, s matmulShape, a, c, bias *Tensor, outShape ...int) *Tensor {
	if b.d.gpuKernels() {
		return b.matmulShared(op, s, a, c, bias, outShape...)
	}
	// matmul_tiled: register tiles of 4 rows × 8 columns where B's rows are vec4-aligned.
	tiled := !s.transA && !s.transB && bias == nil && s.n%4 == 0 && s.bStride%4 == 0
	tm, tn := 1, 1
	if tiled {
		tm, tn = 4, 8
	}
	gx, gy := (s.n+tn*matmulTile-1)/(tn*matmulTile), (s.m+tm*matmulTile-1)/(tm*matmulTile)
	y := b.matmulOutput(op, s, gx, gy, outShape)
	if y == nil {
		return nil
	}
	consts := []constant{
		ru("GRID_X", gx*matmulTile), ru("M", s.m), cu("N", s.n), cu("K", s.k),
		ru("A_STRIDE", s.aStride), ru("B_STRIDE", s.bStride),
		cb("TRANS_A", s.transA), cb("TRANS_B", s.transB), cf("ALPHA", s.alpha),
	}
	groups := [3]uint32{uint32(gx), uint32(gy), uint32(s.batch)}
	if tiled {
		b.launch("matmul.wgsl", "matmul_tiled", consts, groups, in(a), in(c), out(y), in(c), in(c))
		return y
	}
	if bias == nil {
		b.launch("matmul.wgsl", "matmul", consts, groups, in(a), in(c), out(y))
	} else {
		b.launch("matmul.wgsl", "matmul_bias", consts, groups, in(a), in(c), out(y), in(bias))
	}
	return y
}

// MatMul is the matrix product a @ c, like torch.matmul for these shapes: a [M,K] @ c [K,N]
// → [M,N]; batched a [B,M,K] @ c [B,K,N] → [B,M,N]; and either operand 2D, broadcast over
// the other's batch.
func (b *Batch) MatMul(a, c *Tensor) *Tensor {
	const op = "MatMul"
	if !b.ok(op, a, c) {
		return nil
	}
	s, outShape, err := matmulOperands(op, a.shape, c.shape)
	if err != nil {
		b.Fail(err)
		return nil
	}
	return b.matmul(op, s, a, c, nil, outShape...)
}

// matmulOperands checks MatMul's operand shapes and returns the product and its shape.
// A 2D operand of a batched product has batch stride 0 (broadcast).
func matmulOperands(op string, as, cs []int) (matmulShape, []int, error) {
	ra, rc := len(as), len(cs)
	if ra < 2 || ra > 3 || rc < 2 || rc > 3 {
		return matmulShape{}, nil, fmt.Errorf("%s: shapes %v and %v, want 2D or 3D operands", op, as, cs)
	}
	m, k := as[ra-2], as[ra-1]
	k2, n := cs[rc-2], cs[rc-1]
	if k != k2 {
		return matmulShape{}, nil, fmt.Errorf("%s: shapes %v and %v: inner dimensions %d and %d differ", op, as, cs, k, k2)
	}
	s := matmulShape{batch: 1, m: m, n: n, k: k, aStride: m * k, bStride: k * n, alpha: 1}
	switch {
	case ra == 3 && rc == 3:
		if as[0] != cs[0] {
			return matmulShape{}, nil, fmt.Errorf("%s: shapes %v and %v: batch sizes %d and %d differ", op, as, cs, as[0], cs[0])
		}
		s.batch = as[0]
	case ra == 3:
		s.batch, s.bStride = as[0], 0
	case rc == 3:
		s.batch, s.aStride = cs[0], 0
	default:
		return s, []int{m, n}, nil
	}
	return s, []int{s.batch, m, n}, nil
}

// Linear is PyTorch's nn.Linear: y = x wᵀ + bias for x [..., in], w [out, in] (PyTorch's
// layout) and bias [out] or nil, giving [..., out]. x must have at least 2 dimensions.
func (b *Batch) Linear(x, w, bias *Tensor) *Tensor {
	const op = "Linear"
	if !b.okArgs(op, arg{"input", x}, arg{"weight", w}) {
		return nil
	}
	if len(x.shape) < 2 || len(w.shape) != 2 || x.shape[len(x.shape)-1] != w.shape[1] {
		b.Fail(fmt.Errorf("%s: input %v and weight %v, want [..., in] and [out, in]", op, x.shape, w.shape))
		return nil
	}
	nIn, nOut := w.shape[1], w.shape[0]
	if bias != nil {
		if !b.okArgs(op, arg{"bias", bias}) {
			return nil
		}
		if !slices.Equal(bias.shape, []int{nOut}) {
			b.Fail(fmt.Errorf("%s: bias %v, want [%d] for weight %v", op, bias.shape, nOut, w.shape))
			return nil
		}
	}
	outShape := append(x.Shape()[:len(x.shape)-1], nOut)
	s := matmulShape{batch: 1, m: x.Len() / nIn, n: nOut, k: nIn, transB: true, alpha: 1}
	return b.matmul(op, s, x, w, bias, outShape...)
}

// Gram is the Gram matrix of style loss: for x [N,C,H,W] and F = x as [N,C,H·W],
// G = F Fᵀ / (C·H·W), of shape [N,C,C].
func (b *Batch) Gram(x *Tensor) *Tensor {
	const op = "Gram"
	if !b.ok(op, x) {
		return nil
	}
	if len(x.shape) != 4 {
		b.Fail(fmt.Errorf("%s: input %v, want [N,C,H,W]", op, x.shape))
		return nil
	}
	n, c, hw := x.shape[0], x.shape[1], x.shape[2]*x.shape[3]
	s := matmulShape{batch: n, m: c, n: c, k: hw, aStride: c * hw, bStride: c * hw, transB: true,
		alpha: 1 / float64(c*hw)}
	return b.matmul(op, s, x, x, nil, n, c, c)
}

// matmulOutput checks that a product's grid of gx×gy workgroups (and s.batch layers)
// fits WebGPU's 65535 per dimension, and allocates its output.
func (b *Batch) matmulOutput(op string, s matmulShape, gx, gy int, outShape []int) *Tensor {
	if gx > 65535 || gy > 65535 || s.batch > 65535 {
		b.Fail(fmt.Errorf("%s: product of %d matrices %d×%d needs more than 65535 workgroups in one dimension",
			op, s.batch, s.m, s.n))
		return nil
	}
	return b.newOutput(op, outShape...)
}

// matmulSharedTile is the workgroup tile of matmul_shared.wgsl: 64×64 output elements.
const matmulSharedTile = 64

// matmulShared records the GPU family's product (matmul_shared.wgsl, tiles through
// workgroup memory) for every shape, transposition and bias; sizes and ALPHA are runtime
// constants, so one pipeline serves every size.
func (b *Batch) matmulShared(op string, s matmulShape, a, c, bias *Tensor, outShape ...int) *Tensor {
	gx := (s.n + matmulSharedTile - 1) / matmulSharedTile
	gy := (s.m + matmulSharedTile - 1) / matmulSharedTile
	y := b.matmulOutput(op, s, gx, gy, outShape)
	if y == nil {
		return nil
	}
	b.launch("matmul_shared.wgsl", "matmul_shared", []constant{
		ru("GRID_X", gx), ru("M", s.m), ru("N", s.n), ru("K", s.k),
		ru("A_STRIDE", s.aStride), ru("B_STRIDE", s.bStride), rf("ALPHA", s.alpha),
		cb("TRANS_A", s.transA), cb("TRANS_B", s.transB), cb("HAS_BIAS", bias != nil),
	}, [3]uint32{uint32(gx), uint32(gy), uint32(s.batch)}, in(a), in(c), out(y), in(biasOr(bias, c)))
	return y
}
