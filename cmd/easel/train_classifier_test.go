//go:build !(js && wasm)

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"easel/models"
)

// TestTrainClassifierErrors: bad flags and data without labels are refused, naming the
// problem, before any training.
func TestTrainClassifierErrors(t *testing.T) {
	dir := t.TempDir()
	data := trainData(t, dir, 4, 3)
	out := filepath.Join(dir, "c.msgpack")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", data, "--steps", "2", "--size", "64", "--out", out}, "neither labels nor attributes"},
		{[]string{"--data", "mnist", "--steps", "2", "--size", "48", "--out", out}, "--size 48"},
		{[]string{"--data", "mnist", "--steps", "0", "--out", out}, "--steps 0"},
		{[]string{"--data", "mnist", "--steps", "2", "--batch", "1", "--out", out}, "--batch 1"},
		{[]string{"--data", "mnist", "--steps", "2", "--nc", "2", "--out", out}, "--nc 2"},
		{[]string{"--data", "mnist", "--steps", "2", "--lr", "0", "--out", out}, "--lr 0"},
		{[]string{"--data", "mnist", "--steps", "2", "--holdout", "1", "--out", out}, "--holdout 1"},
		{[]string{"--data", "mnist", "--steps", "2", "--out", filepath.Join(dir, "c.pth")}, "want a .msgpack"},
		{[]string{"--data", "mnist", "--steps", "2", "--out", filepath.Join(dir, "no", "c.msgpack")}, "does not exist"},
		{[]string{"--data", filepath.Join(dir, "none.npy"), "--steps", "2", "--out", out}, "none.npy"},
	} {
		_, _, err := runEasel(t, append([]string{"train", "classifier"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one saying %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was written by a refused run", out)
	}
}

// TestHoldOut: a seeded share of the images is held out, apart from the training ones, the
// same for the same seed; a share that leaves no held-out image or no batch is refused.
func TestHoldOut(t *testing.T) {
	train, held, err := holdOut(100, 0.1, 7, 16)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 10 || len(train) != 90 {
		t.Fatalf("%d held out, %d for training, want 10 and 90", len(held), len(train))
	}
	all := slices.Sorted(slices.Values(append(slices.Clone(train), held...)))
	for i, k := range all {
		if k != i {
			t.Fatalf("training and held-out images together are not 0..99 once each: %v", all)
		}
	}
	if _, again, _ := holdOut(100, 0.1, 7, 16); !slices.Equal(again, held) {
		t.Errorf("seed 7 held out %v, then %v", held, again)
	}
	for _, c := range []struct {
		n     int
		share float64
	}{{5, 0.1}, {20, 0.5}} {
		if _, _, err := holdOut(c.n, c.share, 1, 16); err == nil {
			t.Errorf("%d images, share %g, batch 16: no error", c.n, c.share)
		}
	}
}

// TestTrainClassifierMNIST trains a tiny classifier on MNIST for a few steps: progress and
// a held-out check are printed, and the weights carry the held-out accuracy, the steps, the
// seed and the command in their meta. Skipped when MNIST is not on the machine.
func TestTrainClassifierMNIST(t *testing.T) {
	if _, err := models.LoadTestDataset("mnist", 32, 1); err != nil {
		t.Skipf("MNIST is not on this machine: %v", err)
	}
	out := filepath.Join(t.TempDir(), "c.msgpack")
	_, stderr := mustEasel(t, "train", "classifier", "--data", "mnist", "--width", "4", "--batch", "16", "--steps", "20",
		"--eval-every", "10", "--eval-n", "50", "--seed", "3", "--out", out)
	for _, want := range []string{"[10/20] held-out check: accuracy", "[20/20] loss", "held-out (mnist:test): accuracy"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("output does not say %q", want)
		}
	}
	w, err := models.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if w.Arch != models.ArchClassifier || !w.Meta.Trained || w.Meta.Steps != 20 ||
		!strings.Contains(w.Meta.TrainingCommand, "train classifier") || !strings.Contains(w.Meta.TrainingCommand, "--seed 3") {
		t.Errorf("weights %s, meta %+v: want a trained classifier of 20 steps and its command", w.Arch, w.Meta)
	}
	for _, want := range []string{"data mnist", "seed 3", "20 steps", "Held-out (mnist:test): accuracy 0.", "on 10000 images"} {
		if !strings.Contains(w.Meta.Description, want) {
			t.Errorf("description %q does not say %q", w.Meta.Description, want)
		}
	}
	if n, _ := w.Config.Int("classes"); n != 10 {
		t.Errorf("config %v: want 10 classes", w.Config)
	}
}
