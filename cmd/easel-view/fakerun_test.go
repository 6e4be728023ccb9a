//go:build !(js && wasm)

package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"easel/internal/trainview"
	"easel/models"
)

// fakeConfig is the small generator of the fake runs: 32×32 RGB images from nz 16.
var fakeConfig = models.GeneratorConfig{NZ: 16, NGF: 8, NC: 3, Size: 32}

// makeFakeRun writes a run folder as easel train leaves it: a log of steps lines with
// loss_d, loss_g and ms, sample grids at sampleSteps and a checkpoint whose generator is
// a randomly initialised one of config cfg.
func makeFakeRun(t testing.TB, dir string, cfg models.GeneratorConfig, steps int, sampleSteps ...int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	var log strings.Builder
	for s := 1; s <= steps; s++ {
		fmt.Fprintf(&log, `{"step":%d,"loss_d":%.4f,"loss_g":%.4f,"ms":%.1f}`+"\n", s,
			0.4+0.9*math.Exp(-float64(s)/60)+0.1*rng.Float64(), 1+2*math.Exp(-float64(s)/80)+0.3*rng.Float64(), 40+5*rng.Float64())
	}
	if err := os.WriteFile(filepath.Join(dir, logName), []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, s := range sampleSteps {
		writeFakeSamples(t, filepath.Join(dir, fmt.Sprintf("samples-%06d.png", s)), s)
	}
	writeFakeCheckpoint(t, dir, cfg, steps, 1)
}

// fakeGenerator is a generator of cfg initialised from seed as DCGAN does, with its
// convolution weights 25 times larger: the images of a fresh DCGAN generator are all but
// uniform grey (tanh of small values), these vary across the whole -1..1.
func fakeGenerator(cfg models.GeneratorConfig, seed uint64) *models.Weights {
	g := models.InitGenerator(cfg, rand.New(rand.NewPCG(seed, 1)))
	for i := range g.Tensors {
		if t := &g.Tensors[i]; len(t.Shape) == 4 {
			for j := range t.Data {
				t.Data[j] *= 25
			}
		}
	}
	return g
}

// writeFakeCheckpoint writes dir/checkpoint.msgpack at step with the fakeGenerator of
// cfg and seed.
func writeFakeCheckpoint(t testing.TB, dir string, cfg models.GeneratorConfig, step int, seed uint64) {
	t.Helper()
	g := fakeGenerator(cfg, seed)
	var buf bytes.Buffer
	if err := models.Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	ck := &models.Checkpoint{Kind: "dcgan", Step: step, Nets: map[string][]byte{"g": buf.Bytes()}}
	if err := models.WriteCheckpoint(filepath.Join(dir, checkpointName), ck); err != nil {
		t.Fatal(err)
	}
}

// writeFakeSamples writes a grid of 64 colourful 32×32 images (rings whose colours
// depend on the image and the step) as easel train does.
func writeFakeSamples(t testing.TB, path string, step int) {
	t.Helper()
	ims := make([]image.Image, 64)
	for k := range ims {
		im := image.NewNRGBA(image.Rect(0, 0, 32, 32))
		for y := range 32 {
			for x := range 32 {
				r := math.Hypot(float64(x)-15.5, float64(y)-15.5)
				v := 0.5 + 0.5*math.Sin(r*float64(k%7+2)/4+float64(step)/50)
				im.Set(x, y, color.NRGBA{uint8(255 * v), uint8(255 * (1 - v) * float64(k%4) / 3), uint8(4 * k), 255})
			}
		}
		ims[k] = im
	}
	if err := trainview.WritePNG(path, trainview.Grid(ims)); err != nil {
		t.Fatal(err)
	}
}
