//go:build !(js && wasm)

// Package browser benchmarks Easel's TransformerNet in headless Chromium next to TF.js
// (WebGPU and WebGL backends) and onnxruntime-web (WebGPU execution provider) running the
// same network, with the same weights, on the same input, in the same browser session.
// It is slow (minutes per peer frame on SwiftShader), so it runs only when asked:
//
//	make bench-browser
//	EASEL_BENCH_BROWSER=1 go test ./bench/browser -run BrowserBench -v -timeout 3h
//
// See docs/PERFORMANCE.md for the method and the numbers, and the env* constants below
// for what can be chosen.
package browser

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"easel/internal/browsertest"
	"easel/models"
)

// Settings, from the environment.
const (
	envRun     = "EASEL_BENCH_BROWSER"    // 1: run the benchmark; otherwise it is skipped
	envEngines = "EASEL_BENCH_ENGINES"    // comma-separated engines, in order (see engines)
	envSizes   = "EASEL_BENCH_SIZES"      // Easel's sizes and timed frames, size:frames,...
	envPeer    = "EASEL_BENCH_PEER_SIZES" // the peers' sizes and timed frames
	envTimeout = "EASEL_BENCH_TIMEOUT"    // the limit of each engine's page, a Go duration
)

const (
	defaultSizes     = "64:7,128:7,256:7"
	defaultPeerSizes = "64:3,128:3,256:3"
	defaultTimeout   = 45 * time.Minute
)

// engines maps each engine's name to its page; the page reads ?sizes= too.
var engines = map[string]string{
	"easel":       "/easel.html?",
	"tfjs-webgpu": "/tfjs.html?backend=webgpu&",
	"tfjs-webgl":  "/tfjs.html?backend=webgl&",
	"ort-webgpu":  "/ort.html?build=webgpu&", // onnxruntime-web/webgpu: ORT's C++ WebGPU EP
	"ort-jsep":    "/ort.html?build=jsep&",   // onnxruntime-web: its JavaScript WebGPU EP
}

// Easel runs first and last (it takes about a minute), so that its two runs bracket the
// peers' and show how much the machine's load moved the numbers; the ratios take the
// slower of the two.
var defaultEngines = []string{"easel", "tfjs-webgpu", "tfjs-webgl", "ort-webgpu", "ort-jsep", "easel"}

// seed of models.InitTransformerNet: easelbench builds its weights from the same seed.
const seed1, seed2 = 1, 2

// report mirrors window.benchResult (page/common.js, easelbench.Report).
type report struct {
	Engine  string  `json:"engine"`
	Version string  `json:"version"`
	Adapter string  `json:"adapter"`
	Error   string  `json:"error"`
	WaitMs  float64 `json:"waitMs"`
	Sizes   []struct {
		Size       int       `json:"size"`
		SetupMs    float64   `json:"setupMs"`
		FirstMs    float64   `json:"firstMs"`
		Frames     []float64 `json:"framesMs"`
		Median     float64   `json:"medianMs"`
		Dispatches float64   `json:"dispatchesPerFrame"`
		Submits    float64   `json:"submitsPerFrame"`
		Draws      float64   `json:"drawsPerFrame"`
		Recorded   int       `json:"recorded"`
	} `json:"sizes"`
	Check *struct {
		Size int    `json:"size"`
		Data string `json:"b64"`
	} `json:"check"`
	Done bool `json:"done"`

	Wall float64 `json:"wallS"` // the page's time from navigation to its last report
	// Load is /proc/loadavg before and after the page: other work on the machine slows
	// every engine, SwiftShader's threads most.
	Load [2]string `json:"loadavg"`
	// Diff is the largest |output − Easel's output| on the check size, over Easel's
	// largest |output|: the engines run the same network when it is around 1e-6. Nil when
	// there is nothing to compare.
	Diff *float64 `json:"maxDiffVsEasel,omitempty"`
}

// TestBrowserBench runs each engine's page in one Chromium with WebGPU on the flags of
// docs/ARCHITECTURE.md, collects the reports, and logs the table of docs/PERFORMANCE.md;
// the reports go to test-artifacts/bench-browser.json, the table to bench-browser.md.
func TestBrowserBench(t *testing.T) {
	if os.Getenv(envRun) != "1" {
		t.Skipf("slow (minutes per peer frame on SwiftShader); set %s=1 or run make bench-browser", envRun)
	}
	names := defaultEngines
	if v := os.Getenv(envEngines); v != "" {
		names = strings.Split(v, ",")
	}
	for _, n := range names {
		if _, ok := engines[n]; !ok {
			t.Fatalf("%s: unknown engine %q", envEngines, n)
		}
	}
	easelSizes, err := parseSizes(envOr(envSizes, defaultSizes))
	if err != nil {
		t.Fatalf("%s: %v", envSizes, err)
	}
	peerSizes, err := parseSizes(envOr(envPeer, defaultPeerSizes))
	if err != nil {
		t.Fatalf("%s: %v", envPeer, err)
	}
	timeout := defaultTimeout
	if v := os.Getenv(envTimeout); v != "" {
		if timeout, err = time.ParseDuration(v); err != nil {
			t.Fatalf("%s: %v", envTimeout, err)
		}
	}
	// The peers' packages; Easel alone (EASEL_BENCH_ENGINES=easel) needs none.
	if slices.ContainsFunc(names, func(n string) bool { return n != "easel" }) {
		for _, p := range []string{"@tensorflow/tfjs/dist", "@tensorflow/tfjs-backend-webgpu/dist", "onnxruntime-web/dist"} {
			if _, err := os.Stat(filepath.Join("node_modules", p)); err != nil {
				t.Fatalf("node_modules/%s missing: run `npm ci` in bench/browser (make bench-browser does)", p)
			}
		}
	}

	dir := t.TempDir()
	start := time.Now()
	tree := sourceTree()
	browsertest.BuildWasm(t, "./easelbench", filepath.Join(dir, "easelbench.wasm"))
	browsertest.CopyWasmExec(t, dir)
	writeWeights(t, dir)
	if slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "ort-") }) {
		exportONNX(t, dir, peerSizes)
	}
	t.Logf("built the wasm, weights and ONNX files in %v", time.Since(start).Round(time.Millisecond))

	srv := httptest.NewServer(handler(t, dir)) // on 127.0.0.1, as WebGPU needs
	t.Cleanup(srv.Close)
	ctx := browsertest.Start(t, true)

	var reps []*report
	var chromium string
	for _, n := range names {
		sizes := peerSizes
		if n == "easel" {
			sizes = easelSizes
		}
		url := srv.URL + engines[n] + "sizes=" + formatSizes(sizes)
		load := loadAvg()
		rep, ua := runPage(t, ctx, url, browsertest.Timeout(t, timeout))
		if rep.Engine == "" {
			rep.Engine = n
		}
		rep.Load = [2]string{load, loadAvg()}
		if ua != "" {
			chromium = ua
		}
		reps = append(reps, rep)
		t.Logf("%s: %s", n, summary(rep))
	}
	compare(t, reps)
	table := markdown(reps, chromium, tree)
	t.Logf("\n%s", table)
	js, err := json.MarshalIndent(map[string]any{"userAgent": chromium, "tree": tree, "reports": reps}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s and %s", browsertest.SaveArtifact(t, "bench-browser.json", js),
		browsertest.SaveArtifact(t, "bench-browser.md", []byte(table)))
	for _, r := range reps {
		if r.Error != "" || !r.Done {
			t.Errorf("%s: did not finish: %s", r.Engine, summary(r))
		}
	}
}

// handler serves the pages at /, the built files at /build/ and the npm packages at /npm/,
// cross-origin isolated (onnxruntime-web's threads need SharedArrayBuffer) and with a
// content security policy that lets the pages reach nothing but this server.
func handler(t *testing.T, dir string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", http.FileServer(http.Dir("page")))
	mux.Handle("/build/", http.StripPrefix("/build/", http.FileServer(http.Dir(dir))))
	mux.Handle("/npm/", http.StripPrefix("/npm/", http.FileServer(http.Dir("node_modules"))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.Set("Content-Security-Policy", "default-src 'self' blob: data:; "+
			"script-src 'self' blob: 'wasm-unsafe-eval' 'unsafe-eval'; connect-src 'self' blob: data:")
		lw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(lw, r)
		if lw.status >= 400 {
			t.Logf("server: %s %s: %d", r.Method, r.URL.Path, lw.status)
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// runPage opens url and polls window.benchResult until the page is done or the timeout
// passes; it returns the report as it stands then, and the browser's user agent.
func runPage(t *testing.T, browser context.Context, url string, timeout time.Duration) (*report, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(browser, timeout)
	defer cancel()
	start := time.Now()
	rep := &report{}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		rep.Error = fmt.Sprintf("open %s: %v", url, err)
		return rep, ""
	}
	// The user agent string says only the major version; the full one is a high-entropy value.
	ua, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.userAgentData.getHighEntropyValues(["fullVersionList"])
		.then((v) => v.fullVersionList.map((b) => b.brand + " " + b.version).join(", "))`, chromedp.EvalAwaitPromise))
	if err != nil {
		rep.Error = fmt.Sprintf("navigator.userAgentData: %v", err)
		return rep, ""
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for ; ; <-tick.C {
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.benchResult || ""`))
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			rep.Error = fmt.Sprintf("timed out after %v", timeout)
			return rep, ua
		}
		if err != nil {
			rep.Error = fmt.Sprintf("read window.benchResult: %v", err)
			return rep, ua
		}
		if raw == "" {
			continue
		}
		latest := &report{}
		if err := json.Unmarshal([]byte(raw), latest); err != nil {
			rep.Error = fmt.Sprintf("window.benchResult: %v: %.200s", err, raw)
			return rep, ua
		}
		rep = latest
		rep.Wall = time.Since(start).Seconds()
		if rep.Done {
			return rep, ua
		}
	}
}

// writeWeights writes the random PyTorch-like weights easelbench builds as weights.bin
// (little-endian float32, state_dict order) and weights.json (name, shape, offset of each
// tensor), for the TF.js page and export_onnx.py.
func writeWeights(t *testing.T, dir string) {
	t.Helper()
	w := models.InitTransformerNet(models.StandardTransformer, rand.New(rand.NewPCG(seed1, seed2)))
	type entry struct {
		Name   string `json:"name"`
		Shape  []int  `json:"shape"`
		Offset int    `json:"offset"`
	}
	var manifest struct {
		Tensors []entry `json:"tensors"`
	}
	var raw []byte
	for _, ts := range w.Tensors {
		manifest.Tensors = append(manifest.Tensors, entry{ts.Name, ts.Shape, len(raw) / 4})
		for _, v := range ts.Data {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	}
	js, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"weights.bin": raw, "weights.json": js} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// exportONNX runs export_onnx.py with Debian's torch for the peers' sizes.
func exportONNX(t *testing.T, dir string, sizes [][2]int) {
	t.Helper()
	args := []string{"export_onnx.py", "--weights", dir, "--out", dir, "--sizes"}
	for _, s := range sizes {
		args = append(args, strconv.Itoa(s[0]))
	}
	out, err := exec.Command("/usr/bin/python3", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("export_onnx.py (needs Debian's python3-torch): %v\n%s", err, out)
	}
	t.Logf("%s", strings.TrimSpace(string(out)))
}

// compare sets each report's Diff against Easel's check output.
func compare(t *testing.T, reps []*report) {
	var ref []float32
	refSize := 0
	for _, r := range reps {
		if r.Engine == "easel" && r.Check != nil {
			ref, refSize = decode(t, r.Check.Data), r.Check.Size
		}
	}
	var scale float64
	for _, v := range ref {
		scale = max(scale, math.Abs(float64(v)))
	}
	for _, r := range reps {
		if r.Check == nil || ref == nil || r.Check.Size != refSize {
			continue
		}
		out := decode(t, r.Check.Data)
		if len(out) != len(ref) {
			t.Errorf("%s: check output has %d values, Easel's %d", r.Engine, len(out), len(ref))
			continue
		}
		var d float64
		for i := range out {
			d = max(d, math.Abs(float64(out[i])-float64(ref[i])))
		}
		d /= scale
		r.Diff = &d
		if d > 1e-3 {
			t.Errorf("%s: output differs from Easel's by %.2g of its range: not the same network?", r.Engine, d)
		}
	}
}

func decode(t *testing.T, b64 string) []float32 {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("check output: %v", err)
	}
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out
}

// markdown renders the per-engine, per-size table, the adapters, and the ratios of the best
// WebGPU peer to Easel.
func markdown(reps []*report, ua, tree string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "Browser: %s. Easel: %s.\n\n", ua, tree)
	fmt.Fprintf(&sb, "| engine | version | size | frames | median ms/frame | best ms | setup ms | first frame ms | dispatches/frame | max diff vs Easel | load before → after |\n")
	fmt.Fprintf(&sb, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	sizes := map[int]bool{}
	adapters := map[string]string{}
	for _, r := range reps {
		adapters[r.Engine] = r.Adapter
		for _, s := range r.Sizes {
			sizes[s.Size] = true
			cmds := fmt.Sprintf("%.0f", s.Dispatches)
			if s.Draws > 0 {
				cmds = fmt.Sprintf("%.0f draws", s.Draws)
			}
			diff := "–"
			if r.Diff != nil && r.Check.Size == s.Size && r.Engine != "easel" {
				diff = fmt.Sprintf("%.1e", *r.Diff)
			}
			fmt.Fprintf(&sb, "| %s | %s | %d² | %d | %.0f | %.0f | %.0f | %.0f | %s | %s | %s → %s |\n",
				r.Engine, r.Version, s.Size, len(s.Frames), s.Median, fastest(s.Frames), s.SetupMs, s.FirstMs, cmds, diff,
				firstField(r.Load[0]), firstField(r.Load[1]))
		}
		if r.Error != "" || !r.Done {
			fmt.Fprintf(&sb, "| %s | %s | – | – | %s | | | | | | |\n", r.Engine, r.Version, strings.ReplaceAll(summary(r), "|", "/"))
		}
	}
	fmt.Fprintf(&sb, "\nAdapters:")
	for _, n := range slices.Sorted(maps.Keys(adapters)) {
		fmt.Fprintf(&sb, " %s: %s;", n, adapters[n])
	}
	fmt.Fprintf(&sb, "\n\n| size | Easel median ms | best WebGPU peer | its median ms | peer / Easel | fastest frames: peer / Easel |\n")
	fmt.Fprintf(&sb, "|---:|---:|---|---:|---:|---:|\n")
	for _, s := range slices.Sorted(maps.Keys(sizes)) {
		var easel, easelBest float64
		peer, peerMs, peerBest := "", math.Inf(1), math.Inf(1)
		for _, r := range reps {
			for _, e := range r.Sizes {
				if e.Size != s || len(e.Frames) == 0 {
					continue
				}
				switch {
				case r.Engine == "easel": // the slower run, when Easel ran twice
					easel, easelBest = max(easel, e.Median), max(easelBest, fastest(e.Frames))
				case r.Engine == "tfjs-webgl": // not WebGPU, and on another adapter here
				default:
					if e.Median < peerMs {
						peer, peerMs = r.Engine, e.Median
					}
					peerBest = min(peerBest, fastest(e.Frames))
				}
			}
		}
		if easel > 0 && peer != "" {
			fmt.Fprintf(&sb, "| %d² | %.0f | %s | %.0f | %.1f× | %.1f× |\n", s, easel, peer, peerMs, peerMs/easel, peerBest/easelBest)
		}
	}
	return sb.String()
}

func fastest(frames []float64) float64 {
	if len(frames) == 0 {
		return 0
	}
	return slices.Min(frames)
}

func summary(r *report) string {
	var parts []string
	for _, s := range r.Sizes {
		parts = append(parts, fmt.Sprintf("%d²: median %.0f ms of %d frames (first %.0f ms, setup %.0f ms, %.0f dispatches, %.0f submits, %.0f draws per frame)",
			s.Size, s.Median, len(s.Frames), s.FirstMs, s.SetupMs, s.Dispatches, s.Submits, s.Draws))
	}
	s := fmt.Sprintf("%s %s on %q in %.0f s (load average %s → %s): %s", r.Engine, r.Version, r.Adapter, r.Wall,
		r.Load[0], r.Load[1], strings.Join(parts, "; "))
	if r.WaitMs > 0 {
		s += fmt.Sprintf("; empty readback wait %.1f ms", r.WaitMs)
	}
	if r.Error != "" {
		s += "; error: " + r.Error
	}
	return s
}

// parseSizes reads "128:5,256:3" (size:frames).
func parseSizes(v string) ([][2]int, error) {
	var out [][2]int
	for item := range strings.SplitSeq(v, ",") {
		sz, fr, ok := strings.Cut(item, ":")
		s, err1 := strconv.Atoi(sz)
		f, err2 := strconv.Atoi(fr)
		if !ok || err1 != nil || err2 != nil || s < 16 || s%4 != 0 || f < 1 {
			return nil, fmt.Errorf("%q: want size:frames, size a multiple of 4", item)
		}
		out = append(out, [2]int{s, f})
	}
	return out, nil
}

func formatSizes(sizes [][2]int) string {
	var parts []string
	for _, s := range sizes {
		parts = append(parts, fmt.Sprintf("%d:%d", s[0], s[1]))
	}
	return strings.Join(parts, ",")
}

// sourceTree says which Easel was measured: the commit, and whether the packages the
// wasm build compiles from (gpu, models, shaders) had uncommitted changes.
func sourceTree() string {
	head, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown commit (" + err.Error() + ")"
	}
	s := "commit " + strings.TrimSpace(string(head))
	dirty, err := exec.Command("git", "--no-optional-locks", "status", "--porcelain", "--", "../../gpu", "../../models", "../../shaders").Output()
	if d := strings.TrimSpace(string(dirty)); err == nil && d != "" {
		n := strings.Count(d, "\n") + 1
		s += fmt.Sprintf(" with %d uncommitted files in gpu/, models/, shaders/", n)
	}
	return s
}

// loadAvg returns the 1-, 5- and 15-minute load averages, or "?" where there are none.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

func firstField(s string) string {
	f, _, _ := strings.Cut(s, " ")
	return f
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
