package opcheck

import (
	"fmt"

	"easel/gpu"
	"easel/gpu/ref"
)

// peakCases check the FP32 peak kernel of easel bench peak step by step: an odd chain
// length, one group and several. One step more or less moves every sum by 0.3 % or more,
// a chain left out by more, far outside Tolerance.
func peakCases() []Case {
	var cs []Case
	for _, c := range []struct{ groups, iters int }{{1, 1}, {3, 37}, {5, 64}} {
		cs = append(cs, Case{Op: "FMAChains", Name: fmt.Sprintf("%d groups, %d steps", c.groups, c.iters),
			run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				want, _ := ref.FMAChains(c.groups, gpu.FMAChainLanes, gpu.FMAChainsPer, c.iters,
					float64(float32(gpu.FMAChainMul)), float64(float32(gpu.FMAChainAdd)))
				return b.FMAChains(c.groups, c.iters), want
			}})
	}
	return cs
}
