package gpu

import "fmt"

// PadMode says what a convolution reads outside its input.
type PadMode int

const (
	PadZeros   PadMode = iota // zeros, PyTorch padding_mode='zeros'
	PadReflect                // mirror without repeating the edge, PyTorch ReflectionPad2d
)

func (m PadMode) String() string {
	switch m {
	case PadZeros:
		return "zeros"
	case PadReflect:
		return "reflect"
	}
	return fmt.Sprintf("PadMode(%d)", int(m))
}

// Conv2DParams are a convolution's stride, padding on every side and padding mode.
type Conv2DParams struct {
	Stride, Padding int
	PadMode         PadMode
}

// ConvTranspose2DParams are a transposed convolution's stride, padding (removed from every
// side of the full output) and output padding (added to the bottom and right).
type ConvTranspose2DParams struct {
	Stride, Padding, OutputPadding int
}

// maxParam bounds strides, paddings and scale factors: far beyond any real layer, and small
// enough that every index a kernel computes fits in an i32.
const maxParam = 1 << 24

// checkParam refuses a parameter outside [lo, maxParam].
func checkParam(op, name string, v, lo int) error {
	if v < lo || v > maxParam {
		return fmt.Errorf("%s: %s %d is out of range [%d, %d]", op, name, v, lo, maxParam)
	}
	return nil
}

// checkRank refuses a tensor that is not of rank n; what names it in the message.
func checkRank(op, what string, t *Tensor, n int) error {
	if len(t.shape) != n {
		return fmt.Errorf("%s: %s has shape %v, want %d dimensions", op, what, t.shape, n)
	}
	return nil
}

// windowOutSize is the number of positions a window of size k takes over an input of size
// n padded by pad on both sides with the given stride: floor((n + 2·pad - k)/stride) + 1, as
// PyTorch computes it for convolution and pooling with ceil_mode=False. It returns 0 when the
// window does not fit once.
func windowOutSize(n, k, stride, pad int) int {
	if n+2*pad < k {
		return 0
	}
	return (n+2*pad-k)/stride + 1
}

// conv2DShape checks Conv2D's inputs and parameters for an input of shape xs and returns
// the output shape [N, Co, OH, OW]; tuned Conv2D kernels share these checks through it.
func conv2DShape(xs []int, w, bias *Tensor, p Conv2DParams) ([]int, error) {
	const op = "Conv2D"
	if len(xs) != 4 {
		return nil, fmt.Errorf("%s: input has shape %v, want 4 dimensions", op, xs)
	}
	if err := checkRank(op, "weight", w, 4); err != nil {
		return nil, err
	}
	n, ci, h, wd := xs[0], xs[1], xs[2], xs[3]
	co, wci, kh, kw := w.shape[0], w.shape[1], w.shape[2], w.shape[3]
	if wci != ci {
		return nil, fmt.Errorf("%s: weight %v (Co, Ci, kH, kW) has %d input channels, input %v has %d", op, w.shape, wci, xs, ci)
	}
	if bias != nil && (len(bias.shape) != 1 || bias.shape[0] != co) {
		return nil, fmt.Errorf("%s: bias has shape %v, want [%d] for weight %v", op, bias.shape, co, w.shape)
	}
	if err := checkParam(op, "stride", p.Stride, 1); err != nil {
		return nil, err
	}
	if err := checkParam(op, "padding", p.Padding, 0); err != nil {
		return nil, err
	}
	switch p.PadMode {
	case PadZeros:
	case PadReflect:
		if p.Padding >= h || p.Padding >= wd {
			return nil, fmt.Errorf("%s: reflect padding %d must be smaller than the input's height and width, input is %v", op, p.Padding, xs)
		}
	default:
		return nil, fmt.Errorf("%s: unknown padding mode %v", op, p.PadMode)
	}
	oh, ow := windowOutSize(h, kh, p.Stride, p.Padding), windowOutSize(wd, kw, p.Stride, p.Padding)
	if oh <= 0 || ow <= 0 {
		return nil, fmt.Errorf("%s: kernel %dx%d is larger than input %v with padding %d", op, kh, kw, xs, p.Padding)
	}
	return []int{n, co, oh, ow}, nil
}

// Conv2D is PyTorch's Conv2d (groups 1, dilation 1): x [N, Ci, H, W] convolved with
// w [Co, Ci, kH, kW], plus bias [Co] unless bias is nil, giving [N, Co, OH, OW] with
// OH = floor((H + 2·padding - kH)/stride) + 1.
func (b *Batch) Conv2D(x, w, bias *Tensor, p Conv2DParams) *Tensor {
	return b.conv2D(x, w, bias, p, nil)
}

// conv2D is Conv2D, reading the weights pc prepared when pc is not nil.
func (b *Batch) conv2D(x, w, bias *Tensor, p Conv2DParams, pc *PackedConv) *Tensor {
	const op = "Conv2D"
	if !b.okWithBias(op, x, w, bias) {
		return nil
	}
	if err := checkRank(op, "input", x, 4); err != nil {
		b.Fail(err)
		return nil
	}
	shape, err := conv2DShape(x.shape, w, bias, p)
	if err != nil {
		b.Fail(err)
		return nil
	}
	if b.d.gpuKernels() {
		return b.convIGEMM(op, x, w, bias, shape, igemmConv{stride: p.Stride, pad: p.Padding, mode: p.PadMode, up: 1})
	}
	if k, quads := conv2DFast(x, w, p); quads > 0 {
		return b.conv2DTiled(k, quads, x, w, bias, p, shape, pc)
	}
	return b.conv2DGeneric(x, w, bias, p, shape)
}

// conv2DGeneric records the generic kernel, one invocation per output element; shape is
// the output shape conv2DShape returned.
func (b *Batch) conv2DGeneric(x, w, bias *Tensor, p Conv2DParams, shape []int) *Tensor {
	y := b.newOutput("Conv2D", shape...)
	if y == nil {
		return nil
	}
	b.launch1D("conv2d.wgsl", "conv2d", y.Len(), []constant{
		ru("BATCH", x.shape[0]), cu("CI", x.shape[1]), cu("CO", w.shape[0]),
		ri("IH", x.shape[2]), ri("IW", x.shape[3]), cu("KH", w.shape[2]), cu("KW", w.shape[3]),
		ru("OH", shape[2]), ru("OW", shape[3]), ci("STRIDE", p.Stride), ci("PAD", p.Padding),
		cu("PAD_MODE", int(p.PadMode)), cb("HAS_BIAS", bias != nil),
	}, in(x), in(w), in(biasOr(bias, w)), out(y))
	return y
}

// okWithBias is ok for an op whose optional bias is the third input.
func (b *Batch) okWithBias(op string, x, w, bias *Tensor) bool {
	if bias == nil {
		return b.ok(op, x, w)
	}
	return b.ok(op, x, w, bias)
}

// biasOr stands in for a missing bias: a kernel declares the binding either way, and its
// HAS_BIAS constant keeps it from reading the stand-in.
func biasOr(bias, standIn *Tensor) *Tensor {
	if bias != nil {
		return bias
	}
	return standIn
}

// convTranspose2DShape checks ConvTranspose2D's inputs and parameters and returns the
// output shape [N, Co, OH, OW].
func convTranspose2DShape(x, w, bias *Tensor, p ConvTranspose2DParams) ([]int, error) {
	const op = "ConvTranspose2D"
	if err := checkRank(op, "input", x, 4); err != nil {
		return nil, err
	}
	if err := checkRank(op, "weight", w, 4); err != nil {
		return nil, err
	}
	n, ci, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	wci, co, kh, kw := w.shape[0], w.shape[1], w.shape[2], w.shape[3]
	if wci != ci {
		return nil, fmt.Errorf("%s: weight %v (Ci, Co, kH, kW) has %d input channels, input %v has %d", op, w.shape, wci, x.shape, ci)
	}
	if bias != nil && (len(bias.shape) != 1 || bias.shape[0] != co) {
		return nil, fmt.Errorf("%s: bias has shape %v, want [%d] for weight %v", op, bias.shape, co, w.shape)
	}
	if err := checkParam(op, "stride", p.Stride, 1); err != nil {
		return nil, err
	}
	if err := checkParam(op, "padding", p.Padding, 0); err != nil {
		return nil, err
	}
	if err := checkParam(op, "output padding", p.OutputPadding, 0); err != nil {
		return nil, err
	}
	if p.OutputPadding >= p.Stride {
		return nil, fmt.Errorf("%s: output padding %d must be smaller than stride %d", op, p.OutputPadding, p.Stride)
	}
	// Every factor is below 2^28 here, so these products fit in an int.
	oh := (h-1)*p.Stride - 2*p.Padding + kh + p.OutputPadding
	ow := (wd-1)*p.Stride - 2*p.Padding + kw + p.OutputPadding
	if oh <= 0 || ow <= 0 {
		return nil, fmt.Errorf("%s: output size %dx%d ≤ 0 for input %v, weight %v, stride %d, padding %d, output padding %d",
			op, oh, ow, x.shape, w.shape, p.Stride, p.Padding, p.OutputPadding)
	}
	return []int{n, co, oh, ow}, nil
}

// ConvTranspose2D is PyTorch's ConvTranspose2d (groups 1, dilation 1): x [N, Ci, H, W] with
// w [Ci, Co, kH, kW], plus bias [Co] unless bias is nil, giving [N, Co, OH, OW] with
// OH = (H-1)·stride - 2·padding + kH + output_padding. A 4×4 kernel at stride 2 and
// padding 1 (DCGAN's generator) on an input whose width is a multiple of 4 runs as four
// 2×2 convolutions, one per output phase, in one tuned kernel (conv2d_up2_c8x8x8.wgsl);
// a 1×1 input without padding or bias (DCGAN's first layer) as a matrix product; other
// shapes take the generic kernel.
func (b *Batch) ConvTranspose2D(x, w, bias *Tensor, p ConvTranspose2DParams) *Tensor {
	return b.convTranspose2D(x, w, bias, p, nil)
}

// convTranspose2D is ConvTranspose2D, reading the weights pc prepared when pc is not nil.
func (b *Batch) convTranspose2D(x, w, bias *Tensor, p ConvTranspose2DParams, pc *PackedConv) *Tensor {
	const op = "ConvTranspose2D"
	if !b.okWithBias(op, x, w, bias) {
		return nil
	}
	shape, err := convTranspose2DShape(x, w, bias, p)
	if err != nil {
		b.Fail(err)
		return nil
	}
	if n, ci, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]; h == 1 && wd == 1 && p.Padding == 0 && p.OutputPadding == 0 && bias == nil {
		// One input pixel (DCGAN's latent): each output pixel is one tap of the kernel, and
		// the whole op the matrix product x [N, Ci] @ w [Ci, Co·kH·kW].
		co, kh, kw := w.shape[1], w.shape[2], w.shape[3]
		s := matmulShape{batch: 1, m: n, n: co * kh * kw, k: ci, alpha: 1}
		return b.matmul(op, s, x, w, nil, shape...)
	}
	if b.d.gpuKernels() {
		return b.convIGEMM(op, x, w, bias, shape, igemmConv{stride: p.Stride, pad: p.Padding, transposed: true})
	}
	if p.Stride == 2 && p.Padding == 1 && p.OutputPadding == 0 {
		// The kernel's own view: 2×2 convolutions of the input with zero padding 1.
		phases := Conv2DParams{Stride: 1, Padding: 1, PadMode: PadZeros}
		if quads := convTranspose2x.quadsFor(x, w, phases); quads > 0 {
			return b.conv2DTiled(convTranspose2x, quads, x, w, bias, phases, shape, pc)
		}
	}
	y := b.newOutput(op, shape...)
	if y == nil {
		return nil
	}
	b.launch1D("conv_transpose2d.wgsl", "conv_transpose2d", y.Len(), []constant{
		ru("BATCH", x.shape[0]), cu("CI", x.shape[1]), cu("CO", w.shape[1]),
		ri("IH", x.shape[2]), ri("IW", x.shape[3]), cu("KH", w.shape[2]), cu("KW", w.shape[3]),
		ru("OH", shape[2]), ru("OW", shape[3]), ci("STRIDE", p.Stride), ci("PAD", p.Padding),
		cb("HAS_BIAS", bias != nil),
	}, in(x), in(w), in(biasOr(bias, w)), out(y))
	return y
}

// UpsampleNearest is PyTorch's nn.Upsample(scale_factor=scale, mode='nearest') for an
// integer scale: x [N, C, H, W] to [N, C, H·scale, W·scale], each pixel repeated.
func (b *Batch) UpsampleNearest(x *Tensor, scale int) *Tensor {
	const op = "UpsampleNearest"
	if !b.ok(op, x) {
		return nil
	}
	if err := checkRank(op, "input", x, 4); err != nil {
		b.Fail(err)
		return nil
	}
	if err := checkParam(op, "scale", scale, 1); err != nil {
		b.Fail(err)
		return nil
	}
	h, w := x.shape[2], x.shape[3]
	y := b.newOutput(op, x.shape[0], x.shape[1], h*scale, w*scale)
	if y == nil {
		return nil
	}
	b.launch1D("upsample.wgsl", "upsample_nearest", y.Len(), []constant{
		ru("IH", h), ru("IW", w), ru("OH", h*scale), ru("OW", w*scale), cu("SCALE", scale),
	}, in(x), out(y))
	return y
}

// UpsampleConv2D is Conv2D(UpsampleNearest(x, scale), w, bias, p), fast_neural_style's
// UpsampleConvLayer. At scale 2 with a 3×3 kernel, stride 1 and padding 1 on an input
// whose width is a multiple of 4 it reads x itself (conv2d_up2_c8x8x8.wgsl: 4 taps per
// output pixel instead of 9, no upsampled tensor); otherwise it records the two ops.
func (b *Batch) UpsampleConv2D(x, w, bias *Tensor, scale int, p Conv2DParams) *Tensor {
	return b.upsampleConv2D(x, w, bias, scale, p, nil)
}

// upsampleConv2D is UpsampleConv2D, reading the weights pc prepared when pc is not nil.
func (b *Batch) upsampleConv2D(x, w, bias *Tensor, scale int, p Conv2DParams, pc *PackedConv) *Tensor {
	const op = "UpsampleConv2D"
	if !b.okWithBias(op, x, w, bias) {
		return nil
	}
	if err := checkRank(op, "input", x, 4); err != nil {
		b.Fail(err)
		return nil
	}
	if err := checkParam(op, "scale", scale, 1); err != nil {
		b.Fail(err)
		return nil
	}
	up := []int{x.shape[0], x.shape[1], x.shape[2] * scale, x.shape[3] * scale}
	if err := checkShape(up); err != nil {
		b.Fail(fmt.Errorf("%s: upsampled input: %w", op, err))
		return nil
	}
	shape, err := conv2DShape(up, w, bias, p)
	if err != nil {
		b.Fail(fmt.Errorf("%s: %w", op, err))
		return nil
	}
	if b.d.gpuKernels() {
		return b.convIGEMM(op, x, w, bias, shape, igemmConv{stride: p.Stride, pad: p.Padding, mode: p.PadMode, up: scale})
	}
	if scale == 2 {
		if quads := convUp2.quadsFor(x, w, p); quads > 0 {
			return b.conv2DTiled(convUp2, quads, x, w, bias, p, shape, pc)
		}
	}
	u := b.UpsampleNearest(x, scale)
	if u == nil {
		return nil
	}
	return b.then(u, b.conv2D(u, w, bias, p, pc))
}
