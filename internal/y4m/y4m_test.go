package y4m

import (
	"bytes"
	"image"
	"image/color"
	"io"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	// Odd sides: the chroma planes round up.
	const w, h = 7, 5
	var frames []*image.NRGBA
	for k := range 3 {
		im := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				// Flat 2×2 blocks survive 4:2:0 subsampling up to rounding.
				v := uint8(40*k + 20*(x/2) + 10*(y/2))
				im.SetNRGBA(x, y, color.NRGBA{v, 255 - v, v / 2, 255})
			}
		}
		frames = append(frames, im)
	}
	var buf bytes.Buffer
	wr, err := NewWriter(&buf, Header{W: w, H: h, RateN: 25, RateD: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := wr.Write(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Write(image.NewNRGBA(image.Rect(0, 0, w+1, h))); err == nil {
		t.Error("a frame of another size was written")
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if r.W != w || r.H != h || r.RateN != 25 || r.RateD != 1 {
		t.Fatalf("header %+v", r.Header)
	}
	for k, want := range frames {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", k, err)
		}
		for i := range want.Pix {
			if d := int(got.Pix[i]) - int(want.Pix[i]); d < -3 || d > 3 {
				t.Fatalf("frame %d byte %d: %d, want %d ± 3", k, i, got.Pix[i], want.Pix[i])
			}
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

func TestReadErrors(t *testing.T) {
	frame := "FRAME\n" + strings.Repeat("\x80", 4*4+2*2*2)
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "not a YUV4MPEG2"},
		{"not y4m", "RIFF....", "not a YUV4MPEG2"},
		{"422", "YUV4MPEG2 W4 H4 C422\n", "only 4:2:0"},
		{"no width", "YUV4MPEG2 H4\n", "sides"},
		{"huge", "YUV4MPEG2 W100000 H4\n", "sides"},
		{"bad rate", "YUV4MPEG2 W4 H4 F0:1\n", "frame rate"},
		{"bad number", "YUV4MPEG2 Wx H4\n", "Wx"},
		{"long header", "YUV4MPEG2 " + strings.Repeat("X", 2000) + "\n", "longer"},
		{"truncated frame", "YUV4MPEG2 W4 H4\n" + frame[:20], "truncated"},
		{"bad frame header", "YUV4MPEG2 W4 H4\nFRAMX\n", "want FRAME"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(c.in))
			if err == nil {
				_, err = r.Next()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	r, err := NewReader(strings.NewReader("YUV4MPEG2 W4 H4 F30000:1001 Ip C420jpeg\n" + frame))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
}
