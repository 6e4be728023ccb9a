package opcheck

import (
	"fmt"
	"math"

	"easel/gpu"
	"easel/gpu/ref"
)

// backwardShapes are odd, non-square and batched, and small: the elementwise kernels'
// large-grid path is covered by elementwiseCases.
var backwardShapes = [][]int{{2, 5, 7, 11}, {1, 3, 37, 53}, {3, 1, 1, 1}}

// lossShapes take one reduction stage (210 and 3 elements) and two (11766).
var lossShapes = [][]int{{2, 3, 5, 7}, {2, 3, 37, 53}, {3}}

// backwardCases checks the backward of the activations, and Broadcast and MulScalar (the
// backward of Sum and Mean, and the scaling by a run-time scalar).
func backwardCases() []Case {
	var cs []Case
	acts := []struct {
		op  string
		gpu func(b *gpu.Batch, dy, x *gpu.Tensor) *gpu.Tensor
		ref func(dy, x []float64) []float64
		// input draws the second argument: the input x, or the forward output y.
		input func(in *Inputs, shape []int) (*gpu.Tensor, []float64)
	}{
		{"ReLUBackward", (*gpu.Batch).ReLUBackward, ref.ReLUBackward, withZeros},
		{"LeakyReLUBackward", func(b *gpu.Batch, dy, x *gpu.Tensor) *gpu.Tensor { return b.LeakyReLUBackward(dy, x, 0.2) },
			func(dy, x []float64) []float64 { return ref.LeakyReLUBackward(dy, x, 0.2) }, withZeros},
		{"HardtanhBackward", func(b *gpu.Batch, dy, x *gpu.Tensor) *gpu.Tensor { return b.HardtanhBackward(dy, x, 0, 6) },
			func(dy, x []float64) []float64 { return ref.HardtanhBackward(dy, x, 0, 6) }, atBounds(0, 6)},
		{"TanhBackward", (*gpu.Batch).TanhBackward, ref.TanhBackward, outputOf(ref.Tanh)},
		{"SigmoidBackward", (*gpu.Batch).SigmoidBackward, ref.SigmoidBackward, outputOf(ref.Sigmoid)},
	}
	for _, a := range acts {
		for _, s := range backwardShapes {
			cs = append(cs, Case{Op: a.op, Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				dy, dyv := in.Randn(s...)
				x, xv := a.input(in, s)
				return a.gpu(b, dy, x), a.ref(dyv, xv)
			}})
		}
	}
	for _, s := range backwardShapes {
		n := 1
		for _, d := range s {
			n *= d
		}
		cs = append(cs, Case{Op: "Broadcast", Name: fmt.Sprint(s, " sum"), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			dy, dyv := in.Uniform(0.5, 2, 1)
			return b.Broadcast(dy, 1, s...), ref.SumBackward(dyv[0], n)
		}})
		cs = append(cs, Case{Op: "Broadcast", Name: fmt.Sprint(s, " mean"), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			dy, dyv := in.Uniform(-2, -0.5, 1)
			return b.Broadcast(dy, 1/float64(n), s...), ref.MeanBackward(dyv[0], n)
		}})
		cs = append(cs, Case{Op: "MulScalar", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			x, xv := in.Randn(s...)
			k, kv := in.Uniform(-3, 3, 1)
			return b.MulScalar(x, k), ref.Unary(xv, func(v float64) float64 { return v * kv[0] })
		}})
	}
	return cs
}

// withZeros draws normal values with every fifth exactly 0, where ReLU's gradient is 0
// and LeakyReLU's takes the slope, as in PyTorch.
func withZeros(in *Inputs, shape []int) (*gpu.Tensor, []float64) {
	return in.random(func() float64 {
		if in.rng.IntN(5) == 0 {
			return 0
		}
		return in.rng.NormFloat64()
	}, shape)
}

// atBounds draws values on both sides of [lo, hi] with every fifth exactly lo and every
// fifth exactly hi, where Hardtanh's gradient is 0, as in PyTorch.
func atBounds(lo, hi float64) func(in *Inputs, shape []int) (*gpu.Tensor, []float64) {
	return func(in *Inputs, shape []int) (*gpu.Tensor, []float64) {
		return in.random(func() float64 {
			switch in.rng.IntN(5) {
			case 0:
				return lo
			case 1:
				return hi
			}
			return lo - (hi-lo)/2 + 2*(hi-lo)*in.rng.Float64()
		}, shape)
	}
}

// outputOf draws f(4·normal), rounded to float32: an activation's output, saturated in part.
func outputOf(f func(float64) float64) func(in *Inputs, shape []int) (*gpu.Tensor, []float64) {
	return func(in *Inputs, shape []int) (*gpu.Tensor, []float64) {
		return in.random(func() float64 { return f(4 * in.rng.NormFloat64()) }, shape)
	}
}

// targets draws BCE targets: 0, 1 and fractional, a third each.
func (in *Inputs) targets(shape []int) (*gpu.Tensor, []float64) {
	return in.random(func() float64 {
		switch in.rng.IntN(3) {
		case 0:
			return 0
		case 1:
			return 1
		}
		return in.rng.Float64()
	}, shape)
}

// probabilities draws p in [0, 1]: a tenth exactly 0, a tenth exactly 1 (where BCE's logs
// clamp at -100), a tenth within 1e-7..1e-3 of 0 and a tenth of 1, the rest uniform.
func (in *Inputs) probabilities(shape []int) (*gpu.Tensor, []float64) {
	return in.random(func() float64 {
		near := math.Pow(10, -3-4*in.rng.Float64())
		switch in.rng.IntN(10) {
		case 0:
			return 0
		case 1:
			return 1
		case 2:
			return near
		case 3:
			return 1 - near
		}
		return in.rng.Float64()
	}, shape)
}

// interior draws p in (1e-3, 1-1e-3) for BCE's backward (whose 1e-12 clamp would
// otherwise give gradients of 1e12): a fifth within 1e-2 of either end.
func (in *Inputs) interior(shape []int) (*gpu.Tensor, []float64) {
	return in.random(func() float64 {
		u := in.rng.Float64()
		switch in.rng.IntN(5) {
		case 0:
			return 1e-3 + 9e-3*u
		case 1:
			return 1 - 1e-3 - 9e-3*u
		}
		return 0.01 + 0.98*u
	}, shape)
}

// logits draws 4·normal with a tenth at ±40 and a tenth at ±(15..40).
func (in *Inputs) logits(shape []int) (*gpu.Tensor, []float64) {
	return in.random(func() float64 {
		sign := float64(1 - 2*in.rng.IntN(2))
		switch in.rng.IntN(10) {
		case 0:
			return 40 * sign
		case 1:
			return (15 + 25*in.rng.Float64()) * sign
		}
		return 4 * in.rng.NormFloat64()
	}, shape)
}

// labels draws n class indices in [0, c) as float32, and the same as ints. With wild set,
// a quarter are out of range or fractional instead, and the ints are what the kernel
// documents: truncated and clamped into [0, c).
func (in *Inputs) labels(n, c int, wild bool) (*gpu.Tensor, []int) {
	t, v := in.random(func() float64 {
		if wild && in.rng.IntN(4) == 0 {
			return []float64{-3, -0.5, float64(c), float64(c) + 7.5, 1e9, 0.9, float64(c) - 0.25}[in.rng.IntN(7)]
		}
		return float64(in.rng.IntN(c))
	}, []int{n})
	idx := make([]int, n)
	for i, l := range v {
		idx[i] = int(math.Min(math.Max(l, 0), float64(c-1)))
	}
	return t, idx
}

// ceShapes are [N, C]: one row, few and many classes, and enough rows for two stages.
var ceShapes = [][2]int{{1, 3}, {7, 10}, {33, 5}, {2, 1000}, {517, 13}}

// tvShapes are [N, C, H, W], with planes of one row and of one column.
var tvShapes = [][]int{{2, 3, 5, 7}, {1, 3, 37, 53}, {2, 1, 1, 9}, {1, 2, 9, 1}, {3, 2, 17, 4}}

// lossCases checks every loss forward and backward; the upstream gradient dy is a [1]
// tensor.
func lossCases() []Case {
	var cs []Case
	for _, s := range lossShapes {
		name := fmt.Sprint(s)
		cs = append(cs,
			Case{Op: "BCE", Name: name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				p, pv := in.probabilities(s)
				t, tv := in.targets(s)
				return b.BCE(p, t), []float64{ref.BCE(pv, tv)}
			}},
			Case{Op: "BCEBackward", Name: name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				dy, dyv := in.Uniform(0.5, 2, 1)
				p, pv := in.interior(s)
				t, tv := in.targets(s)
				return b.BCEBackward(dy, p, t), ref.BCEBackward(dyv[0], pv, tv)
			}},
			Case{Op: "BCEWithLogits", Name: name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				z, zv := in.logits(s)
				t, tv := in.targets(s)
				return b.BCEWithLogits(z, t), []float64{ref.BCEWithLogits(zv, tv)}
			}},
			Case{Op: "BCEWithLogitsBackward", Name: name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				dy, dyv := in.Uniform(-2, -0.5, 1)
				z, zv := in.logits(s)
				t, tv := in.targets(s)
				return b.BCEWithLogitsBackward(dy, z, t), ref.BCEWithLogitsBackward(dyv[0], zv, tv)
			}},
			Case{Op: "MSEBackward", Name: name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				dy, dyv := in.Uniform(0.5, 2, 1)
				x, xv := in.Randn(s...)
				y, yv := in.Randn(s...)
				return b.MSEBackward(dy, x, y), ref.MSEBackward(dyv[0], xv, yv)
			}},
		)
	}
	for _, s := range ceShapes {
		n, c := s[0], s[1]
		for _, wild := range []bool{false, true} {
			name := fmt.Sprint([]int{n, c})
			if wild {
				if n < 7 {
					continue
				}
				name += " labels out of range"
			}
			cs = append(cs,
				Case{Op: "CrossEntropy", Name: name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
					x, xv := in.Uniform(-6, 6, n, c)
					l, lv := in.labels(n, c, wild)
					return b.CrossEntropy(x, l), []float64{ref.CrossEntropy(xv, n, c, lv)}
				}},
				Case{Op: "CrossEntropyBackward", Name: name, run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
					dy, dyv := in.Uniform(0.5, 2, 1)
					x, xv := in.Uniform(-6, 6, n, c)
					l, lv := in.labels(n, c, wild)
					return b.CrossEntropyBackward(dy, x, l), ref.CrossEntropyBackward(dyv[0], xv, n, c, lv)
				}},
			)
		}
	}
	for _, s := range tvShapes {
		cs = append(cs,
			Case{Op: "TotalVariation", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				x, xv := in.Randn(s...)
				return b.TotalVariation(x), []float64{ref.TotalVariation(xv, s)}
			}},
			Case{Op: "TotalVariationBackward", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				dy, dyv := in.Uniform(0.5, 2, 1)
				x, xv := in.Randn(s...)
				return b.TotalVariationBackward(dy, x), ref.TotalVariationBackward(dyv[0], xv, s)
			}},
		)
	}
	return cs
}
