package gpu

import (
	"maps"
	"os"
	"slices"
	"strings"
)

// The numbered Conv2D variants of dev/conv2d, for its benchmark (BenchmarkConv2D) and
// TestUpsampleConv2DVariants: the kernels Conv2D and UpsampleConv2D pick under their
// names in shaders/, the retired ones from dev/conv2d/vN.wgsl, which the product does
// not embed; this test file reads them (shaderSource). dev/conv2d/README.md tells the
// story. Variant 1 is the generic conv2d.wgsl.
var (
	conv2DVariants = map[int]convTiled{
		2: conv3x3C8x4x4,
		3: {file: "dev/conv2d/v3.wgsl", entry: "conv2d_v3", quads: []int{2}, uniforms: 1, tileH: 4, tileW: 4, wg: 32,
			fits: is3x3s1, storageW: true},
		4: conv3x3Or9x9C8x4x4,
		5: conv3x3C16x4x4,
		6: {file: "dev/conv2d/v6.wgsl", entry: "conv2d_v6", quads: []int{4}, uniforms: 2, tileH: 4, tileW: 8, wg: 16,
			fits: is3x3s1p1w4, vec4X: true},
		7: conv3x3C16x4x8,
		8: {file: "dev/conv2d/v8.wgsl", entry: "conv2d_v8", quads: []int{4}, uniforms: 2, tileH: 4, tileW: 8, wg: 16,
			fits: is3x3s1p1w4, vec4X: true},
		9:  conv9x9C16x4x8,
		10: conv3x3s2C16x4x8,
		12: conv9x9C4x4x16,
		14: conv4x4s2C16x4x8,
	}
	upsampleConv2DVariants = map[int]convTiled{
		11: {file: "dev/conv2d/v11.wgsl", entry: "conv2d_v11", quads: []int{4}, uniforms: 4, tileH: 4, tileW: 8, wg: 16,
			vec4X: true, cov: 1, taps: tapsUp2, fits: isUp2Conv},
		13: convUp2,
	}
)

func init() {
	embedded := shaderSource
	shaderSource = func(name string) (string, error) {
		if strings.HasPrefix(name, "dev/") {
			text, err := os.ReadFile("../" + name) // tests run in gpu/
			return string(text), err
		}
		return embedded(name)
	}
}

// Conv2DVariants lists dev/conv2d's Conv2D variants, 1 (the generic kernel) included.
func Conv2DVariants() []int {
	return append([]int{1}, slices.Sorted(maps.Keys(conv2DVariants))...)
}

// Conv2DVariant records Conv2D with variant v. It returns nil and false, recording
// nothing, when v does not handle the shape.
func (b *Batch) Conv2DVariant(v int, x, w, bias *Tensor, p Conv2DParams) (*Tensor, bool) {
	k, ok := conv2DVariants[v]
	if !ok && v != 1 {
		return nil, false
	}
	return b.conv2DWith(k, x, w, bias, p)
}

// UpsampleConv2DVariants lists dev/conv2d's variants of UpsampleConv2D at scale 2.
func UpsampleConv2DVariants() []int { return slices.Sorted(maps.Keys(upsampleConv2DVariants)) }

// UpsampleConv2DVariant records UpsampleConv2D at scale 2 with variant v. It returns nil
// and false, recording nothing, when v does not handle the shape.
func (b *Batch) UpsampleConv2DVariant(v int, x, w, bias *Tensor, p Conv2DParams) (*Tensor, bool) {
	k, ok := upsampleConv2DVariants[v]
	if !ok {
		return nil, false
	}
	return b.upsampleConv2DWith(k, x, w, bias, p)
}
