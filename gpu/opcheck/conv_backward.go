package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// conv2DGradCases are the Conv2D shapes whose input and weight gradients are checked. Some
// comments say which path the input gradient takes (gpu/conv_backward.go).
var conv2DGradCases = []conv2DCase{
	{x: []int{2, 3, 7, 5}, w: []int{4, 3, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, comment: "flipped conv"},
	{x: []int{2, 3, 9, 7}, w: []int{5, 3, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, comment: "padded gradient folded"},
	{x: []int{2, 5, 9, 11}, w: []int{6, 5, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, comment: "border"},
	{x: []int{2, 5, 9, 10}, w: []int{6, 5, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, comment: "output padding 0 and 1, border"},
	{x: []int{2, 4, 8, 10}, w: []int{3, 4, 3, 3}, p: gpu.Conv2DParams{Stride: 2}, comment: "unread last row and column"},
	{x: []int{2, 3, 9, 8}, w: []int{4, 3, 4, 4}, p: gpu.Conv2DParams{Stride: 2}, comment: "output padding 1 and 0"},
	{x: []int{2, 3, 7, 9}, w: []int{4, 3, 3, 5}, p: gpu.Conv2DParams{Stride: 1, Padding: 2}, comment: "non-square kernel"},
	{x: []int{1, 2, 7, 9}, w: []int{3, 2, 3, 5}, p: gpu.Conv2DParams{Stride: 1, Padding: 2, PadMode: gpu.PadReflect}, comment: "non-square kernel, border"},
	{x: []int{2, 2, 3, 4}, w: []int{3, 2, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 2, PadMode: gpu.PadReflect}, comment: "border bands meet"},
	{x: []int{1, 1, 4, 5}, w: []int{2, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 3}, comment: "padding wider than kernel reach"},
	{x: []int{2, 2, 7, 8}, w: []int{3, 2, 2, 4}, p: gpu.Conv2DParams{Stride: 3, Padding: 2}},
	{x: []int{3, 5, 7, 9}, w: []int{7, 5, 1, 1}, p: gpu.Conv2DParams{Stride: 1}, comment: "1x1"},
	{x: []int{2, 8, 6, 12}, w: []int{12, 8, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, comment: "tuned flipped conv"},
	{x: []int{1, 20, 7, 12}, w: []int{512, 20, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, comment: "VGG flipped conv, 512 channels in chunks"},
	{x: []int{2, 24, 5, 9}, w: []int{256, 24, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, comment: "VGG flipped conv, 256 channels in chunks, odd sizes"},
	{x: []int{1, 2, 9, 12}, w: []int{3, 2, 9, 9}, p: gpu.Conv2DParams{Stride: 1, Padding: 4}, comment: "9x9 zeros"},
	// pytorch/examples dcgan Discriminator at 16×16, widths scaled down: the input gradient
	// of the 4×4 stride-2 layers runs on ConvTranspose2D's tuned kernel (compiled per shape,
	// slowly in Chromium, hence one such layer here).
	{x: []int{2, 8, 16, 16}, w: []int{16, 8, 4, 4}, p: gpu.Conv2DParams{Stride: 2, Padding: 1}, comment: "DCGAN D middle"},
	{x: []int{2, 16, 4, 4}, w: []int{1, 16, 4, 4}, p: gpu.Conv2DParams{Stride: 1}, comment: "DCGAN D last"},
	// fast_neural_style TransformerNet at small sizes and widths.
	{x: []int{1, 3, 10, 9}, w: []int{4, 3, 9, 9}, p: gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}, comment: "9x9 reflect"},
	{x: []int{1, 3, 6, 8}, w: []int{16, 3, 9, 9}, p: gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}, comment: "TransformerNet conv1"},
	{x: []int{1, 16, 11, 10}, w: []int{32, 16, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, comment: "TransformerNet conv3"},
	{x: []int{1, 8, 10, 16}, w: []int{12, 8, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, comment: "TransformerNet conv2 as 4x4 transposed"},
	{x: []int{1, 16, 9, 12}, w: []int{16, 16, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, comment: "TransformerNet residual"},
	{x: []int{1, 16, 6, 8}, w: []int{3, 16, 9, 9}, p: gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}, comment: "TransformerNet deconv3"},
	// The GPU family's weight gradient: channels past one 64-channel tile, and enough
	// output pixels that their sum is split in parts (the last one shorter).
	{x: []int{2, 70, 6, 5}, w: []int{67, 70, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, comment: "two channel tiles, border"},
	{x: []int{3, 5, 47, 43}, w: []int{6, 5, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, comment: "weight gradient split in 3"},
	{x: []int{2, 5, 33, 31}, w: []int{6, 5, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, comment: "weight gradient split in 3, flipped conv"},
}

// convTransposeGradCases are the ConvTranspose2D shapes whose input and weight gradients
// are checked: the input gradient of the 4×4 stride-2 layers runs on Conv2D's tuned kernel.
var convTransposeGradCases = []convTransposeCase{
	{x: []int{2, 16, 1, 1}, w: []int{16, 8, 4, 4}, p: gpu.ConvTranspose2DParams{Stride: 1}, comment: "DCGAN G first"},
	{x: []int{2, 16, 8, 8}, w: []int{16, 8, 4, 4}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}, comment: "DCGAN G middle"},
	{x: []int{2, 8, 8, 8}, w: []int{8, 3, 4, 4}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}, comment: "DCGAN G last"},
	{x: []int{1, 5, 7, 9}, w: []int{5, 3, 3, 5}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1, OutputPadding: 1}},
	{x: []int{2, 3, 5, 4}, w: []int{3, 7, 2, 2}, p: gpu.ConvTranspose2DParams{Stride: 3, OutputPadding: 2}, comment: "kernel below stride"},
	{x: []int{1, 3, 11, 13}, w: []int{3, 5, 5, 3}, p: gpu.ConvTranspose2DParams{Stride: 1, Padding: 1}},
	{x: []int{3, 7, 6, 5}, w: []int{7, 5, 3, 3}, p: gpu.ConvTranspose2DParams{Stride: 2}},
	{x: []int{1, 66, 3, 4}, w: []int{66, 70, 3, 3}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1, OutputPadding: 1}, comment: "two channel tiles"},
	{x: []int{3, 4, 21, 19}, w: []int{4, 3, 3, 3}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1, OutputPadding: 1}, comment: "weight gradient split in 2"},
}

var biasGradShapes = [][]int{{2, 5, 7, 9}, {3, 7}, {2, 3, 4, 5, 3}, {2, 129, 3, 5}}

var upsampleGradCases = []struct {
	x     []int
	scale int
}{
	{[]int{2, 3, 5, 7}, 2},
	{[]int{1, 2, 3, 2}, 3},
	{[]int{1, 32, 6, 4}, 2},
	{[]int{3, 1, 1, 1}, 1},
}

// convBackwardCases are the convolution family's backward ops, each on the gradient of a
// random output.
func convBackwardCases() []Case {
	var cs []Case
	reflect := func(p gpu.Conv2DParams) bool { return p.PadMode == gpu.PadReflect }
	for _, c := range conv2DGradCases {
		ys := []int{c.x[0], c.w[0], (c.x[2]+2*c.p.Padding-c.w[2])/c.p.Stride + 1, (c.x[3]+2*c.p.Padding-c.w[3])/c.p.Stride + 1}
		cs = append(cs, Case{Op: "Conv2DBackwardInput", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			dy, dyv := in.Randn(ys...)
			w, wv := in.Uniform(-1, 1, c.w...)
			want, _ := ref.Conv2DBackwardInput(dyv, ys, wv, c.w, c.x, c.p.Stride, c.p.Padding, reflect(c.p))
			return b.Conv2DBackwardInput(dy, w, c.x, c.p), want
		}})
		cs = append(cs, Case{Op: "Conv2DBackwardWeight", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			dy, dyv := in.Randn(ys...)
			want, _ := ref.Conv2DBackwardWeight(xv, c.x, dyv, ys, c.w, c.p.Stride, c.p.Padding, reflect(c.p))
			return b.Conv2DBackwardWeight(x, dy, c.w, c.p), want
		}})
	}
	for _, c := range convTransposeGradCases {
		s, p, op := c.p.Stride, c.p.Padding, c.p.OutputPadding
		ys := []int{c.x[0], c.w[1], (c.x[2]-1)*s - 2*p + c.w[2] + op, (c.x[3]-1)*s - 2*p + c.w[3] + op}
		cs = append(cs, Case{Op: "ConvTranspose2DBackwardInput", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			dy, dyv := in.Randn(ys...)
			w, wv := in.Uniform(-1, 1, c.w...)
			want, _ := ref.ConvTranspose2DBackwardInput(dyv, ys, wv, c.w, c.x, c.p.Stride, c.p.Padding)
			return b.ConvTranspose2DBackwardInput(dy, w, c.x, c.p), want
		}})
		cs = append(cs, Case{Op: "ConvTranspose2DBackwardWeight", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			dy, dyv := in.Randn(ys...)
			want, _ := ref.ConvTranspose2DBackwardWeight(xv, c.x, dyv, ys, c.w, c.p.Stride, c.p.Padding)
			return b.ConvTranspose2DBackwardWeight(x, dy, c.w, c.p), want
		}})
	}
	for _, s := range biasGradShapes {
		cs = append(cs, Case{Op: "BiasBackward", Name: fmt.Sprintf("dy%v", s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			dy, dyv := in.Randn(s...)
			want, _ := ref.BiasBackward(dyv, s)
			return b.BiasBackward(dy), want
		}})
	}
	for _, c := range upsampleGradCases {
		ys := []int{c.x[0], c.x[1], c.x[2] * c.scale, c.x[3] * c.scale}
		cs = append(cs, Case{Op: "UpsampleNearestBackward", Name: fmt.Sprintf("x%v_scale%d", c.x, c.scale), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			dy, dyv := in.Randn(ys...)
			want, _ := ref.UpsampleNearestBackward(dyv, ys, c.scale)
			return b.UpsampleNearestBackward(dy, c.scale), want
		}})
	}
	return cs
}
