package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"easel/internal/trainview"
)

// The files of a run folder that the viewer reads.
const (
	logName        = "log.jsonl"
	checkpointName = "checkpoint.msgpack"
)

// samplePattern matches the sample grids easel train writes: samples-STEP.png.
var samplePattern = regexp.MustCompile(`^samples-([0-9]+)\.png$`)

// sampleFile is one sample grid of the run.
type sampleFile struct {
	step int
	path string
}

// listSamples lists dir's sample grids by step.
func listSamples(dir string) ([]sampleFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []sampleFile
	for _, e := range ents {
		m := samplePattern.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		step, err := strconv.Atoi(m[1])
		if err != nil {
			continue // more digits than an int holds: not a step
		}
		out = append(out, sampleFile{step: step, path: filepath.Join(dir, e.Name())})
	}
	slices.SortFunc(out, func(a, b sampleFile) int { return a.step - b.step })
	return out, nil
}

// figure is one numeric field of a log line.
type figure struct {
	name string
	v    float64
}

// logRecord is one line of the run's log: its step and its other numeric fields, in the
// line's order.
type logRecord struct {
	step    int
	figures []figure
}

// logTail is how much of the end of the log lastLogRecord reads.
const logTail = 64 << 10

// lastLogRecord reads the last complete line of the JSON-lines log at path that is an
// object with a numeric step. A last line without its newline is one still being
// written, and skipped. ok is false when no line in the log's last logTail bytes is one.
func lastLogRecord(path string) (rec logRecord, ok bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return rec, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return rec, false, err
	}
	from := max(0, fi.Size()-logTail)
	buf := make([]byte, fi.Size()-from)
	if _, err := f.ReadAt(buf, from); err != nil && err != io.EOF {
		return rec, false, fmt.Errorf("%s: %w", path, err)
	}
	end := bytes.LastIndexByte(buf, '\n')
	for end >= 0 {
		start := bytes.LastIndexByte(buf[:end], '\n') + 1
		if start == 0 && from > 0 {
			break // the line began before the tail that was read
		}
		if rec, ok := parseLogLine(buf[start:end]); ok {
			return rec, true, nil
		}
		end = start - 1
	}
	return rec, false, nil
}

// parseLogLine reads one log line: an object with a numeric step, whose other numeric
// fields become figures; other values are skipped.
func parseLogLine(line []byte) (logRecord, bool) {
	var rec logRecord
	dec := jsontext.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return rec, false
	}
	hasStep := false
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return rec, false
		}
		name := tok.String()
		if dec.PeekKind() != '0' {
			if err := dec.SkipValue(); err != nil {
				return rec, false
			}
			continue
		}
		v, err := dec.ReadToken()
		if err != nil {
			return rec, false
		}
		x := v.Float()
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		if name == "step" {
			if x < 0 || x > math.MaxInt32 || x != math.Trunc(x) {
				return rec, false
			}
			rec.step, hasStep = int(x), true
			continue
		}
		rec.figures = append(rec.figures, figure{name, x})
	}
	if _, err := dec.ReadToken(); err != nil {
		return rec, false
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return rec, false
	}
	return rec, hasStep
}

// readPNG decodes the PNG file at path.
func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// runState is what the watcher last read from the run folder.
type runState struct {
	version int // counts the reads that changed something

	samples []sampleFile
	listErr error // reading the folder

	last    logRecord // the log's last complete line
	hasLast bool
	logErr  error // reading the log; fs.ErrNotExist before the run writes it

	plot    image.Image // the loss curves (trainview.PlotLog), nil before the first
	plotErr error
	plotted bool // PlotLog ran at least once or the log is missing

	checkpointTime time.Time // the checkpoint's modification time; zero when absent
}

// plotMinInterval is the least time between two drawings of the loss curves; a drawing
// that takes long stretches it to ten times its duration.
const plotMinInterval = 2 * time.Second

// watcher reads the run folder every poll in its own goroutine.
type watcher struct {
	dir, tmp string
	poll     time.Duration

	mu    sync.Mutex
	state runState

	// The log's size and time when last plotted, and when.
	logSize     int64
	logTime     time.Time
	plotAt      time.Time
	plotTook    time.Duration
	plotPending bool

	stop chan struct{}
	done chan struct{}
}

// startWatcher reads dir once and then every poll until close. Its plots go to a
// temporary folder of its own.
func startWatcher(dir string, poll time.Duration) (*watcher, error) {
	tmp, err := os.MkdirTemp("", "easel-view-")
	if err != nil {
		return nil, err
	}
	w := &watcher{dir: dir, tmp: tmp, poll: poll, stop: make(chan struct{}), done: make(chan struct{})}
	go w.loop()
	return w, nil
}

func (w *watcher) loop() {
	defer close(w.done)
	t := time.NewTicker(w.poll)
	defer t.Stop()
	for {
		w.scan(time.Now())
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
	}
}

// close stops the watcher and removes its temporary folder.
func (w *watcher) close() {
	close(w.stop)
	<-w.done
	os.RemoveAll(w.tmp)
}

// snapshot returns the latest state.
func (w *watcher) snapshot() runState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state
}

// scan reads the run folder and publishes what changed.
func (w *watcher) scan(now time.Time) {
	w.mu.Lock()
	next := w.state
	w.mu.Unlock()
	changed := false

	samples, err := listSamples(w.dir)
	if !slices.Equal(samples, next.samples) || !sameError(err, next.listErr) {
		next.samples, next.listErr, changed = samples, err, true
	}

	var ckTime time.Time
	if fi, err := os.Stat(filepath.Join(w.dir, checkpointName)); err == nil {
		ckTime = fi.ModTime()
	}
	if !ckTime.Equal(next.checkpointTime) {
		next.checkpointTime, changed = ckTime, true
	}

	logPath := filepath.Join(w.dir, logName)
	fi, err := os.Stat(logPath)
	switch {
	case err != nil:
		if !sameError(err, next.logErr) || !next.plotted {
			next.logErr, next.hasLast, next.plotted, changed = err, false, true, true
			next.plot, next.plotErr = nil, fmt.Errorf("no %s yet", logName)
			w.logSize, w.logTime = 0, time.Time{}
		}
	case fi.Size() != w.logSize || !fi.ModTime().Equal(w.logTime) || w.plotPending:
		if fi.Size() != w.logSize || !fi.ModTime().Equal(w.logTime) {
			rec, ok, err := lastLogRecord(logPath)
			next.last, next.hasLast, next.logErr, changed = rec, ok, err, true
			w.logSize, w.logTime = fi.Size(), fi.ModTime()
			w.plotPending = true
		}
		if now.Sub(w.plotAt) >= max(plotMinInterval, 10*w.plotTook) || !next.plotted {
			start := time.Now()
			next.plot, next.plotErr = w.plotLog(logPath)
			next.plotted, changed = true, true
			w.plotAt, w.plotTook, w.plotPending = now, time.Since(start), false
		}
	}

	if changed {
		next.version++
		w.mu.Lock()
		w.state = next
		w.mu.Unlock()
	}
}

// plotLog draws the log's loss curves (trainview.PlotLog) and reads the picture back.
func (w *watcher) plotLog(logPath string) (image.Image, error) {
	out := filepath.Join(w.tmp, "loss.png")
	if err := trainview.PlotLog(logPath, out, nil); err != nil {
		return nil, err
	}
	return readPNG(out)
}

// sameError reports whether a and b are both nil or say the same.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error() && errors.Is(a, fs.ErrNotExist) == errors.Is(b, fs.ErrNotExist)
}
