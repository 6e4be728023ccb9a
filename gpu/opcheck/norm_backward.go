package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// expectTensor registers t, a further output of the case's op, to compare with want and
// to release with the inputs. A nil t is an error unless the batch failed (which Check
// reports).
func (in *Inputs) expectTensor(b *gpu.Batch, name string, t *gpu.Tensor, want []float64) {
	if t == nil {
		if b.Err() == nil && in.err == nil {
			in.err = fmt.Errorf("%s: the op returned no tensor and no error", name)
		}
		return
	}
	in.ts = append(in.ts, t)
	in.expect(fmt.Sprintf("%s %v", name, t.Shape()), t.Read, want)
}

// expectNil records an error if t, an output the op must not produce, is not nil.
func (in *Inputs) expectNil(name string, t *gpu.Tensor) {
	if t != nil {
		in.ts = append(in.ts, t)
		if in.err == nil {
			in.err = fmt.Errorf("%s: got %v, want nil", name, t)
		}
	}
}

// Batch norm statistics run over N and the spatial dims: DCGAN-like shapes, odd ones,
// the 1d forms, channels of many workgroup strides, inputs far from 0.
var batchNormBackwardCases = []normCase{
	{x: []int{8, 16, 8, 8}, affine: true, comment: "DCGAN-like"},
	{x: []int{5, 3, 7, 9}, affine: true},
	{x: []int{5, 3, 7, 9}, offset: 6},
	{x: []int{4, 6, 5, 7}, affine: true, offset: 20},
	{x: []int{1, 2, 61, 67}, affine: true, comment: "channels of many workgroup strides"},
	{x: []int{6, 7}, affine: true, comment: "BatchNorm1d"},
	{x: []int{5, 6, 9}, comment: "BatchNorm1d [N,C,L]"},
	{x: []int{3, 4, 1, 1}, affine: true},
}

var instanceNormBackwardCases = []normCase{
	{x: []int{2, 3, 17, 23}, affine: true},
	{x: []int{2, 3, 17, 23}},
	{x: []int{1, 3, 12, 20}, affine: true, offset: 6},
	// Planes of two elements make dx pure cancellation (xhat = ±1 up to eps), beyond float32;
	// three is the fewest that is well conditioned.
	{x: []int{3, 4, 1, 3}, affine: true, comment: "three-element planes"},
	{x: []int{1, 2, 61, 67}, affine: true, comment: "planes of many workgroup strides"},
}

// normBackwardCases are the backward of batch norm in training mode and instance norm.
func normBackwardCases() []Case {
	var cs []Case
	for _, f := range []struct {
		op    string
		cases []normCase
		gpu   func(b *gpu.Batch, dy, x, gamma *gpu.Tensor, eps float64) (dx, dgamma, dbeta *gpu.Tensor)
		ref   func(dy, x []float64, shape []int, gamma []float64, eps float64) (dx, dgamma, dbeta []float64)
	}{
		{"BatchNormTrainBackward", batchNormBackwardCases, (*gpu.Batch).BatchNormTrainBackward, ref.BatchNormTrainBackward},
		{"InstanceNormBackward", instanceNormBackwardCases, (*gpu.Batch).InstanceNormBackward, ref.InstanceNormBackward},
	} {
		for _, c := range f.cases {
			cs = append(cs, Case{Op: f.op, Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				x, xv := c.input(in)
				gamma, _, gv, _ := c.affineParams(in)
				dy, dyv := in.Randn(c.x...)
				dx, dgamma, dbeta := f.gpu(b, dy, x, gamma, normEps)
				wantDx, wantDgamma, wantDbeta := f.ref(dyv, xv, c.x, gv, normEps)
				if c.affine {
					in.expectTensor(b, "dgamma", dgamma, wantDgamma)
					in.expectTensor(b, "dbeta", dbeta, wantDbeta)
				} else {
					in.expectNil("dgamma", dgamma)
					in.expectNil("dbeta", dbeta)
				}
				return dx, wantDx
			}})
		}
	}
	return cs
}
