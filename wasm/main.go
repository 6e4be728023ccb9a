//go:build js && wasm

// Command wasm is Easel's browser entry point. It opens the page's WebGPU device through
// package gpu, reports it in #status, exposes window.easel for automation and runs the
// engine self-test on request.
package main

import (
	"context"
	"fmt"
	"syscall/js"

	"easel/gpu"
	"easel/gpu/opcheck"
)

var (
	doc     = js.Global().Get("document")
	adapter = ""
)

func setStatus(msg string, isErr bool) {
	el := doc.Call("getElementById", "status")
	el.Set("textContent", msg)
	if isErr {
		el.Set("className", "error")
	} else {
		el.Set("className", "")
	}
}

func main() {
	ctx := context.Background()
	api := js.Global().Get("Object").New()
	api.Set("stats", js.FuncOf(func(js.Value, []js.Value) any {
		return map[string]any{"frames": 0, "fps": 0, "lastFrameMs": 0, "adapter": adapter}
	}))
	js.Global().Set("easel", api)

	dev, err := gpu.Open(ctx)
	if err != nil {
		setStatus(err.Error(), true)
		select {}
	}
	adapter = dev.Adapter().String()
	setStatus("GPU ready: "+adapter, false)

	button := doc.Call("getElementById", "selftest")
	requests := make(chan struct{}, 1)
	button.Call("addEventListener", "click", js.FuncOf(func(js.Value, []js.Value) any {
		select {
		case requests <- struct{}{}:
		default:
		}
		return nil
	}))
	button.Set("disabled", false)
	// Kernels compile and results read back by awaiting promises, which must not happen
	// inside a JS event callback: the test runs on this goroutine instead.
	for range requests {
		button.Set("disabled", true)
		selfTest(ctx, dev)
		button.Set("disabled", false)
	}
}

func selfTest(ctx context.Context, dev *gpu.Device) {
	body := doc.Call("querySelector", "#selftest-results tbody")
	body.Set("innerHTML", "")
	summary := doc.Call("getElementById", "selftest-summary")
	cases := opcheck.Cases()
	failed := 0
	for i, c := range cases {
		summary.Set("textContent", fmt.Sprintf("Running %d of %d…", i+1, len(cases)))
		r := c.Check(ctx, dev, uint64(i+1))
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
