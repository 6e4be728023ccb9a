package models_test

import (
	"context"
	"fmt"
	"testing"

	"easel/gpu"
	"easel/models"
)

// transformerWeights makes TransformerNet weights of config c with small made-up values.
func transformerWeights(tb testing.TB, c models.TransformerConfig) *models.Weights {
	tb.Helper()
	w, err := models.ImportStateDict(c.Arch(), stateDict(c.Shapes()))
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

// transformerFLOPs counts the multiply-adds (×2) of TransformerNet's convolutions on an
// h×w input, h and w multiples of 4.
func transformerFLOPs(c models.TransformerConfig, h, w int) float64 {
	px := float64(h * w)
	conv := func(in, out, k int, pixels float64) float64 { return 2 * float64(in*out*k*k) * pixels }
	f := conv(3, c.C1, 9, px) + conv(c.C1, c.C2, 3, px/4) + conv(c.C2, c.C3, 3, px/16)
	f += float64(2*c.Blocks) * conv(c.C3, c.C3, 3, px/16)
	f += conv(c.C3, c.C2, 3, px/4) + conv(c.C2, c.C1, 3, px) + conv(c.C1, 3, 9, px)
	return f
}

// BenchmarkTransformerNet times one frame (Run and a wait for the output) after the plan is
// recorded and its kernels compiled. Run with -benchtime 3x on a CPU driver.
func BenchmarkTransformerNet(b *testing.B) {
	dev := testDevice(b)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		cfg  models.TransformerConfig
		h, w int
	}{
		{"light16-32-64x3/256x256", models.TransformerConfig{C1: 16, C2: 32, C3: 64, Blocks: 3}, 256, 256},
		{"standard/128x128", models.StandardTransformer, 128, 128},
		{"standard/256x256", models.StandardTransformer, 256, 256},
	} {
		b.Run(c.name, func(b *testing.B) {
			m, err := models.NewTransformerNet(dev, transformerWeights(b, c.cfg))
			if err != nil {
				b.Fatal(err)
			}
			defer m.Release()
			p, err := m.Plan(1, c.h, c.w)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Release()
			in := make([]float32, p.Input.Len())
			for i := range in {
				in[i] = float32(i % 256)
			}
			if err := p.Input.Write(in); err != nil {
				b.Fatal(err)
			}
			wait := func() {
				if err := p.Run(); err != nil {
					b.Fatal(err)
				}
				if _, err := p.Output.Read(ctx); err != nil {
					b.Fatal(err)
				}
			}
			wait() // compile
			b.ResetTimer()
			for range b.N {
				wait()
			}
			s := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(s*1e3, "ms/frame")
			b.ReportMetric(transformerFLOPs(c.cfg, c.h, c.w)/s/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkDCGAN times one batch of 16 through the generator and the discriminator of
// pytorch/examples' default widths.
func BenchmarkDCGAN(b *testing.B) {
	dev := testDevice(b)
	ctx := context.Background()
	g, err := models.ImportStateDict(models.ArchDCGANGenerator, stateDict(models.GeneratorConfig{NZ: 100, NGF: 64, NC: 3}.Shapes()))
	if err != nil {
		b.Fatal(err)
	}
	d, err := models.ImportStateDict(models.ArchDCGANDiscriminator, stateDict(models.DiscriminatorConfig{NDF: 64, NC: 3}.Shapes()))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		plan func(dev *gpu.Device) (*models.Plan, func(), error)
	}{
		{"G", func(dev *gpu.Device) (*models.Plan, func(), error) {
			m, err := models.NewGenerator(dev, g)
			if err != nil {
				return nil, nil, err
			}
			p, err := m.Plan(16)
			return p, m.Release, err
		}},
		{"D", func(dev *gpu.Device) (*models.Plan, func(), error) {
			m, err := models.NewDiscriminator(dev, d)
			if err != nil {
				return nil, nil, err
			}
			p, err := m.Plan(16)
			return p, m.Release, err
		}},
	} {
		b.Run(fmt.Sprintf("%s/batch16", c.name), func(b *testing.B) {
			p, release, err := c.plan(dev)
			if release != nil {
				defer release()
			}
			if err != nil {
				b.Fatal(err)
			}
			defer p.Release()
			if err := p.Input.Write(make([]float32, p.Input.Len())); err != nil {
				b.Fatal(err)
			}
			for i := range b.N + 1 {
				if i == 1 {
					b.ResetTimer()
				}
				if err := p.Run(); err != nil {
					b.Fatal(err)
				}
				if _, err := p.Output.Read(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/batch")
		})
	}
}
