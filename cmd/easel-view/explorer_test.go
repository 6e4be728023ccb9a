//go:build !(js && wasm)

package main

import (
	"context"
	"fmt"
	"image"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"easel/gpu"
	"easel/models"
)

// angle is the angle between a and b in radians.
func angle(a, b []float32) float64 {
	x, y := toFloat64(a), toFloat64(b)
	return math.Acos(math.Max(-1, math.Min(1, dot(x, y)/(norm(x)*norm(y)))))
}

// The explorer's directions are orthogonal to the anchor and each other with the anchor's
// norm; every latent of its grid keeps that norm; the point (x, 0) lies x radians from
// the anchor, and neighbouring cells lie the spread apart.
func TestExplorerGeometry(t *testing.T) {
	const tol = 1e-4 // float32 latents
	for _, nz := range []int{3, 16, 100} {
		t.Run(fmt.Sprint("nz", nz), func(t *testing.T) {
			e, err := newExplorer(models.GeneratorConfig{NZ: nz}, 5)
			if err != nil {
				t.Fatal(err)
			}
			a := toFloat64(e.anchor)
			r := norm(a)
			for name, d := range map[string][]float32{"u": e.u, "v": e.v} {
				if got := norm(toFloat64(d)); math.Abs(got-r) > tol*r {
					t.Errorf("|%s| = %v, want the anchor's %v", name, got, r)
				}
				if c := dot(toFloat64(d), a) / (r * r); math.Abs(c) > tol {
					t.Errorf("cos(anchor, %s) = %v, want 0", name, c)
				}
			}
			if c := dot(toFloat64(e.u), toFloat64(e.v)) / (r * r); math.Abs(c) > tol {
				t.Errorf("cos(u, v) = %v, want 0", c)
			}
			for _, x := range []float64{-2, -0.3, 0.1, 0.7, 1.4} {
				p, err := e.point(x, 0)
				if err != nil {
					t.Fatal(err)
				}
				if got := angle(p, e.anchor); math.Abs(got-math.Abs(x)) > 10*tol {
					t.Errorf("angle(point(%v, 0), anchor) = %v, want %v", x, got, math.Abs(x))
				}
				// Turning by y towards v after x towards u: the angle to the anchor
				// is that of the sphere's triangle, cos = cos x cos y.
				q, _ := e.point(x, 0.4)
				if got, want := math.Cos(angle(q, e.anchor)), math.Cos(x)*math.Cos(0.4); math.Abs(got-want) > 10*tol {
					t.Errorf("cos angle(point(%v, 0.4), anchor) = %v, want %v", x, got, want)
				}
			}
			e.drag(1.5, -0.5)
			e.zoom(1.2)
			z, err := e.latents()
			if err != nil {
				t.Fatal(err)
			}
			if len(z) != exploreSide*exploreSide*nz {
				t.Fatalf("%d latent values, want %d", len(z), exploreSide*exploreSide*nz)
			}
			for i := 0; i < len(z); i += nz {
				if got := norm(toFloat64(z[i : i+nz])); math.Abs(got-r) > 10*tol*r {
					t.Errorf("latent %d: norm %v, want the anchor's %v", i/nz, got, r)
				}
			}
			// The grid is a patch of latitude (y) and longitude (x) lines: down a column
			// neighbours lie the spread apart; along a row at latitude y,
			// cos = cos²y cos(spread) + sin²y.
			at := func(row, col int) []float32 { i := (row*exploreSide + col) * nz; return z[i : i+nz] }
			for row := range exploreSide {
				y := e.y + e.cell(row)
				for col := range exploreSide - 1 {
					want := math.Acos(math.Cos(y)*math.Cos(y)*math.Cos(e.spread) + math.Sin(y)*math.Sin(y))
					if got := angle(at(row, col), at(row, col+1)); math.Abs(got-want) > 10*tol {
						t.Errorf("cells (%d,%d) and (%d,%d): %v apart, want %v", row, col, row, col+1, got, want)
					}
					if got := angle(at(col, row), at(col+1, row)); math.Abs(got-e.spread) > 10*tol {
						t.Errorf("cells (%d,%d) and (%d,%d): %v apart, want the spread %v", col, row, col+1, row, got, e.spread)
					}
				}
			}
		})
	}
}

// The same seed draws the same anchor; R's next seed another; nz below 3 is refused.
func TestExplorerSeeds(t *testing.T) {
	cfg := models.GeneratorConfig{NZ: 8}
	a, _ := newExplorer(cfg, 3)
	b, _ := newExplorer(cfg, 3)
	for i := range a.anchor {
		if a.anchor[i] != b.anchor[i] || a.u[i] != b.u[i] || a.v[i] != b.v[i] {
			t.Fatal("the same seed drew different anchors or directions")
		}
	}
	a.drag(1, 1)
	if err := a.reseed(4); err != nil {
		t.Fatal(err)
	}
	if a.x != 0 || a.y != 0 || angle(a.anchor, b.anchor) < 0.1 {
		t.Errorf("reseed: at (%v, %v), %v from the old anchor; want (0, 0), another anchor", a.x, a.y, angle(a.anchor, b.anchor))
	}
	if _, err := newExplorer(models.GeneratorConfig{NZ: 2}, 1); err == nil {
		t.Error("nz 2: no error")
	}
	a.zoom(1e6)
	if a.spread != 1 {
		t.Errorf("spread %v after a huge zoom, want the limit 1", a.spread)
	}
}

// A conditional model's input: the latents, then the one-hot class picked, then the
// continuous codes at 0 (InfoGAN).
func TestExplorerInput(t *testing.T) {
	for _, cfg := range []models.GeneratorConfig{
		{NZ: 10, Classes: 10},
		{NZ: 12, Cat: 4, Cont: 2},
		{NZ: 6},
	} {
		e, err := newExplorer(cfg, 9)
		if err != nil {
			t.Fatal(err)
		}
		k := e.classes()
		if e.setClass(k) {
			t.Errorf("%+v: class %d accepted", cfg, k)
		}
		want := 0
		if k > 0 {
			want = k - 1
			if !e.setClass(want) {
				t.Fatalf("%+v: class %d refused", cfg, want)
			}
		}
		in, err := e.input()
		if err != nil {
			t.Fatal(err)
		}
		z, _ := e.latents()
		w := cfg.InputWidth()
		for i := range exploreSide * exploreSide {
			row := in[i*w : (i+1)*w]
			for j := range cfg.NZ {
				if row[j] != z[i*cfg.NZ+j] {
					t.Fatalf("%+v: row %d: latent value %d is %v, want %v", cfg, i, j, row[j], z[i*cfg.NZ+j])
				}
			}
			for j := range k {
				if hot := row[cfg.NZ+j]; (j == want) != (hot == 1) || (hot != 0 && hot != 1) {
					t.Fatalf("%+v: row %d: one-hot %v, want class %d", cfg, i, row[cfg.NZ:cfg.NZ+k], want)
				}
			}
			for j := cfg.NZ + k; j < w; j++ {
				if row[j] != 0 {
					t.Fatalf("%+v: row %d: continuous code %v, want 0", cfg, i, row[j])
				}
			}
		}
	}
}

var (
	deviceOnce sync.Once
	device     *gpu.Device
	deviceErr  error
)

// testDevice opens the Vulkan device once for the package's tests.
func testDevice(t *testing.T) *gpu.Device {
	t.Helper()
	deviceOnce.Do(func() {
		device, deviceErr = gpu.Open(context.Background())
		if deviceErr == nil {
			fmt.Fprintf(os.Stderr, "easel-view tests run on adapter: %s\n", device.Adapter().Name)
		}
	})
	if deviceErr != nil {
		t.Fatalf("the explorer's tests need a Vulkan adapter: %v", deviceErr)
	}
	return device
}

// expectedGrid draws on the test's device the explorer grid of seed's anchor with the
// fake run's generator.
func expectedGrid(t *testing.T, cfg models.GeneratorConfig, seed uint64) *image.NRGBA {
	t.Helper()
	e, err := newExplorer(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	in, err := e.input()
	if err != nil {
		t.Fatal(err)
	}
	gen, err := models.NewGenerator(testDevice(t), fakeGenerator(cfg, 1))
	if err != nil {
		t.Fatal(err)
	}
	defer gen.Release()
	plan, err := gen.Plan(exploreSide * exploreSide)
	if err != nil {
		t.Fatal(err)
	}
	g := &generator{g: gen, plan: plan}
	defer plan.Release()
	img, err := g.render(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// The renderer loads the checkpoint's generator, draws the grid asked for (the same as
// the generator run directly), and loads the checkpoint again when told.
func TestRenderer(t *testing.T) {
	testDevice(t)
	run := t.TempDir()
	writeFakeCheckpoint(t, run, fakeConfig, 10, 1)
	r := startRenderer("", run)
	defer r.close()
	info := waitModel(t, r, 1)
	if info.err != nil || info.cfg != fakeConfig || info.desc != "checkpoint.msgpack, step 10" {
		t.Fatalf("model %+v, want the checkpoint's %+v at step 10", info, fakeConfig)
	}
	e, err := newExplorer(info.cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	in, err := e.input()
	if err != nil {
		t.Fatal(err)
	}
	res := waitResult(t, r, r.draw(info.version, in))
	if res.err != nil {
		t.Fatal(res.err)
	}
	side := fakeConfig.Side()
	if got, want := res.img.Bounds().Size(), image.Pt(exploreSide*(side+2)+2, exploreSide*(side+2)+2); got != want {
		t.Fatalf("grid %v, want %v", got, want)
	}
	want := expectedGrid(t, fakeConfig, 1)
	if d := maxDiff(res.img, want); d > 1 {
		t.Errorf("the renderer's grid differs from the generator's by up to %d levels", d)
	}
	if n := distinctColours(res.img, res.img.Bounds()); n < 500 {
		t.Errorf("grid of %d distinct colours, want a varied picture", n)
	}

	// A request for the model before is dropped; a new checkpoint is loaded on reload.
	writeFakeCheckpoint(t, run, fakeConfig, 20, 2)
	r.reloadModel()
	info2 := waitModel(t, r, 2)
	if info2.err != nil || info2.desc != "checkpoint.msgpack, step 20" {
		t.Fatalf("after reload: %+v", info2)
	}
	stale := r.draw(info.version, in)
	res2 := waitResult(t, r, r.draw(info2.version, in))
	if res2.seq == stale || maxDiff(res2.img, res.img) == 0 {
		t.Errorf("the new checkpoint's grid is the old one's")
	}

	// A checkpoint gone bad keeps the generator loaded before, and says so.
	if err := os.WriteFile(run+"/"+checkpointName, []byte("not msgpack"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.reloadModel()
	info3 := waitModel(t, r, 3)
	if info3.err == nil || info3.cfg != fakeConfig {
		t.Fatalf("bad checkpoint: %+v, want an error and the generator before", info3)
	}
	if res3 := waitResult(t, r, r.draw(info3.version, in)); res3.err != nil || maxDiff(res3.img, res2.img) != 0 {
		t.Errorf("bad checkpoint: the grid changed or failed: %v", res3.err)
	}
}

// A run without a checkpoint yet says so.
func TestRendererNoCheckpoint(t *testing.T) {
	testDevice(t)
	r := startRenderer("", t.TempDir())
	defer r.close()
	info := waitModel(t, r, 1)
	if info.err == nil || info.cfg.NZ != 0 {
		t.Fatalf("model %+v, want an error", info)
	}
	t.Log(info.err)
}

func waitModel(t *testing.T, r *renderer, version int) modelInfo {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if info, _ := r.state(); info.version >= version {
			return info
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no model version %d after 3 minutes", version)
	return modelInfo{}
}

func waitResult(t *testing.T, r *renderer, seq int) rendered {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if _, res := r.state(); res.seq >= seq {
			return res
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no grid %d after 3 minutes", seq)
	return rendered{}
}

// maxDiff is the largest difference of a channel between a and b, of the same size.
func maxDiff(a, b *image.NRGBA) int {
	if a.Bounds() != b.Bounds() {
		return 256
	}
	d := 0
	for i := range a.Pix {
		d = max(d, int(a.Pix[i])-int(b.Pix[i]), int(b.Pix[i])-int(a.Pix[i]))
	}
	return d
}
