//go:build !(js && wasm)

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jezek/xgb"

	"easel/internal/trainview"
	"easel/internal/xdisplay"
)

// The window's tests build the command with the viewer tag (this package's tests are
// built without it, so that they run without a display) and run it: without a display,
// and under Xvfb, a virtual X server.

var (
	buildOnce sync.Once
	viewerBin string
	buildErr  error
)

// viewerBinary builds easel-view with its window once, skipping the test when cgo, which
// the window needs, is not available.
func viewerBinary(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the window tests build easel-view with the go command: %v", err)
	}
	cgo, err := exec.Command(goBin, "env", "CGO_ENABLED").Output()
	if err != nil {
		t.Fatalf("go env CGO_ENABLED: %v", err)
	}
	if strings.TrimSpace(string(cgo)) != "1" {
		t.Skip("skipped: easel-view's window needs cgo (go env CGO_ENABLED is not 1: no C compiler, or CGO_ENABLED=0)")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "easel-view-test-")
		if err != nil {
			buildErr = err
			return
		}
		viewerBin = filepath.Join(dir, "easel-view")
		start := time.Now()
		out, err := exec.Command(goBin, "build", "-tags", "viewer", "-o", viewerBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build -tags viewer: %v\n%s\n(the window needs the X11/GL headers: bash scripts/install-deps.sh)", err, out)
			return
		}
		fmt.Fprintf(os.Stderr, "built easel-view with its window in %v\n", time.Since(start).Round(time.Second))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return viewerBin
}

func TestMain(m *testing.M) {
	// xgb (xdisplay.Check) logs each connection made without ~/.Xauthority, as to Xvfb.
	xgb.Logger = log.New(io.Discard, "", 0)
	code := m.Run()
	if viewerBin != "" {
		os.RemoveAll(filepath.Dir(viewerBin))
	}
	os.Exit(code)
}

// runViewer runs the viewer binary with env added to the environment, within limit.
func runViewer(t *testing.T, bin string, env []string, limit time.Duration, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("easel-view %q did not end within %v\nstderr:\n%s", args, limit, e.String())
	}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("easel-view %q: %v", args, err)
	}
	return o.String(), e.String(), code
}

// environ is the environment without DISPLAY, plus extra.
func environ(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPLAY=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// Without a display the viewer says so, names the run folder and exits with status 1: no
// panic, whether $DISPLAY is unset or names a display with no server.
func TestWindowNoDisplay(t *testing.T) {
	bin := viewerBinary(t)
	run := t.TempDir()
	dead := ":" + fmt.Sprint(freeDisplay(t))
	for _, env := range [][]string{environ(), environ("DISPLAY=" + dead)} {
		_, stderr, code := runViewer(t, bin, env, time.Minute, run)
		if code != 1 {
			t.Errorf("%v: exit status %d, want 1; stderr:\n%s", env[len(env)-1], code, stderr)
		}
		want := "no display: easel-view needs X11"
		if !strings.Contains(stderr, want) || !strings.Contains(stderr, "the run's files are in "+run) {
			t.Errorf("stderr %q, want %q and the run folder", stderr, want)
		}
		if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine") {
			t.Errorf("stderr has a panic:\n%s", stderr)
		}
	}
}

// The build without the tag says how to build the window.
func TestStubSaysHowToBuild(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "easel-view-stub")
	if out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	_, stderr, code := runViewer(t, bin, environ(), time.Minute, t.TempDir())
	if code != 1 || !strings.Contains(stderr, "go build -tags viewer ./cmd/easel-view") {
		t.Errorf("status %d, stderr %q: want 1 and how to rebuild", code, stderr)
	}
}

// freeDisplay returns an X display number with no server (no socket, no lock file).
func freeDisplay(t *testing.T) int {
	t.Helper()
	for n := 90 + os.Getpid()%400; n < 1000; n++ {
		_, errSock := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n))
		_, errLock := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n))
		if errors.Is(errSock, os.ErrNotExist) && errors.Is(errLock, os.ErrNotExist) {
			return n
		}
	}
	t.Fatal("no free X display number")
	return 0
}

// startXvfb starts Xvfb on a free display and waits until it accepts connections; it is
// stopped when the test ends. It skips the test without Xvfb.
func startXvfb(t *testing.T) string {
	t.Helper()
	xvfb, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Skip("skipped: no Xvfb (Debian package xvfb; bash scripts/install-deps.sh installs it)")
	}
	for range 5 {
		if display, ok := tryXvfb(t, xvfb, freeDisplay(t)); ok {
			return display
		}
	}
	t.Fatal("Xvfb: no display number worked")
	return ""
}

// tryXvfb starts Xvfb on display n and waits for its socket to appear and accept a
// connection. It reports false when the server exits first (another one took n).
func tryXvfb(t *testing.T, xvfb string, n int) (string, bool) {
	display := fmt.Sprintf(":%d", n)
	cmd := exec.Command(xvfb, display, "-screen", "0", "1400x1050x24", "-nolisten", "tcp", "-noreset")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	socket := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Logf("Xvfb %s exited: %v\n%s", display, err, stderr.String())
			return "", false
		case <-deadline:
			cmd.Process.Kill()
			<-exited
			t.Fatalf("Xvfb %s: no connection on %s after 30s\n%s", display, socket, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if _, err := os.Stat(socket); err == nil && xdisplay.Check(display) == nil {
			break
		}
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return display, true
}

// A fake run under Xvfb: the viewer draws the latest sample grid, the loss curves and the
// explorer's grid from the checkpoint's generator, and writes the screen after a few
// frames. The screenshot has the screen's size and each panel drew something varied.
func TestWindowScreenshot(t *testing.T) {
	display := startXvfb(t)
	bin := viewerBinary(t)
	run := t.TempDir()
	makeFakeRun(t, run, fakeConfig, 240, 120, 240)
	shot := filepath.Join(t.TempDir(), "viewer.png")
	start := time.Now()
	_, stderr, code := runViewer(t, bin, environ("DISPLAY="+display), 6*time.Minute,
		"--screenshot", shot, "--frames", "3", run)
	if code != 0 {
		t.Fatalf("easel-view: exit status %d\n%s", code, stderr)
	}
	t.Logf("screenshot after %v", time.Since(start).Round(time.Millisecond))
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got != image.Pt(screenW, screenH) {
		t.Fatalf("screenshot %v, want 1280×960", got)
	}
	// The latest sample grid and the explorer's grid are drawn pixel for pixel (whole
	// scale factors, nearest pixels): compare them with the file and with the grid the
	// generator makes here.
	latest, err := readPNG(filepath.Join(run, "samples-000240.png"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name string
		want image.Image
		x    int
	}{
		{"sample grid", latest, samplesX},
		{"explorer grid", expectedGrid(t, fakeConfig, 1), exploreX},
	} {
		d, n := compareFitted(img, p.want, p.x, panelTop, panelSide)
		t.Logf("%s: differs by up to %d levels; %d distinct colours", p.name, d, n)
		if d > 2 {
			t.Errorf("%s on the screen differs from the expected by up to %d levels", p.name, d)
		}
		if n < 200 {
			t.Errorf("%s of %d distinct colours: want a varied picture", p.name, n)
		}
	}
	if n := distinctColours(img, image.Rect(margin, plotY, margin+plotW, plotY+plotH)); n < 20 {
		t.Errorf("loss curves: %d distinct colours, want a plot", n)
	}
	if out := os.Getenv("EASEL_VIEW_SCREENSHOT"); out != "" {
		// Keep it (docs/img/viewer.png is made so).
		if err := trainview.WritePNG(out, img); err != nil {
			t.Fatal(err)
		}
	}
}

// compareFitted compares want, drawn by drawFitted into the square of side at (x, y) of
// screen, with the screen: the largest channel difference and the distinct colours there.
func compareFitted(screen, want image.Image, x, y, side int) (maxDiff, colours int) {
	b := want.Bounds()
	s, left, top := fit(b.Dx(), b.Dy(), x, y, side)
	w, h := int(s*float64(b.Dx())), int(s*float64(b.Dy()))
	for py := range h {
		for px := range w {
			sr, sg, sb, _ := screen.At(int(left)+px, int(top)+py).RGBA()
			wr, wg, wb, _ := want.At(b.Min.X+int(float64(px)/s), b.Min.Y+int(float64(py)/s)).RGBA()
			for _, d := range []int{int(sr>>8) - int(wr>>8), int(sg>>8) - int(wg>>8), int(sb>>8) - int(wb>>8)} {
				maxDiff = max(maxDiff, d, -d)
			}
		}
	}
	return maxDiff, distinctColours(screen, image.Rect(int(left), int(top), int(left)+w, int(top)+h))
}

// distinctColours counts the colours in r of img.
func distinctColours(img image.Image, r image.Rectangle) int {
	seen := map[[4]uint32]bool{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			seen[[4]uint32{cr, cg, cb, ca}] = true
		}
	}
	return len(seen)
}
