package trainview

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
)

// gridPadding is the border between grid cells, as torchvision's make_grid draws it.
const gridPadding = 2

// Grid lays images of equal size out in a near-square grid on black, as torchvision's
// make_grid (⌈√n⌉ columns, 2-pixel padding); one image is returned as it is (converted
// to NRGBA if it is not), none as an empty image.
func Grid(ims []image.Image) *image.NRGBA {
	switch len(ims) {
	case 0:
		return image.NewNRGBA(image.Rectangle{})
	case 1:
		if im, ok := ims[0].(*image.NRGBA); ok {
			return im
		}
		b := ims[0].Bounds()
		out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(out, out.Bounds(), ims[0], b.Min, draw.Src)
		return out
	}
	cols := int(math.Ceil(math.Sqrt(float64(len(ims)))))
	rows := (len(ims) + cols - 1) / cols
	cell := ims[0].Bounds().Size()
	out := image.NewNRGBA(image.Rect(0, 0, cols*(cell.X+gridPadding)+gridPadding, rows*(cell.Y+gridPadding)+gridPadding))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.NRGBA{A: 255}), image.Point{}, draw.Src)
	for i, im := range ims {
		at := image.Pt(gridPadding+(i%cols)*(cell.X+gridPadding), gridPadding+(i/cols)*(cell.Y+gridPadding))
		draw.Draw(out, image.Rectangle{Min: at, Max: at.Add(cell)}, im, im.Bounds().Min, draw.Src)
	}
	return out
}

// GridNCHW makes the grid (Grid) of the n images of c channels (1, grey, or 3, RGB) of
// h×w pixels in data, laid out [n,c,h,w] with values in -1..1 (a tanh output), which
// map to bytes 0..255; values outside are clamped, NaN is black.
func GridNCHW(data []float32, n, c, h, w int) (*image.NRGBA, error) {
	if n < 1 || h < 1 || w < 1 {
		return nil, fmt.Errorf("grid: shape [%d,%d,%d,%d]: every size must be at least 1", n, c, h, w)
	}
	if c != 1 && c != 3 {
		return nil, fmt.Errorf("grid: %d channels; an image has 1 (grey) or 3 (RGB)", c)
	}
	size := 1
	for _, d := range []int{n, c, h, w} {
		if size > len(data)/d { // also keeps the product from overflowing
			size = -1
			break
		}
		size *= d
	}
	if size != len(data) {
		return nil, fmt.Errorf("grid: %d values for shape [%d,%d,%d,%d]", len(data), n, c, h, w)
	}
	ims := make([]image.Image, n)
	for k := range ims {
		im := image.NewNRGBA(image.Rect(0, 0, w, h))
		img := data[k*c*h*w:]
		for y := range h {
			for x := range w {
				p := im.Pix[y*im.Stride+4*x:]
				for ch := range 3 {
					p[ch] = toByte(img[((ch%c)*h+y)*w+x])
				}
				p[3] = 255
			}
		}
		ims[k] = im
	}
	return Grid(ims), nil
}

// toByte maps v in -1..1 to 0..255, rounding and clamping; NaN is 0.
func toByte(v float32) uint8 {
	b := math.Floor((float64(v)+1)/2*255 + 0.5)
	if math.IsNaN(b) {
		return 0
	}
	return uint8(min(max(b, 0), 255))
}
