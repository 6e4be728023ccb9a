//go:build !(js && wasm)

package main

import (
	"context"
	"fmt"
	"image"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"easel/gpu"
	"easel/internal/browsertest"
	"easel/models"
)

// Sizes of the page's syntheses in the browser tests: SwiftShader is slow.
const (
	synthSide  = 32 // the longer side of the image
	synthSteps = 6
	synthEvery = 2
)

// TestServeSynthesis runs the page's Texture & Gatys panel in headless Chromium: a tiny
// texture and a tiny Gatys transfer must report every step in order, the picture every
// few, a falling loss that matches the native run on the same pixels, and a canvas that
// is not blank; Stop must stop a long run; every run must free its GPU buffers; bad
// settings must be said in #status; a lost device must end the run with an error, and
// the next run must work.
func TestServeSynthesis(t *testing.T) {
	start := time.Now()
	dir := t.TempDir()
	wasm := filepath.Join(dir, "easel.wasm")
	browsertest.BuildWasm(t, "easel/wasm", wasm)
	glue := browsertest.CopyWasmExec(t, dir)
	t.Logf("built easel.wasm in %v", time.Since(start).Round(time.Millisecond))
	url := serve(t, "--wasm", wasm, "--wasm-exec", glue)

	ctx, cancel := browsertest.Context(t, browsertest.Start(t, true))
	defer cancel()
	addScript := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: testHooks})
		return err
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), addScript, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Logf("#status: %s", waitStatusMatching(t, ctx, "GPU ready"))
	if _, err := waitPage[bool](ctx, `() => !document.getElementById("synth-start").disabled`, 100*time.Millisecond); err != nil {
		t.Fatalf("wait for #synth-start: %v", err)
	}
	// Every call of easel.synthesize is recorded, with what the page passes (the pictures
	// as it drew them) and every progress report.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const synthesize = easel.synthesize;
		window.testSynth = [];
		easel.synthesize = (o) => {
			const pic = (p) => p && {w: p.width, h: p.height, data: Array.from(p.data)};
			const run = {mode: o.mode, width: o.width, height: o.height, alpha: o.alpha, beta: o.beta, seed: o.seed,
				style: pic(o.style), content: pic(o.content), progress: []};
			window.testSynth.push(run);
			return synthesize({...o, onProgress: (p) => {
				run.progress.push({step: p.step, loss: p.loss, image: !!p.image});
				o.onProgress(p);
			}});
		};
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	dev := nativeDevice(t)
	vw, err := models.SynthesisVGG(models.SynthVGGSeed)
	if err != nil {
		t.Fatal(err)
	}
	vgg, err := models.NewVGG(dev, vw)
	if err != nil {
		t.Fatal(err)
	}
	defer vgg.Release()

	before := checkSynthRun(t, ctx, dev, vgg, models.SynthTexture, 0)
	checkSynthRun(t, ctx, dev, vgg, models.SynthGatys, before)
	synthScreenshot(t, ctx, "synth-desktop.png")
	checkSynthStop(t, ctx, before)
	checkSynthErrors(t, ctx)
	checkSynthDeviceLost(t, ctx)
	// Everything above ran under the server's Content-Security-Policy.
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.testCSPViolations`)); err != nil || len(v) > 0 {
		t.Errorf("the Content-Security-Policy blocked %q (%v)", v, err)
	}
	if err := chromedp.Do(ctx, emulatePhone); err != nil {
		t.Fatal(err)
	}
	checkFitsPhone(t, ctx)
	synthScreenshot(t, ctx, "synth-phone.png")
}

// synthScreenshot saves a PNG of the panel as a test artifact.
func synthScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS("#synth")))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot: %s", browsertest.SaveArtifact(t, name, png))
}

// synthProgress is one progress report of the page's run, as the test's wrapper records it.
type synthProgress struct {
	Step  int
	Loss  *struct{ Content, Style, TV, Total float64 }
	Image bool
}

// synthPicture is a picture the page passed to easel.synthesize.
type synthPicture struct {
	W, H int
	Data []int
}

func (p *synthPicture) image() *image.NRGBA {
	if p == nil {
		return nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, p.W, p.H))
	for i, v := range p.Data {
		img.Pix[i] = byte(v)
	}
	return img
}

// synthRecord is one easel.synthesize call of the page.
type synthRecord struct {
	Mode           string
	Width, Height  int
	Alpha, Beta    float64
	Seed           uint64
	Style, Content *synthPicture
	Progress       []synthProgress
}

// synthProgressJS is how far the page has come with a synthesis: the page's progress, the
// panel's line and the GPU buffers in use, which grow while the first run records its
// step (compiling every kernel of the loss network, which takes minutes on a new machine).
const synthProgressJS = `[` + pageProgress + `, document.getElementById("synth-stats").textContent,
	window.easel.stats().liveBuffers]`

// synthState waits until the panel's run has ended and returns its state: "done",
// "stopped" or "error".
func synthState(ctx context.Context) (string, error) {
	return browsertest.Wait[string](ctx, `() => {
		const s = document.getElementById("synth-stats").dataset.state;
		return ["done", "stopped", "error"].includes(s) && s;
	}`, synthProgressJS, 200*time.Millisecond)
}

// checkSynthRun runs mode in the panel at synthSide for synthSteps, showing the picture
// every synthEvery, and checks the reports, the canvas and the losses against the native
// run on the pixels the page passed. It returns the engine's live GPU buffers afterwards,
// which must be liveBefore when that is not 0 (the loss network stays loaded).
func checkSynthRun(t *testing.T, ctx context.Context, dev *gpu.Device, vgg *models.VGG, mode string, liveBefore int) int {
	t.Helper()
	for sel, v := range map[string]string{"#synth-mode": mode, "#synth-size": fmt.Sprint(synthSide),
		"#synth-steps": fmt.Sprint(synthSteps), "#synth-every": fmt.Sprint(synthEvery)} {
		if err := setControl(ctx, sel, v); err != nil {
			t.Fatalf("set %s to %s: %v", sel, v, err)
		}
	}
	start := time.Now()
	// A click in script: chromedp's would scroll the panel into view, and with it the
	// panels above, which then draw their first pictures.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("synth-start").click(), true`)); err != nil {
		t.Fatal(err)
	}
	state, err := synthState(ctx)
	if err != nil {
		t.Fatalf("%s: wait for the run: %v", mode, err)
	}
	status, class, _ := statusText(ctx)
	stats, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("synth-stats").textContent`))
	t.Logf("%s: %s in %v; #synth-stats: %s; #status: %s", mode, state, time.Since(start).Round(time.Millisecond), stats, status)
	if state != "done" {
		t.Fatalf("%s: the run ended %q, want done; #status (%s) says %q", mode, state, class, status)
	}
	if !strings.Contains(status, fmt.Sprintf("done in %d steps", synthSteps)) {
		t.Errorf("%s: #status says %q, want it to say the run was done in %d steps", mode, status, synthSteps)
	}
	runs, err := chromedp.Run(ctx, chromedp.Evaluate[[]synthRecord](`window.testSynth`))
	if err != nil || len(runs) == 0 {
		t.Fatalf("%s: the page's calls of easel.synthesize: %v (%v)", mode, runs, err)
	}
	r := runs[len(runs)-1]
	if r.Mode != mode || r.Style == nil || (mode == models.SynthGatys) != (r.Content != nil) {
		t.Fatalf("%s: the page started %q with style %v, content %v", mode, r.Mode, r.Style != nil, r.Content != nil)
	}
	if max(r.Width, r.Height) != synthSide || max(r.Style.W, r.Style.H) != synthSide {
		t.Errorf("%s: image %d×%d, style %d×%d, want a longer side of %d", mode, r.Width, r.Height, r.Style.W, r.Style.H, synthSide)
	}

	// Every step reported once, in order; the picture at 0, every synthEvery and the last.
	var losses []float64
	for i, p := range r.Progress {
		wantImage := p.Step%synthEvery == 0 || p.Step == synthSteps
		if p.Step != i || p.Image != wantImage || (p.Loss == nil) != (p.Step == 0) {
			t.Errorf("%s: report %d is of step %d, picture %v, loss %v; want step %d, picture %v", mode, i, p.Step, p.Image, p.Loss, i, wantImage)
		}
		if p.Loss != nil {
			losses = append(losses, p.Loss.Total)
		}
	}
	if len(r.Progress) != synthSteps+1 {
		t.Fatalf("%s: %d progress reports, want %d (steps 0..%d)", mode, len(r.Progress), synthSteps+1, synthSteps)
	}
	t.Logf("%s: losses %.4g", mode, losses)
	if !(losses[synthSteps-1] < 0.9*losses[0]) {
		t.Errorf("%s: the loss went from %.4g to %.4g in %d steps, want it to fall", mode, losses[0], losses[synthSteps-1], synthSteps)
	}

	// The canvas holds the last picture; it is not blank.
	px, w, h, err := readPixels(ctx, "#synth-output")
	if err != nil {
		t.Fatal(err)
	}
	if w != r.Width || h != r.Height {
		t.Errorf("%s: #synth-output is %d×%d, want %d×%d", mode, w, h, r.Width, r.Height)
	}
	t.Logf("%s: spread of #synth-output %.1f", mode, spread(px))
	if s := spread(px); s < 15 {
		t.Errorf("%s: #synth-output is nearly flat (spread %.1f)", mode, s)
	}
	saveRGBA(t, "synth-"+mode+".png", px, w, h)

	// The same run natively, on the same pixels: the same losses, nearly the same picture.
	cfg := models.SynthesisConfig{Mode: mode, W: r.Width, H: r.Height, ContentWeight: r.Alpha, StyleWeight: r.Beta, Seed: r.Seed}
	s, err := models.NewSynthesis(dev, vgg, cfg, r.Style.image(), r.Content.image())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	var native []float64
	for range synthSteps {
		st, err := s.Step(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		native = append(native, st.Total)
	}
	t.Logf("%s: native losses %.4g", mode, native)
	for i := range native {
		// The first loss is of the same start; later ones differ as far as Adam's first
		// steps (near ±lr per pixel whatever the gradient's size) carry rounding.
		tol := 1e-3 + 0.02*float64(i)
		if d := math.Abs(losses[i]-native[i]) / native[i]; d > tol {
			t.Errorf("%s: loss of step %d is %.5g in the page, %.5g natively: %.2g apart, want within %.2g", mode, i+1, losses[i], native[i], d, tol)
		}
	}
	img, err := s.Image(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	maxDiff, mean, far := pixelDiff(px, img.Pix)
	t.Logf("%s: #synth-output vs native: max |diff| %d, mean %.2f, %.2f%% more than 8 apart", mode, maxDiff, mean, 100*far)
	if mean > 2 {
		t.Errorf("%s: #synth-output differs from the native run's picture: mean |diff| %.2f", mode, mean)
	}

	live := liveBuffers(t, ctx)
	if liveBefore != 0 && live != liveBefore {
		t.Errorf("%s: the page holds %d GPU buffers after the run, %d after the first: a run leaks", mode, live, liveBefore)
	}
	return live
}

// liveBuffers is the page engine's GPU buffers in use.
func liveBuffers(t *testing.T, ctx context.Context) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`easel.stats().liveBuffers`))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checkSynthStop starts a long texture run and presses Stop after its second step: the
// run must end stopped, say so, and leave liveBefore GPU buffers in use.
func checkSynthStop(t *testing.T, ctx context.Context, liveBefore int) {
	t.Helper()
	startSynth(t, ctx, models.SynthTexture, 1000)
	if _, err := browsertest.Wait[bool](ctx, `() => Number(document.getElementById("synth-stats").dataset.step) >= 2`,
		synthProgressJS, 100*time.Millisecond); err != nil {
		t.Fatalf("wait for step 2: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("synth-stop").click(), true`)); err != nil {
		t.Fatal(err)
	}
	state, err := synthState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status, _, _ := statusText(ctx)
	t.Logf("stopped: %s; #status: %s", state, status)
	if state != "stopped" || !strings.Contains(status, "stopped after") {
		t.Errorf("after Stop the run is %q and #status says %q, want stopped", state, status)
	}
	if n := liveBuffers(t, ctx); n != liveBefore {
		t.Errorf("the page holds %d GPU buffers after the stopped run, %d before: a stopped run leaks", n, liveBefore)
	}
	for _, c := range []struct{ sel, disabled string }{{"#synth-start", "false"}, {"#synth-stop", "true"}} {
		if v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).disabled`, c.sel))); err != nil || fmt.Sprint(v) != c.disabled {
			t.Errorf("%s.disabled is %v (%v) after the run, want %s", c.sel, v, err, c.disabled)
		}
	}
}

// startSynth presses Start with the panel's mode and steps set so.
func startSynth(t *testing.T, ctx context.Context, mode string, steps int) {
	t.Helper()
	if err := setControl(ctx, "#synth-mode", mode); err != nil {
		t.Fatal(err)
	}
	if err := setControl(ctx, "#synth-steps", fmt.Sprint(steps)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("synth-start").click(), true`)); err != nil {
		t.Fatal(err)
	}
}

// checkSynthDeviceLost destroys the page's GPUDevice during a run: the run must end with
// an error saying that the device was lost, and the next run must work on the device the
// engine made anew.
func checkSynthDeviceLost(t *testing.T, ctx context.Context) {
	t.Helper()
	startSynth(t, ctx, models.SynthTexture, 1000)
	if _, err := browsertest.Wait[bool](ctx, `() => Number(document.getElementById("synth-stats").dataset.step) >= 2`,
		synthProgressJS, 100*time.Millisecond); err != nil {
		t.Fatalf("wait for step 2: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.testDevices.at(-1).destroy(); window.testDevices.length`)); err != nil {
		t.Fatalf("destroy the device: %v", err)
	}
	state, err := synthState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	status, class, _ := statusText(ctx)
	t.Logf("device lost: %s; #status: %s", state, status)
	if state != "error" || class != "error" || !strings.Contains(status, "GPU device was lost during the run") {
		t.Errorf("after the loss the run is %q and #status (%s) says %q, want an error saying the device was lost", state, class, status)
	}
	start := time.Now()
	startSynth(t, ctx, models.SynthTexture, 2)
	if state, err := synthState(ctx); err != nil || state != "done" {
		status, _, _ := statusText(ctx)
		t.Fatalf("the run after the loss ended %q (%v); #status says %q", state, err, status)
	}
	t.Logf("a run on the new device in %v", time.Since(start).Round(time.Millisecond))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.testDevices.length`)); err != nil || n != 2 {
		t.Errorf("the page has made %d devices (%v), want 2", n, err)
	}
}

// checkSynthErrors starts runs that cannot go: #status and #synth-stats must say why, as
// an error.
func checkSynthErrors(t *testing.T, ctx context.Context) {
	t.Helper()
	for _, c := range []struct {
		name     string
		controls [][2]string
		want     string
	}{
		// The camera is off in this browser.
		{"camera off", [][2]string{{"#synth-mode", models.SynthGatys}, {"#synth-content", "camera"}}, "The camera is off"},
		// The engine refuses it.
		{"no steps", [][2]string{{"#synth-mode", models.SynthTexture}, {"#synth-steps", "0"}}, "steps is 0"},
	} {
		for _, kv := range c.controls {
			if err := setControl(ctx, kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("synth-start").click(), true`)); err != nil {
			t.Fatal(err)
		}
		state, err := synthState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		status, class, _ := statusText(ctx)
		t.Logf("%s: %s; #status: %s", c.name, state, status)
		if state != "error" || class != "error" || !strings.Contains(status, c.want) {
			t.Errorf("%s: the run is %q and #status (%s) says %q, want an error saying %q", c.name, state, class, status, c.want)
		}
		if stats, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("synth-stats").textContent`)); err != nil || stats != status {
			t.Errorf("%s: #synth-stats says %q (%v), want #status's message", c.name, stats, err)
		}
	}
}
