//go:build js && wasm

// Command browsercheck runs the op test vectors of package opcheck on the browser's WebGPU
// device, so that the browser's WGSL compiler builds every shader, then a few steps of
// DCGAN training (forward, backward, Adam) on a tiny seeded problem, and publishes the
// results as JSON in window.opcheckResults after every case (see Report). index.html loads
// it; gpu/opcheck's TestBrowserOps drives it in headless Chromium. The page's URL may force
// a kernel family (?kernels=cpu or gpu) and run only the cases whose kernels depend on it
// (?ops=family).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"syscall/js"
	"time"

	"easel/gpu"
	"easel/gpu/opcheck"
	"easel/models"
)

// Report is what window.opcheckResults holds, as JSON.
type Report struct {
	Adapter string   `json:"adapter"`
	Error   string   `json:"error,omitempty"` // the device could not be opened
	Total   int      `json:"total"`           // cases in the table
	Cases   []Result `json:"cases"`           // those finished so far, in table order
	// Training holds loss_d, loss_g, d_x, d_g_z1, d_g_z2 of each step of
	// models.TinyDCGANSteps, run after the cases; TrainingError what stopped it.
	Training      [][5]float64 `json:"training"`
	TrainingError string       `json:"trainingError,omitempty"`
	Done          bool         `json:"done"`
}

// TrainingSteps is how many DCGAN iterations the page trains.
const TrainingSteps = 3

// Result is one case's outcome. MaxRelErr is -1 when it is not a finite number (NaN or Inf
// in the output), which JSON cannot carry.
type Result struct {
	Op        string  `json:"op"`
	Name      string  `json:"name"`
	Elements  int     `json:"elements"`
	MaxRelErr float64 `json:"maxRelErr"`
	Error     string  `json:"error,omitempty"`
	Passed    bool    `json:"passed"`
	Millis    float64 `json:"ms"`
}

func main() {
	var rep Report
	ctx := context.Background()
	family, err := gpu.ParseKernelFamily(urlParam("kernels"))
	var dev *gpu.Device
	if err == nil {
		dev, err = gpu.OpenWith(ctx, gpu.OpenOptions{Kernels: family})
	}
	if err != nil {
		rep.Error = err.Error()
		rep.Done = true
		publish(&rep, "error: "+rep.Error)
	} else {
		run(ctx, dev, &rep)
		dev.Close()
	}
	// Stay alive, as a page's Go program does: the browser resolves device.lost after Close
	// and calls back into Go, which must not have exited then.
	select {}
}

// run checks every case on dev, publishing the report after each.
func run(ctx context.Context, dev *gpu.Device, rep *Report) {
	rep.Adapter = dev.Adapter().String()
	var cases []opcheck.Case
	var seeds []uint64
	for i, c := range opcheck.Cases() {
		if urlParam("ops") != "family" || opcheck.FamilyOp(c.Op) || opcheck.SubgroupOp(c.Op) {
			cases = append(cases, c)
			seeds = append(seeds, uint64(i+1)) // the seeds of gpu's TestOps
		}
	}
	rep.Total = len(cases)
	fmt.Printf("opcheck: %d cases on %s\n", len(cases), rep.Adapter)
	failed := 0
	for i, c := range cases {
		publish(rep, fmt.Sprintf("running case %d of %d on %s…", i+1, len(cases), rep.Adapter))
		start := time.Now()
		r := check(ctx, c, dev, seeds[i])
		res := Result{Op: r.Op, Name: r.Name, Elements: r.Elements, MaxRelErr: r.MaxRelErr,
			Passed: r.Passed(), Millis: float64(time.Since(start).Microseconds()) / 1000}
		if math.IsNaN(res.MaxRelErr) || math.IsInf(res.MaxRelErr, 0) {
			res.MaxRelErr = -1
		}
		if r.Err != nil {
			res.Error = r.Err.Error()
		}
		if !res.Passed {
			failed++
		}
		fmt.Printf("opcheck: %d/%d %s (%.0f ms)\n", i+1, len(cases), r, res.Millis)
		rep.Cases = append(rep.Cases, res)
	}
	publish(rep, fmt.Sprintf("%d cases on %s: %d failed; training a tiny DCGAN…", len(cases), rep.Adapter, failed))
	_, err := models.TinyDCGANSteps(ctx, dev, TrainingSteps, func(st models.GANStepStats) {
		rep.Training = append(rep.Training, [5]float64(st.Values))
		fmt.Printf("opcheck: DCGAN step %d: loss_d %.5f loss_g %.5f (%.0f ms)\n", len(rep.Training), st.Values[0], st.Values[1], st.Millis)
		publish(rep, fmt.Sprintf("DCGAN training: step %d of %d", len(rep.Training), TrainingSteps))
	})
	if err != nil {
		rep.TrainingError = err.Error()
	}
	rep.Done = true
	publish(rep, fmt.Sprintf("%d cases on %s: %d failed; DCGAN training %d steps", len(cases), rep.Adapter, failed, len(rep.Training)))
}

// urlParam is the page URL's query parameter name, "" when absent.
func urlParam(name string) string {
	v := js.Global().Get("URLSearchParams").New(js.Global().Get("location").Get("search")).Call("get", name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// publish sets window.opcheckResults and the page's status line.
func publish(rep *Report, status string) {
	b, err := json.Marshal(rep)
	if err != nil {
		b, _ = json.Marshal(Report{Error: "encode report: " + err.Error(), Done: true})
	}
	js.Global().Set("opcheckResults", string(b))
	if el := js.Global().Get("document").Call("getElementById", "status"); el.Truthy() {
		el.Set("textContent", status)
	}
}

// check runs one case, turning a panic into that case's error so the rest still run.
func check(ctx context.Context, c opcheck.Case, dev *gpu.Device, seed uint64) (r opcheck.Result) {
	defer func() {
		if p := recover(); p != nil {
			r = opcheck.Result{Op: c.Op, Name: c.Name, Err: fmt.Errorf("panic: %v", p)}
		}
	}()
	return c.Check(ctx, dev, seed)
}
