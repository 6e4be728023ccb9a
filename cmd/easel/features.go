package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/internal/npy"
	"easel/internal/tmpfile"
	"easel/models"
)

func featuresCmd() *cobra.Command {
	var modelName, layerList, in, out string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "features --model NET --layers relu1_2,relu3_3 --in IMAGE --out DIR",
		Short: "Write a VGG's feature maps of an image as .npy files",
		Long: `Run an image through a VGG feature stack, the loss network of easel train style, and
write the activations of each --layers layer to DIR/LAYER.npy: float32, [1,C,H,W].

--model is a vgg16 or vgg19 weights file (easel import --arch vgg16 makes one from
torchvision's weights), or "random": a VGG16 with seeded random weights (--seed) as easel
train style's default loss network uses. The layers are named after the ReLU that ends
them, reluB_I for the I-th convolution of block B (relu1_1 to relu5_3 in VGG16, to relu5_4
in VGG19); only the stack up to the deepest one named is run. The image (PNG or JPEG) is
taken at its own size, RGB in 0..255 (alpha dropped), normalised inside as torchvision's
VGG expects; each max pool halves the sides, flooring.

DIR is created if need be; each file is written atomically.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return features(cmd, modelName, layerList, in, out, seed)
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelName, "model", "", `VGG weights (vgg16 or vgg19 .msgpack), or "random"`)
	f.StringVar(&layerList, "layers", "", "layers to write, comma-separated, e.g. relu1_2,relu2_2,relu3_3")
	f.StringVar(&in, "in", "", "input image (PNG or JPEG)")
	f.StringVar(&out, "out", "", "output directory (created)")
	f.Uint64Var(&seed, "seed", 1, "seed of the random VGG16 (--model random)")
	for _, req := range []string{"model", "layers", "in", "out"} {
		cmd.MarkFlagRequired(req)
	}
	return cmd
}

// parseLayers splits --layers into names, refusing an empty list and repeats.
func parseLayers(list string) ([]string, error) {
	var names []string
	for _, l := range strings.Split(list, ",") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if slices.Contains(names, l) {
			return nil, fmt.Errorf("--layers: %s named twice", l)
		}
		names = append(names, l)
	}
	if len(names) == 0 {
		return nil, errors.New("--layers names no layer")
	}
	return names, nil
}

// featureNet returns the weights --model names, their config and the indices of the layers
// in them: a weights file, or a random VGG16 cut after the deepest layer.
func featureNet(cmd *cobra.Command, name string, layers []string, seed uint64) (*models.Weights, models.VGGConfig, []int, error) {
	var w *models.Weights
	c := models.VGGConfig{Depth: 16}
	if name == "random" {
		c.Convs = c.MaxConvs()
	} else {
		var err error
		if w, err = loadModel(cmd, name, models.ArchVGG16, models.ArchVGG19); err != nil {
			return nil, c, nil, err
		}
		if c, err = models.VGGConfigOf(w); err != nil {
			return nil, c, nil, fmt.Errorf("model %s: %w", name, err)
		}
	}
	idx := make([]int, len(layers))
	for i, l := range layers {
		var err error
		if idx[i], err = c.LayerIndex(l); err != nil {
			return nil, c, nil, fmt.Errorf("--layers: %w", err)
		}
	}
	if w == nil {
		c.Convs = slices.Max(idx) + 1
		var err error
		if w, err = models.InitVGG(c, seed); err != nil {
			return nil, c, nil, err
		}
	}
	return w, c, idx, nil
}

func features(cmd *cobra.Command, modelName, layerList, in, out string, seed uint64) error {
	start := time.Now()
	layers, err := parseLayers(layerList)
	if err != nil {
		return err
	}
	w, c, idx, err := featureNet(cmd, modelName, layers, seed)
	if err != nil {
		return err
	}
	deepest := slices.Max(idx)
	x, h, wd, err := readRGB(in, 0)
	if err != nil {
		return err
	}
	if m := c.MinSide(deepest); h < m || wd < m {
		return fmt.Errorf("input image %s: %d×%d pixels: the max pools before %s need at least %d pixels per side",
			in, wd, h, models.VGGLayers(c.Depth)[deepest], m)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}

	dev, err := gpu.Open(cmd.Context())
	if err != nil {
		return err
	}
	defer dev.Close()
	vgg, err := models.NewVGG(dev, w)
	if err != nil {
		return fmt.Errorf("model %s: %w", modelName, err)
	}
	defer vgg.Release()
	maps, err := vgg.FeatureMaps(cmd.Context(), x, h, wd, idx)
	if err != nil {
		return err
	}
	for i, m := range maps {
		path := filepath.Join(out, layers[i]+".npy")
		if err := tmpfile.Write(path, func(f io.Writer) error { return npy.WriteFloat32(f, m.Shape, m.Data) }); err != nil {
			return fmt.Errorf("write %s: %w", path, unwrapPath(err))
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: %v\n", path, m.Shape)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s (%s through %s) on %d×%d pixels in %v on %s\n", modelName, w.Arch,
		models.VGGLayers(c.Depth)[deepest], wd, h, time.Since(start).Round(time.Millisecond), dev.Adapter().Name)
	return nil
}
