package gpu_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"easel/gpu"
	"easel/gpu/opcheck"
	"easel/gpu/ref"
	"easel/internal/npy"
)

func TestSoftmaxRefusesInvalidInput(t *testing.T) {
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
	x, x3, v := tensor(2, 3, 5), tensor(2, 3, 4), tensor(5)
	many := tensor(65536, 1)
	released := tensor(2, 3, 5)
	released.Release()
	cases := []struct {
		name, op string
		run      func(*gpu.Batch) *gpu.Tensor
	}{
		{"nil input", "Softmax", func(b *gpu.Batch) *gpu.Tensor { return b.Softmax(nil) }},
		{"released input", "Softmax", func(b *gpu.Batch) *gpu.Tensor { return b.Softmax(released) }},
		{"rank 1", "Softmax", func(b *gpu.Batch) *gpu.Tensor { return b.Softmax(v) }},
		{"65536 samples", "Softmax", func(b *gpu.Batch) *gpu.Tensor { return b.Softmax(many) }},
		{"nil gradient", "SoftmaxBackward", func(b *gpu.Batch) *gpu.Tensor { return b.SoftmaxBackward(nil, x) }},
		{"released output", "SoftmaxBackward", func(b *gpu.Batch) *gpu.Tensor { return b.SoftmaxBackward(x, released) }},
		{"shapes differ", "SoftmaxBackward", func(b *gpu.Batch) *gpu.Tensor { return b.SoftmaxBackward(x, x3) }},
		{"rank 1", "SoftmaxBackward", func(b *gpu.Batch) *gpu.Tensor { return b.SoftmaxBackward(v, v) }},
	}
	for _, c := range cases {
		t.Run(c.op+"/"+c.name, func(t *testing.T) {
			b := d.NewBatch()
			defer b.Release()
			y := c.run(b)
			if y != nil || b.Err() == nil {
				t.Fatalf("got %v, error %v; want nil and an error", y, b.Err())
			}
			if !strings.HasPrefix(b.Err().Error(), c.op) || b.Len() != 0 {
				t.Fatalf("error %q does not start with %s, or %d launches were recorded", b.Err(), c.op, b.Len())
			}
			t.Log(b.Err())
		})
	}
}

// softmaxParityTol is the largest relative error (opcheck.RelErr) allowed against PyTorch.
const softmaxParityTol = 1e-5

// TestSoftmaxMatchesPyTorch compares Softmax and SoftmaxBackward with the float32 results
// of F.softmax over each sample and its autograd gradient, made by testdata/make_softmax.py:
// normal inputs, and inputs with ±80 and a tie with the maximum.
func TestSoftmaxMatchesPyTorch(t *testing.T) {
	t.Logf("adapter: %s", testDevice.Adapter())
	ctx := context.Background()
	for _, name := range []string{"normal", "large"} {
		t.Run(name, func(t *testing.T) {
			load := func(what string) ([]float32, []int) {
				file := filepath.Join("testdata", fmt.Sprintf("softmax_%s_%s.npy", name, what))
				f, err := os.Open(file)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				shape, data, err := npy.ReadFloat32(f, 1<<20)
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				return data, shape
			}
			f64 := func(what string) []float64 {
				data, _ := load(what)
				v := make([]float64, len(data))
				for i, d := range data {
					v[i] = float64(d)
				}
				return v
			}
			xs, shape := load("x")
			x := upload(t, xs, shape...)
			defer x.Release()
			dys, _ := load("dy")
			dy := upload(t, dys, shape...)
			defer dy.Release()
			y, dx := f64("y"), f64("dx")
			b := testDevice.NewBatch()
			defer b.Release()
			gy := b.Softmax(x)
			gdx := b.SoftmaxBackward(dy, gy)
			if err := b.Submit(); err != nil {
				t.Fatal(err)
			}
			for _, o := range []struct {
				what string
				got  *gpu.Tensor
				want []float64
			}{{"y", gy, y}, {"dx", gdx, dx}} {
				got, err := o.got.Read(ctx)
				if err != nil {
					t.Fatal(err)
				}
				o.got.Release()
				e := opcheck.RelErr(got, o.want)
				if e > softmaxParityTol {
					t.Errorf("%s: max rel err %.2e against PyTorch, tolerance %.0e", o.what, e, softmaxParityTol)
				}
				t.Logf("%s: %d elements, max rel err %.2e against PyTorch", o.what, len(got), e)
			}
		})
	}
}

// TestSoftmaxActivationSmoothingSize runs forward and backward at the size activation
// smoothing meets (2 samples of 96×128×128: 384 workgroups per sample) against the float64
// reference, inputs up to ±80 in one sample.
func TestSoftmaxActivationSmoothingSize(t *testing.T) {
	if testing.Short() {
		t.Skip("3 million elements")
	}
	shape := []int{2, 96, 128, 128}
	n := 2 * 96 * 128 * 128
	rng := rand.New(rand.NewPCG(11, 12))
	xs, dys := make([]float32, n), make([]float32, n)
	xv, dyv := make([]float64, n), make([]float64, n)
	for i := range xs {
		v := rng.NormFloat64()
		if i >= n/2 {
			v = 160*rng.Float64() - 80
		}
		xs[i], dys[i] = float32(v), float32(rng.NormFloat64())
		xv[i], dyv[i] = float64(xs[i]), float64(dys[i])
	}
	b := testDevice.NewBatch()
	defer b.Release()
	x := upload(t, xs, shape...)
	defer x.Release()
	dyt := upload(t, dys, shape...)
	defer dyt.Release()
	y := b.Softmax(x)
	dx := b.SoftmaxBackward(dyt, y)
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	defer y.Release()
	defer dx.Release()
	wantY := ref.Softmax(xv, 2)
	// The backward's reference takes the GPU's y, so that it checks the backward alone.
	gotY := readAll(t, y)
	yv := make([]float64, n)
	for i, v := range gotY {
		yv[i] = float64(v)
	}
	wantDx := ref.SoftmaxBackward(dyv, yv, 2)
	gotDx := readAll(t, dx)
	for r := range 2 {
		lo, hi := r*n/2, (r+1)*n/2
		if e := opcheck.RelErr(gotY[lo:hi], wantY[lo:hi]); e > opcheck.Tolerance {
			t.Errorf("sample %d: y max rel err %.2e, tolerance %.0e", r, e, opcheck.Tolerance)
		} else {
			t.Logf("sample %d: y max rel err %.2e", r, e)
		}
		if e := opcheck.RelErr(gotDx[lo:hi], wantDx[lo:hi]); e > opcheck.Tolerance {
			t.Errorf("sample %d: dx max rel err %.2e, tolerance %.0e", r, e, opcheck.Tolerance)
		} else {
			t.Logf("sample %d: dx max rel err %.2e", r, e)
		}
	}
}

func readAll(t *testing.T, x *gpu.Tensor) []float32 {
	t.Helper()
	v, err := x.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}
