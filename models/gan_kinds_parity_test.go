package models_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"easel/models"
)

// The fixtures of the cgan, infogan and wgan parity test come from
// models/testdata/make_gan_kinds.py: three iterations of each algorithm in real PyTorch,
// at seeds and learning rates where float32 rounding cannot move the result by more than a
// small part of the tolerances (the script checks this against float64 training).
const ganKindsDir = "testdata/gankinds"

// ganKindsFixture is a kind's config.json: the networks' configs and the hyperparameters.
type ganKindsFixture struct {
	models.GANTrainConfig
	G models.GeneratorConfig
	D models.DiscriminatorConfig
}

func readGANKindsFixture(t *testing.T, kind string) ganKindsFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ganKindsDir, kind, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f ganKindsFixture
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s/config.json: %v", kind, err)
	}
	if f.Kind != kind {
		t.Fatalf("%s/config.json is for kind %q", kind, f.Kind)
	}
	return f
}

// stateDictInto replaces the values of w's tensors with those of the state_dict file at
// path, which must hold exactly w's tensors, shapes included.
func stateDictInto(t *testing.T, path string, w *models.Weights) *models.Weights {
	t.Helper()
	sd, err := models.ReadStateDict(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(sd) != len(w.Tensors) {
		t.Fatalf("%s: %d tensors, %s has %d", path, len(sd), w.Arch, len(w.Tensors))
	}
	for i := range w.Tensors {
		wt := &w.Tensors[i]
		st, ok := sd[wt.Name]
		if !ok {
			t.Fatalf("%s: no tensor %q", path, wt.Name)
		}
		if !slices.Equal(st.Shape, wt.Shape) {
			t.Fatalf("%s: %q has shape %v, %s wants %v", path, wt.Name, st.Shape, w.Arch, wt.Shape)
		}
		wt.Data = st.Data
	}
	return w
}

// TestGANKindsMatchPyTorch runs three iterations of cgan, infogan and wgan on the
// fixture's networks and inputs and compares every figure per step and every tensor of
// both networks after training (weights and running statistics) with PyTorch's.
func TestGANKindsMatchPyTorch(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	var x []float32
	var labels []int64
	xs := readNpyInto(t, filepath.Join(ganKindsDir, "x.npy"), &x)
	readNpyInto(t, filepath.Join(ganKindsDir, "labels.npy"), &labels)
	for _, kind := range []string{models.GANKindCGAN, models.GANKindInfoGAN, models.GANKindWGAN} {
		t.Run(kind, func(t *testing.T) {
			f := readGANKindsFixture(t, kind)
			dir := filepath.Join(ganKindsDir, kind)
			rng := rand.New(rand.NewPCG(1, 2)) // overwritten by the fixture's values
			g := stateDictInto(t, filepath.Join(dir, "g_init.pth"), models.InitGenerator(f.G, rng))
			d := stateDictInto(t, filepath.Join(dir, "d_init.pth"), models.InitDiscriminator(f.D, rng))
			tr, err := models.NewGANTrainer(dev, g, d, f.GANTrainConfig)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.Release()

			var z, cont []float32
			var classes []int64
			var figures []float64
			zs := readNpyInto(t, filepath.Join(dir, "z.npy"), &z)
			fs := readNpyInto(t, filepath.Join(dir, "figures.npy"), &figures)
			switch kind {
			case models.GANKindCGAN:
				readNpyInto(t, filepath.Join(dir, "fake_class.npy"), &classes)
			case models.GANKindInfoGAN:
				readNpyInto(t, filepath.Join(dir, "code.npy"), &classes)
				readNpyInto(t, filepath.Join(dir, "cont.npy"), &cont)
			}
			n := f.Batch
			steps, per := zs[0], xs[1]*xs[2]*xs[3]
			batches := xs[0] / n
			if zs[1] != tr.ZBatches() || zs[2] != n || fs[0] != steps || fs[1] != len(tr.StatNames()) {
				t.Fatalf("fixture shapes z %v, figures %v do not fit %d latent batches of %d and %d figures",
					zs, fs, tr.ZBatches(), n, len(tr.StatNames()))
			}
			perZ := len(z) / steps
			ints := func(v []int64) []int {
				out := make([]int, len(v))
				for i, c := range v {
					out[i] = int(c)
				}
				return out
			}
			// The critic's figures are of order 1e-2 (its weights are clipped): 1e-3 would not
			// see a wrong one.
			figTol := 1e-3
			if kind == models.GANKindWGAN {
				figTol = 1e-5
			}
			worstFig := 0.0
			for i := range steps {
				var in models.GANBatch
				for k := range tr.RealBatches() {
					b := (i*tr.RealBatches() + k) % batches
					in.Real = append(in.Real, x[b*n*per:(b+1)*n*per]...)
					if kind == models.GANKindCGAN {
						in.RealClass = ints(labels[b*n : (b+1)*n])
					}
				}
				in.Z = z[i*perZ : (i+1)*perZ]
				if classes != nil {
					in.FakeClass = ints(classes[i*n : (i+1)*n])
				}
				if cont != nil {
					in.Cont = cont[i*n*f.G.Cont : (i+1)*n*f.G.Cont]
				}
				st, err := tr.Step(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				want := figures[i*fs[1] : (i+1)*fs[1]]
				for j, name := range tr.StatNames() {
					diff := math.Abs(st.Values[j] - want[j])
					worstFig = max(worstFig, diff)
					if !(diff <= figTol) {
						t.Errorf("step %d %s = %.6f, PyTorch %.6f (tolerance %.0e)", i+1, name, st.Values[j], want[j], figTol)
					}
				}
				t.Logf("step %d: %v %.6f, PyTorch %.6f (%.0f ms)", i+1, tr.StatNames(), st.Values, want, st.Millis)
			}
			t.Logf("worst |figure - PyTorch's| over %d steps: %.2e", steps, worstFig)

			gotG, err := tr.Generator(ctx)
			if err != nil {
				t.Fatal(err)
			}
			gotD, err := tr.Discriminator(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				got  *models.Weights
				file string
				want *models.Weights
			}{
				{gotG, "g_trained.pth", models.InitGenerator(f.G, rng)},
				{gotD, "d_trained.pth", models.InitDiscriminator(f.D, rng)},
			} {
				want := stateDictInto(t, filepath.Join(dir, c.file), c.want)
				compareTrained(t, c.file, c.got, want)
			}
		})
	}
}
