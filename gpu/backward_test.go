package gpu_test

import (
	"math"
	"strings"
	"testing"

	"easel/gpu"
)

func TestBackwardOpsRefuseInvalidInput(t *testing.T) {
	d := testDevice
	tensor := func(shape ...int) *gpu.Tensor {
		t.Helper()
		x, err := d.NewTensor(shape...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(x.Release)
		return x
	}
	x := tensor(2, 3, 5, 4)
	x3 := tensor(2, 3, 5)
	c3, c4 := tensor(3), tensor(4)
	single := tensor(1, 3, 1, 1)
	plane1 := tensor(2, 3, 1, 1)
	released := tensor(3)
	released.Release()
	m, k := tensor(7, 5), tensor(5, 6)
	bm, bk := tensor(2, 7, 5), tensor(3, 5, 6)
	pool := gpu.Pool2DParams{Kernel: 3, Stride: 2, Padding: 1} // [2,3,5,4] → [2,3,3,2]
	type run = func(*gpu.Batch) []*gpu.Tensor
	bn := func(dy, x, g *gpu.Tensor, eps float64) run {
		return func(b *gpu.Batch) []*gpu.Tensor {
			dx, dg, db := b.BatchNormTrainBackward(dy, x, g, eps)
			return []*gpu.Tensor{dx, dg, db}
		}
	}
	in := func(dy, x, g *gpu.Tensor, eps float64) run {
		return func(b *gpu.Batch) []*gpu.Tensor {
			dx, dg, db := b.InstanceNormBackward(dy, x, g, eps)
			return []*gpu.Tensor{dx, dg, db}
		}
	}
	maxPool := func(dy, x *gpu.Tensor, p gpu.Pool2DParams) run {
		return func(b *gpu.Batch) []*gpu.Tensor { return []*gpu.Tensor{b.MaxPool2DBackward(dy, x, p)} }
	}
	avgPool := func(dy *gpu.Tensor, xs []int, p gpu.Pool2DParams) run {
		return func(b *gpu.Batch) []*gpu.Tensor { return []*gpu.Tensor{b.AvgPool2DBackward(dy, xs, p)} }
	}
	matmul := func(dy, a, c *gpu.Tensor) run {
		return func(b *gpu.Batch) []*gpu.Tensor {
			da, dc := b.MatMulBackward(dy, a, c)
			return []*gpu.Tensor{da, dc}
		}
	}
	linear := func(dy, x, w *gpu.Tensor) run {
		return func(b *gpu.Batch) []*gpu.Tensor {
			dx, dw, db := b.LinearBackward(dy, x, w, true)
			return []*gpu.Tensor{dx, dw, db}
		}
	}
	gram := func(dy, x *gpu.Tensor) run {
		return func(b *gpu.Batch) []*gpu.Tensor { return []*gpu.Tensor{b.GramBackward(dy, x)} }
	}
	slice := func(x *gpu.Tensor, dim, start, length int) run {
		return func(b *gpu.Batch) []*gpu.Tensor { return []*gpu.Tensor{b.Slice(x, dim, start, length)} }
	}
	cases := []struct {
		name, op string
		run      run
	}{
		{"dy shape", "BatchNormTrainBackward", bn(x3, x, nil, 1e-5)},
		{"nil dy", "BatchNormTrainBackward", bn(nil, x, nil, 1e-5)},
		{"released gamma", "BatchNormTrainBackward", bn(x, x, released, 1e-5)},
		{"gamma length", "BatchNormTrainBackward", bn(x, x, c4, 1e-5)},
		{"eps 0", "BatchNormTrainBackward", bn(x, x, c3, 0)},
		{"eps NaN", "BatchNormTrainBackward", bn(x, x, c3, math.NaN())},
		{"1D input", "BatchNormTrainBackward", bn(c3, c3, nil, 1e-5)},
		{"one value per channel", "BatchNormTrainBackward", bn(single, single, c3, 1e-5)},
		{"3D input", "InstanceNormBackward", in(x3, x3, nil, 1e-5)},
		{"one element per plane", "InstanceNormBackward", in(plane1, plane1, nil, 1e-5)},
		{"gamma length", "InstanceNormBackward", in(x, x, c4, 1e-5)},
		{"dy shape", "InstanceNormBackward", in(plane1, x, nil, 1e-5)},
		{"dy shape", "MaxPool2DBackward", maxPool(x, x, pool)},
		{"3D input", "MaxPool2DBackward", maxPool(x3, x3, pool)},
		{"padding over kernel/2", "MaxPool2DBackward", maxPool(x, x, gpu.Pool2DParams{Kernel: 2, Padding: 2})},
		{"nil input", "MaxPool2DBackward", maxPool(tensor(2, 3, 3, 2), nil, pool)},
		{"dy shape", "AvgPool2DBackward", avgPool(tensor(2, 3, 2, 2), []int{2, 3, 5, 4}, pool)},
		{"3D input shape", "AvgPool2DBackward", avgPool(x3, []int{2, 3, 5}, pool)},
		{"zero in input shape", "AvgPool2DBackward", avgPool(x, []int{2, 0, 5, 4}, pool)},
		{"kernel 0", "AvgPool2DBackward", avgPool(x, []int{2, 3, 5, 4}, gpu.Pool2DParams{})},
		{"dy shape", "MatMulBackward", matmul(tensor(7, 5), m, k)},
		{"inner dims", "MatMulBackward", matmul(tensor(7, 6), m, tensor(6, 6))},
		{"batch sizes", "MatMulBackward", matmul(tensor(2, 7, 6), bm, bk)},
		{"nil c", "MatMulBackward", matmul(tensor(7, 6), m, nil)},
		{"dy shape", "LinearBackward", linear(tensor(7, 4), m, tensor(3, 5))},
		{"weight in dim", "LinearBackward", linear(tensor(7, 5), m, k)},
		{"1D input", "LinearBackward", linear(c3, c3, tensor(3, 3))},
		{"dy shape", "GramBackward", gram(tensor(2, 3, 4), x)},
		{"3D input", "GramBackward", gram(tensor(2, 3, 3), x3)},
		{"dim out of range", "Slice", slice(x, 4, 0, 1)},
		{"negative dim out of range", "Slice", slice(x, -5, 0, 1)},
		{"length 0", "Slice", slice(x, 1, 0, 0)},
		{"past the end", "Slice", slice(x, 2, 3, 3)},
		{"negative start", "Slice", slice(x, 2, -1, 2)},
		{"released input", "Slice", slice(released, 0, 0, 1)},
	}
	for _, c := range cases {
		t.Run(c.op+"/"+c.name, func(t *testing.T) {
			b := d.NewBatch()
			defer b.Release()
			ys := c.run(b)
			for _, y := range ys {
				if y != nil {
					t.Fatalf("got %v; want nil", ys)
				}
			}
			if b.Err() == nil || !strings.HasPrefix(b.Err().Error(), c.op) || b.Len() != 0 {
				t.Fatalf("error %v does not start with %s, or %d launches were recorded", b.Err(), c.op, b.Len())
			}
			t.Log(b.Err())
		})
	}
}
