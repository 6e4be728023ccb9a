package gpu

import "fmt"

// convTiled is one register-tiled Conv2D kernel (shaders/conv2d_vN.wgsl). Each invocation
// computes 4·cov output channels × tileH×tileW pixels; weights are repacked on the GPU, in
// the same batch, into one uniform window per group of 4·cov channels (see
// conv2d_repack.wgsl), and the kernel is dispatched once per group.
type convTiled struct {
	file, entry  string
	covs         []int // vec4 channel groups per invocation the kernel takes, best first
	tileH, tileW int
	wg           int  // workgroup size
	storageW     bool // weights bound as a storage window instead of a uniform one
	windows      int  // uniform windows bound per dispatch: 4·cov·windows channels each
	// fits reports whether the kernel handles kernel size kh×kw at stride s.
	fits func(kh, kw, s int) bool
}

// convTiledVariants are the tuned kernels by variant number; variant 1 is the generic
// conv2d.wgsl. Benchmarks check and time them all (conv_bench_test.go).
var convTiledVariants = map[int]convTiled{
	2: {file: "conv2d_v2.wgsl", entry: "conv2d_v2", covs: []int{2}, tileH: 4, tileW: 4, wg: 32,
		fits: func(kh, kw, s int) bool { return kh == 3 && kw == 3 && s == 1 }},
	3: {file: "conv2d_v3.wgsl", entry: "conv2d_v3", covs: []int{2}, tileH: 4, tileW: 4, wg: 32, storageW: true,
		fits: func(kh, kw, s int) bool { return kh == 3 && kw == 3 && s == 1 }},
	5: {file: "conv2d_v5.wgsl", entry: "conv2d_v5", covs: []int{2}, windows: 2, tileH: 4, tileW: 4, wg: 32,
		fits: func(kh, kw, s int) bool { return kh == 3 && kw == 3 && s == 1 }},
	4: {file: "conv2d_v4.wgsl", entry: "conv2d_v4", covs: []int{2, 1}, tileH: 4, tileW: 4, wg: 32,
		fits: func(kh, kw, s int) bool { return kh == 3 && kw == 3 && s <= 2 || kh == 9 && kw == 9 && s == 1 }},
}

// windowVec4 is the length in vec4 of one group's uniform window: weights, bias, header.
func windowVec4(cov, ci, kh, kw int) int { return ci*kh*kw*cov + cov + 1 }

// cov picks the channel groups per invocation for this convolution: the first the kernel
// takes whose window fits, 4 channels rather than 8 when there are at most 4. 0 means the
// kernel does not handle the convolution.
func (k convTiled) cov(x, w *Tensor, p Conv2DParams) int {
	if !k.fits(w.shape[2], w.shape[3], p.Stride) {
		return 0
	}
	for i, cov := range k.covs {
		few := w.shape[0] <= 4 && i+1 < len(k.covs) && k.covs[i+1] == 1
		if !few && windowVec4(cov, x.shape[1], w.shape[2], w.shape[3])*16 <= MaxUniformWindow {
			return cov
		}
	}
	return 0
}

// conv2DTiled records the repack and the grouped dispatches of k; shape is the output
// shape conv2DShape returned.
func (b *Batch) conv2DTiled(k convTiled, cov int, x, w, bias *Tensor, p Conv2DParams, shape []int) *Tensor {
	const op = "Conv2D"
	n, cin, ih, iw := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	co, kh, kw := w.shape[0], w.shape[2], w.shape[3]
	oh, ow := shape[2], shape[3]
	chans := 4 * cov
	groups := (co + chans - 1) / chans
	wv := windowVec4(cov, cin, kh, kw)
	if wv*16 > int(b.d.maxUniform) {
		b.Fail(fmt.Errorf("%s: %s needs a %d-byte uniform window, the device allows %d", op, k.file, wv*16, b.d.maxUniform))
		return nil
	}
	gsf := (wv*4 + 63) / 64 * 64 // group stride in floats: a multiple of 256 bytes
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
		cu("CI", cin), cu("CO", co), cu("OH", oh), cu("OW", ow),
		ci("IH", ih), ci("IW", iw), ci("PAD", p.Padding), ci("STRIDE", p.Stride),
		cu("KH", kh), cu("KW", kw), cu("COV", cov), cu("PAD_MODE", int(p.PadMode)), cu("WV", wv),
	}
	windows := max(k.windows, 1)
	for g := 0; g < groups; g += windows {
		args := []binding{in(x)}
		for j := range windows {
			wb := uniformWindow(packed, uint64(min(g+j, groups-1)*gsf*4), uint64(wv*16))
			if k.storageW {
				wb.kind = bindRead
			}
			args = append(args, wb)
		}
		b.launch(k.file, k.entry, consts, [3]uint32{uint32(gx), uint32(gy), 1}, append(args, out(y))...)
	}
	return y
}
