package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/models"
	"easel/optim"
)

// The perceptual losses the benchmarks time: fast_neural_style's (Johnson et al.: content
// relu2_2, style relu1_2, relu2_2, relu3_3, relu4_3, weights 1e5 and 1e10) and Gatys et
// al.'s layers within VGG16's first four blocks (content relu4_2; style relu1_1, relu2_1,
// relu3_1, relu4_1, and relu4_3 in place of relu5_1, which is past the cut). Either way the
// loss network is VGG16 up to relu4_3.
const (
	styleBenchContent = "relu2_2"
	styleBenchStyle   = "relu1_2,relu2_2,relu3_3,relu4_3"
	gatysBenchContent = "relu4_2"
	gatysBenchStyle   = "relu1_1,relu2_1,relu3_1,relu4_1,relu4_3"
)

// lossBenchFlags are the loss network's flags of easel bench train style and gatys.
type lossBenchFlags struct {
	contentLayer, styleLayers string
	seed                      uint64
}

func (f *lossBenchFlags) add(cmd *cobra.Command, content, style string) {
	fl := cmd.Flags()
	fl.StringVar(&f.contentLayer, "content-layer", content, `loss network layer of the content loss ("" for none)`)
	fl.StringVar(&f.styleLayers, "style-layers", style, "loss network layers of the style loss, comma-separated")
	fl.Uint64Var(&f.seed, "loss-seed", 1, "seed of the random loss network")
}

// loss is the perceptual loss of the flags with the given weights (TV weight 0), and the
// loss network: a seeded random VGG16 cut after the deepest layer named.
func (f lossBenchFlags) loss(contentWeight, styleWeight float64) (models.PerceptualLoss, *models.Weights, error) {
	l := styleFlags{contentLayer: f.contentLayer, styleLayers: f.styleLayers, contentWeight: contentWeight, styleWeight: styleWeight}.loss()
	w, err := lossNetwork("random", f.seed, l)
	if err != nil {
		return l, nil, fmt.Errorf("--content-layer %q --style-layers %q: %w", f.contentLayer, f.styleLayers, err)
	}
	return l, w, nil
}

// lossNetLine describes the loss network for the bench's model lines.
func lossNetLine(w *models.Weights, seed uint64) string {
	to := ""
	if convs, err := w.Config.Int("convs"); err == nil && convs >= 1 && convs <= len(models.VGGLayers(16)) {
		to = fmt.Sprintf(" to %s (%d convolutions)", models.VGGLayers(16)[convs-1], convs)
	}
	return fmt.Sprintf("%s%s, %s parameters, random (seed %d), fixed", w.Arch, to, formatCount(float64(paramCount(w))), seed)
}

// randomImage is n images of 3×side×side random pixels in 0..255: the work does not depend
// on them.
func randomImage(rng *rand.Rand, n, side int) []float32 {
	x := make([]float32, n*3*side*side)
	for i := range x {
		x[i] = float32(255 * rng.Float64())
	}
	return x
}

func benchTrainStyleCmd() *cobra.Command {
	var f trainBenchFlags
	var lf lossBenchFlags
	var net string
	var size, batch int
	cmd := &cobra.Command{
		Use:   "style",
		Short: "Time one fast style training step (TransformerNet, VGG16 loss network, Adam)",
		Long: `Time one step of easel train style (models.StyleTrainer), set up as fast_neural_style
trains: --batch crops of --size² pixels through TransformerNet (--net standard, 32/64/128
channels and 5 residual blocks, or light, 16/32/64 and 3), the loss network on the output
and on the crops (only up to the content layer: its features are all the loss reads), the
content loss (weight 1e5, mean squared difference at --content-layer), the style loss
(weight 1e10, mean squared difference of the C·H·W-normalised Gram matrices at each of
--style-layers against those of a --size² style image; not normalised per layer), TV weight
0, the backward pass into TransformerNet and an Adam step (lr 1e-3). The crops are
uploaded every step, the four loss figures read back.

The defaults are Johnson et al.'s layers: content relu2_2, style relu1_2, relu2_2, relu3_3
and relu4_3. The loss network is VGG16 with seeded random weights cut after the deepest
layer named (the work does not depend on the weights); TransformerNet starts from PyTorch's
initialisation; crops and style image are random and fixed.

FLOPs: 3× the 2·multiply-adds of the convolutions of TransformerNet and of the loss
network on the output (forward, and the gradients; the fixed loss network's own weight
gradients are not computed, but counted, as for PyTorch), 1× those of the loss network on
the crops.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch < 1 || batch > 256 {
				return fmt.Errorf("--batch %d: want 1..256", batch)
			}
			if size < 16 || size > 2048 || size%4 != 0 {
				return fmt.Errorf("--size %d: want a multiple of 4 in 16..2048", size)
			}
			var tc models.TransformerConfig
			switch net {
			case "standard":
				tc = models.StandardTransformer
			case "light":
				tc = models.LightTransformer
			default:
				return fmt.Errorf("--net %q: want standard or light", net)
			}
			loss, lossNet, err := lf.loss(1e5, 1e10)
			if err != nil {
				return err
			}
			return benchTrain(cmd, f, func(dev *gpu.Device) (*trainBench, error) {
				return prepareStyleBench(dev, tc, lossNet, lf.seed, loss, batch, size)
			})
		},
	}
	f.add(cmd, 3, 1)
	lf.add(cmd, styleBenchContent, styleBenchStyle)
	fl := cmd.Flags()
	fl.StringVar(&net, "net", "standard", "TransformerNet: standard (fast_neural_style's) or light")
	fl.IntVar(&size, "size", 256, "side of the crops and of the style image (a multiple of 4)")
	fl.IntVar(&batch, "batch", 4, "crops per step")
	return cmd
}

// prepareStyleBench records one StyleTrainer step of a TransformerNet of config tc, with
// PyTorch's initialisation, on lossNet, with fixed random crops and style image.
func prepareStyleBench(dev *gpu.Device, tc models.TransformerConfig, lossNet *models.Weights, seed uint64, loss models.PerceptualLoss, batch, size int) (*trainBench, error) {
	net := models.InitTransformerNet(tc, rand.New(rand.NewPCG(1, 2)))
	vgg, err := models.NewLossNet(dev, lossNet)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	style := randomImage(rng, 1, size)
	const lr = 1e-3
	tr, err := models.NewStyleTrainer(dev, net, vgg, style, size, size, models.StyleTrainConfig{Batch: batch, Size: size, LR: lr, Loss: loss})
	if err != nil {
		vgg.Release()
		return nil, err
	}
	crops := randomImage(rng, batch, size)
	return &trainBench{
		models: []string{
			fmt.Sprintf("%s %s, %s parameters (PyTorch's initialisation)", net.Arch, formatConfig(net.Config), formatCount(float64(paramCount(net)))),
			"loss network " + lossNetLine(lossNet, seed),
		},
		input: fmt.Sprintf("%d crops [%d,3,%d,%d] in 0..255 (uploaded each step), a %d×%d style image; %s; Adam lr %g",
			batch, batch, size, size, size, size, lossLine(loss), lr),
		step: func(ctx context.Context) error {
			_, err := tr.Step(ctx, crops)
			return err
		},
		flops:        tr.FLOPs(),
		what:         "3× the 2·multiply-adds of the convolutions of TransformerNet and of the loss network on its output, 1× those of the loss network on the crops up to the content layer",
		params:       trainedParams(net),
		fixedWeights: paramCount(lossNet),
		release: func() {
			tr.Release()
			vgg.Release()
		},
	}, nil
}

// lossLine describes a perceptual loss's layers and weights.
func lossLine(l models.PerceptualLoss) string {
	var parts []string
	if l.ContentLayer != "" {
		parts = append(parts, fmt.Sprintf("content %s ×%g", l.ContentLayer, l.ContentWeight))
	}
	if len(l.StyleLayers) > 0 {
		parts = append(parts, fmt.Sprintf("style %s ×%g (Gram matrices)", strings.Join(l.StyleLayers, ","), l.StyleWeight))
	}
	return strings.Join(append(parts, fmt.Sprintf("TV ×%g", l.TVWeight)), ", ")
}

func benchTrainGatysCmd() *cobra.Command {
	var f trainBenchFlags
	var lf lossBenchFlags
	var size int
	cmd := &cobra.Command{
		Use:   "gatys",
		Short: "Time one iteration of style transfer by optimisation (VGG16 forward and backward, Adam on the image)",
		Long: `Time one Adam iteration of models.ImageOptimizer, style transfer by optimisation as Gatys
et al.: the loss network on a 1×3×--size² image (the only parameter), the content loss
(weight 1, mean squared difference at --content-layer against a content image's features),
the style loss (weight 1e6, mean squared difference of the C·H·W-normalised Gram matrices
at each of --style-layers against a style image's), TV weight 0, the backward pass to the
image and an Adam step on it (lr 1, on pixels in 0..255); the four loss figures read back.

The defaults are Gatys et al.'s layers within VGG16's first four blocks: content relu4_2;
style relu1_1, relu2_1, relu3_1, relu4_1, and relu4_3 in place of relu5_1 (past the cut).
The loss network is VGG16 with seeded random weights cut after the deepest layer named, so
by default VGG16 to relu4_3 (the work does not depend on the weights); the content and
style images are random and fixed, the image starts as the content image.

FLOPs: 3× the 2·multiply-adds of the loss network's convolutions (forward, and the
gradients; the fixed network's own weight gradients are not computed, but counted, as for
PyTorch).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if size < 16 || size > 2048 {
				return fmt.Errorf("--size %d: want 16..2048", size)
			}
			loss, lossNet, err := lf.loss(1, 1e6)
			if err != nil {
				return err
			}
			return benchTrain(cmd, f, func(dev *gpu.Device) (*trainBench, error) {
				return prepareGatysBench(dev, lossNet, lf.seed, loss, size)
			})
		},
	}
	f.add(cmd, 3, 1)
	lf.add(cmd, gatysBenchContent, gatysBenchStyle)
	cmd.Flags().IntVar(&size, "size", 256, "side of the image, and of the content and style images")
	return cmd
}

// prepareGatysBench records one ImageOptimizer Adam step on a size×size image against
// lossNet, with fixed random content and style images.
func prepareGatysBench(dev *gpu.Device, lossNet *models.Weights, seed uint64, loss models.PerceptualLoss, size int) (*trainBench, error) {
	vgg, err := models.NewLossNet(dev, lossNet)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var content, style []float32
	if loss.ContentLayer != "" {
		content = randomImage(rng, 1, size)
	}
	if len(loss.StyleLayers) > 0 {
		style = randomImage(rng, 1, size)
	}
	adam := optim.Adam{LR: 1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	o, err := models.NewImageOptimizer(dev, vgg, loss, size, size, content, style, size, size, &adam)
	if err == nil && content == nil {
		err = o.SetImage(randomImage(rng, 1, size))
	}
	if err != nil {
		if o != nil {
			o.Release()
		}
		vgg.Release()
		return nil, err
	}
	return &trainBench{
		models: []string{"loss network " + lossNetLine(lossNet, seed)},
		input: fmt.Sprintf("the image [1,3,%d,%d] in 0..255, the only parameter (starting as the content image), %d×%d content and style images; %s; Adam lr %g",
			size, size, size, size, lossLine(loss), adam.LR),
		step: func(ctx context.Context) error {
			_, err := o.Step(ctx)
			return err
		},
		flops:        o.FLOPs(),
		what:         "3× the 2·multiply-adds of the loss network's convolutions",
		params:       3 * size * size,
		fixedWeights: paramCount(lossNet),
		release: func() {
			o.Release()
			vgg.Release()
		},
	}, nil
}
