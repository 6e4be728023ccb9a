package models_test

import (
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"easel/models"
)

// stateDict makes a state_dict with the given shapes and small distinct values (positive
// for BatchNorm's running variances).
func stateDict(shapes map[string][]int) map[string]models.StateTensor {
	sd := map[string]models.StateTensor{}
	for name, shape := range shapes {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i%13)/13 - 0.5
			if strings.HasSuffix(name, ".running_var") {
				data[i] += 0.6
			}
		}
		sd[name] = models.StateTensor{Shape: slices.Clone(shape), Data: data, Storage: "FloatStorage"}
	}
	return sd
}

func readFixture(t *testing.T, name string) map[string]models.StateTensor {
	t.Helper()
	sd, err := models.ReadStateDict(filepath.Join(goldenDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

// The fixtures carry what import must drop: fast_neural_style's deprecated instance-norm
// statistics and BatchNorm's num_batches_tracked.
func TestImportDropsUnusedKeys(t *testing.T) {
	for _, c := range []struct {
		pth, arch string
		dropped   []string
	}{
		{"transformer_light.pth", models.ArchTransformerNet, []string{"in1.running_mean", "in5.running_var", "res2.in1.running_mean", "res1.in2.running_var"}},
		{"dcgan_g.pth", models.ArchDCGANGenerator, []string{"main.1.num_batches_tracked", "main.10.num_batches_tracked"}},
		{"dcgan_d.pth", models.ArchDCGANDiscriminator, []string{"main.3.num_batches_tracked", "main.9.num_batches_tracked"}},
	} {
		sd := readFixture(t, c.pth)
		for _, k := range c.dropped {
			if _, ok := sd[k]; !ok {
				t.Fatalf("%s: fixture lacks %q", c.pth, k)
			}
		}
		w, err := models.ImportStateDict(c.arch, sd)
		if err != nil {
			t.Fatalf("%s: %v", c.pth, err)
		}
		for _, k := range c.dropped {
			if _, err := w.Tensor(k); err == nil {
				t.Errorf("%s: imported %q", c.pth, k)
			}
		}
		if err := w.Validate(); err != nil {
			t.Errorf("%s: %v", c.pth, err)
		}
	}
}

func TestImportInfersConfigAndIO(t *testing.T) {
	std := models.StandardTransformer
	light := models.TransformerConfig{C1: 16, C2: 24, C3: 40, Blocks: 3}
	for _, c := range []struct {
		name, arch string
		shapes     map[string][]int
		wantArch   string
		wantConfig models.Config
		wantIO     models.IOSpec
	}{
		{"standard transformer", models.ArchTransformerNet, std.Shapes(), models.ArchTransformerNet,
			models.Config{"c1": 32, "c2": 64, "c3": 128, "blocks": 5},
			models.IOSpec{Input: models.Signal{Kind: "rgb", Max: 255}, Output: models.Signal{Kind: "rgb", Max: 255}}},
		{"standard widths asked as light", models.ArchTransformerNetLight, std.Shapes(), models.ArchTransformerNet,
			models.Config{"c1": 32, "c2": 64, "c3": 128, "blocks": 5},
			models.IOSpec{Input: models.Signal{Kind: "rgb", Max: 255}, Output: models.Signal{Kind: "rgb", Max: 255}}},
		{"light widths asked as standard", models.ArchTransformerNet, light.Shapes(), models.ArchTransformerNetLight,
			models.Config{"c1": 16, "c2": 24, "c3": 40, "blocks": 3},
			models.IOSpec{Input: models.Signal{Kind: "rgb", Max: 255}, Output: models.Signal{Kind: "rgb", Max: 255}}},
		{"no residual blocks", models.ArchTransformerNetLight, models.TransformerConfig{C1: 4, C2: 8, C3: 8}.Shapes(),
			models.ArchTransformerNetLight, models.Config{"c1": 4, "c2": 8, "c3": 8, "blocks": 0},
			models.IOSpec{Input: models.Signal{Kind: "rgb", Max: 255}, Output: models.Signal{Kind: "rgb", Max: 255}}},
		{"generator", models.ArchDCGANGenerator, models.GeneratorConfig{NZ: 100, NGF: 64, NC: 3}.Shapes(), models.ArchDCGANGenerator,
			models.Config{"nz": 100, "ngf": 64, "nc": 3},
			models.IOSpec{Input: models.Signal{Kind: "latent"}, Output: models.Signal{Kind: "rgb", Min: -1, Max: 1}}},
		{"discriminator", models.ArchDCGANDiscriminator, models.DiscriminatorConfig{NDF: 64, NC: 3}.Shapes(), models.ArchDCGANDiscriminator,
			models.Config{"ndf": 64, "nc": 3},
			models.IOSpec{Input: models.Signal{Kind: "rgb", Min: -1, Max: 1}, Output: models.Signal{Kind: "probability", Max: 1}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := models.ImportStateDict(c.arch, stateDict(c.shapes))
			if err != nil {
				t.Fatal(err)
			}
			if w.Arch != c.wantArch {
				t.Errorf("arch %q, want %q", w.Arch, c.wantArch)
			}
			if !maps.Equal(w.Config, c.wantConfig) {
				t.Errorf("config %v, want %v", w.Config, c.wantConfig)
			}
			if !ioEqual(w.IO, c.wantIO) {
				t.Errorf("io %+v, want %+v", w.IO, c.wantIO)
			}
			if len(w.Tensors) != len(c.shapes) {
				t.Errorf("%d tensors, want %d", len(w.Tensors), len(c.shapes))
			}
			for _, tn := range w.Tensors {
				if !slices.Equal(tn.Shape, c.shapes[tn.Name]) || tn.DType != models.F32 {
					t.Errorf("tensor %q: shape %v dtype %v, want %v f32", tn.Name, tn.Shape, tn.DType, c.shapes[tn.Name])
				}
			}
			if err := w.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func ioEqual(a, b models.IOSpec) bool {
	eq := func(x, y models.Signal) bool {
		return x.Kind == y.Kind && x.Min == y.Min && x.Max == y.Max && slices.Equal(x.Mean, y.Mean) && slices.Equal(x.Std, y.Std)
	}
	return eq(a.Input, b.Input) && eq(a.Output, b.Output)
}

// Import errors name the offending keys.
func TestImportErrors(t *testing.T) {
	g := models.GeneratorConfig{NZ: 16, NGF: 8, NC: 3}.Shapes()
	without := func(m map[string][]int, key string) map[string][]int {
		m = maps.Clone(m)
		delete(m, key)
		return m
	}
	with := func(m map[string][]int, key string, shape []int) map[string][]int {
		m = maps.Clone(m)
		m[key] = shape
		return m
	}
	for _, c := range []struct {
		name, arch string
		shapes     map[string][]int
		want       []string
		sentinel   error
	}{
		{"unknown arch", "resnet50", g, []string{`"resnet50"`, "vgg16"}, nil},
		{"generator as transformer", models.ArchTransformerNet, g, []string{"look like a dcgan-g", `"main.0.weight"`, `"conv1.conv2d.weight"`, `"deconv3.conv2d.bias"`}, models.ErrUnexpectedTensor},
		{"transformer as discriminator", models.ArchDCGANDiscriminator, models.StandardTransformer.Shapes(), []string{"look like a transformer-net", `"main.11.weight"`, `"res5.in2.bias"`}, models.ErrMissingTensor},
		{"missing running var", models.ArchDCGANGenerator, without(g, "main.7.running_var"), []string{`"main.7.running_var"`}, models.ErrMissingTensor},
		{"unexpected key", models.ArchDCGANGenerator, with(g, "main.12.bias", []int{3}), []string{`"main.12.bias"`}, models.ErrUnexpectedTensor},
		{"misshapen", models.ArchDCGANGenerator, with(g, "main.4.weight", []int{33}), []string{`"main.4.weight"`}, models.ErrShapeMismatch},
		{"ngf not a multiple of 8", models.ArchDCGANGenerator, with(g, "main.0.weight", []int{16, 60, 4, 4}), []string{`"main.0.weight"`, "multiple of 8"}, nil},
		{"instance-norm stats kept out of a generator", models.ArchDCGANGenerator, with(g, "in1.running_mean", []int{8}), []string{`"in1.running_mean"`}, models.ErrUnexpectedTensor},
		{"gap in residual blocks", models.ArchTransformerNet, without(without(without(without(
			models.StandardTransformer.Shapes(), "res3.conv1.conv2d.weight"), "res3.conv1.conv2d.bias"), "res3.in1.weight"), "res3.in1.bias"),
			[]string{`"res3.conv1.conv2d.weight"`, `"res3.in1.bias"`}, models.ErrMissingTensor},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := models.ImportStateDict(c.arch, stateDict(c.shapes))
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not mention %s: %v", s, err)
				}
			}
			if c.sentinel != nil && !errors.Is(err, c.sentinel) {
				t.Errorf("error is not %v: %v", c.sentinel, err)
			}
		})
	}
}

// A negative BatchNorm running variance (the square root of a negative number in the
// normalisation: zeros or NaN out) is refused, naming the tensor and the element; zero is
// a valid variance.
func TestImportRefusesNegativeRunningVar(t *testing.T) {
	sd := stateDict(models.GeneratorConfig{NZ: 16, NGF: 8, NC: 3}.Shapes())
	sd["main.4.running_var"].Data[0] = 0
	if _, err := models.ImportStateDict(models.ArchDCGANGenerator, sd); err != nil {
		t.Fatalf("a zero running variance: %v", err)
	}
	sd["main.4.running_var"].Data[5] = -0.25
	_, err := models.ImportStateDict(models.ArchDCGANGenerator, sd)
	if err == nil {
		t.Fatal("imported a negative running variance")
	}
	for _, want := range []string{`"main.4.running_var"`, "element 5", "-0.25", "negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	d := stateDict(models.DiscriminatorConfig{NDF: 8, NC: 3}.Shapes())
	d["main.3.running_var"].Data[2] = -1e-30
	if _, err := models.ImportStateDict(models.ArchDCGANDiscriminator, d); err == nil || !strings.Contains(err.Error(), `"main.3.running_var"`) {
		t.Errorf("discriminator with a negative running variance: %v", err)
	}
}

// vggStateDict is torchvision's VGG state_dict cut after convs convolutions, with a small
// stand-in classifier (import ignores classifier.* whatever its shapes).
func vggStateDict(depth, convs int) map[string][]int {
	shapes := models.VGGConfig{Depth: depth, Convs: convs}.Shapes()
	shapes["classifier.0.weight"] = []int{16, 49}
	shapes["classifier.6.bias"] = []int{10}
	return shapes
}

// A VGG state_dict imports as the feature stack up to its last convolution, classifier
// dropped, with vgg.go's IO convention.
func TestImportVGG(t *testing.T) {
	wantIO := models.IOSpec{Input: models.Signal{Kind: "rgb", Max: 255}, Output: models.Signal{Kind: "features"}}
	for _, c := range []struct {
		arch         string
		depth, convs int
	}{
		{models.ArchVGG16, 16, 13}, // the whole stack, as torchvision publishes it
		{models.ArchVGG16, 16, 7},  // cut after relu3_3
		{models.ArchVGG16, 16, 1},
		{models.ArchVGG19, 19, 9}, // past relu3_4, where vgg19's indices part from vgg16's
	} {
		sd := stateDict(vggStateDict(c.depth, c.convs))
		sd["features.0.num_batches_tracked"] = models.StateTensor{Shape: []int{}, Data: []float32{3}, Storage: "LongStorage"}
		w, err := models.ImportStateDict(c.arch, sd)
		if err != nil {
			t.Fatalf("%s cut at %d: %v", c.arch, c.convs, err)
		}
		want := models.VGGConfig{Depth: c.depth, Convs: c.convs}
		if w.Arch != c.arch || !maps.Equal(w.Config, want.Config()) || !ioEqual(w.IO, wantIO) {
			t.Errorf("%s cut at %d: arch %s config %v io %+v", c.arch, c.convs, w.Arch, w.Config, w.IO)
		}
		if err := w.Expect(want.Shapes()); err != nil {
			t.Errorf("%s cut at %d: %v", c.arch, c.convs, err)
		}
		last := models.VGGLayers(c.depth)[c.convs-1]
		if !strings.Contains(w.Meta.Source, last) {
			t.Errorf("source %q does not name %s", w.Meta.Source, last)
		}
		if err := w.Validate(); err != nil {
			t.Error(err)
		}
		if got, _ := w.Tensor("features.0.weight"); got == nil || got.Data[14] != sd["features.0.weight"].Data[14] {
			t.Errorf("%s: features.0.weight not carried over", c.arch)
		}
	}
}

// VGG import errors name the offending keys.
func TestImportVGGErrors(t *testing.T) {
	v := vggStateDict(16, 4)
	edit := func(m map[string][]int, del []string, add map[string][]int) map[string][]int {
		m = maps.Clone(m)
		for _, k := range del {
			delete(m, k)
		}
		maps.Copy(m, add)
		return m
	}
	bn := edit(v, nil, map[string][]int{"features.1.weight": {64}, "features.1.bias": {64},
		"features.1.running_mean": {64}, "features.1.running_var": {64}})
	for _, c := range []struct {
		name, arch string
		shapes     map[string][]int
		want       []string
		sentinel   error
	}{
		{"gap in the stack", models.ArchVGG16, edit(v, []string{"features.5.weight", "features.5.bias"}, nil),
			[]string{`"features.7.weight"`, `"features.7.bias"`}, models.ErrUnexpectedTensor},
		{"bias missing", models.ArchVGG16, edit(v, []string{"features.5.bias"}, nil), []string{`"features.5.bias"`}, models.ErrMissingTensor},
		{"misshapen", models.ArchVGG16, edit(v, nil, map[string][]int{"features.2.weight": {64, 32, 3, 3}}), []string{`"features.2.weight"`}, models.ErrShapeMismatch},
		{"unexpected key", models.ArchVGG16, edit(v, nil, map[string][]int{"avgpool.weight": {1}}), []string{`"avgpool.weight"`}, models.ErrUnexpectedTensor},
		{"no features", models.ArchVGG19, map[string][]int{"classifier.0.weight": {4, 4}}, []string{`"features.0.weight"`}, models.ErrMissingTensor},
		{"vgg16 as vgg19", models.ArchVGG19, vggStateDict(16, 13), []string{"look like a vgg16", `"features.17.weight"`}, models.ErrUnexpectedTensor},
		{"vgg19 as vgg16", models.ArchVGG16, vggStateDict(19, 16), []string{"look like a vgg19", `"features.16.weight"`}, models.ErrUnexpectedTensor},
		{"batch norm", models.ArchVGG16, bn, []string{"batch norm", `"features.1.running_mean"`}, models.ErrUnexpectedTensor},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := models.ImportStateDict(c.arch, stateDict(c.shapes))
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range c.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not mention %s: %v", s, err)
				}
			}
			if !errors.Is(err, c.sentinel) {
				t.Errorf("error is not %v: %v", c.sentinel, err)
			}
		})
	}
}
