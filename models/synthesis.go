package models

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"easel/gpu"
	"easel/optim"
)

// The kinds of image synthesis by optimisation that Synthesis runs: a texture from a style
// image alone (Gatys et al., 2015), or a style carried onto a content image (Gatys et al.,
// 2016).
const (
	SynthTexture = "texture"
	SynthGatys   = "gatys"
)

// The loss layers of Synthesis on a seeded random VGG16 (SynthesisVGG): the Gram matrices
// of every ReLU up to relu3_1 with each layer normalised, and relu2_2's features for the
// content. Deeper random features add little but time.
var (
	SynthStyleLayers  = []string{"relu1_1", "relu1_2", "relu2_1", "relu2_2", "relu3_1"}
	SynthContentLayer = "relu2_2"
)

// Defaults of SynthesisConfig, found good on the random VGG16: Adam at learning rate 4 on
// pixels in 0..255, content weight (α) 5 against style weight (β) 2 for Gatys; a texture
// starts from noise of 128 ± 20.
const (
	SynthLR            = 4
	SynthContentWeight = 5
	SynthStyleWeight   = 2
	synthNoise         = 20
)

// SynthVGGSeed seeds the random VGG16 of the page's syntheses: the same loss network in
// every browser, so that the same settings give the same picture everywhere.
const SynthVGGSeed = 1

// SynthMaxSide bounds the sides of a synthesised image and of its style image.
const SynthMaxSide = 1024

// SynthesisConfig is one synthesis run.
type SynthesisConfig struct {
	Mode string // SynthTexture or SynthGatys
	W, H int    // the image's size; a Gatys content image has this size
	// ContentWeight (α, Gatys only) and StyleWeight (β) weigh the content and style terms
	// of the loss. Adam is blind to the loss's scale, so only their ratio matters.
	ContentWeight, StyleWeight float64
	LR                         float64 // Adam's learning rate on pixels in 0..255; 0 is SynthLR
	Seed                       uint64  // the noise a texture starts from
}

// Loss is the perceptual loss of c on SynthesisVGG's layers, or why c cannot run.
func (c SynthesisConfig) Loss() (PerceptualLoss, error) {
	l := PerceptualLoss{StyleLayers: SynthStyleLayers, StyleWeight: c.StyleWeight, NormalizeStyle: true}
	for _, w := range []struct {
		name string
		v    float64
	}{{"content weight", c.ContentWeight}, {"style weight", c.StyleWeight}, {"learning rate", c.LR}} {
		if !(w.v >= 0) || math.IsInf(w.v, 0) {
			return l, fmt.Errorf("synthesis: %s %v, want a finite number ≥ 0", w.name, w.v)
		}
	}
	switch c.Mode {
	case SynthTexture:
		if c.StyleWeight == 0 {
			return l, fmt.Errorf("synthesis: a texture needs a style weight above 0")
		}
	case SynthGatys:
		if c.ContentWeight == 0 && c.StyleWeight == 0 {
			return l, fmt.Errorf("synthesis: the content and style weights are both 0: nothing to optimise")
		}
		l.ContentLayer, l.ContentWeight = SynthContentLayer, c.ContentWeight
	default:
		return l, fmt.Errorf("synthesis: mode %q, want %s or %s", c.Mode, SynthTexture, SynthGatys)
	}
	if c.W < 8 || c.H < 8 || c.W > SynthMaxSide || c.H > SynthMaxSide {
		return l, fmt.Errorf("synthesis: image %d×%d, want sides 8..%d", c.W, c.H, SynthMaxSide)
	}
	return l, nil
}

// SynthesisVGG is the loss network of Synthesis: VGG16 up to relu3_1 with torchvision's
// random initialisation from seed. Random convolutional features carry texture well
// enough, and no pretrained weights need be fetched.
func SynthesisVGG(seed uint64) (*Weights, error) {
	return InitVGG(VGGConfig{Depth: 16, Convs: 5}, seed)
}

// Synthesis optimises an image by Adam steps towards a style image's Gram matrices (and a
// content image's features, for Gatys): an ImageOptimizer with the page's settings.
type Synthesis struct {
	Config SynthesisConfig
	opt    *ImageOptimizer
}

// NewSynthesis prepares a run on the loss network lnet (which the caller keeps and
// releases): style is the style image (any size, sides 8..SynthMaxSide), content the
// content image of c.W×c.H for Gatys (nil for a texture). A texture starts from noise of
// c.Seed, Gatys from the content image.
func NewSynthesis(dev *gpu.Device, lnet LossNet, c SynthesisConfig, style, content *image.NRGBA) (*Synthesis, error) {
	l, err := c.Loss()
	if err != nil {
		return nil, err
	}
	if c.LR == 0 {
		c.LR = SynthLR
	}
	if style == nil {
		return nil, fmt.Errorf("synthesis: no style image")
	}
	sb := style.Bounds()
	if sb.Dx() < 8 || sb.Dy() < 8 || sb.Dx() > SynthMaxSide || sb.Dy() > SynthMaxSide {
		return nil, fmt.Errorf("synthesis: style image %d×%d, want sides 8..%d", sb.Dx(), sb.Dy(), SynthMaxSide)
	}
	var cx, start []float32
	switch {
	case c.Mode == SynthGatys && content == nil:
		return nil, fmt.Errorf("synthesis: Gatys transfer needs a content image")
	case c.Mode == SynthGatys:
		if b := content.Bounds(); b.Dx() != c.W || b.Dy() != c.H {
			return nil, fmt.Errorf("synthesis: content image %d×%d, want the image's size %d×%d", b.Dx(), b.Dy(), c.W, c.H)
		}
		cx = ImageCHW(content)
		start = cx
	case content != nil:
		return nil, fmt.Errorf("synthesis: a texture takes no content image")
	default:
		start = synthNoiseImage(c.W, c.H, c.Seed)
	}
	adam := optim.DefaultAdam()
	adam.LR = c.LR
	o, err := NewImageOptimizer(dev, lnet, l, c.H, c.W, cx, ImageCHW(style), sb.Dy(), sb.Dx(), &adam)
	if err != nil {
		return nil, err
	}
	if err := o.SetImage(start); err != nil {
		o.Release()
		return nil, err
	}
	return &Synthesis{Config: c, opt: o}, nil
}

// synthNoiseImage is [3,h,w] of uniform noise in 128 ± synthNoise.
func synthNoiseImage(w, h int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x7e47))
	x := make([]float32, 3*h*w)
	for i := range x {
		x[i] = float32(128 + synthNoise*(2*rng.Float64()-1))
	}
	return x
}

// Step runs one Adam step and returns the weighted loss terms at the image before it.
func (s *Synthesis) Step(ctx context.Context) (ImageLossStats, error) { return s.opt.Step(ctx) }

// Steps is the number of steps run.
func (s *Synthesis) Steps() int { return s.opt.Steps() }

// Image reads the image now, its values rounded and clamped to 0..255.
func (s *Synthesis) Image(ctx context.Context) (*image.NRGBA, error) {
	x, err := s.opt.Image(ctx)
	if err != nil {
		return nil, err
	}
	return CHWImage(x, s.Config.W, s.Config.H)
}

// Release frees what the run holds on the device (not the loss network).
func (s *Synthesis) Release() { s.opt.Release() }

// CHWImage is the picture of x, [3,h,w] RGB in 0..255, rounded and clamped, opaque.
func CHWImage(x []float32, w, h int) (*image.NRGBA, error) {
	if w <= 0 || h <= 0 || len(x) != 3*w*h {
		return nil, fmt.Errorf("image of %d values, want 3×%d×%d", len(x), h, w)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	plane := w * h
	for i := range plane {
		for ch := range 3 {
			v := math.Round(float64(x[ch*plane+i]))
			if math.IsNaN(v) {
				v = 0
			}
			img.Pix[4*i+ch] = uint8(max(0, min(255, v)))
		}
		img.Pix[4*i+3] = 255
	}
	return img, nil
}
