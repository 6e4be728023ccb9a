//go:build !(js && wasm)

package main

import (
	"encoding/json"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// optLogLine is a line of an image-optimisation command's --log.
type optLogLine struct {
	Step                      int
	Content, Style, TV, Total float64
	MS                        float64
	Evals                     int
}

// readOptLog reads a --log file and checks that its steps run from first up by one and
// that every loss is finite and not negative.
func readOptLog(t *testing.T, path string, first, n int) []optLogLine {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []optLogLine
	for i, s := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var l optLogLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("%s line %d: %v: %s", path, i+1, err, s)
		}
		if l.Step != first+i {
			t.Errorf("%s line %d is step %d, want %d", path, i+1, l.Step, first+i)
		}
		for _, v := range []float64{l.Content, l.Style, l.TV, l.Total, l.MS} {
			if !(v >= 0) || math.IsInf(v, 0) {
				t.Errorf("%s line %d: %s: want finite values ≥ 0", path, i+1, s)
			}
		}
		if d := l.Content + l.Style + l.TV - l.Total; math.Abs(d) > 1e-5*l.Total {
			t.Errorf("%s line %d: the terms do not add up to the total: %s", path, i+1, s)
		}
		lines = append(lines, l)
	}
	if len(lines) != n {
		t.Fatalf("%s: %d lines, want %d", path, len(lines), n)
	}
	return lines
}

// checkFalls checks that the total loss at the end is below frac of the first.
func checkFalls(t *testing.T, lines []optLogLine, frac float64) {
	t.Helper()
	first, last := lines[0].Total, lines[len(lines)-1].Total
	t.Logf("total loss %.4g at step %d, %.4g at step %d", first, lines[0].Step, last, lines[len(lines)-1].Step)
	if !(last < frac*first) {
		t.Errorf("total loss %.4g at step %d, %.4g at step %d: want it below %.2f× the first", first, lines[0].Step, last, lines[len(lines)-1].Step, frac)
	}
}

// checkPNGSize checks that path is a w×h PNG.
func checkPNGSize(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	im := readPNGFile(t, path)
	if b := im.Bounds(); b.Dx() != w || b.Dy() != h {
		t.Errorf("%s: %d×%d pixels, want %d×%d", path, b.Dx(), b.Dy(), w, h)
	}
	return im
}

// Texture synthesis from noise: the Gram loss falls, the texture has --size, and
// --sample-every writes OUT-STEP.png.
func TestTextureCommand(t *testing.T) {
	dir := t.TempDir()
	style := writePNGFile(t, filepath.Join(dir, "style.png"), 24, 20)
	out, logPath := filepath.Join(dir, "tex.png"), filepath.Join(dir, "tex.jsonl")
	stdout, _ := mustEasel(t, "texture", "--style", style, "--out", out, "--size", "20", "--style-size", "0",
		"--layers", "relu1_1,relu2_1", "--optimizer", "adam", "--steps", "6", "--lr", "10", "--log", logPath, "--sample-every", "3", "--model", "random", "--loss-seed", "2")
	if !strings.Contains(stdout, out) || !strings.Contains(stdout, "6 adam steps") {
		t.Errorf("stdout %q does not name the output and the steps", stdout)
	}
	lines := readOptLog(t, logPath, 1, 6)
	for _, l := range lines {
		if l.Content != 0 || l.TV != 0 || l.Style <= 0 {
			t.Errorf("step %d: content %v, style %v, tv %v: want only a style term", l.Step, l.Content, l.Style, l.TV)
		}
	}
	checkFalls(t, lines, 0.9)
	checkPNGSize(t, out, 20, 20)
	for _, s := range []string{"tex-000003.png", "tex-000006.png"} {
		checkPNGSize(t, filepath.Join(dir, s), 20, 20)
	}
}

// Inversion of relu1_2 from noise by L-BFGS (the default): the loss falls, and the
// reconstruction is much nearer the image than the noise it started from.
func TestInvertCommand(t *testing.T) {
	dir := t.TempDir()
	in := writePNGFile(t, filepath.Join(dir, "in.png"), 24, 20)
	out, logPath := filepath.Join(dir, "rec.png"), filepath.Join(dir, "rec.jsonl")
	mustEasel(t, "invert", "--in", in, "--out", out, "--size", "0", "--layer", "relu1_2", "--steps", "6",
		"--seed", "3", "--log", logPath)
	lines := readOptLog(t, logPath, 0, 7)
	for _, l := range lines {
		if l.Content <= 0 || l.Style != 0 || l.TV <= 0 {
			t.Errorf("step %d: content %v, style %v, tv %v: want content and TV terms", l.Step, l.Content, l.Style, l.TV)
		}
	}
	checkFalls(t, lines, 0.8)
	rec := checkPNGSize(t, out, 24, 20)
	want := testImage(24, 20)
	start := noise(20, 24, 3)
	var dRec, dStart float64
	for y := range 20 {
		for x := range 24 {
			r, g, b, _ := rec.At(x, y).RGBA()
			w := want.NRGBAAt(x, y)
			for c, v := range []uint32{r >> 8, g >> 8, b >> 8} {
				ref := float64([]uint8{w.R, w.G, w.B}[c])
				dRec += math.Pow(float64(v)-ref, 2)
				dStart += math.Pow(float64(start[(c*20+y)*24+x])-ref, 2)
			}
		}
	}
	n := float64(3 * 24 * 20)
	t.Logf("RMS distance to the image: %.1f from the noise, %.1f from the reconstruction", math.Sqrt(dStart/n), math.Sqrt(dRec/n))
	if !(dRec < 0.25*dStart) { // measured: 21.6 against 78.3
		t.Errorf("RMS distance to the image: %.1f from the reconstruction, %.1f from the noise: want at most half", math.Sqrt(dRec/n), math.Sqrt(dStart/n))
	}
}

// Style transfer by L-BFGS from the content image and by Adam from noise: the loss falls
// in both, the output has the content image's size, and L-BFGS logs its start and its
// loss evaluations.
func TestGatysCommand(t *testing.T) {
	dir := t.TempDir()
	content := writePNGFile(t, filepath.Join(dir, "content.png"), 24, 20)
	style := writePNGFile(t, filepath.Join(dir, "style.png"), 16, 18)
	common := []string{"gatys", "--content", content, "--style", style, "--size", "0", "--style-size", "0",
		"--content-layer", "relu1_2", "--style-layers", "relu1_1,relu2_1", "--alpha", "1", "--beta", "10"}

	t.Run("lbfgs", func(t *testing.T) {
		out, logPath := filepath.Join(dir, "lbfgs.png"), filepath.Join(dir, "lbfgs.jsonl")
		mustEasel(t, append(common, "--out", out, "--optimizer", "lbfgs", "--steps", "4", "--log", logPath, "--sample-every", "2")...)
		lines := readOptLog(t, logPath, 0, 5)
		if lines[0].Content != 0 || lines[0].Style <= 0 {
			t.Errorf("start from the content image: content %v, style %v; want 0 and > 0", lines[0].Content, lines[0].Style)
		}
		for i, l := range lines {
			if l.Evals < i+1 || i > 0 && l.Evals <= lines[i-1].Evals {
				t.Errorf("step %d: %d evaluations (%d before): want at least one per iteration", l.Step, l.Evals, lines[max(i-1, 0)].Evals)
			}
		}
		checkFalls(t, lines, 0.9)
		checkPNGSize(t, out, 24, 20)
		checkPNGSize(t, filepath.Join(dir, "lbfgs-000002.png"), 24, 20)
		checkPNGSize(t, filepath.Join(dir, "lbfgs-000004.png"), 24, 20)
	})
	t.Run("adam", func(t *testing.T) {
		out, logPath := filepath.Join(dir, "adam.png"), filepath.Join(dir, "adam.jsonl")
		mustEasel(t, append(common, "--out", out, "--optimizer", "adam", "--init", "noise", "--steps", "6", "--lr", "10", "--log", logPath)...)
		lines := readOptLog(t, logPath, 1, 6)
		if lines[0].Content <= 0 || lines[0].Style <= 0 || lines[0].Evals != 0 {
			t.Errorf("step 1 from noise: content %v, style %v, evals %d: want both terms and no evals", lines[0].Content, lines[0].Style, lines[0].Evals)
		}
		checkFalls(t, lines, 0.9)
		checkPNGSize(t, out, 24, 20)
	})
}

// Bad input to invert, texture and gatys fails with an error naming what is wrong, and
// leaves no output.
func TestOptimizeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	img := writePNGFile(t, filepath.Join(dir, "img.png"), 24, 20)
	small := writePNGFile(t, filepath.Join(dir, "small.png"), 12, 10)
	text := writeFile(t, filepath.Join(dir, "notes.png"), []byte("not an image"))
	missing := filepath.Join(dir, "missing.png")
	missingNet := filepath.Join(dir, "vgg.msgpack")
	inv := []string{"invert", "--in", img, "--out", "OUT.png"}
	tex := []string{"texture", "--style", img, "--out", "OUT.png"}
	gat := []string{"gatys", "--content", img, "--style", img, "--out", "OUT.png"}
	with := func(base []string, more ...string) []string { return append(append([]string{}, base...), more...) }
	for _, c := range []struct {
		name string
		args []string // "OUT" stands for the output file
		want []string
	}{
		{"invert: missing image", []string{"invert", "--in", missing, "--out", "OUT.png"}, []string{"--in", missing, "no such file"}},
		{"invert: not an image", []string{"invert", "--in", text, "--out", "OUT.png"}, []string{text, "unsupported format"}},
		{"invert: unknown layer", with(inv, "--layer", "conv3_3"), []string{`"conv3_3"`, "relu1_1, relu1_2", "relu5_3"}},
		{"invert: zero steps", with(inv, "--steps", "0"), []string{"--steps 0", "1..1000000"}},
		{"invert: size too small", with(inv, "--size", "4"), []string{"--size 4", "8..4096"}},
		{"invert: image too small for the layer", []string{"invert", "--in", small, "--size", "0", "--layer", "relu5_1", "--out", "OUT.png"}, []string{"12×10", "relu5_1", "at least 16"}},
		{"invert: init", with(inv, "--init", "content"), []string{`--init "content"`, "noise or gray"}},
		{"invert: optimizer", with(inv, "--optimizer", "sgd"), []string{`--optimizer "sgd"`, "adam or lbfgs"}},
		{"invert: learning rate", with(inv, "--lr", "0"), []string{"--lr 0"}},
		{"invert: tv weight", with(inv, "--tv-weight", "-1"), []string{"--tv-weight -1"}},
		{"invert: sample every", with(inv, "--sample-every", "-2"), []string{"--sample-every -2"}},
		{"invert: output format", []string{"invert", "--in", img, "--out", "OUT.jpg"}, []string{"unsupported format", ".png"}},
		{"invert: output is the input", []string{"invert", "--in", img, "--out", img}, []string{"is the input"}},
		{"invert: missing loss network", with(inv, "--model", missingNet), []string{"--loss-net", missingNet}},
		{"texture: missing style", []string{"texture", "--style", missing, "--out", "OUT.png"}, []string{"--style", missing}},
		{"texture: no layers", with(tex, "--layers", " , "), []string{"--layers", "at least one layer"}},
		{"texture: unknown layer", with(tex, "--layers", "relu1_1,relu6_1"), []string{`"relu6_1"`, "relu1_1, relu1_2"}},
		{"texture: layer named twice", with(tex, "--layers", "relu1_1,relu1_1", "--size", "16"), []string{"relu1_1", "twice"}},
		{"texture: size 0", with(tex, "--size", "0"), []string{"--size 0", "8..4096"}},
		{"texture: size too large", with(tex, "--size", "5000"), []string{"--size 5000", "8..4096"}},
		{"texture: style too small for the layer", []string{"texture", "--style", small, "--style-size", "0", "--size", "32", "--layers", "relu5_1", "--out", "OUT.png"},
			[]string{"--style", "12×10", "relu5_1", "at least 16"}},
		{"texture: steps too many", with(tex, "--steps", "2000000"), []string{"--steps 2000000"}},
		{"gatys: missing content", []string{"gatys", "--content", missing, "--style", img, "--out", "OUT.png"}, []string{"--content", missing}},
		{"gatys: missing style", []string{"gatys", "--content", img, "--style", missing, "--out", "OUT.png"}, []string{"--style", missing}},
		{"gatys: negative alpha", with(gat, "--alpha", "-1"), []string{"--alpha -1"}},
		{"gatys: both weights zero", with(gat, "--alpha", "0", "--beta", "0"), []string{"not both 0"}},
		{"gatys: init", with(gat, "--init", "gray"), []string{`--init "gray"`, "content or noise"}},
		{"gatys: unknown content layer", with(gat, "--content-layer", "relu9_9"), []string{`"relu9_9"`, "relu1_1, relu1_2"}},
		{"gatys: empty content layer", with(gat, "--content-layer", ""), []string{"--content-layer"}},
		{"gatys: output is the style", []string{"gatys", "--content", small, "--style", img, "--out", img}, []string{"is the input"}},
		{"gatys: no output", []string{"gatys", "--content", img, "--style", img}, []string{"out"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var args []string
			for _, a := range c.args {
				args = append(args, strings.Replace(a, "OUT", out, 1))
			}
			_, _, err := runEasel(t, args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			for _, a := range args {
				if strings.HasPrefix(a, out) {
					checkNoOutput(t, a)
				}
			}
		})
	}
	if b, err := os.ReadFile(img); err != nil || len(b) == 0 {
		t.Errorf("the input %s was harmed: %v", img, err)
	}
}
