package models

import (
	"fmt"
	"math"
	"slices"
)

// ArchLatentDirections is the architecture name of a set of latent directions: named
// vectors in a generator's latent space (e.g. "glasses": the mean latent of samples with
// glasses minus that of samples without), for the lecture's latent arithmetic. Config:
// nz (the latent size) and model (the generator's name). Each tensor is one direction,
// shape [nz], named after its attribute.
const ArchLatentDirections = "latent-directions"

// Directions are latent directions decoded from a weights file.
type Directions struct {
	Model   string // the generator they belong to
	NZ      int
	Names   []string
	Vectors [][]float32 // Vectors[i] is direction Names[i], nz values
}

// NewDirections makes the weights file of directions for generator model (latent size nz).
func NewDirections(model string, nz int, names []string, vectors [][]float32, meta Meta) (*Weights, error) {
	if len(names) != len(vectors) || len(names) == 0 {
		return nil, fmt.Errorf("%s: %d names for %d vectors", ArchLatentDirections, len(names), len(vectors))
	}
	w := &Weights{Arch: ArchLatentDirections, Config: Config{"nz": nz, "model": model},
		IO:   IOSpec{Input: Signal{Kind: SignalLatent}, Output: Signal{Kind: SignalLatent}},
		Meta: meta}
	for i, name := range names {
		if len(vectors[i]) != nz {
			return nil, fmt.Errorf("%s: direction %q has %d values, want nz = %d", ArchLatentDirections, name, len(vectors[i]), nz)
		}
		w.Tensors = append(w.Tensors, Tensor{Name: name, Shape: []int{nz}, Data: slices.Clone(vectors[i]), DType: F32})
	}
	if _, err := DirectionsOf(w); err != nil {
		return nil, err
	}
	return w, nil
}

// DirectionsOf checks w (arch latent-directions, config, one finite [nz] tensor per
// direction) and returns its directions.
func DirectionsOf(w *Weights) (*Directions, error) {
	if w.Arch != ArchLatentDirections {
		return nil, fmt.Errorf("weights are for arch %q, want %s", w.Arch, ArchLatentDirections)
	}
	if err := checkConfig(w.Arch, w.Config, "nz", "model"); err != nil {
		return nil, err
	}
	nz, err := configInt(w.Arch, w.Config, "nz", 1, maxDCGANWidth)
	if err != nil {
		return nil, err
	}
	model, err := w.Config.Text("model")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", w.Arch, err)
	}
	if len(w.Tensors) == 0 {
		return nil, fmt.Errorf("%s: no directions", w.Arch)
	}
	d := &Directions{Model: model, NZ: nz}
	for _, t := range w.Tensors {
		if len(t.Shape) != 1 || t.Shape[0] != nz || len(t.Data) != nz {
			return nil, fmt.Errorf("%s: direction %q has shape %v, want [%d]", w.Arch, t.Name, t.Shape, nz)
		}
		for _, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("%s: direction %q holds %v", w.Arch, t.Name, v)
			}
		}
		if slices.Contains(d.Names, t.Name) {
			return nil, fmt.Errorf("%s: direction %q appears twice", w.Arch, t.Name)
		}
		d.Names = append(d.Names, t.Name)
		d.Vectors = append(d.Vectors, t.Data)
	}
	return d, nil
}

// Get returns the direction named name, or nil.
func (d *Directions) Get(name string) []float32 {
	if i := slices.Index(d.Names, name); i >= 0 {
		return d.Vectors[i]
	}
	return nil
}
