package models_test

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"easel/models"
)

// ganInputs draws one iteration's inputs for tr: seeded images in -1..1, N(0,1) latents,
// classes and codes.
func ganInputs(tr *models.GANTrainer, rng *rand.Rand) models.GANBatch {
	n, side := tr.TC.Batch, tr.G.Side()
	in := models.GANBatch{
		Real: make([]float32, tr.RealBatches()*n*tr.G.NC*side*side),
		Z:    make([]float32, tr.ZBatches()*n*tr.G.NZ),
	}
	for i := range in.Real {
		in.Real[i] = float32(math.Tanh(rng.NormFloat64()))
	}
	for i := range in.Z {
		in.Z[i] = float32(rng.NormFloat64())
	}
	if k := tr.G.Classes + tr.G.Cat; k > 0 {
		for range n {
			in.FakeClass = append(in.FakeClass, rng.IntN(k))
			in.RealClass = append(in.RealClass, rng.IntN(k))
		}
	}
	if tr.G.Classes == 0 {
		in.RealClass = nil
	}
	for range n * tr.G.Cont {
		in.Cont = append(in.Cont, float32(2*rng.Float64()-1))
	}
	return in
}

// TestGANKinds runs two iterations of every kind on 32×32 networks and checks what each
// kind guarantees: probabilities in (0,1), the information loss of a fresh Q head near
// ln(cat), the critic's weights inside the clip box, figures that change between steps.
func TestGANKinds(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	for _, c := range []struct {
		kind string
		g    models.GeneratorConfig
		d    models.DiscriminatorConfig
	}{
		{models.GANKindDCGAN, models.GeneratorConfig{NZ: 6, NGF: 4, NC: 1, Size: 32}, models.DiscriminatorConfig{NDF: 4, NC: 1, Size: 32}},
		{models.GANKindCGAN, models.GeneratorConfig{NZ: 6, NGF: 4, NC: 1, Size: 32, Classes: 3}, models.DiscriminatorConfig{NDF: 4, NC: 1, Size: 32, Classes: 3}},
		{models.GANKindInfoGAN, models.GeneratorConfig{NZ: 5, NGF: 4, NC: 1, Size: 32, Cat: 10, Cont: 2}, models.DiscriminatorConfig{NDF: 4, NC: 1, Size: 32, Cat: 10, Cont: 2}},
		{models.GANKindWGAN, models.GeneratorConfig{NZ: 6, NGF: 4, NC: 3, Size: 32}, models.DiscriminatorConfig{NDF: 4, NC: 3, Size: 32}},
		{models.GANKindCGAN, models.GeneratorConfig{NZ: 6, NGF: 2, NC: 3, Classes: 2}, models.DiscriminatorConfig{NDF: 2, NC: 3, Classes: 2}},
	} {
		t.Run(c.kind, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			g, d := models.InitGenerator(c.g, rng), models.InitDiscriminator(c.d, rng)
			tc := models.GANTrainConfig{Kind: c.kind, Batch: 5, LR: 2e-3, Beta1: 0.5, InfoCat: 1, InfoCont: 0.1}
			switch c.kind {
			case models.GANKindWGAN:
				tc.LR, tc.Clip, tc.NCritic = 5e-3, 0.01, 3
			case models.GANKindInfoGAN:
				tc.LR = 1e-7 // the first G phase then sees Q as initialised
			}
			tr, err := models.NewGANTrainer(dev, g, d, tc)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Release()
			var prev []float64
			for step := range 2 {
				st, err := tr.Step(ctx, ganInputs(tr, rng))
				if err != nil {
					t.Fatal(err)
				}
				fig := map[string]float64{}
				for i, name := range tr.StatNames() {
					fig[name] = st.Values[i]
				}
				t.Logf("step %d: %v", step+1, fig)
				for name, v := range fig {
					if strings.HasPrefix(name, "d_") && !(v > 0 && v < 1) {
						t.Errorf("%s = %v, want a probability", name, v)
					}
				}
				if c.kind == models.GANKindInfoGAN && step == 0 {
					// Fresh Q: near-uniform logits, CE ≈ ln 10; codes ~U(-1,1) vs means ≈ 0: MSE ≈ 1/3.
					want := math.Log(10) + 0.1/3
					if li := fig["loss_info"]; math.Abs(li-want) > 0.3 {
						t.Errorf("loss_info %v at the first step, want ≈ %.3f", li, want)
					}
				}
				if c.kind == models.GANKindWGAN {
					if w := fig["wasserstein"]; math.Abs(w-(fig["critic_real"]-fig["critic_fake"])) > 1e-6 {
						t.Errorf("wasserstein %v is not critic_real - critic_fake", w)
					}
				}
				if prev != nil && c.kind != models.GANKindInfoGAN && slicesEqual(prev, st.Values) {
					t.Errorf("figures did not change between steps: %v", st.Values)
				}
				prev = st.Values
			}
			dw, err := tr.Discriminator(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c.kind == models.GANKindWGAN {
				for _, tt := range dw.Tensors {
					if strings.Contains(tt.Name, "running_") {
						continue
					}
					for _, v := range tt.Data {
						if math.Abs(float64(v)) > 0.01+1e-7 {
							t.Fatalf("critic %s holds %v outside the clip box ±0.01", tt.Name, v)
						}
					}
				}
			}
			gw, err := tr.Generator(ctx)
			if err != nil {
				t.Fatal(err)
			}
			gen, err := models.NewGenerator(dev, gw)
			if err != nil {
				t.Fatal(err)
			}
			defer gen.Release()
			plan, err := gen.Plan(2)
			if err != nil {
				t.Fatal(err)
			}
			defer plan.Release()
			if s := plan.Output.Shape(); s[1] != c.g.NC || s[2] != tr.G.Side() {
				t.Errorf("trained generator makes %v", s)
			}
		})
	}
}

func slicesEqual(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestGANTrainerRejects: mismatched networks and bad settings are errors naming them.
func TestGANTrainerRejects(t *testing.T) {
	dev := testDevice(t)
	rng := rand.New(rand.NewPCG(1, 1))
	g32 := models.InitGenerator(models.GeneratorConfig{NZ: 4, NGF: 2, NC: 1, Size: 32}, rng)
	d64 := models.InitDiscriminator(models.DiscriminatorConfig{NDF: 2, NC: 1}, rng)
	d32 := models.InitDiscriminator(models.DiscriminatorConfig{NDF: 2, NC: 1, Size: 32}, rng)
	cg := models.InitGenerator(models.GeneratorConfig{NZ: 4, NGF: 2, NC: 1, Size: 32, Classes: 10}, rng)
	for _, c := range []struct {
		name string
		g, d *models.Weights
		tc   models.GANTrainConfig
		want string
	}{
		{"sizes", g32, d64, models.GANTrainConfig{Kind: "dcgan", Batch: 4, LR: 1e-3}, "32×32"},
		{"arch", cg, d32, models.GANTrainConfig{Kind: "dcgan", Batch: 4, LR: 1e-3}, "want dcgan-g and dcgan-d"},
		{"kind", g32, d32, models.GANTrainConfig{Kind: "lsgan", Batch: 4, LR: 1e-3}, "lsgan"},
		{"clip", g32, d32, models.GANTrainConfig{Kind: "wgan", Batch: 4, LR: 1e-3, NCritic: 5}, "clip"},
		{"batch", g32, d32, models.GANTrainConfig{Kind: "dcgan", Batch: 1, LR: 1e-3}, "batch size 1"},
	} {
		tr, err := models.NewGANTrainer(dev, c.g, c.d, c.tc)
		if err == nil {
			tr.Release()
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.want)
		}
	}
}

// TestDirections: a directions file round-trips through Encode/Decode, and bad ones are
// errors naming the direction.
func TestDirections(t *testing.T) {
	w, err := models.NewDirections("dcgan-faces", 3, []string{"glasses", "smile"}, [][]float32{{1, 2, 3}, {-1, 0, 0.5}}, models.Meta{Name: "d", License: "CC0-1.0", Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := models.Encode(&buf, w); err != nil {
		t.Fatal(err)
	}
	back, err := models.Decode(&buf, 0)
	if err != nil {
		t.Fatal(err)
	}
	d, err := models.DirectionsOf(back)
	if err != nil {
		t.Fatal(err)
	}
	if d.Model != "dcgan-faces" || d.NZ != 3 || !slices.Equal(d.Get("smile"), []float32{-1, 0, 0.5}) || d.Get("beard") != nil {
		t.Errorf("decoded %+v", d)
	}
	if _, err := models.NewDirections("g", 3, []string{"x"}, [][]float32{{1, 2}}, w.Meta); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("a short direction: %v", err)
	}
	back.Tensors[1].Data[2] = float32(math.NaN())
	if _, err := models.DirectionsOf(back); err == nil || !strings.Contains(err.Error(), `"smile"`) {
		t.Errorf("a NaN direction: %v", err)
	}
}

// TestInstanceNoise: noise of scale 0 changes nothing (the same figures as no noise, to
// the bit), noise of a real scale changes what D sees; a batch without its noise is an
// error.
func TestInstanceNoise(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	gc := models.GeneratorConfig{NZ: 6, NGF: 4, NC: 1, Size: 32}
	dc := models.DiscriminatorConfig{NDF: 4, NC: 1, Size: 32}
	run := func(noise bool, scale float64) []float64 {
		rng := rand.New(rand.NewPCG(9, 9))
		g, d := models.InitGenerator(gc, rng), models.InitDiscriminator(dc, rng)
		tr, err := models.NewGANTrainer(dev, g, d, models.GANTrainConfig{Kind: "dcgan", Batch: 4, LR: 2e-3, Beta1: 0.5, RealLabel: 0.9, InstanceNoise: noise})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Release()
		in := ganInputs(tr, rng)
		if noise {
			in.Noise = make([]float32, 2*4*32*32)
			for i := range in.Noise {
				in.Noise[i] = float32(rng.NormFloat64())
			}
			in.NoiseScale = scale
		}
		st, err := tr.Step(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if noise {
			in.Noise = in.Noise[:10]
			if err := tr.Submit(in); err == nil || !strings.Contains(err.Error(), "instance noise") {
				t.Errorf("short noise: %v", err)
			}
		}
		return st.Values
	}
	plain, zero, noisy := run(false, 0), run(true, 0), run(true, 0.5)
	t.Logf("no noise %v\nscale 0 %v\nscale 0.5 %v", plain, zero, noisy)
	if !slicesEqual(plain, zero) {
		t.Error("noise of scale 0 changed the figures")
	}
	if slicesEqual(plain, noisy) {
		t.Error("noise of scale 0.5 changed nothing")
	}
}
