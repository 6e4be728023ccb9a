package gpu

import "fmt"

// igemmTile is the output tile of one workgroup of conv2d_igemm.wgsl: 64 output pixels
// (over the whole batch) × 64 output channels.
const igemmTile = 64

// igemmConv is how conv2d_igemm.wgsl maps output pixels and taps onto x.
type igemmConv struct {
	stride, pad int
	mode        PadMode
	up          int  // the input upsampled (nearest) by this factor first; 1 (or 0) for none
	transposed  bool // a transposed convolution: w is [Ci, Co, kH, kW]
}

// convIGEMM records the GPU family's convolution (conv2d_igemm.wgsl) of x with w into a
// new output of shape [N, Co, OH, OW], which the caller's shape checks returned. Channel
// counts and sizes are runtime constants, so one pipeline serves every layer of a kernel
// size, stride and padding: on a GPU the tiles, not constant folding, make the speed.
func (b *Batch) convIGEMM(op string, x, w, bias *Tensor, shape []int, c igemmConv) *Tensor {
	// A transposed convolution runs stride² phases, each over a part of the pixels; the
	// grid covers the largest.
	step, ph, pw := 1, shape[2], shape[3]
	if c.transposed {
		step, ph, pw = c.stride, (ph+c.stride-1)/c.stride, (pw+c.stride-1)/c.stride
	}
	tiles := (shape[0]*ph*pw + igemmTile - 1) / igemmTile
	gx := min(tiles, 65535)
	gy := (tiles + gx - 1) / gx
	gz := (shape[1] + igemmTile - 1) / igemmTile * step * step
	if gy > 65535 || gz > 65535 {
		b.Fail(fmt.Errorf("%s: output %v needs more than 65535 workgroups in one dimension", op, shape))
		return nil
	}
	y := b.newOutput(op, shape...)
	if y == nil {
		return nil
	}
	// UP divides in the convolution's branch, which WGSL compiles for a transposed one too:
	// Chrome refuses a division by a constant 0 even there.
	up := max(c.up, 1)
	b.launch("conv2d_igemm.wgsl", "conv2d_igemm", []constant{
		ru("GRID_X", gx), ru("BATCH", shape[0]), ru("OH", shape[2]), ru("OW", shape[3]),
		ri("IH", x.shape[2]), ri("IW", x.shape[3]),
		ru("CI", x.shape[1]), ru("CO", shape[1]), cu("KH", w.shape[2]), cu("KW", w.shape[3]),
		cu("PSTEP", step), ci("STRIDE", c.stride), ci("PAD", c.pad), ci("UP", up), cu("PAD_MODE", int(c.mode)),
		cb("HAS_BIAS", bias != nil), cb("TRANSPOSED", c.transposed),
	}, [3]uint32{uint32(gx), uint32(gy), uint32(gz)}, in(x), in(w), in(biasOr(bias, w)), out(y))
	return y
}
