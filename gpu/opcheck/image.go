package opcheck

import (
	"context"
	"fmt"
	"math"

	"easel/gpu"
	"easel/gpu/ref"
)

// image returns n random RGBA images of h×w pixels and their bytes.
func (in *Inputs) image(n, h, w int) (*gpu.Image, []byte) {
	px := make([]byte, 4*n*h*w)
	for i := range px {
		px[i] = byte(in.rng.IntN(256))
	}
	im, err := in.d.NewImage(n, h, w)
	if err == nil {
		err = im.Write(px)
		in.imgs = append(in.imgs, im)
	}
	if err != nil && in.err == nil {
		in.err = err
	}
	return im, px
}

// expectImage registers an image result: its bytes, alpha included, compare as floats,
// so that one byte off fails (the tolerance is far below 1/255).
func (in *Inputs) expectImage(im *gpu.Image, want []byte) {
	if im == nil {
		return // the op failed; the batch reports why
	}
	in.imgs = append(in.imgs, im)
	in.expect("image", func(ctx context.Context) ([]float32, error) {
		px, err := im.Read(ctx)
		return bytesAsFloats(px), err
	}, float64s(bytesAsFloats(want)))
}

func bytesAsFloats(px []byte) []float32 {
	f := make([]float32, len(px))
	for i, v := range px {
		f[i] = float32(v)
	}
	return f
}

func float64s(f []float32) []float64 {
	d := make([]float64, len(f))
	for i, v := range f {
		d[i] = float64(v)
	}
	return d
}

// Per-channel conversions: ImageNet normalisation (as VGG wants its input), [0, 1], and
// the [-1, 1] of a tanh output (DCGAN).
var (
	imagenetMul = [3]float64{1 / (255 * 0.229), 1 / (255 * 0.224), 1 / (255 * 0.225)}
	imagenetAdd = [3]float64{-0.485 / 0.229, -0.456 / 0.224, -0.406 / 0.225}
	unitMul     = [3]float64{1.0 / 255, 1.0 / 255, 1.0 / 255}
	tanhMul     = [3]float64{127.5, 127.5, 127.5}
)

// awayFromHalves draws x such that x·mul[c] + add[c] lies in [-40, 295) at least 0.1 from
// any k+½, where rounding could go either way between float32 and float64: the values
// clamp at both ends and the reference is exact. hw is the plane size, for the channel; a
// gray image ([N,1,H,W]) takes channel 0's, and its mul and add must be the same for all.
func (in *Inputs) awayFromHalves(shape []int, mul, add [3]float64) (*gpu.Tensor, []float64) {
	hw := shape[2] * shape[3]
	i := 0
	return in.random(func() float64 {
		c := (i / hw) % shape[1]
		i++
		frac := 0.1 + 0.3*in.rng.Float64()
		if in.rng.IntN(2) == 0 {
			frac += 0.5
		}
		v := float64(in.rng.IntN(335)-40) + frac
		return (v - add[c]) / mul[c]
	}, shape)
}

func imageCases() []Case {
	var cs []Case
	for _, c := range []struct {
		n, h, w  int
		mul, add [3]float64
		name     string
	}{
		{2, 13, 17, imagenetMul, imagenetAdd, "imagenet"},
		{1, 37, 53, unitMul, [3]float64{}, "unit"},
		{3, 1, 1, [3]float64{1, -2, 0.5}, [3]float64{0.25, 300, -7}, "mixed"},
	} {
		cs = append(cs, Case{Op: "ImageToTensor", Name: fmt.Sprintf("%dx%dx%d_%s", c.n, c.h, c.w, c.name),
			run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				im, px := in.image(c.n, c.h, c.w)
				return b.ImageToTensor(im, c.mul, c.add), ref.ImageToTensor(px, c.n, c.h*c.w, c.mul, c.add)
			}})
	}
	for _, c := range []struct {
		x        []int
		mul, add [3]float64
		name     string
	}{
		{[]int{2, 3, 13, 17}, [3]float64{255, 200, 127.5}, [3]float64{0, 20, 127.5}, "mixed"},
		{[]int{1, 3, 37, 53}, tanhMul, tanhMul, "tanh"},
	} {
		cs = append(cs, Case{Op: "TensorToImage", Name: fmt.Sprintf("%v_%s", c.x, c.name),
			run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				x, xv := in.awayFromHalves(c.x, c.mul, c.add)
				in.expectImage(b.TensorToImage(x, c.mul, c.add), ref.TensorToImage(xv, c.x[0], c.x[2]*c.x[3], c.mul, c.add))
				return nil, nil
			}})
	}
	// Gray images (R = G = B from the one channel) and rows padded to rowPixels: a
	// generator's 32×32 digits drawn into a canvas, whose rows must be 64 pixels.
	for _, c := range []struct {
		x        []int
		rw       int
		mul, add [3]float64
		name     string
	}{
		{[]int{2, 1, 13, 17}, 17, tanhMul, tanhMul, "gray"},
		{[]int{3, 1, 32, 32}, 64, tanhMul, tanhMul, "gray_rows64"},
		{[]int{2, 3, 5, 7}, 19, [3]float64{255, 200, 127.5}, [3]float64{0, 20, 127.5}, "rows19"},
	} {
		op := "TensorToImageRows"
		if c.rw == c.x[3] {
			op = "TensorToImage"
		}
		cs = append(cs, Case{Op: op, Name: fmt.Sprintf("%v_%s", c.x, c.name),
			run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				x, xv := in.awayFromHalves(c.x, c.mul, c.add)
				var im *gpu.Image
				if op == "TensorToImage" {
					im = b.TensorToImage(x, c.mul, c.add)
				} else {
					im = b.TensorToImageRows(x, c.mul, c.add, c.rw)
				}
				in.expectImage(im, ref.TensorToImageRows(xv, c.x[0], c.x[1], c.x[2], c.x[3], c.rw, c.mul, c.add))
				return nil, nil
			}})
	}
	// Exact halves round up, NaN gives 0, infinities clamp.
	cs = append(cs, Case{Op: "TensorToImage", Name: "[1 3 7 11]_halves_nan_inf", run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
		shape := []int{1, 3, 7, 11}
		special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -0.5, 0.5, 254.5, 255.5, -1e30, 1e30}
		x, xv := in.random(func() float64 {
			if in.rng.IntN(4) == 0 {
				return special[in.rng.IntN(len(special))]
			}
			return float64(in.rng.IntN(300)-20) + 0.5
		}, shape)
		one := [3]float64{1, 1, 1}
		in.expectImage(b.TensorToImage(x, one, [3]float64{}), ref.TensorToImage(xv, 1, 77, one, [3]float64{}))
		return nil, nil
	}})
	// Image → tensor → image: the identity (alpha becomes 255), and a contrast stretch
	// that clamps both ends (1.6·byte - 60 is never within 0.1 of a half).
	for _, c := range []struct {
		mul, add [3]float64
		name     string
	}{
		{[3]float64{255, 255, 255}, [3]float64{}, "identity"},
		{[3]float64{255 * 1.6, 255 * 1.6, 255 * 1.6}, [3]float64{-60, -60, -60}, "stretch"},
	} {
		cs = append(cs, Case{Op: "ImageRoundTrip", Name: "2x19x23_" + c.name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			im, px := in.image(2, 19, 23)
			x := b.ImageToTensor(im, unitMul, [3]float64{})
			if x != nil {
				in.ts = append(in.ts, x)
			}
			xv := ref.ImageToTensor(px, 2, 19*23, unitMul, [3]float64{})
			in.expectImage(b.TensorToImage(x, c.mul, c.add), ref.TensorToImage(xv, 2, 19*23, c.mul, c.add))
			return nil, nil
		}})
	}
	return cs
}
