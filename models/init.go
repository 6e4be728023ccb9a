package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Random initialisation as the reference implementations do it, for untrained weights
// (the embedded defaults, training from scratch). Tensors are filled in state_dict order
// from one stream of rng, so a seed gives the same weights on every machine.

// InitTransformerNet returns TransformerNet weights of config c initialised as PyTorch
// initialises a new fast_neural_style TransformerNet: every Conv2d's weight
// kaiming_uniform(a=√5) and bias uniform(±1/√fan_in), which are both uniform(±1/√fan_in);
// every affine InstanceNorm2d weight 1 and bias 0. Meta is a placeholder marked untrained,
// for the caller to complete.
func InitTransformerNet(c TransformerConfig, rng *rand.Rand) *Weights {
	w := &Weights{Arch: c.Arch(), Config: c.Config(), IO: transformerIO,
		Meta: Meta{Name: c.Arch(), License: "CC0-1.0", Source: "random initialisation"}}
	fanIn := 0
	for _, s := range c.specs() {
		t := newTensor(s)
		switch {
		case strings.HasSuffix(s.name, ".conv2d.weight"):
			fanIn = s.shape[1] * s.shape[2] * s.shape[3]
			fillUniform(t.Data, 1/math.Sqrt(float64(fanIn)), rng)
		case strings.HasSuffix(s.name, ".conv2d.bias"):
			// The bias follows its weight in the state_dict, so fanIn is the weight's.
			fillUniform(t.Data, 1/math.Sqrt(float64(fanIn)), rng)
		case strings.HasSuffix(s.name, ".weight"):
			fill(t.Data, 1)
		}
		w.Tensors = append(w.Tensors, t)
	}
	return w
}

// InitGenerator returns DCGAN Generator weights of config c initialised as pytorch/examples
// dcgan's weights_init does: convolution weights N(0, 0.02), BatchNorm weight N(1, 0.02)
// and bias 0, running mean 0 and variance 1 (a new BatchNorm2d's). Meta is a placeholder
// marked untrained.
func InitGenerator(c GeneratorConfig, rng *rand.Rand) *Weights {
	w := &Weights{Arch: c.Arch(), Config: c.Config(), IO: generatorIO(c.NC),
		Meta: Meta{Name: c.Arch(), License: "CC0-1.0", Source: "random initialisation"}}
	w.Tensors = initDCGAN(c.specs(), rng)
	return w
}

// InitDiscriminator is InitGenerator for the Discriminator.
func InitDiscriminator(c DiscriminatorConfig, rng *rand.Rand) *Weights {
	w := &Weights{Arch: c.Arch(), Config: c.Config(), IO: discriminatorIO(c.NC),
		Meta: Meta{Name: c.Arch(), License: "CC0-1.0", Source: "random initialisation"}}
	w.Tensors = initDCGAN(c.specs(), rng)
	return w
}

func initDCGAN(specs []tensorSpec, rng *rand.Rand) []Tensor {
	var ts []Tensor
	for _, s := range specs {
		t := newTensor(s)
		switch {
		case len(s.shape) == 4: // a convolution
			fillNormal(t.Data, 0, 0.02, rng)
		case strings.HasSuffix(s.name, ".weight"):
			fillNormal(t.Data, 1, 0.02, rng)
		case strings.HasSuffix(s.name, ".running_var"):
			fill(t.Data, 1)
		}
		ts = append(ts, t)
	}
	return ts
}

func newTensor(s tensorSpec) Tensor {
	t := Tensor{Name: s.name, Shape: slices.Clone(s.shape), DType: F32}
	t.Data = make([]float32, t.NumElements())
	return t
}

func fill(data []float32, v float32) {
	for i := range data {
		data[i] = v
	}
}

func fillUniform(data []float32, bound float64, rng *rand.Rand) {
	for i := range data {
		data[i] = float32((2*rng.Float64() - 1) * bound)
	}
}

func fillNormal(data []float32, mean, std float64, rng *rand.Rand) {
	for i := range data {
		data[i] = float32(mean + std*rng.NormFloat64())
	}
}
