// Command webpcrop cuts a rectangle out of a lossy WebP image stored at a byte offset of a
// larger file (a RIFF "WEBP" chunk inside a Qt resource bundle, say) and writes it as an
// opaque PNG. golang.org/x/image/webp decodes the VP8 planes; the colours are converted as
// libwebp does it by default (bilinear "fancy" chroma upsampling, BT.601 limited range in
// libwebp's integer arithmetic), so the pixels are those of dwebp or PIL, not Go's
// full-range conversion, which is up to 40 levels off. It prints the SHA-256 of the crop's
// RGB pixels, row by row, which does not depend on the PNG encoder.
// scripts/fetch-style-data.sh makes the Great Wave style image with it.
//
//	go run ./scripts/webpcrop -in paintings.rcc -offset 1897580 -rect 0,43,161,151 -out great_wave.png
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"

	"golang.org/x/image/webp"
)

func main() {
	in := flag.String("in", "", "file holding the WebP image")
	offset := flag.Int64("offset", 0, "byte offset of the WebP's RIFF header in -in")
	rect := flag.String("rect", "", "crop x0,y0,x1,y1 (x1 and y1 exclusive); default: the whole image")
	out := flag.String("out", "", "PNG file to write")
	flag.Parse()
	if err := run(*in, *offset, *rect, *out); err != nil {
		fmt.Fprintln(os.Stderr, "webpcrop:", err)
		os.Exit(1)
	}
}

func run(in string, offset int64, rect, out string) error {
	if in == "" || out == "" {
		return errors.New("want -in FILE and -out FILE.png")
	}
	data, err := readRIFF(in, offset)
	if err != nil {
		return err
	}
	img, err := webp.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s at offset %d: %w", in, offset, err)
	}
	r := img.Bounds()
	if rect != "" {
		var x0, y0, x1, y1 int
		if _, err := fmt.Sscanf(rect, "%d,%d,%d,%d", &x0, &y0, &x1, &y1); err != nil {
			return fmt.Errorf("-rect %q: want x0,y0,x1,y1: %w", rect, err)
		}
		r = image.Rect(x0, y0, x1, y1)
		if r.Empty() || !r.In(img.Bounds()) {
			return fmt.Errorf("-rect %q: want a non-empty rectangle inside the image's %v", rect, img.Bounds())
		}
	}
	var yuv *image.YCbCr
	var alpha func(x, y int) uint8
	switch m := img.(type) {
	case *image.YCbCr:
		yuv, alpha = m, func(int, int) uint8 { return 0xff }
	case *image.NYCbCrA:
		yuv, alpha = &m.YCbCr, func(x, y int) uint8 { return m.A[m.AOffset(x, y)] }
	}
	if yuv == nil || yuv.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("%s at offset %d: a %T image; want a lossy (VP8, 4:2:0) WebP", in, offset, img)
	}
	rgb := fancyRGB(yuv)
	crop := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	sum := sha256.New()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a := alpha(x, y); a != 0xff {
				return fmt.Errorf("pixel (%d,%d) is not opaque (alpha %d): choose a -rect inside the opaque part", x, y, a)
			}
			c := rgb.RGBAAt(x-yuv.Rect.Min.X, y-yuv.Rect.Min.Y)
			crop.SetRGBA(x-r.Min.X, y-r.Min.Y, c)
			sum.Write([]byte{c.R, c.G, c.B})
		}
	}
	if err := writePNG(out, crop); err != nil {
		return err
	}
	fmt.Printf("%s: %d×%d, RGB pixels sha256 %s\n", out, r.Dx(), r.Dy(), hex.EncodeToString(sum.Sum(nil)))
	return nil
}

// fancyRGB converts a 4:2:0 image to RGB as libwebp's default decoder does
// (src/dsp/upsampling.c, src/dec/io_dec.c): each pixel's chroma blends the four nearest
// chroma samples 9:3:3:1, rounded as libwebp rounds; the first row, and the last of an even
// height, take both chroma rows from the nearest one; the first column, and the last of an
// even width, blend 3:1 vertically only.
func fancyRGB(m *image.YCbCr) *image.RGBA {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		// near: the chroma row this row lies nearer, far: the other one of its pair.
		near, far := y/2, y/2
		switch {
		case y == 0 || y == h-1 && h%2 == 0:
		case y%2 == 1:
			near, far = (y-1)/2, (y+1)/2
		default:
			near, far = y/2, y/2-1
		}
		near, far = min(near, ch-1), min(far, ch-1)
		chroma := func(plane []byte, x int) (n, f int) {
			return int(plane[near*m.CStride+x]), int(plane[far*m.CStride+x])
		}
		// sample returns the chroma of pixels 2x-1 and 2x, between columns x-1 and x.
		sample := func(plane []byte, x int) (odd, even int) {
			nl, fl := chroma(plane, x-1)
			nr, fr := chroma(plane, x)
			diag12 := (nl + 3*nr + 3*fl + fr + 8) >> 3
			diag03 := (3*nl + nr + fl + 3*fr + 8) >> 3
			return (diag12 + nl) >> 1, (diag03 + nr) >> 1
		}
		edge := func(plane []byte, x int) int {
			n, f := chroma(plane, x)
			return (3*n + f + 2) >> 2
		}
		luma := func(x int) int { return int(m.Y[y*m.YStride+x]) }
		out.SetRGBA(0, y, yuvToRGB(luma(0), edge(m.Cb, 0), edge(m.Cr, 0)))
		for x := 1; x <= (w-1)/2; x++ {
			u0, u1 := sample(m.Cb, x)
			v0, v1 := sample(m.Cr, x)
			out.SetRGBA(2*x-1, y, yuvToRGB(luma(2*x-1), u0, v0))
			out.SetRGBA(2*x, y, yuvToRGB(luma(2*x), u1, v1))
		}
		if w%2 == 0 {
			out.SetRGBA(w-1, y, yuvToRGB(luma(w-1), edge(m.Cb, cw-1), edge(m.Cr, cw-1)))
		}
	}
	return out
}

// yuvToRGB is libwebp's BT.601 limited-range conversion (src/dsp/yuv.h: VP8YUVToR/G/B).
func yuvToRGB(y, u, v int) color.RGBA {
	multHi := func(v, coeff int) int { return (v * coeff) >> 8 }
	clip8 := func(v int) uint8 {
		switch {
		case v&^(256<<6-1) == 0:
			return uint8(v >> 6)
		case v < 0:
			return 0
		}
		return 255
	}
	return color.RGBA{
		R: clip8(multHi(y, 19077) + multHi(v, 26149) - 14234),
		G: clip8(multHi(y, 19077) - multHi(u, 6419) - multHi(v, 13320) + 8708),
		B: clip8(multHi(y, 19077) + multHi(u, 33050) - 17685),
		A: 0xff,
	}
}

// readRIFF reads the RIFF chunk at offset of file in: "RIFF", its little-endian size, then
// that many bytes.
func readRIFF(in string, offset int64) ([]byte, error) {
	f, err := os.Open(in)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var head [8]byte
	if _, err := f.ReadAt(head[:], offset); err != nil {
		return nil, fmt.Errorf("%s: offset %d: %w", in, offset, err)
	}
	if string(head[:4]) != "RIFF" {
		return nil, fmt.Errorf("%s: offset %d holds %q, not a RIFF header", in, offset, head[:4])
	}
	size := int64(binary.LittleEndian.Uint32(head[4:]))
	data := make([]byte, 8+size)
	if _, err := f.ReadAt(data, offset); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("%s: the RIFF chunk at offset %d (%d bytes) runs past the end of the file", in, offset, size)
		}
		return nil, fmt.Errorf("%s: %w", in, err)
	}
	return data, nil
}

// writePNG writes img to path through a temporary file, renamed into place when complete.
func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
