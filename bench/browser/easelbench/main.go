//go:build js && wasm

// Command easelbench times Easel's TransformerNet on the browser's WebGPU device for the
// browser benchmark (bench/browser): for each input size the page's URL asks for, a
// warm-up frame (its pipeline compiles reported apart), then timed frames, each a Plan.Run
// and a wait for a one-element readback. It publishes the report as JSON in
// window.benchResult, in the form every page of the benchmark uses (page/common.js).
package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"syscall/js"
	"time"

	"easel/gpu"
	"easel/models"
)

// Seed of the random PyTorch-like weights; bench_test.go writes the peers' weights from
// the same seed, so that every engine computes the same function.
const seed1, seed2 = 1, 2

// Report is window.benchResult.
type Report struct {
	Engine  string  `json:"engine"`
	Version string  `json:"version"`
	Adapter string  `json:"adapter"`
	Error   string  `json:"error"`
	Sizes   []*Size `json:"sizes"`
	Check   *Check  `json:"check,omitempty"`
	WaitMs  float64 `json:"waitMs"` // an empty submit's one-element readback: the floor of a frame
	Done    bool    `json:"done"`
}

// Size is one input size's timings, in milliseconds.
type Size struct {
	Size    int       `json:"size"`
	SetupMs float64   `json:"setupMs"` // allocating and recording the plan
	FirstMs float64   `json:"firstMs"` // the first frame, which compiles the pipelines
	Frames  []float64 `json:"framesMs"`
	Median  float64   `json:"medianMs"`
	// GPU commands per timed frame, counted by the page's wrappers (common.js).
	Dispatches float64 `json:"dispatchesPerFrame"`
	Submits    float64 `json:"submitsPerFrame"`
	// Recorded is the plan's batch length: the dispatches Easel records for one frame.
	Recorded int `json:"recorded"`
}

// Check is the output of the first size on the shared input, NCHW float32, base64, for
// bench_test.go to compare the engines.
type Check struct {
	Size int    `json:"size"`
	Data string `json:"b64"`
}

func main() {
	rep := &Report{Engine: "easel", Version: "this tree"}
	if err := run(context.Background(), rep); err != nil {
		rep.Error = err.Error()
	}
	rep.Done = true
	status := "done"
	if rep.Error != "" {
		status = "failed: " + rep.Error
	}
	publish(rep, status)
	select {} // a page's Go program stays alive: the browser calls back into it after Close
}

func run(ctx context.Context, rep *Report) error {
	sizes, err := pageSizes()
	if err != nil {
		return err
	}
	dev, err := gpu.Open(ctx)
	if err != nil {
		return err
	}
	defer dev.Close()
	rep.Adapter = dev.Adapter().String()
	m, err := models.NewTransformerNet(dev, models.InitTransformerNet(models.StandardTransformer, rand.New(rand.NewPCG(seed1, seed2))))
	if err != nil {
		return err
	}
	defer m.Release()
	done, err := dev.FromData([]float32{0}, 1)
	if err != nil {
		return err
	}
	defer done.Release()
	wait := func() error {
		_, err := done.Read(ctx) // queue order: done after everything submitted before
		return err
	}
	start := time.Now()
	if err := wait(); err != nil {
		return err
	}
	rep.WaitMs = ms(time.Since(start))
	for i, sf := range sizes {
		if err := timeSize(ctx, dev, m, rep, sf[0], sf[1], i == 0, wait); err != nil {
			return fmt.Errorf("%d²: %w", sf[0], err)
		}
	}
	return nil
}

// timeSize records the plan for an input [1,3,s,s], runs the warm-up frame and frames
// timed ones, and appends the size's entry to rep; with check, it also publishes the output.
func timeSize(ctx context.Context, dev *gpu.Device, m *models.TransformerNet, rep *Report, s, frames int, check bool, wait func() error) error {
	e := &Size{Size: s}
	rep.Sizes = append(rep.Sizes, e)
	publish(rep, fmt.Sprintf("%d²: recording…", s))
	start := time.Now()
	x, err := dev.NewTensor(1, 3, s, s)
	if err != nil {
		return err
	}
	defer x.Release()
	b := dev.NewBatch()
	defer b.Release()
	plan, err := m.Record(b, x) // Record rather than Plan, to count the batch's dispatches
	if err != nil {
		return err
	}
	defer plan.Release()
	e.Recorded = b.Len()
	in := make([]float32, 3*s*s)
	for i := range in {
		in[i] = float32((i * 37) % 256) // page/common.js's input
	}
	if err := x.Write(in); err != nil {
		return err
	}
	e.SetupMs = ms(time.Since(start))
	frame := func() error {
		if err := plan.Run(); err != nil {
			return err
		}
		return wait()
	}
	publish(rep, fmt.Sprintf("%d²: first frame…", s))
	start = time.Now()
	if err := frame(); err != nil {
		return err
	}
	e.FirstMs = ms(time.Since(start))
	counts := js.Global().Get("bench").Get("counts")
	d0, s0 := counts.Get("dispatches").Int(), counts.Get("submits").Int()
	for i := range frames {
		publish(rep, fmt.Sprintf("%d²: frame %d of %d…", s, i+1, frames))
		start = time.Now()
		if err := frame(); err != nil {
			return err
		}
		e.Frames = append(e.Frames, ms(time.Since(start)))
		e.Median = median(e.Frames)
	}
	// The readbacks submit too (a copy each); they dispatch nothing.
	e.Dispatches = float64(counts.Get("dispatches").Int()-d0) / float64(frames)
	e.Submits = float64(counts.Get("submits").Int()-s0) / float64(frames)
	publish(rep, fmt.Sprintf("%d²: median %.0f ms", s, e.Median))
	if check {
		out, err := plan.Output.Read(ctx)
		if err != nil {
			return err
		}
		raw := make([]byte, 4*len(out))
		for i, v := range out {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
		rep.Check = &Check{Size: s, Data: base64.StdEncoding.EncodeToString(raw)}
	}
	return nil
}

// pageSizes reads ?sizes=128:5,256:3 (size:frames) from the page's URL.
func pageSizes() ([][2]int, error) {
	q := strings.TrimPrefix(js.Global().Get("location").Get("search").String(), "?")
	var spec string
	for kv := range strings.SplitSeq(q, "&") {
		if v, ok := strings.CutPrefix(kv, "sizes="); ok {
			spec = v
		}
	}
	if spec == "" {
		spec = "128:3"
	}
	var sizes [][2]int
	for item := range strings.SplitSeq(spec, ",") {
		sz, fr, _ := strings.Cut(item, ":")
		s, err := strconv.Atoi(sz)
		if err != nil || s < 16 || s > 4096 {
			return nil, fmt.Errorf("sizes: %q: want size:frames, size 16..4096", item)
		}
		f := 3
		if fr != "" {
			if f, err = strconv.Atoi(fr); err != nil || f < 1 {
				return nil, fmt.Errorf("sizes: %q: frames must be a positive integer", item)
			}
		}
		sizes = append(sizes, [2]int{s, f})
	}
	return sizes, nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// publish sets window.benchResult and the page's status line.
func publish(rep *Report, status string) {
	b, err := json.Marshal(rep)
	if err != nil {
		b, _ = json.Marshal(Report{Engine: rep.Engine, Error: "encode report: " + err.Error(), Done: true})
	}
	js.Global().Set("benchResult", string(b))
	if el := js.Global().Get("document").Call("getElementById", "status"); el.Truthy() {
		el.Set("textContent", status)
	}
	fmt.Printf("bench easel: %s\n", status)
}
