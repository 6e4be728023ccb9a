package models_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"easel/models"
)

// TestDCGANDivergenceIsAnError: a step whose figures are not finite is an error naming
// the figure, not a silently logged NaN.
func TestDCGANDivergenceIsAnError(t *testing.T) {
	dev := testDevice(t)
	rng := rand.New(rand.NewPCG(1, 2))
	g := models.InitGenerator(models.GeneratorConfig{NZ: 8, NGF: 4, NC: 3}, rng)
	d := models.InitDiscriminator(models.DiscriminatorConfig{NDF: 4, NC: 3}, rng)
	for i := range d.Tensors {
		if strings.HasSuffix(d.Tensors[i].Name, "running_var") {
			continue
		}
		for j := range d.Tensors[i].Data {
			d.Tensors[i].Data[j] *= 3e37
		}
	}
	tr, err := models.NewGANTrainer(dev, g, d, models.GANTrainConfig{Kind: models.GANKindDCGAN, Batch: 4, LR: 0.001, Beta1: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Release()
	real := make([]float32, 4*3*64*64)
	for i := range real {
		real[i] = float32(i%7)/7 - 0.5
	}
	z := make([]float32, 4*8)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	st, err := tr.Step(context.Background(), models.GANBatch{Real: real, Z: z})
	if err == nil || !strings.Contains(err.Error(), "diverged") {
		t.Fatalf("step on a diverged discriminator: %+v, error %v; want an error saying training diverged", st, err)
	}
	t.Log(err)
}
