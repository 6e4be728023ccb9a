package gpu_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"easel/gpu"
	"easel/gpu/opcheck"
	"easel/gpu/ref"
)

// convBenchShape is one Conv2D the benchmark times: TransformerNet layers at a 256×256
// input (a residual block's 3×3 128→128 at 64×64, the bulk of the network's work; the first
// layer's 9×9 3→32; the second downsampling layer's 3×3 64→128 at stride 2; the last
// layer's 9×9 32→3).
type convBenchShape struct {
	name string
	x, w []int
	p    gpu.Conv2DParams
}

var convBenchShapes = []convBenchShape{
	{"3x3_128-128_64x64", []int{1, 128, 64, 64}, []int{128, 128, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}},
	{"9x9_3-32_256x256", []int{1, 3, 256, 256}, []int{32, 3, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}},
	{"3x3s2_64-128_128x128", []int{1, 64, 128, 128}, []int{128, 64, 3, 3}, gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}},
	{"9x9_32-3_256x256", []int{1, 32, 256, 256}, []int{3, 32, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}},
}

// flops counts a multiply and an add per tap: 2·N·Co·OH·OW·Ci·kH·kW.
func (s convBenchShape) flops(out []int) float64 {
	return 2 * float64(out[0]*out[1]*out[2]*out[3]) * float64(s.w[1]*s.w[2]*s.w[3])
}

// convBenchData is a shape's random inputs and float64 reference output, made once.
type convBenchData struct {
	x, w, bias []float32
	want       []float64
}

var convBenchCache = map[string]*convBenchData{}

func (s convBenchShape) data() *convBenchData {
	if d := convBenchCache[s.name]; d != nil {
		return d
	}
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(n int) ([]float32, []float64) {
		f32, f64 := make([]float32, n), make([]float64, n)
		for i := range f32 {
			f32[i] = float32(rng.NormFloat64())
			f64[i] = float64(f32[i])
		}
		return f32, f64
	}
	d := &convBenchData{}
	var xv, wv, bv []float64
	d.x, xv = draw(s.x[0] * s.x[1] * s.x[2] * s.x[3])
	d.w, wv = draw(s.w[0] * s.w[1] * s.w[2] * s.w[3])
	d.bias, bv = draw(s.w[0])
	d.want, _ = ref.Conv2D(xv, s.x, wv, s.w, bv, s.p.Stride, s.p.Padding, s.p.PadMode == gpu.PadReflect)
	convBenchCache[s.name] = d
	return d
}

// convVariantShapes exercise the tuned kernels' edges: zero and reflect padding, partial
// tiles in both directions, a tile that ends half way (width 8k+4), channel counts that
// leave a kernel's last channel group part empty, batches, the smallest sizes.
var convVariantShapes = []convBenchShape{
	{"3x3_reflect_batch2_width12", []int{2, 5, 9, 12}, []int{11, 5, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}},
	{"3x3_zeros_co20", []int{1, 7, 13, 16}, []int{20, 7, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1}},
	{"3x3_reflect_width11", []int{1, 3, 10, 11}, []int{6, 3, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}},
	{"3x3_reflect_4x4", []int{1, 4, 4, 4}, []int{8, 4, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}},
	{"3x3_zeros_pad2", []int{1, 3, 7, 8}, []int{5, 3, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 2}},
	// Input channels in chunks (VGG's 256 and 512): equal chunks, 3 chunks of 100, partial
	// tiles and channel groups, both paddings, odd sizes.
	{"3x3_zeros_ci512_width12", []int{1, 512, 6, 12}, []int{20, 512, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1}},
	{"3x3_reflect_ci300_batch2_width7", []int{2, 300, 5, 7}, []int{16, 300, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}},
	{"3x3_zeros_ci256_width8_co36", []int{1, 256, 9, 8}, []int{36, 256, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1}},
	{"3x3_s2_reflect_odd", []int{2, 6, 15, 17}, []int{9, 6, 3, 3}, gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}},
	{"3x3_s2_zeros_even", []int{1, 4, 16, 16}, []int{16, 4, 3, 3}, gpu.Conv2DParams{Stride: 2, Padding: 1}},
	{"3x3_s2_reflect_partial", []int{2, 5, 11, 20}, []int{20, 5, 3, 3}, gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}},
	{"9x9_reflect_width20", []int{1, 3, 12, 20}, []int{32, 3, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}},
	{"9x9_zeros_co3", []int{1, 5, 9, 16}, []int{3, 5, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4}},
	{"9x9_reflect_8x8_co6", []int{2, 2, 8, 8}, []int{6, 2, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}},
	{"9x9_zeros_pad2", []int{1, 3, 9, 24}, []int{5, 3, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 2}},
	// 4×4 stride 2 (DCGAN's discriminator): the right padding column in each vec4 slot
	// (widths 4 to 16) and after them (16, 20), odd heights, input channels in chunks.
	{"4x4s2_zeros_width4", []int{2, 3, 4, 4}, []int{16, 3, 4, 4}, gpu.Conv2DParams{Stride: 2, Padding: 1}},
	{"4x4s2_reflect_width8_co20", []int{1, 5, 7, 8}, []int{20, 5, 4, 4}, gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}},
	{"4x4s2_zeros_width12", []int{1, 4, 6, 12}, []int{16, 4, 4, 4}, gpu.Conv2DParams{Stride: 2, Padding: 1}},
	{"4x4s2_reflect_width20", []int{2, 3, 9, 20}, []int{12, 3, 4, 4}, gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}},
	{"4x4s2_zeros_ci300_width16", []int{1, 300, 4, 16}, []int{16, 300, 4, 4}, gpu.Conv2DParams{Stride: 2, Padding: 1}},
	// Narrow 9×9 outputs (16-pixel tiles): the right padding in each of the tile's vec4
	// slots (widths 8 to 24), odd heights, batches, 1 to 4 channels.
	{"9x9_reflect_co3_width8", []int{2, 5, 9, 8}, []int{3, 5, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}},
	{"9x9_reflect_co1_width12", []int{1, 4, 11, 12}, []int{1, 4, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}},
	{"9x9_zeros_co2_width16", []int{1, 3, 6, 16}, []int{2, 3, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4}},
	{"9x9_reflect_co4_width20", []int{2, 6, 7, 20}, []int{4, 6, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}},
	{"9x9_reflect_co3_width24", []int{1, 32, 13, 24}, []int{3, 32, 9, 9}, gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}},
}

// TestConv2DKernels checks every tuned kernel Conv2D may pick against the float64
// reference on the shapes it handles, edge cases the op vectors cannot all reach through
// Conv2D's own choice. (BenchmarkConv2D checks every variant of dev/conv2d, retired ones
// too, on its shapes.)
func TestConv2DKernels(t *testing.T) {
	ctx := context.Background()
	testDevice.SetPoison(true)
	defer testDevice.SetPoison(false)
	for _, s := range convVariantShapes {
		d := s.data()
		for _, file := range gpu.Conv2DKernels() {
			t.Run(s.name+"/"+strings.TrimSuffix(file, ".wgsl"), func(t *testing.T) {
				x, w, bias := benchUpload(t, d.x, s.x...), benchUpload(t, d.w, s.w...), benchUpload(t, d.bias, s.w[0])
				defer x.Release()
				defer w.Release()
				defer bias.Release()
				batch := testDevice.NewBatch()
				defer batch.Release()
				y, ok := batch.Conv2DKernel(file, x, w, bias, s.p)
				if !ok {
					t.Skipf("%s does not handle %s", file, s.name)
				}
				if err := batch.Submit(); err != nil {
					t.Fatal(err)
				}
				defer y.Release()
				got, err := y.Read(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if e := opcheck.RelErr(got, d.want); e > opcheck.Tolerance {
					t.Fatalf("max rel err %.2e > %.0e", e, opcheck.Tolerance)
				}
			})
		}
	}
}

// BenchmarkConv2D is dev/conv2d's benchmark: it checks every numbered Conv2D variant (the
// kernels Conv2D picks and the retired ones of dev/conv2d) against the float64 reference
// on each shape, warms its pipeline (lavapipe compiles at the first dispatch), then times
// b.N submits, each waited for by a readback. GFLOP/s is the figure to compare, with PyTorch's
// CPU conv2d on the same shapes (scripts/bench-conv.sh).
func BenchmarkConv2D(b *testing.B) {
	b.Logf("adapter: %s", testDevice.Adapter())
	ctx := context.Background()
	for _, s := range convBenchShapes {
		for _, v := range gpu.Conv2DVariants() {
			b.Run(fmt.Sprintf("%s/v%d", s.name, v), func(b *testing.B) {
				d := s.data()
				x, w, bias := benchUpload(b, d.x, s.x...), benchUpload(b, d.w, s.w...), benchUpload(b, d.bias, s.w[0])
				defer x.Release()
				defer w.Release()
				defer bias.Release()
				batch := testDevice.NewBatch()
				defer batch.Release()
				first := time.Now()
				y, ok := batch.Conv2DVariant(v, x, w, bias, s.p)
				if !ok {
					b.Skipf("variant %d does not handle %s", v, s.name)
				}
				if err := batch.Submit(); err != nil {
					b.Fatal(err)
				}
				defer y.Release()
				got, err := y.Read(ctx)
				if err != nil {
					b.Fatal(err)
				}
				// Pipelines compile when first recorded (lavapipe runs LLVM then).
				b.Logf("record, submit and read back (compiles on first use): %v", time.Since(first).Round(time.Millisecond))
				if e := opcheck.RelErr(got, d.want); e > opcheck.Tolerance {
					b.Fatalf("variant %d on %s: max rel err %.2e > %.0e", v, s.name, e, opcheck.Tolerance)
				}
				// A one-element readback waits for every earlier submit without
				// copying the output back.
				done := benchUpload(b, []float32{0}, 1)
				defer done.Release()
				// Other work on a small machine makes single submits slow now and then:
				// the median submit gives GFLOP/s, the fastest one best-GFLOP/s.
				times := make([]float64, b.N)
				b.ResetTimer()
				for i := range b.N {
					start := time.Now()
					if err := batch.Submit(); err != nil {
						b.Fatal(err)
					}
					if _, err := done.Read(ctx); err != nil {
						b.Fatal(err)
					}
					times[i] = time.Since(start).Seconds()
				}
				slices.Sort(times)
				fl := s.flops(y.Shape()) / 1e9
				b.ReportMetric(fl/times[len(times)/2], "GFLOP/s")
				b.ReportMetric(fl/times[0], "best-GFLOP/s")
			})
		}
	}
}

func benchUpload(b testing.TB, data []float32, shape ...int) *gpu.Tensor {
	b.Helper()
	t, err := testDevice.FromData(data, shape...)
	if err != nil {
		b.Fatal(err)
	}
	return t
}

var reflect1 = gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}

// upsampleConvShapes exercise the kernels of UpsampleConv2D at scale 2 (x is the input before
// upsampling): both paddings, heights that cut a tile, channel counts that leave a channel
// group part empty, batches, the largest window.
var upsampleConvShapes = []convBenchShape{
	{"reflect_batch2_co20", []int{2, 5, 7, 12}, []int{20, 5, 3, 3}, reflect1},
	{"reflect_co32_height5", []int{1, 16, 5, 8}, []int{32, 16, 3, 3}, reflect1},
	{"zeros_ci128", []int{1, 128, 4, 4}, []int{16, 128, 3, 3}, gpu.Conv2DParams{Stride: 1, Padding: 1}},
}

// TestUpsampleConv2DVariants checks both variants of UpsampleConv2D's kernel, the one it
// picks and the retired one of dev/conv2d, against the float64 reference (the
// convolution of the upsampled input) on edge shapes; the op vectors cover the one
// UpsampleConv2D picks.
func TestUpsampleConv2DVariants(t *testing.T) {
	ctx := context.Background()
	testDevice.SetPoison(true)
	defer testDevice.SetPoison(false)
	rng := rand.New(rand.NewPCG(3, 4))
	draw := func(n int) ([]float32, []float64) {
		f32, f64 := make([]float32, n), make([]float64, n)
		for i := range f32 {
			f32[i] = float32(rng.NormFloat64())
			f64[i] = float64(f32[i])
		}
		return f32, f64
	}
	for _, s := range upsampleConvShapes {
		xd, xv := draw(s.x[0] * s.x[1] * s.x[2] * s.x[3])
		wd, wv := draw(s.w[0] * s.w[1] * s.w[2] * s.w[3])
		bd, bv := draw(s.w[0])
		up, us := ref.UpsampleNearest(xv, s.x, 2)
		want, _ := ref.Conv2D(up, us, wv, s.w, bv, s.p.Stride, s.p.Padding, s.p.PadMode == gpu.PadReflect)
		for _, v := range gpu.UpsampleConv2DVariants() {
			t.Run(fmt.Sprintf("%s/v%d", s.name, v), func(t *testing.T) {
				x, w, bias := benchUpload(t, xd, s.x...), benchUpload(t, wd, s.w...), benchUpload(t, bd, s.w[0])
				defer x.Release()
				defer w.Release()
				defer bias.Release()
				batch := testDevice.NewBatch()
				defer batch.Release()
				y, ok := batch.UpsampleConv2DVariant(v, x, w, bias, s.p)
				if !ok {
					t.Fatalf("variant %d does not handle %s", v, s.name)
				}
				if err := batch.Submit(); err != nil {
					t.Fatal(err)
				}
				defer y.Release()
				got, err := y.Read(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if e := opcheck.RelErr(got, want); e > opcheck.Tolerance {
					t.Fatalf("max rel err %.2e > %.0e", e, opcheck.Tolerance)
				}
			})
		}
	}
}
