//go:build !(js && wasm)

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestListSamples(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"samples-000250.png", "samples-000020.png", "samples-1000000.png", "samples-000100.png",
		"samples-x.png", "samples-000300.png.tmp", "samples-.png", "loss.png",
		"samples-99999999999999999999999.png", // no int step
	} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "samples-000400.png"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := listSamples(dir)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, s := range got {
		steps = append(steps, fmt.Sprint(s.step))
		if filepath.Dir(s.path) != dir {
			t.Errorf("path %s outside %s", s.path, dir)
		}
	}
	if want := "20 100 250 1000000"; strings.Join(steps, " ") != want {
		t.Errorf("steps %s, want %s", strings.Join(steps, " "), want)
	}
	if _, err := listSamples(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing folder: %v", err)
	}
}

func TestLastLogRecord(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, logName)
	long := strings.Repeat(`{"step":1,"loss":1}`+"\n", 2*logTail/20)
	for _, tc := range []struct {
		name, log string
		step      int
		figures   string
		ok        bool
	}{
		{"plain", `{"step":1,"loss_d":0.5,"ms":3}` + "\n" + `{"step":2,"loss_g":2.5,"loss_d":0.25,"ms":4.5}` + "\n",
			2, "loss_g=2.5 loss_d=0.25 ms=4.5", true},
		{"line being written", `{"step":1,"a":1}` + "\n" + `{"step":2,"a":`, 1, "a=1", true},
		{"complete line without newline skipped", `{"step":1,"a":1}` + "\n" + `{"step":2,"a":2}`, 1, "a=1", true},
		{"other values skipped", `{"step":7,"name":"x","v":[1,2],"o":{"a":1},"b":true,"n":null,"a":-1e-3}` + "\n",
			7, "a=-0.001", true},
		{"bad last lines skipped", `{"step":3,"a":1}` + "\n" + "garbage\n" + `{"a":1}` + "\n" + `{"step":-1}` + "\n" +
			`{"step":1.5}` + "\n" + `{"step":4} {}` + "\n" + "\n", 3, "a=1", true},
		{"long log", long + `{"step":9,"loss":0.125}` + "\n", 9, "loss=0.125", true},
		{"empty", "", 0, "", false},
		{"nothing valid in the tail", strings.Repeat("x", 2*logTail) + "\n", 0, "", false},
	} {
		if err := os.WriteFile(path, []byte(tc.log), 0o644); err != nil {
			t.Fatal(err)
		}
		rec, ok, err := lastLogRecord(path)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var figs []string
		for _, f := range rec.figures {
			figs = append(figs, fmt.Sprintf("%s=%g", f.name, f.v))
		}
		if ok != tc.ok || (ok && (rec.step != tc.step || strings.Join(figs, " ") != tc.figures)) {
			t.Errorf("%s: step %d %q ok %v, want step %d %q ok %v", tc.name, rec.step, strings.Join(figs, " "), ok,
				tc.step, tc.figures, tc.ok)
		}
	}
	if _, _, err := lastLogRecord(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing log: %v", err)
	}
}

// The watcher follows a run as it goes: no files yet, then a log, samples and a
// checkpoint; the plot is drawn again when the log grows (no more often than
// plotMinInterval), and an unchanged folder publishes no new version.
func TestWatcherScan(t *testing.T) {
	dir := t.TempDir()
	tmp := t.TempDir()
	w := &watcher{dir: dir, tmp: tmp, poll: time.Second}
	now := time.Now()
	w.scan(now)
	st := w.snapshot()
	if st.version != 1 || len(st.samples) != 0 || !errors.Is(st.logErr, fs.ErrNotExist) || !st.plotted ||
		st.plot != nil || st.plotErr == nil || !st.checkpointTime.IsZero() {
		t.Fatalf("empty folder: %+v", st)
	}
	w.scan(now.Add(time.Second))
	if v := w.snapshot().version; v != 1 {
		t.Errorf("unchanged folder: version %d, want 1", v)
	}

	makeFakeRun(t, dir, fakeConfig, 100, 50)
	w.scan(now.Add(2 * time.Second))
	st = w.snapshot()
	if st.version != 2 || len(st.samples) != 1 || st.samples[0].step != 50 || st.logErr != nil || !st.hasLast ||
		st.last.step != 100 || st.plot == nil || st.plotErr != nil || st.checkpointTime.IsZero() {
		t.Fatalf("run: %+v", st)
	}
	if b := st.plot.Bounds(); b.Dx() != 960 || b.Dy() != 540 {
		t.Errorf("plot %v, want 960×540", b)
	}
	first := st.plot

	// The log grows: the last line is read at once, the plot drawn again only after
	// plotMinInterval.
	f, err := os.OpenFile(filepath.Join(dir, logName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, `{"step":101,"loss_d":9,"loss_g":9,"ms":1}`)
	f.Close()
	w.scan(now.Add(3 * time.Second))
	st = w.snapshot()
	if st.last.step != 101 || st.plot != first {
		t.Errorf("1s after the plot: last step %d, plot redrawn %v; want 101, not redrawn", st.last.step, st.plot != first)
	}
	// later is a time when the plot may be drawn again: plotMinInterval after the last,
	// or ten times as long as it took.
	plotAt := now.Add(2 * time.Second)
	later := func() time.Time {
		plotAt = plotAt.Add(max(plotMinInterval, 10*w.plotTook) + time.Millisecond)
		return plotAt
	}
	w.scan(later())
	st = w.snapshot()
	if st.plot == first {
		t.Error("the plot was not drawn again after plotMinInterval")
	}
	v := st.version
	w.scan(later())
	if w.snapshot().version != v {
		t.Error("nothing changed, but a new version")
	}

	writeFakeSamples(t, filepath.Join(dir, "samples-000100.png"), 100)
	time.Sleep(10 * time.Millisecond) // a later modification time
	writeFakeCheckpoint(t, dir, fakeConfig, 100, 3)
	w.scan(later())
	st2 := w.snapshot()
	if len(st2.samples) != 2 || st2.samples[1].step != 100 || !st2.checkpointTime.After(st.checkpointTime) {
		t.Errorf("new grid and checkpoint: %+v", st2)
	}

	// A log line that is not an object is an error of the plot, not of the watcher.
	if err := os.WriteFile(filepath.Join(dir, logName), []byte("[1]\n{\"step\":1,\"a\":1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.scan(later())
	st3 := w.snapshot()
	if st3.plotErr == nil || st3.plot != nil || !st3.hasLast || st3.last.step != 1 {
		t.Errorf("bad log line: plot error %v, last %+v", st3.plotErr, st3.last)
	}
}

// The watcher's goroutine reads the folder at once and then every poll; close removes
// its temporary folder.
func TestWatcherLoop(t *testing.T) {
	dir := t.TempDir()
	w, err := startWatcher(dir, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	waitVersion := func(v int) runState {
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			if st := w.snapshot(); st.version >= v {
				return st
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no version %d after a minute", v)
		return runState{}
	}
	waitVersion(1)
	writeFakeSamples(t, filepath.Join(dir, "samples-000001.png"), 1)
	if st := waitVersion(2); len(st.samples) != 1 {
		t.Errorf("samples %v", st.samples)
	}
	w.close()
	if _, err := os.Stat(w.tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary folder left: %v", err)
	}
}
