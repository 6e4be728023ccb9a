// Package y4m reads and writes YUV4MPEG2 video (4:2:0, 8 bits): the format of Chromium's
// fake camera and of ffmpeg's raw pipes, so that clips can stand in for a webcam.
// Colours convert with image/color's BT.601 full-range formulas (the C420jpeg layout).
package y4m

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"strconv"
	"strings"
)

// Limits of the frames read: far above a webcam's, low enough that a frame's buffers never
// exhaust memory.
const (
	MaxSide   = 8192
	MaxPixels = 1 << 25
	maxHeader = 1 << 10
)

// Header is a stream's geometry and frame rate.
type Header struct {
	W, H       int
	RateN      int // frames per RateD seconds
	RateD      int
	Interlaced string // the I parameter, kept as written ("p" if absent)
}

// Reader reads the frames of a 4:2:0 stream.
type Reader struct {
	Header
	r       *bufio.Reader
	y, u, v []byte
	frames  int
}

// NewReader reads the stream header.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReader(r)
	const magic = "YUV4MPEG2 "
	if head, _ := br.Peek(len(magic)); string(head) != magic {
		return nil, errors.New("not a YUV4MPEG2 stream (the file must start with \"YUV4MPEG2 \")")
	}
	line, err := readLine(br)
	if err != nil {
		return nil, fmt.Errorf("y4m header: %w", err)
	}
	fields := strings.Fields(line)
	h := Header{RateN: 30, RateD: 1, Interlaced: "p"}
	for _, f := range fields[1:] {
		val := f[1:]
		switch f[0] {
		case 'W':
			h.W, err = strconv.Atoi(val)
		case 'H':
			h.H, err = strconv.Atoi(val)
		case 'F':
			n, d, ok := strings.Cut(val, ":")
			if !ok {
				return nil, fmt.Errorf("y4m header: frame rate %q, want N:D", val)
			}
			if h.RateN, err = strconv.Atoi(n); err == nil {
				h.RateD, err = strconv.Atoi(d)
			}
			if err == nil && (h.RateN <= 0 || h.RateD <= 0) {
				err = fmt.Errorf("frame rate %s, want positive numbers", val)
			}
		case 'I':
			h.Interlaced = val
		case 'C':
			if !strings.HasPrefix(val, "420") {
				return nil, fmt.Errorf("y4m header: colour space C%s: only 4:2:0 (C420, C420jpeg, C420paldv, C420mpeg2) is read", val)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("y4m header: %s: %v", f, err)
		}
	}
	switch {
	case h.W < 2 || h.H < 2 || h.W > MaxSide || h.H > MaxSide:
		return nil, fmt.Errorf("y4m header: %d×%d frames, want sides 2..%d", h.W, h.H, MaxSide)
	case h.W*h.H > MaxPixels:
		return nil, fmt.Errorf("y4m header: %d×%d frames exceed %d pixels", h.W, h.H, MaxPixels)
	}
	cw, ch := (h.W+1)/2, (h.H+1)/2
	return &Reader{Header: h, r: br, y: make([]byte, h.W*h.H), u: make([]byte, cw*ch), v: make([]byte, cw*ch)}, nil
}

func readLine(r *bufio.Reader) (string, error) {
	var b []byte
	for len(b) <= maxHeader {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		if c == '\n' {
			return string(b), nil
		}
		b = append(b, c)
	}
	return "", fmt.Errorf("header line longer than %d bytes", maxHeader)
}

// Next reads the next frame as RGB; io.EOF after the last one.
func (r *Reader) Next() (*image.NRGBA, error) {
	line, err := readLine(r.r)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, fmt.Errorf("y4m frame %d: %w", r.frames+1, err)
	}
	if !strings.HasPrefix(line, "FRAME") {
		return nil, fmt.Errorf("y4m frame %d: header %q, want FRAME", r.frames+1, line)
	}
	for _, p := range [][]byte{r.y, r.u, r.v} {
		if _, err := io.ReadFull(r.r, p); err != nil {
			return nil, fmt.Errorf("y4m frame %d: truncated (%v)", r.frames+1, err)
		}
	}
	r.frames++
	img := image.NewNRGBA(image.Rect(0, 0, r.W, r.H))
	cw := (r.W + 1) / 2
	for y := range r.H {
		for x := range r.W {
			c := (y/2)*cw + x/2
			R, G, B := color.YCbCrToRGB(r.y[y*r.W+x], r.u[c], r.v[c])
			o := img.PixOffset(x, y)
			img.Pix[o], img.Pix[o+1], img.Pix[o+2], img.Pix[o+3] = R, G, B, 255
		}
	}
	return img, nil
}

// Writer writes frames of one size as a 4:2:0 stream.
type Writer struct {
	Header
	w       io.Writer
	y, u, v []byte
}

// NewWriter writes the stream header.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if h.W < 2 || h.H < 2 || h.W > MaxSide || h.H > MaxSide || h.W*h.H > MaxPixels {
		return nil, fmt.Errorf("y4m: %d×%d frames, want sides 2..%d and at most %d pixels", h.W, h.H, MaxSide, MaxPixels)
	}
	if h.RateN <= 0 || h.RateD <= 0 {
		h.RateN, h.RateD = 30, 1
	}
	if h.Interlaced == "" {
		h.Interlaced = "p"
	}
	if _, err := fmt.Fprintf(w, "YUV4MPEG2 W%d H%d F%d:%d I%s A1:1 C420jpeg\n", h.W, h.H, h.RateN, h.RateD, h.Interlaced); err != nil {
		return nil, err
	}
	cw, ch := (h.W+1)/2, (h.H+1)/2
	return &Writer{Header: h, w: w, y: make([]byte, h.W*h.H), u: make([]byte, cw*ch), v: make([]byte, cw*ch)}, nil
}

// Write writes one frame; its size must be the stream's. Chroma is the mean of each 2×2
// block's.
func (w *Writer) Write(img image.Image) error {
	b := img.Bounds()
	if b.Dx() != w.W || b.Dy() != w.H {
		return fmt.Errorf("y4m: a %d×%d frame in a %d×%d stream", b.Dx(), b.Dy(), w.W, w.H)
	}
	cw, ch := (w.W+1)/2, (w.H+1)/2
	su, sv, n := make([]int, cw*ch), make([]int, cw*ch), make([]int, cw*ch)
	for y := range w.H {
		for x := range w.W {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			yy, u, v := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			w.y[y*w.W+x] = yy
			c := (y/2)*cw + x/2
			su[c] += int(u)
			sv[c] += int(v)
			n[c]++
		}
	}
	for c := range cw * ch {
		w.u[c], w.v[c] = byte((su[c]+n[c]/2)/n[c]), byte((sv[c]+n[c]/2)/n[c])
	}
	for _, p := range [][]byte{[]byte("FRAME\n"), w.y, w.u, w.v} {
		if _, err := w.w.Write(p); err != nil {
			return err
		}
	}
	return nil
}
