package gpu_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"easel/gpu"
	"easel/gpu/ref"
)

func TestForwardOpsRefuseInvalidInput(t *testing.T) {
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
	c3b := tensor(3)
	plane1 := tensor(2, 3, 1, 1)
	single := tensor(1, 3, 1, 1)
	m, k, n := tensor(7, 5), tensor(5, 6), tensor(6, 6)
	bm, bk := tensor(2, 7, 5), tensor(3, 5, 6)
	rgb4 := tensor(1, 4, 5, 4)
	released := tensor(3)
	released.Release()
	img, err := d.NewImage(1, 5, 4)
	if err != nil {
		t.Fatal(err)
	}
	img.Release() // now a released image
	unit := [3]float64{1, 1, 1}
	var zero [3]float64
	type run = func(*gpu.Batch) any
	inorm := func(x, g, bt *gpu.Tensor, eps float64) run {
		return func(b *gpu.Batch) any { return b.InstanceNorm(x, g, bt, eps) }
	}
	bnorm := func(x, g, bt, rm, rv *gpu.Tensor, eps float64) run {
		return func(b *gpu.Batch) any { return b.BatchNorm(x, g, bt, rm, rv, eps) }
	}
	btrain := func(x, rm, rv *gpu.Tensor, momentum float64) run {
		return func(b *gpu.Batch) any { return b.BatchNormTrain(x, nil, nil, rm, rv, momentum, 1e-5) }
	}
	inormReLU := func(x *gpu.Tensor, eps float64) run {
		return func(b *gpu.Batch) any { return b.InstanceNormReLU(x, nil, nil, eps) }
	}
	inormAdd := func(x, r *gpu.Tensor) run {
		return func(b *gpu.Batch) any { return b.InstanceNormAdd(x, nil, nil, r, 1e-5) }
	}
	bnormReLU := func(x, rm, rv *gpu.Tensor, eps float64) run {
		return func(b *gpu.Batch) any { return b.BatchNormReLU(x, nil, nil, rm, rv, eps) }
	}
	bnormLeaky := func(x, rm, rv *gpu.Tensor, eps float64) run {
		return func(b *gpu.Batch) any { return b.BatchNormLeakyReLU(x, nil, nil, rm, rv, 0.2, eps) }
	}
	matmul := func(a, c *gpu.Tensor) run { return func(b *gpu.Batch) any { return b.MatMul(a, c) } }
	linear := func(x, w, bias *gpu.Tensor) run { return func(b *gpu.Batch) any { return b.Linear(x, w, bias) } }
	concat := func(dim int, xs ...*gpu.Tensor) run { return func(b *gpu.Batch) any { return b.Concat(dim, xs...) } }
	cases := []struct {
		name, op string
		run      run
	}{
		{"eps 0", "InstanceNorm", inorm(x, nil, nil, 0)},
		{"eps < 0", "InstanceNorm", inorm(x, nil, nil, -1e-5)},
		{"eps NaN", "InstanceNorm", inorm(x, nil, nil, math.NaN())},
		{"eps Inf", "InstanceNorm", inorm(x, nil, nil, math.Inf(1))},
		{"3D input", "InstanceNorm", inorm(x3, nil, nil, 1e-5)},
		{"one element per plane", "InstanceNorm", inorm(plane1, nil, nil, 1e-5)},
		{"gamma without beta", "InstanceNorm", inorm(x, c3, nil, 1e-5)},
		{"gamma length", "InstanceNorm", inorm(x, c4, c3, 1e-5)},
		{"released beta", "InstanceNorm", inorm(x, c3, released, 1e-5)},
		{"nil input", "InstanceNorm", inorm(nil, nil, nil, 1e-5)},
		{"eps 0", "InstanceNormReLU", inormReLU(x, 0)},
		{"3D input", "InstanceNormReLU", inormReLU(x3, 1e-5)},
		{"residual shape", "InstanceNormAdd", inormAdd(x, rgb4)},
		{"nil residual", "InstanceNormAdd", inormAdd(x, nil)},
		{"released residual", "InstanceNormAdd", inormAdd(x, released)},
		{"nil input", "InstanceNormAdd", inormAdd(nil, x)},
		{"running mean length", "BatchNormReLU", bnormReLU(x, c4, c3, 1e-5)},
		{"eps NaN", "BatchNormLeakyReLU", bnormLeaky(x, c3, c3b, math.NaN())},
		{"running mean length", "BatchNorm", bnorm(x, nil, nil, c4, c3, 1e-5)},
		{"nil running var", "BatchNorm", bnorm(x, nil, nil, c3, nil, 1e-5)},
		{"1D input", "BatchNorm", bnorm(c3, nil, nil, c3, c3b, 1e-5)},
		{"5D input", "BatchNorm", bnorm(tensor(1, 3, 1, 1, 1), nil, nil, c3, c3b, 1e-5)},
		{"eps 0", "BatchNorm", bnorm(x, nil, nil, c3, c3b, 0)},
		{"momentum < 0", "BatchNormTrain", btrain(x, c3, c3b, -0.1)},
		{"momentum > 1", "BatchNormTrain", btrain(x, c3, c3b, 1.5)},
		{"momentum NaN", "BatchNormTrain", btrain(x, c3, c3b, math.NaN())},
		{"one value per channel", "BatchNormTrain", btrain(single, c3, c3b, 0.1)},
		{"running mean is running var", "BatchNormTrain", btrain(x, c3, c3, 0.1)},
		{"running var length", "BatchNormTrain", btrain(x, c3, c4, 0.1)},
		{"inner dims", "MatMul", matmul(m, n)},
		{"1D operand", "MatMul", matmul(m, c3)},
		{"4D operand", "MatMul", matmul(x, k)},
		{"batch sizes", "MatMul", matmul(bm, bk)},
		{"weight in dim", "Linear", linear(m, k, nil)},
		{"1D input", "Linear", linear(c3, tensor(4, 3), nil)},
		{"bias length", "Linear", linear(m, tensor(6, 5), c4)},
		{"released bias", "Linear", linear(m, tensor(3, 5), released)},
		{"3D input", "Gram", func(b *gpu.Batch) any { return b.Gram(x3) }},
		{"nil input", "Sum", func(b *gpu.Batch) any { return b.Sum(nil) }},
		{"released input", "Mean", func(b *gpu.Batch) any { return b.Mean(released) }},
		{"shapes differ", "MSE", func(b *gpu.Batch) any { return b.MSE(x, x3) }},
		{"no inputs", "Concat", concat(0)},
		{"dim out of range", "Concat", concat(4, x, x)},
		{"negative dim out of range", "Concat", concat(-5, x, x)},
		{"ranks differ", "Concat", concat(1, x, x3)},
		{"other dims differ", "Concat", concat(1, x, rgb4)},
		{"nil input", "Concat", concat(0, x, nil)},
		{"released image", "ImageToTensor", func(b *gpu.Batch) any { return b.ImageToTensor(img, unit, zero) }},
		{"nil image", "ImageToTensor", func(b *gpu.Batch) any { return b.ImageToTensor(nil, unit, zero) }},
		{"mul NaN", "ImageToTensor", func(b *gpu.Batch) any {
			im, err := d.NewImage(1, 2, 2)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(im.Release)
			return b.ImageToTensor(im, [3]float64{1, math.NaN(), 1}, zero)
		}},
		{"4 channels", "TensorToImage", func(b *gpu.Batch) any { return b.TensorToImage(rgb4, unit, zero) }},
		{"2 channels", "TensorToImageRows", func(b *gpu.Batch) any { return b.TensorToImageRows(tensor(1, 2, 4, 4), unit, zero, 64) }},
		{"rows narrower than the image", "TensorToImageRows", func(b *gpu.Batch) any {
			return b.TensorToImageRows(tensor(1, 1, 4, 8), unit, zero, 7)
		}},
		{"nil input", "TensorToImageRows", func(b *gpu.Batch) any { return b.TensorToImageRows(nil, unit, zero, 64) }},
		{"3D input", "TensorToImage", func(b *gpu.Batch) any { return b.TensorToImage(x3, unit, zero) }},
		{"add Inf", "TensorToImage", func(b *gpu.Batch) any {
			return b.TensorToImage(tensor(1, 3, 2, 2), unit, [3]float64{0, 0, math.Inf(-1)})
		}},
	}
	for _, c := range cases {
		t.Run(c.op+"/"+c.name, func(t *testing.T) {
			b := d.NewBatch()
			defer b.Release()
			y := c.run(b)
			if (y != (*gpu.Tensor)(nil) && y != (*gpu.Image)(nil)) || b.Err() == nil {
				t.Fatalf("got %v, error %v; want nil and an error", y, b.Err())
			}
			if !strings.HasPrefix(b.Err().Error(), c.op) || b.Len() != 0 {
				t.Fatalf("error %q does not start with %s, or %d launches were recorded", b.Err(), c.op, b.Len())
			}
			t.Log(b.Err())
		})
	}
}

func TestImageRefusesBadUse(t *testing.T) {
	if _, err := testDevice.NewImage(0, 4, 4); err == nil {
		t.Fatal("NewImage(0, 4, 4): no error")
	}
	if _, err := testDevice.NewImage(1<<20, 1<<20, 1); err == nil {
		t.Fatal("NewImage of 2^40 pixels: no error")
	}
	im, err := testDevice.NewImage(2, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got := im.Shape(); got[0] != 2 || got[1] != 3 || got[2] != 5 || im.Pixels() != 30 {
		t.Fatalf("shape %v, %d pixels; want [2 3 5], 30", got, im.Pixels())
	}
	if err := im.Write(make([]byte, 4*30-1)); err == nil {
		t.Fatal("Write of 119 bytes into 30 pixels: no error")
	}
	px := make([]byte, 4*30)
	for i := range px {
		px[i] = byte(7*i + 1)
	}
	if err := im.Write(px); err != nil {
		t.Fatal(err)
	}
	got, err := im.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(px) {
		t.Fatal("Read does not return what Write wrote")
	}
	im.Release()
	im.Release() // twice is harmless
	if _, err := im.Read(context.Background()); err == nil {
		t.Fatal("Read of a released image: no error")
	}
	if err := im.Write(px); err == nil {
		t.Fatal("Write to a released image: no error")
	}
}

// Each submit of a batch with BatchNormTrain moves the running statistics once more, and
// the batch's statistics scratch is released with the batch.
func TestBatchNormTrainReplayUpdatesRunningStats(t *testing.T) {
	ctx := context.Background()
	live := testDevice.LiveBuffers()
	shape := []int{3, 2, 5, 7}
	xs := ramp(3 * 2 * 5 * 7)
	x := upload(t, xs, shape...)
	rm := upload(t, []float32{0.5, -1}, 2)
	rv := upload(t, []float32{2, 0.25}, 2)
	b := testDevice.NewBatch()
	y := b.BatchNormTrain(x, nil, nil, rm, rv, 0.1, 1e-5)
	xv := make([]float64, len(xs))
	for i, v := range xs {
		xv[i] = float64(v)
	}
	wantMean, wantVar := []float64{0.5, -1}, []float64{2, 0.25}
	for range 3 {
		if err := b.Submit(); err != nil {
			t.Fatal(err)
		}
		_, wantMean, wantVar = ref.BatchNormTrain(xv, shape, nil, nil, wantMean, wantVar, 0.1, 1e-5)
	}
	for _, c := range []struct {
		name string
		t    *gpu.Tensor
		want []float64
	}{{"running mean", rm, wantMean}, {"running var", rv, wantVar}} {
		got, err := c.t.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Abs(float64(got[i])-c.want[i]) > 1e-5*math.Abs(c.want[i]) {
				t.Errorf("%s after 3 submits: %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
	b.Release()
	for _, t := range []*gpu.Tensor{x, y, rm, rv} {
		t.Release()
	}
	if got := testDevice.LiveBuffers(); got != live {
		t.Fatalf("%d live buffers after releasing everything, want %d", got, live)
	}
}
