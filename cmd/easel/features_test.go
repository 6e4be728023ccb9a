//go:build !(js && wasm)

package main

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const vggFixtures = "../../models/testdata/vgg"

// easel import --arch vgg16 of torchvision's legacy-format state_dict (make_vgg.py), then
// easel features on the fixture's RGBA image: each layer's .npy matches torchvision's
// within 1e-3 of max|ref|.
func TestFeaturesMatchesTorchvision(t *testing.T) {
	dir := t.TempDir()
	net := filepath.Join(dir, "vgg.msgpack")
	stdout, _ := mustEasel(t, "import", "--arch", "vgg16", "--from", filepath.Join(vggFixtures, "vgg16_relu2_2.pth"), "--out", net)
	if !strings.Contains(stdout, "vgg16") || !strings.Contains(stdout, "convs=4") {
		t.Errorf("import output %q does not say vgg16 with convs=4", stdout)
	}
	out := filepath.Join(dir, "feats", "a") // created, parents included
	stdout, _ = mustEasel(t, "features", "--model", net, "--layers", "relu2_2, relu1_2", "--in", filepath.Join(vggFixtures, "input.png"), "--out", out)
	if !strings.Contains(stdout, "37×29") || !strings.Contains(stdout, "through relu2_2") {
		t.Errorf("output %q does not give the size and the deepest layer", stdout)
	}
	for _, l := range []string{"relu1_2", "relu2_2"} {
		shape, got := readNpyFile(t, filepath.Join(out, l+".npy"))
		wantShape, want := readNpyFile(t, filepath.Join(vggFixtures, l+".npy"))
		if !slices.Equal(shape, wantShape) {
			t.Fatalf("%s: shape %v, want %v", l, shape, wantShape)
		}
		maxRef, maxDiff := 0.0, 0.0
		for i, r := range want {
			maxRef = max(maxRef, math.Abs(float64(r)))
			maxDiff = max(maxDiff, math.Abs(float64(got[i]-r)))
		}
		t.Logf("%s %v: max|diff| %.3g of max|ref| %.4f", l, shape, maxDiff, maxRef)
		if !(maxDiff <= 1e-3*maxRef) {
			t.Errorf("%s: max|diff| %g exceeds 1e-3 × max|ref| %g", l, maxDiff, maxRef)
		}
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 2 {
		t.Errorf("%d files in %s, want the 2 layers", len(entries), out)
	}
}

// The random VGG16 is cut at the deepest layer asked for; its features are ReLU outputs of
// the pooled sizes.
func TestFeaturesRandom(t *testing.T) {
	dir := t.TempDir()
	in := writePNGFile(t, filepath.Join(dir, "in.png"), 25, 19)
	_, stderr := mustEasel(t, "features", "--model", "random", "--seed", "3", "--layers", "relu3_1,relu1_1", "--in", in, "--out", dir)
	if strings.Contains(stderr, "untrained") {
		t.Errorf("a note on stderr for the random net asked for: %q", stderr)
	}
	for l, want := range map[string][]int{"relu1_1": {1, 64, 19, 25}, "relu3_1": {1, 256, 4, 6}} {
		shape, data := readNpyFile(t, filepath.Join(dir, l+".npy"))
		if !slices.Equal(shape, want) {
			t.Errorf("%s: shape %v, want %v", l, shape, want)
		}
		positive := 0
		for _, v := range data {
			if !(v >= 0) {
				t.Fatalf("%s: value %v of a ReLU", l, v)
			}
			if v > 0 {
				positive++
			}
		}
		if positive < len(data)/10 {
			t.Errorf("%s: only %d of %d values positive", l, positive, len(data))
		}
	}
}

// Bad flags, files and layers fail before any GPU work, naming what is wrong.
func TestFeaturesErrors(t *testing.T) {
	dir := t.TempDir()
	net := filepath.Join(dir, "vgg.msgpack")
	mustEasel(t, "import", "--arch", "vgg16", "--from", filepath.Join(vggFixtures, "vgg16_relu2_2.pth"), "--out", net)
	png := writePNGFile(t, filepath.Join(dir, "in.png"), 37, 29)
	small := writePNGFile(t, filepath.Join(dir, "small.png"), 9, 3)
	file := writeFile(t, filepath.Join(dir, "file"), []byte("x"))
	missing := filepath.Join(dir, "missing.png")
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown layer", []string{"--model", net, "--layers", "relu1_2,relu9_1"}, []string{`no layer "relu9_1"`, "relu1_1, relu1_2, relu2_1", "relu5_3"}},
		{"vgg19 layer of vgg16", []string{"--model", "random", "--layers", "relu5_4"}, []string{`vgg16 has no layer "relu5_4"`}},
		{"past the weights", []string{"--model", net, "--layers", "relu3_1"}, []string{"relu3_1", "past the 4 convolutions", "deepest: relu2_2"}},
		{"layer twice", []string{"--model", net, "--layers", "relu1_1,relu1_1"}, []string{"relu1_1 named twice"}},
		{"no layer", []string{"--model", net, "--layers", " , "}, []string{"names no layer"}},
		{"missing model", []string{"--model", filepath.Join(dir, "nope.msgpack"), "--layers", "relu1_1"}, []string{"nope.msgpack", "no such file"}},
		{"not a VGG", []string{"--model", "dcgan-faces", "--layers", "relu1_1"}, []string{"dcgan-g", "vgg16 or vgg19"}},
		{"missing image", []string{"--model", net, "--layers", "relu1_1", "--in", missing}, []string{missing, "no such file"}},
		{"image not an image", []string{"--model", net, "--layers", "relu1_1", "--in", file}, []string{file, "unsupported format"}},
		{"image too small", []string{"--model", "random", "--layers", "relu3_1", "--in", small}, []string{small, "9×3", "before relu3_1", "at least 4 pixels"}},
		{"out is a file", []string{"--model", net, "--layers", "relu1_1", "--out", file}, []string{"--out", "not a directory"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := []string{"features", "--in", png, "--out", out}
			args = append(args, c.args...) // later flags win
			_, _, err := runEasel(t, args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, err := os.Stat(out); c.name != "out is a file" && !os.IsNotExist(err) {
				t.Errorf("%s created after the failure (%v)", out, err)
			}
		})
	}
}

// TestImportMobileNet imports the TF.js MobileNetV2 fixture and uses it as the loss network
// of a short texture run (smoothing on by default), and refuses more blocks than it holds.
func TestImportMobileNet(t *testing.T) {
	dir := t.TempDir()
	mn := filepath.Join(dir, "mn.msgpack")
	stdout, _ := mustEasel(t, "import", "--arch", "mobilenetv2", "--from", "../../models/testdata/mobilenet", "--blocks", "4",
		"--dtype", "f16", "--license", "MIT", "--out", mn)
	if !strings.Contains(stdout, "mobilenetv2 (blocks=4)") {
		t.Errorf("import printed %q", stdout)
	}
	if _, stderr, err := runEasel(t, "import", "--arch", "mobilenetv2", "--from", "../../models/testdata/mobilenet", "--blocks", "5",
		"--out", filepath.Join(dir, "x.msgpack")); err == nil || !strings.Contains(err.Error()+stderr, "no layer block_4_expand") {
		t.Errorf("--blocks 5 of a model cut after 4: %v, %q", err, stderr)
	}
	style := filepath.Join(dir, "style.png")
	writePNGFile(t, style, 24, 20)
	out := filepath.Join(dir, "t.png")
	_, stderr := mustEasel(t, "texture", "--style", style, "--loss-net", mn, "--layers", "Conv1_relu,block_1_expand_relu",
		"--size", "24", "--steps", "3", "--out", out)
	if _, err := os.Stat(out); err != nil {
		t.Errorf("no texture: %v (%s)", err, stderr)
	}
	if _, stderr, err := runEasel(t, "texture", "--style", style, "--loss-net", mn, "--size", "24", "--steps", "1",
		"--out", filepath.Join(dir, "u.png")); err == nil || !strings.Contains(err.Error()+stderr, "mobilenetv2 has no layer \"relu1_1\"") {
		t.Errorf("VGG layer names on a MobileNetV2: %v, %q", err, stderr)
	}
}
