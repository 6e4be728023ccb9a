// Package imagefile reads PNG and JPEG files for Easel's commands and data sets, with the
// size limits checked from the header before any pixel is decoded.
package imagefile

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // input format
	"io"
	"math"
	"os"

	xdraw "golang.org/x/image/draw"
)

// Limits on input images, checked from the header before any pixel is decoded: enough for
// any camera photo, small enough that decoding cannot exhaust memory.
const (
	MaxSide   = 8192
	MaxPixels = 16 << 20 // 16 Mpx
)

// Read decodes a PNG or JPEG file into straight (non-premultiplied) RGBA.
func Read(path string) (*image.NRGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("input image: %w", err)
	}
	defer f.Close()
	img, err := decode(f, MaxSide, MaxPixels)
	if err != nil {
		return nil, fmt.Errorf("input image %s: %w", path, err)
	}
	return img, nil
}

// decode is Read on r, with the limits maxSide and maxPixels (a fuzzer takes smaller ones).
func decode(r io.ReadSeeker, maxSide, maxPixels int) (*image.NRGBA, error) {
	cfg, format, err := image.DecodeConfig(r)
	// Other decoders may be registered by the binary's libraries (GIF, by the plotting
	// one): only PNG and JPEG are read.
	if errors.Is(err, image.ErrFormat) || err == nil && format != "png" && format != "jpeg" {
		return nil, errors.New("unsupported format (Easel reads PNG and JPEG)")
	}
	if err != nil {
		return nil, fmt.Errorf("corrupt or truncated header: %v", err)
	}
	if err := checkSize(cfg.Width, cfg.Height, maxSide, maxPixels); err != nil {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("corrupt or truncated %s: %v", format, err)
	}
	if img.Bounds().Dx() != cfg.Width || img.Bounds().Dy() != cfg.Height {
		return nil, fmt.Errorf("header says %d×%d, pixels are %v", cfg.Width, cfg.Height, img.Bounds().Size())
	}
	// Draw into NRGBA keeps the colours of transparent pixels, as PIL's convert("RGB")
	// does for fast_neural_style; alpha is then dropped.
	out := image.NewNRGBA(image.Rect(0, 0, cfg.Width, cfg.Height))
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out, nil
}

// CheckSize refuses an empty image or one beyond MaxSide or MaxPixels.
func CheckSize(w, h int) error { return checkSize(w, h, MaxSide, MaxPixels) }

func checkSize(w, h, maxSide, maxPixels int) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("empty image (%d×%d)", w, h)
	case w > maxSide || h > maxSide:
		return fmt.Errorf("%d×%d pixels exceeds the limit of %d pixels per side", w, h, maxSide)
	case w*h > maxPixels:
		return fmt.Errorf("%d×%d pixels (%.1f Mpx) exceeds the limit of %.0f Mpx", w, h, float64(w*h)/(1<<20), float64(maxPixels)/(1<<20))
	}
	return nil
}

// ResizeLonger scales img so that its longer side is size pixels, keeping the aspect ratio
// (the shorter side rounded, at least 1), with Catmull-Rom resampling.
func ResizeLonger(img *image.NRGBA, size int) *image.NRGBA {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	long, short := w, h
	if h > w {
		long, short = h, w
	}
	s := max(1, int(math.Round(float64(short)*float64(size)/float64(long))))
	nw, nh := size, s
	if h > w {
		nw, nh = s, size
	}
	if nw == w && nh == h {
		return img
	}
	out := image.NewNRGBA(image.Rect(0, 0, nw, nh))
	xdraw.CatmullRom.Scale(out, out.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	return out
}
