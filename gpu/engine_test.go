package gpu_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"easel/gpu"
)

func upload(t *testing.T, data []float32, shape ...int) *gpu.Tensor {
	t.Helper()
	x, err := testDevice.FromData(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func ramp(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i%17) - 8.5
	}
	return v
}

// A recorded batch replays without allocating buffers or compiling kernels, and each
// replay recomputes from the current input.
func TestBatchReplayAllocatesNothing(t *testing.T) {
	ctx := context.Background()
	x := upload(t, ramp(2*3*5*7), 2, 3, 5, 7)
	defer x.Release()
	b := testDevice.NewBatch()
	defer b.Release()
	h := b.Scale(x, 2, 1)
	y := b.ReLU(h)
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	defer y.Release()
	live, kernels := testDevice.LiveBuffers(), testDevice.CompiledKernels()
	for rep := range 3 {
		in := ramp(x.Len())
		for i := range in {
			in[i] *= float32(rep + 1)
		}
		if err := x.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := b.Submit(); err != nil {
			t.Fatal(err)
		}
		got, err := y.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range in {
			want := float32(math.Max(float64(2*v+1), 0))
			if got[i] != want {
				t.Fatalf("replay %d: y[%d] = %v, want %v", rep, i, got[i], want)
			}
		}
	}
	if testDevice.LiveBuffers() != live || testDevice.CompiledKernels() != kernels {
		t.Fatalf("replays allocated: live buffers %d → %d, kernels %d → %d",
			live, testDevice.LiveBuffers(), kernels, testDevice.CompiledKernels())
	}
}

// Released buffers are reused: a second pass at the same size allocates no new buffer.
func TestPoolReusesBuffers(t *testing.T) {
	before := testDevice.LiveBuffers()
	a, err := testDevice.NewTensor(3, 41, 43)
	if err != nil {
		t.Fatal(err)
	}
	a.Release()
	pooled := testDevice.PooledBuffers()
	b, err := testDevice.NewTensor(41, 3, 43)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if testDevice.PooledBuffers() != pooled-1 {
		t.Fatalf("same-size tensor did not come from the pool (%d pooled before, %d after)", pooled, testDevice.PooledBuffers())
	}
	if testDevice.LiveBuffers() != before+1 {
		t.Fatalf("live buffers %d, want %d", testDevice.LiveBuffers(), before+1)
	}
}

// Poisoned tensors start as NaN, so a kernel that skips an element cannot pass.
func TestPoisonFillsNaN(t *testing.T) {
	testDevice.SetPoison(true)
	x, err := testDevice.NewTensor(2, 3, 17)
	testDevice.SetPoison(false)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Release()
	got, err := x.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if !math.IsNaN(float64(v)) {
			t.Fatalf("poisoned tensor element %d = %v, want NaN", i, v)
		}
	}
}

// The first error sticks: later ops return nil and Submit reports the first error,
// naming the op and the shapes.
func TestBatchErrorsAreStickyAndClear(t *testing.T) {
	a := upload(t, ramp(6), 2, 3)
	defer a.Release()
	c := upload(t, ramp(6), 3, 2)
	defer c.Release()
	b := testDevice.NewBatch()
	defer b.Release()
	if y := b.Add(a, c); y != nil {
		t.Fatal("Add of mismatched shapes returned a tensor")
	}
	if y := b.ReLU(a); y != nil {
		t.Fatal("op after a failed op returned a tensor")
	}
	err := b.Submit()
	if err == nil || !strings.Contains(err.Error(), "Add") || !strings.Contains(err.Error(), "[2 3]") {
		t.Fatalf("Submit error %v, want one naming Add and the shapes", err)
	}
}

func TestBadTensorsAreRefused(t *testing.T) {
	for _, shape := range [][]int{{}, {0, 3}, {-1}, {1 << 20, 1 << 20}} {
		if _, err := testDevice.NewTensor(shape...); err == nil {
			t.Errorf("NewTensor(%v) succeeded", shape)
		}
	}
	x := upload(t, ramp(6), 2, 3)
	if err := x.Write(ramp(5)); err == nil {
		t.Error("Write of 5 values into 6 elements succeeded")
	}
	if _, err := x.Reshape(4, 2); err == nil {
		t.Error("Reshape that changes the element count succeeded")
	}
	x.Release()
	b := testDevice.NewBatch()
	defer b.Release()
	if b.ReLU(x) != nil || b.Err() == nil || !strings.Contains(b.Err().Error(), "released") {
		t.Errorf("op on a released tensor: err %v", b.Err())
	}
	if _, err := x.Read(context.Background()); err == nil {
		t.Error("Read of a released tensor succeeded")
	}
}

func TestKernelsCompiledOncePerDevice(t *testing.T) {
	x := upload(t, ramp(35), 5, 7)
	defer x.Release()
	run := func() {
		b := testDevice.NewBatch()
		defer b.Release()
		y := b.Sigmoid(x)
		if err := b.Submit(); err != nil {
			t.Fatal(err)
		}
		y.Release()
	}
	run()
	n := testDevice.CompiledKernels()
	run()
	if testDevice.CompiledKernels() != n {
		t.Fatalf("second run compiled %d new kernels", testDevice.CompiledKernels()-n)
	}
}

// TestTrimPoolWithPendingUploads: tensors uploaded and released before any submit leave
// writes queued for buffers in the pool; TrimPool must not destroy them with the writes
// pending (lavapipe crashed at the next submit).
func TestTrimPoolWithPendingUploads(t *testing.T) {
	dev, err := gpu.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	for i := range 50 {
		x, err := dev.FromData(make([]float32, 1000+i), 1000+i)
		if err != nil {
			t.Fatal(err)
		}
		x.Release()
	}
	dev.TrimPool()
	x, err := dev.FromData([]float32{1, 2, 3}, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Release()
	b := dev.NewBatch()
	defer b.Release()
	y := b.Scale(x, 2, 0)
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	got, err := y.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	y.Release()
	if got[0] != 2 || got[1] != 4 || got[2] != 6 {
		t.Fatalf("after TrimPool: %v, want [2 4 6]", got)
	}
}
