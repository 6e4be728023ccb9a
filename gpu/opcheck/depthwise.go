package opcheck

import (
	"easel/gpu"
	"easel/gpu/ref"
)

// depthwiseCases are DepthwiseConv2D vectors (w [C, 1, kH, kW]): odd, non-square and
// batched inputs, strides 1 to 5, paddings 0 to 3, 3×3, 5×5 and non-square kernels, rows
// that end part way through a strip of pixels, and MobileNetV2's layers at small sizes.
var depthwiseCases = []conv2DCase{
	{x: []int{2, 3, 7, 5}, w: []int{3, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, bias: true},
	{x: []int{2, 5, 9, 11}, w: []int{5, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 1}},
	{x: []int{2, 4, 9, 11}, w: []int{4, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1}, bias: true, comment: "odd sizes"},
	{x: []int{3, 2, 8, 10}, w: []int{2, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 2}, comment: "unread last row and column"},
	{x: []int{1, 3, 9, 13}, w: []int{3, 1, 3, 5}, p: gpu.Conv2DParams{Stride: 2, Padding: 1}, bias: true, comment: "non-square kernel"},
	{x: []int{2, 2, 6, 9}, w: []int{2, 1, 5, 2}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, comment: "non-square kernel"},
	{x: []int{1, 2, 5, 3}, w: []int{2, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 3}, bias: true, comment: "padding wider than kernel reach"},
	{x: []int{2, 3, 11, 13}, w: []int{3, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 3, Padding: 1}, comment: "stride 3"},
	{x: []int{1, 2, 13, 17}, w: []int{2, 1, 3, 4}, p: gpu.Conv2DParams{Stride: 5, Padding: 2}, bias: true, comment: "stride 5, one pixel per invocation"},
	{x: []int{2, 1, 1, 1}, w: []int{1, 1, 1, 1}, p: gpu.Conv2DParams{Stride: 1}, bias: true, comment: "1x1"},
	// The GPU family's weight gradient splits its sum over 3219 and 768 pixels across
	// workgroups; a 5×5 kernel leaves one tap in its last quad of taps.
	{x: []int{3, 5, 37, 29}, w: []int{5, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, bias: true, comment: "sum split"},
	{x: []int{4, 7, 31, 23}, w: []int{7, 1, 5, 5}, p: gpu.Conv2DParams{Stride: 2, Padding: 2}, comment: "5x5 stride 2"},
	{x: []int{1, 300, 5, 6}, w: []int{300, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1}, bias: true, comment: "300 channels"},
	// Keras MobileNetV2 (depthwise 3×3, ReLU6) at small sizes: a stride-1 block, a
	// stride-2 one, and the 7×7 end.
	{x: []int{2, 32, 16, 16}, w: []int{32, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, comment: "MobileNetV2 block"},
	{x: []int{1, 96, 14, 14}, w: []int{96, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1}, comment: "MobileNetV2 downsampling"},
	{x: []int{2, 160, 7, 7}, w: []int{160, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, bias: true, comment: "MobileNetV2 7x7"},
}

// depthwiseOutShape is DepthwiseConv2D's output shape for case c.
func depthwiseOutShape(c conv2DCase) []int {
	return []int{c.x[0], c.x[1], (c.x[2]+2*c.p.Padding-c.w[2])/c.p.Stride + 1, (c.x[3]+2*c.p.Padding-c.w[3])/c.p.Stride + 1}
}

// depthwiseOpCases are DepthwiseConv2D and its input and weight gradients on every vector.
func depthwiseOpCases() []Case {
	var cs []Case
	for _, c := range depthwiseCases {
		ys := depthwiseOutShape(c)
		cs = append(cs, Case{Op: "DepthwiseConv2D", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			w, wv := in.Uniform(-1, 1, c.w...)
			var bias *gpu.Tensor
			var bv []float64
			if c.bias {
				bias, bv = in.Uniform(-1, 1, c.w[0])
			}
			want, _ := ref.DepthwiseConv2D(xv, c.x, wv, c.w, bv, c.p.Stride, c.p.Padding)
			return b.DepthwiseConv2D(x, w, bias, c.p), want
		}})
		cs = append(cs, Case{Op: "DepthwiseConv2DBackwardInput", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			dy, dyv := in.Randn(ys...)
			w, wv := in.Uniform(-1, 1, c.w...)
			want, _ := ref.DepthwiseConv2DBackwardInput(dyv, ys, wv, c.w, c.x, c.p.Stride, c.p.Padding)
			return b.DepthwiseConv2DBackwardInput(dy, w, c.x, c.p), want
		}})
		cs = append(cs, Case{Op: "DepthwiseConv2DBackwardWeight", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			dy, dyv := in.Randn(ys...)
			want, _ := ref.DepthwiseConv2DBackwardWeight(xv, c.x, dyv, ys, c.w, c.p.Stride, c.p.Padding)
			return b.DepthwiseConv2DBackwardWeight(x, dy, c.w, c.p), want
		}})
	}
	return cs
}
