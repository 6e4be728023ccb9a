//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"slices"
	"syscall/js"
	"time"

	"easel/gpu"
	"easel/models"
)

// stylePipe is the recorded frame of one style network onto one canvas at one size:
// the source's picture copied into a texture on the GPU, resampled into the network's
// input, the network, the blend with the input by the style strength into padded RGBA
// rows, and the copy onto the canvas, all in one batch: one command encoder, one submit,
// no readback. Per frame only the picture (and the strength, when it changes) is new, so
// a frame allocates nothing.
type stylePipe struct {
	canvasEl js.Value
	model    *model
	srcW     int
	srcH     int
	w, h     int

	tex      *gpu.Texture
	batch    *gpu.Batch
	x        *gpu.Tensor // the network's input, RGB 0..255
	plan     *models.Plan
	strength *gpu.Tensor // the blend weight of the stylized picture
	img      *gpu.Image
	weight   float64 // what strength holds
}

// frameSize is the network's input size for a source of sw×sh pixels at width w: both
// sides multiples of 4, so the network's output has the input's size, aspect kept, and
// the width a multiple of 16, so that every size runs the same tuned kernels (rows of
// whole vec4 at each of the network's scales) and a new size compiles nothing.
func frameSize(sw, sh, width int) (w, h int) {
	w = max(16, min(2048, width/16*16))
	h = max(8, min(2048, int(math.Round(float64(w)*float64(sh)/float64(sw)/4))*4))
	return w, h
}

// stylize draws source (a video, image, canvas or ImageBitmap) stylized by model id onto
// the canvas el, at width pixels (height by the source's aspect), with the stylized
// picture weighted strength (0..1) against the original. A picture (live false) returns
// when the GPU has finished it. A live video frame returns once it is submitted, with at
// most one other frame still on the GPU (see liveFrame); captured is when the camera took
// the picture (performance.now() time, NaN when unknown), for the frame's latency.
func (e *engine) stylize(id int, source, el js.Value, width int, strength float64, live bool, captured float64) (any, error) {
	start := time.Now()
	m, err := e.model(id)
	if err != nil {
		return nil, err
	}
	if m.net == nil {
		return nil, fmt.Errorf("model %s is a %s network, not a style network", m.name, m.w.Arch)
	}
	if math.IsNaN(strength) {
		strength = 1
	}
	strength = math.Max(0, math.Min(1, strength))
	sw, sh, err := sourceSize(source)
	if err != nil {
		return nil, err
	}
	w, h := frameSize(sw, sh, width)
	p, err := e.stylePipe(m, el, sw, sh, w, h)
	if err != nil {
		return nil, err
	}
	if live {
		e.settleFrames(maxFramesInFlight - 1)
	}
	copied := perfNow()
	if err := p.tex.CopyFrom(source); err != nil {
		return nil, fmt.Errorf("stylize with %s: %w", m.name, err)
	}
	if strength != p.weight {
		if err := p.strength.Write([]float32{float32(strength)}); err != nil {
			return nil, err
		}
		p.weight = strength
	}
	if err := p.batch.Submit(); err != nil {
		if live {
			// The frame may have reached the GPU before its error was told: let it finish,
			// so that nothing runs untracked. The submit's error is the one to tell.
			_ = e.dev.WaitDone(e.ctx)
		}
		return nil, fmt.Errorf("stylize with %s: %w", m.name, err)
	}
	if !live {
		if err := e.dev.WaitDone(e.ctx); err != nil {
			return nil, fmt.Errorf("stylize with %s: %w", m.name, err)
		}
	} else {
		from := "copy"
		// A capture time counts when it is plausible: before the copy, and not from
		// another clock.
		if captured <= copied && copied-captured < 10000 {
			copied, from = captured, "capture"
		}
		e.submitted(p, copied, from)
		e.settleFrames(maxFramesInFlight - 1)
	}
	d := time.Since(start)
	return map[string]any{"ms": float64(d.Microseconds()) / 1000, "width": w, "height": h}, nil
}

// maxFramesInFlight is how many live frames may be on the GPU at once. Two keep the GPU
// busy while the page waits for the camera's next picture and submits it, at a frame's
// latency at most; more would add latency, not frames.
//
// Two frames share one pipeline, its texture and buffers: WebGPU runs a queue's
// operations in the order they were issued (the queue timeline), so the copy of frame
// N+1's picture into the texture, issued after frame N's submit, runs after frame N's
// kernels have read it, and so do the strength's write and frame N+1's kernels.
const maxFramesInFlight = 2

// liveFrame is a live video frame submitted to the GPU and not yet seen finished. Its
// pipeline stays until it has finished: whatever releases a pipeline, resizes a canvas or
// drops the device settles the frames first (settleFrames(0)).
type liveFrame struct {
	done chan struct{} // closed when the GPU has finished the frame or the device is lost
}

// submitted records the frame just submitted on p, taken at taken (performance.now()
// time; from says whether the camera's capture or the copy to the GPU): it is in flight
// until the GPU has done it, then counted in the stats with its latency.
func (e *engine) submitted(p *stylePipe, taken float64, from string) {
	f := &liveFrame{done: make(chan struct{})}
	e.inflight = append(e.inflight, f)
	e.mu.Lock()
	s := &e.stats
	if s.inFlight > 0 {
		s.overlapped++
	}
	s.inFlight++
	s.inFlightAtSubmit = s.inFlight
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	e.mu.Unlock()
	size, model := fmt.Sprintf("%d×%d", p.w, p.h), p.model.name
	e.dev.OnWorkDone(func(err error) {
		// In a JS callback: nothing here blocks.
		e.frameDone(err == nil, perfNow()-taken, from, size, model)
		close(f.done)
	})
}

// settleFrames waits until at most n live frames are on the GPU. The GPU finishes them in
// the order they were submitted.
func (e *engine) settleFrames(n int) {
	for len(e.inflight) > n {
		<-e.inflight[0].done
		e.inflight = slices.Delete(e.inflight, 0, 1)
	}
}

// perfNow is performance.now(): milliseconds on the page's clock, which the camera's
// capture times use too.
func perfNow() float64 {
	return js.Global().Get("performance").Call("now").Float()
}

// stylePipe returns the pipeline for model onto el at these sizes, recording it (and
// releasing the canvas's previous one) when there is none. Recording waits for the live
// frames in flight: the previous pipeline must not be released, nor the canvas resized,
// under them.
func (e *engine) stylePipe(m *model, el js.Value, sw, sh, w, h int) (*stylePipe, error) {
	i := slices.IndexFunc(e.styles, func(p *stylePipe) bool { return p.canvasEl.Equal(el) })
	if i >= 0 {
		if p := e.styles[i]; p.model == m && p.srcW == sw && p.srcH == sh && p.w == w && p.h == h {
			return p, nil
		}
	}
	e.settleFrames(0)
	if i >= 0 {
		e.styles[i].release()
		e.styles = slices.Delete(e.styles, i, i+1)
	}
	io := m.net.IO
	for _, s := range []models.Signal{io.Input, io.Output} {
		if s.Min != 0 || s.Max != 255 {
			return nil, fmt.Errorf("model %s takes and gives RGB in %g..%g and %g..%g; the page needs 0..255",
				m.name, io.Input.Min, io.Input.Max, io.Output.Min, io.Output.Max)
		}
	}
	c, err := e.canvas(el, w, h)
	if err != nil {
		return nil, err
	}
	p := &stylePipe{canvasEl: el, model: m, srcW: sw, srcH: sh, w: w, h: h, weight: math.NaN()}
	if err := p.record(e.dev, c); err != nil {
		p.release()
		return nil, fmt.Errorf("stylize with %s at %d×%d: %w", m.name, w, h, err)
	}
	e.styles = append(e.styles, p)
	return p, nil
}

func (p *stylePipe) record(dev *gpu.Device, c *gpu.Canvas) error {
	var err error
	if p.tex, err = dev.NewTexture(p.srcW, p.srcH); err != nil {
		return err
	}
	if p.strength, err = dev.NewTensor(1); err != nil {
		return err
	}
	p.batch = dev.NewBatch()
	one := [3]float64{1, 1, 1}
	p.x = p.batch.TextureToTensor(p.tex, p.h, p.w, one, [3]float64{})
	if p.x == nil {
		return p.batch.Err()
	}
	if p.plan, err = p.model.net.Record(p.batch, p.x); err != nil {
		return err
	}
	// Rows padded to 64 pixels (256 bytes), as the copy onto the canvas needs.
	p.img = p.batch.BlendToImage(p.x, p.plan.Output, p.strength, (p.w+63)/64*64)
	p.batch.DrawImage(p.img, 0, c)
	return p.batch.Err()
}

func (p *stylePipe) release() {
	p.plan.Release()
	if p.batch != nil {
		p.batch.Release()
	}
	p.x.Release()
	p.img.Release()
	p.strength.Release()
	p.tex.Release()
}

// snapshot reads back the last picture stylized onto the canvas el, as {width, height,
// data} with data a Uint8ClampedArray of RGBA, for saving. This is the one readback the
// page does, on request: a WebGPU canvas cannot be read once the browser has shown it.
func (e *engine) snapshot(el js.Value) (any, error) {
	for _, p := range e.styles {
		if !p.canvasEl.Equal(el) {
			continue
		}
		px, err := p.img.Read(e.ctx)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		rw := p.img.W() // padded row
		out := make([]byte, 0, 4*p.w*p.h)
		for y := range p.h {
			out = append(out, px[4*y*rw:4*(y*rw+p.w)]...)
		}
		data := js.Global().Get("Uint8ClampedArray").New(len(out))
		js.CopyBytesToJS(data, out)
		return map[string]any{"width": p.w, "height": p.h, "data": data}, nil
	}
	return nil, fmt.Errorf("snapshot: nothing has been stylized onto this canvas yet")
}
