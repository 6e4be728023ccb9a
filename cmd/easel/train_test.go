//go:build !(js && wasm)

package main

import (
	"bufio"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"easel/models"
)

// TestMain lets a test run the command line as a child process (to kill it): with
// EASEL_TEST_MAIN=1 the test binary is easel.
func TestMain(m *testing.M) {
	if os.Getenv("EASEL_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// trainData writes n random smooth 64×64 images as a float32 .npy in -1..1.
func trainData(t *testing.T, dir string, n, nc int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]float32, n*nc*64*64)
	for i := range n {
		fx, fy, ph := 1+3*rng.Float64(), 1+3*rng.Float64(), 6*rng.Float64()
		for c := range nc {
			for y := range 64 {
				for x := range 64 {
					v := 0.8 * math.Sin(fx*float64(x)/16+fy*float64(y)/16+ph+float64(c))
					data[((i*nc+c)*64+y)*64+x] = float32(v)
				}
			}
		}
	}
	return writeNpyFile(t, filepath.Join(dir, "x.npy"), []int{n, nc, 64, 64}, data)
}

type logLine struct {
	Step                         int
	LossD, LossG, DX, DGZ1, DGZ2 float64
}

func readLog(t *testing.T, path string) []logLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []logLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]float64
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: line %q: %v", path, sc.Text(), err)
		}
		for _, k := range []string{"step", "loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2", "ms"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("%s: line %q has no %q", path, sc.Text(), k)
			}
		}
		out = append(out, logLine{int(m["step"]), m["loss_d"], m["loss_g"], m["d_x"], m["d_g_z1"], m["d_g_z2"]})
	}
	return out
}

// smallDCGAN are the flags of a tiny but complete DCGAN run.
func smallDCGAN(data string, steps int) []string {
	return []string{"train", "dcgan", "--data", data, "--batch", "4", "--nz", "8", "--ngf", "4", "--ndf", "4",
		"--steps", strconv.Itoa(steps), "--seed", "5", "--lr", "0.001"}
}

// TestTrainDCGAN trains a tiny DCGAN, samples the result, and checks the log and the
// weights' provenance.
func TestTrainDCGAN(t *testing.T) {
	dir := t.TempDir()
	data := trainData(t, dir, 10, 3)
	run, out := filepath.Join(dir, "run"), filepath.Join(dir, "g.msgpack")
	mustEasel(t, append(smallDCGAN(data, 4), "--run", run, "--out", out, "--checkpoint-every", "2")...)
	lines := readLog(t, filepath.Join(run, "log.jsonl"))
	if len(lines) != 4 {
		t.Fatalf("log has %d lines, want 4", len(lines))
	}
	for i, l := range lines {
		if l.Step != i+1 || !(l.LossD > 0) || !(l.LossG > 0) || !(l.DX > 0 && l.DX < 1) {
			t.Errorf("log line %d: %+v", i, l)
		}
	}
	w, err := models.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !w.Meta.Trained || w.Meta.Steps != 4 || !strings.Contains(w.Meta.TrainingCommand, "train dcgan") {
		t.Errorf("meta %+v: want trained, 4 steps and the training command", w.Meta)
	}
	png := filepath.Join(dir, "s.png")
	mustEasel(t, "sample", "--model", out, "--n", "4", "--out", png)
	if _, err := os.Stat(png); err != nil {
		t.Fatal(err)
	}
}

// TestTrainDCGANResumeAfterKill kills a training run with SIGKILL between checkpoints and
// resumes it: the log ends up with one line per step, and the steps after the checkpoint
// repeat an uninterrupted run's losses exactly.
func TestTrainDCGANResumeAfterKill(t *testing.T) {
	dir := t.TempDir()
	data := trainData(t, dir, 12, 3)
	const steps = 30 // enough that the kill comes while it runs
	whole := filepath.Join(dir, "whole")
	mustEasel(t, append(smallDCGAN(data, steps), "--run", whole, "--out", filepath.Join(dir, "whole.msgpack"))...)
	want := readLog(t, filepath.Join(whole, "log.jsonl"))

	run := filepath.Join(dir, "run")
	cmd := exec.Command(os.Args[0], append(smallDCGAN(data, steps), "--run", run, "--out",
		filepath.Join(dir, "g.msgpack"), "--checkpoint-every", "3")...)
	cmd.Env = append(os.Environ(), "EASEL_TEST_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once step 4 is logged: after the checkpoint of step 3, before the next one.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err := <-done:
			t.Fatalf("the run ended before it could be killed: %v", err)
		case <-tick.C:
			if countLines(filepath.Join(run, "log.jsonl")) >= 4 {
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				break wait
			}
		}
	}
	ck, err := models.ReadCheckpoint(filepath.Join(run, "checkpoint.msgpack"))
	if err != nil {
		t.Fatalf("checkpoint after kill: %v", err)
	}
	if ck.Step < 3 || ck.Step%3 != 0 || ck.Step >= steps {
		t.Fatalf("checkpoint at step %d, want a multiple of 3 before %d", ck.Step, steps)
	}
	if n := countLines(filepath.Join(run, "log.jsonl")); n <= ck.Step {
		t.Logf("killed right at a checkpoint (log %d lines, checkpoint %d)", n, ck.Step)
	}
	mustEasel(t, "train", "dcgan", "--resume", run, "--steps", strconv.Itoa(steps), "--out", filepath.Join(dir, "g.msgpack"))
	got := readLog(t, filepath.Join(run, "log.jsonl"))
	if len(got) != steps {
		t.Fatalf("resumed log has %d lines, want %d", len(got), steps)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("step %d: resumed run %+v, uninterrupted %+v", i+1, got[i], want[i])
		}
	}
}

func countLines(path string) int {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(raw), "\n")
}

// TestTrainDCGANBadInput: every bad input is refused with a message naming it, and no
// output or checkpoint appears.
func TestTrainDCGANBadInput(t *testing.T) {
	dir := t.TempDir()
	data := trainData(t, dir, 6, 3)
	bad := writeNpyFile(t, filepath.Join(dir, "bad.npy"), []int{2, 3, 32, 32}, make([]float32, 2*3*32*32))
	nan := make([]float32, 4*3*64*64)
	nan[77] = float32(math.NaN())
	nanData := writeNpyFile(t, filepath.Join(dir, "nan.npy"), []int{4, 3, 64, 64}, nan)
	corrupt := writeFile(t, filepath.Join(dir, "g.pth"), []byte("not a zip"))
	shortZ := writeNpyFile(t, filepath.Join(dir, "z.npy"), []int{1, 4, 8}, make([]float32, 32))
	out := filepath.Join(dir, "g.msgpack")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", filepath.Join(dir, "missing.npy")}, "missing.npy"},
		{[]string{"--data", bad}, "shape [2 3 32 32]"},
		{[]string{"--data", nanData}, "outside -1..1"},
		{[]string{"--data", data, "--init-g", corrupt}, "g.pth"},
		{[]string{"--data", data, "--z", shortZ}, "latents for 1 steps"},
		{[]string{"--data", data, "--batch", "1"}, "--batch 1"},
		{[]string{"--data", data, "--batch", "8"}, "fewer than one batch"},
		{[]string{"--data", data, "--lr", "-1"}, "--lr"},
		{[]string{"--data", data, "--resume", filepath.Join(dir, "nothing")}, "checkpoint"},
	} {
		run := filepath.Join(dir, "run-"+strconv.Itoa(len(c.args))+filepath.Base(c.want))
		args := append([]string{"train", "dcgan", "--nz", "8", "--ngf", "4", "--ndf", "4", "--batch", "4", "--steps", "2",
			"--out", out}, c.args...)
		if !strings.Contains(strings.Join(c.args, " "), "--resume") {
			args = append(args, "--run", run)
		}
		_, _, err := runEasel(t, args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one naming %q", c.args, err, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v: wrote %s", c.args, out)
		}
		if _, err := os.Stat(filepath.Join(run, "checkpoint.msgpack")); err == nil {
			t.Errorf("%v: wrote a checkpoint", c.args)
		}
	}
}
