package models_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"easel/autograd"
	"easel/models"
)

// imageOptFixture is a tiny loss network and two 12×10 images for the ImageOptimizer tests.
func imageOptFixture(t *testing.T) (*models.VGG, []float32, []float32) {
	t.Helper()
	dev := testDevice(t)
	w, err := models.InitVGG(models.VGGConfig{Depth: 16, Convs: 3}, 7)
	if err != nil {
		t.Fatal(err)
	}
	vgg, err := models.NewVGG(dev, w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vgg.Release)
	rng := rand.New(rand.NewPCG(3, 4))
	img := func() []float32 {
		x := make([]float32, 3*10*12)
		for i := range x {
			x[i] = 255 * rng.Float32()
		}
		return x
	}
	return vgg, img(), img()
}

// TestImageOptimizerNormalizeContent checks that NormalizeContent divides the content term
// by the mean square of the content image's features at the content layer, computed here
// on a tape of its own, and that Evaluate's gradient matches central differences of the
// loss along a random direction.
func TestImageOptimizerNormalizeContent(t *testing.T) {
	vgg, content, x := imageOptFixture(t)
	dev := testDevice(t)
	ctx := context.Background()
	loss := models.PerceptualLoss{ContentLayer: "relu1_2", StyleLayers: []string{"relu1_1", "relu2_1"},
		ContentWeight: 2, StyleWeight: 1, TVWeight: 1e-5, NormalizeStyle: true}
	eval := func(l models.PerceptualLoss, x []float32) (models.ImageLossStats, []float32) {
		o, err := models.NewImageOptimizer(dev, vgg, l, 10, 12, content, content, 10, 12, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Release()
		st, g, err := o.Evaluate(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		return st, g
	}
	raw, _ := eval(loss, x)
	loss.NormalizeContent = true
	norm, g := eval(loss, x)

	// The mean square of the content image's relu1_2 features.
	xt, err := dev.FromData(content, 1, 3, 10, 12)
	if err != nil {
		t.Fatal(err)
	}
	defer xt.Release()
	b := dev.NewBatch()
	defer b.Release()
	tp := autograd.New(b)
	defer tp.Release()
	f := vgg.Features(tp, tp.Constant(xt), 1, []int{1})
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	v, err := f[0].Tensor().Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ms float64
	for _, a := range v {
		ms += float64(a) * float64(a)
	}
	ms /= float64(len(v))
	if got, want := norm.Content, raw.Content/ms; raw.Content <= 0 || math.Abs(got-want) > 1e-4*want {
		t.Errorf("normalised content term %.6g, want %.6g / %.6g = %.6g", got, raw.Content, ms, want)
	}
	if math.Abs(norm.Style-raw.Style) > 1e-5*raw.Style || math.Abs(norm.TV-raw.TV) > 1e-5*raw.TV {
		t.Errorf("style and TV terms changed: %v vs %v", norm, raw)
	}
	t.Logf("content %.4g raw, %.4g normalised (features' mean square %.4g); style %.4g, tv %.4g", raw.Content, norm.Content, ms, norm.Style, norm.TV)

	// Central differences along a random unit-RMS direction d: (L(x+hd) − L(x−hd)) / 2h
	// against g·d. The loss is float32, so h is large enough that its rounding is far
	// below the change.
	rng := rand.New(rand.NewPCG(5, 6))
	d := make([]float32, len(x))
	var gd float64
	for i := range d {
		d[i] = float32(rng.NormFloat64())
		gd += float64(g[i]) * float64(d[i])
	}
	const h = 0.5
	step := func(s float32) []float32 {
		y := make([]float32, len(x))
		for i := range y {
			y[i] = x[i] + s*d[i]
		}
		return y
	}
	plus, _ := eval(loss, step(h))
	minus, _ := eval(loss, step(-h))
	fd := (plus.Total - minus.Total) / (2 * h)
	if math.Abs(fd-gd) > 0.02*math.Abs(gd) {
		t.Errorf("directional derivative: gradient says %.6g, central difference %.6g (2%% tolerance)", gd, fd)
	}
	t.Logf("directional derivative %.6g, central difference %.6g", gd, fd)
}
