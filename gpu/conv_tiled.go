package gpu

import "fmt"

// convTiled is one register-tiled Conv2D kernel (shaders/conv2d_*.wgsl, named by what it
// computes and its register tile: c16x4x8 is 16 output channels × 4 rows × 8 columns of
// output pixels per invocation), tuned for CPU drivers such as lavapipe. Each invocation
// computes 4·quads output channels × tileH×tileW pixels. Weights and bias are repacked on
// the GPU, in the same batch, into uniform windows of 4·cov channels, cov = min(quads, 2)
// unless the kernel fixes it (see conv2d_repack.wgsl), and the kernel is dispatched once
// per 4·quads channels, binding quads/cov windows. dev/conv2d holds the kernels' history
// as numbered variants and the ones no selection rule picks any more.
type convTiled struct {
	file, entry  string
	quads        []int // channel quads per invocation the kernel takes, most first
	uniforms     int   // uniform windows the shader declares; spare ones repeat the last
	tileH, tileW int
	wg           int     // workgroup size
	storageW     bool    // weights bound as storage windows instead of uniform ones
	vec4X        bool    // the input is bound a second time, as array<vec4<f32>>
	scalarX      bool    // the input is not bound as array<f32>
	cov          int     // channel quads per window, when not min(quads, 2)
	taps         tapMode // how the weights become the kernel's taps
	chunked      bool    // takes the input channels in chunks when one window cannot hold them (CI0, CIN, ACC)
	// fits reports whether the kernel handles input [N, Ci, H, W], weight
	// [Co, Ci, kH, kW] and p.
	fits func(x, w []int, p Conv2DParams) bool
}

func is3x3s1(x, w []int, p Conv2DParams) bool { return w[2] == 3 && w[3] == 3 && p.Stride == 1 }

// is3x3s1p1w4 is a 3×3 stride-1 convolution with padding 1 on an input whose width is a
// multiple of 4, so that every input row starts on a vec4.
func is3x3s1p1w4(x, w []int, p Conv2DParams) bool {
	return is3x3s1(x, w, p) && p.Padding == 1 && x[3]%4 == 0
}

// tapMode is how conv2d_repack.wgsl makes a tiled kernel's taps from the weights (its
// TAP_MODE).
type tapMode int

const (
	tapsConv      tapMode = iota // w [Co, Ci, kH, kW] as is
	tapsUp2                      // 16 taps of a 3×3 convolution of the input upsampled ×2
	tapsTranspose                // 16 taps of a 4×4 transposed convolution, stride 2, padding 1: w [Ci, Co, 4, 4]
)

// The tuned Conv2D kernels (docs/PERFORMANCE.md has what each reaches, dev/conv2d how they
// came about).
var (
	// conv3x3C8x4x4: 3×3, stride 1, up to 8 output channels (variant 2).
	conv3x3C8x4x4 = convTiled{file: "conv2d_3x3_c8x4x4.wgsl", entry: "conv2d_3x3_c8x4x4", quads: []int{2}, uniforms: 1,
		tileH: 4, tileW: 4, wg: 32, fits: is3x3s1}
	// conv3x3Or9x9C8x4x4: 3×3 at stride 1 or 2 and 9×9 at stride 1, kernel rows in a
	// loop: the tiled fallback (variant 4).
	conv3x3Or9x9C8x4x4 = convTiled{file: "conv2d_3x3_9x9_c8x4x4.wgsl", entry: "conv2d_3x3_9x9_c8x4x4", quads: []int{2, 1},
		uniforms: 1, tileH: 4, tileW: 4, wg: 32,
		fits: func(x, w []int, p Conv2DParams) bool {
			return w[2] == 3 && w[3] == 3 && p.Stride <= 2 || w[2] == 9 && w[3] == 9 && p.Stride == 1
		}}
	// conv3x3C16x4x4: 3×3, stride 1, any padding and width, input channels in chunks
	// (variant 5).
	conv3x3C16x4x4 = convTiled{file: "conv2d_3x3_c16x4x4.wgsl", entry: "conv2d_3x3_c16x4x4", quads: []int{4}, uniforms: 2,
		tileH: 4, tileW: 4, wg: 32, chunked: true, fits: is3x3s1}
	// conv3x3C16x4x8: 3×3, stride 1, padding 1, width a multiple of 4: TransformerNet's
	// residual blocks and VGG's convolutions, input channels in chunks (variant 7).
	conv3x3C16x4x8 = convTiled{file: "conv2d_3x3_c16x4x8.wgsl", entry: "conv2d_3x3_c16x4x8", quads: []int{4}, uniforms: 2,
		tileH: 4, tileW: 8, wg: 16, vec4X: true, chunked: true, fits: is3x3s1p1w4}
	// conv9x9C16x4x8: 9×9, stride 1, padding 4, width a multiple of 4 (variant 9).
	conv9x9C16x4x8 = convTiled{file: "conv2d_9x9_c16x4x8.wgsl", entry: "conv2d_9x9_c16x4x8", quads: []int{4, 2, 1},
		uniforms: 2, tileH: 4, tileW: 8, wg: 16, vec4X: true, scalarX: true,
		fits: func(x, w []int, p Conv2DParams) bool {
			return w[2] == 9 && w[3] == 9 && p.Stride == 1 && p.Padding == 4 && x[3]%4 == 0 && x[3] >= 8
		}}
	// conv3x3s2C16x4x8: 3×3, stride 2, padding 1, width a multiple of 4 (variant 10).
	conv3x3s2C16x4x8 = convTiled{file: "conv2d_3x3s2_c16x4x8.wgsl", entry: "conv2d_3x3s2_c16x4x8", quads: []int{4},
		uniforms: 2, tileH: 4, tileW: 8, wg: 16, vec4X: true,
		fits: func(x, w []int, p Conv2DParams) bool {
			return w[2] == 3 && w[3] == 3 && p.Stride == 2 && p.Padding == 1 && x[3]%4 == 0
		}}
	// conv9x9C4x4x16: 9×9, stride 1, padding 4, at most 4 output channels (variant 12).
	conv9x9C4x4x16 = convTiled{file: "conv2d_9x9_c4x4x16.wgsl", entry: "conv2d_9x9_c4x4x16", quads: []int{1}, uniforms: 1,
		tileH: 4, tileW: 16, wg: 16, vec4X: true, scalarX: true, cov: 1,
		fits: func(x, w []int, p Conv2DParams) bool {
			return w[0] <= 4 && w[2] == 9 && w[3] == 9 && p.Stride == 1 && p.Padding == 4 && x[3]%4 == 0 && x[3] >= 8
		}}
	// conv4x4s2C16x4x8: 4×4, stride 2, padding 1, width a multiple of 4: the DCGAN
	// discriminator (variant 14).
	conv4x4s2C16x4x8 = convTiled{file: "conv2d_4x4s2_c16x4x8.wgsl", entry: "conv2d_4x4s2_c16x4x8", quads: []int{4},
		uniforms: 4, tileH: 4, tileW: 8, wg: 16, vec4X: true, cov: 1, chunked: true,
		fits: func(x, w []int, p Conv2DParams) bool {
			return w[2] == 4 && w[3] == 4 && p.Stride == 2 && p.Padding == 1 && x[3]%4 == 0
		}}
)

// convUp2 is the tuned kernel of UpsampleConv2D at scale 2 (x is the input before
// upsampling): 3×3, stride 1, padding 1, input width a multiple of 4, read at low
// resolution as four 2×2 convolutions, one per output phase (variant 13).
var convUp2 = convTiled{file: "conv2d_up2_c8x8x8.wgsl", entry: "conv2d_up2_c8x8x8", quads: []int{2}, uniforms: 2,
	tileH: 8, tileW: 8, wg: 16, vec4X: true, cov: 1, taps: tapsUp2, chunked: true, fits: isUp2Conv}

// convTranspose2x is the tuned kernel of ConvTranspose2D with a 4×4 kernel, stride 2 and
// padding 1 (DCGAN's generator) on an input whose width is a multiple of 4: each of its
// four output phases is a 2×2 convolution of the input, as in UpsampleConv2D, so
// UpsampleConv2D's kernel runs it on the phases' taps (conv2d_repack.wgsl, TAP_MODE 2)
// with zero padding.
var convTranspose2x = convTiled{file: convUp2.file, entry: convUp2.entry, quads: []int{2}, uniforms: 2, tileH: 8, tileW: 8,
	wg: 16, vec4X: true, cov: 1, taps: tapsTranspose, chunked: true,
	fits: func(x, w []int, _ Conv2DParams) bool { return w[2] == 4 && w[3] == 4 && x[3]%4 == 0 }}

func isUp2Conv(x, w []int, p Conv2DParams) bool {
	return w[2] == 3 && w[3] == 3 && p.Stride == 1 && p.Padding == 1 && x[3]%4 == 0
}

// convFastOrder lists the kernels Conv2D tries, fastest first (BenchmarkConv2D,
// docs/PERFORMANCE.md): those of 16 channels per invocation for layers with more than 8
// output channels, convFastOrderNarrow for the others.
var (
	convFastOrder       = []convTiled{conv3x3C16x4x8, conv3x3s2C16x4x8, conv4x4s2C16x4x8, conv3x3C16x4x4, conv9x9C16x4x8, conv3x3Or9x9C8x4x4}
	convFastOrderNarrow = []convTiled{conv3x3C8x4x4, conv9x9C4x4x16, conv9x9C16x4x8, conv3x3Or9x9C8x4x4}
)

// conv2DFast picks the tuned kernel for a convolution; quads 0 means none handles it and
// the generic kernel runs.
func conv2DFast(x, w *Tensor, p Conv2DParams) (k convTiled, quads int) {
	order := convFastOrder
	if w.shape[0] <= 8 {
		order = convFastOrderNarrow
	}
	for _, k = range order {
		if quads = k.quadsFor(x, w, p); quads > 0 {
			return k, quads
		}
	}
	return convTiled{}, 0
}

// windowVec4 is the length in vec4 of one uniform window of 4·cov channels and taps taps
// per input channel: weights, bias and a header (see conv2d_repack.wgsl).
func windowVec4(cov, ci, taps int) int { return ci*taps*cov + cov + 1 }

// covFor is the channel quads per uniform window when the kernel takes quads per invocation.
func (k convTiled) covFor(quads int) int {
	if k.cov > 0 {
		return k.cov
	}
	return min(quads, 2)
}

// tapsPerChannel is the number of weight taps per input channel in k's windows.
func (k convTiled) tapsPerChannel(w []int) int {
	if k.taps != tapsConv {
		return 16
	}
	return w[2] * w[3]
}

// outChannels is the number of output channels of weight w.
func (k convTiled) outChannels(w []int) int {
	if k.taps == tapsTranspose {
		return w[1]
	}
	return w[0]
}

// quadsFor picks the channel quads per invocation for this convolution: the most the kernel
// takes that the output channels fill and whose window fits (a window of one input
// channel, for kernels that split the input channels into chunks). 0 means the kernel
// does not handle the convolution.
func (k convTiled) quadsFor(x, w *Tensor, p Conv2DParams) int {
	if !k.fits(x.shape, w.shape, p) {
		return 0
	}
	co, ci := k.outChannels(w.shape), x.shape[1]
	if k.chunked {
		ci = 1
	}
	for i, q := range k.quads {
		last := i == len(k.quads)-1
		if (4*q <= (co+3)/4*4 || last) && windowVec4(k.covFor(q), ci, k.tapsPerChannel(w.shape))*16 <= MaxUniformWindow {
			return q
		}
	}
	return 0
}

// inputChunks is the size of the chunks cin input channels split into so that a window of
// cov quads and taps taps per channel fits in limit bytes: all of them when they fit,
// else as few equal chunks as the channels divide into (one pipeline for all), else the
// most that fit (the last chunk is smaller).
func inputChunks(cin, cov, taps int, limit uint64) int {
	most := (int(limit)/16 - cov - 1) / (taps * cov)
	if most >= cin {
		return cin
	}
	count := (cin + most - 1) / most
	for c := count; c <= 2*count; c++ {
		if cin%c == 0 {
			return cin / c
		}
	}
	return most
}

// packLayout is the layout of a convolution's repacked weights (conv2d_repack.wgsl): the
// tap mode, channel quads per window, input channels per chunk, windows and the window
// stride in floats. Kernels that share it read the same repacked weights.
type packLayout struct {
	taps                    tapMode
	cov, chunk, groups, gsf int
	tapsPerChannel, co, cin int
}

// layout is the packLayout of k with quads channel quads per invocation for input
// channels cin and weight w on a device whose uniform windows hold maxUniform bytes.
func (k convTiled) layout(quads, cin int, w []int, maxUniform uint64) (packLayout, error) {
	l := packLayout{taps: k.taps, cov: k.covFor(quads), tapsPerChannel: k.tapsPerChannel(w), co: k.outChannels(w), cin: cin}
	l.groups = (l.co + 4*l.cov - 1) / (4 * l.cov) // windows of 4·cov channels
	l.chunk = cin
	if k.chunked {
		l.chunk = inputChunks(cin, l.cov, l.tapsPerChannel, maxUniform)
	}
	if wv := windowVec4(l.cov, l.chunk, l.tapsPerChannel); wv*16 > int(maxUniform) || l.chunk < 1 {
		return l, fmt.Errorf("%s needs a %d-byte uniform window, the device allows %d", k.file, wv*16, maxUniform)
	}
	l.gsf = (windowVec4(l.cov, l.chunk, l.tapsPerChannel)*4 + 63) / 64 * 64 // a multiple of 256 bytes
	return l, nil
}

// chunks is the number of chunks the input channels split into.
func (l packLayout) chunks() int { return (l.cin + l.chunk - 1) / l.chunk }

// repack records conv2d_repack.wgsl writing the windows of chunk c (input channels
// c·chunk on) of w and bias into packed, groups·gsf floats.
func (b *Batch) repack(l packLayout, c int, w, bias, packed *Tensor) {
	c0 := c * l.chunk
	cn := min(l.chunk, l.cin-c0)
	b.launch1D("conv2d_repack.wgsl", "repack", l.groups*l.gsf, []constant{
		cu("CI", l.cin), cu("CI0", c0), cu("CIN", cn), cu("CO", l.co), cu("KH", w.shape[2]), cu("KW", w.shape[3]),
		cu("TAPS", l.tapsPerChannel), cu("TAP_MODE", int(l.taps)), cu("COV", l.cov), cu("WN", cn*l.tapsPerChannel*l.cov),
		cu("GSF", l.gsf), cb("HAS_BIAS", bias != nil),
	}, in(w), in(biasOr(bias, w)), out(packed))
}

// conv2DTiled records the grouped dispatches of k with quads channel quads per
// invocation; shape is the output shape conv2DShape returned. A kernel that takes chunks
// of the input channels gets one round of dispatches per chunk. Without pc each chunk's
// weights are repacked in the batch before its dispatches; with pc the kernel reads the
// weights pc prepared once (pc's w and bias are w and bias).
func (b *Batch) conv2DTiled(k convTiled, quads int, x, w, bias *Tensor, p Conv2DParams, shape []int, pc *PackedConv) *Tensor {
	const op = "Conv2D"
	n, cin, ih, iw := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	kh, kw := w.shape[2], w.shape[3]
	oh, ow := shape[2], shape[3]
	l, err := k.layout(quads, cin, w.shape, b.d.maxUniform)
	if err != nil {
		b.Fail(fmt.Errorf("%s: %w", op, err))
		return nil
	}
	var prepared []*Tensor
	if pc != nil {
		if prepared = pc.prepare(b, l); prepared == nil {
			return nil
		}
	}
	co, cov, taps, groups, gsf, chunk := l.co, l.cov, l.tapsPerChannel, l.groups, l.gsf, l.chunk
	// The output first: it may take over a large dead buffer (Reuse) the small repacked
	// weights must not hold. One buffer of repacked weights serves every chunk in turn.
	y := b.newOutput(op, shape...)
	var packed *Tensor
	if prepared == nil {
		if packed = b.newOutput(op, groups*gsf); packed == nil {
			y.Release()
			return nil
		}
	}
	ty, tx := (oh+k.tileH-1)/k.tileH, (ow+k.tileW-1)/k.tileW
	nt := n * ty * tx
	gx, gy, gridX := grid1D(nt, k.wg)
	perDispatch := quads / cov
	for c, c0 := 0, 0; c0 < cin; c, c0 = c+1, c0+chunk {
		cn := min(chunk, cin-c0)
		wv := windowVec4(cov, cn, taps)
		windows := packed
		if prepared != nil {
			windows = prepared[c]
		} else {
			b.repack(l, c, w, bias, packed)
		}
		consts := []constant{
			ru("GRID_X", gridX), cu("WG", k.wg), ru("NT", nt), ru("TX", tx), ru("TY", ty),
			cu("CI", cin), cu("CI0", c0), cu("CIN", cn), cb("ACC", c0 > 0), cu("CO", co), ru("OH", oh), ru("OW", ow),
			cu("KH", kh), cu("KW", kw), ri("IH", ih), ri("IW", iw), ci("PAD", p.Padding), ci("STRIDE", p.Stride),
			cu("PAD_MODE", int(p.PadMode)), cu("NQ", quads), cu("NCH", min(co, 4*quads)), cu("COV", cov), cu("WV", wv),
			ru("NX4", x.Len()/4),
		}
		for g := 0; g < groups; g += perDispatch {
			var args []binding
			if !k.scalarX {
				args = append(args, in(x))
			}
			if k.vec4X {
				args = append(args, in(x))
			}
			for j := range k.uniforms {
				win := min(g+min(j, perDispatch-1), groups-1)
				wb := uniformWindow(windows, uint64(win*gsf*4), uint64(wv*16))
				if k.storageW {
					wb.kind = bindRead
				}
				args = append(args, wb)
			}
			b.launch(k.file, k.entry, consts, [3]uint32{uint32(gx), uint32(gy), 1}, append(args, out(y))...)
		}
	}
	// The repacked weights are dead once the dispatches are recorded: a later op of the
	// batch may write into them.
	b.Reuse(packed)
	return y
}
