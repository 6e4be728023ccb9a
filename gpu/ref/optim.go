package ref

import "math"

// Optimizer updates in place, one step, following PyTorch 1.13's single-tensor
// implementations (torch/optim/adam.py, adamw.py, sgd.py, rmsprop.py) in float64.

// AdamParams are the hyperparameters of torch.optim.Adam (Decoupled false: weight decay
// added to the gradient) or AdamW (Decoupled true: parameters shrunk by 1-LR·WeightDecay).
type AdamParams struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	Decoupled                          bool
}

// AdamStep updates p, m and v in place by step t ≥ 1 of Adam with gradient g.
func AdamStep(p, g, m, v []float64, h AdamParams, t int) {
	bc1 := 1 - math.Pow(h.Beta1, float64(t))
	bc2 := 1 - math.Pow(h.Beta2, float64(t))
	for i := range p {
		d := g[i]
		if h.Decoupled {
			p[i] *= 1 - h.LR*h.WeightDecay
		} else if h.WeightDecay != 0 {
			d += h.WeightDecay * p[i]
		}
		m[i] = h.Beta1*m[i] + (1-h.Beta1)*d
		v[i] = h.Beta2*v[i] + (1-h.Beta2)*d*d
		denom := math.Sqrt(v[i])/math.Sqrt(bc2) + h.Eps
		p[i] -= h.LR / bc1 * m[i] / denom
	}
}

// SGDParams are the hyperparameters of torch.optim.SGD.
type SGDParams struct {
	LR, Momentum, Dampening, WeightDecay float64
	Nesterov                             bool
}

// SGDStep updates p and the momentum buffer buf in place by one step of SGD with gradient
// g. first says buf holds nothing yet: it then becomes the gradient. buf is unused (and
// may be nil) when Momentum is 0.
func SGDStep(p, g, buf []float64, h SGDParams, first bool) {
	for i := range p {
		d := g[i]
		if h.WeightDecay != 0 {
			d += h.WeightDecay * p[i]
		}
		if h.Momentum != 0 {
			if first {
				buf[i] = d
			} else {
				buf[i] = h.Momentum*buf[i] + (1-h.Dampening)*d
			}
			if h.Nesterov {
				d += h.Momentum * buf[i]
			} else {
				d = buf[i]
			}
		}
		p[i] -= h.LR * d
	}
}

// RMSpropParams are the hyperparameters of torch.optim.RMSprop.
type RMSpropParams struct {
	LR, Alpha, Eps, WeightDecay, Momentum float64
	Centered                              bool
}

// RMSpropStep updates p, the square average sq, the momentum buffer buf (used when
// Momentum > 0) and the gradient average gavg (used when Centered) in place by one step of
// RMSprop with gradient g.
func RMSpropStep(p, g, sq, buf, gavg []float64, h RMSpropParams) {
	for i := range p {
		d := g[i]
		if h.WeightDecay != 0 {
			d += h.WeightDecay * p[i]
		}
		sq[i] = h.Alpha*sq[i] + (1-h.Alpha)*d*d
		var avg float64
		if h.Centered {
			gavg[i] = h.Alpha*gavg[i] + (1-h.Alpha)*d
			avg = math.Sqrt(sq[i] - gavg[i]*gavg[i])
		} else {
			avg = math.Sqrt(sq[i])
		}
		avg += h.Eps
		if h.Momentum > 0 {
			buf[i] = h.Momentum*buf[i] + d/avg
			p[i] -= h.LR * buf[i]
		} else {
			p[i] -= h.LR * d / avg
		}
	}
}
