//go:build js && wasm

package main

import (
	"fmt"
	"syscall/js"
	"time"

	"easel/models"
)

// sample runs the generator id on the latent vectors z (n·nz values, n the number of
// canvases) and draws image i onto canvases[i], in one submit with no readback. Faces
// are drawn on demand, not per frame, so the batch is recorded for each call.
func (e *engine) sample(id int, z []float32, canvases []js.Value) (any, error) {
	start := time.Now()
	m, err := e.model(id)
	if err != nil {
		return nil, err
	}
	if m.gen == nil {
		return nil, fmt.Errorf("model %s is a %s network, not a generator", m.name, m.w.Arch)
	}
	cfg := m.gen.Config
	n := len(canvases)
	switch {
	case n == 0:
		return nil, fmt.Errorf("sample with %s: no canvases", m.name)
	case len(z) != n*cfg.NZ:
		return nil, fmt.Errorf("sample with %s: %d latent values for %d canvases, want %d·%d", m.name, len(z), n, n, cfg.NZ)
	case cfg.NC != 3:
		return nil, fmt.Errorf("model %s makes images of %d channels; the page shows RGB", m.name, cfg.NC)
	}
	zt, err := e.dev.FromData(z, n, cfg.NZ, 1, 1)
	if err != nil {
		return nil, err
	}
	defer zt.Release()
	b := e.dev.NewBatch()
	defer b.Release()
	plan, err := m.gen.Record(b, zt)
	if err != nil {
		return nil, err
	}
	defer plan.Release()
	// The generator's range (tanh, -1..1) to 0..255.
	out := m.gen.IO.Output
	lo, hi := out.Min, out.Max
	if lo == hi {
		lo, hi = -1, 1
	}
	mul := 255 / (hi - lo)
	scale := [3]float64{mul, mul, mul}
	shift := [3]float64{-lo * mul, -lo * mul, -lo * mul}
	img := b.TensorToImage(plan.Output, scale, shift)
	defer img.Release()
	for i, el := range canvases {
		c, err := e.canvas(el, models.DCGANSize, models.DCGANSize)
		if err != nil {
			return nil, fmt.Errorf("sample with %s: canvas %d: %w", m.name, i, err)
		}
		b.DrawImage(img, i, c)
	}
	if err := b.Submit(); err != nil {
		return nil, fmt.Errorf("sample with %s: %w", m.name, err)
	}
	if err := e.dev.WaitDone(e.ctx); err != nil {
		return nil, fmt.Errorf("sample with %s: %w", m.name, err)
	}
	return map[string]any{"ms": float64(time.Since(start).Microseconds()) / 1000}, nil
}

// latentAPI is the synchronous part of window.easel for faces: latent vectors as
// Float32Arrays, pure arithmetic, no GPU. A bad argument gives an Error object back.
func latentAPI(api js.Value) {
	fail := func(err error) any { return js.Global().Get("Error").New(err.Error()) }
	api.Set("randomLatents", apiFunc(func(args []js.Value) any {
		if len(args) < 3 {
			return fail(fmt.Errorf("randomLatents(n, nz, seed)"))
		}
		n, nz, seed := argInt(args, 0), argInt(args, 1), argInt(args, 2)
		if n < 1 || n > 256 || nz < 1 || nz > 4096 || seed < 0 {
			return fail(fmt.Errorf("randomLatents(%d, %d, %d): want 1..256 vectors of 1..4096 values and a seed ≥ 0", n, nz, seed))
		}
		out := make([]any, n)
		for i, z := range models.RandomLatents(n, nz, uint64(seed)) {
			out[i] = float32sToJS(z)
		}
		return out
	}))
	api.Set("slerp", apiFunc(func(args []js.Value) any {
		if len(args) < 3 {
			return fail(fmt.Errorf("slerp(a, b, t)"))
		}
		a, err := float32sFromJS(args[0])
		if err != nil {
			return fail(err)
		}
		b, err := float32sFromJS(args[1])
		if err != nil {
			return fail(err)
		}
		if args[2].Type() != js.TypeNumber {
			return fail(fmt.Errorf("slerp: t is %s, not a number", args[2].Type()))
		}
		z, err := models.Slerp(a, b, args[2].Float())
		if err != nil {
			return fail(err)
		}
		return float32sToJS(z)
	}))
	api.Set("latentArithmetic", apiFunc(func(args []js.Value) any {
		if len(args) < 3 {
			return fail(fmt.Errorf("latentArithmetic(target, with, without)"))
		}
		target, err := float32sFromJS(args[0])
		if err != nil {
			return fail(err)
		}
		lists := [2][][]float32{}
		for k := range lists {
			arr := args[1+k]
			if arr.Type() != js.TypeObject || arr.Get("length").Type() != js.TypeNumber {
				return fail(fmt.Errorf("latentArithmetic: argument %d is not an array", 2+k))
			}
			for i := range arr.Length() {
				z, err := float32sFromJS(arr.Index(i))
				if err != nil {
					return fail(err)
				}
				lists[k] = append(lists[k], z)
			}
		}
		z, err := models.LatentArithmetic(target, lists[0], lists[1])
		if err != nil {
			return fail(err)
		}
		return float32sToJS(z)
	}))
}
