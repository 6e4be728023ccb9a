package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"easel/internal/tfjs"
	"easel/models"
)

func importCmd() *cobra.Command {
	var arch, from, out, name, license, description, dtype string
	var trained bool
	var blocks int
	cmd := &cobra.Command{
		Use:   "import --arch ARCH --from FILE.pth --out FILE.msgpack",
		Short: "Convert a PyTorch state_dict into an Easel weights file",
		Long: `Convert a torch.save(model.state_dict()) file of a pytorch/examples network or of
torchvision's VGG into an Easel weights file (docs/WEIGHTS.md). Both torch.save formats are
read: the zip one of PyTorch 1.6 on and the legacy one before it.

--arch is transformer-net (fast_neural_style; widths and residual blocks are read from the
tensors, and non-standard ones make a transformer-net-light), dcgan-g or dcgan-d (dcgan's
Generator and Discriminator), or vgg16 or vgg19 (torchvision's VGG, e.g. its published
vgg16-397923af.pth, as a loss network for easel train style and easel features: the
classifier is dropped, and the feature stack is kept up to its last convolution present, so
a state_dict cut after the deepest layer needed makes a smaller file), or mobilenetv2 (a
TF.js Keras MobileNetV2 such as the one in the npm package nsfwjs: --from is its folder,
e.g. nsfwjs/dist/models/mobilenet_v2, or its model.json; bundled .min.js models are read
too; batch norms are folded into the convolutions, and --blocks keeps the stem and the
first N inverted residual blocks). The tensors must be
exactly the architecture's: the error names every missing, unexpected or misshapen one. The
published fast_neural_style checkpoints work as they are.

Imported weights are taken to be trained (--trained=false marks an initialisation). Give
their name and licence: --license takes an SPDX identifier and defaults to NOASSERTION.
The output is written atomically.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dt, err := parseDType(dtype)
			if err != nil {
				return err
			}
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(out), filepath.Ext(out))
			}
			if err := refuseInput(out, from); err != nil {
				return err
			}
			w, err := importWeights(arch, from, blocks)
			if err != nil {
				return err
			}
			w.Meta.Name = name
			w.Meta.Description = description
			w.Meta.License = license
			w.Meta.Source = fmt.Sprintf("%s, imported from %s", w.Meta.Source, filepath.Base(from))
			w.Meta.Trained = trained
			for i := range w.Tensors {
				w.Tensors[i].DType = dt
			}
			if err := models.WriteFile(out, w); err != nil {
				return fmt.Errorf("write %s: %w", out, unwrapPath(err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (%s), %d tensors, %d parameters (%s)\n",
				out, w.Arch, formatConfig(w.Config), len(w.Tensors), paramCount(w), dt)
			noteUntrained(cmd.ErrOrStderr(), name, w)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&arch, "arch", "", fmt.Sprintf("architecture: %s, %s, %s, %s, %s or %s", models.ArchTransformerNet,
		models.ArchTransformerNetLight, models.ArchDCGANGenerator, models.ArchDCGANDiscriminator, models.ArchVGG16, models.ArchVGG19)+" or "+models.ArchMobileNetV2)
	f.StringVar(&from, "from", "", "PyTorch state_dict file (torch.save), or a TF.js model (folder or model.json) for mobilenetv2")
	f.IntVar(&blocks, "blocks", 17, "mobilenetv2: inverted residual blocks to keep, 1..17")
	f.StringVar(&out, "out", "", "weights file to write (.msgpack)")
	f.StringVar(&name, "name", "", "model name (default: the output file's name without extension)")
	f.StringVar(&license, "license", "NOASSERTION", "licence of the weights, an SPDX identifier")
	f.StringVar(&description, "description", "", "description of the model (style, training data)")
	f.BoolVar(&trained, "trained", true, "the weights are trained (false for an initialisation)")
	f.StringVar(&dtype, "dtype", "f32", "storage of the values: f32, or f16 for half the size")
	for _, req := range []string{"arch", "from", "out"} {
		cmd.MarkFlagRequired(req)
	}
	return cmd
}

// parseDType reads --dtype: f32 or f16.
func parseDType(s string) (models.DType, error) {
	switch s {
	case "f32":
		return models.F32, nil
	case "f16":
		return models.F16, nil
	}
	return 0, fmt.Errorf("--dtype %q: want f32 or f16", s)
}

// importWeights reads a PyTorch state_dict, or for mobilenetv2 a TF.js model, as weights of
// arch.
func importWeights(arch, from string, blocks int) (*models.Weights, error) {
	if arch == models.ArchMobileNetV2 {
		m, err := tfjs.Read(from)
		if err != nil {
			return nil, err
		}
		w, err := models.ImportTFJS(m, blocks)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
		return w, nil
	}
	sd, err := models.ReadStateDict(from)
	if err != nil {
		return nil, err
	}
	w, err := models.ImportStateDict(arch, sd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return w, nil
}
