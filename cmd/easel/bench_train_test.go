package main

import (
	"context"
	"strings"
	"testing"

	"easel/gpu"
	"easel/models"
)

func TestBenchTrain(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "train", "dcgan", "--batch", "2", "--nz", "8", "--ngf", "4", "--ndf", "4", "--runs", "2", "--warmup", "1"},
		{"bench", "train", "transformer-net", "--model", "light", "--size", "16", "--runs", "2", "--warmup", "0"},
		{"bench", "train", "gan", "--kind", "cgan", "--classes", "3", "--batch", "2", "--nz", "8", "--ngf", "4", "--ndf", "4", "--runs", "1", "--warmup", "1"},
	} {
		stdout, _ := mustEasel(t, args...)
		for _, want := range []string{"adapter: ", "median", "memory:  ", "MiB", "GFLOP/s"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("easel %s: output lacks %q", strings.Join(args, " "), want)
			}
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "train", "dcgan", "--batch", "1"}, "--batch 1"},
		{[]string{"bench", "train", "dcgan", "--nc", "2"}, "--nc 2"},
		{[]string{"bench", "train", "transformer-net", "--size", "4"}, "--size 4"},
		{[]string{"bench", "train", "transformer-net", "--model", "dcgan-g"}, "dcgan-g"},
		{[]string{"bench", "train", "gan", "--kind", "lsgan"}, "lsgan"},
		{[]string{"bench", "train", "gan", "--kind", "dcgan", "--classes", "10"}, "--classes"},
		{[]string{"bench", "train", "gan", "--kind", "infogan", "--cat", "1"}, "--cat 1"},
		{[]string{"bench", "train", "gan", "--kind", "wgan", "--size", "48"}, "--size 48"},
		{[]string{"bench", "train", "gan", "--kind", "wgan", "--n-critic", "0"}, "--n-critic 0"},
	} {
		if _, _, err := runEasel(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("easel %s: error %v, want one naming %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// TestBenchTrainGANFLOPs: the work counted for each kind equals what
// scripts/torch_train_bench.py's forward hooks count for the same PyTorch iteration (3×
// each convolution that autograd records, 1× under no_grad): the figures below are its
// counts.
func TestBenchTrainGANFLOPs(t *testing.T) {
	for _, c := range []struct {
		name       string
		kind       string
		batch      int
		g          models.GeneratorConfig
		ndf, crit  int
		torchFLOPs float64
	}{
		{"dcgan 64", models.GANKindDCGAN, 2, models.GeneratorConfig{NZ: 8, NGF: 4, NC: 3}, 4, 0, 28379136},
		{"cgan 32", models.GANKindCGAN, 2, models.GeneratorConfig{NZ: 8, NGF: 4, NC: 1, Size: 32, Classes: 10}, 4, 0, 9894912},
		{"cgan 64", models.GANKindCGAN, 2, models.GeneratorConfig{NZ: 8, NGF: 4, NC: 3, Classes: 3}, 4, 0, 35475456},
		{"infogan 32", models.GANKindInfoGAN, 2, models.GeneratorConfig{NZ: 8, NGF: 4, NC: 1, Size: 32, Cat: 10, Cont: 2}, 4, 0, 4826112},
		{"infogan 64", models.GANKindInfoGAN, 2, models.GeneratorConfig{NZ: 8, NGF: 4, NC: 3, Cat: 4, Cont: 3}, 4, 0, 30016512},
		{"wgan 64", models.GANKindWGAN, 2, models.GeneratorConfig{NZ: 8, NGF: 4, NC: 3}, 4, 2, 47298560},
		{"wgan 32", models.GANKindWGAN, 3, models.GeneratorConfig{NZ: 6, NGF: 5, NC: 1, Size: 32}, 4, 5, 22261248},
	} {
		g := c.g
		d := models.DiscriminatorConfig{NDF: c.ndf, NC: g.NC, Size: g.Size, Classes: g.Classes, Cat: g.Cat, Cont: g.Cont}
		tc := models.GANTrainConfig{Kind: c.kind, Batch: c.batch, NCritic: c.crit}
		if got, _ := ganBenchFLOPs(tc, g, d); got != c.torchFLOPs {
			t.Errorf("%s: %.0f FLOPs, PyTorch's hooks count %.0f", c.name, got, c.torchFLOPs)
		}
	}
}

func TestBenchTrainPerceptual(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "train", "style", "--net", "light", "--size", "16", "--batch", "1", "--runs", "1", "--warmup", "0"},
		{"bench", "train", "gatys", "--size", "16", "--runs", "2", "--warmup", "0"},
	} {
		stdout, _ := mustEasel(t, args...)
		for _, want := range []string{"adapter: ", "loss network vgg16 to relu4_3 (10 convolutions)", "median", "MiB the loss network's weights", "GFLOP/s"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("easel %s: output lacks %q:\n%s", strings.Join(args, " "), want, stdout)
			}
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "train", "style", "--size", "18"}, "--size 18"},
		{[]string{"bench", "train", "style", "--batch", "0"}, "--batch 0"},
		{[]string{"bench", "train", "style", "--net", "wide"}, `--net "wide"`},
		{[]string{"bench", "train", "style", "--style-layers", "relu1_2,relu6_1"}, "relu6_1"},
		{[]string{"bench", "train", "gatys", "--size", "8"}, "--size 8"},
		{[]string{"bench", "train", "gatys", "--content-layer", "conv4_2"}, "conv4_2"},
		{[]string{"bench", "train", "gatys", "--content-layer", "", "--style-layers", ""}, "no layer"},
	} {
		if _, _, err := runEasel(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("easel %s: error %v, want one naming %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// TestBenchTrainPerceptualFLOPs: the work counted for a style step and a Gatys iteration
// equals what scripts/torch_train_bench.py's forward hooks count for its train-style and
// gatys cases on the same shapes and layers (3× the convolutions autograd records, 1× the
// loss network on the crops under no_grad): the figures below are its counts.
func TestBenchTrainPerceptualFLOPs(t *testing.T) {
	dev, err := gpu.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	for _, c := range []struct {
		name           string
		gatys          bool
		net            models.TransformerConfig
		batch, size    int
		content, style string
		torchFLOPs     float64
	}{
		{"style light 16", false, models.LightTransformer, 1, 16, styleBenchContent, styleBenchStyle, 526270464},
		{"style 8/8/16/2 batch 2, 20", false, models.TransformerConfig{C1: 8, C2: 8, C3: 16, Blocks: 2}, 2, 20, "relu1_2", "relu2_1", 362073600},
		{"gatys 16", true, models.TransformerConfig{}, 1, 16, gatysBenchContent, gatysBenchStyle, 427327488},
		{"gatys 24 to relu3_3", true, models.TransformerConfig{}, 1, 24, "relu3_3", "relu1_2", 642981888},
	} {
		lf := lossBenchFlags{contentLayer: c.content, styleLayers: c.style, seed: 1}
		loss, lossNet, err := lf.loss(1, 1)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var b *trainBench
		if c.gatys {
			b, err = prepareGatysBench(dev, lossNet, 1, loss, c.size)
		} else {
			b, err = prepareStyleBench(dev, c.net, lossNet, 1, loss, c.batch, c.size)
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b.release()
		if b.flops != c.torchFLOPs {
			t.Errorf("%s: %.0f FLOPs, PyTorch's hooks count %.0f", c.name, b.flops, c.torchFLOPs)
		}
	}
}
