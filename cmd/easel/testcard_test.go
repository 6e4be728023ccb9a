//go:build !(js && wasm)

package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The fake camera of the browser tests plays testdata/testcard.y4m, made by writeTestCard;
// go test -run TestTestCard -update writes it again.
var update = flag.Bool("update", false, "rewrite the generated clips in testdata (testcard.y4m, camera.y4m)")

const (
	testCardW, testCardH = 64, 48
	testCardFrames       = 3
	testCardPath         = "testdata/testcard.y4m"
)

// testCard is a recognisable 64×48 picture: eight colour bars over the top half (white,
// yellow, cyan, green, magenta, red, blue, black), a grey ramp below them and a row of
// black and white squares at the bottom, with a red disc in the middle.
func testCard() *image.RGBA {
	bars := []color.RGBA{{235, 235, 235, 255}, {235, 235, 16, 255}, {16, 235, 235, 255}, {16, 235, 16, 255},
		{235, 16, 235, 255}, {235, 16, 16, 255}, {16, 16, 235, 255}, {16, 16, 16, 255}}
	im := image.NewRGBA(image.Rect(0, 0, testCardW, testCardH))
	for y := range testCardH {
		for x := range testCardW {
			var c color.RGBA
			switch {
			case y < 24:
				c = bars[x/8]
			case y < 36:
				v := uint8(16 + x*219/(testCardW-1))
				c = color.RGBA{v, v, v, 255}
			case (x/8+y/6)%2 == 0:
				c = color.RGBA{235, 235, 235, 255}
			default:
				c = color.RGBA{16, 16, 16, 255}
			}
			if dx, dy := x-32, y-24; dx*dx+dy*dy <= 64 {
				c = color.RGBA{200, 40, 40, 255}
			}
			im.SetRGBA(x, y, c)
		}
	}
	return im
}

// writeTestCard writes testCardFrames frames of testCard as YUV4MPEG2 4:2:0 (BT.601,
// full range, as image/color converts), the format Chromium's fake camera reads.
func writeTestCard(w io.Writer) error {
	im := testCard()
	cw, ch := testCardW/2, testCardH/2
	yp, up, vp := make([]byte, testCardW*testCardH), make([]byte, cw*ch), make([]byte, cw*ch)
	for y := range testCardH {
		for x := range testCardW {
			c := im.RGBAAt(x, y)
			yy, _, _ := color.RGBToYCbCr(c.R, c.G, c.B)
			yp[y*testCardW+x] = yy
		}
	}
	// Chroma is the mean of each 2×2 block's.
	for y := range ch {
		for x := range cw {
			var su, sv int
			for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				c := im.RGBAAt(2*x+d[0], 2*y+d[1])
				_, u, v := color.RGBToYCbCr(c.R, c.G, c.B)
				su += int(u)
				sv += int(v)
			}
			up[y*cw+x], vp[y*cw+x] = byte((su+2)/4), byte((sv+2)/4)
		}
	}
	if _, err := fmt.Fprintf(w, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", testCardW, testCardH); err != nil {
		return err
	}
	for range testCardFrames {
		for _, part := range [][]byte{[]byte("FRAME\n"), yp, up, vp} {
			if _, err := w.Write(part); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestTestCard(t *testing.T) {
	var buf bytes.Buffer
	if err := writeTestCard(&buf); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(testCardPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(testCardPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(testCardPath)
	if err != nil {
		t.Fatalf("%v (go test -run TestTestCard -update writes it)", err)
	}
	if !bytes.Equal(committed, buf.Bytes()) {
		t.Fatalf("%s differs from what writeTestCard makes; go test -run TestTestCard -update writes it again", testCardPath)
	}
}
