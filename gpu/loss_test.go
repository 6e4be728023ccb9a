package gpu_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"easel/gpu"
)

func TestLossAndBackwardOpsRefuseInvalidInput(t *testing.T) {
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
	x, x2 := tensor(2, 3, 5, 4), tensor(2, 3, 5, 4)
	x3 := tensor(2, 3, 5)
	s, s2 := tensor(1), tensor(2)
	logits, labels, labels5 := tensor(7, 5), tensor(7), tensor(5)
	released := tensor(1)
	released.Release()
	type run = func(*gpu.Batch) *gpu.Tensor
	cases := []struct {
		name, op string
		run      run
	}{
		{"shapes differ", "ReLUBackward", func(b *gpu.Batch) *gpu.Tensor { return b.ReLUBackward(x, x3) }},
		{"nil gradient", "LeakyReLUBackward", func(b *gpu.Batch) *gpu.Tensor { return b.LeakyReLUBackward(nil, x, 0.2) }},
		{"shapes differ", "TanhBackward", func(b *gpu.Batch) *gpu.Tensor { return b.TanhBackward(x3, x) }},
		{"released output", "SigmoidBackward", func(b *gpu.Batch) *gpu.Tensor { return b.SigmoidBackward(released, released) }},
		{"scalar of 2", "Broadcast", func(b *gpu.Batch) *gpu.Tensor { return b.Broadcast(s2, 1, 3, 4) }},
		{"empty shape", "Broadcast", func(b *gpu.Batch) *gpu.Tensor { return b.Broadcast(s, 1) }},
		{"zero dimension", "Broadcast", func(b *gpu.Batch) *gpu.Tensor { return b.Broadcast(s, 1, 3, 0) }},
		{"scale NaN", "Broadcast", func(b *gpu.Batch) *gpu.Tensor { return b.Broadcast(s, math.NaN(), 3) }},
		{"scalar of 2", "MulScalar", func(b *gpu.Batch) *gpu.Tensor { return b.MulScalar(x, s2) }},
		{"nil scalar", "MulScalar", func(b *gpu.Batch) *gpu.Tensor { return b.MulScalar(x, nil) }},
		{"shapes differ", "BCE", func(b *gpu.Batch) *gpu.Tensor { return b.BCE(x, x3) }},
		{"gradient of 2", "BCEBackward", func(b *gpu.Batch) *gpu.Tensor { return b.BCEBackward(s2, x, x2) }},
		{"shapes differ", "BCEBackward", func(b *gpu.Batch) *gpu.Tensor { return b.BCEBackward(s, x, x3) }},
		{"shapes differ", "BCEWithLogits", func(b *gpu.Batch) *gpu.Tensor { return b.BCEWithLogits(x3, x) }},
		{"released gradient", "BCEWithLogitsBackward", func(b *gpu.Batch) *gpu.Tensor { return b.BCEWithLogitsBackward(released, x, x2) }},
		{"labels length", "CrossEntropy", func(b *gpu.Batch) *gpu.Tensor { return b.CrossEntropy(logits, labels5) }},
		{"4D logits", "CrossEntropy", func(b *gpu.Batch) *gpu.Tensor { return b.CrossEntropy(x, labels) }},
		{"2D labels", "CrossEntropy", func(b *gpu.Batch) *gpu.Tensor { return b.CrossEntropy(logits, tensor(7, 1)) }},
		{"labels length", "CrossEntropyBackward", func(b *gpu.Batch) *gpu.Tensor { return b.CrossEntropyBackward(s, logits, labels5) }},
		{"gradient of 2", "CrossEntropyBackward", func(b *gpu.Batch) *gpu.Tensor { return b.CrossEntropyBackward(s2, logits, labels) }},
		{"shapes differ", "MSEBackward", func(b *gpu.Batch) *gpu.Tensor { return b.MSEBackward(s, x, x3) }},
		{"nil gradient", "MSEBackward", func(b *gpu.Batch) *gpu.Tensor { return b.MSEBackward(nil, x, x2) }},
		{"3D input", "TotalVariation", func(b *gpu.Batch) *gpu.Tensor { return b.TotalVariation(x3) }},
		{"3D input", "TotalVariationBackward", func(b *gpu.Batch) *gpu.Tensor { return b.TotalVariationBackward(s, x3) }},
		{"gradient of 2", "TotalVariationBackward", func(b *gpu.Batch) *gpu.Tensor { return b.TotalVariationBackward(s2, x) }},
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

// A loss weight (MulScalar) and an upstream gradient (the backward ops' dy) are read when
// the batch runs: a replay after writing new values gives new results from one recording.
func TestLossScalarsReadAtRunTime(t *testing.T) {
	d := testDevice
	ctx := context.Background()
	x, err := d.FromData([]float32{1, -2, 4}, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Release()
	w, err := d.FromData([]float32{2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Release()
	b := d.NewBatch()
	defer b.Release()
	y := b.MulScalar(x, w)
	g := b.MSEBackward(w, x, b.Broadcast(w, 0.5, 3)) // dy = w, target w/2 everywhere
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	check := func(tt *gpu.Tensor, want ...float32) {
		t.Helper()
		got, err := tt.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}
	check(y, 2, -4, 8)
	check(g, 0, -4, 4) // dy·2(x - w/2)/3 with dy = w = 2
	if err := w.Write([]float32{-1}); err != nil {
		t.Fatal(err)
	}
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	check(y, -1, 2, -4)
	check(g, -1, 1, -3) // with dy = w = -1
}
