package models

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// importMeta is the placeholder provenance of an imported state_dict; the caller (easel
// import) fills in the real name, license and whether the weights are trained.
func importMeta(arch, source string) Meta {
	return Meta{
		Name:    arch,
		License: "NOASSERTION",
		Source:  source,
	}
}

// deprecatedInstanceNormStats matches the running statistics that the published
// fast_neural_style checkpoints carry for their InstanceNorm2d layers, written by a PyTorch
// that kept them; neural_style.py deletes them before load_state_dict, and so does import.
var deprecatedInstanceNormStats = regexp.MustCompile(`(^|\.)in\d+\.running_(mean|var)$`)

// ImportStateDict turns a PyTorch state_dict of a pytorch/examples network (read by
// ReadStateDict) into Weights of arch: transformer-net or transformer-net-light (either
// name; the result is transformer-net for the standard widths and 5 residual blocks, else
// transformer-net-light), dcgan-g or dcgan-d; or of torchvision's VGG, vgg16 or vgg19.
//
// The config is inferred from the tensors' shapes. What inference does not use is dropped:
// BatchNorm's num_batches_tracked, the InstanceNorm running statistics
// (inN.running_mean, inN.running_var) that the published fast_neural_style checkpoints
// carry, and VGG's classifier (classifier.*). A VGG keeps its feature stack: the
// convolutions features.N from the input up to the last one present, which may be any
// (config convs), so a state_dict cut after the layers a loss needs imports as such. The
// rest must be exactly the architecture's tensors; the error names every missing,
// unexpected and misshapen one. The IO spec is the reference implementation's
// convention; Meta is a placeholder (name = arch, license NOASSERTION, not trained) for
// the caller to fill in. Tensors come out in PyTorch's state_dict order, as f32.
func ImportStateDict(arch string, sd map[string]StateTensor) (*Weights, error) {
	transformer := arch == ArchTransformerNet || arch == ArchTransformerNetLight
	vgg := arch == ArchVGG16 || arch == ArchVGG19
	kept := map[string]StateTensor{}
	for name, t := range sd {
		if strings.HasSuffix(name, ".num_batches_tracked") || transformer && deprecatedInstanceNormStats.MatchString(name) ||
			vgg && strings.HasPrefix(name, "classifier.") {
			continue
		}
		kept[name] = t
	}
	// dim is dimension i of the rank-4 tensor name, or def when it is missing or misshapen
	// (Expect then names it).
	dim := func(name string, i, def int) int {
		if t, ok := kept[name]; ok && len(t.Shape) == 4 {
			return t.Shape[i]
		}
		return def
	}

	w := &Weights{Arch: arch}
	var specs []tensorSpec
	switch arch {
	case ArchTransformerNet, ArchTransformerNetLight:
		c := TransformerConfig{
			C1:     dim("conv1.conv2d.weight", 0, StandardTransformer.C1),
			C2:     dim("conv2.conv2d.weight", 0, StandardTransformer.C2),
			C3:     dim("conv3.conv2d.weight", 0, StandardTransformer.C3),
			Blocks: residualBlocks(kept),
		}
		if c.C1 > maxTransformerWidth || c.C2 > maxTransformerWidth || c.C3 > maxTransformerWidth || c.Blocks > maxTransformerBlocks {
			return nil, fmt.Errorf("import %s: widths %d, %d, %d and %d residual blocks exceed the limits %d and %d",
				arch, c.C1, c.C2, c.C3, c.Blocks, maxTransformerWidth, maxTransformerBlocks)
		}
		w.Arch, w.Config, w.IO = c.Arch(), c.Config(), transformerIO
		w.Meta = importMeta(w.Arch, "PyTorch state_dict of pytorch/examples fast_neural_style TransformerNet")
		specs = c.specs()
	case ArchDCGANGenerator:
		first := dim("main.0.weight", 1, 8)
		if first%8 != 0 {
			return nil, fmt.Errorf("import %s: tensor \"main.0.weight\" has shape %v: %d output channels, want a multiple of 8 (ngf·8)",
				arch, kept["main.0.weight"].Shape, first)
		}
		c := GeneratorConfig{NZ: dim("main.0.weight", 0, 100), NGF: first / 8, NC: dim("main.12.weight", 1, 3)}
		if c.NZ > maxDCGANWidth || c.NGF > maxDCGANWidth || c.NC > maxDCGANChannels {
			return nil, fmt.Errorf("import %s: nz %d, ngf %d, nc %d exceed the limits %d, %d, %d",
				arch, c.NZ, c.NGF, c.NC, maxDCGANWidth, maxDCGANWidth, maxDCGANChannels)
		}
		w.Config, w.IO = c.Config(), generatorIO(c.NC)
		w.Meta = importMeta(arch, "PyTorch state_dict of pytorch/examples dcgan Generator")
		specs = c.specs()
	case ArchDCGANDiscriminator:
		c := DiscriminatorConfig{NDF: dim("main.0.weight", 0, 64), NC: dim("main.0.weight", 1, 3)}
		if c.NDF > maxDCGANWidth || c.NC > maxDCGANChannels {
			return nil, fmt.Errorf("import %s: ndf %d, nc %d exceed the limits %d, %d",
				arch, c.NDF, c.NC, maxDCGANWidth, maxDCGANChannels)
		}
		w.Config, w.IO = c.Config(), discriminatorIO(c.NC)
		w.Meta = importMeta(arch, "PyTorch state_dict of pytorch/examples dcgan Discriminator")
		specs = c.specs()
	case ArchVGG16, ArchVGG19:
		c := VGGConfig{Depth: 16}
		if arch == ArchVGG19 {
			c.Depth = 19
		}
		// Count the convolutions present from the input on; Expect then names any tensor of
		// a later one as unexpected, and with none present, the first one's as missing.
		for _, l := range c.convs() {
			if _, ok := kept[fmt.Sprintf("features.%d.weight", l.idx)]; !ok {
				break
			}
			c.Convs++
		}
		c.Convs = max(c.Convs, 1)
		w.Config, w.IO = c.Config(), vggIO
		w.Meta = importMeta(arch, fmt.Sprintf("PyTorch state_dict of torchvision's %s (features through %s)", strings.ToUpper(arch), VGGLayers(c.Depth)[c.Convs-1]))
		specs = c.specs()
	default:
		return nil, fmt.Errorf("import: unknown arch %q (want %s, %s, %s, %s, %s or %s)", arch,
			ArchTransformerNet, ArchTransformerNetLight, ArchDCGANGenerator, ArchDCGANDiscriminator, ArchVGG16, ArchVGG19)
	}

	// Check the names and shapes as they are in the file before ordering them.
	names := make([]string, 0, len(kept))
	for name := range kept {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t := kept[name]
		w.Tensors = append(w.Tensors, Tensor{Name: name, Shape: t.Shape})
	}
	if err := w.Expect(specShapes(specs)); err != nil {
		if guess := guessArch(kept); guess != "" && guess != arch && !(transformer && guess == ArchTransformerNet) {
			return nil, fmt.Errorf("import %s: the keys look like a %s state_dict: %w", arch, guess, err)
		}
		return nil, fmt.Errorf("import %s: %w", arch, err)
	}
	w.Tensors = w.Tensors[:0]
	for _, s := range specs {
		t := Tensor{Name: s.name, Shape: slices.Clone(s.shape), Data: slices.Clone(kept[s.name].Data), DType: F32}
		if n := t.NumElements(); len(t.Data) != n {
			return nil, fmt.Errorf("import %s: tensor %q: %d values, shape %v needs %d", arch, s.name, len(t.Data), s.shape, n)
		}
		w.Tensors = append(w.Tensors, t)
	}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("import %s: %w", arch, err)
	}
	return w, nil
}

// guessArch names the architecture whose telltale keys sd has, or "" if none, for the
// error of an import under the wrong arch.
func guessArch(sd map[string]StateTensor) string {
	has := func(name string) bool { _, ok := sd[name]; return ok }
	switch {
	case has("conv1.conv2d.weight") || has("deconv3.conv2d.weight"):
		return ArchTransformerNet
	case has("main.12.weight") && !has("main.11.weight"):
		return ArchDCGANGenerator
	case has("main.11.weight") && !has("main.12.weight"):
		return ArchDCGANDiscriminator
	case has("features.1.running_mean"):
		return "VGG with batch norm (vgg16_bn, vgg19_bn; not supported)"
	case has("features.16.weight") || has("features.34.weight"): // vgg16's features.16 is a pool
		return ArchVGG19
	case has("features.17.weight"): // a pool in vgg19
		return ArchVGG16
	}
	return ""
}

// residualBlocks is the number of residual blocks a TransformerNet state_dict names: the
// highest N of any resN. tensor (Expect then reports any block with a gap before it).
func residualBlocks(sd map[string]StateTensor) int {
	n := 0
	for name := range sd {
		rest, ok := strings.CutPrefix(name, "res")
		if !ok {
			continue
		}
		num, _, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(num); err == nil && i > n && i <= maxTransformerBlocks+1 {
			n = i
		}
	}
	return n
}
