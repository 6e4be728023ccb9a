//go:build js && wasm

package gpu

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall/js"
	"weak"

	"github.com/gogpu/wgpu"
)

// Open returns a device on the browser's WebGPU adapter (navigator.gpu). Open, the first
// launch of each kernel (which checks its module), the first submit of a batch whose
// pipelines are still compiling and Tensor.Read wait for the browser by blocking their
// goroutine on a JS promise, so they must not run inside a JS callback
// (requestAnimationFrame, an event handler): start a goroutine there. The kernel family
// is the CPU one on a fallback adapter or SwiftShader, the GPU one otherwise.
func Open(ctx context.Context) (*Device, error) { return OpenWith(ctx, OpenOptions{}) }

// OpenWith is Open with options: opts.Kernels forces a kernel family (a page passes its
// ?kernels= parameter here).
func OpenWith(ctx context.Context, opts OpenOptions) (*Device, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := chooseFamily(opts, "", KernelsAuto); err != nil {
		return nil, err
	}
	inst, err := wgpu.CreateInstance(nil)
	if err != nil {
		return nil, fmt.Errorf("gpu: WebGPU is not available in this browser: %w; "+
			"use a browser with WebGPU enabled and a page served over https or from localhost", err)
	}
	ad, err := inst.RequestAdapter(&wgpu.RequestAdapterOptions{PowerPreference: wgpu.PowerPreferenceHighPerformance})
	if err != nil {
		inst.Release()
		return nil, fmt.Errorf("gpu: WebGPU is not available in this browser: no adapter (%w); "+
			"the GPU may be blocklisted or WebGPU turned off", err)
	}
	dev, web, jsAdapter, err := requestDevice(ad)
	if err != nil {
		ad.Release()
		inst.Release()
		return nil, fmt.Errorf("gpu: request WebGPU device: %w", err)
	}
	info, cpu := adapterInfo(jsAdapter, ad.Info().Name)
	info.Kernels, _ = chooseFamily(opts, "", adapterFamily(info, cpu))
	info.Subgroups = info.Kernels == KernelsGPU && hasFeature(web.device, subgroupsFeature)
	d := newDevice(inst, ad, dev, info)
	key := weak.Make(d)
	webDevices.Store(key, web)
	runtime.AddCleanup(d, func(k weak.Pointer[Device]) {
		if w, ok := webDevices.LoadAndDelete(k); ok {
			w.(*webDevice).release()
		}
	}, key)
	return d, nil
}

// webDevices holds the JS side of every open Device. gogpu keeps its GPUDevice private, so
// requestDevice catches it on the way; an entry goes when its Device is garbage collected.
var webDevices sync.Map // weak.Pointer[Device] → *webDevice

func (d *Device) web() *webDevice {
	w, _ := webDevices.Load(weak.Make(d))
	return w.(*webDevice) // stored by Open for every Device
}

// webDevice records what gogpu's browser backend drops: validation errors outside an error
// scope and the loss of the device, both of which the browser reports asynchronously.
type webDevice struct {
	device  js.Value // GPUDevice
	onError js.Func  // its 'uncapturederror' listener

	// createTexture replaces the device's createTexture before gogpu binds it, so that the
	// GPUTexture behind a gogpu Texture is known (lastTexture): copyExternalImageToTexture
	// needs it, and gogpu keeps it private.
	createTexture js.Func
	lastTexture   js.Value

	// Pipelines compile with createComputePipelineAsync, which gogpu does not offer: the
	// hooks catch the GPUShaderModule and GPUPipelineLayout gogpu makes (lastModule,
	// lastLayout) and hand gogpu the compiled GPUComputePipeline (readyPipeline) when it
	// asks for one (createPipeline).
	hooks                  []hook
	lastModule, lastLayout js.Value
	readyPipeline          js.Value

	mu   sync.Mutex
	errs []string // uncaptured errors not yet reported
	lost error    // set once the device is lost; sticky
}

// subgroupsFeature is the WebGPU feature of subgroup operations in WGSL. gogpu does not
// know it, so requestDevice adds it to the device's required features itself; the GPU
// family's reductions use it (workgroup_reduce_subgroup.wgsl). The CPU family does not:
// its kernels stay as tuned for CPU drivers.
const subgroupsFeature = "subgroups"

// hasFeature reports whether a GPUAdapter's or GPUDevice's features include name.
func hasFeature(v js.Value, name string) bool {
	f := v.Get("features")
	return f.Type() == js.TypeObject && f.Call("has", name).Truthy()
}

// withFeature returns requestDevice's arguments with name among the descriptor's
// required features.
func withFeature(args []js.Value, name string) []js.Value {
	obj := js.Global().Get("Object")
	desc := obj.New()
	if len(args) > 0 && args[0].Type() == js.TypeObject {
		desc = obj.Call("assign", desc, args[0])
	}
	features := js.Global().Get("Array").New()
	if old := desc.Get("requiredFeatures"); old.Type() == js.TypeObject {
		features = js.Global().Get("Array").Call("from", old)
	}
	if !features.Call("includes", name).Truthy() {
		features.Call("push", name)
	}
	desc.Set("requiredFeatures", features)
	return append([]js.Value{desc}, args[min(len(args), 1):]...)
}

var openMu sync.Mutex // requestDevice swaps a prototype method, one Open at a time

// requestDevice asks gogpu for a device with the adapter's full limits while
// GPUAdapter.prototype.requestDevice is wrapped, so the GPUAdapter and the GPUDevice promise
// gogpu uses are seen here too, and the device gets its hooks (hookDevice) before gogpu
// sees it. It returns the JS GPUAdapter as well.
func requestDevice(ad *wgpu.Adapter) (*wgpu.Device, *webDevice, js.Value, error) {
	openMu.Lock()
	defer openMu.Unlock()
	w := &webDevice{}
	onDevice := js.FuncOf(func(_ js.Value, args []js.Value) any {
		w.hookDevice(args[0])
		return args[0]
	})
	defer onDevice.Release() // gogpu has awaited the promise when RequestDevice returns
	proto := js.Global().Get("GPUAdapter").Get("prototype")
	orig := proto.Get("requestDevice")
	var jsAdapter, promise js.Value
	wrap := js.FuncOf(func(this js.Value, args []js.Value) any {
		jsAdapter = this
		if hasFeature(this, subgroupsFeature) {
			args = withFeature(args, subgroupsFeature)
		}
		callArgs := []any{this}
		for _, a := range args {
			callArgs = append(callArgs, a)
		}
		promise = orig.Call("call", callArgs...).Call("then", onDevice)
		return promise
	})
	proto.Set("requestDevice", wrap)
	dev, err := ad.RequestDevice(&wgpu.DeviceDescriptor{Label: "easel", RequiredLimits: ad.Limits()})
	proto.Set("requestDevice", orig)
	wrap.Release()
	if err != nil {
		return nil, nil, js.Value{}, err
	}
	if promise.IsUndefined() {
		dev.Release()
		return nil, nil, js.Value{}, errors.New("gogpu did not call GPUAdapter.requestDevice; cannot watch the device for errors")
	}
	jsDevice, err := Await(promise) // settled already: gogpu awaited the same promise
	if err != nil {
		dev.Release()
		return nil, nil, js.Value{}, err
	}
	w.device = jsDevice
	w.watch()
	return dev, w, jsAdapter, nil
}

// hookCreateTexture gives device an own createTexture that records each texture it makes.
// hook is a method of the GPUDevice replaced by a Go function.
type hook struct {
	method string
	fn     js.Func
}

// hookDevice replaces the device's methods whose results gogpu keeps private.
func (w *webDevice) hookDevice(device js.Value) {
	w.hookCreateTexture(device)
	replace := func(method string, fn func(orig, this js.Value, args []js.Value) any) {
		orig := device.Get(method) // GPUDevice.prototype's
		h := hook{method, js.FuncOf(func(this js.Value, args []js.Value) any { return fn(orig, this, args) })}
		device.Set(method, h.fn)
		w.hooks = append(w.hooks, h)
	}
	call := func(orig, this js.Value, args []js.Value) js.Value {
		callArgs := []any{this}
		for _, a := range args {
			callArgs = append(callArgs, a)
		}
		return orig.Call("call", callArgs...)
	}
	replace("createShaderModule", func(orig, this js.Value, args []js.Value) any {
		w.lastModule = call(orig, this, args)
		return w.lastModule
	})
	replace("createPipelineLayout", func(orig, this js.Value, args []js.Value) any {
		w.lastLayout = call(orig, this, args)
		return w.lastLayout
	})
	replace("createComputePipeline", func(orig, this js.Value, args []js.Value) any {
		if p := w.readyPipeline; p.Type() == js.TypeObject {
			w.readyPipeline = js.Undefined()
			return p
		}
		return call(orig, this, args)
	})
}

// createPipeline starts compiling k's pipeline with createComputePipelineAsync, which the
// browser compiles off its main threads; k.await takes the result at the first submit
// that needs it, so that the pipelines of a newly recorded batch compile side by side
// (and a page keeps drawing meanwhile). A compile error is reported by that submit.
func (d *Device) createPipeline(k *kernel, entry string) error {
	w := d.web()
	module, layout := w.lastModule, w.lastLayout
	w.lastModule, w.lastLayout = js.Undefined(), js.Undefined()
	if module.Type() != js.TypeObject || layout.Type() != js.TypeObject {
		return errors.New("gogpu did not call GPUDevice.createShaderModule and createPipelineLayout; cannot compile asynchronously")
	}
	desc := js.ValueOf(map[string]any{"label": k.name, "layout": layout,
		"compute": map[string]any{"module": module, "entryPoint": entry}})
	promise := w.device.Call("createComputePipelineAsync", desc)
	var failed error
	k.await = func() error {
		if failed != nil {
			return failed
		}
		p, err := Await(promise)
		if k.pipeline != nil { // another goroutine took it meanwhile
			return nil
		}
		if err == nil {
			w.readyPipeline = p
			k.pipeline, err = d.dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{Label: k.name,
				Layout: k.layout, Module: k.module, EntryPoint: entry})
			w.readyPipeline = js.Undefined()
		}
		if err != nil {
			k.pipeline = nil
			failed = fmt.Errorf("gpu: build pipeline %s: %w", k.name, err)
			return failed
		}
		k.await = nil
		return nil
	}
	return nil
}

func (w *webDevice) hookCreateTexture(device js.Value) {
	create := device.Get("createTexture") // GPUDevice.prototype's
	w.createTexture = js.FuncOf(func(this js.Value, args []js.Value) any {
		callArgs := []any{this}
		for _, a := range args {
			callArgs = append(callArgs, a)
		}
		w.lastTexture = create.Call("call", callArgs...)
		return w.lastTexture
	})
	device.Set("createTexture", w.createTexture)
}

// webTexture is the browser's GPUTexture behind a Texture.
type webTexture struct{ ref js.Value }

func (d *Device) createTexture(desc *wgpu.TextureDescriptor) (*wgpu.Texture, webTexture, error) {
	w := d.web()
	w.lastTexture = js.Undefined()
	t, err := d.dev.CreateTexture(desc)
	if err != nil {
		return nil, webTexture{}, err
	}
	ref := w.lastTexture
	w.lastTexture = js.Undefined()
	if ref.Type() != js.TypeObject {
		t.Release()
		return nil, webTexture{}, errors.New("gogpu did not call GPUDevice.createTexture; cannot copy frames into the texture")
	}
	return t, webTexture{ref}, nil
}

// watch starts recording uncaptured errors and the loss of the device.
func (w *webDevice) watch() {
	w.onError = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "unknown error"
		if len(args) > 0 {
			msg = gpuErrorText(args[0].Get("error"))
		}
		w.mu.Lock()
		w.errs = append(w.errs, msg)
		w.mu.Unlock()
		return nil
	})
	w.device.Call("addEventListener", "uncapturederror", w.onError)
	// device.lost resolves once, so its handler releases itself.
	var onLost js.Func
	onLost = js.FuncOf(func(_ js.Value, args []js.Value) any {
		reason, msg := "unknown", ""
		if len(args) > 0 && args[0].Type() == js.TypeObject {
			reason = jsString(args[0].Get("reason"))
			msg = jsString(args[0].Get("message"))
		}
		w.mu.Lock()
		w.lost = &DeviceLostError{Reason: reason, Message: msg}
		w.mu.Unlock()
		onLost.Release()
		return nil
	})
	w.device.Get("lost").Call("then", onLost)
}

func (w *webDevice) release() {
	w.device.Call("removeEventListener", "uncapturederror", w.onError)
	w.onError.Release()
	w.device.Delete("createTexture")
	w.createTexture.Release()
	for _, h := range w.hooks {
		w.device.Delete(h.method)
		h.fn.Release()
	}
}

// ErrDeviceLost matches (errors.Is) the error of every operation on a lost device, a
// *DeviceLostError. The device cannot be used again: Close it and Open a new one.
var ErrDeviceLost = errors.New("gpu: WebGPU device lost")

// DeviceLostError says why the browser took the device away.
type DeviceLostError struct {
	Reason  string // GPUDeviceLostInfo.reason: "destroyed" or "unknown"
	Message string
}

func (e *DeviceLostError) Error() string {
	return fmt.Sprintf("gpu: WebGPU device lost (%s): %s", e.Reason, e.Message)
}

// Is makes errors.Is(err, ErrDeviceLost) hold.
func (e *DeviceLostError) Is(target error) bool { return target == ErrDeviceLost }

// adapterInfo reads GPUAdapter.info, which gogpu does not expose (its Info has only a
// placeholder name).
// cpu reports a fallback adapter or a CPU driver's architecture.
func adapterInfo(adapter js.Value, fallbackName string) (info AdapterInfo, cpu bool) {
	info = AdapterInfo{Name: fallbackName, Backend: "BrowserWebGPU", DeviceType: "unknown"}
	ji := adapter.Get("info")
	if ji.Type() != js.TypeObject {
		return info, adapter.Get("isFallbackAdapter").Truthy()
	}
	vendor, arch := jsString(ji.Get("vendor")), jsString(ji.Get("architecture"))
	device, desc := jsString(ji.Get("device")), jsString(ji.Get("description"))
	switch {
	case desc != "":
		info.Name = desc
	case device != "":
		info.Name = device
	case vendor != "" || arch != "":
		info.Name = vendor + " " + arch
	}
	info.Vendor = vendor // Driver stays empty: browsers do not tell it
	// isFallbackAdapter moved from GPUAdapter to GPUAdapterInfo; either says a CPU.
	fallback := ji.Get("isFallbackAdapter").Truthy() || adapter.Get("isFallbackAdapter").Truthy()
	if fallback {
		info.DeviceType = "fallback adapter"
	}
	// The architecture names a CPU driver too (Chrome's SwiftShader: "swiftshader").
	return info, fallback || adapterFamily(AdapterInfo{Name: arch}, false) == KernelsCPU
}

// The browser validates shader modules and pipelines on its own timeline; an error scope
// around their creation brings the compiler's message back to compile. Internal errors
// count too: a backend compiler rejecting a valid module reports one.
func (d *Device) beginCompileCheck() error {
	w := d.web()
	if err := w.lostErr(); err != nil {
		return err
	}
	w.device.Call("pushErrorScope", "validation")
	w.device.Call("pushErrorScope", "internal")
	return nil
}

func (d *Device) endCompileCheck() error {
	w := d.web()
	internal, ierr := Await(w.device.Call("popErrorScope"))
	validation, verr := Await(w.device.Call("popErrorScope"))
	for _, e := range []error{ierr, verr} {
		if e != nil {
			return fmt.Errorf("popErrorScope: %w", e)
		}
	}
	for _, e := range []js.Value{validation, internal} {
		if e.Type() == js.TypeObject {
			return errors.New(gpuErrorText(e))
		}
	}
	return w.lostErr()
}

// deviceError reports the errors the browser raised outside an error scope since the last
// call (each once), or the loss of the device (every time).
func (d *Device) deviceError() error {
	w := d.web()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lost != nil {
		return w.lost
	}
	if len(w.errs) == 0 {
		return nil
	}
	errs := make([]error, len(w.errs))
	for i, m := range w.errs {
		errs[i] = errors.New("gpu: WebGPU " + m)
	}
	w.errs = nil
	return errors.Join(errs...)
}

// settledDeviceError is deviceError once the browser has delivered the errors of all work
// issued so far. The browser may report a map as done before the errors of the work before
// it; the answer to an error scope pushed and popped now comes after them.
func (d *Device) settledDeviceError() error {
	w := d.web()
	if err := w.lostErr(); err != nil {
		return err
	}
	w.device.Call("pushErrorScope", "validation")
	if _, err := Await(w.device.Call("popErrorScope")); err != nil {
		return fmt.Errorf("popErrorScope: %w", err)
	}
	return d.deviceError()
}

// OnWorkDone calls done once the GPU has finished the work submitted so far, with nil, or
// with the device's loss if that comes first. Unlike WaitDone it does not wait, so that
// frames can be in flight while the caller goes on: done runs later, in a JS callback, and
// must not block (or at once, before OnWorkDone returns, on a device already lost). What
// the browser refused of the work is reported by the device's next operation, not to done.
func (d *Device) OnWorkDone(done func(error)) {
	w := d.web()
	if err := w.lostErr(); err != nil {
		done(err)
		return
	}
	race := js.Global().Get("Promise").Call("race", []any{w.device.Get("queue").Call("onSubmittedWorkDone"), w.device.Get("lost")})
	var onOK, onFail js.Func
	settle := func(err error) {
		onOK.Release()
		onFail.Release()
		done(err)
	}
	// When the loss wins, watch's handler of device.lost has run first: it subscribed
	// before the race did, so lostErr tells it.
	onOK = js.FuncOf(func(js.Value, []js.Value) any {
		settle(w.lostErr())
		return nil
	})
	onFail = js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			msg = js.Global().Get("String").Invoke(args[0]).String()
		}
		settle(fmt.Errorf("gpu: wait for the GPU: %s", msg))
		return nil
	})
	race.Call("then", onOK, onFail)
}

func (w *webDevice) lostErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lost
}

// gpuErrorText renders a GPUError as "GPUValidationError: message".
func gpuErrorText(e js.Value) string {
	if e.Type() != js.TypeObject {
		return "error: " + jsString(e)
	}
	kind := "error"
	if c := e.Get("constructor"); c.Type() == js.TypeFunction {
		kind = jsString(c.Get("name"))
	}
	return kind + ": " + jsString(e.Get("message"))
}

func jsString(v js.Value) string {
	if v.IsUndefined() || v.IsNull() {
		return ""
	}
	return v.String()
}

// Await blocks the calling goroutine until promise settles. The JS event loop runs in the
// meantime: Go's wasm scheduler returns to it whenever every goroutine is blocked. It must
// not run inside a JS callback.
func Await(promise js.Value) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	ch := make(chan settled, 1)
	onOK := js.FuncOf(func(_ js.Value, args []js.Value) any {
		v := js.Undefined()
		if len(args) > 0 {
			v = args[0]
		}
		ch <- settled{v: v}
		return nil
	})
	defer onOK.Release()
	onFail := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "rejected"
		if len(args) > 0 {
			msg = js.Global().Get("String").Invoke(args[0]).String()
		}
		ch <- settled{err: errors.New(msg)}
		return nil
	})
	defer onFail.Release()
	promise.Call("then", onOK, onFail)
	s := <-ch
	return s.v, s.err
}
