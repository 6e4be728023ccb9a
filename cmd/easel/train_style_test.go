//go:build !(js && wasm)

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"easel/models"
)

// styleData writes a style image and a folder of three content photos.
func styleData(t *testing.T, dir string) (style, content string) {
	t.Helper()
	content = filepath.Join(dir, "photos")
	if err := os.Mkdir(content, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range [][2]int{{40, 32}, {36, 44}, {48, 40}} {
		writePNGFile(t, filepath.Join(content, "p"+strconv.Itoa(i)+".png"), s[0], s[1])
	}
	return writePNGFile(t, filepath.Join(dir, "style.png"), 30, 24), content
}

// smallStyle are the flags of a tiny but complete style run with the stability term.
func smallStyle(style, content string, steps int) []string {
	return []string{"train", "style", "--style", style, "--content", content, "--content-max", "48", "--size", "16",
		"--style-size", "24", "--batch", "2", "--style-layers", "relu1_2,relu2_1", "--lr", "0.01", "--seed", "3",
		"--stability", "0.5", "--stability-noise", "4", "--steps", strconv.Itoa(steps)}
}

// readStyleLog returns a style run's log lines without their wall times.
func readStyleLog(t *testing.T, path string) []map[string]float64 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]float64
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		var m map[string]float64
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: line %q: %v", path, sc.Text(), err)
		}
		delete(m, "ms")
		out = append(out, m)
	}
	return out
}

// TestTrainStyleStability trains a tiny style network with the stability term, straight
// through and in two sessions (a checkpoint, then --resume): the logs and the weights
// agree exactly, the log and the meta record the term, a resumed run refuses another
// weight, and a checkpoint from before the term existed resumes without it.
func TestTrainStyleStability(t *testing.T) {
	dir := t.TempDir()
	style, content := styleData(t, dir)
	whole, wholeOut := filepath.Join(dir, "whole"), filepath.Join(dir, "whole.msgpack")
	mustEasel(t, append(smallStyle(style, content, 4), "--run", whole, "--out", wholeOut)...)
	want := readStyleLog(t, filepath.Join(whole, "log.jsonl"))
	if len(want) != 4 {
		t.Fatalf("log has %d lines, want 4", len(want))
	}
	for i, l := range want {
		if !(l["stability"] > 0) || !(l["total"] > l["stability"]) {
			t.Errorf("log line %d: %v: want a positive stability term within the total", i+1, l)
		}
	}
	w, err := models.ReadFile(wholeOut)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.Meta.Description, "stability term ×0.5 (Gaussian pixel noise σ 4 of 0..255)") ||
		!strings.Contains(w.Meta.TrainingCommand, "--stability 0.5") {
		t.Errorf("meta %+v: want the stability term in the description and the command", w.Meta)
	}

	run, out := filepath.Join(dir, "run"), filepath.Join(dir, "net.msgpack")
	mustEasel(t, append(smallStyle(style, content, 2), "--run", run, "--out", out)...)
	ckPath := filepath.Join(run, "checkpoint.msgpack")
	ck, err := models.ReadCheckpoint(ckPath)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Settings["stability"] != "0.5" || ck.Settings["stability-noise"] != "4" {
		t.Errorf("checkpoint settings stability %q, stability-noise %q: want 0.5 and 4", ck.Settings["stability"], ck.Settings["stability-noise"])
	}
	_, _, err = runEasel(t, "train", "style", "--resume", run, "--steps", "4", "--out", out, "--stability", "0.2")
	if err == nil || !strings.Contains(err.Error(), `--stability 0.2: the run being resumed used --stability "0.5"`) {
		t.Errorf("resume with another --stability: %v, want it refused", err)
	}
	mustEasel(t, "train", "style", "--resume", run, "--steps", "4", "--out", out)
	if got := readStyleLog(t, filepath.Join(run, "log.jsonl")); !jsonLinesEqual(got, want) {
		t.Errorf("resumed log %v, uninterrupted %v", got, want)
	}
	a, err := models.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, tn := range w.Tensors {
		if !slicesEqualBits(tn.Data, a.Tensors[i].Data) {
			t.Errorf("%s differs between the resumed and the uninterrupted run", tn.Name)
		}
	}

	// A checkpoint written before the flags existed: no stability settings.
	old := filepath.Join(dir, "old")
	args := smallStyle(style, content, 2)
	args = args[:len(args)-6] // without --stability, --stability-noise, --steps
	mustEasel(t, append(args, "--steps", "2", "--run", old, "--out", filepath.Join(dir, "old.msgpack"))...)
	ck, err = models.ReadCheckpoint(filepath.Join(old, "checkpoint.msgpack"))
	if err != nil {
		t.Fatal(err)
	}
	delete(ck.Settings, "stability")
	delete(ck.Settings, "stability-noise")
	if err := models.WriteCheckpoint(filepath.Join(old, "checkpoint.msgpack"), ck); err != nil {
		t.Fatal(err)
	}
	_, _, err = runEasel(t, "train", "style", "--resume", old, "--steps", "3", "--out", filepath.Join(dir, "old.msgpack"), "--stability", "1")
	if err == nil || !strings.Contains(err.Error(), `the run being resumed used --stability "0"`) {
		t.Errorf("resume of an older run with --stability 1: %v, want it refused", err)
	}
	mustEasel(t, "train", "style", "--resume", old, "--steps", "3", "--out", filepath.Join(dir, "old.msgpack"))
	for i, l := range readStyleLog(t, filepath.Join(old, "log.jsonl")) {
		if _, ok := l["stability"]; ok {
			t.Errorf("older run's log line %d has a stability term: %v", i+1, l)
		}
	}
}

func jsonLinesEqual(a, b []map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for k, v := range a[i] {
			if w, ok := b[i][k]; !ok || w != v {
				return false
			}
		}
	}
	return true
}

func slicesEqualBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTrainStyleBadFlags: bad values of the stability and --init flags are refused with
// a message naming them, before any run folder or output appears.
func TestTrainStyleBadFlags(t *testing.T) {
	dir := t.TempDir()
	style, content := styleData(t, dir)
	classifier := filepath.Join(dir, "notstyle.msgpack")
	mustEasel(t, "convert", "--model", "classifier-mnist", "--out", classifier)
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--stability", "-1"}, "--stability -1: want a weight in 0..1e15"},
		{[]string{"--stability", "NaN"}, "--stability NaN"},
		{[]string{"--stability", "1e16"}, "--stability 1e+16"},
		{[]string{"--stability-noise", "0"}, "--stability-noise 0: want a standard deviation in (0, 255]"},
		{[]string{"--stability-noise", "-2"}, "--stability-noise -2"},
		{[]string{"--stability-noise", "300"}, "--stability-noise 300"},
		{[]string{"--stability", "x"}, `invalid argument "x" for "--stability"`},
		{[]string{"--init", filepath.Join(dir, "missing.msgpack")}, "--init"},
		{[]string{"--init", classifier}, "needs transformer-net"},
	} {
		run, out := filepath.Join(dir, "run"), filepath.Join(dir, "out.msgpack")
		args := append(smallStyle(style, content, 1), "--run", run, "--out", out)
		_, _, err := runEasel(t, append(args, c.flags...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.flags, err, c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%v: %s exists after the failure", c.flags, out)
		}
		os.RemoveAll(run)
	}
}
