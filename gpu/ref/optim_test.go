package ref

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The optimizer references against closed forms: a constant gradient for k steps makes
// every running average a geometric sum. Odd lengths, both signs, several magnitudes.
func TestOptimClosedForms(t *testing.T) {
	const n, steps = 37, 7
	rng := rand.New(rand.NewPCG(3, 4))
	p0 := randn(rng, n)
	g := randn(rng, n)
	for i := range g {
		g[i] *= math.Pow(10, float64(i%5-2)) // 1e-2 ... 1e2
	}
	geo := func(r float64, k int) float64 { return 1 - math.Pow(r, float64(k)) }
	type check struct {
		name string
		run  func(p []float64)           // steps updates of p from p0 with gradient g
		want func(p0, g float64) float64 // p after steps, closed form
	}
	const lr, b1, b2, eps, mom, alpha = 0.01, 0.9, 0.999, 1e-8, 0.9, 0.99
	checks := []check{
		{"Adam: constant gradient, each step lr·g/(|g|+eps)", func(p []float64) {
			m, v := make([]float64, n), make([]float64, n)
			for k := 1; k <= steps; k++ {
				AdamStep(p, g, m, v, AdamParams{LR: lr, Beta1: b1, Beta2: b2, Eps: eps}, k)
			}
		}, func(p0, g float64) float64 { return p0 - steps*lr*g/(math.Abs(g)+eps) }},
		{"AdamW: zero gradient shrinks by (1-lr·wd)^k", func(p []float64) {
			m, v := make([]float64, n), make([]float64, n)
			for k := 1; k <= steps; k++ {
				AdamStep(p, make([]float64, n), m, v, AdamParams{LR: lr, Beta1: b1, Beta2: b2, Eps: eps, WeightDecay: 0.3, Decoupled: true}, k)
			}
		}, func(p0, _ float64) float64 { return p0 * math.Pow(1-lr*0.3, steps) }},
		{"Adam: one step with coupled weight decay", func(p []float64) {
			AdamStep(p, g, make([]float64, n), make([]float64, n), AdamParams{LR: lr, Beta1: b1, Beta2: b2, Eps: eps, WeightDecay: 0.5}, 1)
		}, func(p0, g float64) float64 { d := g + 0.5*p0; return p0 - lr*d/(math.Abs(d)+eps) }},
		{"SGD: no momentum", func(p []float64) {
			for range steps {
				SGDStep(p, g, nil, SGDParams{LR: lr}, false)
			}
		}, func(p0, g float64) float64 { return p0 - steps*lr*g }},
		{"SGD: momentum, buf_k = g·(1-m^k)/(1-m)", func(p []float64) {
			buf := make([]float64, n)
			for k := 1; k <= steps; k++ {
				SGDStep(p, g, buf, SGDParams{LR: lr, Momentum: mom}, k == 1)
			}
		}, func(p0, g float64) float64 {
			for k := 1; k <= steps; k++ {
				p0 -= lr * g * geo(mom, k) / (1 - mom)
			}
			return p0
		}},
		{"SGD: nesterov, d = g + m·buf_k", func(p []float64) {
			buf := make([]float64, n)
			for k := 1; k <= steps; k++ {
				SGDStep(p, g, buf, SGDParams{LR: lr, Momentum: mom, Nesterov: true}, k == 1)
			}
		}, func(p0, g float64) float64 {
			for k := 1; k <= steps; k++ {
				p0 -= lr * (g + mom*g*geo(mom, k)/(1-mom))
			}
			return p0
		}},
		{"SGD: dampening 0.1, buf_k = g·(1 + 0.9·m·(1-m^(k-1))/(1-m))", func(p []float64) {
			buf := make([]float64, n)
			for k := 1; k <= steps; k++ {
				SGDStep(p, g, buf, SGDParams{LR: lr, Momentum: mom, Dampening: 0.1}, k == 1)
			}
		}, func(p0, g float64) float64 {
			for k := 1; k <= steps; k++ {
				p0 -= lr * g * (math.Pow(mom, float64(k-1)) + 0.9*geo(mom, k-1)/(1-mom))
			}
			return p0
		}},
		{"RMSprop: sq_k = g²·(1-α^k)", func(p []float64) {
			sq := make([]float64, n)
			for range steps {
				RMSpropStep(p, g, sq, nil, nil, RMSpropParams{LR: lr, Alpha: alpha, Eps: eps})
			}
		}, func(p0, g float64) float64 {
			for k := 1; k <= steps; k++ {
				p0 -= lr * g / (math.Abs(g)*math.Sqrt(geo(alpha, k)) + eps)
			}
			return p0
		}},
		{"RMSprop: centered, variance g²·(1-α^k)·α^k, momentum", func(p []float64) {
			sq, buf, gavg := make([]float64, n), make([]float64, n), make([]float64, n)
			for range steps {
				RMSpropStep(p, g, sq, buf, gavg, RMSpropParams{LR: lr, Alpha: alpha, Eps: eps, Momentum: mom, Centered: true})
			}
		}, func(p0, g float64) float64 {
			b := 0.0
			for k := 1; k <= steps; k++ {
				b = mom*b + g/(math.Abs(g)*math.Sqrt(geo(alpha, k)*math.Pow(alpha, float64(k)))+eps)
				p0 -= lr * b
			}
			return p0
		}},
		{"RMSprop: weight decay, one step", func(p []float64) {
			RMSpropStep(p, g, make([]float64, n), nil, nil, RMSpropParams{LR: lr, Alpha: alpha, Eps: eps, WeightDecay: 0.2})
		}, func(p0, g float64) float64 {
			d := g + 0.2*p0
			return p0 - lr*d/(math.Abs(d)*math.Sqrt(1-alpha)+eps)
		}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			p := append([]float64(nil), p0...)
			c.run(p)
			for i := range p {
				want := c.want(p0[i], g[i])
				if math.Abs(p[i]-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Fatalf("element %d: %v, closed form %v (p0 %v, g %v)", i, p[i], want, p0[i], g[i])
				}
			}
		})
	}
}
