//go:build !(js && wasm)

package main

import (
	"bytes"
	"image"
	"image/color"
	"math/rand/v2"
	"os"
	"testing"

	xdraw "golang.org/x/image/draw"

	"easel/faces"
	"easel/internal/y4m"
)

// The camera clip: what a webcam sends, for judging a style network's flicker (easel
// stylize --in testdata/camera.y4m). A procedural face drifts across a lit wall while the
// sensor adds noise to every frame; a network that amplifies that noise flickers.
// go test -run TestCameraClip -update writes it again.
const (
	cameraClipPath   = "testdata/camera.y4m"
	cameraW, cameraH = 128, 96
	cameraFrames     = 20
	cameraNoise      = 2.5 // std of the sensor noise, in 0..255 steps
)

func writeCameraClip(buf *bytes.Buffer) error {
	rng := rand.New(rand.NewPCG(20261129, 1))
	face := faces.Render(faces.At(7), 80)
	w, err := y4m.NewWriter(buf, y4m.Header{W: cameraW, H: cameraH, RateN: 10, RateD: 1})
	if err != nil {
		return err
	}
	for k := range cameraFrames {
		im := image.NewNRGBA(image.Rect(0, 0, cameraW, cameraH))
		for y := range cameraH {
			for x := range cameraW {
				v := uint8(150 + 60*x/cameraW - 30*y/cameraH) // a wall lit from the right
				im.SetNRGBA(x, y, color.NRGBA{v, uint8(int(v) * 9 / 10), uint8(int(v) * 8 / 10), 255})
			}
		}
		x0, y0 := 14+2*k, 10+k%3
		xdraw.Draw(im, image.Rect(x0, y0, x0+80, y0+80), face, image.Point{}, xdraw.Over)
		for i := range im.Pix {
			if i%4 != 3 {
				im.Pix[i] = uint8(min(255, max(0, float64(im.Pix[i])+cameraNoise*rng.NormFloat64()+0.5)))
			}
		}
		if err := w.Write(im); err != nil {
			return err
		}
	}
	return nil
}

func TestCameraClip(t *testing.T) {
	var buf bytes.Buffer
	if err := writeCameraClip(&buf); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(cameraClipPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(cameraClipPath)
	if err != nil {
		t.Fatalf("%v (go test -run TestCameraClip -update writes it)", err)
	}
	if !bytes.Equal(committed, buf.Bytes()) {
		t.Fatalf("%s differs from what writeCameraClip makes; go test -run TestCameraClip -update writes it again", cameraClipPath)
	}
}
