//go:build !(js && wasm)

package opcheck_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"easel/gpu"
	"easel/gpu/opcheck"
	"easel/internal/browsertest"
	"easel/models"
)

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
	Training      [][5]float64 `json:"training"`
	TrainingError string       `json:"trainingError"`
	Done          bool         `json:"done"`
}

// TestBrowserOps runs the op table (Cases) in headless Chromium on its WebGPU, through the
// wasm build of browsercheck: Chrome's WGSL compiler (Tint) must accept every shader, and
// every result must match the reference as natively. Chromium on SwiftShader is slow, so
// the whole table runs in one page load and the subtests report its results. The page
// may take as long as it needs (cold caches on a new machine make it minutes slower) as
// long as cases keep finishing: it fails when none finishes for browsertest.Stall.
func TestBrowserOps(t *testing.T) { browserOps(t, "", opcheck.Cases()) }

// TestBrowserOpsGPUFamily runs the cases whose kernels depend on the kernel family in
// Chromium again, on a device forced to the GPU family (?kernels=gpu), and the DCGAN
// training steps, which must match the native ones as the CPU family's do. Chromium's
// SwiftShader adapter has the subgroups feature (subgroups of 4), so the reductions'
// subgroup variants run here too, with their ops' cases.
func TestBrowserOpsGPUFamily(t *testing.T) {
	var cases []opcheck.Case
	for _, c := range opcheck.Cases() {
		if opcheck.FamilyOp(c.Op) || opcheck.SubgroupOp(c.Op) {
			cases = append(cases, c)
		}
	}
	rep := browserOps(t, "?kernels=gpu&ops=family", cases)
	if !strings.Contains(rep.Adapter, "gpu kernels with subgroups") {
		t.Errorf("the page's adapter %q does not say gpu kernels with subgroups", rep.Adapter)
	}
}

// browserOps loads the page with query and checks its report against cases.
func browserOps(t *testing.T, query string, cases []opcheck.Case) browserReport {
	t.Helper()
	start := time.Now()
	dir := t.TempDir()
	buildPage(t, dir)
	t.Logf("built the wasm page in %v", time.Since(start).Round(time.Millisecond))

	srv := httptest.NewServer(http.FileServer(http.Dir(dir))) // on 127.0.0.1, as WebGPU needs
	t.Cleanup(srv.Close)                                      // after the browser's, which runs first
	start = time.Now()
	rep, waitErr := runPage(t, srv.URL+"/index.html"+query)
	t.Logf("adapter: %s; %d of %d cases in %v", rep.Adapter, len(rep.Cases), rep.Total,
		time.Since(start).Round(time.Millisecond))
	if rep.Error != "" {
		t.Fatalf("browser: %s", rep.Error)
	}
	if rep.Total == 0 && waitErr != nil {
		t.Fatalf("the page published no report: %v", waitErr)
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
		if len(rep.Cases) == len(cases) {
			t.Fatalf("stopped after %v in the DCGAN training steps (%d done): %v", time.Since(start).Round(time.Second),
				len(rep.Training), waitErr)
		}
		next := cases[len(rep.Cases)]
		t.Fatalf("stopped after %v in case %d of %d (%s %s): %v", time.Since(start).Round(time.Second),
			len(rep.Cases)+1, rep.Total, next.Op, next.Name, waitErr)
	}
	t.Run("DCGANTraining", func(t *testing.T) { checkTraining(t, rep) })
	return rep
}

// checkTraining compares the page's DCGAN steps with the same steps run natively.
func checkTraining(t *testing.T, rep browserReport) {
	if rep.TrainingError != "" {
		t.Fatalf("browser: %s", rep.TrainingError)
	}
	dev, err := gpu.Open(context.Background())
	if err != nil {
		t.Fatalf("native device: %v", err)
	}
	defer dev.Close()
	native, err := models.TinyDCGANSteps(context.Background(), dev, len(rep.Training), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Training) == 0 {
		t.Fatal("the page trained no step")
	}
	names := []string{"loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"}
	for i, st := range native {
		want := [5]float64(st.Values)
		for j := range want {
			if d := math.Abs(rep.Training[i][j] - want[j]); !(d <= 1e-3) {
				t.Errorf("step %d %s: browser (%s) %.6f, native (%s) %.6f", i+1, names[j], rep.Adapter, rep.Training[i][j], dev.Adapter(), want[j])
			}
		}
		t.Logf("step %d: browser loss_d %.6f loss_g %.6f, native %.6f %.6f", i+1, rep.Training[i][0], rep.Training[i][1], want[0], want[1])
	}
}

// buildPage writes main.wasm (browsercheck), wasm_exec.js and index.html into dir.
func buildPage(t *testing.T, dir string) {
	t.Helper()
	browsertest.BuildWasm(t, "./browsercheck", filepath.Join(dir, "main.wasm"))
	browsertest.CopyWasmExec(t, dir)
	page, err := os.ReadFile(filepath.Join("browsercheck", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), page, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runPage opens url in headless Chromium with WebGPU and waits until the page's report is
// done, or until no case has finished for browsertest.Stall, or the test's deadline is
// near; it returns the report as it stands then, and why the wait ended early.
func runPage(t *testing.T, url string) (browserReport, error) {
	t.Helper()
	browser := browsertest.Start(t, true)
	ctx, cancel := browsertest.Context(t, browser)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s in Chromium: %v", url, err)
	}
	_, waitErr := browsertest.Wait[bool](ctx, `() => window.opcheckResults && JSON.parse(window.opcheckResults).done`,
		`window.opcheckResults ? JSON.parse(window.opcheckResults).cases.length + "+" + (JSON.parse(window.opcheckResults).training || []).length : "no report"`, time.Second)
	// The report as it stands, read on the browser's own context: ctx may have ended.
	raw, err := chromedp.Run(browser, chromedp.Evaluate[string](`window.opcheckResults || ""`))
	if err != nil {
		t.Fatalf("read window.opcheckResults: %v (the wait: %v)", err, waitErr)
	}
	var rep browserReport
	if raw == "" {
		return rep, waitErr
	}
	if err := json.Unmarshal([]byte(raw), &rep); err != nil {
		t.Fatalf("window.opcheckResults: %v: %.200s", err, raw)
	}
	return rep, waitErr
}
