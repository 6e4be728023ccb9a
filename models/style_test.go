package models_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"easel/autograd"
	"easel/models"
	"easel/optim"
)

// TestVGGConfig checks the layer table of VGG16 and VGG19 (names, torchvision's
// `features` indices with the max pools between blocks) and the refusals of Check and
// LayerIndex.
func TestVGGConfig(t *testing.T) {
	if n := (models.VGGConfig{Depth: 16}).MaxConvs(); n != 13 {
		t.Errorf("vgg16 has %d convolutions, want 13", n)
	}
	if n := (models.VGGConfig{Depth: 19}).MaxConvs(); n != 16 {
		t.Errorf("vgg19 has %d convolutions, want 16", n)
	}
	l16 := models.VGGLayers(16)
	if len(l16) != 13 || l16[0] != "relu1_1" || l16[6] != "relu3_3" || l16[12] != "relu5_3" {
		t.Errorf("VGGLayers(16) = %v", l16)
	}
	l19 := models.VGGLayers(19)
	if len(l19) != 16 || l19[7] != "relu3_4" || l19[15] != "relu5_4" {
		t.Errorf("VGGLayers(19) = %v", l19)
	}
	// torchvision's vgg16().features: conv at 0, 2, (pool 4) 5, 7, (pool 9) 10, 12, 14,
	// (pool 16) 17, 19, 21, (pool 23) 24, 26, 28.
	shapes := models.VGGConfig{Depth: 16, Convs: 13}.Shapes()
	for name, want := range map[string][]int{
		"features.0.weight": {64, 3, 3, 3}, "features.2.weight": {64, 64, 3, 3}, "features.5.weight": {128, 64, 3, 3},
		"features.10.weight": {256, 128, 3, 3}, "features.17.weight": {512, 256, 3, 3}, "features.28.weight": {512, 512, 3, 3},
		"features.28.bias": {512},
	} {
		if !slices.Equal(shapes[name], want) {
			t.Errorf("vgg16 %s: shape %v, want %v", name, shapes[name], want)
		}
	}
	if len(shapes) != 26 {
		t.Errorf("vgg16 has %d tensors, want 26", len(shapes))
	}
	if s := (models.VGGConfig{Depth: 19, Convs: 16}).Shapes(); s["features.34.weight"] == nil || len(s) != 32 {
		t.Errorf("vgg19: %d tensors, features.34.weight %v; want 32 and the last convolution at 34", len(s), s["features.34.weight"])
	}
	if s := (models.VGGConfig{Depth: 16, Convs: 3}).Shapes(); len(s) != 6 || s["features.5.weight"] == nil {
		t.Errorf("vgg16 cut after 3 convolutions: %v", s)
	}

	for _, c := range []struct {
		c    models.VGGConfig
		want string // "" for valid
	}{
		{models.VGGConfig{Depth: 16, Convs: 13}, ""},
		{models.VGGConfig{Depth: 19, Convs: 16}, ""},
		{models.VGGConfig{Depth: 16, Convs: 1}, ""},
		{models.VGGConfig{Depth: 17, Convs: 5}, "depth is 17"},
		{models.VGGConfig{Depth: 0, Convs: 5}, "want 16 or 19"},
		{models.VGGConfig{Depth: 16, Convs: 0}, "convs is 0, want 1..13"},
		{models.VGGConfig{Depth: 16, Convs: 14}, "convs is 14, want 1..13"},
		{models.VGGConfig{Depth: 19, Convs: -1}, "want 1..16"},
	} {
		err := c.c.Check()
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.c, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one saying %q", c.c, err, c.want)
		}
	}

	for _, c := range []struct {
		c     models.VGGConfig
		layer string
		want  int
		err   []string
	}{
		{models.VGGConfig{Depth: 16, Convs: 13}, "relu3_3", 6, nil},
		{models.VGGConfig{Depth: 16, Convs: 13}, "relu1_1", 0, nil},
		{models.VGGConfig{Depth: 19, Convs: 16}, "relu3_4", 7, nil},
		{models.VGGConfig{Depth: 19, Convs: 16}, "relu5_4", 15, nil},
		{models.VGGConfig{Depth: 16, Convs: 4}, "relu2_2", 3, nil},
		{models.VGGConfig{Depth: 16, Convs: 13}, "relu3_4", 0, []string{`no layer "relu3_4"`, "relu5_3"}},
		{models.VGGConfig{Depth: 16, Convs: 13}, "", 0, []string{`no layer ""`}},
		{models.VGGConfig{Depth: 16, Convs: 13}, "conv1_1", 0, []string{`no layer "conv1_1"`, "relu1_1"}},
		{models.VGGConfig{Depth: 16, Convs: 3}, "relu2_2", 0, []string{"past the 3 convolutions", "deepest: relu2_1"}},
	} {
		i, err := c.c.LayerIndex(c.layer)
		if c.err == nil {
			if err != nil || i != c.want {
				t.Errorf("%+v LayerIndex(%q) = %d, %v; want %d", c.c, c.layer, i, err, c.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("%+v LayerIndex(%q) = %d, want an error", c.c, c.layer, i)
			continue
		}
		for _, w := range c.err {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v LayerIndex(%q): error %q does not say %q", c.c, c.layer, err, w)
			}
		}
	}
}

// TestInitVGG checks torchvision's initialisation of a new VGG: every weight normal with
// mean 0 and std √(2/(out·3·3)) (kaiming_normal, fan_out, relu) and every bias 0; and that
// a seed gives one network. Each statistic must lie within 5 standard errors of its
// expected value (fan_in's std differs from fan_out's by 15..94% on these layers, normal's
// share within one std from uniform's by 0.1, both far beyond that).
func TestInitVGG(t *testing.T) {
	c := models.VGGConfig{Depth: 16, Convs: 4}
	w, err := models.InitVGG(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	if w.Arch != models.ArchVGG16 || len(w.Tensors) != 8 {
		t.Fatalf("InitVGG: arch %q with %d tensors, want vgg16 with 8", w.Arch, len(w.Tensors))
	}
	for _, tn := range w.Tensors {
		if len(tn.Shape) == 1 {
			for i, v := range tn.Data {
				if v != 0 {
					t.Errorf("%s[%d] = %g, want 0", tn.Name, i, v)
					break
				}
			}
			continue
		}
		n := float64(len(tn.Data))
		want := math.Sqrt(2 / float64(tn.Shape[0]*9))
		var sum, sq float64
		within := 0
		for _, v := range tn.Data {
			sum += float64(v)
			sq += float64(v) * float64(v)
			if math.Abs(float64(v)) <= want {
				within++
			}
		}
		mean := sum / n
		std := math.Sqrt(sq/n - mean*mean)
		frac := float64(within) / n
		const pNormal = 0.6826894921370859 // P(|X| ≤ σ) of a normal
		t.Logf("%s %v: mean %.2e, std %.5f (want %.5f), %.4f within one std (normal %.4f)", tn.Name, tn.Shape, mean, std, want, frac, pNormal)
		if tol := 5 * want / math.Sqrt(n); !(math.Abs(mean) <= tol) {
			t.Errorf("%s: mean %.3e, want 0 ± %.1e", tn.Name, mean, tol)
		}
		if tol := 5 / math.Sqrt(2*n); !(math.Abs(std/want-1) <= tol) {
			t.Errorf("%s: std %.5f, want %.5f (±%.1f%%)", tn.Name, std, want, 100*tol)
		}
		if tol := 5 * math.Sqrt(pNormal*(1-pNormal)/n); !(math.Abs(frac-pNormal) <= tol) {
			t.Errorf("%s: %.4f of the values within one std, a normal has %.4f (±%.4f)", tn.Name, frac, pNormal, tol)
		}
	}
	again, err := models.InitVGG(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	other, err := models.InitVGG(c, 8)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Tensors[0].Data, w.Tensors[0].Data) {
		t.Error("InitVGG with one seed gave two networks")
	}
	if slices.Equal(other.Tensors[0].Data, w.Tensors[0].Data) {
		t.Error("InitVGG with seeds 7 and 8 gave one network")
	}
	if _, err := models.InitVGG(models.VGGConfig{Depth: 11, Convs: 3}, 1); err == nil {
		t.Error("InitVGG of depth 11: no error")
	}
}

// TestPerceptualLossRefusals checks that NewVGG, NewStyleTrainer, NewImageOptimizer,
// StyleGrams and the step functions refuse bad input with an error that names the fault
// (and without panicking).
func TestPerceptualLossRefusals(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	vc := models.VGGConfig{Depth: 16, Convs: 3} // relu1_1, relu1_2, relu2_1
	vw, err := models.InitVGG(vc, 1)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	net := models.InitTransformerNet(models.TransformerConfig{C1: 4, C2: 8, C3: 8, Blocks: 1}, rng)

	wantErr := func(t *testing.T, what string, err error, says ...string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", what)
			return
		}
		for _, s := range says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not say %q", what, err, s)
			}
		}
	}

	t.Run("NewVGG", func(t *testing.T) {
		_, err := models.NewVGG(dev, net)
		wantErr(t, "transformer weights", err, "transformer-net-light", "vgg16")
		bad := *vw
		bad.Arch = models.ArchVGG19
		_, err = models.NewVGG(dev, &bad)
		wantErr(t, "vgg16 weights called vgg19", err, "vgg19", "depth is 16")
		bad = *vw
		bad.Config = models.Config{"depth": 16, "convs": 3, "width": 2}
		_, err = models.NewVGG(dev, &bad)
		wantErr(t, "unknown config key", err, "width")
		bad = *vw
		bad.Config = models.Config{"depth": 16, "convs": 4}
		_, err = models.NewVGG(dev, &bad)
		wantErr(t, "config of more convolutions than tensors", err, "features.7")
		bad = *vw
		bad.Config = models.Config{"depth": 16, "convs": 14}
		_, err = models.NewVGG(dev, &bad)
		wantErr(t, "14 convolutions of vgg16", err, "convs is 14")
	})

	vgg, err := models.NewVGG(dev, vw)
	if err != nil {
		t.Fatal(err)
	}
	defer vgg.Release()
	style := make([]float32, 3*12*10)
	for i := range style {
		style[i] = float32(rng.IntN(256))
	}
	good := models.StyleTrainConfig{Batch: 2, Size: 16, LR: 1e-3, Loss: models.PerceptualLoss{
		ContentLayer: "relu1_2", StyleLayers: []string{"relu1_1", "relu2_1"}, ContentWeight: 1, StyleWeight: 1, TVWeight: 1e-6, NormalizeStyle: true}}

	t.Run("NewStyleTrainer", func(t *testing.T) {
		for _, c := range []struct {
			name string
			edit func(tc *models.StyleTrainConfig)
			says []string
		}{
			{"batch 0", func(tc *models.StyleTrainConfig) { tc.Batch = 0 }, []string{"batch 0", "1..256"}},
			{"batch 257", func(tc *models.StyleTrainConfig) { tc.Batch = 257 }, []string{"batch 257"}},
			{"size not a multiple of 4", func(tc *models.StyleTrainConfig) { tc.Size = 18 }, []string{"18×18", "multiple of 4"}},
			{"size 12", func(tc *models.StyleTrainConfig) { tc.Size = 12 }, []string{"12×12", "16..2048"}},
			{"size 2052", func(tc *models.StyleTrainConfig) { tc.Size = 2052 }, []string{"2052×2052"}},
			{"lr 0", func(tc *models.StyleTrainConfig) { tc.LR = 0 }, []string{"learning rate 0"}},
			{"lr NaN", func(tc *models.StyleTrainConfig) { tc.LR = math.NaN() }, []string{"learning rate NaN"}},
			{"lr +Inf", func(tc *models.StyleTrainConfig) { tc.LR = math.Inf(1) }, []string{"learning rate +Inf"}},
			{"unknown content layer", func(tc *models.StyleTrainConfig) { tc.Loss.ContentLayer = "relu9_1" }, []string{`"relu9_1"`, "relu1_1"}},
			{"content layer past the weights", func(tc *models.StyleTrainConfig) { tc.Loss.ContentLayer = "relu2_2" }, []string{"relu2_2", "past the 3 convolutions"}},
			{"unknown style layer", func(tc *models.StyleTrainConfig) { tc.Loss.StyleLayers = []string{"relu1_1", "pool1"} }, []string{`"pool1"`}},
			{"style layer twice", func(tc *models.StyleTrainConfig) { tc.Loss.StyleLayers = []string{"relu1_1", "relu1_1"} }, []string{"relu1_1 named twice"}},
			{"no layers", func(tc *models.StyleTrainConfig) { tc.Loss.ContentLayer, tc.Loss.StyleLayers = "", nil }, []string{"no content layer and no style layers"}},
			{"negative weight", func(tc *models.StyleTrainConfig) { tc.Loss.TVWeight = -1 }, []string{"weight -1"}},
			{"NaN weight", func(tc *models.StyleTrainConfig) { tc.Loss.StyleWeight = math.NaN() }, []string{"weight NaN"}},
			{"infinite weight", func(tc *models.StyleTrainConfig) { tc.Loss.ContentWeight = math.Inf(1) }, []string{"weight +Inf"}},
		} {
			tc := good
			tc.Loss.StyleLayers = slices.Clone(good.Loss.StyleLayers)
			c.edit(&tc)
			tr, err := models.NewStyleTrainer(dev, net, vgg, style, 12, 10, tc)
			if tr != nil {
				tr.Release()
			}
			wantErr(t, c.name, err, c.says...)
		}
		_, err := models.NewStyleTrainer(dev, vw, vgg, style, 12, 10, good)
		wantErr(t, "VGG weights as the network", err, `"vgg16"`, "transformer-net")
		_, err = models.NewStyleTrainer(dev, net, vgg, style[:100], 12, 10, good)
		wantErr(t, "style image of the wrong length", err, "100 values", "3×12×10")
		_, err = models.NewStyleTrainer(dev, net, vgg, nil, 12, 10, good)
		wantErr(t, "no style image", err, "0 values")
		_, err = models.NewStyleTrainer(dev, net, vgg, []float32{1, 2, 3}, 1, 1, good)
		wantErr(t, "style image too small for relu2_1's pool", err, "style image 1×1")

		// A loss network of zero weights has all-zero features: no style to normalise by.
		zero := *vw
		zero.Tensors = slices.Clone(vw.Tensors)
		for i := range zero.Tensors {
			zero.Tensors[i].Data = make([]float32, len(vw.Tensors[i].Data))
		}
		zv, err := models.NewVGG(dev, &zero)
		if err != nil {
			t.Fatal(err)
		}
		defer zv.Release()
		_, err = models.NewStyleTrainer(dev, net, zv, style, 12, 10, good)
		wantErr(t, "all-zero Gram matrices", err, "all zero")

		tr, err := models.NewStyleTrainer(dev, net, vgg, style, 12, 10, good)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Release()
		_, err = tr.Step(ctx, make([]float32, 10))
		wantErr(t, "a step on crops of the wrong size", err, "step 1", "input")
		if tr.Steps() != 0 {
			t.Errorf("a refused step counted: %d steps", tr.Steps())
		}
	})

	const h, w = 12, 9
	content := make([]float32, 3*h*w)
	for i := range content {
		content[i] = float32(rng.IntN(256))
	}
	gatys := good.Loss
	texture := models.PerceptualLoss{StyleLayers: []string{"relu1_2"}, StyleWeight: 1}
	adam := optim.DefaultAdam()
	t.Run("NewImageOptimizer", func(t *testing.T) {
		for _, c := range []struct {
			name             string
			l                models.PerceptualLoss
			h, w             int
			content, style   []float32
			sh, sw           int
			says             []string
			adam             *optim.Adam
			alsoWithoutAdam_ bool
		}{
			{"height 7", gatys, 7, w, content[:3*7*w], style, 12, 10, []string{"9×7", "8..4096"}, &adam, false},
			{"width 4097", gatys, h, 4097, content, style, 12, 10, []string{"4097×12"}, &adam, false},
			{"no content image", gatys, h, w, nil, style, 12, 10, []string{"content image is needed"}, &adam, false},
			{"a content image with no content layer", texture, h, w, content, style, 12, 10, []string{"content image is needed exactly when"}, &adam, false},
			{"no style image", gatys, h, w, content, nil, 12, 10, []string{"style image is needed"}, &adam, false},
			{"a style image with no style layers", models.PerceptualLoss{ContentLayer: "relu1_1", ContentWeight: 1}, h, w, content, style, 12, 10, []string{"style image is needed exactly when"}, &adam, false},
			{"content of the wrong size", gatys, h, w, content[:50], style, 12, 10, []string{"content image: 50 values", "3×12×9"}, &adam, false},
			{"style of the wrong size", gatys, h, w, content, style, 10, 10, []string{"style image: 360 values", "3×10×10"}, &adam, false},
			{"unknown layer", models.PerceptualLoss{ContentLayer: "relu4_4", ContentWeight: 1}, h, w, content, nil, 0, 0, []string{`"relu4_4"`}, &adam, false},
			{"NaN weight", models.PerceptualLoss{ContentLayer: "relu1_1", ContentWeight: math.NaN()}, h, w, content, nil, 0, 0, []string{"weight NaN"}, &adam, false},
			{"bad Adam", gatys, h, w, content, style, 12, 10, []string{"learning rate"}, &optim.Adam{LR: -1}, false},
		} {
			o, err := models.NewImageOptimizer(dev, vgg, c.l, c.h, c.w, c.content, c.style, c.sh, c.sw, c.adam)
			if o != nil {
				o.Release()
			}
			wantErr(t, c.name, err, c.says...)
		}

		o, err := models.NewImageOptimizer(dev, vgg, gatys, h, w, content, style, 12, 10, &adam)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Release()
		_, _, err = o.Evaluate(ctx, nil)
		wantErr(t, "Evaluate with Adam", err, "use Step")
		wantErr(t, "an image of the wrong size", o.SetImage(content[:30]))
		if o.Steps() != 0 {
			t.Errorf("refused calls counted: %d steps", o.Steps())
		}

		e, err := models.NewImageOptimizer(dev, vgg, texture, h, w, nil, style, 12, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Release()
		_, err = e.Step(ctx)
		wantErr(t, "Step without Adam", err, "use Evaluate")
		_, _, err = e.Evaluate(ctx, content[:30])
		wantErr(t, "Evaluate at an image of the wrong size", err)
	})

	t.Run("StyleGrams", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			layers []int
			n      int
			says   string
		}{
			{"no layers", nil, 1, "no style layers"},
			{"no copies", []int{0}, 0, "0 copies"},
			{"negative layer", []int{0, -1}, 1, "layer -1"},
			{"layer past the weights", []int{3}, 1, "layer 3, want 0..2"},
		} {
			g, err := models.StyleGrams(dev, vgg, false, style, 12, 10, c.layers, c.n)
			for _, x := range g {
				x.Release()
			}
			wantErr(t, c.name, err, c.says)
		}
		_, err := models.StyleGrams(dev, vgg, false, nil, 0, 0, []int{0}, 1)
		wantErr(t, "a 0×0 image", err, "0 values")
		g, err := models.StyleGrams(dev, vgg, false, style, 12, 10, []int{2, 0}, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range g {
			x.Release()
		}
		if len(g) != 2 || !slices.Equal(g[0].Shape(), []int{3, 128, 128}) || !slices.Equal(g[1].Shape(), []int{3, 64, 64}) {
			t.Errorf("StyleGrams at layers 2, 0 of 3 copies: %d tensors, want [3,128,128] and [3,64,64]", len(g))
		}
	})

	t.Run("Features", func(t *testing.T) {
		x, err := dev.FromData(content, 1, 3, h, w)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Release()
		for _, c := range []struct {
			deepest int
			want    []int
			says    string
		}{
			{3, []int{0}, "layer 3 past the 3 convolutions"},
			{-1, nil, "layer -1"},
			{1, []int{2}, "feature of layer 2 asked of a stack run through layer 1"},
			{1, []int{-1}, "feature of layer -1"},
		} {
			b := dev.NewBatch()
			tp := autograd.New(b)
			vgg.Features(tp, tp.Constant(x), c.deepest, c.want)
			wantErr(t, "Features", tp.Err(), c.says)
			tp.Release()
			b.Release()
		}
	})
}
