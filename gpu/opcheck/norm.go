package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// normCase is one normalisation vector; offset shifts the input far from 0 so that a
// one-pass variance would lose its digits.
type normCase struct {
	x        []int
	affine   bool
	offset   float64
	momentum float64 // BatchNormTrain only
	comment  string
}

func (c normCase) name() string {
	s := fmt.Sprint(c.x)
	if c.affine {
		s += "_affine"
	}
	if c.offset != 0 {
		s += fmt.Sprintf("_offset%g", c.offset)
	}
	if c.momentum != 0 {
		s += fmt.Sprintf("_momentum%g", c.momentum)
	}
	if c.comment != "" {
		s += "_" + c.comment
	}
	return s
}

// input draws x for the case.
func (c normCase) input(in *Inputs) (*gpu.Tensor, []float64) {
	if c.offset != 0 {
		return in.Uniform(c.offset-1, c.offset+1, c.x...)
	}
	return in.Randn(c.x...)
}

// affineParams draws gamma and beta [c] when the case is affine.
func (c normCase) affineParams(in *Inputs) (gamma, beta *gpu.Tensor, gv, bv []float64) {
	if !c.affine {
		return nil, nil, nil, nil
	}
	gamma, gv = in.Uniform(0.5, 2, c.x[1])
	beta, bv = in.Randn(c.x[1])
	return gamma, beta, gv, bv
}

// Planes of a multiple of 4 elements take the vec4 kernel (instance_norm.wgsl), others
// the generic one (norm.wgsl); the vec4 kernel handles 4, 2 or 1 vec4 per invocation.
var instanceNormCases = []normCase{
	{x: []int{1, 3, 37, 53}, affine: true},
	{x: []int{1, 3, 37, 53}},
	{x: []int{1, 2, 61, 67}, affine: true, comment: "planes of many workgroup strides"},
	{x: []int{2, 5, 7, 11}, affine: true},
	{x: []int{3, 4, 1, 2}, affine: true, comment: "two-element planes"},
	{x: []int{1, 3, 13, 11}, affine: true, offset: 6},
	{x: []int{2, 5, 12, 16}, affine: true, comment: "vec4 planes"},
	{x: []int{1, 3, 10, 6}, comment: "vec4 planes 2 per invocation"},
	{x: []int{3, 4, 1, 4}, affine: true, comment: "vec4 planes of one vec4"},
	{x: []int{1, 2, 64, 68}, affine: true, comment: "vec4 planes of many workgroup strides"},
	{x: []int{1, 3, 12, 20}, affine: true, offset: 6, comment: "vec4 planes"},
	{x: []int{2, 2, 48, 40}, affine: true, offset: 6, comment: "vec4 planes"},
}

// [N,C,H,W] inputs with H·W a multiple of 4 take the vec4 kernel (instance_norm.wgsl),
// others the generic one (norm.wgsl).
var batchNormCases = []normCase{
	{x: []int{2, 5, 7, 11}, affine: true},
	{x: []int{1, 3, 37, 53}},
	{x: []int{6, 7}, affine: true, comment: "BatchNorm1d"},
	{x: []int{4, 3, 1, 1}, affine: true},
	{x: []int{3, 4, 4, 4}, affine: true, comment: "vec4 planes"},
	{x: []int{2, 5, 8, 6}, comment: "vec4 planes"},
	{x: []int{5, 3, 2, 2}, affine: true, comment: "vec4 planes of one vec4"},
}

var batchNormTrainCases = []normCase{
	{x: []int{2, 5, 7, 11}, affine: true, momentum: 0.1},
	{x: []int{1, 2, 61, 67}, affine: true, momentum: 0.1, comment: "channels of many workgroup strides"},
	{x: []int{3, 4, 13, 11}, momentum: 0.3},
	{x: []int{8, 3}, affine: true, momentum: 0.1, comment: "BatchNorm1d"},
	{x: []int{5, 6, 9}, affine: true, momentum: 1, comment: "BatchNorm1d [N,C,L]"},
	{x: []int{3, 4, 1, 1}, affine: true, momentum: 0.1},
	{x: []int{2, 3, 9, 7}, affine: true, momentum: 0.1, offset: 6},
}

const normEps = 1e-5

func normCases() []Case {
	var cs []Case
	for _, c := range instanceNormCases {
		cs = append(cs, Case{Op: "InstanceNorm", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := c.input(in)
			gamma, beta, gv, bv := c.affineParams(in)
			return b.InstanceNorm(x, gamma, beta, normEps), ref.InstanceNorm(xv, c.x, gv, bv, normEps)
		}})
	}
	for _, c := range instanceNormCases {
		cs = append(cs, Case{Op: "InstanceNormReLU", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := c.input(in)
			gamma, beta, gv, bv := c.affineParams(in)
			return b.InstanceNormReLU(x, gamma, beta, normEps), ref.Unary(ref.InstanceNorm(xv, c.x, gv, bv, normEps), ref.ReLU)
		}})
		cs = append(cs, Case{Op: "InstanceNormAdd", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := c.input(in)
			gamma, beta, gv, bv := c.affineParams(in)
			r, rv := in.Randn(c.x...)
			want := ref.Binary(ref.InstanceNorm(xv, c.x, gv, bv, normEps), rv, func(a, b float64) float64 { return a + b })
			return b.InstanceNormAdd(x, gamma, beta, r, normEps), want
		}})
	}
	for _, c := range batchNormCases {
		cs = append(cs, Case{Op: "BatchNorm", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := c.input(in)
			gamma, beta, gv, bv := c.affineParams(in)
			rm, rmv := in.Randn(c.x[1])
			rv, rvv := in.Uniform(0.2, 3, c.x[1])
			return b.BatchNorm(x, gamma, beta, rm, rv, normEps), ref.BatchNorm(xv, c.x, gv, bv, rmv, rvv, normEps)
		}})
	}
	for _, c := range batchNormCases {
		for _, a := range []struct {
			op  string
			gpu func(b *gpu.Batch, x, gamma, beta, rm, rv *gpu.Tensor) *gpu.Tensor
			ref func(float64) float64
		}{
			{"BatchNormReLU", func(b *gpu.Batch, x, gamma, beta, rm, rv *gpu.Tensor) *gpu.Tensor {
				return b.BatchNormReLU(x, gamma, beta, rm, rv, normEps)
			}, ref.ReLU},
			{"BatchNormLeakyReLU", func(b *gpu.Batch, x, gamma, beta, rm, rv *gpu.Tensor) *gpu.Tensor {
				return b.BatchNormLeakyReLU(x, gamma, beta, rm, rv, 0.2, normEps)
			}, ref.LeakyReLU(0.2)},
		} {
			cs = append(cs, Case{Op: a.op, Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				x, xv := c.input(in)
				gamma, beta, gv, bv := c.affineParams(in)
				rm, rmv := in.Randn(c.x[1])
				rv, rvv := in.Uniform(0.2, 3, c.x[1])
				return a.gpu(b, x, gamma, beta, rm, rv), ref.Unary(ref.BatchNorm(xv, c.x, gv, bv, rmv, rvv, normEps), a.ref)
			}})
		}
	}
	for _, c := range batchNormTrainCases {
		cs = append(cs, Case{Op: "BatchNormTrain", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := c.input(in)
			gamma, beta, gv, bv := c.affineParams(in)
			rm, rmv := in.Randn(c.x[1])
			rv, rvv := in.Uniform(0.2, 3, c.x[1])
			want, wantMean, wantVar := ref.BatchNormTrain(xv, c.x, gv, bv, rmv, rvv, c.momentum, normEps)
			in.expect("running mean", rm.Read, wantMean)
			in.expect("running var", rv.Read, wantVar)
			return b.BatchNormTrain(x, gamma, beta, rm, rv, c.momentum, normEps), want
		}})
	}
	return cs
}
