package autograd

import (
	"fmt"
	"slices"

	"easel/gpu"
)

// tensors returns the values of vs, nil for a nil variable.
func tensor(v *Var) *gpu.Tensor {
	if v == nil {
		return nil
	}
	return v.t
}

// if1 returns v when cond holds, else nil: what an op saves for backward depends on which
// inputs need gradients.
func if1(cond bool, v *Var) *Var {
	if cond {
		return v
	}
	return nil
}

// Conv2D is gpu.Batch.Conv2D; bias may be nil.
func (tp *Tape) Conv2D(x, w, bias *Var, p gpu.Conv2DParams) *Var {
	if !tp.live("Conv2D", x, w) || bias != nil && !tp.live("Conv2D", bias) {
		return nil
	}
	b := tp.b
	xs, ws := x.t.Shape(), w.t.Shape()
	y := b.Conv2D(x.t, w.t, tensor(bias), p)
	return tp.record("Conv2D", y, []*Var{x, w, bias}, []*Var{if1(needs(w), x), if1(needs(x), w)},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			var dx, dw, db *gpu.Tensor
			if needs(x) {
				dx = b.Conv2DBackwardInput(dy, w.t, xs, p)
			}
			if needs(w) {
				dw = b.Conv2DBackwardWeight(x.t, dy, ws, p)
			}
			if needs(bias) {
				db = b.BiasBackward(dy)
			}
			return []*gpu.Tensor{dx, dw, db}
		})
}

// DepthwiseConv2D is gpu.Batch.DepthwiseConv2D (PyTorch Conv2d with groups = channels,
// w [C, 1, kH, kW]); bias may be nil.
func (tp *Tape) DepthwiseConv2D(x, w, bias *Var, p gpu.Conv2DParams) *Var {
	const op = "DepthwiseConv2D"
	if !tp.live(op, x, w) || bias != nil && !tp.live(op, bias) {
		return nil
	}
	b := tp.b
	xs, ws := x.t.Shape(), w.t.Shape()
	y := b.DepthwiseConv2D(x.t, w.t, tensor(bias), p)
	return tp.record(op, y, []*Var{x, w, bias}, []*Var{if1(needs(w), x), if1(needs(x), w)},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			var dx, dw, db *gpu.Tensor
			if needs(x) {
				dx = b.DepthwiseConv2DBackwardInput(dy, w.t, xs, p)
			}
			if needs(w) {
				dw = b.DepthwiseConv2DBackwardWeight(x.t, dy, ws, p)
			}
			if needs(bias) {
				db = b.BiasBackward(dy)
			}
			return []*gpu.Tensor{dx, dw, db}
		})
}

// ConvTranspose2D is gpu.Batch.ConvTranspose2D; bias may be nil.
func (tp *Tape) ConvTranspose2D(x, w, bias *Var, p gpu.ConvTranspose2DParams) *Var {
	if !tp.live("ConvTranspose2D", x, w) || bias != nil && !tp.live("ConvTranspose2D", bias) {
		return nil
	}
	b := tp.b
	xs, ws := x.t.Shape(), w.t.Shape()
	y := b.ConvTranspose2D(x.t, w.t, tensor(bias), p)
	return tp.record("ConvTranspose2D", y, []*Var{x, w, bias}, []*Var{if1(needs(w), x), if1(needs(x), w)},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			var dx, dw, db *gpu.Tensor
			if needs(x) {
				dx = b.ConvTranspose2DBackwardInput(dy, w.t, xs, p)
			}
			if needs(w) {
				dw = b.ConvTranspose2DBackwardWeight(x.t, dy, ws, p)
			}
			if needs(bias) {
				db = b.BiasBackward(dy)
			}
			return []*gpu.Tensor{dx, dw, db}
		})
}

// UpsampleNearest is gpu.Batch.UpsampleNearest.
func (tp *Tape) UpsampleNearest(x *Var, scale int) *Var {
	if !tp.live("UpsampleNearest", x) {
		return nil
	}
	b := tp.b
	return tp.record("UpsampleNearest", b.UpsampleNearest(x.t, scale), []*Var{x}, nil,
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.UpsampleNearestBackward(dy, scale)} })
}

// UpsampleConv2D is gpu.Batch.UpsampleConv2D, fused forward. Its backward upsamples x
// again for the weight gradient instead of keeping the upsampled input all along.
func (tp *Tape) UpsampleConv2D(x, w, bias *Var, scale int, p gpu.Conv2DParams) *Var {
	if !tp.live("UpsampleConv2D", x, w) || bias != nil && !tp.live("UpsampleConv2D", bias) {
		return nil
	}
	b := tp.b
	ws := w.t.Shape()
	xs := x.t.Shape()
	up := []int{xs[0], xs[1], xs[2] * scale, xs[3] * scale}
	y := b.UpsampleConv2D(x.t, w.t, tensor(bias), scale, p)
	return tp.record("UpsampleConv2D", y, []*Var{x, w, bias}, []*Var{if1(needs(w), x), if1(needs(x), w)},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			var dx, dw, db *gpu.Tensor
			if needs(x) {
				du := b.Conv2DBackwardInput(dy, w.t, up, p)
				dx = b.UpsampleNearestBackward(du, scale)
				tp.reuse(du)
			}
			if needs(w) {
				u := b.UpsampleNearest(x.t, scale)
				dw = b.Conv2DBackwardWeight(u, dy, ws, p)
				tp.reuse(u)
			}
			if needs(bias) {
				db = b.BiasBackward(dy)
			}
			return []*gpu.Tensor{dx, dw, db}
		})
}

// BatchNormTrain is gpu.Batch.BatchNormTrain: batch statistics, running statistics
// updated in place. gamma and beta are both nil or both set.
func (tp *Tape) BatchNormTrain(x, gamma, beta *Var, runMean, runVar *gpu.Tensor, momentum, eps float64) *Var {
	if !tp.live("BatchNormTrain", x) || gamma != nil && !tp.live("BatchNormTrain", gamma, beta) {
		return nil
	}
	b := tp.b
	y := b.BatchNormTrain(x.t, tensor(gamma), tensor(beta), runMean, runVar, momentum, eps)
	return tp.record("BatchNormTrain", y, []*Var{x, gamma, beta}, []*Var{x, gamma},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			dx, dg, db := b.BatchNormTrainBackward(dy, x.t, tensor(gamma), eps)
			return []*gpu.Tensor{dx, dg, db}
		})
}

// InstanceNorm is gpu.Batch.InstanceNorm; gamma and beta are both nil or both set.
func (tp *Tape) InstanceNorm(x, gamma, beta *Var, eps float64) *Var {
	if !tp.live("InstanceNorm", x) || gamma != nil && !tp.live("InstanceNorm", gamma, beta) {
		return nil
	}
	b := tp.b
	y := b.InstanceNorm(x.t, tensor(gamma), tensor(beta), eps)
	return tp.record("InstanceNorm", y, []*Var{x, gamma, beta}, []*Var{x, gamma},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			dx, dg, db := b.InstanceNormBackward(dy, x.t, tensor(gamma), eps)
			return []*gpu.Tensor{dx, dg, db}
		})
}

// ReLU is max(x, 0).
func (tp *Tape) ReLU(x *Var) *Var {
	if !tp.live("ReLU", x) {
		return nil
	}
	b := tp.b
	return tp.record("ReLU", b.ReLU(x.t), []*Var{x}, []*Var{x},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.ReLUBackward(dy, x.t)} })
}

// LeakyReLU is x for x ≥ 0, slope·x below.
func (tp *Tape) LeakyReLU(x *Var, slope float64) *Var {
	if !tp.live("LeakyReLU", x) {
		return nil
	}
	b := tp.b
	return tp.record("LeakyReLU", b.LeakyReLU(x.t, slope), []*Var{x}, []*Var{x},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.LeakyReLUBackward(dy, x.t, slope)} })
}

// Clamp is min(max(x, lo), hi) (gpu.Batch.Hardtanh): PyTorch's Hardtanh(lo, hi), ReLU6
// for [0, 6]. Its gradient passes where lo < x < hi and is 0 elsewhere, at the bounds
// too, as PyTorch's hardtanh_backward (torch.clamp's own gradient passes at the bounds).
func (tp *Tape) Clamp(x *Var, lo, hi float64) *Var {
	if !tp.live("Clamp", x) {
		return nil
	}
	b := tp.b
	return tp.record("Clamp", b.Hardtanh(x.t, lo, hi), []*Var{x}, []*Var{x},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.HardtanhBackward(dy, x.t, lo, hi)} })
}

// Tanh is the hyperbolic tangent; its backward reads the output.
func (tp *Tape) Tanh(x *Var) *Var {
	if !tp.live("Tanh", x) {
		return nil
	}
	b := tp.b
	var y *Var
	y = tp.record("Tanh", b.Tanh(x.t), []*Var{x}, []*Var{savedOutput},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.TanhBackward(dy, y.t)} })
	return y
}

// Sigmoid is 1/(1+exp(-x)); its backward reads the output.
func (tp *Tape) Sigmoid(x *Var) *Var {
	if !tp.live("Sigmoid", x) {
		return nil
	}
	b := tp.b
	var y *Var
	y = tp.record("Sigmoid", b.Sigmoid(x.t), []*Var{x}, []*Var{savedOutput},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.SigmoidBackward(dy, y.t)} })
	return y
}

// Softmax is softmax over all the elements of each sample of x [N, ...] together
// (F.softmax(x.reshape(N, -1), dim=1).reshape(x.shape)), as activation smoothing applies
// it to a feature map; its backward reads the output.
func (tp *Tape) Softmax(x *Var) *Var {
	if !tp.live("Softmax", x) {
		return nil
	}
	b := tp.b
	var y *Var
	y = tp.record("Softmax", b.Softmax(x.t), []*Var{x}, []*Var{savedOutput},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.SoftmaxBackward(dy, y.t)} })
	return y
}

// Add is x + y.
func (tp *Tape) Add(x, y *Var) *Var {
	if !tp.live("Add", x, y) {
		return nil
	}
	return tp.record("Add", tp.b.Add(x.t, y.t), []*Var{x, y}, nil,
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{dy, dy} })
}

// AddScaled is a·x + c·y.
func (tp *Tape) AddScaled(x *Var, a float64, y *Var, c float64) *Var {
	if !tp.live("AddScaled", x, y) {
		return nil
	}
	b := tp.b
	return tp.record("AddScaled", b.AddScaled(x.t, a, y.t, c), []*Var{x, y}, nil,
		func(dy *gpu.Tensor) []*gpu.Tensor {
			var dx, dz *gpu.Tensor
			if needs(x) {
				dx = b.Scale(dy, a, 0)
			}
			if needs(y) {
				dz = b.Scale(dy, c, 0)
			}
			return []*gpu.Tensor{dx, dz}
		})
}

// Mul is the elementwise product.
func (tp *Tape) Mul(x, y *Var) *Var {
	if !tp.live("Mul", x, y) {
		return nil
	}
	b := tp.b
	return tp.record("Mul", b.Mul(x.t, y.t), []*Var{x, y}, []*Var{if1(needs(x), y), if1(needs(y), x)},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			var dx, dz *gpu.Tensor
			if needs(x) {
				dx = b.Mul(dy, y.t)
			}
			if needs(y) {
				dz = b.Mul(dy, x.t)
			}
			return []*gpu.Tensor{dx, dz}
		})
}

// Scale is a·x + c.
func (tp *Tape) Scale(x *Var, a, c float64) *Var {
	if !tp.live("Scale", x) {
		return nil
	}
	b := tp.b
	return tp.record("Scale", b.Scale(x.t, a, c), []*Var{x}, nil,
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.Scale(dy, a, 0)} })
}

// MulScalar is x·s[0] for a one-element s that needs no gradient (a loss weight the caller
// writes at run time).
func (tp *Tape) MulScalar(x, s *Var) *Var {
	if !tp.live("MulScalar", x, s) {
		return nil
	}
	if s.needsGrad {
		tp.fail(fmt.Errorf("MulScalar: the gradient of the scalar is not supported; pass it as a Constant"))
		return nil
	}
	b := tp.b
	return tp.record("MulScalar", b.MulScalar(x.t, s.t), []*Var{x, s}, []*Var{s},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.MulScalar(dy, s.t), nil} })
}

// Sum is the sum of all elements, [1].
func (tp *Tape) Sum(x *Var) *Var {
	if !tp.live("Sum", x) {
		return nil
	}
	b := tp.b
	shape := x.t.Shape()
	return tp.record("Sum", b.Sum(x.t), []*Var{x}, nil,
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.Broadcast(dy, 1, shape...)} })
}

// Mean is the mean of all elements, [1].
func (tp *Tape) Mean(x *Var) *Var {
	if !tp.live("Mean", x) {
		return nil
	}
	b := tp.b
	shape := x.t.Shape()
	n := float64(x.t.Len())
	return tp.record("Mean", b.Mean(x.t), []*Var{x}, nil,
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.Broadcast(dy, 1/n, shape...)} })
}

// constantTarget refuses a loss target that needs a gradient.
func (tp *Tape) constantTarget(op string, target *Var) bool {
	if target.needsGrad {
		tp.fail(fmt.Errorf("%s: the target needs a gradient, which is not supported; pass it as a Constant", op))
		return false
	}
	return true
}

// MSE is mean((x-y)²), [1]; both sides may need gradients.
func (tp *Tape) MSE(x, y *Var) *Var {
	if !tp.live("MSE", x, y) {
		return nil
	}
	b := tp.b
	return tp.record("MSE", b.MSE(x.t, y.t), []*Var{x, y}, []*Var{x, y},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			g := b.MSEBackward(dy, x.t, y.t)
			switch {
			case needs(x) && needs(y):
				return []*gpu.Tensor{g, b.Scale(g, -1, 0)}
			case needs(x):
				return []*gpu.Tensor{g, nil}
			}
			ng := b.Scale(g, -1, 0)
			tp.reuse(g)
			return []*gpu.Tensor{nil, ng}
		})
}

// BCE is nn.BCELoss (mean) of probabilities p against a constant target.
func (tp *Tape) BCE(p, target *Var) *Var {
	if !tp.live("BCE", p, target) || !tp.constantTarget("BCE", target) {
		return nil
	}
	b := tp.b
	return tp.record("BCE", b.BCE(p.t, target.t), []*Var{p, target}, []*Var{p, target},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.BCEBackward(dy, p.t, target.t), nil} })
}

// BCEWithLogits is nn.BCEWithLogitsLoss (mean) of logits z against a constant target.
func (tp *Tape) BCEWithLogits(z, target *Var) *Var {
	if !tp.live("BCEWithLogits", z, target) || !tp.constantTarget("BCEWithLogits", target) {
		return nil
	}
	b := tp.b
	return tp.record("BCEWithLogits", b.BCEWithLogits(z.t, target.t), []*Var{z, target}, []*Var{z, target},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			return []*gpu.Tensor{b.BCEWithLogitsBackward(dy, z.t, target.t), nil}
		})
}

// CrossEntropy is nn.CrossEntropyLoss (mean) of logits [N,C] against class indices [N]
// (held as float32).
func (tp *Tape) CrossEntropy(logits, labels *Var) *Var {
	if !tp.live("CrossEntropy", logits, labels) || !tp.constantTarget("CrossEntropy", labels) {
		return nil
	}
	b := tp.b
	return tp.record("CrossEntropy", b.CrossEntropy(logits.t, labels.t), []*Var{logits, labels}, []*Var{logits, labels},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			return []*gpu.Tensor{b.CrossEntropyBackward(dy, logits.t, labels.t), nil}
		})
}

// TotalVariation is gpu.Batch.TotalVariation, [1].
func (tp *Tape) TotalVariation(x *Var) *Var {
	if !tp.live("TotalVariation", x) {
		return nil
	}
	b := tp.b
	return tp.record("TotalVariation", b.TotalVariation(x.t), []*Var{x}, []*Var{x},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.TotalVariationBackward(dy, x.t)} })
}

// Linear is nn.Linear: x wᵀ + bias; bias may be nil.
func (tp *Tape) Linear(x, w, bias *Var) *Var {
	if !tp.live("Linear", x, w) || bias != nil && !tp.live("Linear", bias) {
		return nil
	}
	b := tp.b
	return tp.record("Linear", b.Linear(x.t, w.t, tensor(bias)), []*Var{x, w, bias}, []*Var{x, w},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			dx, dw, db := b.LinearBackward(dy, x.t, w.t, bias != nil)
			return []*gpu.Tensor{dx, dw, db}
		})
}

// MatMul is the matrix product a @ c (gpu.Batch.MatMul's shapes).
func (tp *Tape) MatMul(a, c *Var) *Var {
	if !tp.live("MatMul", a, c) {
		return nil
	}
	b := tp.b
	return tp.record("MatMul", b.MatMul(a.t, c.t), []*Var{a, c}, []*Var{a, c},
		func(dy *gpu.Tensor) []*gpu.Tensor {
			da, dc := b.MatMulBackward(dy, a.t, c.t)
			return []*gpu.Tensor{da, dc}
		})
}

// Gram is the style loss's Gram matrix of x [N,C,H,W], [N,C,C].
func (tp *Tape) Gram(x *Var) *Var {
	if !tp.live("Gram", x) {
		return nil
	}
	b := tp.b
	return tp.record("Gram", b.Gram(x.t), []*Var{x}, []*Var{x},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.GramBackward(dy, x.t)} })
}

// Concat joins xs along dim, like torch.cat.
func (tp *Tape) Concat(dim int, xs ...*Var) *Var {
	if !tp.live("Concat", xs...) {
		return nil
	}
	b := tp.b
	ts := make([]*gpu.Tensor, len(xs))
	sizes := make([]int, len(xs))
	for i, x := range xs {
		ts[i] = x.t
		sizes[i] = x.t.Dim(dim)
	}
	return tp.record("Concat", b.Concat(dim, ts...), xs, nil,
		func(dy *gpu.Tensor) []*gpu.Tensor {
			d := dim
			if d < 0 {
				d += len(dy.Shape())
			}
			gs := make([]*gpu.Tensor, len(xs))
			start := 0
			for i, x := range xs {
				if needs(x) {
					gs[i] = b.Slice(dy, d, start, sizes[i])
				}
				start += sizes[i]
			}
			return gs
		})
}

// Slice is gpu.Batch.Slice, x.narrow(dim, start, length): a copy of positions
// start..start+length-1 of dimension dim. Its backward puts dy back where the slice came
// from, zeros elsewhere (one head of a network's output feeding one loss).
func (tp *Tape) Slice(x *Var, dim, start, length int) *Var {
	if !tp.live("Slice", x) {
		return nil
	}
	b := tp.b
	xs := x.t.Shape()
	return tp.record("Slice", b.Slice(x.t, dim, start, length), []*Var{x}, nil,
		func(dy *gpu.Tensor) []*gpu.Tensor {
			d := dim
			if d < 0 {
				d += len(xs)
			}
			var parts, zeros []*gpu.Tensor
			for _, n := range []int{start, xs[d] - start - length} {
				if n == 0 {
					continue
				}
				s := slices.Clone(xs)
				s[d] = n
				z := b.NewTensor(s...)
				b.Fill(z, 0)
				zeros = append(zeros, z)
			}
			if start > 0 {
				parts = append(parts, zeros[0])
			}
			parts = append(parts, dy)
			if start+length < xs[d] {
				parts = append(parts, zeros[len(zeros)-1])
			}
			dx := b.Concat(d, parts...)
			for _, z := range zeros {
				tp.reuse(z)
			}
			return []*gpu.Tensor{dx}
		})
}

// MaxPool2D is gpu.Batch.MaxPool2D.
func (tp *Tape) MaxPool2D(x *Var, p gpu.Pool2DParams) *Var {
	if !tp.live("MaxPool2D", x) {
		return nil
	}
	b := tp.b
	return tp.record("MaxPool2D", b.MaxPool2D(x.t, p), []*Var{x}, []*Var{x},
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.MaxPool2DBackward(dy, x.t, p)} })
}

// AvgPool2D is gpu.Batch.AvgPool2D.
func (tp *Tape) AvgPool2D(x *Var, p gpu.Pool2DParams) *Var {
	if !tp.live("AvgPool2D", x) {
		return nil
	}
	b := tp.b
	xs := x.t.Shape()
	return tp.record("AvgPool2D", b.AvgPool2D(x.t, p), []*Var{x}, nil,
		func(dy *gpu.Tensor) []*gpu.Tensor { return []*gpu.Tensor{b.AvgPool2DBackward(dy, xs, p)} })
}

// Reshape is a view of x with another shape of the same element count; it keeps x's value
// alive as long as it needs it.
func (tp *Tape) Reshape(x *Var, shape ...int) *Var {
	if !tp.live("Reshape", x) {
		return nil
	}
	t, err := x.t.Reshape(shape...)
	if err != nil {
		tp.fail(fmt.Errorf("Reshape: %w", err))
		return nil
	}
	xs := x.t.Shape()
	v := &Var{tape: tp, t: t, needsGrad: x.needsGrad, base: x}
	x.saves++
	tp.vars = append(tp.vars, v)
	if !v.needsGrad {
		return v
	}
	n := &node{name: "Reshape", inputs: []*Var{x}, out: v, backward: func(dy *gpu.Tensor) []*gpu.Tensor {
		g, err := dy.Reshape(xs...)
		if err != nil {
			tp.fail(fmt.Errorf("Reshape backward: %w", err))
		}
		return []*gpu.Tensor{g}
	}}
	v.node = n
	tp.nodes = append(tp.nodes, n)
	return v
}
