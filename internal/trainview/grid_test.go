package trainview

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// nrgba is the pixel of im at x, y.
func nrgba(im *image.NRGBA, x, y int) color.NRGBA {
	p := im.Pix[y*im.Stride+4*x:]
	return color.NRGBA{p[0], p[1], p[2], p[3]}
}

// Three grey 2×2 images: 2 columns, 2 rows, 2-pixel padding on black; values -1..1 map to
// 0..255 rounded, out of range clamped, NaN black.
func TestGridNCHWGrey(t *testing.T) {
	nan := float32(math.NaN())
	data := []float32{
		-1, 1, 0, 0.5, // image 0
		2, -3, nan, -0.5, // image 1
		0.25, 0.25, 0.25, 1, // image 2
	}
	im, err := GridNCHW(data, 3, 1, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if im.Bounds() != image.Rect(0, 0, 10, 10) {
		t.Fatalf("bounds %v, want 10×10 (2 cells of 2 and 3 paddings of 2)", im.Bounds())
	}
	grey := func(v uint8) color.NRGBA { return color.NRGBA{v, v, v, 255} }
	black := grey(0)
	for _, c := range []struct {
		x, y int
		want color.NRGBA
	}{
		{0, 0, black}, {1, 5, black}, {4, 2, black}, // padding
		{2, 2, grey(0)}, {3, 2, grey(255)}, {2, 3, grey(128)}, {3, 3, grey(191)}, // image 0: 127.5 and 191.25 rounded
		{6, 2, grey(255)}, {7, 2, grey(0)}, {6, 3, grey(0)}, {7, 3, grey(64)}, // image 1: clamped, NaN, 63.75
		{2, 6, grey(159)}, {3, 7, grey(255)}, // image 2 at row 2: 159.375
		{6, 6, black}, {7, 7, black}, // no fourth image
	} {
		if got := nrgba(im, c.x, c.y); got != c.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
}

// One RGB image is returned without padding, each channel from its plane.
func TestGridNCHWRGB(t *testing.T) {
	const h, w = 2, 3
	data := make([]float32, 3*h*w)
	for c := range 3 {
		for i := range h * w {
			data[c*h*w+i] = float32(c-1) + float32(i)*0.1 // R from -1, G from 0, B from 1 (clamped)
		}
	}
	im, err := GridNCHW(data, 1, 3, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if im.Bounds() != image.Rect(0, 0, w, h) {
		t.Fatalf("bounds %v, want %d×%d", im.Bounds(), w, h)
	}
	if got, want := nrgba(im, 0, 0), (color.NRGBA{0, 128, 255, 255}); got != want {
		t.Errorf("pixel (0,0) = %v, want %v", got, want)
	}
	// i = 1*3+2 = 5: R -0.5 → 63.75, G 0.5 → 191.25.
	if got, want := nrgba(im, 2, 1), (color.NRGBA{64, 191, 255, 255}); got != want {
		t.Errorf("pixel (2,1) = %v, want %v", got, want)
	}
	// Four RGB images: 2×2 cells; image 3's top-left pixel at (2+3+2, 2+2+2).
	four := make([]float32, 0, 4*len(data))
	for range 4 {
		four = append(four, data...)
	}
	four[3*3*h*w+2*h*w] = -1 // image 3, B plane, pixel 0
	g, err := GridNCHW(four, 4, 3, h, w)
	if err != nil {
		t.Fatal(err)
	}
	if g.Bounds() != image.Rect(0, 0, 2*(w+2)+2, 2*(h+2)+2) {
		t.Fatalf("bounds %v", g.Bounds())
	}
	if got, want := nrgba(g, 7, 6), (color.NRGBA{0, 128, 0, 255}); got != want {
		t.Errorf("image 3 pixel (0,0) = %v, want %v", got, want)
	}
}

func TestGridNCHWErrors(t *testing.T) {
	for _, c := range []struct {
		n, ch, h, w, size int
		want              string
	}{
		{1, 2, 2, 2, 8, "2 channels"},
		{2, 1, 2, 2, 7, "7 values for shape [2,1,2,2]"},
		{0, 1, 2, 2, 0, "at least 1"},
		{1, 1, -2, 2, 4, "at least 1"},
		{1 << 40, 3, 1 << 40, 1 << 40, 12, "12 values"}, // the product overflows
	} {
		_, err := GridNCHW(make([]float32, c.size), c.n, c.ch, c.h, c.w)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("GridNCHW(%d values, %d,%d,%d,%d) = %v, want an error with %q", c.size, c.n, c.ch, c.h, c.w, err, c.want)
		}
	}
}

// Grid of one image that is not NRGBA converts it; of none, an empty image.
func TestGridOneAndNone(t *testing.T) {
	g := image.NewGray(image.Rect(5, 5, 8, 7))
	g.SetGray(6, 6, color.Gray{200})
	im := Grid([]image.Image{g})
	if im.Bounds() != image.Rect(0, 0, 3, 2) || nrgba(im, 1, 1) != (color.NRGBA{200, 200, 200, 255}) {
		t.Errorf("bounds %v, pixel (1,1) %v", im.Bounds(), nrgba(im, 1, 1))
	}
	if e := Grid(nil); !e.Bounds().Empty() {
		t.Errorf("Grid(nil) bounds %v", e.Bounds())
	}
}

// WritePNG replaces a file whole and leaves no temporary file.
func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "samples.png")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	im, err := GridNCHW([]float32{-1, 0, 1, 0.5}, 4, 1, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePNG(path, im); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	back, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if back.Bounds() != image.Rect(0, 0, 8, 8) {
		t.Errorf("bounds %v, want 8×8", back.Bounds())
	}
	if r, _, _, _ := back.At(5, 2).RGBA(); r>>8 != 128 {
		t.Errorf("image 1 is %d, want 128", r>>8)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
	if err := WritePNG(filepath.Join(dir, "no", "such", "dir.png"), im); err == nil {
		t.Error("WritePNG into a missing directory: no error")
	}
}
