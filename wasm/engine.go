//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"easel/gpu"
	"easel/models"
)

// engine owns the GPU device and everything on it: the loaded models, the canvases and
// the recorded frame pipelines. One goroutine (run) does all its GPU work, in the order
// the requests came: compiling kernels, reading results back and waiting for the GPU
// block on JS promises, which must not happen inside a JS callback. The JS API only
// queues requests and hands back promises.
type engine struct {
	ctx  context.Context
	reqs chan request

	dev      *gpu.Device
	models   map[int]*model
	nextID   int
	canvases []*canvasSlot
	styles   []*stylePipe
	inflight []*liveFrame // live video frames on the GPU, oldest first (stylize.go)

	// The texture and Gatys runs (synth.go): the loss network, uploaded for the first run,
	// the run holding the GPU, and a slot that lets one run hold it at a time.
	vgg       *models.VGG
	synth     *synthRun
	synthSlot chan struct{}

	mu          sync.Mutex // guards what stats reads from JS callbacks, and synthLatest
	stats       frameStats
	synthLatest *synthRun // the run stopSynthesis stops
}

// request is one call of the JS API, run on the engine's goroutine.
type request struct {
	run     func() (any, error)
	resolve func(any)
	reject  func(error)
}

func newEngine(ctx context.Context) *engine {
	return &engine{ctx: ctx, reqs: make(chan request, 16), models: map[int]*model{}, synthSlot: make(chan struct{}, 1)}
}

// async queues run and returns a promise of its result. It is safe in a JS callback:
// the send happens on a new goroutine, so the callback never blocks.
func (e *engine) async(run func() (any, error)) js.Value {
	p, resolve, reject := newPromise()
	r := request{run: run, resolve: resolve, reject: reject}
	go func() { e.reqs <- r }()
	return p
}

// run opens the device, then serves requests until the page goes.
func (e *engine) run(ready func(error)) {
	dev, err := e.openDevice()
	e.dev = dev
	ready(err)
	for r := range e.reqs {
		if e.dev == nil {
			r.reject(errors.New("no WebGPU device"))
			continue
		}
		v, err := safeRun(r.run)
		if errors.Is(err, gpu.ErrDeviceLost) {
			// Recreate the device, then try once more: the request itself was fine.
			if rerr := e.recoverDevice(err); rerr != nil {
				err = rerr
			} else {
				v, err = safeRun(r.run)
			}
		}
		if err != nil {
			r.reject(err)
		} else {
			r.resolve(v)
		}
	}
}

// openDevice opens the page's WebGPU device with the kernel family the page's URL asks
// for: ?kernels=cpu or ?kernels=gpu; without it the adapter decides.
func (e *engine) openDevice() (*gpu.Device, error) {
	family, err := gpu.ParseKernelFamily(urlParam("kernels"))
	if err != nil {
		return nil, fmt.Errorf("page parameter kernels: %w", err)
	}
	return gpu.OpenWith(e.ctx, gpu.OpenOptions{Kernels: family})
}

// urlParam is the page URL's query parameter name, "" when absent.
func urlParam(name string) string {
	loc := js.Global().Get("location")
	if loc.Type() != js.TypeObject {
		return ""
	}
	v := js.Global().Get("URLSearchParams").New(loc.Get("search")).Call("get", name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// safeRun runs a request, turning a panic (a JS exception, an argument of the wrong type)
// into its error, so that one bad call does not end the program.
func safeRun(run func() (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return run()
}

// recoverDevice replaces a lost device: a new one, the models' weights uploaded again
// from memory; pipelines and canvases are rebuilt as they are next used.
func (e *engine) recoverDevice(cause error) error {
	setStatus(fmt.Sprintf("%v. Recreating the GPU device…", cause), "error")
	e.dropPipelines()
	e.dropSynthesis()
	for _, m := range e.models {
		m.releaseGPU()
	}
	e.dev.Close()
	e.dev = nil
	dev, err := e.openDevice()
	if err != nil {
		err = fmt.Errorf("%v, and a new GPU device could not be made: %w; reload the page", cause, err)
		setStatus(err.Error(), "error")
		return err
	}
	e.dev = dev
	for _, m := range e.models {
		if err := e.uploadAndWarm(m); err != nil {
			err = fmt.Errorf("%v; after recreating the device: %w", cause, err)
			setStatus(err.Error(), "error")
			return err
		}
	}
	e.mu.Lock()
	e.stats.deviceLosses++
	e.mu.Unlock()
	why := cause.Error()
	if lost := (*gpu.DeviceLostError)(nil); errors.As(cause, &lost) {
		why = lost.Reason + ": " + lost.Message
	}
	reloaded := fmt.Sprintf("its %d loaded models", len(e.models))
	if len(e.models) == 1 {
		reloaded = "its loaded model"
	}
	setStatus(fmt.Sprintf("The GPU device was lost (%s). Easel recreated the device, its pipelines and %s, "+
		"and runs again on %s.", why, reloaded, dev.Adapter()), "warning")
	return nil
}

// dropPipelines releases every recorded pipeline and gives the canvases back, once the
// live frames in flight have finished.
func (e *engine) dropPipelines() {
	e.settleFrames(0)
	for _, p := range e.styles {
		p.release()
	}
	for _, c := range e.canvases {
		c.c.Release()
	}
	e.styles, e.canvases = nil, nil
}

// model is one loaded weights file: kept in memory, so that a new device can get it
// again, and uploaded to the device as the network it is. Latent directions are vectors
// for the page's arithmetic, not a network: they stay off the GPU.
type model struct {
	id   int
	name string
	w    *models.Weights
	net  *models.TransformerNet // arch transformer-net(-light)
	gen  *models.Generator      // arch dcgan-g, cgan-g or infogan-g
	dirs *models.Directions     // arch latent-directions
}

func (m *model) upload(dev *gpu.Device) error {
	var err error
	switch m.w.Arch {
	case models.ArchTransformerNet, models.ArchTransformerNetLight:
		m.net, err = models.NewTransformerNet(dev, m.w)
	case models.ArchDCGANGenerator, models.ArchCGANGenerator, models.ArchInfoGANGenerator:
		m.gen, err = models.NewGenerator(dev, m.w)
	case models.ArchLatentDirections:
		m.dirs, err = models.DirectionsOf(m.w)
	default:
		err = fmt.Errorf("it is a %s network; the page runs %s, %s, %s, %s, %s and %s", m.w.Arch,
			models.ArchTransformerNet, models.ArchTransformerNetLight, models.ArchDCGANGenerator,
			models.ArchCGANGenerator, models.ArchInfoGANGenerator, models.ArchLatentDirections)
	}
	if err != nil {
		return fmt.Errorf("model %s: %w", m.name, err)
	}
	return nil
}

func (m *model) releaseGPU() {
	if m.net != nil {
		m.net.Release()
	}
	if m.gen != nil {
		m.gen.Release()
	}
	m.net, m.gen = nil, nil
}

// loadModel fetches a weights file, checks it against the SHA-256 the index states (when
// it states one), decodes and uploads it.
func (e *engine) loadModel(name, url, sum string) (any, error) {
	data, err := fetchBytes(url)
	if err != nil {
		return nil, fmt.Errorf("model %s: weights failed to load: %w", name, err)
	}
	if sum != "" {
		got := sha256.Sum256(data)
		if h := hex.EncodeToString(got[:]); h != strings.ToLower(sum) {
			return nil, fmt.Errorf("model %s: the weights are corrupt: their SHA-256 is %s…, the index says %s…", name, h[:12], sum[:min(12, len(sum))])
		}
	}
	w, err := models.Decode(bytes.NewReader(data), models.DefaultLimit)
	if err != nil {
		return nil, fmt.Errorf("model %s: the weights are corrupt: %w", name, err)
	}
	m := &model{id: e.nextID + 1, name: name, w: w}
	if err := e.uploadAndWarm(m); err != nil {
		return nil, err
	}
	e.nextID++
	e.models[m.id] = m
	info := map[string]any{"id": m.id, "name": name, "arch": w.Arch, "trained": w.Meta.Trained, "description": w.Meta.Description}
	if m.gen != nil {
		c := m.gen.Config
		for k, v := range map[string]int{"nz": c.NZ, "nc": c.NC, "side": c.Side(), "classes": c.Classes, "cat": c.Cat, "cont": c.Cont} {
			info[k] = v
		}
	}
	if d := m.dirs; d != nil {
		dirs := make([]any, len(d.Names))
		for i, name := range d.Names {
			dirs[i] = map[string]any{"name": name, "vector": float32sToJS(d.Vectors[i])}
		}
		info["nz"], info["model"], info["directions"] = d.NZ, d.Model, dirs
	}
	return info, nil
}

func (e *engine) model(id int) (*model, error) {
	m, ok := e.models[id]
	if !ok {
		return nil, fmt.Errorf("no model %d is loaded", id)
	}
	return m, nil
}

// releaseModel frees a model and the pipelines that use it.
func (e *engine) releaseModel(id int) error {
	m, err := e.model(id)
	if err != nil {
		return err
	}
	e.settleFrames(0) // a frame in flight may be using its pipeline
	kept := e.styles[:0]
	for _, p := range e.styles {
		if p.model == m {
			p.release()
		} else {
			kept = append(kept, p)
		}
	}
	e.styles = kept
	m.releaseGPU()
	delete(e.models, id)
	return nil
}

// canvasSlot is a page canvas taken over by the current device.
type canvasSlot struct {
	el js.Value
	c  *gpu.Canvas
}

// canvas returns el as a gpu.Canvas of w×h pixels, taking it over on first use.
func (e *engine) canvas(el js.Value, w, h int) (*gpu.Canvas, error) {
	if el.Type() != js.TypeObject || el.Get("getContext").Type() != js.TypeFunction {
		return nil, errors.New("the target is not a canvas")
	}
	for _, s := range e.canvases {
		if s.el.Equal(el) {
			if s.c.W() != w || s.c.H() != h {
				if err := s.c.Resize(w, h); err != nil {
					return nil, err
				}
			}
			return s.c, nil
		}
	}
	c, err := e.dev.NewCanvas(el, w, h)
	if err != nil {
		return nil, err
	}
	e.canvases = append(e.canvases, &canvasSlot{el: el, c: c})
	return c, nil
}

// frameStats are the live video's numbers for window.easel.stats(). Frames are counted as
// the GPU finishes them, in a JS callback (liveFrame), so e.mu guards them.
type frameStats struct {
	frames       int
	recent       []time.Time // completion times of the last frames of the stream
	latencies    []float64   // their latencies, ms
	latencyFrom  string      // what the last frame's latency was measured from: "capture" or "copy"
	size         string
	model        string
	deviceLosses int
	warm         []string // style models whose pipelines are compiled, in load order

	inFlight         int // live frames submitted and not yet finished
	inFlightAtSubmit int // frames on the GPU just after the last was submitted, counting it
	maxInFlight      int // the most frames ever on the GPU at once
	overlapped       int // frames submitted while another was still on the GPU
}

// statsWindow is how many of the last frames the rate and latency are over.
const statsWindow = 30

// frameDone counts a live frame the GPU has finished (ok), latencyMs after it was taken,
// or only takes it off the frames in flight (lost with the device).
func (e *engine) frameDone(ok bool, latencyMs float64, from, size, model string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &e.stats
	s.inFlight--
	if !ok {
		return
	}
	now := time.Now()
	// The rate is of the current stream: a new model or size, or a pause (the camera off
	// for a while), starts it again.
	if n := len(s.recent); n > 0 && (size != s.size || model != s.model || now.Sub(s.recent[n-1]) > pauseAfter(latencyMs)) {
		s.recent, s.latencies = s.recent[:0], s.latencies[:0]
	}
	s.frames++
	s.recent = append(s.recent, now)
	s.latencies = append(s.latencies, latencyMs)
	if len(s.recent) > statsWindow {
		s.recent, s.latencies = s.recent[1:], s.latencies[1:]
	}
	s.size, s.model, s.latencyFrom = size, model, from
}

// pauseAfter is how long after the last frame the stream counts as paused: twice a
// frame's latency and a second.
func pauseAfter(latencyMs float64) time.Duration {
	return time.Duration(2*latencyMs*float64(time.Millisecond)) + time.Second
}

// statsValue is window.easel.stats(): frames of the live video finished so far; over the
// last ones, frames finished per second (0 once the stream has paused) and their mean
// latency, from the camera taking the picture (or, where the browser does not tell when,
// copying it to the GPU) to the GPU finishing the frame, with latencyFrom saying which;
// frames on the GPU just after the last was submitted (inFlight, counting it), the most
// ever (maxInFlight) and the frames submitted while another was on the GPU (overlapped);
// the adapter; the frame size, the model, the GPU buffers in use (constant from frame to
// frame), device losses, the pipelines compiled (constant when the frame size changes)
// and the style models warmed up (their pipelines compiled at load, before any frame).
func (e *engine) statsValue(adapter string) map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := &e.stats
	fps, latency := 0.0, 0.0
	if n := len(s.recent); n > 0 {
		for _, l := range s.latencies {
			latency += l / float64(n)
		}
		if span := s.recent[n-1].Sub(s.recent[0]).Seconds(); n >= 2 && span > 0 && time.Since(s.recent[n-1]) < pauseAfter(latency) {
			fps = float64(n-1) / span
		}
	}
	live, kernels := 0, 0
	if e.dev != nil {
		live, kernels = e.dev.LiveBuffers(), e.dev.CompiledKernels()
	}
	warm := make([]any, len(s.warm))
	for i, name := range s.warm {
		warm[i] = name
	}
	return map[string]any{"frames": s.frames, "fps": fps, "latencyMs": latency, "latencyFrom": s.latencyFrom,
		"inFlight": s.inFlightAtSubmit, "maxInFlight": s.maxInFlight, "overlapped": s.overlapped, "adapter": adapter,
		"size": s.size, "model": s.model, "liveBuffers": live, "deviceLosses": s.deviceLosses,
		"kernels": kernels, "warm": warm}
}
