//go:build !(js && wasm)

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/spf13/cobra"

	"easel"
	"easel/gpu"
	"easel/gpu/opcheck"
	"easel/internal/browsertest"
	"easel/models"
	"easel/server"
)

// TestServePage runs `easel serve` on the real wasm build, with the test models besides
// the embedded ones, and loads the page in headless Chromium. With WebGPU and a fake
// camera playing the test card, it must name the adapter, answer window.easel.stats(),
// show stylized frames that match the native pipeline, keep two frames in flight (an error
// of one stopping the camera), draw faces, attribute directions and digits that match the
// native generators, recover from a lost device and pass its self-test. Without WebGPU,
// without a camera and with corrupt weights it must say plainly what is wrong. Screenshots
// go to test-artifacts/.
func TestServePage(t *testing.T) {
	start := time.Now()
	dir := t.TempDir()
	wasm := filepath.Join(dir, "easel.wasm")
	browsertest.BuildWasm(t, "easel/wasm", wasm)
	glue := browsertest.CopyWasmExec(t, dir)
	t.Logf("built easel.wasm in %v", time.Since(start).Round(time.Millisecond))
	modelsDir := writeTestModels(t)
	url := serve(t, "--wasm", wasm, "--wasm-exec", glue, "--models", modelsDir)
	camera, err := filepath.Abs(testCardPath)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("WebGPU", func(t *testing.T) { checkPageWithWebGPU(t, corruptingProxy(t, url), camera) })
	t.Run("NoWebGPU", func(t *testing.T) { checkPageWithoutWebGPU(t, url) })
	t.Run("NoCamera", func(t *testing.T) { checkNoCamera(t, url, camera) })
}

// testHooks run in the page before its scripts. They record what the Content-Security-
// Policy blocks in window.testCSPViolations. They keep every GPUDevice the page makes
// in window.testDevices, so that the test can destroy one. And after each submit that
// draws onto a canvas (one that follows a getCurrentTexture) they copy the canvases that
// window.testCapture lists (by selector) into window.testCaptured: a WebGPU canvas can be
// read only in the task that drew it, before the browser shows it and clears its drawing
// buffer, so the test cannot read it back later. Submits that draw nothing (weights
// prepared at a network's first use) leave the captures alone.
const testHooks = `(() => {
	window.testCSPViolations = [];
	document.addEventListener("securitypolicyviolation",
		(e) => window.testCSPViolations.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber));
	const request = GPUAdapter.prototype.requestDevice;
	window.testDevices = [];
	GPUAdapter.prototype.requestDevice = function (...args) {
		return request.apply(this, args).then((d) => { window.testDevices.push(d); return d; });
	};
	const current = GPUCanvasContext.prototype.getCurrentTexture;
	let drawn = false;
	GPUCanvasContext.prototype.getCurrentTexture = function (...args) {
		drawn = true;
		return current.apply(this, args);
	};
	const submit = GPUQueue.prototype.submit;
	window.testCapture = [];
	window.testCaptured = {};
	GPUQueue.prototype.submit = function (...args) {
		const r = submit.apply(this, args);
		if (!drawn) return r;
		drawn = false;
		for (const sel of window.testCapture) {
			const src = document.querySelector(sel);
			const c = document.createElement("canvas");
			c.width = src.width;
			c.height = src.height;
			const g = c.getContext("2d");
			g.drawImage(src, 0, 0);
			window.testCaptured[sel] = g.getImageData(0, 0, c.width, c.height).data;
		}
		return r;
	};
})();`

func checkPageWithWebGPU(t *testing.T, url, camera string) {
	ctx, cancel := browsertest.Context(t, browsertest.Start(t, true, browsertest.FakeCamera(camera, true)...))
	defer cancel()
	addScript := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: testHooks})
		return err
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), addScript, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	status := waitStatus(t, ctx)
	adapter, ok := strings.CutPrefix(status, "GPU ready: ")
	if !ok || strings.TrimSpace(adapter) == "" {
		t.Fatalf("#status says %q, want \"GPU ready: <adapter>\"", status)
	}
	t.Logf("#status: %s", status)

	stats, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`window.easel.stats()`))
	if err != nil {
		t.Fatalf("window.easel.stats(): %v", err)
	}
	for _, k := range []string{"frames", "fps", "latencyMs", "inFlight", "maxInFlight", "overlapped"} {
		if _, ok := stats[k].(float64); !ok {
			t.Errorf("window.easel.stats().%s = %#v, want a number", k, stats[k])
		}
	}
	if stats["adapter"] != adapter {
		t.Errorf("window.easel.stats().adapter = %#v, want %q as #status names it", stats["adapter"], adapter)
	}
	dev := nativeDevice(t)
	t.Run("Pickers", func(t *testing.T) { checkPickers(t, ctx) })
	t.Run("CorruptWeights", func(t *testing.T) { checkCorruptWeights(t, ctx) })
	t.Run("Webcam", func(t *testing.T) { checkWebcam(t, ctx, dev) })
	t.Run("FramesInFlight", func(t *testing.T) { checkFramesInFlight(t, ctx) })
	t.Run("FrameError", func(t *testing.T) { checkFrameError(t, ctx) })
	t.Run("DeviceLost", func(t *testing.T) { checkDeviceLost(t, ctx) })
	// Faces are compared on canvases copied after a submit: no video frames meanwhile.
	setCamera(t, ctx, false)
	t.Run("Picture", func(t *testing.T) { checkPicture(t, ctx, dev) })
	t.Run("Faces", func(t *testing.T) { checkFaces(t, ctx, dev) })
	t.Run("Digits", func(t *testing.T) { checkDigits(t, ctx, dev) })
	if err := setControl(ctx, "#style", testStyle); err != nil {
		t.Fatal(err)
	}
	setCamera(t, ctx, true)
	if _, err := pollStats(ctx, "s.fps > 0"); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "serve-desktop.png")
	if err := chromedp.Do(ctx, emulatePhone); err != nil {
		t.Fatal(err)
	}
	checkFitsPhone(t, ctx)
	screenshot(t, ctx, "serve-phone.png")
	setCamera(t, ctx, false)
	t.Run("SelfTest", func(t *testing.T) { checkSelfTest(t, ctx, adapter) })
	// Everything above ran under the server's Content-Security-Policy.
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.testCSPViolations`)); err != nil || len(v) > 0 {
		t.Errorf("the Content-Security-Policy blocked %q (%v)", v, err)
	}
	t.Run("GPUKernels", func(t *testing.T) { checkGPUKernels(t, ctx, url, dev) })
}

// checkGPUKernels reloads the page forced to the GPU kernel family (?kernels=gpu), which
// real GPUs get, and checks that a stylized picture and sampled faces still match the
// native ones. Chromium's SwiftShader adapter has subgroups, so the GPU family's subgroup
// reductions (instance norm statistics) run too.
func checkGPUKernels(t *testing.T, ctx context.Context, url string, dev *gpu.Device) {
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"?kernels=gpu")); err != nil {
		t.Fatalf("open %s?kernels=gpu: %v", url, err)
	}
	status := waitStatus(t, ctx)
	t.Logf("#status: %s", status)
	if !strings.HasPrefix(status, "GPU ready: ") || !strings.Contains(status, "gpu kernels with subgroups") {
		t.Fatalf("#status says %q, want \"GPU ready: <adapter>, gpu kernels with subgroups\"", status)
	}
	t.Run("Picture", func(t *testing.T) { checkPicture(t, ctx, dev) })
	t.Run("Faces", func(t *testing.T) { checkFaces(t, ctx, dev) })
}

// setCamera presses #camera if the camera is not already on (or off).
func setCamera(t *testing.T, ctx context.Context, on bool) {
	t.Helper()
	want := map[bool]string{true: "Stop camera", false: "Start camera"}[on]
	if label, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#camera"))); err != nil {
		t.Fatal(err)
	} else if label == want {
		return
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#camera"))); err != nil {
		t.Fatal(err)
	}
	if _, err := waitPage[bool](ctx, fmt.Sprintf(`() => document.getElementById("camera").textContent === %q`, want),
		50*time.Millisecond); err != nil {
		t.Fatalf("wait for #camera to say %q: %v", want, err)
	}
}

// checkSelfTest runs the engine self-test from its button: every op must pass. It takes
// minutes on a new machine, where every op's shaders compile cold: the wait fails only
// when no case finishes for browsertest.Stall.
func checkSelfTest(t *testing.T, ctx context.Context, adapter string) {
	start := time.Now()
	n := len(opcheck.Cases())
	if err := chromedp.Do(ctx, chromedp.SetAttributeValue(chromedp.CSS("#engine"), "open", ""),
		chromedp.WaitEnabled(chromedp.CSS("#selftest")), chromedp.Click(chromedp.CSS("#selftest"))); err != nil {
		t.Fatalf("click #selftest: %v", err)
	}
	summary, err := waitPage[string](ctx, `() => {
		const s = document.getElementById("selftest-summary").textContent;
		return / ops passed on /.test(s) && s;
	}`, 250*time.Millisecond)
	if err != nil {
		t.Fatalf("wait for the self-test: %v", err)
	}
	t.Logf("self-test in %v: %s", time.Since(start).Round(time.Millisecond), summary)
	if want := fmt.Sprintf("%d of %d ops passed on %s.", n, n, adapter); summary != want {
		failed, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(
			"#selftest-results tr:has(td.fail)")].map((tr) => tr.innerText.replaceAll("\t", " "))`))
		t.Errorf("#selftest-summary says %q, want %q; failed: %q", summary, want, failed)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#selftest-results tbody tr").length`))
	if err != nil || rows != n {
		t.Errorf("the results table has %d rows (%v), want %d", rows, err, n)
	}
	if err := chromedp.Do(ctx, chromedp.WaitEnabled(chromedp.CSS("#selftest"))); err != nil {
		t.Errorf("#selftest stays disabled after the self-test: %v", err)
	}
}

func checkPageWithoutWebGPU(t *testing.T, url string) {
	ctx, cancel := browsertest.Context(t, browsertest.Start(t, false))
	defer cancel()
	if err := chromedp.Do(ctx, emulatePhone, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	// Chromium without the WebGPU flags has navigator.gpu but no adapter here; a browser
	// that lacks the API altogether comes next.
	state, err := browsertest.WebGPUState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if state == "adapter" {
		t.Fatal("Chromium without the WebGPU flags gives a WebGPU adapter: the test cannot check the page without WebGPU")
	}
	t.Logf("WebGPU in this browser: %s", state)
	checkNoWebGPUStatus(t, ctx)
	checkFitsPhone(t, ctx)
	screenshot(t, ctx, "serve-no-webgpu-phone.png")

	hide := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: `delete Navigator.prototype.gpu;`})
		return err
	})
	if err := chromedp.Do(ctx, hide, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	if state, err := browsertest.WebGPUState(ctx); err != nil || state != "no navigator.gpu" {
		t.Fatalf("after deleting navigator.gpu the page finds %q (%v)", state, err)
	}
	checkNoWebGPUStatus(t, ctx)
}

// checkNoWebGPUStatus checks that #status says plainly that WebGPU is missing and names
// browsers that have it.
func checkNoWebGPUStatus(t *testing.T, ctx context.Context) {
	t.Helper()
	status := waitStatus(t, ctx)
	t.Logf("#status: %s", status)
	for _, want := range []string{"WebGPU is not available in this browser", "Chrome", "Edge", "Safari", "Firefox"} {
		if !strings.Contains(status, want) {
			t.Errorf("#status says %q, which lacks %q", status, want)
		}
	}
	if class, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status").className`)); err != nil || class != "error" {
		t.Errorf("#status has class %q (%v), want \"error\"", class, err)
	}
}

// phoneWidth is the CSS width of a phone's viewport (an iPhone 14's).
const phoneWidth = 390

var emulatePhone = chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))

// checkFitsPhone checks that the page needs no sideways scrolling on a phone.
func checkFitsPhone(t *testing.T, ctx context.Context) {
	t.Helper()
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if width > phoneWidth {
		t.Errorf("the page is %d px wide on a phone %d px wide", width, phoneWidth)
	}
}

// waitStatus waits until #status no longer says the page is loading and returns its text.
func waitStatus(t *testing.T, ctx context.Context) string {
	t.Helper()
	status, err := waitPage[string](ctx, `() => {
		const s = document.getElementById("status").textContent;
		return s !== "Loading…" && s;
	}`, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("wait for #status: %v", err)
	}
	return status
}

// screenshot saves a PNG of the whole page as a test artifact.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	t.Logf("screenshot: %s", browsertest.SaveArtifact(t, name, png))
}

// servingURL finds the URL in what `easel serve` prints once it listens.
var servingURL = regexp.MustCompile(`http://\S+/`)

// serve runs `easel serve --addr 127.0.0.1:0 args...` as main does, until the test ends,
// and returns the URL it prints.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	url, _ := serveOutput(t, args...)
	return url
}

// serveOutput is serve that also returns what easel serve printed up to its URL.
func serveOutput(t *testing.T, args ...string) (url, printed string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, w := io.Pipe()
	root := rootCmd()
	root.SetArgs(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
	root.SetOut(w)
	root.SetErr(w)
	done := make(chan error, 1)
	go func() {
		err := root.ExecuteContext(ctx)
		w.Close()
		done <- err
	}()
	type ready struct{ url, printed string }
	urls := make(chan ready, 1)
	var output sync.WaitGroup
	output.Go(func() {
		defer close(urls)
		sent := false
		var lines strings.Builder
		for sc := bufio.NewScanner(out); sc.Scan(); {
			t.Logf("easel serve: %s", sc.Text())
			lines.WriteString(sc.Text() + "\n")
			if u := servingURL.FindString(sc.Text()); u != "" && !sent {
				urls <- ready{u, lines.String()}
				sent = true
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("easel serve: %v", err)
		}
		output.Wait()
	})
	// It prints the URL once it listens, or stops with an error; the test's deadline
	// bounds a hang.
	r, ok := <-urls
	if !ok {
		t.Fatal("easel serve stopped without printing its URL")
	}
	return r.url, r.printed
}

// TestServeAddr checks the URL easel serve prints: one a browser on this machine can open
// as a secure context (localhost for all interfaces, not http://[::]:P/), and a warning
// when the server is reachable from the network, where the camera needs HTTPS.
func TestServeAddr(t *testing.T) {
	dir := t.TempDir()
	glue := writeFile(t, filepath.Join(dir, "wasm_exec.js"), []byte("x"))
	for _, c := range []struct {
		addr, url string
		exposed   bool
	}{
		{"127.0.0.1:0", "http://127.0.0.1:", false},
		{"localhost:0", "http://127.0.0.1:", false},
		{":0", "http://localhost:", true},
		{"0.0.0.0:0", "http://localhost:", true},
	} {
		url, printed := serveOutput(t, "--wasm", glue, "--wasm-exec", glue, "--addr", c.addr)
		if !strings.HasPrefix(url, c.url) {
			t.Errorf("--addr %s: prints %s, want %s…", c.addr, url, c.url)
		}
		if resp, err := http.Get(url); err != nil {
			t.Errorf("--addr %s: GET %s: %v", c.addr, url, err)
		} else {
			resp.Body.Close()
		}
		warned := strings.Contains(printed, "reachable from the network") && strings.Contains(printed, "HTTPS")
		if warned != c.exposed {
			t.Errorf("--addr %s: warned %v, want %v; printed:\n%s", c.addr, warned, c.exposed, printed)
		}
	}
}

// TestServeMissingFile checks that `easel serve` refuses to start without its .wasm or
// wasm_exec.js, with an error that names the missing file.
func TestServeMissingFile(t *testing.T) {
	dir := t.TempDir()
	present := filepath.Join(dir, "present")
	if err := os.WriteFile(present, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.wasm")
	for _, args := range [][]string{
		{"--wasm", missing, "--wasm-exec", present},
		{"--wasm", present, "--wasm-exec", missing},
	} {
		root := rootCmd()
		root.SetArgs(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...))
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		err := root.Execute()
		if err == nil {
			t.Fatalf("easel serve %s: no error; output: %s", strings.Join(args, " "), out.String())
		}
		if !strings.Contains(err.Error(), missing) {
			t.Errorf("easel serve %s: error %q does not name %s", strings.Join(args, " "), err, missing)
		}
		if out.Len() > 0 {
			t.Errorf("easel serve %s printed %q besides failing", strings.Join(args, " "), out.String())
		}
	}
}

// TestServeWithoutWebApp checks the message of an easel built without the web app (go run,
// go build; make build embeds it) started where build/ has no .wasm: it names the file and
// says how to get one.
func TestServeWithoutWebApp(t *testing.T) {
	if easel.WebApp != nil {
		t.Skip("this easel embeds the web app")
	}
	t.Chdir(t.TempDir())
	_, _, err := runEasel(t, "serve", "--addr", "127.0.0.1:0")
	want := []string{filepath.Join("build", "easel.wasm"), "no web app embedded", "make build", "make wasm"}
	for _, w := range want {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("easel serve without the web app: %v, want an error saying %q", err, w)
		}
	}
}

// TestServeModelsDir checks --models: its files join the embedded models in the index
// (one of the same name replacing the embedded one).
func TestServeModelsDir(t *testing.T) {
	dir := t.TempDir()
	wasm, glue := filepath.Join(dir, "easel.wasm"), filepath.Join(dir, "wasm_exec.js")
	for _, f := range []string{wasm, glue} {
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := t.TempDir()
	style := testStyleWeights()
	style.Meta.Name = "scream"
	for name, w := range map[string]*models.Weights{testStyle: testStyleWeights(), style.Meta.Name: style} {
		if err := models.WriteFile(filepath.Join(good, name+".msgpack"), w); err != nil {
			t.Fatal(err)
		}
	}
	url := serve(t, "--wasm", wasm, "--wasm-exec", glue, "--models", good)
	resp, err := http.Get(url + "models/index.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var index []server.ModelInfo
	if err := json.NewDecoder(resp.Body).Decode(&index); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range index {
		names = append(names, m.Name)
		if m.Name == style.Meta.Name && m.Description != style.Meta.Description {
			t.Errorf("%s is still the embedded model, not the one of --models", m.Name)
		}
	}
	if want := len(models.Embedded()) + 1; len(index) != want || !slices.Contains(names, testStyle) {
		t.Errorf("the index lists %q, want the %d embedded models and %s", names, want-1, testStyle)
	}
}

// TestServeModelsDirBadFiles checks that files of --models that are not readable weights
// files (truncated, empty, oddly named, a directory, a FIFO, links to endless devices) are
// each named with the reason and skipped, within seconds and bounded memory, while the
// good ones are served; and that a --models that is not a directory is refused by name.
func TestServeModelsDirBadFiles(t *testing.T) {
	dir := t.TempDir()
	w := testStyleWeights()
	if err := models.WriteFile(filepath.Join(dir, "good.msgpack"), w); err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(filepath.Join(dir, "good.msgpack"))
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{ // file name: what the report must say
		"truncated.msgpack": "truncated",
		"empty.msgpack":     "empty",
		"junk.msgpack":      "junk.msgpack",
		"odd name.msgpack":  "model name",
		"subdir.msgpack":    "not a regular file",
		"fifo.msgpack":      "not a regular file",
		"zero.msgpack":      "not a regular file",
		"urandom.msgpack":   "not a regular file",
		"dangling.msgpack":  "no such file",
	}
	writeFile(t, filepath.Join(dir, "truncated.msgpack"), whole[:len(whole)/2])
	writeFile(t, filepath.Join(dir, "empty.msgpack"), nil)
	writeFile(t, filepath.Join(dir, "junk.msgpack"), []byte("\x81\xa6format\xa3bad"))
	writeFile(t, filepath.Join(dir, "odd name.msgpack"), whole)
	if err := os.Mkdir(filepath.Join(dir, "subdir.msgpack"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.msgpack"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"zero.msgpack": "/dev/zero", "urandom.msgpack": "/dev/urandom", "dangling.msgpack": filepath.Join(dir, "gone")} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}

	var stderr bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetErr(&stderr)
	type result struct {
		ms  []server.Model
		err error
	}
	done := make(chan result, 1)
	go func() {
		ms, err := serveModels(cmd, dir)
		done <- result{ms, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("serveModels still reading --models after 30 s")
	}
	t.Logf("stderr:\n%s", stderr.String())
	if r.err != nil {
		t.Fatalf("serveModels: %v, want the good model served and the bad files reported", r.err)
	}
	var names []string
	for _, m := range r.ms {
		names = append(names, m.Info.Name)
	}
	if want := len(models.Embedded()) + 1; len(r.ms) != want || !slices.Contains(names, "good") {
		t.Errorf("serves %q, want the %d embedded models and good", names, want-1)
	}
	lines := strings.Split(stderr.String(), "\n")
	for name, why := range bad {
		path := filepath.Join(dir, name)
		i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, path) })
		if i < 0 {
			t.Errorf("stderr does not name %s", path)
		} else if !strings.Contains(lines[i], why) {
			t.Errorf("the report of %s does not say %q: %s", name, why, lines[i])
		}
	}

	file, glue := filepath.Join(dir, "good.msgpack"), writeFile(t, filepath.Join(t.TempDir(), "wasm_exec.js"), []byte("x"))
	_, _, err = runEasel(t, "serve", "--addr", "127.0.0.1:0", "--wasm", glue, "--wasm-exec", glue, "--models", file)
	if err == nil || !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("easel serve --models FILE: %v, want an error saying %s is not a directory", err, file)
	}
}
