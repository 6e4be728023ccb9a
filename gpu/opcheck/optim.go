package opcheck

import (
	"fmt"
	"math"

	"easel/gpu"
	"easel/gpu/ref"
)

// The optimizer cases update parameters and state in place and compare every updated
// tensor with the reference. Learning rates are large (0.1 to 0.5) so that the update is
// of the order of the parameters and an error in it shows in the relative error; one
// RMSprop case has WGAN's lr 5e-5 on parameters of the same small scale. Several steps
// chain in one batch, each with its own hyperparameter tensor (bias corrections t = 5, 6,
// 7), so the step count lives in the uniform, not the pipeline.

// optimLens are odd: one partial workgroup, and many.
var optimLens = []int{37, 3001}

func optimCases() []Case {
	var cs []Case
	adam := []struct {
		name  string
		h     ref.AdamParams
		steps []int // bias-correction step of each chained update
		fresh bool  // zero moments, as before the first step
	}{
		{"t=1 fresh", ref.AdamParams{LR: 0.5, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, []int{1}, true},
		{"t=7 wd=0.05", ref.AdamParams{LR: 0.3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05}, []int{7}, false},
		{"AdamW t=7 wd=0.1", ref.AdamParams{LR: 0.3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1, Decoupled: true}, []int{7}, false},
		{"AdamW t=1,2,3 fresh", ref.AdamParams{LR: 0.2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.01, Decoupled: true}, []int{1, 2, 3}, true},
		{"t=5,6,7 betas 0.5,0.9 eps 1e-3", ref.AdamParams{LR: 0.1, Beta1: 0.5, Beta2: 0.9, Eps: 1e-3}, []int{5, 6, 7}, false},
	}
	for _, c := range adam {
		for _, n := range optimLens {
			cs = append(cs, Case{Op: "AdamStep", Name: fmt.Sprintf("%s [%d]", c.name, n), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				p, pv := in.Randn(n)
				m, mv := in.Uniform(0, 0, n)
				v, vv := in.Uniform(0, 0, n)
				if !c.fresh {
					m, mv = in.scaled(0.3, n)
					v, vv = in.Uniform(0, 0.5, n)
				}
				for _, t := range c.steps {
					g, gv := in.Randn(n)
					h := in.values(gpu.AdamHyper(c.h.LR, c.h.Beta1, c.h.Beta2, c.h.Eps, c.h.WeightDecay, c.h.Decoupled, t))
					b.AdamStep(p, g, m, v, h)
					ref.AdamStep(pv, gv, mv, vv, c.h, t)
				}
				in.expect("param", p.Read, pv)
				in.expect("exp_avg", m.Read, mv)
				in.expect("exp_avg_sq", v.Read, vv)
				return nil, nil
			}})
		}
	}

	sgd := []struct {
		name  string
		h     ref.SGDParams
		first []bool // per chained step: the first since the buffer was made
		buf   bool   // bind a momentum buffer
	}{
		{"plain", ref.SGDParams{LR: 0.5}, []bool{false}, false},
		{"plain wd=0.05", ref.SGDParams{LR: 0.5, WeightDecay: 0.05}, []bool{false, false}, false},
		{"momentum 0 with a buffer", ref.SGDParams{LR: 0.5, WeightDecay: 0.05}, []bool{false}, true},
		{"momentum 0.9 first step", ref.SGDParams{LR: 0.3, Momentum: 0.9, WeightDecay: 0.05}, []bool{true}, true},
		{"momentum 0.9 dampening 0.1", ref.SGDParams{LR: 0.3, Momentum: 0.9, Dampening: 0.1, WeightDecay: 1e-4}, []bool{false}, true},
		{"nesterov wd=0.05", ref.SGDParams{LR: 0.3, Momentum: 0.9, WeightDecay: 0.05, Nesterov: true}, []bool{false}, true},
		{"nesterov 3 steps from the first", ref.SGDParams{LR: 0.2, Momentum: 0.8, Nesterov: true}, []bool{true, false, false}, true},
		{"momentum 0.5 3 steps from the first", ref.SGDParams{LR: 0.2, Momentum: 0.5, Dampening: 0.3}, []bool{true, false, false}, true},
	}
	for _, c := range sgd {
		for _, n := range optimLens {
			cs = append(cs, Case{Op: "SGDStep", Name: fmt.Sprintf("%s [%d]", c.name, n), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				p, pv := in.Randn(n)
				var buf *gpu.Tensor
				var bufv []float64
				if c.buf {
					buf, bufv = in.scaled(0.5, n)
					if c.first[0] {
						// The first step must not read the buffer: NaN there would show.
						buf, bufv = in.random(func() float64 { return math.NaN() }, []int{n})
					}
				}
				for _, first := range c.first {
					g, gv := in.Randn(n)
					h := in.values(gpu.SGDHyper(c.h.LR, c.h.Momentum, c.h.Dampening, c.h.WeightDecay, c.h.Nesterov, first))
					b.SGDStep(p, g, buf, h)
					ref.SGDStep(pv, gv, bufv, c.h, first)
				}
				in.expect("param", p.Read, pv)
				if buf != nil {
					in.expect("momentum_buffer", buf.Read, bufv)
				}
				return nil, nil
			}})
		}
	}

	rms := []struct {
		name  string
		h     ref.RMSpropParams
		steps int
		buf   bool // bind a momentum buffer
		small bool // parameters of the scale of WGAN's lr
	}{
		{"WGAN lr=5e-5", ref.RMSpropParams{LR: 5e-5, Alpha: 0.99, Eps: 1e-8}, 1, false, true},
		{"momentum 0.9 wd=0.05", ref.RMSpropParams{LR: 0.1, Alpha: 0.99, Eps: 1e-8, WeightDecay: 0.05, Momentum: 0.9}, 1, true, false},
		{"momentum 0 with a buffer", ref.RMSpropParams{LR: 0.1, Alpha: 0.9, Eps: 1e-8}, 1, true, false},
		{"centered", ref.RMSpropParams{LR: 0.1, Alpha: 0.99, Eps: 1e-8, Centered: true}, 1, false, false},
		{"centered momentum 0.9", ref.RMSpropParams{LR: 0.1, Alpha: 0.9, Eps: 1e-6, Momentum: 0.9, Centered: true}, 1, true, false},
		{"momentum 0.5 3 steps", ref.RMSpropParams{LR: 0.05, Alpha: 0.95, Eps: 1e-8, WeightDecay: 0.01, Momentum: 0.5}, 3, true, false},
	}
	for _, c := range rms {
		for _, n := range optimLens {
			cs = append(cs, Case{Op: "RMSpropStep", Name: fmt.Sprintf("%s [%d]", c.name, n), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				p, pv := in.Randn(n)
				if c.small {
					p, pv = in.scaled(1e-4, n)
				}
				// A running average of gradients and a square average at least its square
				// plus a variance, as after earlier steps.
				avg, varc := make([]float64, n), make([]float64, n)
				for i := range avg {
					avg[i] = 0.3 * in.rng.NormFloat64()
					varc[i] = 0.1 + 0.5*in.rng.Float64()
				}
				sqv := make([]float64, n)
				for i := range sqv {
					sqv[i] = avg[i]*avg[i] + varc[i]
				}
				sq, sqv := in.fromValues(sqv)
				var buf, gavg *gpu.Tensor
				var bufv, gavgv []float64
				if c.buf {
					buf, bufv = in.scaled(0.5, n)
				}
				if c.h.Centered {
					gavg, gavgv = in.fromValues(avg)
				}
				for range c.steps {
					g, gv := in.Randn(n)
					h := in.values(gpu.RMSpropHyper(c.h.LR, c.h.Alpha, c.h.Eps, c.h.WeightDecay, c.h.Momentum))
					b.RMSpropStep(p, g, sq, buf, gavg, h)
					ref.RMSpropStep(pv, gv, sqv, bufv, gavgv, c.h)
				}
				in.expect("param", p.Read, pv)
				in.expect("square_avg", sq.Read, sqv)
				if buf != nil {
					in.expect("momentum_buffer", buf.Read, bufv)
				}
				if gavg != nil {
					in.expect("grad_avg", gavg.Read, gavgv)
				}
				return nil, nil
			}})
		}
	}
	return cs
}

// scaled returns a tensor of normal values times s.
func (in *Inputs) scaled(s float64, n int) (*gpu.Tensor, []float64) {
	return in.random(func() float64 { return s * in.rng.NormFloat64() }, []int{n})
}

// fromValues uploads v as a flat tensor and returns v rounded through float32.
func (in *Inputs) fromValues(v []float64) (*gpu.Tensor, []float64) {
	i := 0
	return in.random(func() float64 { i++; return v[i-1] }, []int{len(v)})
}

// values uploads float32 values as a flat tensor (hyperparameters).
func (in *Inputs) values(v []float32) *gpu.Tensor {
	f := make([]float64, len(v))
	for i, x := range v {
		f[i] = float64(x)
	}
	t, _ := in.fromValues(f)
	return t
}
