//go:build !(js && wasm)

package opcheck_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"easel/gpu/opcheck"
)

const chromium = "/usr/bin/chromium"

// browserReport mirrors browsercheck's Report.
type browserReport struct {
	Adapter string `json:"adapter"`
	Error   string `json:"error"`
	Total   int    `json:"total"`
	Cases   []struct {
		Op        string  `json:"op"`
		Name      string  `json:"name"`
		Elements  int     `json:"elements"`
		MaxRelErr float64 `json:"maxRelErr"` // -1: NaN or Inf
		Error     string  `json:"error"`
		Millis    float64 `json:"ms"`
	} `json:"cases"`
	Done bool `json:"done"`
}

// TestBrowserOps runs the op table (Cases) in headless Chromium on its WebGPU, through the
// wasm build of browsercheck: Chrome's WGSL compiler (Tint) must accept every shader, and
// every result must match the reference as natively. Chromium on SwiftShader is slow, so
// the whole table runs in one page load and the subtests report its results.
func TestBrowserOps(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("the browser op check needs Chromium at %s (%v); run `make test`, which installs it", chromium, err)
	}
	cases := opcheck.Cases()
	start := time.Now()
	dir := t.TempDir()
	buildPage(t, dir)
	t.Logf("built the wasm page in %v", time.Since(start).Round(time.Millisecond))

	srv := httptest.NewServer(http.FileServer(http.Dir(dir))) // on 127.0.0.1, as WebGPU needs
	defer srv.Close()
	timeout := 8 * time.Minute
	if dl, ok := t.Deadline(); ok {
		timeout = min(timeout, time.Until(dl)-30*time.Second)
	}
	start = time.Now()
	rep := runPage(t, srv.URL+"/index.html", timeout)
	t.Logf("adapter: %s; %d of %d cases in %v", rep.Adapter, len(rep.Cases), rep.Total,
		time.Since(start).Round(time.Millisecond))
	if rep.Error != "" {
		t.Fatalf("browser: %s", rep.Error)
	}
	if rep.Total != len(cases) {
		t.Fatalf("the page ran a table of %d cases, Cases() has %d", rep.Total, len(cases))
	}
	for i, r := range rep.Cases {
		if r.Op != cases[i].Op || r.Name != cases[i].Name {
			t.Fatalf("case %d is %s %s in the page, %s %s here", i, r.Op, r.Name, cases[i].Op, cases[i].Name)
		}
		t.Run(r.Op+"/"+r.Name, func(t *testing.T) {
			switch {
			case r.Error != "":
				t.Fatalf("%s %s: error: %s", r.Op, r.Name, r.Error)
			case r.MaxRelErr < 0 || r.MaxRelErr > opcheck.Tolerance:
				t.Fatalf("%s %s: %d elements, max rel err %.2e (-1: NaN or Inf), tolerance %.0e",
					r.Op, r.Name, r.Elements, r.MaxRelErr, opcheck.Tolerance)
			}
			t.Logf("%s %s: %d elements, max rel err %.2e, %.0f ms", r.Op, r.Name, r.Elements, r.MaxRelErr, r.Millis)
		})
	}
	if !rep.Done {
		next := cases[len(rep.Cases)]
		t.Fatalf("timed out after %v in case %d of %d (%s %s)", timeout, len(rep.Cases)+1, rep.Total, next.Op, next.Name)
	}
}

// buildPage writes main.wasm (browsercheck), wasm_exec.js and index.html into dir.
func buildPage(t *testing.T, dir string) {
	t.Helper()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "main.wasm"), "./browsercheck")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build ./browsercheck: %v\n%s", err, out)
	}
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
	page, err := os.ReadFile(filepath.Join("browsercheck", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"wasm_exec.js": glue, "index.html": page} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runPage opens url in headless Chromium and waits until the page's report is done or the
// timeout passes; it returns the report as it stands then. The page's console goes to
// t.Log. Chromium is stopped, and its profile removed, before runPage returns.
func runPage(t *testing.T, url string, timeout time.Duration) (rep browserReport) {
	t.Helper()
	var chromeOut lockedBuffer
	defer func() { // after the browser has stopped, so its output is complete
		if t.Failed() || !rep.Done {
			t.Logf("chromium output (D-Bus complaints left out):\n%s", chromeOut.tail(60, "dbus/"))
		}
	}()
	// Exactly the flags ARCHITECTURE.md lists for WebGPU on SwiftShader, instead of
	// chromedp's defaults (whose --enable-features would replace ours). chromedp adds
	// --remote-debugging-pipe and a new empty --user-data-dir of its own, which it removes,
	// killing any Chromium process still using it, when the browser stops.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("enable-unsafe-webgpu", true),
		chromedp.Flag("enable-unsafe-swiftshader", true),
		chromedp.Flag("enable-features", "Vulkan"),
		chromedp.Flag("use-vulkan", "swiftshader"),
		chromedp.Flag("use-angle", "vulkan"),
		chromedp.Flag("ignore-gpu-blocklist", true),
		chromedp.CombinedOutput(&chromeOut),
	)
	defer cancelAlloc() // waits for the browser process to exit
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	defer cancelTimeout()

	messages := chromedp.Console(ctx) // starts the browser; subscribed before the page loads
	var console sync.WaitGroup
	console.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			t.Logf("browser %s", m)
		}
	})
	defer console.Wait()
	defer cancel() // closes the browser, which ends the console loop

	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s in Chromium: %v", url, err)
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for ; ; <-tick.C {
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`window.opcheckResults || ""`))
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return rep
		}
		if err != nil {
			t.Fatalf("read window.opcheckResults: %v", err)
		}
		if raw == "" {
			continue
		}
		var latest browserReport
		if err := json.Unmarshal([]byte(raw), &latest); err != nil {
			t.Fatalf("window.opcheckResults: %v: %.200s", err, raw)
		}
		if rep = latest; rep.Done {
			return rep
		}
	}
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
