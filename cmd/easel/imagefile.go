package main

import (
	"fmt"
	"image"
	"math"

	"easel/internal/trainview"
	"easel/models"
)

// signalRange is the nominal value range of an image signal, which maps to bytes 0..255.
func signalRange(what string, s models.Signal) (lo, hi float64, err error) {
	if s.Min == 0 && s.Max == 0 {
		return 0, 0, fmt.Errorf("the model states no value range for its %s, so it cannot be converted from or to image bytes", what)
	}
	return s.Min, s.Max, nil
}

// imageTensor converts img to the network input [1,3,H,W] of the convention in.
func imageTensor(img *image.NRGBA, in models.Signal) ([]float32, error) {
	lo, hi, err := signalRange("input", in)
	if err != nil {
		return nil, err
	}
	if in.Kind != models.SignalRGB {
		return nil, fmt.Errorf("the model takes %q input, not an RGB image", in.Kind)
	}
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	x := make([]float32, 3*h*w)
	for c := range 3 {
		mean, std := 0.0, 1.0
		if len(in.Mean) == 3 {
			mean, std = in.Mean[c], in.Std[c]
		}
		for y := range h {
			row := img.Pix[y*img.Stride:]
			for i := range w {
				v := lo + float64(row[4*i+c])/255*(hi-lo)
				x[(c*h+y)*w+i] = float32((v - mean) / std)
			}
		}
	}
	return x, nil
}

// tensorImages converts the network output y of shape [N,C,H,W] (C 1 or 3) to N images
// cropped to cropH×cropW, mapping the output convention's range to bytes with clamping
// and rounding.
func tensorImages(y []float32, shape []int, out models.Signal, cropH, cropW int) ([]image.Image, error) {
	lo, hi, err := signalRange("output", out)
	if err != nil {
		return nil, err
	}
	n, ch, h, w := shape[0], shape[1], shape[2], shape[3]
	if ch != 1 && ch != 3 {
		return nil, fmt.Errorf("output of %d channels cannot be a PNG; write .npy", ch)
	}
	cropH, cropW = min(cropH, h), min(cropW, w)
	toByte := func(v float32) uint8 {
		b := math.Floor((float64(v)-lo)/(hi-lo)*255 + 0.5)
		if math.IsNaN(b) {
			return 0
		}
		return uint8(min(max(b, 0), 255))
	}
	var ims []image.Image
	for k := range n {
		plane := func(c int) []float32 { return y[((k*ch)+c)*h*w:] }
		im := image.NewNRGBA(image.Rect(0, 0, cropW, cropH))
		for yy := range cropH {
			for x := range cropW {
				p := im.Pix[yy*im.Stride+4*x:]
				for c := range 3 {
					p[c] = toByte(plane(c % ch)[yy*w+x])
				}
				p[3] = 255
			}
		}
		ims = append(ims, im)
	}
	return ims, nil
}

// grid lays images out as trainview.Grid does (torchvision's make_grid).
func grid(ims []image.Image) image.Image { return trainview.Grid(ims) }
