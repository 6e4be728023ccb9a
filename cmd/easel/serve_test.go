//go:build !(js && wasm)

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"easel/gpu/opcheck"
	"easel/internal/browsertest"
)

// TestServePage runs `easel serve` on the real wasm build and loads the page in headless
// Chromium: with WebGPU it must name the adapter, answer window.easel.stats() and pass its
// self-test; without WebGPU it must say so plainly. Screenshots go to test-artifacts/.
func TestServePage(t *testing.T) {
	start := time.Now()
	dir := t.TempDir()
	wasm := filepath.Join(dir, "easel.wasm")
	browsertest.BuildWasm(t, "easel/wasm", wasm)
	glue := browsertest.CopyWasmExec(t, dir)
	t.Logf("built easel.wasm in %v", time.Since(start).Round(time.Millisecond))
	url := serve(t, "--wasm", wasm, "--wasm-exec", glue)

	t.Run("WebGPU", func(t *testing.T) { checkPageWithWebGPU(t, url) })
	t.Run("NoWebGPU", func(t *testing.T) { checkPageWithoutWebGPU(t, url) })
}

func checkPageWithWebGPU(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(browsertest.Start(t, true), browsertest.Timeout(t, 3*time.Minute))
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(url)); err != nil {
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
	for _, k := range []string{"frames", "fps", "lastFrameMs"} {
		if _, ok := stats[k].(float64); !ok {
			t.Errorf("window.easel.stats().%s = %#v, want a number", k, stats[k])
		}
	}
	if stats["adapter"] != adapter {
		t.Errorf("window.easel.stats().adapter = %#v, want %q as #status names it", stats["adapter"], adapter)
	}

	start := time.Now()
	n := len(opcheck.Cases())
	if err := chromedp.Do(ctx, chromedp.WaitEnabled(chromedp.CSS("#selftest")), chromedp.Click(chromedp.CSS("#selftest"))); err != nil {
		t.Fatalf("click #selftest: %v", err)
	}
	summary, err := chromedp.Run(ctx, chromedp.PollFunction[string](`() => {
		const s = document.getElementById("selftest-summary").textContent;
		return / ops passed on /.test(s) && s;
	}`, chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(0)))
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

	screenshot(t, ctx, "serve-desktop.png")
	if err := chromedp.Do(ctx, emulatePhone); err != nil {
		t.Fatal(err)
	}
	checkFitsPhone(t, ctx)
	screenshot(t, ctx, "serve-phone.png")
}

func checkPageWithoutWebGPU(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(browsertest.Start(t, false), browsertest.Timeout(t, time.Minute))
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
	status, err := chromedp.Run(ctx, chromedp.PollFunction[string](`() => {
		const s = document.getElementById("status").textContent;
		return s !== "Loading…" && s;
	}`, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(0)))
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
	printed := make(chan string, 1)
	var output sync.WaitGroup
	output.Go(func() {
		defer close(printed)
		sent := false
		for sc := bufio.NewScanner(out); sc.Scan(); {
			t.Logf("easel serve: %s", sc.Text())
			if u := servingURL.FindString(sc.Text()); u != "" && !sent {
				printed <- u
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
	select {
	case url, ok := <-printed:
		if !ok {
			t.Fatal("easel serve stopped without printing its URL")
		}
		return url
	case <-time.After(time.Minute):
		t.Fatal("easel serve printed no URL within a minute")
	}
	return ""
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
