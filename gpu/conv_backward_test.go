//go:build !(js && wasm)

package gpu_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"easel/gpu"
	"easel/gpu/opcheck"
	"easel/gpu/ref"
)

// TestConv2DBackwardWeightTiles checks the weight gradient's kernel with register tiles of
// every kind against the float64 reference: windows that move by less, as much as and
// more than their width, channel counts that leave a tile part empty, rows split or not
// (dw stored by the kernel itself or summed from the runs' parts).
// The op vectors cover only the tiles Conv2DBackwardWeight picks.
func TestConv2DBackwardWeightTiles(t *testing.T) {
	ctx := context.Background()
	testDevice.SetPoison(true)
	defer testDevice.SetPoison(false)
	rng := rand.New(rand.NewPCG(11, 12))
	draw := func(shape ...int) (*gpu.Tensor, []float64) { return randomTensor(t, testDevice, rng, shape...) }
	for _, c := range []struct {
		x, w  []int
		p     gpu.Conv2DParams
		tiles [][3]int
	}{
		{[]int{2, 5, 9, 11}, []int{6, 5, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect},
			[][3]int{{1, 1, 1}, {1, 1, 3}, {2, 2, 3}, {4, 1, 3}, {1, 4, 1}, {8, 2, 1}}},
		{[]int{2, 6, 9, 8}, []int{9, 6, 4, 4}, gpu.Conv2DParams{Stride: 2, Padding: 1},
			[][3]int{{1, 1, 2}, {2, 1, 4}, {4, 2, 2}, {1, 2, 4}}},
		{[]int{1, 3, 12, 10}, []int{5, 3, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect},
			[][3]int{{1, 1, 9}, {2, 1, 3}, {1, 1, 1}}},
		{[]int{2, 4, 7, 8}, []int{3, 4, 2, 4}, gpu.Conv2DParams{Stride: 3, Padding: 2},
			[][3]int{{1, 1, 2}, {1, 1, 4}, {1, 2, 1}}},
		{[]int{1, 36, 6, 7}, []int{20, 36, 1, 1}, gpu.Conv2DParams{Stride: 1},
			[][3]int{{1, 8, 1}, {8, 1, 1}, {2, 2, 1}}},
		// 576 output pixels: rows split in two runs, summed apart (the others store dw
		// directly).
		{[]int{1, 6, 24, 24}, []int{5, 6, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1},
			[][3]int{{1, 1, 3}, {2, 1, 1}}},
	} {
		x, xv := draw(c.x...)
		ys := []int{c.x[0], c.w[0], (c.x[2]+2*c.p.Padding-c.w[2])/c.p.Stride + 1, (c.x[3]+2*c.p.Padding-c.w[3])/c.p.Stride + 1}
		dy, dyv := draw(ys...)
		want, _ := ref.Conv2DBackwardWeight(xv, c.x, dyv, ys, c.w, c.p.Stride, c.p.Padding, c.p.PadMode == gpu.PadReflect)
		for _, tile := range c.tiles {
			t.Run(fmt.Sprintf("x%v_w%v_s%d_tile%v", c.x, c.w, c.p.Stride, tile), func(t *testing.T) {
				b := testDevice.NewBatch()
				defer b.Release()
				dw := b.Conv2DBackwardWeightTile(tile[0], tile[1], tile[2], x, dy, c.w, c.p)
				if err := b.Submit(); err != nil {
					t.Fatal(err)
				}
				defer dw.Release()
				got, err := dw.Read(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if e := opcheck.RelErr(got, want); e > opcheck.Tolerance {
					t.Fatalf("max rel err %.2e > %.0e", e, opcheck.Tolerance)
				}
			})
		}
		x.Release()
		dy.Release()
	}
}

// The tiles Conv2DBackwardWeight picks for the layers of DCGAN and TransformerNet: a
// selection that silently changes is a failure (the benchmark measured these).
func TestWeightGradTilePicks(t *testing.T) {
	for _, c := range []struct {
		cout, cin, kw, stride int
		want                  [3]int
	}{
		{128, 64, 4, 2, [3]int{4, 1, 4}},  // DCGAN discriminator, middle layers
		{128, 128, 3, 1, [3]int{2, 2, 3}}, // TransformerNet residual blocks
		{32, 3, 9, 1, [3]int{1, 1, 9}},    // TransformerNet first layer
		{3, 32, 9, 1, [3]int{1, 1, 9}},    // TransformerNet last layer
	} {
		if got := gpu.WeightGradTile(c.cout, c.cin, c.kw, c.stride); got != c.want {
			t.Errorf("Co %d, Ci %d, kernel width %d, stride %d: tile %v, want %v", c.cout, c.cin, c.kw, c.stride, got, c.want)
		}
	}
}

// Bad shapes fail the batch with an error naming the op, and no op panics.
func TestConvBackwardShapeErrors(t *testing.T) {
	x, _ := testDevice.NewTensor(2, 3, 9, 8)
	w, _ := testDevice.NewTensor(4, 3, 3, 3)
	dy, _ := testDevice.NewTensor(2, 4, 9, 8)
	odd, _ := testDevice.NewTensor(1, 2, 5, 6)
	flat, _ := testDevice.NewTensor(7)
	for _, ts := range []*gpu.Tensor{x, w, dy, odd, flat} {
		defer ts.Release()
	}
	p := gpu.Conv2DParams{Stride: 1, Padding: 1}
	pt := gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}
	for _, c := range []struct {
		op     string
		record func(b *gpu.Batch) *gpu.Tensor
	}{
		{"Conv2DBackwardInput", func(b *gpu.Batch) *gpu.Tensor { return b.Conv2DBackwardInput(dy, w, []int{2, 3, 9, 9}, p) }},
		{"Conv2DBackwardInput", func(b *gpu.Batch) *gpu.Tensor { return b.Conv2DBackwardInput(dy, w, []int{2, 3, 9}, p) }},
		{"Conv2DBackwardInput", func(b *gpu.Batch) *gpu.Tensor { return b.Conv2DBackwardInput(dy, w, []int{2, 5, 9, 8}, p) }},
		{"Conv2DBackwardInput", func(b *gpu.Batch) *gpu.Tensor {
			return b.Conv2DBackwardInput(dy, w, []int{2, 3, 9, 8}, gpu.Conv2DParams{Stride: 1, Padding: 9, PadMode: gpu.PadReflect})
		}},
		{"Conv2DBackwardWeight", func(b *gpu.Batch) *gpu.Tensor { return b.Conv2DBackwardWeight(x, dy, []int{4, 3, 3}, p) }},
		{"Conv2DBackwardWeight", func(b *gpu.Batch) *gpu.Tensor { return b.Conv2DBackwardWeight(x, dy, []int{5, 3, 3, 3}, p) }},
		{"Conv2DBackwardWeight", func(b *gpu.Batch) *gpu.Tensor { return b.Conv2DBackwardWeight(x, dy, []int{4, 3, 0, 3}, p) }},
		{"Conv2DBackwardWeight", func(b *gpu.Batch) *gpu.Tensor {
			return b.Conv2DBackwardWeight(x, dy, []int{4, 3, 3, 3}, gpu.Conv2DParams{Stride: 0})
		}},
		{"ConvTranspose2DBackwardInput", func(b *gpu.Batch) *gpu.Tensor { return b.ConvTranspose2DBackwardInput(dy, w, []int{2, 4, 5, 4}, pt) }},
		{"ConvTranspose2DBackwardWeight", func(b *gpu.Batch) *gpu.Tensor {
			return b.ConvTranspose2DBackwardWeight(x, dy, []int{3, 4, 3, 3}, gpu.ConvTranspose2DParams{Stride: 2, OutputPadding: 2})
		}},
		{"BiasBackward", func(b *gpu.Batch) *gpu.Tensor { return b.BiasBackward(flat) }},
		{"UpsampleNearestBackward", func(b *gpu.Batch) *gpu.Tensor { return b.UpsampleNearestBackward(odd, 2) }},
		{"UpsampleNearestBackward", func(b *gpu.Batch) *gpu.Tensor { return b.UpsampleNearestBackward(flat, 1) }},
		{"UpsampleNearestBackward", func(b *gpu.Batch) *gpu.Tensor { return b.UpsampleNearestBackward(odd, 0) }},
	} {
		b := testDevice.NewBatch()
		if y := c.record(b); y != nil {
			y.Release()
			t.Errorf("%s: returned a tensor for bad shapes", c.op)
		}
		if err := b.Err(); err == nil || !strings.HasPrefix(err.Error(), c.op+":") {
			t.Errorf("%s: error %v, want one naming the op", c.op, err)
		} else {
			t.Log(err)
		}
		b.Release()
	}
}

// The input gradients of DCGAN's and TransformerNet's layers land on the tuned forward
// kernels: a selection rule that silently stops matching is a failure.
func TestConvBackwardInputKernels(t *testing.T) {
	reflect1 := gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}
	for _, c := range []struct {
		name   string
		record func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor
		want   string
	}{
		{"DCGAN D 4x4 s2", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
			return b.Conv2DBackwardInput(in(2, 128, 16, 16), in(128, 64, 4, 4), []int{2, 64, 32, 32}, gpu.Conv2DParams{Stride: 2, Padding: 1})
		}, "conv2d_up2_c8x8x8.wgsl:conv2d_up2_c8x8x8"},
		{"DCGAN G 4x4 s2", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
			return b.ConvTranspose2DBackwardInput(in(2, 64, 32, 32), in(128, 64, 4, 4), []int{2, 128, 16, 16}, gpu.ConvTranspose2DParams{Stride: 2, Padding: 1})
		}, "conv2d_4x4s2_c16x4x8.wgsl:conv2d_4x4s2_c16x4x8"},
		{"TransformerNet residual", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
			return b.Conv2DBackwardInput(in(1, 128, 64, 64), in(128, 128, 3, 3), []int{1, 128, 64, 64}, reflect1)
		}, "conv2d_3x3_c16x4x4.wgsl:conv2d_3x3_c16x4x4"},
		{"TransformerNet 3x3 s2", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
			return b.Conv2DBackwardInput(in(1, 64, 128, 128), in(64, 32, 3, 3), []int{1, 32, 256, 256}, gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect})
		}, "conv2d_up2_c8x8x8.wgsl:conv2d_up2_c8x8x8"},
		{"TransformerNet 9x9 first", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
			return b.Conv2DBackwardInput(in(1, 32, 256, 256), in(32, 3, 9, 9), []int{1, 3, 256, 256}, reflect4)
		}, "conv2d_3x3_9x9_c8x4x4.wgsl:conv2d_3x3_9x9_c8x4x4"},
		{"TransformerNet 9x9 last", func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
			return b.Conv2DBackwardInput(in(1, 3, 256, 256), in(3, 32, 9, 9), []int{1, 32, 256, 256}, reflect4)
		}, "conv2d_3x3_9x9_c8x4x4.wgsl:conv2d_3x3_9x9_c8x4x4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ts []*gpu.Tensor
			defer func() {
				for _, x := range ts {
					x.Release()
				}
			}()
			in := func(shape ...int) *gpu.Tensor {
				x, err := testDevice.NewTensor(shape...)
				if err != nil {
					t.Fatal(err)
				}
				ts = append(ts, x)
				return x
			}
			b := testDevice.NewBatch()
			defer b.Release()
			y := c.record(b, in)
			if y == nil {
				t.Fatal(b.Err())
			}
			ts = append(ts, y)
			if ks := b.Kernels(); !slices.Contains(ks, c.want) {
				t.Errorf("kernels %v, want %s among them", ks, c.want)
			}
		})
	}
}

// randomTensor uploads a tensor of shape to dev, standard normal values drawn from rng,
// released when the test ends, and returns it with its values in float64.
func randomTensor(t *testing.T, dev *gpu.Device, rng *rand.Rand, shape ...int) (*gpu.Tensor, []float64) {
	t.Helper()
	f32, f64 := make([]float32, shapeLen(shape)), make([]float64, shapeLen(shape))
	for i := range f32 {
		f32[i] = float32(rng.NormFloat64())
		f64[i] = float64(f32[i])
	}
	x, err := dev.FromData(f32, shape...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.Release)
	return x, f64
}

func shapeLen(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// TestWeightGradSplits pins how the GPU family's weight gradient splits its sum over the
// output pixels: the op vectors that say they split it do (the last part shorter in two),
// small layers do not, and layers of many channel tiles split little.
func TestWeightGradSplits(t *testing.T) {
	for _, c := range []struct {
		taps, cin, cout, pixels int
		want                    [2]int // parts, pixels per part
	}{
		{9, 5, 6, 3 * 24 * 22, [2]int{3, 528}},  // op vector x[3 5 47 43], stride 2
		{9, 5, 6, 2 * 33 * 31, [2]int{3, 688}},  // op vector x[2 5 33 31]: 670 in the last
		{9, 3, 4, 3 * 21 * 19, [2]int{2, 608}},  // op vector ConvTranspose2D x[3 4 21 19]
		{9, 24, 256, 2 * 5 * 9, [2]int{1, 96}},  // op vector x[2 24 5 9]: 90 pixels
		{9, 3, 64, 256 * 256, [2]int{128, 512}}, // VGG16's first layer at 256×256
		{9, 512, 512, 4 * 32 * 32, [2]int{4, 1024}},
		{16, 64, 128, 64 * 16 * 16, [2]int{32, 512}}, // DCGAN D middle layer, batch 64
	} {
		if got := gpu.WeightGradSplits(c.taps, c.cin, c.cout, c.pixels); got != c.want {
			t.Errorf("%d taps, %d → %d channels, %d pixels: %v, want %v", c.taps, c.cin, c.cout, c.pixels, got, c.want)
		}
	}
}

// TestWeightGradGPUFamilyNewSizeCompilesNothing checks that the GPU family's weight
// gradient keeps its pipelines across image and batch sizes, channel counts, kernel sizes
// and strides (all runtime constants): once both padding modes have run, no other layer
// compiles a kernel. Each result is checked against the float64 reference too.
func TestWeightGradGPUFamilyNewSizeCompilesNothing(t *testing.T) {
	ctx := context.Background()
	dev := openFamily(t, gpu.KernelsGPU)
	dev.SetPoison(true)
	rng := rand.New(rand.NewPCG(13, 14))
	draw := func(shape ...int) (*gpu.Tensor, []float64) { return randomTensor(t, dev, rng, shape...) }
	kernels := 0
	for i, c := range []struct {
		x, w       []int
		stride     int
		pad        int
		reflect    bool
		transposed bool // w is a ConvTranspose2D weight
	}{
		{x: []int{2, 5, 9, 11}, w: []int{6, 5, 3, 3}, stride: 1, pad: 1, reflect: true},
		{x: []int{2, 4, 8, 7}, w: []int{4, 3, 4, 4}, stride: 2, pad: 1, transposed: true},
		{x: []int{1, 5, 17, 6}, w: []int{6, 5, 3, 3}, stride: 1, pad: 1, reflect: true},
		{x: []int{3, 70, 8, 9}, w: []int{67, 70, 3, 3}, stride: 2, pad: 1, reflect: true},
		{x: []int{2, 8, 16, 16}, w: []int{16, 8, 4, 4}, stride: 2, pad: 1},
		{x: []int{1, 3, 10, 9}, w: []int{4, 3, 9, 9}, stride: 1, pad: 4, reflect: true},
		{x: []int{3, 9, 5, 6}, w: []int{9, 2, 3, 5}, stride: 3, transposed: true},
	} {
		var ys []int
		if c.transposed {
			ys = []int{c.x[0], c.w[1], (c.x[2]-1)*c.stride - 2*c.pad + c.w[2], (c.x[3]-1)*c.stride - 2*c.pad + c.w[3]}
		} else {
			ys = []int{c.x[0], c.w[0], (c.x[2]+2*c.pad-c.w[2])/c.stride + 1, (c.x[3]+2*c.pad-c.w[3])/c.stride + 1}
		}
		x, xv := draw(c.x...)
		dy, dyv := draw(ys...)
		b := dev.NewBatch()
		var dw *gpu.Tensor
		var want []float64
		if c.transposed {
			dw = b.ConvTranspose2DBackwardWeight(x, dy, c.w, gpu.ConvTranspose2DParams{Stride: c.stride, Padding: c.pad})
			want, _ = ref.ConvTranspose2DBackwardWeight(xv, c.x, dyv, ys, c.w, c.stride, c.pad)
		} else {
			mode := gpu.PadZeros
			if c.reflect {
				mode = gpu.PadReflect
			}
			dw = b.Conv2DBackwardWeight(x, dy, c.w, gpu.Conv2DParams{Stride: c.stride, Padding: c.pad, PadMode: mode})
			want, _ = ref.Conv2DBackwardWeight(xv, c.x, dyv, ys, c.w, c.stride, c.pad, c.reflect)
		}
		if !slices.Contains(b.Kernels(), "conv2d_weight_grad_igemm.wgsl:weight_grad_igemm") {
			t.Errorf("x%v w%v: kernels %v, want the GPU family's weight gradient", c.x, c.w, b.Kernels())
		}
		err := b.Submit()
		b.Release()
		if err != nil {
			t.Fatal(err)
		}
		got, err := dw.Read(ctx)
		dw.Release()
		if err != nil {
			t.Fatal(err)
		}
		if e := opcheck.RelErr(got, want); e > opcheck.Tolerance {
			t.Errorf("x%v w%v stride %d: max rel err %.2e > %.0e", c.x, c.w, c.stride, e, opcheck.Tolerance)
		}
		if k := dev.CompiledKernels(); i >= 2 && k != kernels {
			t.Errorf("x%v w%v stride %d compiled %d new kernels", c.x, c.w, c.stride, k-kernels)
		}
		kernels = dev.CompiledKernels()
	}
}
