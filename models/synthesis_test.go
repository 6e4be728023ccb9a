package models_test

import (
	"context"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"easel/models"
)

// stripes is a w×h picture of diagonal stripes, red and blue, period 6: a texture a
// texture synthesis must pick up (colour and orientation).
func stripes(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{200, 40, 30, 255}
			if (x+y)%6 < 3 {
				c = color.NRGBA{30, 60, 210, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// disc is a w×h picture of a light disc on a dark gray ground, shaded left to right.
func disc(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(40 + 60*x/w)
			if dx, dy := x-w/2, y-h/2; dx*dx+dy*dy < w*h/8 {
				v = uint8(180 + 60*x/w)
			}
			img.SetNRGBA(x, y, color.NRGBA{v, v, v, 255})
		}
	}
	return img
}

// meanRGB is the mean of each colour channel of img.
func meanRGB(img *image.NRGBA) [3]float64 {
	var m [3]float64
	n := len(img.Pix) / 4
	for i := range n {
		for ch := range 3 {
			m[ch] += float64(img.Pix[4*i+ch]) / float64(n)
		}
	}
	return m
}

// colourDist is the Euclidean distance of two RGB colours.
func colourDist(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

// rgbSpread is the standard deviation of img's RGB values.
func rgbSpread(img *image.NRGBA) float64 {
	var s, s2, n float64
	for i, v := range img.Pix {
		if i%4 != 3 {
			s, s2, n = s+float64(v), s2+float64(v)*float64(v), n+1
		}
	}
	return math.Sqrt(s2/n - (s/n)*(s/n))
}

// TestSynthesis runs a 32×32 texture and a Gatys transfer for a few steps on the random
// VGG16: the loss must fall by half, the mean colour must move towards the stripes', the
// texture must gain their contrast (from faint noise), the Gatys image must keep its
// content's disc, and every GPU buffer must be freed afterwards.
func TestSynthesis(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	vw, err := models.SynthesisVGG(models.SynthVGGSeed)
	if err != nil {
		t.Fatal(err)
	}
	vgg, err := models.NewVGG(dev, vw)
	if err != nil {
		t.Fatal(err)
	}
	defer vgg.Release()
	const side, steps = 32, 20
	style := stripes(40, 40)
	content := disc(side, side)
	for _, c := range []struct {
		mode    string
		content *image.NRGBA
	}{{models.SynthTexture, nil}, {models.SynthGatys, content}} {
		t.Run(c.mode, func(t *testing.T) {
			before := dev.LiveBuffers()
			cfg := models.SynthesisConfig{Mode: c.mode, W: side, H: side, ContentWeight: models.SynthContentWeight,
				StyleWeight: models.SynthStyleWeight, Seed: 3}
			s, err := models.NewSynthesis(dev, vgg, cfg, style, c.content)
			if err != nil {
				t.Fatal(err)
			}
			first, err := s.Image(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var losses []models.ImageLossStats
			for range steps {
				st, err := s.Step(ctx)
				if err != nil {
					t.Fatal(err)
				}
				losses = append(losses, st)
			}
			img, err := s.Image(ctx)
			if err != nil {
				t.Fatal(err)
			}
			s.Release()
			if after := dev.LiveBuffers(); after != before {
				t.Errorf("%d GPU buffers live after Release, %d before the run", after, before)
			}
			l0, ln := losses[0], losses[steps-1]
			t.Logf("loss %.4g → %.4g (content %.4g → %.4g, style %.4g → %.4g) in %d steps, %.0f ms per step",
				l0.Total, ln.Total, l0.Content, ln.Content, l0.Style, ln.Style, steps, ln.Millis)
			if !(ln.Total < 0.5*l0.Total) {
				t.Errorf("loss went from %.4g to %.4g in %d steps, want below half", l0.Total, ln.Total, steps)
			}
			m0, m, ms := meanRGB(first), meanRGB(img), meanRGB(style)
			d0, d := colourDist(m0, ms), colourDist(m, ms)
			t.Logf("mean RGB %.0f → %.0f, the style's %.0f: %.0f → %.0f apart; spread %.1f → %.1f, the style's %.1f",
				m0, m, ms, d0, d, rgbSpread(first), rgbSpread(img), rgbSpread(style))
			if d > 0.9*d0 {
				t.Errorf("mean colour went from %.0f to %.0f apart from the style's in %d steps, want 10%% closer", d0, d, steps)
			}
			if c.mode == models.SynthTexture && rgbSpread(img) < rgbSpread(style)/2 {
				t.Errorf("the texture's spread is %.1f after %d steps, want at least half the style's %.1f", rgbSpread(img), steps, rgbSpread(style))
			}
			if c.mode == models.SynthGatys {
				// The disc stays brighter than the ground: its centre against a corner.
				lum := func(x, y int) float64 {
					p := img.NRGBAAt(x, y)
					return (float64(p.R) + float64(p.G) + float64(p.B)) / 3
				}
				if centre, corner := lum(side/2, side/2), lum(1, 1); centre < corner+30 {
					t.Errorf("the content's disc faded: centre %.0f, corner %.0f", centre, corner)
				}
			}
		})
	}
}

// TestSynthesisBadConfig checks that bad settings and images give an error naming what is
// wrong.
func TestSynthesisBadConfig(t *testing.T) {
	dev := testDevice(t)
	vw, err := models.SynthesisVGG(models.SynthVGGSeed)
	if err != nil {
		t.Fatal(err)
	}
	vgg, err := models.NewVGG(dev, vw)
	if err != nil {
		t.Fatal(err)
	}
	defer vgg.Release()
	good := models.SynthesisConfig{Mode: models.SynthGatys, W: 16, H: 12, ContentWeight: 1, StyleWeight: 1}
	with := func(f func(*models.SynthesisConfig)) models.SynthesisConfig {
		c := good
		f(&c)
		return c
	}
	style, content := stripes(16, 16), disc(16, 12)
	for _, c := range []struct {
		name           string
		cfg            models.SynthesisConfig
		style, content *image.NRGBA
		want           string
	}{
		{"mode", with(func(c *models.SynthesisConfig) { c.Mode = "deepdream" }), style, content, `mode "deepdream"`},
		{"small", with(func(c *models.SynthesisConfig) { c.W = 4 }), style, content, "image 4×12"},
		{"large", with(func(c *models.SynthesisConfig) { c.H = 5000 }), style, content, "want sides 8..1024"},
		{"NaN weight", with(func(c *models.SynthesisConfig) { c.StyleWeight = math.NaN() }), style, content, "style weight NaN"},
		{"negative weight", with(func(c *models.SynthesisConfig) { c.ContentWeight = -1 }), style, content, "content weight -1"},
		{"infinite rate", with(func(c *models.SynthesisConfig) { c.LR = math.Inf(1) }), style, content, "learning rate +Inf"},
		{"zero weights", with(func(c *models.SynthesisConfig) { c.ContentWeight, c.StyleWeight = 0, 0 }), style, content, "both 0"},
		{"texture without style weight", models.SynthesisConfig{Mode: models.SynthTexture, W: 16, H: 16}, style, nil, "style weight above 0"},
		{"no style", good, nil, content, "no style image"},
		{"tiny style", good, stripes(5, 40), content, "style image 5×40"},
		{"no content", good, style, nil, "needs a content image"},
		{"content size", good, style, disc(12, 16), "content image 12×16, want the image's size 16×12"},
		{"texture with content", with(func(c *models.SynthesisConfig) { c.Mode = models.SynthTexture }), style, content, "takes no content"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := models.NewSynthesis(dev, vgg, c.cfg, c.style, c.content)
			if err == nil {
				s.Release()
				t.Fatalf("no error, want one saying %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to say %q", err, c.want)
			}
		})
	}
}

// TestCHWImage checks the rounding and clamping of an image's values into pixels.
func TestCHWImage(t *testing.T) {
	x := []float32{-5, 0.4, 254.6, float32(math.NaN()), 300, 7.5, 1, 2, 3, 4, 5, 6} // [3,2,2]
	img, err := models.CHWImage(x, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Channel planes: R = -5, 0.4, 254.6, NaN; G = 300, 7.5, 1, 2; B = 3, 4, 5, 6.
	want := []uint8{0, 255, 3, 255, 0, 8, 4, 255, 255, 1, 5, 255, 0, 2, 6, 255}
	if string(img.Pix) != string(want) {
		t.Errorf("pixels %v, want %v", img.Pix, want)
	}
	if _, err := models.CHWImage(x, 3, 2); err == nil {
		t.Error("12 values as 3×3×2: no error")
	}
}
