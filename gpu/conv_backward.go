package gpu

import (
	"fmt"
	"slices"
)

// Backward passes of the convolution family: given dy, the gradient of a loss with respect
// to an op's output, each returns the gradient with respect to one of the op's inputs.
// Input gradients are convolutions themselves (the adjoint of a convolution is a
// transposed convolution and the other way round), so they run on the forward kernels,
// tuned ones included; weight gradients have kernels of their own
// (conv2d_backward_weight.wgsl, and conv2d_weight_grad_igemm.wgsl in the GPU family).

// shapeOnly stands for a tensor of the given shape in the forward ops' shape checks, which
// read nothing else.
func shapeOnly(shape []int) *Tensor { return &Tensor{shape: shape} }

// checkGradShapes refuses shapes that are not 4D or not valid tensor shapes; names[i]
// names shapes[i] in the message.
func checkGradShapes(op string, names []string, shapes ...[]int) error {
	for i, s := range shapes {
		if len(s) != 4 {
			return fmt.Errorf("%s: %s has shape %v, want 4 dimensions", op, names[i], s)
		}
		if err := checkShape(s); err != nil {
			return fmt.Errorf("%s: %s: %w", op, names[i], err)
		}
	}
	return nil
}

// checkConv2DGrad checks that dy [N, Co, OH, OW] is the shape of Conv2D's output for input
// xs, weight ws [Co, Ci, kH, kW] and p.
func checkConv2DGrad(op string, xs, ws, dys []int, p Conv2DParams) error {
	if err := checkGradShapes(op, []string{"input", "weight", "output gradient"}, xs, ws, dys); err != nil {
		return err
	}
	want, err := conv2DShape(xs, shapeOnly(ws), nil, p)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if !slices.Equal(dys, want) {
		return fmt.Errorf("%s: output gradient has shape %v, want %v for input %v, weight %v, stride %d, padding %d",
			op, dys, want, xs, ws, p.Stride, p.Padding)
	}
	return nil
}

// checkConvTranspose2DGrad checks that dy [N, Co, OH, OW] is the shape of ConvTranspose2D's
// output for input xs, weight ws [Ci, Co, kH, kW] and p.
func checkConvTranspose2DGrad(op string, xs, ws, dys []int, p ConvTranspose2DParams) error {
	if err := checkGradShapes(op, []string{"input", "weight", "output gradient"}, xs, ws, dys); err != nil {
		return err
	}
	want, err := convTranspose2DShape(shapeOnly(xs), shapeOnly(ws), nil, p)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if !slices.Equal(dys, want) {
		return fmt.Errorf("%s: output gradient has shape %v, want %v for input %v, weight %v, stride %d, padding %d, output padding %d",
			op, dys, want, xs, ws, p.Stride, p.Padding, p.OutputPadding)
	}
	return nil
}

// Conv2DBackwardInput is the gradient with respect to x [N, Ci, H, W] (shape xShape) of
// y = Conv2D(x, w, bias, p), for dy [N, Co, OH, OW]. With zero padding it is the
// transposed convolution of dy by w, cropped by the padding, with the output padding that
// restores H and W; input pixels that no window reads (stride 2 on odd sizes) get 0. With
// reflect padding the windows also read the padding, which mirrors input pixels near the
// border, and those pixels also take the gradient of the padded pixels that mirror them.
// At stride 1 that is the gradient of the padded input (the uncropped transposed
// convolution, on a tuned kernel) folded (reflect_fold); at other strides the gradient with
// zero padding plus, near the border, the gradients of the padded pixels worked out one
// by one (reflect_border), which at stride 1 would cost more than the convolution.
func (b *Batch) Conv2DBackwardInput(dy, w *Tensor, xShape []int, p Conv2DParams) *Tensor {
	const op = "Conv2DBackwardInput"
	if !b.ok(op, dy, w) {
		return nil
	}
	if err := checkConv2DGrad(op, xShape, w.shape, dy.shape, p); err != nil {
		b.Fail(err)
		return nil
	}
	n, cin, h, wd, pad := xShape[0], xShape[1], xShape[2], xShape[3], p.Padding
	switch {
	case p.PadMode != PadReflect:
		return b.conv2DBackwardInputZeros(op, dy, w, xShape, p.Stride, pad)
	case p.Stride == 1 && w.shape[2] == w.shape[3]:
		g := b.conv2DBackwardInputZeros(op, dy, w, []int{n, cin, h + 2*pad, wd + 2*pad}, 1, 0)
		if g == nil {
			return nil
		}
		dx := b.newOutput(op, xShape...)
		if dx == nil {
			g.Release()
			return nil
		}
		b.launch1D("conv2d_backward.wgsl", "reflect_fold", dx.Len(), gradConsts(dy, w, xShape, p.Stride, pad),
			in(g), out(dx))
		b.Reuse(g)
		return dx
	}
	dx := b.conv2DBackwardInputZeros(op, dy, w, xShape, p.Stride, pad)
	if dx == nil {
		return nil
	}
	_, _, band := reflectBand(h, wd, pad)
	b.launch1D("conv2d_backward.wgsl", "reflect_border", n*cin*band, gradConsts(dy, w, xShape, p.Stride, pad),
		in(dy), out(dx), in(w))
	return dx
}

// conv2DBackwardInputZeros is Conv2DBackwardInput with zero padding pad and stride s, the
// transposed convolution. At stride 1 with a square kernel it runs as Conv2D of dy with
// the kernels turned by 180° and padding k-1-pad, so on Conv2D's tuned kernels. A 3×3
// kernel at stride 2 and padding 1 on even sizes (TransformerNet's downsampling layers)
// is a 4×4 one with a zero last row and column: ConvTranspose2D's tuned kernel for
// DCGAN's layers takes it. Other cases run ConvTranspose2D as is.
func (b *Batch) conv2DBackwardInputZeros(op string, dy, w *Tensor, xShape []int, s, pad int) *Tensor {
	cout, cin, kh, kw := w.shape[0], w.shape[1], w.shape[2], w.shape[3]
	h, wd := xShape[2], xShape[3]
	w4 := []int{cout, cin, 4, 4}
	switch {
	case s == 1 && kh == kw && kh-1 >= pad:
		flipped := b.newOutput(op, cin, cout, kh, kw)
		if flipped == nil {
			return nil
		}
		b.launch1D("conv2d_backward.wgsl", "flip_weight", flipped.Len(), gradConsts(dy, w, xShape, s, pad),
			in(w), out(flipped))
		return b.then(flipped, b.Conv2D(dy, flipped, nil, Conv2DParams{Stride: 1, Padding: kh - 1 - pad}))
	case s == 2 && kh == 3 && kw == 3 && pad == 1 && h%2 == 0 && wd%2 == 0 &&
		convTranspose2x.quadsFor(dy, shapeOnly(w4), Conv2DParams{Stride: 1, Padding: 1}) > 0:
		padded := b.newOutput(op, w4...)
		if padded == nil {
			return nil
		}
		b.launch1D("conv2d_backward.wgsl", "pad_weight", padded.Len(), gradConsts(dy, w, xShape, s, pad),
			in(w), out(padded))
		return b.then(padded, b.ConvTranspose2D(dy, padded, nil, ConvTranspose2DParams{Stride: 2, Padding: 1}))
	}
	return b.convTransposeTo(op, dy, w, s, pad, h, wd)
}

// gradConsts are conv2d_backward.wgsl's constants for Conv2D's input gradient.
func gradConsts(dy, w *Tensor, xShape []int, s, pad int) []constant {
	return append(bandConsts(xShape[2], xShape[3], pad),
		cu("CO", w.shape[0]), cu("CI", w.shape[1]), cu("KH", w.shape[2]), cu("KW", w.shape[3]),
		cu("OH", dy.shape[2]), cu("OW", dy.shape[3]), cu("CIP", w.shape[1]), cu("COP", w.shape[0]), cu("SPLITS", 1),
		ci("IH", xShape[2]), ci("IW", xShape[3]), ci("STRIDE", s), ci("PAD", pad))
}

// reflectBand is the band of an h×w input that reflect padding pad mirrors: its first and
// last pad+1 rows (rb in all, fewer on small inputs where they meet), the first and last
// pad+1 columns (cb) of the other rows, band pixels in all.
func reflectBand(h, w, pad int) (rb, cb, band int) {
	rb, cb = min(h, 2*pad+2), min(w, 2*pad+2)
	return rb, cb, rb*w + (h-rb)*cb
}

// bandConsts are the band's constants of conv2d_backward.wgsl.
func bandConsts(h, w, pad int) []constant {
	rb, cb, band := reflectBand(h, w, pad)
	return []constant{cu("BAND", band), ci("RB", rb), ci("CB", cb)}
}

// convTransposeTo is the transposed convolution of x by w [Ci, Co, kH, kW] at stride s
// and padding pad, to an output of oh×ow: ConvTranspose2D where both dimensions take the
// same output padding, else its generic kernel, which reads the output size as given. The
// GPU family's kernel reads it as given too.
func (b *Batch) convTransposeTo(op string, x, w *Tensor, s, pad, oh, ow int) *Tensor {
	if b.d.gpuKernels() {
		shape := []int{x.shape[0], w.shape[1], oh, ow}
		return b.convIGEMM(op, x, w, nil, shape, igemmConv{stride: s, pad: pad, transposed: true})
	}
	opH := oh - ((x.shape[2]-1)*s - 2*pad + w.shape[2])
	opW := ow - ((x.shape[3]-1)*s - 2*pad + w.shape[3])
	if opH == opW {
		return b.ConvTranspose2D(x, w, nil, ConvTranspose2DParams{Stride: s, Padding: pad, OutputPadding: opH})
	}
	y := b.newOutput(op, x.shape[0], w.shape[1], oh, ow)
	if y == nil {
		return nil
	}
	b.launch1D("conv_transpose2d.wgsl", "conv_transpose2d", y.Len(), []constant{
		cu("BATCH", x.shape[0]), cu("CI", x.shape[1]), cu("CO", w.shape[1]),
		ci("IH", x.shape[2]), ci("IW", x.shape[3]), cu("KH", w.shape[2]), cu("KW", w.shape[3]),
		cu("OH", oh), cu("OW", ow), ci("STRIDE", s), ci("PAD", pad), cb("HAS_BIAS", false),
	}, in(x), in(w), in(w), out(y))
	return y
}

// Conv2DBackwardWeight is the gradient with respect to w (shape wShape [Co, Ci, kH, kW])
// of y = Conv2D(x, w, bias, p), for input x and dy [N, Co, OH, OW].
func (b *Batch) Conv2DBackwardWeight(x, dy *Tensor, wShape []int, p Conv2DParams) *Tensor {
	const op = "Conv2DBackwardWeight"
	if !b.ok(op, x, dy) {
		return nil
	}
	if err := checkConv2DGrad(op, x.shape, wShape, dy.shape, p); err != nil {
		b.Fail(err)
		return nil
	}
	return b.convWeightGrad(op, x, dy, wShape[2], wShape[3], p.Stride, p.Padding, p.PadMode)
}

// ConvTranspose2DBackwardInput is the gradient with respect to x [N, Ci, H, W] (shape
// xShape) of y = ConvTranspose2D(x, w, bias, p), for w [Ci, Co, kH, kW] and dy
// [N, Co, OH, OW]: the convolution of dy by w read as a convolution weight (Ci outputs, Co
// inputs) with p's stride and zero padding. Output padding only adds output pixels the
// convolution's windows do not reach, so the result has x's size.
func (b *Batch) ConvTranspose2DBackwardInput(dy, w *Tensor, xShape []int, p ConvTranspose2DParams) *Tensor {
	const op = "ConvTranspose2DBackwardInput"
	if !b.ok(op, dy, w) {
		return nil
	}
	if err := checkConvTranspose2DGrad(op, xShape, w.shape, dy.shape, p); err != nil {
		b.Fail(err)
		return nil
	}
	return b.Conv2D(dy, w, nil, Conv2DParams{Stride: p.Stride, Padding: p.Padding})
}

// ConvTranspose2DBackwardWeight is the gradient with respect to w (shape wShape
// [Ci, Co, kH, kW]) of y = ConvTranspose2D(x, w, bias, p), for input x and dy
// [N, Co, OH, OW]: Conv2D's weight gradient with the roles swapped, dy as the input of a
// convolution (zero padding) and x as its output's gradient.
func (b *Batch) ConvTranspose2DBackwardWeight(x, dy *Tensor, wShape []int, p ConvTranspose2DParams) *Tensor {
	const op = "ConvTranspose2DBackwardWeight"
	if !b.ok(op, x, dy) {
		return nil
	}
	if err := checkConvTranspose2DGrad(op, x.shape, wShape, dy.shape, p); err != nil {
		b.Fail(err)
		return nil
	}
	return b.convWeightGrad(op, dy, x, wShape[2], wShape[3], p.Stride, p.Padding, PadZeros)
}

// weightGradInvocations is about how many invocations the weight gradient's main kernel
// should have: when its tiles are fewer, their rows are split, each part summed apart and
// the parts added. weightGradMinSteps is the fewest steps (output pixels) one part takes.
const (
	weightGradInvocations = 4096
	weightGradMinSteps    = 256
)

// convWeightGrad records dw [Co, Ci, kh, kw] with dw[o, i, ky, kx] = Σ over n, oy, ox of
// g[n, o, oy, ox] · input[n, i, oy·stride + ky - pad, ox·stride + kx - pad] (input padded
// as mode says) for input [N, Ci, H, W] and g [N, Co, OH, OW]: both are packed channels
// last (the input padded), a kernel sums the products in parts (runs of output pixels),
// and sum_weight_grad adds the parts in dw's layout. The CPU family sums them by register
// tiles (conv2d_backward_weight.wgsl), the GPU family as one matrix product per tap
// (conv2d_weight_grad_igemm.wgsl).
func (b *Batch) convWeightGrad(op string, input, g *Tensor, kh, kw, stride, pad int, mode PadMode) *Tensor {
	if b.d.gpuKernels() {
		return b.convWeightGradIGEMM(op, input, g, kh, kw, stride, pad, mode)
	}
	t := pickWeightGradTile(g.shape[1], input.shape[1], kw, stride)
	return b.convWeightGradTile(op, t, input, g, kh, kw, stride, pad, mode)
}

// weightGradPack is the layout of a weight gradient's operands packed channels last and of
// its parts [splits, kh·kw, cip, cop].
type weightGradPack struct {
	n, cin, ih, iw   int // the input
	cout, oh, ow     int // the output gradient
	kh, kw           int
	stride, pad      int
	mode             PadMode
	cip, cop, splits int // channels padded, parts
	// runtime makes the sizes runtime constants of the packing and summing kernels (the
	// GPU family's: one pipeline for every size); the CPU family bakes them.
	runtime bool
}

func newWeightGradPack(input, g *Tensor, kh, kw, stride, pad int, mode PadMode) weightGradPack {
	return weightGradPack{
		n: input.shape[0], cin: input.shape[1], ih: input.shape[2], iw: input.shape[3],
		cout: g.shape[1], oh: g.shape[2], ow: g.shape[3],
		kh: kh, kw: kw, stride: stride, pad: pad, mode: mode,
	}
}

// padded is the padded input's height and width.
func (p weightGradPack) padded() (ph, pw int) { return p.ih + 2*p.pad, p.iw + 2*p.pad }

// consts returns the constructors of p's u32 and i32 constants: runtime or baked.
func (p weightGradPack) consts() (u, i func(string, int) constant) {
	if p.runtime {
		return ru, ri
	}
	return cu, ci
}

// packWeightGrad checks the packed shapes and records dw and the packing of input (xp
// [N, PH, PW, cip]) and g (gp [N, OH, OW, cop]) into new tensors, with parts allocated.
// On failure it returns nil for all, the batch failed.
func (b *Batch) packWeightGrad(op string, p weightGradPack, input, g *Tensor) (dw, xp, gp, parts *Tensor) {
	ph, pw := p.padded()
	for _, s := range [][]int{{p.n, ph, pw, p.cip}, {p.n, p.oh, p.ow, p.cop}, {p.splits, p.kh * p.kw, p.cip, p.cop}} {
		if err := checkShape(s); err != nil {
			b.Fail(fmt.Errorf("%s: input %v, output gradient %v: packed operand: %w", op, input.shape, g.shape, err))
			return nil, nil, nil, nil
		}
	}
	dw = b.newOutput(op, p.cout, p.cin, p.kh, p.kw)
	xp = b.newOutput(op, p.n*ph*pw*p.cip)
	gp = b.newOutput(op, p.n*p.oh*p.ow*p.cop)
	parts = b.newOutput(op, p.splits*p.kh*p.kw*p.cip*p.cop)
	if parts == nil {
		for _, t := range []*Tensor{dw, xp, gp} {
			t.Release()
		}
		return nil, nil, nil, nil
	}
	u, i := p.consts()
	pack := func(c, cp, h, w, padding int, m PadMode) []constant {
		return []constant{u("C", c), u("CP", cp), i("IH", h), i("IW", w), u("PH", h+2*padding),
			u("PW", w+2*padding), i("PAD", padding), cu("PAD_MODE", int(m))}
	}
	b.launch1D("conv2d_backward_pack.wgsl", "pack_channels_last", xp.Len()/4, pack(p.cin, p.cip, p.ih, p.iw, p.pad, p.mode),
		in(input), out(xp))
	b.launch1D("conv2d_backward_pack.wgsl", "pack_channels_last", gp.Len()/4, pack(p.cout, p.cop, p.oh, p.ow, 0, PadZeros),
		in(g), out(gp))
	return dw, xp, gp, parts
}

// sumWeightGrad records sum_weight_grad, which adds the parts into dw, and gives parts
// back to the pool.
func (b *Batch) sumWeightGrad(p weightGradPack, parts, dw *Tensor) {
	u, i := p.consts()
	rb, cb, band := reflectBand(p.ih, p.iw, p.pad)
	b.launch1D("conv2d_backward.wgsl", "sum_weight_grad", dw.Len(), []constant{
		u("BAND", band), i("RB", rb), i("CB", cb),
		u("CO", p.cout), u("CI", p.cin), u("KH", p.kh), u("KW", p.kw), u("OH", p.oh), u("OW", p.ow), u("CIP", p.cip),
		u("COP", p.cop), u("SPLITS", p.splits), i("IH", p.ih), i("IW", p.iw), i("STRIDE", p.stride), i("PAD", p.pad),
	}, in(parts), out(dw))
	b.Reuse(parts)
}

// convWeightGradTile is convWeightGrad on the CPU family's kernel with register tile t.
func (b *Batch) convWeightGradTile(op string, t weightGradTile, input, g *Tensor, kh, kw, stride, pad int, mode PadMode) *Tensor {
	p := newWeightGradPack(input, g, kh, kw, stride, pad, mode)
	p.cop, p.cip = ceilTo(p.cout, 4*t.cq), ceilTo(p.cin, 4*t.iq)
	gco, gci, gkx := p.cop/(4*t.cq), p.cip/(4*t.iq), kw/t.tk
	tiles, rows := gco*gci*gkx*kh, p.n*p.oh
	splits := min((weightGradInvocations+tiles-1)/tiles, rows, max(1, rows*p.ow/weightGradMinSteps))
	rps := (rows + splits - 1) / splits
	p.splits = (rows + rps - 1) / rps
	dw, xp, gp, parts := b.packWeightGrad(op, p, input, g)
	if parts == nil {
		return nil
	}
	ph, pw := p.padded()
	newPixels := min(stride, t.tk)
	b.launch1D("conv2d_backward_weight.wgsl", "weight_grad", tiles*p.splits, []constant{
		cu("GCO", gco), cu("GCI", gci), cu("GKX", gkx), cu("CQ", t.cq), cu("IQ", t.iq), cu("TK", t.tk),
		cu("NEW", newPixels), cu("KEEP", t.tk-newPixels), cu("COP4", p.cop/4),
		cu("CIP4", p.cip/4), cu("KH", kh), cu("KW", kw), cu("OH", p.oh), cu("OW", p.ow), cu("PH", ph), cu("PW", pw),
		cu("STRIDE", stride), cu("ROWS", rows), cu("RPS", rps),
	}, in(xp), in(gp), out(parts))
	b.Reuse(xp)
	b.Reuse(gp)
	b.sumWeightGrad(p, parts, dw)
	return dw
}

// The GPU family's weight gradient (conv2d_weight_grad_igemm.wgsl): weightGradTileChannels
// input × output channels per workgroup; the sum over output pixels is split so that
// there are about weightGradGroups workgroups (a few per multiprocessor of a large GPU),
// each split taking at least weightGradMinPixels pixels. The parts then hold about
// weightGradGroups·64·64 floats (32 MiB) at most, or the weight's size when it is larger.
const (
	weightGradTileChannels = 64
	weightGradGroups       = 2048
	weightGradMinPixels    = 512
)

// weightGradSplits is how conv2d_weight_grad_igemm.wgsl splits its sum over the output
// pixels (pixels of them) for taps taps and cip × cop channels (padded to 4): splits parts
// of pps pixels each (the last one fewer), pps whole steps of 16 pixels.
func weightGradSplits(taps, cip, cop, pixels int) (splits, pps int) {
	tiles := taps * (ceilTo(cip, weightGradTileChannels) / weightGradTileChannels) *
		(ceilTo(cop, weightGradTileChannels) / weightGradTileChannels)
	splits = min((weightGradGroups+tiles-1)/tiles, max(1, pixels/weightGradMinPixels))
	pps = ceilTo((pixels+splits-1)/splits, 16)
	return (pixels + pps - 1) / pps, pps
}

// convWeightGradIGEMM is convWeightGrad on the GPU family's kernel. Channels are padded to
// multiples of 4 only (the kernel checks its tiles' bounds), and every size is a runtime
// constant: training at a new image size, batch size or layer width compiles nothing new.
func (b *Batch) convWeightGradIGEMM(op string, input, g *Tensor, kh, kw, stride, pad int, mode PadMode) *Tensor {
	p := newWeightGradPack(input, g, kh, kw, stride, pad, mode)
	p.runtime = true
	p.cip, p.cop = ceilTo(p.cin, 4), ceilTo(p.cout, 4)
	taps, pixels := kh*kw, p.n*p.oh*p.ow
	gx := ceilTo(p.cip, weightGradTileChannels) / weightGradTileChannels
	gy := ceilTo(p.cop, weightGradTileChannels) / weightGradTileChannels
	var pps int
	p.splits, pps = weightGradSplits(taps, p.cip, p.cop, pixels)
	if gx > 65535 || gy > 65535 || taps*p.splits > 65535 {
		b.Fail(fmt.Errorf("%s: input %v, output gradient %v, kernel %d×%d need more than 65535 workgroups in one dimension",
			op, input.shape, g.shape, kh, kw))
		return nil
	}
	dw, xp, gp, parts := b.packWeightGrad(op, p, input, g)
	if parts == nil {
		return nil
	}
	ph, pw := p.padded()
	b.launch("conv2d_weight_grad_igemm.wgsl", "weight_grad_igemm", []constant{
		ru("GRID_X", gx), ru("OH", p.oh), ru("OW", p.ow), ru("PH", ph), ru("PW", pw), ru("STRIDE", stride),
		ru("KW", kw), ru("TAPS", taps), ru("CIP4", p.cip/4), ru("COP4", p.cop/4), ru("PIXELS", pixels), ru("PPS", pps),
	}, [3]uint32{uint32(gx), uint32(gy), uint32(taps * p.splits)}, in(xp), in(gp), out(parts))
	b.Reuse(xp)
	b.Reuse(gp)
	b.sumWeightGrad(p, parts, dw)
	return dw
}

// weightGradTile is the register tile of conv2d_backward_weight.wgsl: cq output and iq
// input channel quads × tk taps of a kernel row.
type weightGradTile struct{ cq, iq, tk int }

// weightGradMaxTile bounds cq·iq·tk, a sixteenth of the tile's accumulators: larger tiles
// did not run faster on lavapipe (BenchmarkConvBackward). weightGradLoadG and
// weightGradLoadX are the costs of a vec4 load of the output gradient and of the input,
// in vec4 FMAs, as measured there: a step of the tile loads cq of the first and
// iq·min(stride, tk) of the second for 4·cq·iq·tk vec4 FMAs.
const (
	weightGradMaxTile = 16
	weightGradLoadG   = 20
	weightGradLoadX   = 40
)

// pickWeightGradTile picks the tile of the least estimated cost, the cost of a step times
// the tiles (channels padded to the tile's multiple included).
func pickWeightGradTile(cout, cin, kw, stride int) weightGradTile {
	best, bestCost := weightGradTile{1, 1, 1}, 0
	for _, cq := range []int{1, 2, 4, 8} {
		for _, iq := range []int{1, 2, 4, 8} {
			for tk := 1; tk <= kw; tk++ {
				if kw%tk != 0 || cq*iq*tk > weightGradMaxTile {
					continue
				}
				tiles := ceilTo(cout, 4*cq) / (4 * cq) * (ceilTo(cin, 4*iq) / (4 * iq)) * (kw / tk)
				step := cq*weightGradLoadG + iq*min(stride, tk)*weightGradLoadX + 4*cq*iq*tk
				if cost := tiles * step; bestCost == 0 || cost < bestCost {
					best, bestCost = weightGradTile{cq, iq, tk}, cost
				}
			}
		}
	}
	return best
}

func ceilTo(v, m int) int { return (v + m - 1) / m * m }

// BiasBackward is the gradient with respect to bias [C] of any op that adds bias[c] to
// channel c of its output, for dy [N, C, ...]: the sum of dy over every dimension but 1.
func (b *Batch) BiasBackward(dy *Tensor) *Tensor {
	const op = "BiasBackward"
	if !b.ok(op, dy) {
		return nil
	}
	if len(dy.shape) < 2 {
		b.Fail(fmt.Errorf("%s: output gradient has shape %v, want at least 2 dimensions [N, C, ...]", op, dy.shape))
		return nil
	}
	c := dy.shape[1]
	db := b.newOutput(op, c)
	if db == nil {
		return nil
	}
	gx := min(c, 65535)
	gy := (c + gx - 1) / gx
	b.launch("bias_backward.wgsl", "bias_grad", []constant{
		cu("GRID_X", gx*64), cu("GROUPS_X", gx), cu("BATCH", dy.shape[0]), cu("C", c), cu("INNER", dy.Len()/(dy.shape[0]*c)),
	}, [3]uint32{uint32(gx), uint32(gy), 1}, in(dy), out(db))
	return db
}

// UpsampleNearestBackward is the gradient with respect to x of y = UpsampleNearest(x,
// scale), for dy [N, C, H·scale, W·scale]: each input pixel sums its scale×scale block.
func (b *Batch) UpsampleNearestBackward(dy *Tensor, scale int) *Tensor {
	const op = "UpsampleNearestBackward"
	if !b.ok(op, dy) {
		return nil
	}
	if err := checkRank(op, "output gradient", dy, 4); err != nil {
		b.Fail(err)
		return nil
	}
	if err := checkParam(op, "scale", scale, 1); err != nil {
		b.Fail(err)
		return nil
	}
	oh, ow := dy.shape[2], dy.shape[3]
	if oh%scale != 0 || ow%scale != 0 {
		b.Fail(fmt.Errorf("%s: output gradient %v: height and width are not multiples of scale %d", op, dy.shape, scale))
		return nil
	}
	h, w := oh/scale, ow/scale
	dx := b.newOutput(op, dy.shape[0], dy.shape[1], h, w)
	if dx == nil {
		return nil
	}
	b.launch1D("upsample.wgsl", "upsample_nearest_backward", dx.Len(), []constant{
		cu("IH", h), cu("IW", w), cu("OH", oh), cu("OW", ow), cu("SCALE", scale),
	}, in(dy), out(dx))
	return dx
}
