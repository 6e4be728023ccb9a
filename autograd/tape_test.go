package autograd

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"easel/gpu"
)

var testDev *gpu.Device

func TestMain(m *testing.M) {
	dev, err := gpu.Open(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "autograd tests need a Vulkan adapter:", err)
		os.Exit(1)
	}
	fmt.Println("autograd tests run on adapter:", dev.Adapter())
	testDev = dev
	code := m.Run()
	dev.Close()
	os.Exit(code)
}

func upload(t *testing.T, data []float32, shape ...int) *gpu.Tensor {
	t.Helper()
	x, err := testDev.FromData(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Release)
	return x
}

func read(t *testing.T, x *gpu.Tensor) []float32 {
	t.Helper()
	v, err := x.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestChainFreesSavedValues: after Backward every intermediate of a long chain is freed
// (handed to later ops of the batch), the gradient is right, and replaying the batch
// neither allocates nor changes the result.
func TestChainFreesSavedValues(t *testing.T) {
	const n, depth = 37, 12
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(i%7) - 2.5
	}
	w := upload(t, xs, n)
	g := upload(t, make([]float32, n), n)
	b := testDev.NewBatch()
	defer b.Release()
	tp := New(b)
	defer tp.Release()
	b.Fill(g, 0)
	p := tp.Param(w, g)
	y := p
	for range depth {
		// d/dy of LeakyReLU(2y+0.5, 0.1): 2·(1 or 0.1).
		y = tp.LeakyReLU(tp.Scale(y, 2, 0.5), 0.1)
	}
	loss := tp.Sum(y)
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	freed, kept := 0, 0
	for _, v := range tp.vars {
		switch {
		case v == loss || v == p:
		case v.released:
			freed++
		default:
			kept++
		}
	}
	if kept != 0 || freed != 2*depth {
		t.Errorf("after Backward %d intermediates are freed and %d kept, want %d and 0", freed, kept, 2*depth)
	}
	// Reference: run the chain on the host.
	want := make([]float64, n)
	for i, x := range xs {
		v, d := float64(x), 1.0
		for range depth {
			v = 2*v + 0.5
			if v > 0 {
				d *= 2
			} else {
				v, d = 0.1*v, d*0.2
			}
		}
		want[i] = d
	}
	for round := range 2 {
		live := testDev.LiveBuffers()
		if err := b.Submit(); err != nil {
			t.Fatal(err)
		}
		got := read(t, g)
		for i := range got {
			if math.Abs(float64(got[i])-want[i]) > 1e-6*math.Abs(want[i]) {
				t.Fatalf("round %d: gradient[%d] = %v, want %v", round, i, got[i], want[i])
			}
		}
		if round > 0 && testDev.LiveBuffers() != live {
			t.Errorf("replay changed live buffers %d → %d", live, testDev.LiveBuffers())
		}
	}
}

// TestGradientsAccumulate: a parameter used twice gets the sum of both paths, and two
// Backward calls add into the same gradient, as PyTorch's .grad does.
func TestGradientsAccumulate(t *testing.T) {
	w := upload(t, []float32{1, -2, 3}, 3)
	g := upload(t, make([]float32, 3), 3)
	b := testDev.NewBatch()
	defer b.Release()
	tp := New(b)
	defer tp.Release()
	b.Fill(g, 0)
	p := tp.Param(w, g)
	l1 := tp.Sum(tp.Add(p, tp.Mul(p, p))) // d/dw = 1 + 2w
	if err := tp.Backward(l1); err != nil {
		t.Fatal(err)
	}
	l2 := tp.Sum(tp.Scale(p, 3, 0)) // d/dw = 3
	if err := tp.Backward(l2); err != nil {
		t.Fatal(err)
	}
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	got := read(t, g)
	for i, x := range []float64{1, -2, 3} {
		if want := 1 + 2*x + 3; math.Abs(float64(got[i])-want) > 1e-6 {
			t.Errorf("gradient[%d] = %v, want %v", i, got[i], want)
		}
	}
	if l := read(t, l1.Tensor()); l[0] != 1-2+3+1+4+9 {
		t.Errorf("first loss %v, want 16", l[0])
	}
}

// TestAddInputUsedLater: an Add whose first input also feeds an op recorded after it (a
// feature that is both a residual's input and a loss term) gets its gradient right; the
// Add's backward once freed dy's buffer into that input's gradient before copying dy for
// its second input.
func TestAddInputUsedLater(t *testing.T) {
	w := upload(t, []float32{1, -2, 3}, 3)
	g := upload(t, make([]float32, 3), 3)
	b := testDev.NewBatch()
	defer b.Release()
	tp := New(b)
	defer tp.Release()
	b.Fill(g, 0)
	p := tp.Param(w, g)
	a := tp.Scale(p, 2, 0)
	y := tp.Add(a, tp.Scale(p, 3, 0))
	l := tp.Add(tp.Sum(y), tp.Sum(tp.Mul(a, a))) // d/dw = 2 + 3 + 2·(2w)·2
	if err := tp.Backward(l); err != nil {
		t.Fatal(err)
	}
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	got := read(t, g)
	for i, x := range []float64{1, -2, 3} {
		if want := 5 + 8*x; math.Abs(float64(got[i])-want) > 1e-5 {
			t.Errorf("gradient[%d] = %v, want %v", i, got[i], want)
		}
	}
}

// TestDetachAndErrors: gradients stop at Detach; a second Backward through the same ops,
// a use of a freed value and a loss with no parameter are errors that name the problem.
func TestDetachAndErrors(t *testing.T) {
	w := upload(t, []float32{0.5, -1}, 2)
	g := upload(t, make([]float32, 2), 2)

	b := testDev.NewBatch()
	defer b.Release()
	tp := New(b)
	defer tp.Release()
	b.Fill(g, 0)
	p := tp.Param(w, g)
	h := tp.Tanh(p)
	loss := tp.Sum(tp.Mul(h, tp.Detach(h))) // d/dw = tanh'(w)·tanh(w): one path only
	if err := tp.Backward(loss); err != nil {
		t.Fatal(err)
	}
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	got := read(t, g)
	for i, x := range []float64{0.5, -1} {
		th := math.Tanh(x)
		if want := (1 - th*th) * th; math.Abs(float64(got[i])-want) > 1e-6 {
			t.Errorf("gradient[%d] = %v, want %v", i, got[i], want)
		}
	}

	for _, c := range []struct {
		name string
		run  func(tp *Tape, p *Var) error
		want string
	}{
		{"twice", func(tp *Tape, p *Var) error {
			l := tp.Sum(tp.ReLU(p))
			tp.Backward(l)
			return tp.Backward(l)
		}, "a second time"},
		{"freed", func(tp *Tape, p *Var) error {
			r := tp.ReLU(tp.Scale(p, 2, 0))
			tp.Backward(tp.Sum(r))
			tp.Sum(r)
			return tp.Err()
		}, "freed by an earlier Backward"},
		{"no parameter", func(tp *Tape, p *Var) error {
			return tp.Backward(tp.Sum(tp.Constant(w)))
		}, "depends on no parameter"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := testDev.NewBatch()
			defer b.Release()
			tp := New(b)
			defer tp.Release()
			err := c.run(tp, tp.Param(w, g))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one saying %q", err, c.want)
			}
			if b.Err() == nil {
				t.Errorf("the batch does not carry the tape's error")
			}
		})
	}
}
