//go:build !(js && wasm)

package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
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

// writeDigits writes a small MNIST-format split into dir: n 28×28 images of three classes,
// class k a bright band in the k-th third of the image, with noise.
func writeDigits(t *testing.T, dir, prefix string, n int, rng *rand.Rand) {
	t.Helper()
	pix := make([]byte, n*28*28)
	labels := make([]byte, n)
	for i := range n {
		k := i % 3
		labels[i] = byte(k)
		for y := range 28 {
			for x := range 28 {
				v := 40 * rng.Float64()
				if y/10 == k {
					v += 200
				}
				pix[(i*28+y)*28+x] = byte(v)
			}
		}
	}
	writeGzipIDX(t, filepath.Join(dir, prefix+"-images-idx3-ubyte.gz"), []uint32{0x803, uint32(n), 28, 28}, pix)
	writeGzipIDX(t, filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz"), []uint32{0x801, uint32(n)}, labels)
}

func writeGzipIDX(t *testing.T, path string, hdr []uint32, body []byte) {
	t.Helper()
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	binary.Write(z, binary.BigEndian, hdr)
	z.Write(body)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrainClassifier trains a tiny classifier on a small set in MNIST's format (found as
// mnist in $EASEL_DATA, train and test split) for a few steps: progress and a held-out
// check are printed, and the weights carry the held-out accuracy, the steps, the seed and
// the command in their meta.
func TestTrainClassifier(t *testing.T) {
	data := t.TempDir()
	t.Setenv("EASEL_DATA", data)
	dir := filepath.Join(data, "mnist")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	writeDigits(t, dir, "train", 96, rng)
	writeDigits(t, dir, "t10k", 16, rng)
	out := filepath.Join(t.TempDir(), "c.msgpack")
	_, stderr := mustEasel(t, "train", "classifier", "--data", "mnist", "--width", "4", "--batch", "16", "--steps", "12",
		"--eval-every", "6", "--eval-n", "10", "--seed", "3", "--out", out)
	for _, want := range []string{"[6/12] held-out check: accuracy", "on 10 images", "[12/12] loss", "held-out (mnist:test): accuracy"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("output does not say %q", want)
		}
	}
	w, err := models.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if w.Arch != models.ArchClassifier || !w.Meta.Trained || w.Meta.Steps != 12 ||
		!strings.Contains(w.Meta.TrainingCommand, "train classifier") || !strings.Contains(w.Meta.TrainingCommand, "--seed 3") {
		t.Errorf("weights %s, meta %+v: want a trained classifier of 12 steps and its command", w.Arch, w.Meta)
	}
	for _, want := range []string{"data mnist (96 training images, 3 classes)", "seed 3", "12 steps", "Held-out (mnist:test): accuracy ", "on 16 images"} {
		if !strings.Contains(w.Meta.Description, want) {
			t.Errorf("description %q does not say %q", w.Meta.Description, want)
		}
	}
	if n, _ := w.Config.Int("classes"); n != 3 {
		t.Errorf("config %v: want 3 classes", w.Config)
	}
}
