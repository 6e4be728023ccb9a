package main

import (
	"context"
	"fmt"

	"easel/gpu"
	"easel/internal/trainview"
	"easel/models"
)

// generate runs generator weights w (eval mode) on inputs in ([n, InputWidth] flattened)
// and returns the images and their shape [n,nc,side,side].
func generate(ctx context.Context, dev *gpu.Device, w *models.Weights, in []float32) ([]float32, []int, error) {
	g, err := models.NewGenerator(dev, w)
	if err != nil {
		return nil, nil, err
	}
	defer g.Release()
	width := g.Config.InputWidth()
	n := len(in) / width
	if n < 1 || n*width != len(in) {
		return nil, nil, fmt.Errorf("%d input values for inputs of %d", len(in), width)
	}
	p, err := g.Plan(n)
	if err != nil {
		return nil, nil, err
	}
	defer p.Release()
	if err := p.Input.Write(in); err != nil {
		return nil, nil, err
	}
	if err := p.Run(); err != nil {
		return nil, nil, err
	}
	y, err := p.Output.Read(ctx)
	return y, p.Output.Shape(), err
}

// writeGridPNG writes images [n,c,h,w] in -1..1 as one grid PNG, atomically.
func writeGridPNG(path string, y []float32, shape []int) error {
	img, err := trainview.GridNCHW(y, shape[0], shape[1], shape[2], shape[3])
	if err != nil {
		return err
	}
	return trainview.WritePNG(path, img)
}
