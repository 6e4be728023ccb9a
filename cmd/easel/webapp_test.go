//go:build !(js && wasm)

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"easel/gpu"
	"easel/internal/browsertest"
	"easel/models"
)

// The browser tests serve test models besides the embedded ones, whose outputs would have
// to be matched to tolerances that also pass many wrong results. These are random, but
// scaled so that their output spans the colour range and depends on every input pixel: a
// wrong channel order, a shifted row or a skipped layer shows. They are marked trained, as
// the page offers only trained models; testUntrained, marked untrained, must not be offered.
const (
	testStyle      = "test-style"            // transformer-net-light, the default light widths
	testFaces      = "test-faces"            // dcgan-g, small
	testDirections = "test-faces-directions" // latent-directions for test-faces
	testCGAN       = "test-cgan"             // cgan-g, 32×32 gray, 10 classes
	testInfoGAN    = "test-infogan"          // infogan-g, 32×32 gray, cat 10, cont 2
	testUntrained  = "test-untrained"        // dcgan-g, marked untrained
)

// Sizes the browser tests run at: SwiftShader is slow.
const (
	testWidth    = 64 // stylized frame width: the test card's own size, 64×48
	testStrength = 0.75
	faceGrid     = 12 // faces in the page's grid
	faceSeed     = 1  // the seed of the page's first grid
)

// testStyleWeights is a light TransformerNet, randomly initialised as PyTorch does, with
// its last convolution scaled so that the output has a spread of about 60 around 128.
func testStyleWeights() *models.Weights {
	w := models.InitTransformerNet(models.LightTransformer, rand.New(rand.NewPCG(7, 11)))
	for i := range w.Tensors {
		t := &w.Tensors[i]
		switch t.Name {
		case "deconv3.conv2d.weight":
			for j := range t.Data {
				t.Data[j] *= 60
			}
		case "deconv3.conv2d.bias":
			for j := range t.Data {
				t.Data[j] = 128 + 10*t.Data[j]
			}
		}
	}
	w.Meta = models.Meta{Name: testStyle, License: "CC0-1.0", Source: "easel's browser tests",
		Description: "Random weights scaled for testing.", Trained: true}
	return w
}

// testFacesWeights is a small DCGAN generator whose weights have the spread that keeps
// activations near unit size, so that its tanh output covers -1..1.
func testFacesWeights() *models.Weights {
	return testGeneratorWeights(models.GeneratorConfig{NZ: 16, NGF: 8, NC: 3}, testFaces, 3)
}

// testCGANWeights is a small conditional generator of 32×32 gray digits, 10 classes.
func testCGANWeights() *models.Weights {
	return testGeneratorWeights(models.GeneratorConfig{NZ: 8, NGF: 8, NC: 1, Size: 32, Classes: 10}, testCGAN, 13)
}

// testInfoGANWeights is a small InfoGAN generator of 32×32 gray digits: a categorical code
// of 10 values and 2 continuous codes.
func testInfoGANWeights() *models.Weights {
	return testGeneratorWeights(models.GeneratorConfig{NZ: 8, NGF: 8, NC: 1, Size: 32, Cat: 10, Cont: 2}, testInfoGAN, 17)
}

// testGeneratorWeights is a generator of config c, randomly initialised as dcgan does, then
// scaled so that activations stay near unit size and its tanh output covers -1..1, and
// the class and codes weigh as much in the first layer as a few latent values, so that
// changing them changes the picture plainly.
func testGeneratorWeights(c models.GeneratorConfig, name string, seed uint64) *models.Weights {
	w := models.InitGenerator(c, rand.New(rand.NewPCG(seed, 5)))
	last := "main.12.weight" // the last transposed convolution: of five at 64×64, of four at 32×32
	if c.Side() == 32 {
		last = "main.9.weight"
	}
	for i := range w.Tensors {
		t := &w.Tensors[i]
		if len(t.Shape) != 4 {
			continue
		}
		// N(0, 0.02) to N(0, 1/√(cin·4)): a transposed convolution of stride 2 sums about
		// cin·4 products per output. The last one's output, before tanh, gets a spread
		// near 1.
		scale := 1 / (0.02 * math.Sqrt(float64(t.Shape[0]*4)))
		if t.Name == last {
			scale *= 6
		}
		per := len(t.Data) / t.Shape[0] // values per input channel
		for j := range t.Data {
			k := scale
			if t.Name == "main.0.weight" && j/per >= c.NZ {
				k *= 3 // a class or code input
			}
			t.Data[j] *= float32(k)
		}
	}
	w.Meta = models.Meta{Name: name, License: "CC0-1.0", Source: "easel's browser tests",
		Description: "Random weights scaled for testing.", Trained: true}
	return w
}

// testDirectionNames are the directions of testDirections, in its order.
var testDirectionNames = []string{"glasses", "smile", "turn_left", "turn_right"}

// testDirectionsWeights are latent directions for test-faces: random vectors of norm near
// that of a latent vector, so that one step changes a face plainly.
func testDirectionsWeights(t *testing.T) *models.Weights {
	t.Helper()
	nz := testFacesWeights().Config["nz"].(int)
	w, err := models.NewDirections(testFaces, nz, testDirectionNames, models.RandomLatents(len(testDirectionNames), nz, 99),
		models.Meta{Name: testDirections, License: "CC0-1.0", Source: "easel's browser tests", Description: "Random directions for testing.", Trained: true})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// writeTestModels writes the test models into a new directory for --models.
func writeTestModels(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	broken := testStyleWeights()
	broken.Meta.Name = testBroken
	untrained := testFacesWeights()
	untrained.Meta.Name, untrained.Meta.Trained = testUntrained, false
	for name, w := range map[string]*models.Weights{testStyle: testStyleWeights(), testFaces: testFacesWeights(), testBroken: broken,
		testCGAN: testCGANWeights(), testInfoGAN: testInfoGANWeights(), testDirections: testDirectionsWeights(t), testUntrained: untrained} {
		if err := models.WriteFile(filepath.Join(dir, name+".msgpack"), w); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// nativeDevice opens the native (Vulkan) device for the rest of the test.
func nativeDevice(t *testing.T) *gpu.Device {
	t.Helper()
	dev, err := gpu.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dev.Close)
	t.Logf("native adapter: %s", dev.Adapter())
	return dev
}

// nativeStylize runs the page's frame pipeline natively on an RGBA picture of sw×sh:
// texture, resampling to w×h, the network, the blend by strength.
func nativeStylize(t *testing.T, dev *gpu.Device, weights *models.Weights, rgba []byte, sw, sh, w, h int, strength float64) []byte {
	t.Helper()
	net, err := models.NewTransformerNet(dev, weights)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Release()
	tex, err := dev.NewTexture(sw, sh)
	if err != nil {
		t.Fatal(err)
	}
	defer tex.Release()
	if err := tex.Write(rgba); err != nil {
		t.Fatal(err)
	}
	weight, err := dev.FromData([]float32{float32(strength)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer weight.Release()
	b := dev.NewBatch()
	defer b.Release()
	one := [3]float64{1, 1, 1}
	x := b.TextureToTensor(tex, h, w, one, [3]float64{})
	defer x.Release()
	plan, err := net.Record(b, x)
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Release()
	img := b.BlendToImage(x, plan.Output, weight, w)
	defer img.Release()
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	px, err := img.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return px
}

// nativeSample runs the generator natively on input rows (InputWidth values each: z, then
// the class or codes; see generatorInputs), as the page shows them: RGBA, gray for one
// channel.
func nativeSample(t *testing.T, dev *gpu.Device, weights *models.Weights, rows [][]float32) []byte {
	t.Helper()
	gen, err := models.NewGenerator(dev, weights)
	if err != nil {
		t.Fatal(err)
	}
	defer gen.Release()
	plan, err := gen.Plan(len(rows))
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Release()
	var flat []float32
	for _, z := range rows {
		flat = append(flat, z...)
	}
	if err := plan.Input.Write(flat); err != nil {
		t.Fatal(err)
	}
	b := dev.NewBatch()
	defer b.Release()
	half := [3]float64{127.5, 127.5, 127.5}
	img := b.TensorToImage(plan.Output, half, half)
	defer img.Release()
	if err := plan.Run(); err != nil {
		t.Fatal(err)
	}
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	px, err := img.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return px
}

// generatorInputs are the input rows of generator weights for latents zs, the class or
// categorical code class (-1: none) and the continuous codes cont of every row.
func generatorInputs(t *testing.T, weights *models.Weights, zs [][]float32, class int, cont []float32) [][]float32 {
	t.Helper()
	cfg, err := models.GeneratorConfigOf(weights)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([][]float32, len(zs))
	for i, z := range zs {
		var classes []int
		if class >= 0 {
			classes = []int{class}
		}
		rows[i] = make([]float32, cfg.InputWidth())
		if err := cfg.GeneratorInput(rows[i], z, classes, cont); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// readPixels draws the element sel (a video, or a canvas with a 2D context) onto a 2D
// canvas in the page and returns its RGBA bytes and size. Test-only: the page itself
// never reads back. WebGPU canvases must be captured instead (see testHooks).
func readPixels(ctx context.Context, sel string) ([]byte, int, int, error) {
	type result struct {
		W, H int
		Data []int
	}
	r, err := chromedp.Run(ctx, chromedp.Evaluate[result](fmt.Sprintf(`(() => {
		const src = document.querySelector(%q);
		const w = src.videoWidth || src.width, h = src.videoHeight || src.height;
		const c = document.createElement("canvas");
		c.width = w;
		c.height = h;
		const g = c.getContext("2d");
		g.drawImage(src, 0, 0);
		return {W: w, H: h, Data: Array.from(g.getImageData(0, 0, w, h).data)};
	})()`, sel)))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read %s: %w", sel, err)
	}
	px := make([]byte, len(r.Data))
	for i, v := range r.Data {
		px[i] = byte(v)
	}
	return px, r.W, r.H, nil
}

// pixelDiff compares RGB (not alpha) of two RGBA pictures: the largest and the mean
// absolute difference, and the share of values more than 8 apart.
func pixelDiff(got, want []byte) (maxDiff int, mean, far float64) {
	n, sum, farN := 0, 0, 0
	for i := range want {
		if i%4 == 3 {
			continue
		}
		d := int(got[i]) - int(want[i])
		d = max(d, -d)
		maxDiff = max(maxDiff, d)
		sum += d
		if d > 8 {
			farN++
		}
		n++
	}
	return maxDiff, float64(sum) / float64(n), float64(farN) / float64(n)
}

// spread is the standard deviation of the RGB values of a picture: near 0 for a flat one.
func spread(px []byte) float64 {
	var s, s2, n float64
	for i, v := range px {
		if i%4 != 3 {
			s += float64(v)
			s2 += float64(v) * float64(v)
			n++
		}
	}
	return math.Sqrt(s2/n - (s/n)*(s/n))
}

// pageProgress is how far the page has come, for waitPage: its status line, the frames
// it has drawn and the self-test's progress.
const pageProgress = `[document.getElementById("status").textContent,
	window.easel && window.easel.stats ? window.easel.stats().frames : null,
	document.getElementById("selftest-summary").textContent]`

// waitPage waits until the JavaScript function ready returns a truthy value and returns
// it: as long as the page makes progress (pageProgress), however slowly a new machine's
// cold caches make it, and until the test's deadline (browsertest.Wait).
func waitPage[T any](ctx context.Context, ready string, interval time.Duration) (T, error) {
	return browsertest.Wait[T](ctx, ready, pageProgress, interval)
}

// pollStats waits until cond holds for window.easel.stats(), checking every 100 ms.
func pollStats(ctx context.Context, cond string) (map[string]any, error) {
	return waitPage[map[string]any](ctx, `() => {
		const s = window.easel && window.easel.stats();
		return s && (`+cond+`) && s;
	}`, 100*time.Millisecond)
}

// setControl sets a form control's value and fires its input and change events, as a
// user's choice does.
func setControl(ctx context.Context, sel, value string) error {
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		el.value = %q;
		el.dispatchEvent(new Event("input", {bubbles: true}));
		el.dispatchEvent(new Event("change", {bubbles: true}));
		return el.value === %q;
	})()`, sel, value, value)))
	return err
}

// statusText returns #status's text and class.
func statusText(ctx context.Context) (string, string, error) {
	r, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById("status").textContent, document.getElementById("status").className]`))
	if err != nil {
		return "", "", err
	}
	return r[0], r[1], nil
}

// waitStatusMatching waits until #status contains every one of want.
func waitStatusMatching(t *testing.T, ctx context.Context, want ...string) string {
	t.Helper()
	var conds []string
	for _, w := range want {
		conds = append(conds, fmt.Sprintf("s.includes(%q)", w))
	}
	s, err := waitPage[string](ctx, `() => {
		const s = document.getElementById("status").textContent;
		return (`+strings.Join(conds, " && ")+`) && s;
	}`, 100*time.Millisecond)
	if err != nil {
		got, _, _ := statusText(ctx)
		t.Fatalf("wait for #status to say %q: %v; it says %q", want, err, got)
	}
	return s
}

// checkPickers runs before any choice: the style picker offers the trained styles only
// (not the untrained transformer-net, the workload of easel bench) and starts at
// starry-night; no picker offers an untrained model; nothing on the page says UNTRAINED.
func checkPickers(t *testing.T, ctx context.Context) {
	type pickers struct {
		Style, Face, Digit []string
		Chosen, Text       string
	}
	p, err := chromedp.Run(ctx, chromedp.Evaluate[pickers](`(() => {
		const options = (id) => Array.from(document.getElementById(id).options, (o) => o.value);
		return {Style: options("style"), Face: options("face-model"), Digit: options("digit-model"),
			Chosen: document.getElementById("style").value, Text: document.body.innerText};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	wantStyles := []string{"great-wave", "scream", "starry-night", testBroken, testStyle} // the embedded ones, then --models', by name
	if !slices.Equal(p.Style, wantStyles) || p.Chosen != "starry-night" {
		t.Errorf("#style offers %q and starts at %q, want %q and starry-night", p.Style, p.Chosen, wantStyles)
	}
	if slices.Contains(p.Face, testUntrained) || !slices.Contains(p.Face, "dcgan-faces") || !slices.Contains(p.Face, testFaces) {
		t.Errorf("#face-model offers %q, want dcgan-faces and %s, not the untrained %s", p.Face, testFaces, testUntrained)
	}
	if !slices.Contains(p.Digit, "cgan-mnist") || !slices.Contains(p.Digit, testInfoGAN) {
		t.Errorf("#digit-model offers %q, want cgan-mnist and %s", p.Digit, testInfoGAN)
	}
	if strings.Contains(strings.ToUpper(p.Text), "UNTRAINED") {
		t.Errorf("the page says UNTRAINED:\n%s", p.Text)
	}
}

// checkWebcam starts the fake camera (the test card) with the test style at 64×48 and
// strength 0.75: frames must appear on #output, with no buffer allocated after the first,
// and the canvas must show what the same pipeline gives natively on the same frame.
func checkWebcam(t *testing.T, ctx context.Context, dev *gpu.Device) {
	for sel, v := range map[string]string{"#style": testStyle, "#resolution": fmt.Sprint(testWidth),
		"#strength": fmt.Sprint(testStrength * 100)} {
		if err := setControl(ctx, sel, v); err != nil {
			t.Fatalf("set %s to %s: %v", sel, v, err)
		}
	}
	// Choosing the style loads it and compiles its pipelines before the camera starts.
	warm := time.Now()
	ready, err := pollStats(ctx, fmt.Sprintf("s.warm.includes(%q)", testStyle))
	if err != nil {
		t.Fatalf("wait for %s to be loaded and warmed up: %v", testStyle, err)
	}
	t.Logf("%s warm %v after it was chosen (%v pipelines compiled in all)", testStyle, time.Since(warm).Round(time.Millisecond), ready["kernels"])
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#camera"))); err != nil {
		t.Fatalf("click #camera: %v", err)
	}
	// The camera has started once the video has a picture.
	if _, err := waitPage[bool](ctx, `() => document.getElementById("camera-video").readyState >= 2`, 20*time.Millisecond); err != nil {
		t.Fatalf("wait for the camera: %v", err)
	}
	camera := time.Since(start)
	if _, err := pollStats(ctx, "s.frames >= 1"); err != nil {
		t.Fatalf("wait for the first frame: %v", err)
	}
	firstFrame := time.Since(start)
	first, err := pollStats(ctx, "s.frames >= 2")
	if err != nil {
		t.Fatalf("wait for frames: %v", err)
	}
	t.Logf("2 frames after %v: %v", time.Since(start).Round(time.Millisecond), first)
	if first["kernels"] != ready["kernels"] {
		t.Errorf("the first frames compiled %v pipelines after the warm-up", first["kernels"].(float64)-ready["kernels"].(float64))
	}
	t.Logf("LATENCY first frame: %v after the camera started (%v after Start camera); a frame's latency %.0f ms (target: 3 s + a frame)",
		(firstFrame - camera).Round(time.Millisecond), firstFrame.Round(time.Millisecond), first["latencyMs"])
	later, err := pollStats(ctx, fmt.Sprintf("s.frames >= %v", first["frames"].(float64)+3))
	if err != nil {
		t.Fatalf("wait for more frames: %v", err)
	}
	t.Logf("stats: %v", later)
	if later["size"] != fmt.Sprintf("%d×%d", testCardW, testCardH) || later["model"] != testStyle {
		t.Errorf("frames are %v of %v, want %d×%d of %s", later["size"], later["model"], testCardW, testCardH, testStyle)
	}
	if first["liveBuffers"] != later["liveBuffers"] {
		t.Errorf("GPU buffers in use went from %v to %v between frames: frames allocate", first["liveBuffers"], later["liveBuffers"])
	}
	status := waitStatusMatching(t, ctx, "Camera on", testStyle)
	t.Logf("#status: %s", status)

	// The test card as the browser decoded it, and what the page showed of it.
	frame, fw, fh, err := readPixels(ctx, "#camera-video")
	if err != nil {
		t.Fatal(err)
	}
	arm, wait := captureCanvases(ctx, "#output")
	if err := arm(); err != nil {
		t.Fatal(err)
	}
	shown, err := wait()
	if err != nil {
		t.Fatal(err)
	}
	sw, sh := testCardW, testCardH
	if len(shown[0]) != 4*sw*sh {
		t.Fatalf("#output holds %d bytes, want %d×%d RGBA", len(shown[0]), sw, sh)
	}
	if fw != testCardW || fh != testCardH || sw != testCardW || sh != testCardH {
		t.Fatalf("camera frame %d×%d, #output %d×%d; want both %d×%d", fw, fh, sw, sh, testCardW, testCardH)
	}
	want := nativeStylize(t, dev, testStyleWeights(), frame, fw, fh, testCardW, testCardH, testStrength)
	maxDiff, mean, far := pixelDiff(shown[0], want)
	t.Logf("#output vs native: max |diff| %d, mean %.2f, %.2f%% of values more than 8 apart; spread of #output %.1f",
		maxDiff, mean, 100*far, spread(shown[0]))
	if mean > 1 || far > 0.005 {
		t.Errorf("#output differs from the native stylization of the same frame: mean |diff| %.2f, %.2f%% of values more than 8 apart", mean, 100*far)
	}
	if s := spread(shown[0]); s < 20 {
		t.Errorf("#output is nearly flat (spread %.1f): the test style should give a varied picture", s)
	}
	// Save snapshot's picture is the engine's copy of the same frame.
	type snap struct {
		Width, Height int
		Data          []int
	}
	shot, err := chromedp.Run(ctx, chromedp.Evaluate[snap](`easel.snapshot(document.getElementById("output")).then(
		(s) => ({Width: s.width, Height: s.height, Data: Array.from(s.data)}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("easel.snapshot: %v", err)
	}
	shotPx := make([]byte, len(shot.Data))
	for i, v := range shot.Data {
		shotPx[i] = byte(v)
	}
	if shot.Width != sw || shot.Height != sh || !bytes.Equal(shotPx, want) {
		t.Errorf("easel.snapshot gives %d×%d pixels, not the %d×%d frame shown", shot.Width, shot.Height, sw, sh)
	}
	saveRGBA(t, "webcam-frame.png", frame, fw, fh)
	saveRGBA(t, "webcam-output.png", shown[0], sw, sh)
	saveRGBA(t, "webcam-native.png", want, sw, sh)

	// A new resolution reuses the compiled pipelines: its first frame comes about a
	// frame's time after the switch, and nothing compiles. Back to the test's size after.
	for _, width := range []int{4 * testWidth, testWidth} {
		switchResolution(t, ctx, width)
	}
}

// switchResolution sets the camera's resolution to width while frames run and reports
// how long the first frame at the new size took next to a steady frame's time there;
// the switch must compile no pipeline.
func switchResolution(t *testing.T, ctx context.Context, width int) {
	t.Helper()
	before, err := pollStats(ctx, "true")
	if err != nil {
		t.Fatal(err)
	}
	size := fmt.Sprintf("%d×%d", width, width*testCardH/testCardW)
	start := time.Now()
	if err := setControl(ctx, "#resolution", fmt.Sprint(width)); err != nil {
		t.Fatal(err)
	}
	first, err := pollStats(ctx, fmt.Sprintf("s.size === %q", size))
	if err != nil {
		t.Fatalf("wait for a frame at %s: %v", size, err)
	}
	took := time.Since(start)
	steady, err := pollStats(ctx, fmt.Sprintf("s.size === %q && s.frames >= %v", size, first["frames"].(float64)+3))
	if err != nil {
		t.Fatalf("wait for frames at %s: %v", size, err)
	}
	steadyMs := steady["latencyMs"].(float64)
	t.Logf("LATENCY resolution %v → %s: first frame %v after the switch; a steady frame's latency %.0f ms; %.0f ms beyond it (target 500 ms)",
		before["size"], size, took.Round(time.Millisecond), steadyMs, float64(took.Milliseconds())-steadyMs)
	if steady["kernels"] != before["kernels"] {
		t.Errorf("switching the resolution to %s compiled %v pipelines", size, steady["kernels"].(float64)-before["kernels"].(float64))
	}
}

// checkFramesInFlight runs the camera with the test style at 256 px wide, where a frame
// takes SwiftShader several times the test card's 100 ms between pictures: the page must
// submit frames while the one before is still on the GPU, never more than two at once, and
// report the rate and the latency apart, in stats() and in #frame-stats. Switching the
// size with frames in flight must not stop the camera. It ends back at 64 px.
func checkFramesInFlight(t *testing.T, ctx context.Context) {
	if err := setControl(ctx, "#style", testStyle); err != nil {
		t.Fatal(err)
	}
	setCamera(t, ctx, true)
	before, err := pollStats(ctx, "s.frames > 0")
	if err != nil {
		t.Fatal(err)
	}
	if err := setControl(ctx, "#resolution", "256"); err != nil {
		t.Fatal(err)
	}
	const size, frames = "256×192", 8
	start, err := pollStats(ctx, fmt.Sprintf("s.size === %q", size))
	if err != nil {
		t.Fatalf("wait for frames of %s: %v", size, err)
	}
	started := time.Now()
	st, err := pollStats(ctx, fmt.Sprintf("s.size === %q && s.frames >= %v", size, start["frames"].(float64)+frames))
	if err != nil {
		t.Fatalf("wait for %d frames of %s: %v", frames, size, err)
	}
	took := time.Since(started)
	fps, latency := st["fps"].(float64), st["latencyMs"].(float64)
	t.Logf("%v frames of %s in %v: %.1f fps, %.0f ms latency from the %v; %v in flight at the last submit, at most %v, %v frames submitted over another; stats %v",
		st["frames"].(float64)-start["frames"].(float64), size, took.Round(time.Millisecond), fps, latency, st["latencyFrom"],
		st["inFlight"], st["maxInFlight"], st["overlapped"], st)
	// Each of these frames took the GPU longer than the camera takes to give the next
	// picture: most must have been submitted over the one before.
	if n := st["overlapped"].(float64) - before["overlapped"].(float64); n < frames/2 || st["maxInFlight"] != 2.0 {
		t.Errorf("%v frames were submitted while another was on the GPU, and at most %v were on it at once; want %d or more, and 2: the page waits for each frame",
			n, st["maxInFlight"], frames/2)
	}
	if n := st["inFlight"].(float64); n < 1 || n > 2 {
		t.Errorf("stats().inFlight = %v, want 1 or 2", n)
	}
	if fps <= 0 || latency <= 0 {
		t.Errorf("stats() reports %v fps and %v ms latency, want both above 0", fps, latency)
	}
	if from := st["latencyFrom"]; from != "capture" && from != "copy" {
		t.Errorf("stats().latencyFrom = %v, want capture or copy", from)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#frame-stats")))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\d+\.\d fps · \d+ ms latency · [12] in flight · ` + size + `$`).MatchString(text) {
		t.Errorf("#frame-stats says %q, want \"F fps · L ms latency · N in flight · %s\"", text, size)
	}
	if status, class, err := statusText(ctx); err != nil || class == "error" {
		t.Errorf("#status says %q (class %q, %v) after switching the size with frames in flight", status, class, err)
	}
	if err := setControl(ctx, "#resolution", fmt.Sprint(testWidth)); err != nil {
		t.Fatal(err)
	}
	back, err := pollStats(ctx, fmt.Sprintf("s.size === \"%d×%d\"", testCardW, testCardH))
	if err != nil {
		t.Fatalf("wait for frames at %d px: %v", testWidth, err)
	}
	if label, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#camera"))); err != nil || label != "Stop camera" {
		t.Errorf("#camera says %q (%v) after switching sizes with frames in flight, want the camera still on", label, err)
	}
	if back["liveBuffers"] != before["liveBuffers"] {
		t.Errorf("GPU buffers in use went from %v to %v after a size and back", before["liveBuffers"], back["liveBuffers"])
	}
}

// checkFrameError raises a validation error on the page's device while frames are in
// flight, as the browser does for a frame it refuses: #status must tell it and the camera
// stop, as for a frame that fails while the page waits. The camera then starts again.
func checkFrameError(t *testing.T, ctx context.Context) {
	if _, err := pollStats(ctx, "s.inFlight >= 1"); err != nil {
		t.Fatal(err)
	}
	const msg = "a frame the test refused"
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`window.testDevices.at(-1).dispatchEvent(
		new GPUUncapturedErrorEvent("uncapturederror", {error: new GPUValidationError(%q)}))`, msg))); err != nil {
		t.Fatalf("raise a validation error: %v", err)
	}
	checkCameraStopped(t, ctx, "a frame failed", "stylize with "+testStyle, "GPUValidationError: "+msg)
	before, err := pollStats(ctx, "true")
	if err != nil {
		t.Fatal(err)
	}
	setCamera(t, ctx, true)
	if _, err := pollStats(ctx, fmt.Sprintf("s.frames >= %v", before["frames"].(float64)+3)); err != nil {
		t.Fatalf("wait for frames after restarting the camera: %v", err)
	}
}

// saveRGBA saves an RGBA picture as a PNG test artifact.
func saveRGBA(t *testing.T, name string, px []byte, w, h int) {
	t.Helper()
	im := &image.RGBA{Pix: px, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	var buf bytes.Buffer
	if err := png.Encode(&buf, im); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s", browsertest.SaveArtifact(t, name, buf.Bytes()))
}

// captureCanvases returns arm, which has testHooks copy the WebGPU canvases sels after
// the next submit, and wait, which waits for that and returns their RGBA bytes.
func captureCanvases(ctx context.Context, sels ...string) (arm func() error, wait func() ([][]byte, error)) {
	listJSON, _ := json.Marshal(sels) // strings always marshal
	list := string(listJSON)
	arm = func() error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.testCaptured = {}; window.testCapture = `+list+`; true`))
		return err
	}
	wait = func() ([][]byte, error) { return waitCaptured(ctx, list) }
	return arm, wait
}

func waitCaptured(ctx context.Context, list string) ([][]byte, error) {
	got, err := waitPage[[][]int](ctx, `() => {
		const sels = `+list+`;
		if (!sels.every((s) => window.testCaptured[s])) return false;
		window.testCapture = [];
		return sels.map((s) => Array.from(window.testCaptured[s]));
	}`, 50*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("capture %s: %w", list, err)
	}
	out := make([][]byte, len(got))
	for i, vs := range got {
		out[i] = make([]byte, len(vs))
		for j, v := range vs {
			out[i][j] = byte(v)
		}
	}
	return out, nil
}

// checkDeviceLost destroys the page's GPUDevice while the camera runs: #status must say
// that the device was lost and recreated, and frames must come again.
func checkDeviceLost(t *testing.T, ctx context.Context) {
	before, err := pollStats(ctx, "true")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.testDevices.at(-1).destroy(); window.testDevices.length`)); err != nil {
		t.Fatalf("destroy the device: %v", err)
	}
	start := time.Now()
	status := waitStatusMatching(t, ctx, "GPU device was lost", "recreated")
	after, err := pollStats(ctx, fmt.Sprintf("s.deviceLosses === 1 && s.frames >= %v", before["frames"].(float64)+3))
	if err != nil {
		t.Fatalf("wait for frames after the loss: %v", err)
	}
	t.Logf("frames again %v after the loss: %v; #status: %s", time.Since(start).Round(time.Millisecond), after, status)
	if _, class, err := statusText(ctx); err != nil || class != "warning" {
		t.Errorf("#status has class %q (%v), want \"warning\"", class, err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.testDevices.length`)); err != nil || n != 2 {
		t.Errorf("the page has made %d devices (%v), want 2", n, err)
	}
}

// compareSamples presses trigger, captures the page's canvases sels after the next submit
// and compares each with the native generator weights on the same input rows (one per
// canvas): each must match it and not be flat. It saves them side by side as name.png
// and returns their RGBA bytes.
func compareSamples(t *testing.T, ctx context.Context, dev *gpu.Device, weights *models.Weights, name string,
	sels []string, trigger func() error, rows [][]float32) [][]byte {
	t.Helper()
	start := time.Now()
	arm, wait := captureCanvases(ctx, sels...)
	if err := arm(); err != nil {
		t.Fatal(err)
	}
	if err := trigger(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	shown, err := wait()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Logf("%s: %d pictures in %v", name, len(sels), time.Since(start).Round(time.Millisecond))
	cfg, err := models.GeneratorConfigOf(weights)
	if err != nil {
		t.Fatal(err)
	}
	side := cfg.Side()
	want := nativeSample(t, dev, weights, rows)
	size := 4 * side * side
	var all []byte
	for i, px := range shown {
		if len(px) != size {
			t.Fatalf("%s: picture %d holds %d bytes, want %d×%d RGBA", name, i+1, len(px), side, side)
		}
		maxDiff, mean, far := pixelDiff(px, want[i*size:(i+1)*size])
		if mean > 1 || far > 0.005 {
			t.Errorf("%s: picture %d differs from the native generator's: max |diff| %d, mean %.2f, %.2f%% more than 8 apart",
				name, i+1, maxDiff, mean, 100*far)
		}
		if s := spread(px); s < 20 {
			t.Errorf("%s: picture %d is nearly flat (spread %.1f)", name, i+1, s)
		}
		all = append(all, px...)
	}
	saveRGBA(t, name+".png", all, side, side*len(shown))
	return shown
}

// checkChanged checks that pictures after differ plainly from before (mean |diff| of at
// least 4 of 255 over the RGB values): the control changed what is drawn.
func checkChanged(t *testing.T, what string, before, after [][]byte) {
	t.Helper()
	var all, b []byte
	for i := range after {
		all, b = append(all, after[i]...), append(b, before[i]...)
	}
	if _, mean, _ := pixelDiff(all, b); mean < 4 {
		t.Errorf("%s: the pictures barely changed (mean |diff| %.2f)", what, mean)
	} else {
		t.Logf("%s: mean |diff| %.1f between before and after", what, mean)
	}
}

// click clicks the elements sels in order.
func click(ctx context.Context, sels ...string) error {
	for _, sel := range sels {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
			return fmt.Errorf("click %s: %w", sel, err)
		}
	}
	return nil
}

// waitText waits until the element sel's text contains every one of want, and returns it.
func waitText(t *testing.T, ctx context.Context, sel string, want ...string) string {
	t.Helper()
	wantJSON, _ := json.Marshal(want) // strings always marshal
	s, err := waitPage[string](ctx, fmt.Sprintf(`() => {
		const s = document.querySelector(%q).textContent;
		return %s.every((w) => s.includes(w)) && s;
	}`, sel, wantJSON), 100*time.Millisecond)
	if err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).textContent`, sel)))
		t.Fatalf("wait for %s to say %q: %v; it says %q", sel, want, err, got)
	}
	return s
}

// A page panel that draws its first pictures when it comes into view: its generator
// control, the test generator to draw with and a JavaScript test of whether it has drawn.
type panel struct{ sel, model, drawn string }

var (
	facesPanel  = panel{"#face-model", testFaces, `document.getElementById("face-grid").dataset.ready === "true"`}
	digitsPanel = panel{"#digit-model", testInfoGAN, `Number(document.getElementById("digit-grid").dataset.draws || 0) > 0`}
)

// drawFirst has panel p draw its first pictures, unless it has already, and waits for
// that. A click elsewhere can bring p into view, and its first submit would then be the
// one that a capture of another panel's canvases sees: a test draws the other panels
// first.
func drawFirst(t *testing.T, ctx context.Context, p panel) {
	t.Helper()
	done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](p.drawn))
	if err != nil {
		t.Fatal(err)
	}
	if !done {
		if err := setControl(ctx, p.sel, p.model); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := waitPage[bool](ctx, "() => "+p.drawn, 100*time.Millisecond); err != nil {
		t.Fatalf("wait for the first pictures of %s: %v", p.model, err)
	}
}

// checkFaces draws the page's face grid with the test generator, then an interpolation,
// a latent sum and two attribute directions, and compares each canvas with the native
// generator on the same latent vectors.
func checkFaces(t *testing.T, ctx context.Context, dev *gpu.Device) {
	weights := testFacesWeights()
	nz := weights.Config["nz"].(int)
	zs := models.RandomLatents(faceGrid, nz, faceSeed)
	var grid []string
	for i := range faceGrid {
		grid = append(grid, fmt.Sprintf("#face-grid .tile:nth-child(%d) canvas", i+1))
	}
	compare := func(what string, sels []string, trigger func() error, zs [][]float32) [][]byte {
		t.Helper()
		return compareSamples(t, ctx, dev, weights, "faces-"+what, sels, trigger, zs)
	}
	drawFirst(t, ctx, digitsPanel)
	// Choosing the generator draws the grid.
	compare("grid", grid, func() error { return setControl(ctx, "#face-model", testFaces) }, zs)
	t.Logf("#face-stats: %s", waitText(t, ctx, "#face-stats", testFaces, "12 faces"))

	// Faces 1 and 2 as the ends of the interpolation.
	var path [][]float32
	for k := range 8 {
		z, err := models.Slerp(zs[0], zs[1], float64(k)/7)
		if err != nil {
			t.Fatal(err)
		}
		path = append(path, z)
	}
	var steps []string
	for i := range 8 {
		steps = append(steps, fmt.Sprintf("#interp-row canvas:nth-child(%d)", i+1))
	}
	compare("interpolation", steps, func() error { return click(ctx, grid[0], grid[1], "#interpolate") }, path)

	// Face 6 + mean(faces 3, 4) - face 5.
	sum, err := models.LatentArithmetic(zs[5], [][]float32{zs[2], zs[3]}, [][]float32{zs[4]})
	if err != nil {
		t.Fatal(err)
	}
	mode := func(m string) string { return fmt.Sprintf(`input[name="face-mode"][value=%q]`, m) }
	compare("arithmetic", []string{"#arith-output"}, func() error {
		return click(ctx, mode("with"), grid[2], grid[3], mode("without"), grid[4], mode("target"), grid[5], "#arithmetic")
	}, [][]float32{sum})

	// The directions served for test-faces: a ± pair each, one button per turn. Face 6
	// (the face to change) + glasses, then + 2 × turn left on top.
	note := waitText(t, ctx, "#attr-note", testDirections, "glasses", "turn left")
	t.Logf("#attr-note: %s", note)
	buttons, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#attr-buttons button")].map((b) => b.textContent)`))
	if want := []string{"+ glasses", "− glasses", "+ smile", "− smile", "turn left", "turn right"}; err != nil || !slices.Equal(buttons, want) {
		t.Errorf("attribute buttons %q (%v), want %q", buttons, err, want)
	}
	dirs, err := models.DirectionsOf(testDirectionsWeights(t))
	if err != nil {
		t.Fatal(err)
	}
	press := func(name, sign string) func() error {
		return func() error {
			return click(ctx, fmt.Sprintf(`#attr-buttons button[data-direction=%q][data-sign=%q]`, name, sign))
		}
	}
	pair := []string{"#attr-before", "#attr-after"}
	glasses, err := models.AddDirection(zs[5], dirs.Get("glasses"), 1)
	if err != nil {
		t.Fatal(err)
	}
	shown := compare("attribute-glasses", pair, press("glasses", "1"), [][]float32{zs[5], glasses})
	checkChanged(t, "+ glasses", shown[:1], shown[1:])
	if err := setControl(ctx, "#attr-strength", "2"); err != nil {
		t.Fatal(err)
	}
	turned, err := models.AddDirection(glasses, dirs.Get("turn_left"), 2)
	if err != nil {
		t.Fatal(err)
	}
	shown = compare("attribute-turn", pair, press("turn_left", "1"), [][]float32{glasses, turned})
	checkChanged(t, "turn left", shown[:1], shown[1:])
	t.Logf("#attr-sum: %s", waitText(t, ctx, "#attr-sum", "face 6 + glasses + 2.0 × turn left"))
}

// checkDigits draws digits with the test cGAN, picks a digit, then with the test InfoGAN
// picks a code, moves a continuous code's slider and asks for new latents: every draw must
// match the native generator on the same inputs (gray, 32×32), change the pictures, and
// the panel must name the generator and what it drew.
func checkDigits(t *testing.T, ctx context.Context, dev *gpu.Device) {
	const n, seed = 8, 1 // the page's row of samples and its first seed
	var row []string
	for i := range n {
		row = append(row, fmt.Sprintf("#digit-grid canvas:nth-child(%d)", i+1))
	}
	classButton := func(k int) string { return fmt.Sprintf(`#digit-classes button[data-class="%d"]`, k) }
	drawFirst(t, ctx, facesPanel)

	cgan := testCGANWeights()
	zs := models.RandomLatents(n, cgan.Config["nz"].(int), seed)
	first := compareSamples(t, ctx, dev, cgan, "digits-cgan-0", row,
		func() error { return setControl(ctx, "#digit-model", testCGAN) }, generatorInputs(t, cgan, zs, 0, nil))
	three := compareSamples(t, ctx, dev, cgan, "digits-cgan-3", row,
		func() error { return click(ctx, classButton(3)) }, generatorInputs(t, cgan, zs, 3, nil))
	checkChanged(t, "digit 0 to 3", first, three)
	t.Logf("#digit-stats: %s", waitText(t, ctx, "#digit-stats", testCGAN, "digit 3"))
	if pressed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll(
		'#digit-classes button[aria-pressed="true"]')].map((b) => b.textContent)`)); err != nil || !slices.Equal(pressed, []string{"3"}) {
		t.Errorf("pressed digit buttons %q (%v), want [3]", pressed, err)
	}

	info := testInfoGANWeights()
	zs = models.RandomLatents(n, info.Config["nz"].(int), seed)
	code0 := compareSamples(t, ctx, dev, info, "digits-infogan-0", row,
		func() error { return setControl(ctx, "#digit-model", testInfoGAN) }, generatorInputs(t, info, zs, 0, []float32{0, 0}))
	waitText(t, ctx, "#digit-class-label", "Code")
	code2 := compareSamples(t, ctx, dev, info, "digits-infogan-2", row,
		func() error { return click(ctx, classButton(2)) }, generatorInputs(t, info, zs, 2, []float32{0, 0}))
	checkChanged(t, "code 0 to 2", code0, code2)
	slid := compareSamples(t, ctx, dev, info, "digits-infogan-2-c1", row,
		func() error { return setControl(ctx, "#digit-cont-0", "1.5") }, generatorInputs(t, info, zs, 2, []float32{1.5, 0}))
	checkChanged(t, "c1 0 to 1.5", code2, slid)
	t.Logf("#digit-stats: %s", waitText(t, ctx, "#digit-stats", testInfoGAN, "code 2, c1 = 1.5, c2 = 0.0"))
	zs = models.RandomLatents(n, info.Config["nz"].(int), seed+1)
	fresh := compareSamples(t, ctx, dev, info, "digits-infogan-new", row,
		func() error { return click(ctx, "#digits-new") }, generatorInputs(t, info, zs, 2, []float32{1.5, 0}))
	checkChanged(t, "new latents", slid, fresh)
}

// testBroken is served with a valid file, which corruptingProxy corrupts on the way.
const testBroken = "test-broken"

// corruptingProxy forwards to upstream but flips bytes in the middle of testBroken's
// weights, as a bad disk or network would, and returns its URL.
func corruptingProxy(t *testing.T, upstream string) string {
	t.Helper()
	target, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/"+testBroken+".msgpack") {
			proxy.ServeHTTP(w, r)
			return
		}
		resp, err := http.Get(upstream + strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for i := len(body) / 2; i < len(body)/2+64 && i < len(body); i++ {
			body[i] ^= 0x5a
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// checkCorruptWeights chooses the style whose weights arrive corrupt: #status must name
// the model and say that its weights are corrupt, and the camera must stop.
func checkCorruptWeights(t *testing.T, ctx context.Context) {
	if err := setControl(ctx, "#style", testBroken); err != nil {
		t.Fatal(err)
	}
	// The camera starts, then stops as the weights fail: click, not setCamera.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#camera"))); err != nil {
		t.Fatal(err)
	}
	checkCameraStopped(t, ctx, "the weights failed", "model "+testBroken, "corrupt")
}

// checkCameraStopped waits for #status to report an error holding every string of want,
// and for the camera to be off: what went wrong (why) stopped it.
func checkCameraStopped(t *testing.T, ctx context.Context, why string, want ...string) {
	t.Helper()
	status := waitStatusMatching(t, ctx, want...)
	t.Logf("#status: %s", status)
	if _, class, err := statusText(ctx); err != nil || class != "error" {
		t.Errorf("#status has class %q (%v), want \"error\"", class, err)
	}
	if label, err := waitPage[string](ctx, `() => {
		const s = document.getElementById("camera").textContent;
		return s === "Start camera" && s;
	}`, 50*time.Millisecond); err != nil {
		t.Errorf("the camera is still on after %s (#camera says %q, %v)", why, label, err)
	}
}

// checkNoCamera opens the page in a browser with WebGPU but without a camera (none), or
// with one that the page may not use (denied): #status must say why the camera did not
// start.
func checkNoCamera(t *testing.T, url, camera string) {
	for _, c := range []struct {
		name, want string
		flags      []chromedp.ExecAllocatorOption
	}{
		{"none", "No camera was found", nil},
		// A camera, but not granted by a flag, and denied in the settings.
		{"denied", "Camera access was denied", browsertest.FakeCamera(camera, false)},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := browsertest.Context(t, browsertest.Start(t, true, c.flags...))
			defer cancel()
			deny := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				_, err := chromedp.Call(ctx, browser.SetPermission, browser.SetPermissionParams{
					Permission: &browser.PermissionDescriptor{Name: "camera"}, Setting: browser.PermissionSettingDenied,
					Origin: strings.TrimSuffix(url, "/")})
				return err
			})
			if err := chromedp.Do(ctx, emulatePhone, deny, chromedp.Navigate(url)); err != nil {
				t.Fatalf("open %s: %v", url, err)
			}
			waitStatusMatching(t, ctx, "GPU ready")
			if err := chromedp.Do(ctx, chromedp.WaitEnabled(chromedp.CSS("#camera")), chromedp.Click(chromedp.CSS("#camera"))); err != nil {
				t.Fatal(err)
			}
			status := waitStatusMatching(t, ctx, c.want)
			t.Logf("#status: %s", status)
			if _, class, err := statusText(ctx); err != nil || class != "error" {
				t.Errorf("#status has class %q (%v), want \"error\"", class, err)
			}
			checkFitsPhone(t, ctx)
			screenshot(t, ctx, "serve-camera-"+c.name+"-phone.png")
		})
	}
}

// checkPicture opens the test card as a PNG file in the Image section at 64 px wide: the
// canvas must show what the same pipeline gives natively on the same pixels.
func checkPicture(t *testing.T, ctx context.Context, dev *gpu.Device) {
	card := testCard()
	var buf bytes.Buffer
	if err := png.Encode(&buf, card); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "testcard.png")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for sel, v := range map[string]string{"#style": testStyle, "#strength": fmt.Sprint(testStrength * 100),
		"#image-size": fmt.Sprint(testWidth)} {
		if err := setControl(ctx, sel, v); err != nil {
			t.Fatalf("set %s to %s: %v", sel, v, err)
		}
	}
	arm, wait := captureCanvases(ctx, "#image-output")
	if err := arm(); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#image-file"), []string{file})); err != nil {
		t.Fatalf("pick %s: %v", file, err)
	}
	shown, err := wait()
	if err != nil {
		t.Fatal(err)
	}
	status := waitStatusMatching(t, ctx, "Stylized testcard.png with "+testStyle)
	t.Logf("#status: %s", status)
	want := nativeStylize(t, dev, testStyleWeights(), card.Pix, testCardW, testCardH, testCardW, testCardH, testStrength)
	maxDiff, mean, far := pixelDiff(shown[0], want)
	t.Logf("#image-output vs native: max |diff| %d, mean %.2f, %.2f%% of values more than 8 apart", maxDiff, mean, 100*far)
	if len(shown[0]) != len(want) || mean > 1 || far > 0.005 {
		t.Errorf("#image-output (%d bytes) differs from the native stylization of the picture (%d bytes): mean |diff| %.2f",
			len(shown[0]), len(want), mean)
	}
}
