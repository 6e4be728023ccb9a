package gpu_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"easel/gpu"
)

// scaleChain records n Scale ops on x, each on the last one's output, handing every dead
// intermediate to the batch when reuse is set (else keeping it in kept), and returns the
// last output and the buffers the recording left live.
func scaleChain(t *testing.T, b *gpu.Batch, x *gpu.Tensor, n int, reuse bool, kept *[]*gpu.Tensor) (*gpu.Tensor, int) {
	t.Helper()
	before := testDevice.LiveBuffers()
	h := x
	for i := range n {
		y := b.Scale(h, 1.5, float64(i))
		if h != x {
			if reuse {
				b.Reuse(h)
			} else {
				*kept = append(*kept, h)
			}
		}
		h = y
	}
	if err := b.Err(); err != nil {
		t.Fatal(err)
	}
	return h, testDevice.LiveBuffers() - before
}

// A chain that hands each dead intermediate to the batch (Reuse) computes bit for bit what
// the chain keeping them all computes, replay after replay, in two buffers instead of
// one per op; the batch's Release returns the buffers no output took.
func TestBatchReuseSharesDeadBuffers(t *testing.T) {
	ctx := context.Background()
	x := upload(t, ramp(4*6*8), 4, 6, 8)
	defer x.Release()
	run := func(reuse bool) ([]float32, int) {
		var kept []*gpu.Tensor
		defer func() {
			for _, k := range kept {
				k.Release()
			}
		}()
		start := testDevice.LiveBuffers()
		b := testDevice.NewBatch()
		y, live := scaleChain(t, b, x, 6, reuse, &kept)
		var got []float32
		for range 2 {
			if err := b.Submit(); err != nil {
				t.Fatal(err)
			}
			var err error
			if got, err = y.Read(ctx); err != nil {
				t.Fatal(err)
			}
		}
		b.Release()
		y.Release()
		for _, k := range kept {
			k.Release()
		}
		kept = nil
		if n := testDevice.LiveBuffers(); n != start {
			t.Fatalf("reuse %v: %d buffers live after the batch and its outputs are released, %d before", reuse, n, start)
		}
		return got, live
	}
	want, allLive := run(false)
	got, live := run(true)
	if !slices.Equal(got, want) {
		t.Fatalf("the chain with reuse gave %v, without %v", got[:4], want[:4])
	}
	if allLive != 6 || live != 2 {
		t.Fatalf("%d buffers live with reuse, %d without; want 2 and 6", live, allLive)
	}
}

// A later output takes over a dead buffer of its size or up to 4 times larger, not a much
// larger one, and none while the device poisons new tensors.
func TestBatchReuseFits(t *testing.T) {
	x := upload(t, ramp(4*6*8), 4, 6, 8)
	defer x.Release()
	b := testDevice.NewBatch()
	defer b.Release()
	var outs []*gpu.Tensor
	defer func() {
		for _, o := range outs {
			o.Release()
		}
	}()
	grows := func(what string, want int, op func() *gpu.Tensor) {
		t.Helper()
		before := testDevice.LiveBuffers()
		outs = append(outs, op())
		if err := b.Err(); err != nil {
			t.Fatal(err)
		}
		if got := testDevice.LiveBuffers() - before; got != want {
			t.Fatalf("%s: %d new buffers, want %d", what, got, want)
		}
	}
	dead := b.Scale(x, 2, 0)
	b.Reuse(dead)
	small := upload(t, ramp(6), 6)
	defer small.Release()
	grows("1/32 of the dead buffer", 1, func() *gpu.Tensor { return b.ReLU(small) })
	quarter := upload(t, ramp(48), 6, 8)
	defer quarter.Release()
	testDevice.SetPoison(true)
	grows("a quarter, poisoned", 1, func() *gpu.Tensor { return b.ReLU(quarter) })
	testDevice.SetPoison(false)
	grows("a quarter", 0, func() *gpu.Tensor { return b.ReLU(quarter) })
	grows("the same size, none dead", 1, func() *gpu.Tensor { return b.Scale(x, 2, 0) })
}

// Reuse refuses tensors that are released or views of another's buffer, and the refusal
// sticks to the batch.
func TestBatchReuseRefusesBadTensors(t *testing.T) {
	x := upload(t, ramp(12), 3, 4)
	defer x.Release()
	view, err := x.Reshape(12)
	if err != nil {
		t.Fatal(err)
	}
	gone := upload(t, ramp(12), 3, 4)
	gone.Release()
	for _, c := range []struct {
		name, want string
		t          *gpu.Tensor
	}{
		{"released", "released", gone},
		{"view", "view", view},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := testDevice.NewBatch()
			defer b.Release()
			b.Reuse(c.t)
			if err := b.Err(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Reuse of a %s tensor: error %v, want one saying %q", c.name, err, c.want)
			}
		})
	}
}
