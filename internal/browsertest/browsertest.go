//go:build !(js && wasm)

// Package browsertest runs Easel's pages in headless Chromium for tests: it builds Go
// packages to WebAssembly, finds the toolchain's wasm_exec.js, and starts Chromium through
// chromedp, either with WebGPU on SwiftShader (the flags docs/ARCHITECTURE.md lists) or as
// a browser without WebGPU. Tests wait on the page's progress (Wait), within the test's
// deadline (Context).
package browsertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium is where Debian's chromium package puts the browser; make test installs it.
const Chromium = "/usr/bin/chromium"

// BuildWasm builds the Go package pkgPath (as go build takes it: an import path, or a path
// relative to the test's directory) for GOOS=js GOARCH=wasm into outFile.
func BuildWasm(t *testing.T, pkgPath, outFile string) {
	t.Helper()
	build := exec.Command("go", "build", "-o", outFile, pkgPath)
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build %s: %v\n%s", pkgPath, err, out)
	}
}

// CopyWasmExec copies wasm_exec.js, the JavaScript glue of the go command's toolchain that
// a page needs to run a .wasm built by that toolchain, into dir and returns its new path.
func CopyWasmExec(t *testing.T, dir string) string {
	t.Helper()
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	root := strings.TrimSpace(string(goroot))
	var glue []byte
	for _, p := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} { // Go ≥ 1.24, older
		if glue, err = os.ReadFile(filepath.Join(root, p)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("wasm_exec.js not found under %s: %v", root, err)
	}
	out := filepath.Join(dir, "wasm_exec.js")
	if err := os.WriteFile(out, glue, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// Start starts headless Chromium for the rest of the test and returns a chromedp context
// for a tab of it. With webGPU the browser gets WebGPU on SwiftShader; without it, none of
// those flags, as a browser that has no WebGPU (see WebGPUState). The pages' console goes
// to t.Log. When the test ends, Chromium stops, its profile goes, and if the test failed
// the tail of Chromium's own output is logged.
//
// The context has no deadline: Chromium must not be started under one, as its end would
// stop the browser. Derive one bounded by the test's deadline (Context) for the page's
// actions, and wait on the page with Wait.
// extra adds flags, such as FakeCamera's.
func Start(t *testing.T, webGPU bool, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(Chromium); err != nil {
		t.Fatalf("browser tests need Chromium at %s (%v); run `make test`, which installs it", Chromium, err)
	}
	// Exactly these flags, instead of chromedp's defaults (whose --enable-features would
	// replace ours). chromedp adds --remote-debugging-pipe and a new empty --user-data-dir
	// of its own, which it removes, killing any Chromium process still using it, when the
	// browser stops.
	chromeOut := &lockedBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(Chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.CombinedOutput(chromeOut),
	}
	if webGPU {
		opts = append(opts,
			chromedp.Flag("enable-unsafe-webgpu", true),
			chromedp.Flag("enable-unsafe-swiftshader", true),
			chromedp.Flag("enable-features", "Vulkan"),
			chromedp.Flag("use-vulkan", "swiftshader"),
			chromedp.Flag("use-angle", "vulkan"),
			chromedp.Flag("ignore-gpu-blocklist", true),
		)
	}
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	var console sync.WaitGroup
	t.Cleanup(func() {
		cancel() // closes the browser, which ends the console loop
		console.Wait()
		cancelAlloc() // waits for the browser process to exit, so its output is complete
		if t.Failed() {
			t.Logf("chromium output (D-Bus complaints left out):\n%s", chromeOut.tail(60, "dbus/"))
		}
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start Chromium: %v", err)
	}
	messages := chromedp.Console(ctx) // subscribed before any page loads
	console.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			t.Logf("browser %s", m)
		}
	})
	return ctx
}

// FakeCamera gives Chromium a camera that plays the YUV4MPEG2 file y4m (an absolute path)
// in a loop. With grant, pages get it without asking; without, asking is left to the
// browser's permission settings.
func FakeCamera(y4m string, grant bool) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", y4m),
	}
	if grant {
		opts = append(opts, chromedp.Flag("use-fake-ui-for-media-stream", true))
	}
	return opts
}

// Timeout returns limit, or less when the test's deadline is nearer, leaving 30 s to
// report what happened. It suits a benchmark's explicit limit; tests wait on readiness
// and progress instead (Context, Wait).
func Timeout(t *testing.T, limit time.Duration) time.Duration {
	if dl, ok := t.Deadline(); ok {
		return min(limit, time.Until(dl)-reportTime)
	}
	return limit
}

// reportTime is what Timeout and Context leave before the test's deadline to report what
// happened.
const reportTime = 30 * time.Second

// Context derives from ctx (Start's) a context that ends 30 s before the test's deadline
// (go test -timeout), leaving time to report what happened, or only when cancelled if
// the test has no deadline. It bounds a browser test as a whole; each wait in it is
// bounded by the page's progress (Wait), not by a time that only warm caches meet.
func Context(t *testing.T, ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := t.Deadline(); ok {
		return context.WithDeadline(ctx, dl.Add(-reportTime))
	}
	return context.WithCancel(ctx)
}

// Stall is how long a page may show no progress before Wait gives up. The first run on a
// new machine compiles every shader with cold caches (Mesa's, Chromium's, SwiftShader's),
// and one step the page takes in seconds with warm caches can take over a minute then; a
// page that is stuck shows no progress at all.
const Stall = 5 * time.Minute

// Wait evaluates the JavaScript function ready in the page of ctx every interval until it
// returns a truthy value, and returns that value decoded as T. progress is a JavaScript
// expression for how far the page has come (its status line, frames drawn, cases done):
// Wait fails when its value (as JSON) stays the same for Stall, or when ctx ends, naming
// the progress it saw last.
func Wait[T any](ctx context.Context, ready, progress string, interval time.Duration) (T, error) {
	var zero T
	expr := `(() => {
		const r = (` + ready + `)();
		let p;
		try {
			p = JSON.stringify(` + progress + `);
		} catch (e) {
			p = String(e);
		}
		return [!!r, r || null, p === undefined ? "undefined" : p];
	})()`
	last, since := "", time.Now()
	for {
		res, err := chromedp.Run(ctx, chromedp.Evaluate[[]json.RawMessage](expr))
		if err != nil {
			return zero, fmt.Errorf("%w (the page showed %s)", err, last)
		}
		var done bool
		var shows string
		if len(res) != 3 || json.Unmarshal(res[0], &done) != nil || json.Unmarshal(res[2], &shows) != nil {
			return zero, fmt.Errorf("wait: the page answered %s", res)
		}
		if done {
			var v T
			if err := json.Unmarshal(res[1], &v); err != nil {
				return zero, fmt.Errorf("wait: %w: %.200s", err, res[1])
			}
			return v, nil
		}
		if shows != last {
			last, since = shows, time.Now()
		} else if time.Since(since) > Stall {
			return zero, fmt.Errorf("no progress for %v: the page shows %s", Stall, shows)
		}
		select {
		case <-ctx.Done():
			return zero, fmt.Errorf("%w: the page shows %s", ctx.Err(), shows)
		case <-time.After(interval):
		}
	}
}

// WebGPUState says what the current page of ctx finds of WebGPU: "no navigator.gpu",
// "no adapter" (requestAdapter gave null or failed) or "adapter".
func WebGPUState(ctx context.Context) (string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[string](`(async () => {
		if (!("gpu" in navigator)) return "no navigator.gpu";
		try {
			return (await navigator.gpu.requestAdapter()) ? "adapter" : "no adapter";
		} catch (e) {
			return "no adapter";
		}
	})()`, chromedp.EvalAwaitPromise))
}

// SaveArtifact writes data to test-artifacts/name at the root of the module (make test
// keeps what tests leave there, such as screenshots) and returns its path.
func SaveArtifact(t *testing.T, name string, data []byte) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	dir = filepath.Join(dir, "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// lockedBuffer collects Chromium's output, written from chromedp's goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// tail returns the last n lines that do not contain skip.
func (b *lockedBuffer) tail(n int, skip string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var kept []string
	for line := range strings.Lines(b.buf.String()) {
		if !strings.Contains(line, skip) {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept[max(0, len(kept)-n):], "")
}
