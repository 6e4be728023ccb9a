package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// elementShapes are odd, non-square and batched; one is large enough to need a 2D grid.
var elementShapes = [][]int{{1, 3, 37, 53}, {2, 5, 7, 11}, {3, 1, 1, 1}, {1, 1, 1031, 1031}}

func elementwiseCases() []Case {
	var cs []Case
	unary := []struct {
		op  string
		gpu func(b *gpu.Batch, x *gpu.Tensor) *gpu.Tensor
		ref func(float64) float64
	}{
		{"ReLU", (*gpu.Batch).ReLU, ref.ReLU},
		{"LeakyReLU", func(b *gpu.Batch, x *gpu.Tensor) *gpu.Tensor { return b.LeakyReLU(x, 0.2) }, ref.LeakyReLU(0.2)},
		{"Tanh", (*gpu.Batch).Tanh, ref.Tanh},
		{"Sigmoid", (*gpu.Batch).Sigmoid, ref.Sigmoid},
		{"Scale", func(b *gpu.Batch, x *gpu.Tensor) *gpu.Tensor { return b.Scale(x, -1.5, 0.25) },
			func(v float64) float64 { return -1.5*v + 0.25 }},
	}
	for _, u := range unary {
		for _, s := range elementShapes {
			cs = append(cs, Case{Op: u.op, Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				// Wide range, so tanh and sigmoid saturate and LeakyReLU sees both signs.
				x, xv := in.Uniform(-40, 40, s...)
				return u.gpu(b, x), ref.Unary(xv, u.ref)
			}})
		}
	}
	for _, s := range elementShapes {
		cs = append(cs, Case{Op: "Hardtanh", Name: fmt.Sprint(s, " relu6"), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			// Both bounds and the inside each take about a third of the values.
			x, xv := in.Uniform(-6, 12, s...)
			return b.Hardtanh(x, 0, 6), ref.Unary(xv, ref.Hardtanh(0, 6))
		}})
	}
	cs = append(cs, Case{Op: "Hardtanh", Name: "[2 5 7 11] [-0.3, 1.7]", run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
		x, xv := in.Randn(2, 5, 7, 11)
		// The bounds as the kernel sees them, rounded to float32.
		lo, hi := float64(float32(-0.3)), float64(float32(1.7))
		return b.Hardtanh(x, -0.3, 1.7), ref.Unary(xv, ref.Hardtanh(lo, hi))
	}})
	binary := []struct {
		op  string
		gpu func(b *gpu.Batch, x, y *gpu.Tensor) *gpu.Tensor
		ref func(a, b float64) float64
	}{
		{"Add", (*gpu.Batch).Add, func(a, b float64) float64 { return a + b }},
		{"AddScaled", func(b *gpu.Batch, x, y *gpu.Tensor) *gpu.Tensor { return b.AddScaled(x, 0.7, y, -2) },
			func(a, b float64) float64 { return 0.7*a - 2*b }},
		{"Mul", (*gpu.Batch).Mul, func(a, b float64) float64 { return a * b }},
	}
	for _, o := range binary {
		for _, s := range elementShapes {
			cs = append(cs, Case{Op: o.op, Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				x, xv := in.Randn(s...)
				y, yv := in.Randn(s...)
				return o.gpu(b, x, y), ref.Binary(xv, yv, o.ref)
			}})
		}
	}
	return cs
}
