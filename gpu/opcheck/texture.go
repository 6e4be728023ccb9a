package opcheck

import (
	"fmt"
	"math"

	"easel/gpu"
	"easel/gpu/ref"
)

// texture returns a random RGBA texture of h×w pixels and its bytes.
func (in *Inputs) texture(h, w int) (*gpu.Texture, []byte) {
	px := make([]byte, 4*h*w)
	for i := range px {
		px[i] = byte(in.rng.IntN(256))
	}
	t, err := in.d.NewTexture(w, h)
	if err == nil {
		in.texs = append(in.texs, t)
		err = t.Write(px)
	}
	if err != nil && in.err == nil {
		in.err = err
	}
	return t, px
}

func textureCases() []Case {
	var cs []Case
	for _, c := range []struct {
		sh, sw, h, w int
		mul, add     [3]float64
		name         string
	}{
		{37, 53, 37, 53, [3]float64{1, 1, 1}, [3]float64{}, "same size"},
		{61, 83, 13, 17, unitMul, [3]float64{}, "down 5x"},
		{48, 64, 36, 52, imagenetMul, imagenetAdd, "down 4:3"},
		{7, 11, 20, 31, [3]float64{1, -2, 0.5}, [3]float64{0.25, 300, -7}, "up"},
		{1, 1, 3, 2, [3]float64{1, 1, 1}, [3]float64{}, "one pixel"},
	} {
		cs = append(cs, Case{Op: "TextureToTensor", Name: fmt.Sprintf("%dx%d_to_%dx%d_%s", c.sh, c.sw, c.h, c.w, c.name),
			run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				t, px := in.texture(c.sh, c.sw)
				return b.TextureToTensor(t, c.h, c.w, c.mul, c.add), ref.TextureToTensor(px, c.sh, c.sw, c.h, c.w, c.mul, c.add)
			}})
	}
	return cs
}

func blendCases() []Case {
	var cs []Case
	// Whole numbers (some beyond 0..255, some NaN or infinite) and weights that are
	// binary fractions: every blend is exact in float32, halves included, so the
	// rounding must match the reference's.
	for _, c := range []struct {
		x      []int
		rw     int
		weight float64
	}{
		{[]int{2, 3, 13, 17}, 64, 0.25},
		{[]int{1, 3, 37, 53}, 53, 0.625},
		{[]int{1, 3, 5, 7}, 9, 0},
		{[]int{3, 3, 1, 1}, 64, 1},
	} {
		cs = append(cs, Case{Op: "BlendToImage", Name: fmt.Sprintf("%v_rows%d_t%g", c.x, c.rw, c.weight),
			run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -0.5, 255.5, 1e30}
				draw := func() float64 {
					if in.rng.IntN(8) == 0 {
						return special[in.rng.IntN(len(special))]
					}
					return float64(in.rng.IntN(335) - 40)
				}
				x, xv := in.random(draw, c.x)
				y, yv := in.random(draw, c.x)
				t, _ := in.random(func() float64 { return c.weight }, []int{1})
				in.expectImage(b.BlendToImage(x, y, t, c.rw), ref.BlendToImage(xv, yv, c.x[0], c.x[2], c.x[3], c.rw, c.weight))
				return nil, nil
			}})
	}
	// Fractional inputs away from halves, y only (weight 1).
	cs = append(cs, Case{Op: "BlendToImage", Name: "[1 3 19 23]_rows64_fractions", run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
		shape := []int{1, 3, 19, 23}
		one := [3]float64{1, 1, 1}
		x, xv := in.awayFromHalves(shape, one, [3]float64{})
		y, yv := in.awayFromHalves(shape, one, [3]float64{})
		t, _ := in.random(func() float64 { return 1 }, []int{1})
		in.expectImage(b.BlendToImage(x, y, t, 64), ref.BlendToImage(xv, yv, 1, 19, 23, 64, 1))
		return nil, nil
	}})
	return cs
}
