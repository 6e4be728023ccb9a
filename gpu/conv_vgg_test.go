//go:build !(js && wasm)

package gpu_test

import (
	"fmt"
	"slices"
	"testing"

	"easel/gpu"
)

// TestVGGConvKernels pins the kernels VGG16's convolutions and their input gradients land
// on, for a 256×256 input and a 250×250 one (odd sizes: 125, 31 and 15 pixels wide): the
// 16-channel tiled kernels, input channels in chunks where 256 or 512 of them outgrow a
// uniform window, never the generic kernel. The results are checked by the op vectors
// and TestConv2DKernels on small images with as many channels; recording is enough here.
func TestVGGConvKernels(t *testing.T) {
	const (
		vec4Rows = "conv2d_3x3_c16x4x8.wgsl:conv2d_3x3_c16x4x8"
		anyWidth = "conv2d_3x3_c16x4x4.wgsl:conv2d_3x3_c16x4x4"
		narrow   = "conv2d_3x3_c8x4x4.wgsl:conv2d_3x3_c8x4x4"
	)
	for _, size := range []int{256, 250} {
		for _, s := range vgg16Convs {
			h := s.size * size / 256
			want := anyWidth
			if h%4 == 0 {
				want = vec4Rows
			}
			// The input gradient is a convolution with s.ci outputs: 8 or fewer take the
			// narrow kernel.
			wantGrad := want
			if s.ci <= 8 {
				wantGrad = narrow
			}
			name := fmt.Sprintf("%d-%d_%dx%d", s.ci, s.co, h, h)
			for _, c := range []struct {
				op     string
				want   string
				record func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor
			}{
				{"Conv2D", want, func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
					return b.Conv2D(in(1, s.ci, h, h), in(s.co, s.ci, 3, 3), in(s.co), vggPad)
				}},
				{"Conv2DBackwardInput", wantGrad, func(b *gpu.Batch, in func(...int) *gpu.Tensor) *gpu.Tensor {
					return b.Conv2DBackwardInput(in(1, s.co, h, h), in(s.co, s.ci, 3, 3), []int{1, s.ci, h, h}, vggPad)
				}},
			} {
				t.Run(c.op+"/"+name, func(t *testing.T) {
					var ts []*gpu.Tensor
					defer func() {
						for _, x := range ts {
							x.Release()
						}
					}()
					in := func(shape ...int) *gpu.Tensor {
						x, err := testDevice.NewTensor(shape...)
						if err != nil {
							t.Fatal(err)
						}
						ts = append(ts, x)
						return x
					}
					b := testDevice.NewBatch()
					defer b.Release()
					y := c.record(b, in)
					if y == nil {
						t.Fatal(b.Err())
					}
					ts = append(ts, y)
					ks := b.Kernels()
					if !slices.Contains(ks, c.want) || slices.Contains(ks, "conv2d.wgsl:conv2d") {
						t.Errorf("kernels %v, want %s and not the generic conv2d", ks, c.want)
					}
				})
			}
		}
	}
}
