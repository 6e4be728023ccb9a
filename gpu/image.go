package gpu

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Image is N packed RGBA8 images of H×W pixels in GPU memory: one u32 per pixel with R in
// the low byte, the layout of a canvas's ImageData, so that a frame uploads with one copy.
type Image struct {
	t       *Tensor // N·H·W elements used as raw u32 words, not floats
	n, h, w int
}

// NewImage allocates n uninitialised images of h×w pixels (from the tensor pool).
func (d *Device) NewImage(n, h, w int) (*Image, error) {
	t, err := d.NewTensor(n, h, w)
	if err != nil {
		return nil, fmt.Errorf("gpu: image %d×%d×%d: %w", n, h, w, err)
	}
	return &Image{t: t, n: n, h: h, w: w}, nil
}

// N is the number of images.
func (im *Image) N() int { return im.n }

// H is the height of each image in pixels.
func (im *Image) H() int { return im.h }

// W is the width of each image in pixels.
func (im *Image) W() int { return im.w }

// Shape returns [N, H, W].
func (im *Image) Shape() []int { return []int{im.n, im.h, im.w} }

// Pixels is N·H·W.
func (im *Image) Pixels() int { return im.n * im.h * im.w }

func (im *Image) String() string { return fmt.Sprintf("Image[%d×%d×%d]", im.n, im.h, im.w) }

// Write uploads rgba, 4 bytes per pixel (R, G, B, A), images one after another, rows top
// to bottom. The upload is ordered before any later Submit.
func (im *Image) Write(rgba []byte) error {
	if im.t.freed {
		return fmt.Errorf("gpu: write to released %v", im)
	}
	if len(rgba) != 4*im.Pixels() {
		return fmt.Errorf("gpu: write of %d bytes into %v (%d bytes)", len(rgba), im, 4*im.Pixels())
	}
	return im.t.d.queue.WriteBuffer(im.t.buf, 0, rgba)
}

// Read copies the images back as RGBA bytes, waiting for all submitted work.
func (im *Image) Read(ctx context.Context) ([]byte, error) {
	if im.t.freed {
		return nil, fmt.Errorf("gpu: read of released %v", im)
	}
	return im.t.d.readBuffer(ctx, im.t.buf, im.t.off, 4*uint64(im.Pixels()))
}

// Release returns the image's buffer to the device pool.
func (im *Image) Release() {
	if im != nil {
		im.t.Release()
	}
}

// okImage is ok for an image input.
func (b *Batch) okImage(op string, im *Image) bool {
	if b.err != nil {
		return false
	}
	switch {
	case im == nil:
		b.Fail(fmt.Errorf("%s: image is nil", op))
	case im.t.freed:
		b.Fail(fmt.Errorf("%s: %v was released", op, im))
	case im.t.d != b.d:
		b.Fail(fmt.Errorf("%s: %v belongs to another device", op, im))
	}
	return b.err == nil
}

// imageConsts checks mul and add and returns image.wgsl's and to_image.wgsl's per-channel
// constants.
func (b *Batch) imageConsts(op string, mul, add [3]float64) ([]constant, bool) {
	var cs []constant
	for c := range 3 {
		for _, v := range []float64{mul[c], add[c]} {
			if math.IsNaN(v) || math.Abs(v) > math.MaxFloat32 {
				b.Fail(fmt.Errorf("%s: mul %v, add %v: want finite float32 values", op, mul, add))
				return nil, false
			}
		}
		cs = append(cs, cf(fmt.Sprintf("MUL%d", c), mul[c]), cf(fmt.Sprintf("ADD%d", c), add[c]))
	}
	return cs, true
}

// ImageToTensor converts images to a float tensor [N,3,H,W]: x[n,c,y,x] = byte·mul[c] +
// add[c] for c = R, G, B; alpha is dropped. mul 1/255, add 0 gives values in [0, 1].
func (b *Batch) ImageToTensor(im *Image, mul, add [3]float64) *Tensor {
	const op = "ImageToTensor"
	if !b.okImage(op, im) {
		return nil
	}
	cs, ok := b.imageConsts(op, mul, add)
	if !ok {
		return nil
	}
	y := b.newOutput(op, im.n, 3, im.h, im.w)
	if y == nil {
		return nil
	}
	b.launch1D("image.wgsl", "image_to_tensor", im.Pixels(), append(cs, ru("HW", im.h*im.w)), in(im.t), out(y))
	return y
}

// TensorToImage converts x [N,3,H,W] (R, G, B) or [N,1,H,W] (gray) to images: byte =
// clamp(round(x·mul[c] + add[c]), 0, 255) for each of R, G, B (gray: all from the one
// channel), halves up, NaN to 0; alpha 255.
func (b *Batch) TensorToImage(x *Tensor, mul, add [3]float64) *Image {
	if x != nil && len(x.shape) == 4 {
		return b.tensorToImage("TensorToImage", x, mul, add, x.shape[3])
	}
	return b.tensorToImage("TensorToImage", x, mul, add, 0)
}

// TensorToImageRows is TensorToImage into images of H rows of rowPixels pixels (rowPixels
// ≥ W): the columns from W on are 0 (transparent black), padding that lets the rows be
// copied into a texture or canvas (which needs rows of a multiple of 256 bytes, 64
// pixels) when W is not a multiple of 64.
func (b *Batch) TensorToImageRows(x *Tensor, mul, add [3]float64, rowPixels int) *Image {
	return b.tensorToImage("TensorToImageRows", x, mul, add, rowPixels)
}

func (b *Batch) tensorToImage(op string, x *Tensor, mul, add [3]float64, rowPixels int) *Image {
	if !b.ok(op, x) {
		return nil
	}
	if len(x.shape) != 4 || (x.shape[1] != 3 && x.shape[1] != 1) {
		b.Fail(fmt.Errorf("%s: input %v, want [N,3,H,W] or [N,1,H,W]", op, x.shape))
		return nil
	}
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	if rowPixels < w || rowPixels > MaxElements/(n*h) {
		b.Fail(fmt.Errorf("%s: %d pixels per row for images %d wide", op, rowPixels, w))
		return nil
	}
	cs, ok := b.imageConsts(op, mul, add)
	if !ok {
		return nil
	}
	t := b.newOutput(op, n, h, rowPixels)
	if t == nil {
		return nil
	}
	im := &Image{t: t, n: n, h: h, w: rowPixels}
	b.launch1D("to_image.wgsl", "tensor_to_image", im.Pixels(),
		append(cs, cu("C", c), ru("H", h), ru("W", w), ru("RW", rowPixels)), in(x), out(t))
	return im
}

// BlendToImage blends x and y [N,3,H,W], both on the 0..255 scale, into images of H rows
// of rowPixels pixels (rowPixels ≥ W): byte = round(lerp(x', y', t)), halves up, where x'
// and y' are x and y clamped to 0..255 (NaN to 0) and t is weight's one value, read when
// the batch runs, so that it can change between submits without recording again. Alpha
// is 255; the columns from W on are 0 (transparent black), padding that lets the rows be
// copied into a texture (which needs rows of a multiple of 256 bytes).
func (b *Batch) BlendToImage(x, y, weight *Tensor, rowPixels int) *Image {
	const op = "BlendToImage"
	if !b.ok(op, x, y, weight) {
		return nil
	}
	switch {
	case len(x.shape) != 4 || x.shape[1] != 3:
		b.Fail(fmt.Errorf("%s: input %v, want [N,3,H,W]", op, x.shape))
	case !slices.Equal(x.shape, y.shape):
		b.Fail(fmt.Errorf("%s: shapes %v and %v differ", op, x.shape, y.shape))
	case weight.Len() != 1:
		b.Fail(fmt.Errorf("%s: weight %v, want one value", op, weight.shape))
	case rowPixels < x.shape[3] || rowPixels > MaxElements/(x.shape[0]*x.shape[2]):
		b.Fail(fmt.Errorf("%s: %d pixels per row for images %d wide", op, rowPixels, x.shape[3]))
	}
	if b.err != nil {
		return nil
	}
	n, h, w := x.shape[0], x.shape[2], x.shape[3]
	t := b.newOutput(op, n, h, rowPixels)
	if t == nil {
		return nil
	}
	im := &Image{t: t, n: n, h: h, w: rowPixels}
	b.launch1D("blend.wgsl", "blend_to_image", im.Pixels(), []constant{ru("H", h), ru("W", w), ru("RW", rowPixels)},
		in(x), in(y), in(weight), out(t))
	return im
}
