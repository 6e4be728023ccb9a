package gpu

import "fmt"

// convTiled is one register-tiled Conv2D kernel (shaders/conv2d_vN.wgsl), tuned for CPU
// drivers such as lavapipe. Each invocation computes 4·quads output channels × tileH×tileW
// pixels. Weights and bias are repacked on the GPU, in the same batch, into uniform windows
// of 4·cov channels, cov = min(quads, 2) (see conv2d_repack.wgsl), and the kernel is
// dispatched once per 4·quads channels, binding quads/cov windows.
type convTiled struct {
	file, entry  string
	quads        []int // channel quads per invocation the kernel takes, most first
	uniforms     int   // uniform windows the shader declares; spare ones repeat the last
	tileH, tileW int
	wg           int  // workgroup size
	storageW     bool // weights bound as storage windows instead of uniform ones
	vec4X        bool // the input is bound a second time, as array<vec4<f32>>
	scalarX      bool // the input is not bound as array<f32>
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

// convTiledVariants are the tuned kernels by variant number; variant 1 is the generic
// conv2d.wgsl. BenchmarkConv2D checks and times them all; conv2DFast picks among them.
var convTiledVariants = map[int]convTiled{
	2: {file: "conv2d_v2.wgsl", entry: "conv2d_v2", quads: []int{2}, uniforms: 1, tileH: 4, tileW: 4, wg: 32, fits: is3x3s1},
	3: {file: "conv2d_v3.wgsl", entry: "conv2d_v3", quads: []int{2}, uniforms: 1, tileH: 4, tileW: 4, wg: 32, fits: is3x3s1,
		storageW: true},
	4: {file: "conv2d_v4.wgsl", entry: "conv2d_v4", quads: []int{2, 1}, uniforms: 1, tileH: 4, tileW: 4, wg: 32,
		fits: func(x, w []int, p Conv2DParams) bool {
			return w[2] == 3 && w[3] == 3 && p.Stride <= 2 || w[2] == 9 && w[3] == 9 && p.Stride == 1
		}},
	5: {file: "conv2d_v5.wgsl", entry: "conv2d_v5", quads: []int{4}, uniforms: 2, tileH: 4, tileW: 4, wg: 32, fits: is3x3s1},
	6: {file: "conv2d_v6.wgsl", entry: "conv2d_v6", quads: []int{4}, uniforms: 2, tileH: 4, tileW: 8, wg: 16, fits: is3x3s1p1w4,
		vec4X: true},
	7: {file: "conv2d_v7.wgsl", entry: "conv2d_v7", quads: []int{4}, uniforms: 2, tileH: 4, tileW: 8, wg: 16, fits: is3x3s1p1w4,
		vec4X: true},
	8: {file: "conv2d_v8.wgsl", entry: "conv2d_v8", quads: []int{4}, uniforms: 2, tileH: 4, tileW: 8, wg: 16, fits: is3x3s1p1w4,
		vec4X: true},
	9: {file: "conv2d_v9.wgsl", entry: "conv2d_v9", quads: []int{4, 2, 1}, uniforms: 2, tileH: 4, tileW: 8, wg: 16,
		vec4X: true, scalarX: true,
		fits: func(x, w []int, p Conv2DParams) bool {
			return w[2] == 9 && w[3] == 9 && p.Stride == 1 && p.Padding == 4 && x[3]%4 == 0 && x[3] >= 8
		}},
	10: {file: "conv2d_v10.wgsl", entry: "conv2d_v10", quads: []int{4}, uniforms: 2, tileH: 4, tileW: 8, wg: 16,
		vec4X: true,
		fits: func(x, w []int, p Conv2DParams) bool {
			return w[2] == 3 && w[3] == 3 && p.Stride == 2 && p.Padding == 1 && x[3]%4 == 0
		}},
}

// convFastOrder lists the variants Conv2D tries, fastest first (BenchmarkConv2D,
// docs/PERFORMANCE.md): those of 16 channels per invocation for layers with more than 8
// output channels, convFastOrderNarrow for the others.
var (
	convFastOrder       = []int{7, 10, 5, 9, 4}
	convFastOrderNarrow = []int{2, 9, 4}
)

// conv2DFast picks the tuned kernel for a convolution; quads 0 means none handles it and
// the generic kernel runs.
func conv2DFast(x, w *Tensor, p Conv2DParams) (k convTiled, quads int) {
	order := convFastOrder
	if w.shape[0] <= 8 {
		order = convFastOrderNarrow
	}
	for _, v := range order {
		k = convTiledVariants[v]
		if quads = k.quadsFor(x, w, p); quads > 0 {
			return k, quads
		}
	}
	return convTiled{}, 0
}

// windowVec4 is the length in vec4 of one uniform window of 4·cov channels: weights, bias
// and a header (see conv2d_repack.wgsl).
func windowVec4(cov, ci, kh, kw int) int { return ci*kh*kw*cov + cov + 1 }

// quadsFor picks the channel quads per invocation for this convolution: the most the kernel
// takes that the output channels fill and whose window fits. 0 means the kernel does not
// handle the convolution.
func (k convTiled) quadsFor(x, w *Tensor, p Conv2DParams) int {
	if !k.fits(x.shape, w.shape, p) {
		return 0
	}
	co := w.shape[0]
	for i, q := range k.quads {
		last := i == len(k.quads)-1
		if (4*q <= (co+3)/4*4 || last) && windowVec4(min(q, 2), x.shape[1], w.shape[2], w.shape[3])*16 <= MaxUniformWindow {
			return q
		}
	}
	return 0
}

// conv2DTiled records the repack and the grouped dispatches of k with quads channel quads
// per invocation; shape is the output shape conv2DShape returned.
func (b *Batch) conv2DTiled(k convTiled, quads int, x, w, bias *Tensor, p Conv2DParams, shape []int) *Tensor {
	const op = "Conv2D"
	n, cin, ih, iw := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	co, kh, kw := w.shape[0], w.shape[2], w.shape[3]
	oh, ow := shape[2], shape[3]
	cov := min(quads, 2)
	groups := (co + 4*cov - 1) / (4 * cov) // windows of 4·cov channels
	wv := windowVec4(cov, cin, kh, kw)
	if wv*16 > int(b.d.maxUniform) {
		b.Fail(fmt.Errorf("%s: %s needs a %d-byte uniform window, the device allows %d", op, k.file, wv*16, b.d.maxUniform))
		return nil
	}
	gsf := (wv*4 + 63) / 64 * 64 // window stride in floats: a multiple of 256 bytes
	packed := b.newOutput(op, groups*gsf)
	b.releaseAfterBatch(packed)
	y := b.newOutput(op, shape...)
	if y == nil {
		return nil
	}
	b.launch1D("conv2d_repack.wgsl", "repack", groups*gsf, []constant{
		cu("CI", cin), cu("CO", co), cu("KH", kh), cu("KW", kw), cu("COV", cov),
		cu("WN", cin*kh*kw*cov), cu("GSF", gsf), cb("HAS_BIAS", bias != nil),
	}, in(w), in(biasOr(bias, w)), out(packed))
	ty, tx := (oh+k.tileH-1)/k.tileH, (ow+k.tileW-1)/k.tileW
	nt := n * ty * tx
	gx, gy, gridX := grid1D(nt, k.wg)
	consts := []constant{
		cu("GRID_X", gridX), cu("WG", k.wg), cu("NT", nt), cu("TX", tx), cu("TY", ty),
		cu("CI", cin), cu("CO", co), cu("OH", oh), cu("OW", ow), cu("KH", kh), cu("KW", kw),
		ci("IH", ih), ci("IW", iw), ci("PAD", p.Padding), ci("STRIDE", p.Stride),
		cu("PAD_MODE", int(p.PadMode)), cu("NQ", quads), cu("COV", cov), cu("WV", wv), cu("NX4", x.Len()/4),
	}
	perDispatch := quads / cov
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
			wb := uniformWindow(packed, uint64(win*gsf*4), uint64(wv*16))
			if k.storageW {
				wb.kind = bindRead
			}
			args = append(args, wb)
		}
		b.launch(k.file, k.entry, consts, [3]uint32{uint32(gx), uint32(gy), 1}, append(args, out(y))...)
	}
	return y
}
