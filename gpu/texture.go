package gpu

import (
	"fmt"
	"math"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"
)

// Texture is an RGBA8 image in a GPU texture, the form in which the browser hands over a
// camera frame or a picture without a copy through the CPU (see CopyFrom in the browser
// build). Kernels read it with textureLoad; TextureToTensor turns it into a tensor.
type Texture struct {
	d    *Device
	tex  *wgpu.Texture
	view *wgpu.TextureView
	w, h int
	web  webTexture // the browser's GPUTexture, for copies gogpu does not offer
}

// NewTexture allocates an uninitialised w×h RGBA8 texture that kernels can read and that
// can be written with Write or, in the browser, CopyFrom.
func (d *Device) NewTexture(w, h int) (*Texture, error) {
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide {
		return nil, fmt.Errorf("gpu: texture %d×%d: want sides in 1..%d", w, h, maxSide)
	}
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	t := &Texture{d: d, w: w, h: h}
	var err error
	// RenderAttachment is required of a copyExternalImageToTexture destination.
	t.tex, t.web, err = d.createTexture(&wgpu.TextureDescriptor{Label: "frame",
		Size: wgpu.Extent3D{Width: uint32(w), Height: uint32(h), DepthOrArrayLayers: 1}, MipLevelCount: 1, SampleCount: 1,
		Dimension: gputypes.TextureDimension2D, Format: gputypes.TextureFormatRGBA8Unorm,
		Usage: gputypes.TextureUsageTextureBinding | gputypes.TextureUsageCopyDst | gputypes.TextureUsageRenderAttachment})
	if err != nil {
		return nil, fmt.Errorf("gpu: create texture %d×%d: %w", w, h, err)
	}
	t.view, err = d.dev.CreateTextureView(t.tex, &wgpu.TextureViewDescriptor{Label: "frame",
		Format: gputypes.TextureFormatRGBA8Unorm, Dimension: gputypes.TextureViewDimension2D,
		Aspect: gputypes.TextureAspectAll, MipLevelCount: 1, ArrayLayerCount: 1})
	if err != nil {
		t.tex.Release()
		return nil, fmt.Errorf("gpu: view of texture %d×%d: %w", w, h, err)
	}
	return t, nil
}

// W is the width in pixels.
func (t *Texture) W() int { return t.w }

// H is the height in pixels.
func (t *Texture) H() int { return t.h }

func (t *Texture) String() string { return fmt.Sprintf("Texture[%d×%d]", t.w, t.h) }

// Write uploads rgba, 4 bytes per pixel (R, G, B, A), rows top to bottom. The upload is
// ordered before any later Submit.
func (t *Texture) Write(rgba []byte) error {
	if t.tex == nil {
		return fmt.Errorf("gpu: write to released %v", t)
	}
	if len(rgba) != 4*t.w*t.h {
		return fmt.Errorf("gpu: write of %d bytes into %v (%d bytes)", len(rgba), t, 4*t.w*t.h)
	}
	return t.d.queue.WriteTexture(&wgpu.ImageCopyTexture{Texture: t.tex, Aspect: gputypes.TextureAspectAll}, rgba,
		&wgpu.ImageDataLayout{BytesPerRow: uint32(4 * t.w), RowsPerImage: uint32(t.h)},
		&wgpu.Extent3D{Width: uint32(t.w), Height: uint32(t.h), DepthOrArrayLayers: 1})
}

// Release frees the texture. Batches that read it must be released first.
func (t *Texture) Release() {
	if t == nil || t.tex == nil {
		return
	}
	t.view.Release()
	t.tex.Release()
	t.tex, t.view = nil, nil
}

// maxSide bounds texture and resampled sizes: WebGPU's default maxTextureDimension2D,
// granted everywhere, and small enough that TextureToTensor's positions fit in 31 bits.
const maxSide = 8192

// maxResampleTaps bounds the sub-samples per axis of TextureToTensor: enough to average a
// 1920-pixel frame down to 240 without skipping pixels.
const maxResampleTaps = 8

// TextureToTensor resamples the texture to h×w and returns it as a tensor [1,3,h,w]:
// x[c] = byte_c·mul[c] + add[c] for c = R, G, B, alpha dropped, where byte_c is the
// colour resampled on the 0..255 scale. Each output pixel averages k_y×k_x bilinear
// samples spread evenly over its footprint in the texture, k = ⌈texture size / output
// size⌉ per axis (at most 8): with k = 1 this is PyTorch's bilinear interpolation with
// align_corners=False, and at equal sizes the texture's values exactly.
func (b *Batch) TextureToTensor(t *Texture, h, w int, mul, add [3]float64) *Tensor {
	const op = "TextureToTensor"
	if b.err != nil {
		return nil
	}
	switch {
	case t == nil:
		b.Fail(fmt.Errorf("%s: texture is nil", op))
		return nil
	case t.tex == nil:
		b.Fail(fmt.Errorf("%s: %v was released", op, t))
		return nil
	case t.d != b.d:
		b.Fail(fmt.Errorf("%s: %v belongs to another device", op, t))
		return nil
	case h <= 0 || w <= 0 || h > maxSide || w > maxSide:
		b.Fail(fmt.Errorf("%s: output %d×%d", op, h, w))
		return nil
	}
	cs, ok := b.imageConsts(op, mul, add)
	if !ok {
		return nil
	}
	y := b.newOutput(op, 1, 3, h, w)
	if y == nil {
		return nil
	}
	ky, kx := resampleTaps(t.h, h), resampleTaps(t.w, w)
	cs = append(cs, ru("H", h), ru("W", w), ru("SH", t.h), ru("SW", t.w), ru("KY", ky), ru("KX", kx))
	b.launch1D("texture.wgsl", "texture_to_tensor", h*w, cs, binding{tex: t, kind: bindTexture}, out(y))
	return y
}

// resampleTaps is the number of sub-samples per output pixel along an axis of src pixels
// resampled to dst.
func resampleTaps(src, dst int) int {
	return max(1, min(maxResampleTaps, int(math.Ceil(float64(src)/float64(dst)))))
}
