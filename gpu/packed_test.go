package gpu_test

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"easel/gpu"
)

// countRepacks is the number of weight repacks recorded in b.
func countRepacks(b *gpu.Batch) int {
	n := 0
	for _, k := range b.Kernels() {
		if strings.HasPrefix(k, "conv2d_repack.wgsl") {
			n++
		}
	}
	return n
}

// The *Packed ops give bit-identical outputs to the ops that repack in the batch, record
// no repack in any batch (the weights are repacked once, on their own), and reuse the
// prepared weights for every later record and replay, across the tuned kernels' tap modes,
// input channels in chunks, two input widths sharing one layout, and shapes no tuned
// kernel takes.
func TestPackedConvMatchesConv(t *testing.T) {
	d := testDevice
	rng := rand.New(rand.NewPCG(5, 6))
	randn := func(shape ...int) *gpu.Tensor {
		t.Helper()
		n := 1
		for _, s := range shape {
			n *= s
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		x := upload(t, v, shape...)
		t.Cleanup(x.Release)
		return x
	}
	type op func(b *gpu.Batch, x *gpu.Tensor, pc *gpu.PackedConv) *gpu.Tensor
	conv := func(p gpu.Conv2DParams) (plain, packed op) {
		return func(b *gpu.Batch, x *gpu.Tensor, pc *gpu.PackedConv) *gpu.Tensor {
				return b.Conv2D(x, pc.Weight(), pc.Bias(), p)
			}, func(b *gpu.Batch, x *gpu.Tensor, pc *gpu.PackedConv) *gpu.Tensor {
				return b.Conv2DPacked(x, pc, p)
			}
	}
	upConv := func(p gpu.Conv2DParams) (plain, packed op) {
		return func(b *gpu.Batch, x *gpu.Tensor, pc *gpu.PackedConv) *gpu.Tensor {
				return b.UpsampleConv2D(x, pc.Weight(), pc.Bias(), 2, p)
			}, func(b *gpu.Batch, x *gpu.Tensor, pc *gpu.PackedConv) *gpu.Tensor {
				return b.UpsampleConv2DPacked(x, pc, 2, p)
			}
	}
	convT := func(p gpu.ConvTranspose2DParams) (plain, packed op) {
		return func(b *gpu.Batch, x *gpu.Tensor, pc *gpu.PackedConv) *gpu.Tensor {
				return b.ConvTranspose2D(x, pc.Weight(), pc.Bias(), p)
			}, func(b *gpu.Batch, x *gpu.Tensor, pc *gpu.PackedConv) *gpu.Tensor {
				return b.ConvTranspose2DPacked(x, pc, p)
			}
	}
	reflect1 := gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}
	wChunked := randn(32, 256, 3, 3) // 256 input channels: two chunks
	bChunked := randn(32)
	type tc struct {
		name  string
		w, b  *gpu.Tensor
		xs    [][]int
		ops   func() (op, op)
		tuned bool
		forms int // layouts prepared for the inputs: kernels of one layout share them
	}
	tcs := []tc{
		{"3x3 s1 chunked, widths 8 and 6", wChunked, bChunked, [][]int{{1, 256, 8, 8}, {1, 256, 6, 6}, {1, 256, 8, 8}},
			func() (op, op) { return conv(reflect1) }, true, 1},
		{"9x9 narrow", randn(3, 8, 9, 9), randn(3), [][]int{{1, 8, 12, 16}},
			func() (op, op) { return conv(gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}) }, true, 1},
		{"3x3 s2", randn(24, 16, 3, 3), randn(24), [][]int{{2, 16, 12, 8}},
			func() (op, op) { return conv(gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}) }, true, 1},
		{"upsample 3x3, then a width the tuned kernel does not take", randn(8, 16, 3, 3), randn(8), [][]int{{1, 16, 6, 8}, {1, 16, 5, 6}},
			func() (op, op) { return upConv(reflect1) }, true, 2},
		{"transposed 4x4 s2", randn(16, 8, 4, 4), nil, [][]int{{2, 16, 4, 4}},
			func() (op, op) { return convT(gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}) }, true, 1},
		{"5x5 generic", randn(6, 4, 5, 5), randn(6), [][]int{{1, 4, 9, 7}},
			func() (op, op) { return conv(gpu.Conv2DParams{Stride: 1, Padding: 2}) }, false, 0},
	}
	run := func(t *testing.T, record func(b *gpu.Batch) *gpu.Tensor) (out []float32, repacks int) {
		t.Helper()
		b := d.NewBatch()
		defer b.Release()
		y := record(b)
		if y == nil {
			t.Fatal(b.Err())
		}
		defer y.Release()
		if err := b.Submit(); err != nil {
			t.Fatal(err)
		}
		// A replay reads the same prepared weights.
		if err := b.Submit(); err != nil {
			t.Fatal(err)
		}
		out, err := y.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return out, countRepacks(b)
	}
	for _, c := range tcs {
		t.Run(c.name, func(t *testing.T) {
			pc := gpu.NewPackedConv(c.w, c.b)
			defer pc.Release()
			plain, packed := c.ops()
			for _, xs := range c.xs {
				x := randn(xs...)
				want, wantRepacks := run(t, func(b *gpu.Batch) *gpu.Tensor { return plain(b, x, pc) })
				for frame := range 2 {
					got, repacks := run(t, func(b *gpu.Batch) *gpu.Tensor { return packed(b, x, pc) })
					if repacks != 0 {
						t.Fatalf("input %v, frame %d: %d repacks recorded, want 0", xs, frame, repacks)
					}
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("input %v, frame %d: output[%d] = %v, repacking in the batch gives %v", xs, frame, i, got[i], want[i])
						}
					}
				}
				if c.tuned && xs[3]%4 == 0 && wantRepacks == 0 {
					t.Fatalf("input %v: the plain op recorded no repack: the case does not test a tuned kernel", xs)
				}
			}
			if n := pc.NumForms(); n != c.forms {
				t.Fatalf("%d layouts prepared, want %d", n, c.forms)
			}
		})
	}
}

// A released or nil PackedConv fails the batch with an error naming the op.
func TestPackedConvRefusesReleased(t *testing.T) {
	w := upload(t, ramp(4*3*3*3), 4, 3, 3, 3)
	defer w.Release()
	x := upload(t, ramp(3*8*8), 1, 3, 8, 8)
	defer x.Release()
	pc := gpu.NewPackedConv(w, nil)
	pc.Release()
	pc.Release()
	for _, c := range []struct {
		op  string
		rec func(b *gpu.Batch) *gpu.Tensor
	}{
		{"Conv2D", func(b *gpu.Batch) *gpu.Tensor { return b.Conv2DPacked(x, pc, gpu.Conv2DParams{Stride: 1}) }},
		{"Conv2D", func(b *gpu.Batch) *gpu.Tensor { return b.Conv2DPacked(x, nil, gpu.Conv2DParams{Stride: 1}) }},
		{"UpsampleConv2D", func(b *gpu.Batch) *gpu.Tensor { return b.UpsampleConv2DPacked(x, pc, 2, gpu.Conv2DParams{Stride: 1}) }},
		{"ConvTranspose2D", func(b *gpu.Batch) *gpu.Tensor {
			return b.ConvTranspose2DPacked(x, pc, gpu.ConvTranspose2DParams{Stride: 1})
		}},
	} {
		b := testDevice.NewBatch()
		y := c.rec(b)
		if y != nil || b.Err() == nil || !strings.HasPrefix(b.Err().Error(), c.op) || b.Len() != 0 {
			t.Errorf("%s: got %v, error %v, %d launches; want nil and an error naming the op", c.op, y, b.Err(), b.Len())
		}
		b.Release()
	}
}
