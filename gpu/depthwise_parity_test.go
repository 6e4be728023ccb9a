//go:build !(js && wasm)

package gpu_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"easel/gpu"
	"easel/gpu/opcheck"
	"easel/internal/npy"
)

// depthwiseParityTol is the largest relative error (opcheck.RelErr's measure) allowed
// against PyTorch's float32 results.
const depthwiseParityTol = 2e-5

// TestDepthwiseParityWithPyTorch replays testdata/depthwise (written by
// make_depthwise.py with PyTorch's F.conv2d(groups=C) and F.hardtanh): the convolution's
// output, and the gradients of Σ relu6(y)·g with respect to x, w and the bias, through
// DepthwiseConv2D, Hardtanh, HardtanhBackward, the depthwise gradients and BiasBackward.
func TestDepthwiseParityWithPyTorch(t *testing.T) {
	t.Logf("adapter: %s", testDevice.Adapter())
	dir := filepath.Join("testdata", "depthwise")
	raw, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Torch string
		Cases []struct {
			Name            string
			X, W, Y         []int
			Stride, Padding int
		}
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	if len(meta.Cases) == 0 {
		t.Fatal("meta.json lists no cases")
	}
	ctx := context.Background()
	for _, c := range meta.Cases {
		t.Run(c.Name, func(t *testing.T) {
			load := func(suffix string, shape []int) ([]float32, []float64) {
				t.Helper()
				f, err := os.Open(filepath.Join(dir, c.Name+"_"+suffix+".npy"))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				s, data, err := npy.ReadFloat32(f, 1<<20)
				if err != nil {
					t.Fatalf("%s: %v", suffix, err)
				}
				if !slices.Equal(s, shape) {
					t.Fatalf("%s: shape %v, want %v", suffix, s, shape)
				}
				f64 := make([]float64, len(data))
				for i, v := range data {
					f64[i] = float64(v)
				}
				return data, f64
			}
			up := func(suffix string, shape []int) *gpu.Tensor {
				data, _ := load(suffix, shape)
				x := benchUpload(t, data, shape...)
				t.Cleanup(x.Release)
				return x
			}
			p := gpu.Conv2DParams{Stride: c.Stride, Padding: c.Padding}
			x, w, bias, g := up("x", c.X), up("w", c.W), up("b", c.W[:1]), up("g", c.Y)
			b := testDevice.NewBatch()
			defer b.Release()
			y := b.DepthwiseConv2D(x, w, bias, p)
			dh := b.HardtanhBackward(g, y, 0, 6)
			outs := map[string]*gpu.Tensor{
				"y":  y,
				"dx": b.DepthwiseConv2DBackwardInput(dh, w, c.X, p),
				"dw": b.DepthwiseConv2DBackwardWeight(x, dh, c.W, p),
				"db": b.BiasBackward(dh),
			}
			if err := b.Submit(); err != nil {
				t.Fatal(err)
			}
			shapes := map[string][]int{"y": c.Y, "dx": c.X, "dw": c.W, "db": c.W[:1]}
			for _, name := range []string{"y", "dx", "dw", "db"} {
				got, err := outs[name].Read(ctx)
				if err != nil {
					t.Fatal(err)
				}
				_, want := load(name, shapes[name])
				e := opcheck.RelErr(got, want)
				if e > depthwiseParityTol {
					t.Errorf("%s: max rel err %.2e against PyTorch %s (tolerance %.0e)", name, e, meta.Torch, depthwiseParityTol)
				} else {
					t.Logf("%s %v: max rel err %.2e against PyTorch %s: OK", name, shapes[name], e, meta.Torch)
				}
			}
			dh.Release()
			for _, o := range outs {
				o.Release()
			}
		})
	}
}
