package models_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"easel/models"
)

// TestStyleStabilityTerm checks the stability term of StyleTrainer (Stability ×
// mean((f(x+n) − f(x))²), f(x) held constant) on a tiny TransformerNet against the
// float64 reference of transformer_train_test.go: the term's value, and its share of the
// parameter gradients, which with f(x) constant is Stability × the gradient of
// mean((f(x+n) − target)²) at target = f(x). Once alone (every perceptual weight 0) and
// once beside the perceptual loss, where the trainer's gradients less those of the same
// step without the term must be that share. A trainer without the term refuses noise
// and reports the term as 0; the terms they share agree.
func TestStyleStabilityTerm(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	vw, err := models.InitVGG(models.VGGConfig{Depth: 16, Convs: 4}, 5)
	if err != nil {
		t.Fatal(err)
	}
	vgg, err := models.NewVGG(dev, vw)
	if err != nil {
		t.Fatal(err)
	}
	defer vgg.Release()
	const batch, size, sh, sw = 2, 16, 20, 24
	rng := rand.New(rand.NewPCG(41, 7))
	style := make([]float32, 3*sh*sw)
	for i := range style {
		style[i] = float32(255 * rng.Float64())
	}
	x := make([]float32, batch*3*size*size)
	for i := range x {
		x[i] = float32(255 * rng.Float64())
	}
	noise := make([]float32, len(x))
	for i := range noise {
		noise[i] = float32(8 * rng.NormFloat64())
	}
	w := randomTransformer(tiny, rng)
	xs := []int{batch, 3, size, size}
	r := newRefTransformer(w, tiny)
	clean, _ := r.forward(f64(x), xs)
	noisy := make([]float64, len(x))
	for i := range x {
		noisy[i] = float64(x[i] + noise[i]) // the sum the device makes, in float32
	}
	mse, share := r.gradients(noisy, xs, clean)

	// step runs one step of a new trainer and returns its stats and gradients.
	step := func(t *testing.T, loss models.PerceptualLoss, stability float64) (models.StyleStepStats, map[string][]float32) {
		t.Helper()
		defer checkReleased(t, dev, dev.LiveBuffers(), "StyleTrainer")
		tc := models.StyleTrainConfig{Batch: batch, Size: size, LR: 1e-3, Loss: loss, Stability: stability}
		tr, err := models.NewStyleTrainer(dev, w, vgg, style, sh, sw, tc)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Release()
		err = tr.SetNoise(noise)
		switch {
		case stability == 0 && (err == nil || !strings.Contains(err.Error(), "weight is 0")):
			t.Errorf("SetNoise without the term: %v, want an error saying its weight is 0", err)
		case stability > 0 && err != nil:
			t.Fatal(err)
		}
		st, err := tr.Step(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		g, err := tr.Gradients(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]float32{}
		for _, tn := range g.Tensors {
			out[tn.Name] = tn.Data
		}
		return st, out
	}
	// compare checks got − base against stability × share, each error relative to the
	// largest |value| of the tensor's expected share or base gradient (at least 1e-3 of
	// the largest of all).
	compare := func(t *testing.T, got, base map[string][]float32, stability float64) {
		t.Helper()
		largest := 0.0
		for _, v := range share {
			for _, a := range v {
				largest = max(largest, stability*math.Abs(a))
			}
		}
		worst, worstAt := 0.0, ""
		for name, v := range share {
			scale := 1e-3 * largest
			for i, a := range v {
				scale = max(scale, stability*math.Abs(a))
				if base != nil {
					scale = max(scale, math.Abs(float64(base[name][i])))
				}
			}
			for i, a := range v {
				g := float64(got[name][i])
				if base != nil {
					g -= float64(base[name][i])
				}
				e := math.Abs(g-stability*a) / scale
				if !(e <= worst) {
					worst, worstAt = e, fmt.Sprintf("%s[%d]: %.6g, reference %.6g", name, i, g, stability*a)
				}
				if !(e <= 2e-3) {
					t.Errorf("%s[%d]: the term's gradient %.6g, reference %.6g (error %.1e of %.3g)", name, i, g, stability*a, e, scale)
				}
			}
		}
		t.Logf("gradients: worst error %.2e (%s)", worst, worstAt)
	}

	t.Run("alone", func(t *testing.T) {
		const stability = 0.7
		loss := models.PerceptualLoss{ContentLayer: "relu2_2", StyleLayers: []string{"relu1_2"}}
		st, got := step(t, loss, stability)
		want := stability * mse
		if e := math.Abs(st.Stability-want) / want; !(e <= 1e-4) {
			t.Errorf("stability term %.8g, reference %.8g (relative error %.1e)", st.Stability, want, e)
		}
		if st.Total != st.Stability || st.Content != 0 || st.Style != 0 || st.TV != 0 {
			t.Errorf("stats %+v: want only the stability term", st)
		}
		compare(t, got, nil, stability)
	})

	t.Run("with-perceptual", func(t *testing.T) {
		const stability = 500 // the term's gradients as large as the perceptual loss's
		loss := models.PerceptualLoss{ContentLayer: "relu2_2", StyleLayers: []string{"relu1_2", "relu2_2"},
			ContentWeight: 1.5, StyleWeight: 3, TVWeight: 1e-3, NormalizeStyle: true}
		off, base := step(t, loss, 0)
		if off.Stability != 0 {
			t.Errorf("stability term %v with weight 0, want 0", off.Stability)
		}
		on, got := step(t, loss, stability)
		for _, p := range [][3]any{{"content", on.Content, off.Content}, {"style", on.Style, off.Style}, {"tv", on.TV, off.TV}} {
			a, b := p[1].(float64), p[2].(float64)
			if e := math.Abs(a-b) / max(math.Abs(b), 1e-12); !(e <= 1e-6) {
				t.Errorf("%s term %.8g with the stability term, %.8g without", p[0], a, b)
			}
		}
		want := stability * mse
		if e := math.Abs(on.Stability-want) / want; !(e <= 1e-4) {
			t.Errorf("stability term %.8g, reference %.8g (relative error %.1e)", on.Stability, want, e)
		}
		sum := on.Content + on.Style + on.TV + on.Stability
		if e := math.Abs(on.Total-sum) / sum; !(e <= 1e-6) {
			t.Errorf("total %.8g, sum of the terms %.8g", on.Total, sum)
		}
		t.Logf("terms with the stability term: %+v; the reference term %.6g", on, want)
		compare(t, got, base, stability)
	})

	t.Run("refusals", func(t *testing.T) {
		for _, s := range []float64{-1, math.NaN(), math.Inf(1)} {
			tc := models.StyleTrainConfig{Batch: batch, Size: size, LR: 1e-3, Stability: s,
				Loss: models.PerceptualLoss{ContentLayer: "relu2_2", ContentWeight: 1}}
			if _, err := models.NewStyleTrainer(dev, w, vgg, style, sh, sw, tc); err == nil || !strings.Contains(err.Error(), "stability weight") {
				t.Errorf("stability %v: %v, want an error naming the stability weight", s, err)
			}
		}
	})
}
