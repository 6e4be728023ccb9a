//go:build js && wasm

package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"syscall/js"

	"easel/gpu"
)

// jsText is String(v): an Error's message with its name, anything else as JS prints it.
func jsText(v js.Value) string {
	if v.Type() == js.TypeObject && v.Get("message").Type() == js.TypeString {
		return v.Get("name").String() + ": " + v.Get("message").String()
	}
	return js.Global().Get("String").Invoke(v).String()
}

// newPromise returns a JS promise and functions that settle it; they may be called from
// any goroutine.
func newPromise() (p js.Value, resolve func(any), reject func(error)) {
	var res, rej js.Value
	executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
		res, rej = args[0], args[1]
		return nil
	})
	p = js.Global().Get("Promise").New(executor) // runs executor at once
	executor.Release()
	return p,
		func(v any) { res.Invoke(v) },
		func(err error) { rej.Invoke(js.Global().Get("Error").New(err.Error())) }
}

// fetchBytes GETs url and returns the body.
func fetchBytes(url string) ([]byte, error) {
	resp, err := gpu.Await(js.Global().Call("fetch", url))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %v", url, err)
	}
	if !resp.Get("ok").Bool() {
		return nil, fmt.Errorf("fetch %s: HTTP %d %s", url, resp.Get("status").Int(), resp.Get("statusText").String())
	}
	buf, err := gpu.Await(resp.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %v", url, err)
	}
	u8 := js.Global().Get("Uint8Array").New(buf)
	b := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(b, u8)
	return b, nil
}

// float32sFromJS copies a Float32Array (or an array of numbers) into Go.
func float32sFromJS(v js.Value) ([]float32, error) {
	if v.Type() != js.TypeObject || v.Get("length").Type() != js.TypeNumber {
		return nil, fmt.Errorf("want a Float32Array, got %s", v.Type())
	}
	f32 := js.Global().Get("Float32Array").New(v)
	u8 := js.Global().Get("Uint8Array").New(f32.Get("buffer"), f32.Get("byteOffset"), f32.Get("byteLength"))
	raw := make([]byte, u8.Get("length").Int())
	js.CopyBytesToGo(raw, u8)
	out := make([]float32, len(raw)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return out, nil
}

// float32sToJS returns a new Float32Array holding z.
func float32sToJS(z []float32) js.Value {
	raw := make([]byte, 4*len(z))
	for i, v := range z {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	u8 := js.Global().Get("Uint8Array").New(len(raw))
	js.CopyBytesToJS(u8, raw)
	return js.Global().Get("Float32Array").New(u8.Get("buffer"))
}

// sourceSize is the picture size of a video, image, canvas or ImageBitmap.
func sourceSize(src js.Value) (w, h int, err error) {
	if src.Type() != js.TypeObject {
		return 0, 0, fmt.Errorf("the source is %s, not a picture", src.Type())
	}
	for _, dims := range [][2]string{{"videoWidth", "videoHeight"}, {"naturalWidth", "naturalHeight"}, {"width", "height"}} {
		if src.Get(dims[0]).Type() == js.TypeNumber {
			w, h = src.Get(dims[0]).Int(), src.Get(dims[1]).Int()
			break
		}
	}
	if w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("the source has no picture yet (%d×%d)", w, h)
	}
	return w, h, nil
}
