//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sync/atomic"
	"syscall/js"

	"easel/models"
)

// synthMaxSteps bounds a run's steps.
const synthMaxSteps = 100000

// synthRun is one texture or Gatys run of the page: its settings and images, copied from
// JS when it starts, and its optimisation on the engine's device while it runs.
type synthRun struct {
	cfg          models.SynthesisConfig
	steps, every int
	style        *image.NRGBA
	content      *image.NRGBA // nil for a texture
	onProgress   js.Value     // a function, or undefined
	stop         atomic.Bool  // set by stopSynthesis or a newer run

	s *models.Synthesis // on the engine's goroutine only; nil until set up and once released
}

// errSynthDeviceLost ends a run whose device was lost: its image and Adam's state were on
// it. The engine has made a new device by then, so a new run works.
var errSynthDeviceLost = errors.New("the GPU device was lost during the run, and its image with it; press Start to run again")

// startSynthesis starts a run with the page's settings (see synthRunFromJS) and returns a
// promise of its end: {steps, stopped, loss} once it has run its steps or was stopped, an
// Error if it failed. A run already going is stopped first: one run holds the GPU at a time.
func (e *engine) startSynthesis(opts js.Value) js.Value {
	p, resolve, reject := newPromise()
	r, err := synthRunFromJS(opts)
	if err != nil {
		reject(fmt.Errorf("synthesis: %w", err))
		return p
	}
	e.mu.Lock()
	if old := e.synthLatest; old != nil {
		old.stop.Store(true)
	}
	e.synthLatest = r
	e.mu.Unlock()
	go func() {
		v, err := e.runSynthesis(r)
		if err != nil {
			reject(err)
		} else {
			resolve(v)
		}
	}()
	return p
}

// stopSynthesis stops the latest run after the step it is taking.
func (e *engine) stopSynthesis() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.synthLatest; r != nil {
		r.stop.Store(true)
	}
}

// runSynthesis runs r one step per engine request, so that the page's other requests
// (webcam frames, faces) are served between steps, and reports each step to
// r.onProgress. Whatever way it ends, the run's GPU memory is released.
func (e *engine) runSynthesis(r *synthRun) (any, error) {
	e.synthSlot <- struct{}{} // a previous run, told to stop, releases the GPU first
	defer func() { <-e.synthSlot }()
	done := func(steps int, loss any) map[string]any {
		return map[string]any{"steps": steps, "stopped": r.stop.Load(), "loss": loss}
	}
	if r.stop.Load() {
		return done(0, nil), nil
	}
	defer e.do(func() (any, error) {
		r.release()
		if e.synth == r {
			e.synth = nil
		}
		return nil, nil
	})
	what := map[string]string{models.SynthTexture: "texture", models.SynthGatys: "style transfer"}[r.cfg.Mode]
	var img *image.NRGBA
	_, err := e.do(func() (any, error) {
		if err := e.setupSynthesis(r); err != nil {
			return nil, err
		}
		var err error
		img, err = r.s.Image(e.ctx)
		return nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("%s at %d×%d: %w", what, r.cfg.W, r.cfg.H, err)
	}
	if err := r.report(0, nil, img); err != nil {
		return nil, err
	}
	var loss any
	for step := 1; step <= r.steps; step++ {
		if r.stop.Load() {
			return done(step-1, loss), nil
		}
		var st models.ImageLossStats
		img = nil
		_, err := e.do(func() (any, error) {
			if r.s == nil {
				return nil, errSynthDeviceLost
			}
			var err error
			if st, err = r.s.Step(e.ctx); err != nil {
				return nil, err
			}
			if step%r.every == 0 || step == r.steps {
				img, err = r.s.Image(e.ctx)
			}
			return nil, err
		})
		if err != nil {
			return nil, fmt.Errorf("%s at %d×%d, step %d: %w", what, r.cfg.W, r.cfg.H, step, err)
		}
		loss = st.Total
		if err := r.report(step, &st, img); err != nil {
			return nil, err
		}
	}
	return done(r.steps, loss), nil
}

// do runs fn on the engine's goroutine, as a request of the JS API, and waits for it. It
// must not be called there, nor in a JS callback.
func (e *engine) do(fn func() (any, error)) (any, error) {
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	e.reqs <- request{run: fn, resolve: func(v any) { ch <- result{v: v} }, reject: func(err error) { ch <- result{err: err} }}
	res := <-ch
	return res.v, res.err
}

// setupSynthesis uploads the loss network (once per device) and prepares r's run on it.
func (e *engine) setupSynthesis(r *synthRun) error {
	if e.vgg == nil {
		w, err := models.SynthesisVGG(models.SynthVGGSeed)
		if err != nil {
			return err
		}
		if e.vgg, err = models.NewVGG(e.dev, w); err != nil {
			return fmt.Errorf("loss network: %w", err)
		}
	}
	s, err := models.NewSynthesis(e.dev, e.vgg, r.cfg, r.style, r.content)
	if err != nil {
		return err
	}
	r.s = s
	e.synth = r
	return nil
}

// dropSynthesis frees the loss network and the running synthesis, whose device is gone;
// the run then ends with errSynthDeviceLost.
func (e *engine) dropSynthesis() {
	if e.synth != nil {
		e.synth.release()
		e.synth = nil
	}
	if e.vgg != nil {
		e.vgg.Release()
		e.vgg = nil
	}
}

func (r *synthRun) release() {
	if r.s != nil {
		r.s.Release()
		r.s = nil
	}
}

// report calls onProgress with {step, steps, mode, width, height, loss: {content, style,
// tv, total} (null at step 0), ms: the step's milliseconds, image: {width, height, data:
// Uint8ClampedArray of RGBA} at step 0, every r.every steps and the last}. An exception
// in onProgress ends the run with its message.
func (r *synthRun) report(step int, st *models.ImageLossStats, img *image.NRGBA) (err error) {
	if r.onProgress.Type() != js.TypeFunction {
		return nil
	}
	p := map[string]any{"step": step, "steps": r.steps, "mode": r.cfg.Mode, "width": r.cfg.W, "height": r.cfg.H,
		"loss": nil, "ms": 0}
	if st != nil {
		p["loss"] = map[string]any{"content": st.Content, "style": st.Style, "tv": st.TV, "total": st.Total}
		p["ms"] = st.Millis
	}
	if img != nil {
		data := js.Global().Get("Uint8ClampedArray").New(len(img.Pix))
		js.CopyBytesToJS(data, img.Pix)
		p["image"] = map[string]any{"width": img.Rect.Dx(), "height": img.Rect.Dy(), "data": data}
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("synthesis: onProgress failed: %v", v)
		}
	}()
	r.onProgress.Invoke(p)
	return nil
}

// synthRunFromJS reads synthesize's settings: {mode: "texture" | "gatys", style, content
// (gatys only; width×height), width, height, steps, every (show the image every so many
// steps; default 5), alpha (content weight), beta (style weight), seed (of a texture's
// starting noise; default 1), onProgress}. Images are {width, height, data} with data
// RGBA in a Uint8ClampedArray or Uint8Array, as a canvas's ImageData has them.
func synthRunFromJS(v js.Value) (*synthRun, error) {
	if v.Type() != js.TypeObject {
		return nil, fmt.Errorf("settings are %s, not an object", v.Type())
	}
	r := &synthRun{every: 5}
	r.cfg.Mode = jsField(v, "mode")
	r.cfg.ContentWeight, r.cfg.StyleWeight = models.SynthContentWeight, models.SynthStyleWeight
	r.cfg.Seed = 1
	ints := []struct {
		key      string
		dst      *int
		min, max int
		need     bool
	}{
		{"width", &r.cfg.W, 8, models.SynthMaxSide, true},
		{"height", &r.cfg.H, 8, models.SynthMaxSide, true},
		{"steps", &r.steps, 1, synthMaxSteps, true},
		{"every", &r.every, 1, synthMaxSteps, false},
	}
	for _, f := range ints {
		x := v.Get(f.key)
		if x.IsUndefined() && !f.need {
			continue
		}
		if x.Type() != js.TypeNumber || x.Float() != math.Trunc(x.Float()) || x.Float() < float64(f.min) || x.Float() > float64(f.max) {
			return nil, fmt.Errorf("%s is %s, want an integer in %d..%d", f.key, jsText(x), f.min, f.max)
		}
		*f.dst = x.Int()
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{"alpha", &r.cfg.ContentWeight}, {"beta", &r.cfg.StyleWeight}, {"lr", &r.cfg.LR}} {
		x := v.Get(f.key)
		if x.IsUndefined() {
			continue
		}
		if x.Type() != js.TypeNumber {
			return nil, fmt.Errorf("%s is %s, not a number", f.key, jsText(x))
		}
		*f.dst = x.Float() // NewSynthesis refuses NaN, ∞ and negatives
	}
	if x := v.Get("seed"); !x.IsUndefined() {
		if x.Type() != js.TypeNumber || x.Float() != math.Trunc(x.Float()) || x.Float() < 0 || x.Float() > 1<<53 {
			return nil, fmt.Errorf("seed is %s, want an integer ≥ 0", jsText(x))
		}
		r.cfg.Seed = uint64(x.Float())
	}
	var err error
	if r.style, err = imageFromJS(v.Get("style")); err != nil {
		return nil, fmt.Errorf("style image: %w", err)
	}
	if c := v.Get("content"); !c.IsUndefined() && !c.IsNull() {
		if r.content, err = imageFromJS(c); err != nil {
			return nil, fmt.Errorf("content image: %w", err)
		}
	}
	if _, err := r.cfg.Loss(); err != nil { // the mode and weights, before any GPU work
		return nil, err
	}
	if r.onProgress = v.Get("onProgress"); !r.onProgress.IsUndefined() && r.onProgress.Type() != js.TypeFunction {
		return nil, fmt.Errorf("onProgress is %s, not a function", jsText(r.onProgress))
	}
	return r, nil
}

// imageFromJS copies {width, height, data} (an ImageData, or alike) into Go.
func imageFromJS(v js.Value) (*image.NRGBA, error) {
	if v.Type() != js.TypeObject {
		return nil, fmt.Errorf("it is %s, not {width, height, data}", jsText(v))
	}
	w, h, data := v.Get("width"), v.Get("height"), v.Get("data")
	for _, d := range []js.Value{w, h} {
		if d.Type() != js.TypeNumber || d.Float() != math.Trunc(d.Float()) || d.Float() < 1 || d.Float() > models.SynthMaxSide {
			return nil, fmt.Errorf("size %s×%s, want sides 1..%d", jsText(w), jsText(h), models.SynthMaxSide)
		}
	}
	if !data.InstanceOf(js.Global().Get("Uint8ClampedArray")) && !data.InstanceOf(js.Global().Get("Uint8Array")) {
		return nil, fmt.Errorf("data is %s, not a Uint8ClampedArray of RGBA", jsText(data))
	}
	img := image.NewNRGBA(image.Rect(0, 0, w.Int(), h.Int()))
	if n := data.Get("length").Int(); n != len(img.Pix) {
		return nil, fmt.Errorf("%d bytes of data for %d×%d RGBA, want %d", n, w.Int(), h.Int(), len(img.Pix))
	}
	js.CopyBytesToGo(img.Pix, data)
	return img, nil
}
