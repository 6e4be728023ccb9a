package models

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
)

//go:generate go run ./defaults/gen -out defaults

// DefaultsSeed seeds the random initialisation of the embedded default models.
const DefaultsSeed = 20261126

// Configurations of the default models besides StandardTransformer. The style networks
// (starry-night, scream, great-wave) are light: half fast_neural_style's widths and 3
// residual blocks, fast enough for webcam frames. The face generator (dcgan-faces) has half
// the width of pytorch/examples' DCGAN (ngf 32, not 64): it trains in hours on two CPU
// cores and keeps the embedded defaults small.
var (
	LightTransformer = TransformerConfig{C1: 16, C2: 32, C3: 64, Blocks: 3}
	DefaultGenerator = GeneratorConfig{NZ: 100, NGF: 32, NC: 3}
)

// TrainedDefaults are the embedded models that Easel trained (scripts/train-defaults.sh
// makes them, each file's meta records its command): the fast style networks of three
// paintings, the face generator and the directions of its attributes, the digit GANs, and
// the classifiers that evaluate them.
var TrainedDefaults = []string{"starry-night", "scream", "great-wave", "cgan-mnist", "infogan-mnist",
	"dcgan-faces", "dcgan-faces-directions", "classifier-mnist", "classifier-faces"}

// UntrainedDefaults returns the untrained default as models/defaults/gen writes it into
// models/defaults/ for embedding: the standard TransformerNet with fast_neural_style's
// widths, randomly initialised as the reference implementation does it (seeded with
// DefaultsSeed), stored as f16. It is the workload of easel bench stylize, whose timings do
// not depend on the weights; its output is meaningless, nearly uniform (a network
// initialised this way maps every input to almost the same small values), and its meta says
// so.
func UntrainedDefaults() []*Weights {
	untrained := func(w *Weights, what, looks, output string) *Weights {
		w.Meta = Meta{
			Name: w.Arch,
			Description: fmt.Sprintf("UNTRAINED %s with random initialisation: its output is meaningless "+
				"(nearly uniform, %s), not a real %s. A placeholder until Easel ships trained weights.", what, looks, output),
			License: "CC0-1.0",
			Source:  fmt.Sprintf("Easel, go generate ./models (models/defaults/gen), seed %d", DefaultsSeed),
			Trained: false,
		}
		for i := range w.Tensors {
			w.Tensors[i].DType = F16
		}
		return w
	}
	return []*Weights{
		untrained(InitTransformerNet(StandardTransformer, defaultsRand(ArchTransformerNet)),
			"TransformerNet of pytorch/examples fast_neural_style (32/64/128 channels, 5 residual blocks)",
			"near black", "stylization"),
	}
}

// defaultsRand is the random stream of one default model: its own, so that adding a model
// changes none of the others.
func defaultsRand(name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(DefaultsSeed, h.Sum64()))
}
