package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"easel/internal/imagefile"
	"easel/models"
)

// The loss networks of the perceptual-loss commands (easel train style, invert, texture,
// gatys) and the images they read.

// lossNetFlags adds --loss-net, --loss-seed and --smooth.
func lossNetFlags(fl *pflag.FlagSet, name *string, seed *uint64, smooth *bool) {
	fl.StringVar(name, "loss-net", "random", "loss network: random (seeded VGG16), or a vgg16, vgg19 or mobilenetv2 .msgpack (easel import)")
	fl.Uint64Var(seed, "loss-seed", 1, "seed of the random loss network")
	fl.BoolVar(smooth, "smooth", false, "activation smoothing: a softmax over each feature map before the losses (default: on for mobilenetv2, off for VGG)")
}

// smoothing is --smooth as given, or its default for the loss network's arch: on for
// mobilenetv2, whose residual features need it, off for VGG.
func smoothing(fl *pflag.FlagSet, smooth bool, arch string) bool {
	if fl.Changed("smooth") {
		return smooth
	}
	return arch == models.ArchMobileNetV2
}

// modelAlias makes --model another name of --loss-net, for the commands that have no other
// model.
func modelAlias(fl *pflag.FlagSet) {
	fl.SetNormalizeFunc(func(_ *pflag.FlagSet, n string) pflag.NormalizedName {
		if n == "model" {
			n = "loss-net"
		}
		return pflag.NormalizedName(n)
	})
}

// splitLayers splits a comma-separated list of layer names, dropping blanks.
func splitLayers(s string) []string {
	var layers []string
	for _, l := range strings.Split(s, ",") {
		if l = strings.TrimSpace(l); l != "" {
			layers = append(layers, l)
		}
	}
	return layers
}

// lossNetwork returns the loss network's weights: a seeded random VGG16 cut after the
// deepest layer the loss needs, or a vgg16/vgg19 weights file.
func lossNetwork(name string, seed uint64, l models.PerceptualLoss) (*models.Weights, error) {
	if name != "random" {
		w, err := models.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("--loss-net: %w", err)
		}
		if !models.IsLossNet(w.Arch) {
			return nil, fmt.Errorf("--loss-net %s: weights of arch %q, want vgg16, vgg19 or mobilenetv2 (easel import)", name, w.Arch)
		}
		return w, nil
	}
	full := models.VGGConfig{Depth: 16, Convs: 13}
	deepest := -1
	for _, layer := range append([]string{l.ContentLayer}, l.StyleLayers...) {
		if layer == "" {
			continue
		}
		i, err := full.LayerIndex(layer)
		if err != nil {
			return nil, err
		}
		deepest = max(deepest, i)
	}
	if deepest < 0 {
		return nil, errors.New("the loss names no layer")
	}
	return models.InitVGG(models.VGGConfig{Depth: 16, Convs: deepest + 1}, seed)
}

// readRGB reads an image file as [3,H,W] RGB 0..255, its longer side scaled to side (0:
// kept).
func readRGB(path string, side int) ([]float32, int, int, error) {
	img, err := imagefile.Read(path)
	if err != nil {
		return nil, 0, 0, err
	}
	if side > 0 {
		img = imagefile.ResizeLonger(img, side)
	}
	b := img.Bounds()
	return models.ImageCHW(img), b.Dy(), b.Dx(), nil
}
