package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"easel/models"
)

// optDocs is the part of the commands' help about what they share.
const optDocs = `The loss network is --loss-net (--model is another name): "random" (the default) is a
VGG16 stack with seeded random weights (--loss-seed), or a vgg16/vgg19 .msgpack made by easel
import from torchvision's weights; only the layers up to the deepest one named are run.
Layers are named reluB_I (the ReLU after the I-th convolution of block B): relu1_1,
relu1_2, relu2_1, relu2_2, relu3_1, relu3_2, relu3_3, relu4_1 ... relu5_3 for VGG16.

The image is the only parameter, in RGB 0..255. --optimizer lbfgs (the default) takes --steps
iterations of L-BFGS (gonum's, with its line search: an iteration evaluates the loss once or
more; --lr is not used); --optimizer adam takes --steps Adam updates of learning rate --lr,
in pixel values (10 to 20 suit; L-BFGS gets much further in as many steps).
--log FILE.jsonl gets a line per step: step, content, style, tv and total (the weighted
terms) and ms (for L-BFGS also evals, the loss evaluations so far); Adam's step k has the
loss the k-th update started from, L-BFGS's step k the loss after k iterations (step 0:
the start). --sample-every N writes the image after every N-th step to OUT-STEP.png beside
--out (OUT-000050.png). --out is written once the last step is done, clamped to 0..255.
Noise is faint Gaussian noise around mid-grey (127.5 + 32·N(0,1), clamped), from --seed.`

func invertCmd() *cobra.Command {
	var f optFlags
	var in, layer, init string
	var size int
	cmd := &cobra.Command{
		Use:   "invert --in IMG --out REC.png [--layer relu3_3]",
		Short: "Reconstruct an image from one layer's features (Mahendran & Vedaldi)",
		Long: `Reconstruct an image from what one layer of a loss network keeps of it, as Mahendran &
Vedaldi (2015) invert representations: starting from noise (--init noise, --seed) or a flat
grey (--init gray), find the image x whose --layer features Φ(x) match those of --in, Φ₀,
minimising ‖Φ(x)−Φ₀‖²/‖Φ₀‖² + --tv-weight × TV(x), where TV, the total-variation prior, is
the sum of the squared differences of adjacent pixels per value (of 3·H·W). Shallow layers
give the image back almost exactly; deeper ones keep the layout and lose the detail, which
the prior fills in smoothly. --size scales --in so that its longer side is that many pixels
(0: as it is); the reconstruction has its size.

` + optDocs,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			if err := checkSide("size", size, 8, true); err != nil {
				return err
			}
			if init != "noise" && init != "gray" {
				return fmt.Errorf("--init %q: want noise or gray", init)
			}
			job := optJob{name: "invert", inputs: []string{in},
				loss: models.PerceptualLoss{ContentLayer: layer, ContentWeight: 1}}
			var err error
			if job.content, job.h, job.w, err = readRGB(in, size); err != nil {
				return fmt.Errorf("--in: %w", err)
			}
			if err := checkLayerSides("--in "+in, job.h, job.w, layer); err != nil {
				return err
			}
			job.start = noise(job.h, job.w, f.seed)
			if init == "gray" {
				for i := range job.start {
					job.start[i] = 127.5
				}
			}
			return runOptCmd(cmd, f, job)
		},
	}
	fl := cmd.Flags()
	addOptFlags(fl, &f, optFlags{steps: 200, optimizer: "lbfgs", lr: 10, tvWeight: 1e-4})
	fl.StringVar(&in, "in", "", "image to reconstruct (PNG or JPEG)")
	fl.StringVar(&layer, "layer", "relu3_3", "loss network layer whose features are matched")
	fl.IntVar(&size, "size", 128, "scale --in so that its longer side is this many pixels (0: as it is)")
	fl.StringVar(&init, "init", "noise", "starting image: noise or gray")
	cmd.MarkFlagRequired("in")
	return cmd
}

func textureCmd() *cobra.Command {
	var f optFlags
	var style, layers string
	var size, styleSize int
	cmd := &cobra.Command{
		Use:   "texture --style S --out T.png [--size 256]",
		Short: "Synthesise a texture from an image's Gram matrices (Gatys et al.)",
		Long: `Synthesise a --size × --size texture in the manner of --style, as Gatys, Ecker & Bethge
(2015) do: starting from noise (--seed), match the Gram matrices (channel correlations,
normalised by C·H·W) of the loss network's features at each of --layers to those of the
style image. Each layer's term, the mean squared difference of the Gram matrices, is divided
by the mean square of the style's, so that every layer counts alike; --tv-weight × TV (the
sum of squared differences of adjacent pixels per value) smooths. Deeper layers carry
larger structures. The style image is scaled so that its longer side is --style-size (0: as
it is).

` + optDocs,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			if err := checkSide("size", size, 8, false); err != nil {
				return err
			}
			if err := checkSide("style-size", styleSize, 8, true); err != nil {
				return err
			}
			names := splitLayers(layers)
			if len(names) == 0 {
				return fmt.Errorf("--layers %q: name at least one layer", layers)
			}
			job := optJob{name: "texture", inputs: []string{style}, h: size, w: size,
				loss: models.PerceptualLoss{StyleLayers: names, StyleWeight: 1}}
			var err error
			if job.style, job.sh, job.sw, err = readRGB(style, styleSize); err != nil {
				return fmt.Errorf("--style: %w", err)
			}
			if err := checkLayerSides("--style "+style, job.sh, job.sw, names...); err != nil {
				return err
			}
			if err := checkLayerSides("--size", size, size, names...); err != nil {
				return err
			}
			job.start = noise(size, size, f.seed)
			return runOptCmd(cmd, f, job)
		},
	}
	fl := cmd.Flags()
	addOptFlags(fl, &f, optFlags{steps: 200, optimizer: "lbfgs", lr: 10})
	fl.StringVar(&style, "style", "", "style image (PNG or JPEG)")
	fl.StringVar(&layers, "layers", "relu1_1,relu2_1,relu3_1", "loss network layers whose Gram matrices are matched, comma-separated")
	fl.IntVar(&size, "size", 256, "side of the texture")
	fl.IntVar(&styleSize, "style-size", 256, "scale the style image so that its longer side is this many pixels (0: as it is)")
	cmd.MarkFlagRequired("style")
	return cmd
}

func gatysCmd() *cobra.Command {
	var f optFlags
	var content, style, init, contentLayer, styleLayers string
	var size, styleSize int
	var alpha, beta float64
	cmd := &cobra.Command{
		Use:   "gatys --content C --style S --out O.png [--alpha 1 --beta 10]",
		Short: "Style transfer by optimising the image (Gatys et al.)",
		Long: `Paint --content in the style of --style as Gatys, Ecker & Bethge (2016) do, by optimising
the image itself: starting from the content image (--init content) or noise (--init noise,
--seed), minimise α × the content loss + β × the style loss + --tv-weight × TV, with
α = --alpha and β = --beta. The content loss is the mean squared difference of the
--content-layer features from the content image's, divided by their mean square; the style
loss sums over --style-layers the mean squared difference of the Gram matrices (normalised
by C·H·W) from the style image's, each divided by the mean square of the style's, so that
the terms have one scale whatever the loss network; TV is the sum of squared differences of
adjacent pixels per value. A larger β/α paints more, a smaller one keeps more of the photo.
--size scales the content image so that its longer side is that many pixels (0: as it is);
the output has its size. --style-size does the same for the style image.

` + optDocs,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			if err := checkSide("size", size, 8, true); err != nil {
				return err
			}
			if err := checkSide("style-size", styleSize, 8, true); err != nil {
				return err
			}
			weightOK := func(v float64) bool { return v >= 0 && v <= 1e15 }
			if !weightOK(alpha) || !weightOK(beta) || alpha == 0 && beta == 0 {
				return fmt.Errorf("--alpha %v --beta %v: want weights in 0..1e15, not both 0", alpha, beta)
			}
			if init != "content" && init != "noise" {
				return fmt.Errorf("--init %q: want content or noise", init)
			}
			names := splitLayers(styleLayers)
			if len(names) == 0 {
				return fmt.Errorf("--style-layers %q: name at least one layer", styleLayers)
			}
			if strings.TrimSpace(contentLayer) == "" {
				return fmt.Errorf("--content-layer: name a layer")
			}
			job := optJob{name: "gatys", inputs: []string{content, style}, loss: models.PerceptualLoss{
				ContentLayer: contentLayer, StyleLayers: names, ContentWeight: alpha, StyleWeight: beta}}
			var err error
			if job.content, job.h, job.w, err = readRGB(content, size); err != nil {
				return fmt.Errorf("--content: %w", err)
			}
			if job.style, job.sh, job.sw, err = readRGB(style, styleSize); err != nil {
				return fmt.Errorf("--style: %w", err)
			}
			if err := checkLayerSides("--content "+content, job.h, job.w, append(names, contentLayer)...); err != nil {
				return err
			}
			if err := checkLayerSides("--style "+style, job.sh, job.sw, names...); err != nil {
				return err
			}
			job.start = job.content
			if init == "noise" {
				job.start = noise(job.h, job.w, f.seed)
			}
			return runOptCmd(cmd, f, job)
		},
	}
	fl := cmd.Flags()
	addOptFlags(fl, &f, optFlags{steps: 100, optimizer: "lbfgs", lr: 10})
	fl.StringVar(&content, "content", "", "content image (PNG or JPEG)")
	fl.StringVar(&style, "style", "", "style image (PNG or JPEG)")
	fl.Float64Var(&alpha, "alpha", 1, "α, the weight of the content loss")
	fl.Float64Var(&beta, "beta", 10, "β, the weight of the style loss")
	fl.StringVar(&init, "init", "content", "starting image: content or noise")
	fl.StringVar(&contentLayer, "content-layer", "relu2_2", "loss network layer of the content loss")
	fl.StringVar(&styleLayers, "style-layers", "relu1_1,relu2_1,relu3_1", "loss network layers of the style loss, comma-separated")
	fl.IntVar(&size, "size", 256, "scale the content image so that its longer side is this many pixels (0: as it is)")
	fl.IntVar(&styleSize, "style-size", 256, "scale the style image so that its longer side is this many pixels (0: as it is)")
	cmd.MarkFlagRequired("content")
	cmd.MarkFlagRequired("style")
	return cmd
}

// runOptCmd creates the output, refusing to replace an input, and runs the job.
func runOptCmd(cmd *cobra.Command, f optFlags, job optJob) error {
	if err := refuseInput(f.out, job.inputs...); err != nil {
		return err
	}
	o, err := createOutput(f.out, ".png")
	if err != nil {
		return err
	}
	defer o.Abort()
	return optimizeImage(cmd, f, job, o)
}
