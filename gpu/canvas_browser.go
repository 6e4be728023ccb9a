//go:build js && wasm

package gpu

import (
	"context"
	"fmt"
	"syscall/js"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"
)

// Frames in and out of the page without a trip through the CPU: CopyFrom brings a video
// frame, picture or canvas into a Texture, and DrawImage puts an Image on a Canvas, both
// on the GPU.

// CopyFrom copies the current picture of source (an HTMLVideoElement, HTMLImageElement,
// HTMLCanvasElement, ImageBitmap or VideoFrame at least as large as the texture) into
// the texture's full extent with queue.copyExternalImageToTexture, on the GPU. The copy
// is ordered before any later Submit.
func (t *Texture) CopyFrom(source js.Value) (err error) {
	if t.tex == nil {
		return fmt.Errorf("gpu: copy into released %v", t)
	}
	defer func() {
		// The browser throws when the source has no picture yet or may not be read.
		if r := recover(); r != nil {
			err = fmt.Errorf("gpu: copy a picture into %v: %v", t, r)
		}
	}()
	src := js.Global().Get("Object").New()
	src.Set("source", source)
	dst := js.Global().Get("Object").New()
	dst.Set("texture", t.web.ref)
	t.d.web().device.Get("queue").Call("copyExternalImageToTexture", src, dst, []any{t.w, t.h})
	return t.d.deviceError()
}

// Canvas is an HTML canvas shown through a WebGPU canvas context of the device, in
// RGBA8: DrawImage copies into it within a batch's submit.
type Canvas struct {
	d       *Device
	surface *wgpu.Surface
	w, h    int
}

// NewCanvas takes over el (an HTMLCanvasElement or OffscreenCanvas) for the device and
// sets its drawing buffer to w×h pixels. A canvas element can be taken over again by a
// new device (after the old one was lost), not by another kind of context.
func (d *Device) NewCanvas(el js.Value, w, h int) (*Canvas, error) {
	s, err := d.instance.CreateSurfaceFromCanvas(el)
	if err != nil {
		return nil, fmt.Errorf("gpu: canvas: %w", err)
	}
	c := &Canvas{d: d, surface: s}
	if err := c.Resize(w, h); err != nil {
		s.Release()
		return nil, err
	}
	return c, nil
}

// W is the drawing buffer's width in pixels.
func (c *Canvas) W() int { return c.w }

// H is the drawing buffer's height in pixels.
func (c *Canvas) H() int { return c.h }

// Resize sets the drawing buffer to w×h pixels.
func (c *Canvas) Resize(w, h int) error {
	const maxSide = 8192
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide {
		return fmt.Errorf("gpu: canvas %d×%d: want sides in 1..%d", w, h, maxSide)
	}
	err := c.surface.Configure(c.d.dev, &wgpu.SurfaceConfiguration{Width: uint32(w), Height: uint32(h),
		Format: gputypes.TextureFormatRGBA8Unorm, Usage: gputypes.TextureUsageCopyDst,
		PresentMode: gputypes.PresentModeFifo, AlphaMode: gputypes.CompositeAlphaModeOpaque})
	if err != nil {
		return fmt.Errorf("gpu: configure canvas %d×%d: %w", w, h, err)
	}
	c.w, c.h = w, h
	return nil
}

// Release gives the canvas element back (its context unconfigured).
func (c *Canvas) Release() {
	if c != nil {
		c.surface.Release()
	}
}

// DrawImage records a copy of image i of im onto c, after the batch's kernels and in the
// same submit: the c.W()×c.H() pixels at the image's top left. The image must be at least
// that large, with rows a multiple of 256 bytes (64 pixels) long, as WebGPU's copies
// require. At each submit the copy goes to the canvas's texture of the moment, which the
// browser shows once control returns to it.
func (b *Batch) DrawImage(im *Image, i int, c *Canvas) {
	const op = "DrawImage"
	if !b.okImage(op, im) {
		return
	}
	switch {
	case c == nil:
		b.Fail(fmt.Errorf("%s: canvas is nil", op))
	case c.d != b.d:
		b.Fail(fmt.Errorf("%s: canvas belongs to another device", op))
	case i < 0 || i >= im.n:
		b.Fail(fmt.Errorf("%s: image %d of %v", op, i, im))
	case c.w > im.w || c.h > im.h:
		b.Fail(fmt.Errorf("%s: canvas %d×%d is larger than %v", op, c.w, c.h, im))
	case (4*im.w)%256 != 0:
		b.Fail(fmt.Errorf("%s: rows of %v are %d bytes, not a multiple of 256", op, im, 4*im.w))
	}
	if b.err != nil {
		return
	}
	b.copies = append(b.copies, textureCopy{
		src: im, offset: uint64(4 * i * im.h * im.w), bytesPerRow: uint64(4 * im.w),
		dst: func() (*wgpu.Texture, error) {
			st, _, err := c.surface.GetCurrentTexture()
			if err != nil {
				return nil, fmt.Errorf("gpu: canvas texture: %w", err)
			}
			return st.Texture(), nil
		},
		w: c.w, h: c.h,
	})
}

// WaitDone waits until the GPU has finished the work submitted so far, or the device is
// lost, and reports what the browser refused of that work. In the browser it is the way
// to pace frames: Submit does not wait.
func (d *Device) WaitDone(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := d.web()
	if err := w.lostErr(); err != nil {
		return err
	}
	done := w.device.Get("queue").Call("onSubmittedWorkDone")
	if _, err := Await(js.Global().Get("Promise").Call("race", []any{done, w.device.Get("lost")})); err != nil {
		return fmt.Errorf("gpu: wait for the GPU: %w", err)
	}
	return d.deviceError()
}
