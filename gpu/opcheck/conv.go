package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// conv2DCase is one Conv2D vector: input x, weight w [Co, Ci, kH, kW].
type conv2DCase struct {
	x, w    []int
	p       gpu.Conv2DParams
	bias    bool
	comment string
}

func (c conv2DCase) name() string {
	s := fmt.Sprintf("x%v_w%v_s%d_p%d_%v", c.x, c.w, c.p.Stride, c.p.Padding, c.p.PadMode)
	if c.bias {
		s += "_bias"
	}
	if c.comment != "" {
		s += "_" + c.comment
	}
	return s
}

var conv2DCases = []conv2DCase{
	{x: []int{1, 3, 37, 53}, w: []int{5, 3, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, bias: true},
	{x: []int{1, 3, 37, 53}, w: []int{5, 3, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}},
	{x: []int{2, 5, 13, 11}, w: []int{7, 5, 3, 5}, p: gpu.Conv2DParams{Stride: 1, Padding: 2}, bias: true},
	{x: []int{2, 7, 15, 17}, w: []int{3, 7, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, bias: true},
	{x: []int{1, 3, 20, 23}, w: []int{5, 3, 2, 4}, p: gpu.Conv2DParams{Stride: 3}},
	{x: []int{3, 5, 7, 9}, w: []int{7, 5, 1, 1}, p: gpu.Conv2DParams{Stride: 1}, bias: true},
	{x: []int{2, 3, 5, 6}, w: []int{4, 3, 5, 6}, p: gpu.Conv2DParams{Stride: 1}, bias: true, comment: "whole-image kernel"},
	{x: []int{1, 1, 4, 5}, w: []int{1, 1, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 3}, bias: true, comment: "padding wider than kernel reach"},
	// fast_neural_style TransformerNet: ReflectionPad2d(k//2) then Conv2d, at a small size.
	{x: []int{2, 3, 21, 19}, w: []int{32, 3, 9, 9}, p: gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}, bias: true, comment: "TransformerNet conv1"},
	{x: []int{1, 32, 21, 19}, w: []int{64, 32, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "TransformerNet conv2"},
	{x: []int{1, 64, 11, 10}, w: []int{128, 64, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "TransformerNet conv3"},
	{x: []int{1, 128, 6, 5}, w: []int{128, 128, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "TransformerNet residual"},
	{x: []int{1, 128, 12, 10}, w: []int{64, 128, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "TransformerNet deconv1"},
	{x: []int{1, 32, 21, 19}, w: []int{3, 32, 9, 9}, p: gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}, bias: true, comment: "TransformerNet deconv3"},
	// Shapes the tuned kernels of gpu/conv_tiled.go take (Conv2D picks them itself): tiles cut
	// by the image edge, a row of 8 pixels ending half way, channel counts that leave a
	// channel group part empty, both paddings, batches.
	{x: []int{1, 128, 37, 53}, w: []int{128, 128, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "tuned 16 channels"},
	{x: []int{1, 64, 21, 20}, w: []int{64, 64, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "tuned vec4 rows half tile"},
	{x: []int{2, 16, 9, 16}, w: []int{12, 16, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, comment: "tuned vec4 rows 12 channels"},
	{x: []int{2, 8, 11, 9}, w: []int{6, 8, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "tuned 8 channels"},
	{x: []int{1, 512, 5, 8}, w: []int{20, 512, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, bias: true, comment: "VGG 512 channels in 4 chunks"},
	{x: []int{2, 256, 7, 5}, w: []int{24, 256, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, bias: true, comment: "VGG 256 channels in 2 chunks, odd width"},
	{x: []int{1, 32, 37, 53}, w: []int{64, 32, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "tuned stride 2"},
	{x: []int{2, 24, 17, 20}, w: []int{40, 24, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "tuned stride 2 vec4 rows"},
	{x: []int{1, 3, 23, 28}, w: []int{32, 3, 9, 9}, p: gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}, bias: true, comment: "tuned 9x9 half tile"},
	{x: []int{1, 32, 17, 24}, w: []int{3, 32, 9, 9}, p: gpu.Conv2DParams{Stride: 1, Padding: 4, PadMode: gpu.PadReflect}, bias: true, comment: "tuned 9x9 3 channels"},
	{x: []int{2, 5, 10, 16}, w: []int{20, 5, 9, 9}, p: gpu.Conv2DParams{Stride: 1, Padding: 4}, comment: "tuned 9x9 zeros"},
	// pytorch/examples dcgan Discriminator at 16×16 instead of 64×64, widths scaled down.
	{x: []int{2, 3, 16, 16}, w: []int{16, 3, 4, 4}, p: gpu.Conv2DParams{Stride: 2, Padding: 1}, comment: "DCGAN D first"},
	{x: []int{2, 16, 8, 8}, w: []int{32, 16, 4, 4}, p: gpu.Conv2DParams{Stride: 2, Padding: 1}, comment: "DCGAN D middle"},
	{x: []int{2, 32, 4, 4}, w: []int{1, 32, 4, 4}, p: gpu.Conv2DParams{Stride: 1}, comment: "DCGAN D last"},
	{x: []int{2, 24, 12, 20}, w: []int{20, 24, 4, 4}, p: gpu.Conv2DParams{Stride: 2, Padding: 1}, bias: true, comment: "tuned 4x4 stride 2"},
}

// convTransposeCase is one ConvTranspose2D vector: input x, weight w [Ci, Co, kH, kW].
type convTransposeCase struct {
	x, w    []int
	p       gpu.ConvTranspose2DParams
	bias    bool
	comment string
}

func (c convTransposeCase) name() string {
	s := fmt.Sprintf("x%v_w%v_s%d_p%d_op%d", c.x, c.w, c.p.Stride, c.p.Padding, c.p.OutputPadding)
	if c.bias {
		s += "_bias"
	}
	if c.comment != "" {
		s += "_" + c.comment
	}
	return s
}

var convTransposeCases = []convTransposeCase{
	// pytorch/examples dcgan Generator from z [N, nz, 1, 1] to 16×16, widths scaled down.
	{x: []int{2, 100, 1, 1}, w: []int{100, 64, 4, 4}, p: gpu.ConvTranspose2DParams{Stride: 1}, comment: "DCGAN G first"},
	{x: []int{2, 64, 4, 4}, w: []int{64, 32, 4, 4}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}, comment: "DCGAN G middle"},
	{x: []int{2, 32, 8, 8}, w: []int{32, 3, 4, 4}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}, comment: "DCGAN G last"},
	// 4×4, stride 2, padding 1 on widths that are multiples of 4 take the tuned kernel
	// (conv2d_up2_c8x8x8.wgsl): odd heights, channel groups left part empty, bias.
	{x: []int{1, 16, 8, 12}, w: []int{16, 12, 4, 4}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}, bias: true, comment: "tuned"},
	{x: []int{3, 5, 5, 8}, w: []int{5, 9, 4, 4}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}, bias: true, comment: "tuned odd height"},
	{x: []int{1, 4, 6, 6}, w: []int{4, 5, 4, 4}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}, bias: true, comment: "width 6"},
	{x: []int{2, 300, 4, 4}, w: []int{300, 8, 4, 4}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1}, bias: true, comment: "tuned input channels in 2 chunks"},
	{x: []int{1, 5, 7, 9}, w: []int{5, 3, 3, 5}, p: gpu.ConvTranspose2DParams{Stride: 2, Padding: 1, OutputPadding: 1}, bias: true},
	{x: []int{2, 3, 5, 4}, w: []int{3, 7, 2, 2}, p: gpu.ConvTranspose2DParams{Stride: 3, OutputPadding: 2}, bias: true, comment: "kernel below stride"},
	{x: []int{1, 3, 11, 13}, w: []int{3, 5, 5, 3}, p: gpu.ConvTranspose2DParams{Stride: 1, Padding: 1}, bias: true},
	{x: []int{3, 7, 6, 5}, w: []int{7, 5, 3, 3}, p: gpu.ConvTranspose2DParams{Stride: 2}, bias: true},
}

// poolCase is one pooling vector on input x.
type poolCase struct {
	x []int
	p gpu.Pool2DParams
}

var poolCases = []poolCase{
	{x: []int{1, 3, 37, 53}, p: gpu.Pool2DParams{Kernel: 2}},
	{x: []int{2, 5, 15, 17}, p: gpu.Pool2DParams{Kernel: 3, Stride: 2, Padding: 1}},
	{x: []int{1, 7, 9, 8}, p: gpu.Pool2DParams{Kernel: 3, Stride: 1, Padding: 1}},
	{x: []int{2, 3, 11, 13}, p: gpu.Pool2DParams{Kernel: 4, Stride: 3, Padding: 2}},
	{x: []int{3, 1, 1, 1}, p: gpu.Pool2DParams{Kernel: 1}},
}

var upsampleCases = []struct {
	x     []int
	scale int
}{
	{[]int{1, 3, 37, 53}, 2},
	{[]int{2, 5, 7, 11}, 3},
	{[]int{1, 128, 6, 5}, 2},
	{[]int{3, 1, 1, 1}, 1},
}

// upsampleConvCases are UpsampleConv2D vectors. Scale 2 with a 3×3 kernel, stride 1,
// padding 1 and an input width that is a multiple of 4 takes the kernel that reads the
// low-resolution input (conv2d_up2_c8x8x8.wgsl): both paddings, odd heights (a partial
// tile), channel counts that leave a channel group part empty, batches. The others take
// the upsample and Conv2D.
var upsampleConvCases = []struct {
	conv2DCase
	scale int
}{
	{conv2DCase{x: []int{1, 128, 6, 8}, w: []int{64, 128, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "TransformerNet deconv1"}, 2},
	{conv2DCase{x: []int{1, 64, 12, 16}, w: []int{32, 64, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "TransformerNet deconv2"}, 2},
	{conv2DCase{x: []int{2, 5, 7, 12}, w: []int{20, 5, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, bias: true, comment: "odd height co20"}, 2},
	{conv2DCase{x: []int{1, 3, 5, 4}, w: []int{6, 3, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, comment: "one tile wide"}, 2},
	{conv2DCase{x: []int{1, 260, 3, 4}, w: []int{12, 260, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "input channels in 2 chunks"}, 2},
	{conv2DCase{x: []int{1, 4, 9, 9}, w: []int{8, 4, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1, PadMode: gpu.PadReflect}, bias: true, comment: "odd width"}, 2},
	{conv2DCase{x: []int{1, 3, 5, 6}, w: []int{4, 3, 3, 3}, p: gpu.Conv2DParams{Stride: 1, Padding: 1}, bias: true}, 3},
	{conv2DCase{x: []int{2, 3, 4, 8}, w: []int{5, 3, 3, 3}, p: gpu.Conv2DParams{Stride: 2, Padding: 1, PadMode: gpu.PadReflect}, bias: true}, 2},
}

// convCases are the convolution family: Conv2D, ConvTranspose2D, UpsampleNearest and the
// pooling ops.
func convCases() []Case {
	var cs []Case
	for _, c := range conv2DCases {
		cs = append(cs, Case{Op: "Conv2D", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			w, wv := in.Uniform(-1, 1, c.w...)
			var bias *gpu.Tensor
			var bv []float64
			if c.bias {
				bias, bv = in.Uniform(-1, 1, c.w[0])
			}
			want, _ := ref.Conv2D(xv, c.x, wv, c.w, bv, c.p.Stride, c.p.Padding, c.p.PadMode == gpu.PadReflect)
			return b.Conv2D(x, w, bias, c.p), want
		}})
	}
	for _, c := range convTransposeCases {
		cs = append(cs, Case{Op: "ConvTranspose2D", Name: c.name(), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			w, wv := in.Uniform(-1, 1, c.w...)
			var bias *gpu.Tensor
			var bv []float64
			if c.bias {
				bias, bv = in.Uniform(-1, 1, c.w[1])
			}
			want, _ := ref.ConvTranspose2D(xv, c.x, wv, c.w, bv, c.p.Stride, c.p.Padding, c.p.OutputPadding)
			return b.ConvTranspose2D(x, w, bias, c.p), want
		}})
	}
	for _, c := range upsampleConvCases {
		cs = append(cs, Case{Op: "UpsampleConv2D", Name: fmt.Sprintf("%s_scale%d", c.name(), c.scale), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			w, wv := in.Uniform(-1, 1, c.w...)
			var bias *gpu.Tensor
			var bv []float64
			if c.bias {
				bias, bv = in.Uniform(-1, 1, c.w[0])
			}
			up, us := ref.UpsampleNearest(xv, c.x, c.scale)
			want, _ := ref.Conv2D(up, us, wv, c.w, bv, c.p.Stride, c.p.Padding, c.p.PadMode == gpu.PadReflect)
			return b.UpsampleConv2D(x, w, bias, c.scale, c.p), want
		}})
	}
	for _, c := range upsampleCases {
		cs = append(cs, Case{Op: "UpsampleNearest", Name: fmt.Sprintf("x%v_scale%d", c.x, c.scale), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(c.x...)
			want, _ := ref.UpsampleNearest(xv, c.x, c.scale)
			return b.UpsampleNearest(x, c.scale), want
		}})
	}
	pools := []struct {
		op  string
		gpu func(*gpu.Batch, *gpu.Tensor, gpu.Pool2DParams) *gpu.Tensor
		ref func(x []float64, xs []int, k, stride, pad int) ([]float64, []int)
	}{
		{"MaxPool2D", (*gpu.Batch).MaxPool2D, ref.MaxPool2D},
		{"AvgPool2D", (*gpu.Batch).AvgPool2D, ref.AvgPool2D},
	}
	for _, o := range pools {
		for _, c := range poolCases {
			name := fmt.Sprintf("x%v_k%d_s%d_p%d", c.x, c.p.Kernel, c.p.Stride, c.p.Padding)
			cs = append(cs, Case{Op: o.op, Name: name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				x, xv := in.Randn(c.x...)
				want, _ := o.ref(xv, c.x, c.p.Kernel, c.p.Stride, c.p.Padding)
				return o.gpu(b, x, c.p), want
			}})
		}
	}
	return cs
}
