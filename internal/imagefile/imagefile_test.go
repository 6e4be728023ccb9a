package imagefile

import (
	"bytes"
	"image"
	"image/color"
	"image/color/palette"
	"image/jpeg"
	"image/png"
	"testing"
)

// FuzzDecode fuzzes the decoding of input images (PNG and JPEG by the standard library,
// the size limits from the header, the conversion to NRGBA) and the --size scaling of
// what decodes. The limits are smaller than Read's (256 per side, 16k pixels) to keep
// executions fast; the code is the same. The seeds are tiny images of the kinds a user
// gives: RGBA, paletted, 16-bit grey, interlaced PNG, grey and colour JPEG.
func FuzzDecode(f *testing.F) {
	const maxSide, maxPixels = 256, 1 << 14
	encode := func(enc func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := enc(&b); err != nil {
			f.Fatal(err)
		}
		return b.Bytes()
	}
	rgba := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	pal := image.NewPaletted(image.Rect(0, 0, 2, 3), palette.Plan9[:4])
	gray := image.NewGray16(image.Rect(0, 0, 2, 2))
	for i := range rgba.Pix {
		rgba.Pix[i] = byte(i * 37)
	}
	for i := range pal.Pix {
		pal.Pix[i] = byte(i % 4)
	}
	gray.Set(1, 1, color.Gray16{Y: 0xfedc})
	add := func(data []byte, size uint8) {
		if _, err := decode(bytes.NewReader(data), maxSide, maxPixels); err != nil {
			f.Fatalf("seed: %v", err)
		}
		f.Add(data, size)
	}
	add(encode(func(b *bytes.Buffer) error { return png.Encode(b, rgba) }), uint8(5))
	add(encode(func(b *bytes.Buffer) error { return png.Encode(b, pal) }), uint8(7))
	add(encode(func(b *bytes.Buffer) error { return png.Encode(b, gray) }), uint8(1))
	add(encode(func(b *bytes.Buffer) error {
		return jpeg.Encode(b, image.NewGray(image.Rect(0, 0, 8, 8)), &jpeg.Options{Quality: 50})
	}), uint8(9))
	add(encode(func(b *bytes.Buffer) error { return jpeg.Encode(b, rgba, nil) }), uint8(3))
	// An Adam7-interlaced 3×2 grey PNG (the standard library writes none).
	add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x03\x00\x00\x00\x02\x08\x00\x00\x00\x01\xcf\x18\x09\x50"+
		"\x00\x00\x00\x12IDAT\x78\x9c\x63\x10\x60\x50\x60\x30\x60\x70\x08\x48\x00\x00\x04\x2a\x01\x51\xc0\x5b\x02\x87"+
		"\x00\x00\x00\x00IEND\xaeB`\x82"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		img, err := decode(bytes.NewReader(data), maxSide, maxPixels)
		if err != nil {
			if img != nil {
				t.Fatal("an image and an error")
			}
			return
		}
		w, h := img.Bounds().Dx(), img.Bounds().Dy()
		if w < 1 || h < 1 || w > maxSide || h > maxSide || w*h > maxPixels || len(img.Pix) != 4*w*h || img.Bounds().Min != (image.Point{}) {
			t.Fatalf("decoded %v with %d bytes of pixels, limits %d per side, %d pixels", img.Bounds(), len(img.Pix), maxSide, maxPixels)
		}
		s := 1 + int(size)%64
		r := ResizeLonger(img, s)
		rw, rh := r.Bounds().Dx(), r.Bounds().Dy()
		if max(rw, rh) != s || min(rw, rh) < 1 || len(r.Pix) != 4*rw*rh {
			t.Fatalf("%d×%d scaled to a longer side of %d is %d×%d", w, h, s, rw, rh)
		}
	})
}

func TestDecodeLimits(t *testing.T) {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 300, 2))); err != nil {
		t.Fatal(err)
	}
	if _, err := decode(bytes.NewReader(b.Bytes()), 256, 1<<14); err == nil {
		t.Error("decoded 300 pixels a side with a limit of 256")
	}
	if img, err := decode(bytes.NewReader(b.Bytes()), MaxSide, MaxPixels); err != nil || img.Bounds().Dx() != 300 {
		t.Errorf("300×2: %v", err)
	}
}
