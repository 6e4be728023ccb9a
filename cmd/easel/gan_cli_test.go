package main

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"easel/models"
)

// writeModel writes w as a weights file in dir and returns its path.
func writeModel(t *testing.T, dir, name string, w *models.Weights) string {
	t.Helper()
	path := filepath.Join(dir, name+".msgpack")
	if err := models.WriteFile(path, w); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSampleConditional: easel sample draws a cGAN's classes and an InfoGAN's codes, and
// refuses flags the model has no use for, naming them.
func TestSampleConditional(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	cgan := writeModel(t, dir, "cgan", models.InitGenerator(models.GeneratorConfig{NZ: 4, NGF: 2, NC: 1, Size: 32, Classes: 3}, rng))
	info := writeModel(t, dir, "info", models.InitGenerator(models.GeneratorConfig{NZ: 4, NGF: 2, NC: 1, Size: 32, Cat: 4, Cont: 2}, rng))

	outs := map[string][]float32{}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"class0", []string{"--model", cgan, "--class", "0"}},
		{"class2", []string{"--model", cgan, "--class", "2"}},
		{"code1", []string{"--model", info, "--code", "1", "--cont", "0.5,-0.5"}},
		{"code1cont", []string{"--model", info, "--code", "1", "--cont", "-1,1"}},
		{"drawn", []string{"--model", info}},
	} {
		out := filepath.Join(dir, c.name+".npy")
		mustEasel(t, append([]string{"sample", "--n", "3", "--seed", "4", "--out", out}, c.args...)...)
		shape, y := readNpyFile(t, out)
		if !slices.Equal(shape, []int{3, 1, 32, 32}) {
			t.Fatalf("%s: shape %v, want [3 1 32 32]", c.name, shape)
		}
		for _, v := range y {
			if !(v >= -1 && v <= 1) {
				t.Fatalf("%s: value %v outside the tanh range", c.name, v)
			}
		}
		outs[c.name] = y
	}
	if slices.Equal(outs["class0"], outs["class2"]) {
		t.Error("classes 0 and 2 gave the same samples from the same latents")
	}
	if slices.Equal(outs["code1"], outs["code1cont"]) {
		t.Error("other continuous codes gave the same samples")
	}
	png := filepath.Join(dir, "grid.png")
	mustEasel(t, "sample", "--model", cgan, "--class", "1", "--n", "4", "--out", png)
	if b := readPNGFile(t, png).Bounds(); b.Dx() != 2*32+3*2 {
		t.Errorf("grid of 4 digits is %v wide", b)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", cgan}, "--class"},
		{[]string{"--model", cgan, "--class", "3"}, "classes 0..2"},
		{[]string{"--model", cgan, "--class", "1", "--code", "1"}, "no categorical code"},
		{[]string{"--model", info, "--code", "4"}, "codes 0..3"},
		{[]string{"--model", info, "--cont", "1"}, "2 continuous codes"},
		{[]string{"--model", info, "--cont", "1,x"}, `"x"`},
		{[]string{"--model", info, "--cont", "1,NaN"}, `"NaN"`},
		{[]string{"--model", info, "--class", "1"}, "not a conditional GAN"},
	} {
		out := filepath.Join(dir, "bad.npy")
		_, _, err := runEasel(t, append([]string{"sample", "--n", "2", "--out", out}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("easel sample %v: error %v, want one saying %q", c.args, err, c.want)
		}
		checkNoOutput(t, out)
	}
}

// TestEvalGAN: easel eval gan writes its pictures and a summary whose figures are in range,
// with and without a classifier.
func TestEvalGAN(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, 8))
	info := writeModel(t, dir, "info", models.InitGenerator(models.GeneratorConfig{NZ: 4, NGF: 2, NC: 1, Size: 32, Cat: 10, Cont: 2}, rng))
	cw, err := models.InitClassifier(models.ClassifierConfig{NC: 1, Size: 32, Width: 2, Classes: 10}, rng)
	if err != nil {
		t.Fatal(err)
	}
	clf := writeModel(t, dir, "clf", cw)
	data := make([]float32, 40*32*32)
	for i := range data {
		data[i] = float32(2*rng.Float64() - 1)
	}
	npyPath := writeNpyFile(t, filepath.Join(dir, "data.npy"), []int{40, 1, 32, 32}, data)

	for _, c := range []struct {
		name, classifier string
		cols             int
	}{{"none", "none", 2}, {"clf", clf, 3}} {
		out := filepath.Join(dir, "eval-"+c.name)
		mustEasel(t, "eval", "gan", "--model", info, "--data", npyPath, "--classifier", c.classifier,
			"--n", "32", "--ref", "20", "--show", "4", "--out", out)
		raw, err := os.ReadFile(filepath.Join(out, "summary.json"))
		if err != nil {
			t.Fatal(err)
		}
		var ev ganEval
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Samples != 32 || ev.Reference != 20 || !(ev.NNPixelSamples > 0) || !(ev.NNPixelHeldOut > 0) ||
			!(ev.DiversitySample >= 0) || !(ev.DiversityReal > 0) {
			t.Errorf("%s: summary %+v", c.name, ev)
		}
		if c.classifier != "none" {
			if len(ev.CodeToClass) != 10 || !(ev.CodeAccuracy > 0 && ev.CodeAccuracy <= 1) || len(ev.ClassShareSamples) != 10 {
				t.Errorf("%s: class figures %+v", c.name, ev)
			}
			sum := 0.0
			for _, s := range ev.ClassShareSamples {
				sum += s
			}
			if sum < 0.999 || sum > 1.001 {
				t.Errorf("%s: class shares sum to %v", c.name, sum)
			}
		}
		b := readPNGFile(t, filepath.Join(out, "nearest.png")).Bounds()
		if b.Dx() != c.cols*34+2 || b.Dy() != 4*34+2 {
			t.Errorf("%s: nearest.png is %v, want %d columns and 4 rows of 32-pixel images", c.name, b, c.cols)
		}
	}
	_, _, err = runEasel(t, "eval", "gan", "--model", info, "--data", npyPath, "--n", "8", "--out", filepath.Join(dir, "x"))
	if err == nil || !strings.Contains(err.Error(), "--n 8") {
		t.Errorf("--n 8: %v", err)
	}
}

// TestLaunchViewer: --view starts easel-view on the run folder when there is a display and
// says why not otherwise, never stopping training.
func TestLaunchViewer(t *testing.T) {
	dir := t.TempDir()
	bin := t.TempDir()
	got := filepath.Join(dir, "args")
	script := "#!/bin/sh\necho \"$@\" > " + got + "\n"
	if err := os.WriteFile(filepath.Join(bin, "easel-view"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var msg strings.Builder
	t.Setenv("DISPLAY", "")
	launchViewer(&msg, "runs/x")
	if !strings.Contains(msg.String(), "no display") {
		t.Errorf("without a display: %q", msg.String())
	}
	t.Setenv("DISPLAY", ":99")
	t.Setenv("PATH", bin)
	msg.Reset()
	launchViewer(&msg, "runs/x")
	for range 100 {
		if b, err := os.ReadFile(got); err == nil && strings.TrimSpace(string(b)) == "runs/x" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("easel-view was not started on runs/x (said %q)", msg.String())
}
