//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"syscall/js"
	"time"

	"easel/models"
)

// codes are a conditional generator's inputs besides z, one row per canvas: the class
// (cgan-g) or categorical code (infogan-g) of each, and the continuous codes (infogan-g),
// cont values per canvas.
type codes struct {
	classes []int
	cont    []float32
}

// sample runs the generator id on the latent vectors z (n·nz values, n the number of
// canvases) and the codes it takes, and draws image i onto canvases[i] (made the
// generator's side square), in one submit with no readback. 1-channel images are drawn
// gray. Faces and digits are drawn on demand, not per frame, so the batch is recorded
// for each call.
func (e *engine) sample(id int, z []float32, canvases []js.Value, in codes) (any, error) {
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
	case cfg.NC != 3 && cfg.NC != 1:
		return nil, fmt.Errorf("model %s makes images of %d channels; the page shows RGB or gray", m.name, cfg.NC)
	case cfg.Classes+cfg.Cat == 0 && len(in.classes) > 0:
		return nil, fmt.Errorf("sample with %s: it takes no class", m.name)
	case cfg.Classes+cfg.Cat > 0 && len(in.classes) != n:
		return nil, fmt.Errorf("sample with %s: %d classes for %d canvases", m.name, len(in.classes), n)
	}
	if in.cont == nil {
		in.cont = []float32{}
	}
	if len(in.cont) != n*cfg.Cont {
		return nil, fmt.Errorf("sample with %s: %d continuous code values for %d canvases, want %d·%d", m.name, len(in.cont), n, n, cfg.Cont)
	}
	input := make([]float32, n*cfg.InputWidth())
	if err := cfg.GeneratorInput(input, z, in.classes, in.cont); err != nil {
		return nil, fmt.Errorf("sample with %s: %w", m.name, err)
	}
	zt, err := e.dev.FromData(input, n, cfg.InputWidth(), 1, 1)
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
	// A canvas takes rows of a multiple of 64 pixels: 32×32 digits are padded.
	side := cfg.Side()
	img := b.TensorToImageRows(plan.Output, scale, shift, (side+63)/64*64)
	defer img.Release()
	for i, el := range canvases {
		c, err := e.canvas(el, side, side)
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

// codesFromJS reads sample's optional codes argument: {classes: [n integers], cont:
// Float32Array of n·cont values}; undefined or null is none.
func codesFromJS(v js.Value) (codes, error) {
	var c codes
	if v.IsUndefined() || v.IsNull() {
		return c, nil
	}
	if v.Type() != js.TypeObject {
		return c, fmt.Errorf("codes are %s, not an object", v.Type())
	}
	if cl := v.Get("classes"); !cl.IsUndefined() && !cl.IsNull() {
		if cl.Type() != js.TypeObject || cl.Get("length").Type() != js.TypeNumber {
			return c, fmt.Errorf("codes.classes is not an array")
		}
		for i := range cl.Length() {
			x := cl.Index(i)
			if x.Type() != js.TypeNumber || x.Float() != math.Trunc(x.Float()) || math.Abs(x.Float()) > 1e6 {
				return c, fmt.Errorf("codes.classes[%d] is %s, not an integer", i, jsText(x))
			}
			c.classes = append(c.classes, x.Int())
		}
	}
	if cont := v.Get("cont"); !cont.IsUndefined() && !cont.IsNull() {
		var err error
		if c.cont, err = float32sFromJS(cont); err != nil {
			return c, fmt.Errorf("codes.cont: %w", err)
		}
		for i, x := range c.cont {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return c, fmt.Errorf("codes.cont[%d] is %v", i, x)
			}
		}
	}
	return c, nil
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
	api.Set("addDirection", apiFunc(func(args []js.Value) any {
		if len(args) < 3 {
			return fail(fmt.Errorf("addDirection(z, direction, strength)"))
		}
		z, err := float32sFromJS(args[0])
		if err != nil {
			return fail(err)
		}
		d, err := float32sFromJS(args[1])
		if err != nil {
			return fail(err)
		}
		if args[2].Type() != js.TypeNumber {
			return fail(fmt.Errorf("addDirection: strength is %s, not a number", args[2].Type()))
		}
		out, err := models.AddDirection(z, d, args[2].Float())
		if err != nil {
			return fail(err)
		}
		return float32sToJS(out)
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
