package models

import (
	"context"
	"fmt"
	"slices"

	"easel/autograd"
	"easel/gpu"
)

// LossNet is the loss network of a perceptual loss: a pretrained (or seeded random) feature
// stack run on autograd tapes, so that losses on its features can be differentiated with
// respect to the image. VGG and MobileNet are loss networks.
type LossNet interface {
	// Arch names the network (vgg16, vgg19, mobilenetv2).
	Arch() string
	// Layers is the number of loss layers the weights hold; LayerName(i) names layer i.
	Layers() int
	LayerName(i int) string
	// LayerIndex is the position of the loss layer called name, an error naming the valid
	// layers if there is none.
	LayerIndex(name string) (int, error)
	// Features records the stack on x [N,3,H,W] (RGB 0..255) through layer deepest and
	// returns the outputs of the layers want (each 0..deepest), in their order.
	Features(tp *autograd.Tape, x *autograd.Var, deepest int, want []int) []*autograd.Var
	// MinSide is the least image side the stack through layer deepest takes.
	MinSide(deepest int) int
	// FLOPs counts the forward arithmetic through layer deepest on one h×w image.
	FLOPs(deepest, h, w int) float64
	// Release frees the weights on the device.
	Release()
}

// NewLossNet uploads the weights of a loss network: vgg16, vgg19 or mobilenetv2.
func NewLossNet(dev *gpu.Device, w *Weights) (LossNet, error) {
	switch w.Arch {
	case ArchVGG16, ArchVGG19:
		return NewVGG(dev, w)
	case ArchMobileNetV2:
		return NewMobileNet(dev, w)
	}
	return nil, fmt.Errorf("loss network: weights are for arch %q, want %s, %s or %s", w.Arch, ArchVGG16, ArchVGG19, ArchMobileNetV2)
}

// IsLossNet reports whether weights of arch can serve as a loss network.
func IsLossNet(arch string) bool {
	return arch == ArchVGG16 || arch == ArchVGG19 || arch == ArchMobileNetV2
}

// lossFeatures records net's features at want (through deepest) and, with smooth, passes
// each through a softmax over each image's whole feature map: Wang et al.'s activation
// smoothing (CVPR 2021), which raises the entropy of the peaky activations of networks
// with residual connections (MobileNet, ResNet) so that their Gram matrices carry style as
// VGG's do. The softmax is scaled by the map's size C·H·W, to values of mean 1, so that
// the content term keeps a usable scale (the style terms are normalised anyway).
func lossFeatures(tp *autograd.Tape, net LossNet, smooth bool, x *autograd.Var, deepest int, want []int) []*autograd.Var {
	fs := net.Features(tp, x, deepest, want)
	if !smooth || tp.Err() != nil {
		return fs
	}
	for i, f := range fs {
		s := f.Shape()
		fs[i] = tp.Scale(tp.Softmax(f), float64(s[1]*s[2]*s[3]), 0)
	}
	return fs
}

// Arch is vgg16 or vgg19.
func (v *VGG) Arch() string { return v.Config.Arch() }

// Layers is the number of convolutions (each a loss layer, its ReLU) the weights hold.
func (v *VGG) Layers() int { return v.Config.Convs }

// LayerName is the name of layer i, e.g. relu3_3.
func (v *VGG) LayerName(i int) string { return VGGLayers(v.Config.Depth)[i] }

// LayerIndex is the position of the layer called name, e.g. relu3_3 → 6.
func (v *VGG) LayerIndex(name string) (int, error) { return v.Config.LayerIndex(name) }

// MinSide is the least image side that the stack through layer deepest takes.
func (v *VGG) MinSide(deepest int) int { return v.Config.MinSide(deepest) }

// FLOPs counts the forward arithmetic through layer deepest on one h×w image.
func (v *VGG) FLOPs(deepest, h, w int) float64 { return vggFLOPs(v.Config, deepest, h, w) }

// FeatureMaps runs one h×w image img ([1,3,H,W] flattened, RGB 0..255) through net and
// reads back the outputs of the layers want (LayerIndex), in their order.
func FeatureMaps(ctx context.Context, dev *gpu.Device, net LossNet, img []float32, h, w int, want []int) ([]FeatureMap, error) {
	arch := net.Arch()
	if len(want) == 0 {
		return nil, fmt.Errorf("%s: no layer asked for", arch)
	}
	if len(img) != 3*h*w {
		return nil, fmt.Errorf("%s: image of %d values, want 3×%d×%d", arch, len(img), h, w)
	}
	deepest := slices.Max(want)
	if slices.Min(want) < 0 || deepest >= net.Layers() {
		return nil, fmt.Errorf("%s: layer index outside 0..%d", arch, net.Layers()-1)
	}
	if m := net.MinSide(deepest); h < m || w < m {
		return nil, fmt.Errorf("%s: a %d×%d image is too small for %s: the downsampling before it needs at least %d pixels per side",
			arch, w, h, net.LayerName(deepest), m)
	}
	x, err := dev.FromData(img, 1, 3, h, w)
	if err != nil {
		return nil, fmt.Errorf("%s: upload the %d×%d image: %w", arch, w, h, err)
	}
	defer x.Release()
	b := dev.NewBatch()
	defer b.Release()
	tp := autograd.New(b)
	defer tp.Release()
	feats := net.Features(tp, tp.Constant(x), deepest, want)
	if err := tp.Err(); err != nil {
		return nil, fmt.Errorf("%s on a %d×%d image: %w", arch, w, h, err)
	}
	if err := b.Submit(); err != nil {
		return nil, fmt.Errorf("%s on a %d×%d image: %w", arch, w, h, err)
	}
	out := make([]FeatureMap, len(feats))
	for i, f := range feats {
		data, err := f.Tensor().Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: read %s: %w", arch, net.LayerName(want[i]), err)
		}
		out[i] = FeatureMap{Shape: slices.Clone(f.Shape()), Data: data}
	}
	return out, nil
}
