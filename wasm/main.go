//go:build js && wasm

// Command wasm is Easel's browser entry point. It opens the page's WebGPU device through
// package gpu, reports it in #status and exposes window.easel: the JS API that web/easel.js
// drives (load a model, stylize a video frame or picture onto a canvas, sample faces and
// digits onto canvases, latent arithmetic, synthesize a texture or a Gatys transfer step
// by step, release) and the statistics for automation. It also runs
// the engine self-test on request.
package main

import (
	"context"
	"fmt"
	"math"
	"syscall/js"

	"easel/gpu/opcheck"
)

var doc = js.Global().Get("document")

// setStatus shows msg in #status; kind is "" (all is well), "warning" or "error".
func setStatus(msg, kind string) {
	el := doc.Call("getElementById", "status")
	el.Set("textContent", msg)
	el.Set("className", kind)
}

func main() {
	ctx := context.Background()
	e := newEngine(ctx)
	adapter := ""
	api := js.Global().Get("Object").New()
	api.Set("stats", js.FuncOf(func(js.Value, []js.Value) any { return e.statsValue(adapter) }))
	ready, resolveReady, rejectReady := newPromise()
	api.Set("ready", ready)
	// loadModel({name, url, sha256}) → {id, name, arch, trained, description}, with nz,
	// nc, side, classes, cat, cont for a generator, nz, model, directions ([{name, vector}])
	// for latent directions.
	api.Set("loadModel", apiFunc(func(args []js.Value) any {
		info := arg(args, 0)
		name, url, sum := jsField(info, "name"), jsField(info, "url"), jsField(info, "sha256")
		return e.async(func() (any, error) { return e.loadModel(name, url, sum) })
	}))
	// stylize(id, source, canvas, {width, strength, live, captureTime}) → {ms, width,
	// height}: a picture resolves when drawn; a live video frame (live true, captureTime
	// the camera's, in performance.now() time, where the browser tells it) once submitted,
	// with at most one frame before it still on the GPU.
	api.Set("stylize", apiFunc(func(args []js.Value) any {
		id, source, canvas, opts := argInt(args, 0), arg(args, 1), arg(args, 2), arg(args, 3)
		width, strength, live, captured := 128, 1.0, false, math.NaN()
		if opts.Type() == js.TypeObject {
			if v := opts.Get("width"); v.Type() == js.TypeNumber {
				width = v.Int()
			}
			if v := opts.Get("strength"); v.Type() == js.TypeNumber {
				strength = v.Float()
			}
			live = opts.Get("live").Truthy()
			if v := opts.Get("captureTime"); v.Type() == js.TypeNumber {
				captured = v.Float()
			}
		}
		return e.async(func() (any, error) { return e.stylize(id, source, canvas, width, strength, live, captured) })
	}))
	// sample(id, z Float32Array of n·nz values, [canvas × n], {classes, cont}?) → {ms}
	api.Set("sample", apiFunc(func(args []js.Value) any {
		id, zv, cv, codesv := argInt(args, 0), arg(args, 1), arg(args, 2), arg(args, 3)
		return e.async(func() (any, error) {
			z, err := float32sFromJS(zv)
			if err != nil {
				return nil, fmt.Errorf("sample: latent vectors: %w", err)
			}
			if cv.Type() != js.TypeObject || cv.Get("length").Type() != js.TypeNumber {
				return nil, fmt.Errorf("sample: want an array of canvases")
			}
			canvases := make([]js.Value, cv.Length())
			for i := range canvases {
				canvases[i] = cv.Index(i)
			}
			in, err := codesFromJS(codesv)
			if err != nil {
				return nil, fmt.Errorf("sample: %w", err)
			}
			return e.sample(id, z, canvases, in)
		})
	}))
	// snapshot(canvas) → {width, height, data}: the last picture stylized onto canvas.
	api.Set("snapshot", apiFunc(func(args []js.Value) any {
		el := arg(args, 0)
		return e.async(func() (any, error) { return e.snapshot(el) })
	}))
	// release(id) frees a model and its pipelines.
	api.Set("release", apiFunc(func(args []js.Value) any {
		id := argInt(args, 0)
		return e.async(func() (any, error) { return nil, e.releaseModel(id) })
	}))
	// synthesize({mode, style, content, width, height, steps, every, alpha, beta, seed,
	// onProgress}) → {steps, stopped, loss}: a texture or Gatys transfer by optimisation
	// (synth.go), reporting steps and images to onProgress.
	api.Set("synthesize", apiFunc(func(args []js.Value) any { return e.startSynthesis(arg(args, 0)) }))
	// stopSynthesis() stops the run going on after its current step.
	api.Set("stopSynthesis", apiFunc(func([]js.Value) any {
		e.stopSynthesis()
		return nil
	}))
	latentAPI(api)
	js.Global().Set("easel", api)

	go e.run(func(err error) {
		if err != nil {
			setStatus(err.Error(), "error")
			rejectReady(err)
			return
		}
		adapter = e.dev.Adapter().String()
		setStatus("GPU ready: "+adapter, "")
		resolveReady(map[string]any{"adapter": adapter})
	})

	button := doc.Call("getElementById", "selftest")
	button.Call("addEventListener", "click", js.FuncOf(func(js.Value, []js.Value) any {
		button.Set("disabled", true)
		e.async(func() (any, error) {
			selfTest(ctx, e, adapter)
			button.Set("disabled", false)
			return nil, nil
		})
		return nil
	}))
	select {} // the page lives on in the callbacks and the engine
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// apiFunc makes fn a JS function that turns a panic (a JS exception, an argument of the
// wrong type) into a returned Error: a panic in a JS callback would end the program.
func apiFunc(fn func(args []js.Value) any) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (v any) {
		defer func() {
			if r := recover(); r != nil {
				v = js.Global().Get("Error").New(fmt.Sprint(r))
			}
		}()
		return fn(args)
	})
}

// argInt is argument i as an int, or -1 when it is not a number (no model has that id):
// a panic in a JS callback would end the program.
func argInt(args []js.Value, i int) int {
	if v := arg(args, i); v.Type() == js.TypeNumber {
		return v.Int()
	}
	return -1
}

func jsField(v js.Value, key string) string {
	if v.Type() != js.TypeObject {
		return ""
	}
	if f := v.Get(key); f.Type() == js.TypeString {
		return f.String()
	}
	return ""
}

func selfTest(ctx context.Context, e *engine, adapter string) {
	body := doc.Call("querySelector", "#selftest-results tbody")
	body.Set("innerHTML", "")
	summary := doc.Call("getElementById", "selftest-summary")
	cases := opcheck.Cases()
	failed := 0
	for i, c := range cases {
		summary.Set("textContent", fmt.Sprintf("Running %d of %d…", i+1, len(cases)))
		r := c.Check(ctx, e.dev, uint64(i+1))
		row := doc.Call("createElement", "tr")
		verdict, class := "ok", ""
		if !r.Passed() {
			failed++
			verdict, class = "FAIL", "fail"
			if r.Err != nil {
				verdict = "FAIL: " + r.Err.Error()
			}
		}
		for _, text := range []string{r.Op, r.Name, fmt.Sprintf("%.1e", r.MaxRelErr), verdict} {
			td := doc.Call("createElement", "td")
			td.Set("textContent", text)
			td.Set("className", class)
			row.Call("appendChild", td)
		}
		body.Call("appendChild", row)
	}
	summary.Set("textContent", fmt.Sprintf("%d of %d ops passed on %s.", len(cases)-failed, len(cases), adapter))
}
