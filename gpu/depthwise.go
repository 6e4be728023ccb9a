package gpu

import (
	"fmt"
	"slices"
)

// Depthwise convolution: PyTorch's Conv2d with groups = in_channels = out_channels (one
// filter per channel, depth multiplier 1), dilation 1 and zero padding, as MobileNet's
// depthwise layers. On the CPU kernel family forward and input gradient run
// depthwise_conv2d.wgsl, the weight gradient depthwise_conv2d_backward_weight.wgsl; on the
// GPU family depthwise_conv2d_pixel.wgsl and depthwise_conv2d_weight_grad_reduce.wgsl. The
// bias gradient is BiasBackward.

// depthwiseShape checks DepthwiseConv2D's input shape xs, weight shape ws [C, 1, kH, kW],
// bias and parameters and returns the output shape [N, C, OH, OW].
func depthwiseShape(op string, xs, ws []int, bias *Tensor, p Conv2DParams) ([]int, error) {
	if len(xs) != 4 {
		return nil, fmt.Errorf("%s: input has shape %v, want 4 dimensions [N, C, H, W]", op, xs)
	}
	if len(ws) != 4 {
		return nil, fmt.Errorf("%s: weight has shape %v, want 4 dimensions [C, 1, kH, kW]", op, ws)
	}
	for _, s := range [][]int{xs, ws} {
		if err := checkShape(s); err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
	}
	n, c, h, w := xs[0], xs[1], xs[2], xs[3]
	if ws[0] != c || ws[1] != 1 {
		return nil, fmt.Errorf("%s: weight has shape %v, want [%d, 1, kH, kW] for input %v", op, ws, c, xs)
	}
	if bias != nil && (len(bias.shape) != 1 || bias.shape[0] != c) {
		return nil, fmt.Errorf("%s: bias has shape %v, want [%d]", op, bias.shape, c)
	}
	if err := checkParam(op, "stride", p.Stride, 1); err != nil {
		return nil, err
	}
	if err := checkParam(op, "padding", p.Padding, 0); err != nil {
		return nil, err
	}
	if p.PadMode != PadZeros {
		return nil, fmt.Errorf("%s: padding mode %v is not supported, only zeros", op, p.PadMode)
	}
	kh, kw := ws[2], ws[3]
	oh, ow := windowOutSize(h, kh, p.Stride, p.Padding), windowOutSize(w, kw, p.Stride, p.Padding)
	if oh <= 0 || ow <= 0 {
		return nil, fmt.Errorf("%s: kernel %dx%d is larger than input %v with padding %d", op, kh, kw, xs, p.Padding)
	}
	out := []int{n, c, oh, ow}
	if err := checkShape(out); err != nil {
		return nil, fmt.Errorf("%s: output: %w", op, err)
	}
	return out, nil
}

// depthwiseStripWidth is how many neighbouring pixels of a row one invocation computes:
// 8 (for the input gradient a multiple of the stride, which its strips need), fewer for
// narrow rows, 1 for strides over 4, where neighbouring windows share little input. On
// lavapipe 8 took about a third less CPU time than 4 at MobileNetV2's 56×56 layers
// (BenchmarkOps/Depthwise*), and 16 more: its registers spill.
func depthwiseStripWidth(stride, width int, multipleOfStride bool) int {
	switch {
	case stride > 4:
		return 1
	case multipleOfStride:
		return stride * ((8 + stride - 1) / stride)
	}
	return min(8, width)
}

// floorDiv is a/b rounded down, for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// DepthwiseConv2D is PyTorch's Conv2d(C, C, (kH, kW), groups=C) with zero padding: x
// [N, C, H, W], w [C, 1, kH, kW], plus bias [C] unless bias is nil, giving [N, C, OH, OW]
// with OH = floor((H + 2·padding - kH)/stride) + 1. Other padding modes are refused.
func (b *Batch) DepthwiseConv2D(x, w, bias *Tensor, p Conv2DParams) *Tensor {
	const op = "DepthwiseConv2D"
	if !b.okWithBias(op, x, w, bias) {
		return nil
	}
	shape, err := depthwiseShape(op, x.shape, w.shape, bias, p)
	if err != nil {
		b.Fail(err)
		return nil
	}
	y := b.newOutput(op, shape...)
	if y == nil {
		return nil
	}
	if b.d.gpuKernels() {
		b.depthwisePixel("depthwise_conv2d_pixel", x, w, bias, y, p)
		return y
	}
	kw := w.shape[3]
	tx := depthwiseStripWidth(p.Stride, shape[3], false)
	b.depthwiseLaunch("depthwise_conv2d", x, w, bias, y, tx, (tx-1)*p.Stride+kw, p.Stride, p.Padding, p.Padding, 0)
	return y
}

// depthwiseLaunch records an entry of depthwise_conv2d.wgsl reading src and writing dst,
// TX = tx pixels per invocation.
func (b *Batch) depthwiseLaunch(entry string, src, w, bias, dst *Tensor, tx, seg, stride, padY, padX, lo int) {
	sx := (dst.shape[3] + tx - 1) / tx
	b.launch1D("depthwise_conv2d.wgsl", entry, dst.shape[0]*dst.shape[1]*dst.shape[2]*sx, []constant{
		cu("C", src.shape[1]), cu("KH", w.shape[2]), cu("KW", w.shape[3]), cu("TX", tx), cu("SX", sx), cu("SEG", seg),
		cu("SH", src.shape[2]), cu("SW", src.shape[3]), cu("DH", dst.shape[2]), cu("DW", dst.shape[3]),
		ci("STRIDE", stride), ci("PAD_Y", padY), ci("PAD_X", padX), ci("LO", lo), cb("HAS_BIAS", bias != nil),
	}, in(src), in(w), in(biasOr(bias, w)), out(dst))
}

// depthwisePixel records an entry of the GPU family's depthwise_conv2d_pixel.wgsl reading
// src and writing dst, one invocation per pixel of dst in workgroups of 256. Sizes and
// channel counts are runtime constants, so a new image or batch size reuses the pipeline;
// the kernel size and stride stay baked, for the loops over the taps to unroll.
func (b *Batch) depthwisePixel(entry string, src, w, bias, dst *Tensor, p Conv2DParams) {
	b.launch1DSize("depthwise_conv2d_pixel.wgsl", entry, dst.Len(), 256, []constant{
		ru("C", src.shape[1]), ru("SH", src.shape[2]), ru("SW", src.shape[3]), ru("DH", dst.shape[2]), ru("DW", dst.shape[3]),
		ri("PAD", p.Padding), cu("KH", w.shape[2]), cu("KW", w.shape[3]), ci("STRIDE", p.Stride), cb("HAS_BIAS", bias != nil),
	}, in(src), in(w), in(biasOr(bias, w)), out(dst))
}

// checkDepthwiseGrad checks that dys is the shape of DepthwiseConv2D's output for input
// shape xs, weight shape ws and p.
func checkDepthwiseGrad(op string, xs, ws, dys []int, p Conv2DParams) error {
	want, err := depthwiseShape(op, xs, ws, nil, p)
	if err != nil {
		return err
	}
	if !slices.Equal(dys, want) {
		return fmt.Errorf("%s: output gradient has shape %v, want %v for input %v, weight %v, stride %d, padding %d",
			op, dys, want, xs, ws, p.Stride, p.Padding)
	}
	return nil
}

// DepthwiseConv2DBackwardInput is the gradient with respect to x (shape xShape
// [N, C, H, W]) of y = DepthwiseConv2D(x, w, bias, p), for dy [N, C, OH, OW]: each input
// pixel gathers dy·w from the windows that read it; pixels no window reads (stride 2 on
// odd sizes) get 0.
func (b *Batch) DepthwiseConv2DBackwardInput(dy, w *Tensor, xShape []int, p Conv2DParams) *Tensor {
	const op = "DepthwiseConv2DBackwardInput"
	if !b.ok(op, dy, w) {
		return nil
	}
	if err := checkDepthwiseGrad(op, xShape, w.shape, dy.shape, p); err != nil {
		b.Fail(err)
		return nil
	}
	dx := b.newOutput(op, xShape...)
	if dx == nil {
		return nil
	}
	if b.d.gpuKernels() {
		b.depthwisePixel("depthwise_conv2d_backward_input_pixel", dy, w, nil, dx, p)
		return dx
	}
	s, pad, kw := p.Stride, p.Padding, w.shape[3]
	if tx := depthwiseStripWidth(s, xShape[3], true); tx > 1 {
		lo, hi := floorDiv(pad-kw+1, s), floorDiv(tx-1+pad, s)
		b.depthwiseLaunch("depthwise_conv2d_backward_input", dy, w, nil, dx, tx, hi-lo+1, s, pad, pad, lo)
	} else {
		b.depthwiseLaunch("depthwise_conv2d_backward_input_pixel", dy, w, nil, dx, 1, 1, s, pad, pad, 0)
	}
	return dx
}

// DepthwiseConv2DBackwardWeight is the gradient with respect to w (shape wShape
// [C, 1, kH, kW]) of y = DepthwiseConv2D(x, w, bias, p), for input x and dy
// [N, C, OH, OW]. The bias gradient is BiasBackward(dy).
func (b *Batch) DepthwiseConv2DBackwardWeight(x, dy *Tensor, wShape []int, p Conv2DParams) *Tensor {
	const op = "DepthwiseConv2DBackwardWeight"
	if !b.ok(op, x, dy) {
		return nil
	}
	if err := checkDepthwiseGrad(op, x.shape, wShape, dy.shape, p); err != nil {
		b.Fail(err)
		return nil
	}
	if b.d.gpuKernels() {
		return b.depthwiseWeightGradReduce(op, x, dy, wShape, p)
	}
	dw := b.newOutput(op, wShape...)
	if dw == nil {
		return nil
	}
	n, c, ih, iw := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	kh, kw, oh, ow := wShape[2], wShape[3], dy.shape[2], dy.shape[3]
	tx := depthwiseStripWidth(p.Stride, ow, false)
	sx := (ow + tx - 1) / tx
	gx := min(c, 65535)
	gy := (c + gx - 1) / gx
	b.launch("depthwise_conv2d_backward_weight.wgsl", "depthwise_conv2d_backward_weight", []constant{
		cu("GRID_X", gx*64), cu("GROUPS_X", gx), cu("BATCH", n), cu("C", c), cu("KH", kh), cu("KW", kw),
		cu("OH", oh), cu("OW", ow), cu("IH", ih), cu("IW", iw), cu("TX", tx), cu("SX", sx),
		cu("SEG", (tx-1)*p.Stride+kw), cu("KCH", min(kh*kw, 16)), ci("STRIDE", p.Stride), ci("PAD", p.Padding),
	}, [3]uint32{uint32(gx), uint32(gy), 1}, in(x), in(dy), out(dw))
	return dw
}

// The GPU family's depthwise weight gradient (depthwise_conv2d_weight_grad_reduce.wgsl)
// sums each channel's taps four at a time over the output pixels in workgroups of 64,
// the sum split so that there are about depthwiseGradGroups workgroups when channels are
// few (as many invocations as the convolution weight gradient's weightGradGroups of 256,
// a few per core of a large GPU), each split taking at least depthwiseGradMinPixels
// pixels (4 per invocation).
const (
	depthwiseGradGroups    = 8192
	depthwiseGradMinPixels = 256
)

// depthwiseGradSplits is how depthwise_conv2d_weight_grad_reduce.wgsl splits its sum over
// pixels output pixels for c channels of taps taps: splits parts of pps pixels each (the
// last one fewer).
func depthwiseGradSplits(c, taps, pixels int) (splits, pps int) {
	units := c * ((taps + 3) / 4)
	splits = max(1, min((depthwiseGradGroups+units-1)/units, pixels/depthwiseGradMinPixels))
	pps = (pixels + splits - 1) / splits
	return (pixels + pps - 1) / pps, pps
}

// depthwiseWeightGradReduce is DepthwiseConv2DBackwardWeight on the GPU family's kernel.
// Every size is a runtime constant (only the kernel size is baked): a new image size,
// batch size, channel count, stride or padding compiles nothing new. With one split the
// kernel writes dw; with more it writes parts [splits, kH·kW, C], which sum_weight_grad
// (the convolution weight gradient's, for a weight [1, C, kH, kW] in its terms) adds
// into dw.
func (b *Batch) depthwiseWeightGradReduce(op string, x, dy *Tensor, wShape []int, p Conv2DParams) *Tensor {
	n, c, ih, iw := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	kh, kw, oh, ow := wShape[2], wShape[3], dy.shape[2], dy.shape[3]
	taps := kh * kw
	splits, pps := depthwiseGradSplits(c, taps, n*oh*ow)
	groups := c * ((taps + 3) / 4) * splits
	gx, gy := groupGrid(groups)
	if gy > 65535 {
		b.Fail(fmt.Errorf("%s: input %v, kernel %d×%d need more than 65535² workgroups", op, x.shape, kh, kw))
		return nil
	}
	dw := b.newOutput(op, wShape...)
	if dw == nil {
		return nil
	}
	dst, partZ, partTap, partC := dw, 0, 1, taps
	if splits > 1 {
		if dst = b.newOutput(op, splits*taps*c); dst == nil {
			dw.Release()
			return nil
		}
		partZ, partTap, partC = taps*c, c, 1
	}
	b.launch("depthwise_conv2d_weight_grad_reduce.wgsl", "depthwise_weight_grad", []constant{
		ru("GRID_X", gx*64), ru("GROUPS", groups), ru("SPLITS", splits), ru("PPS", pps), ru("PIXELS", n*oh*ow),
		ru("C", c), ru("OH", oh), ru("OW", ow), ru("PART_Z", partZ), ru("PART_TAP", partTap), ru("PART_C", partC),
		ri("IH", ih), ri("IW", iw), ri("STRIDE", p.Stride), ri("PAD", p.Padding), cu("KH", kh), cu("KW", kw),
	}, [3]uint32{uint32(gx), uint32(gy), 1}, in(x), in(dy), out(dst))
	if splits > 1 {
		b.sumWeightGrad(weightGradPack{
			n: n, cin: c, ih: ih, iw: iw, cout: 1, oh: oh, ow: ow, kh: kh, kw: kw,
			stride: p.Stride, pad: p.Padding, mode: PadZeros, cip: c, cop: 1, splits: splits, runtime: true,
		}, dst, dw)
	}
	return dw
}
