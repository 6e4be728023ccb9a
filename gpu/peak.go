package gpu

import "fmt"

// The FMA-chain kernel (shaders/fma_chains.wgsl): its workgroup size, the scalar chains
// each invocation runs (8 vec4), and the multiplier and addend of every step. The chains
// converge to C/(1-M) = 1 and never reach denormals or infinities, whatever the length.
const (
	FMAChainLanes  = 256
	FMAChainsPer   = 32
	FMAChainMul    = 0.99
	FMAChainAdd    = 0.01
	maxFMAGroups   = 1 << 22 // invocation indices stay within u32
	maxFMAChainLen = 1 << 24
)

// FMAChains records one dispatch of the FP32 peak kernel: groups workgroups of
// FMAChainLanes invocations, each running FMAChainsPer independent chains
// x ← fma(x, FMAChainMul, FMAChainAdd) of iters steps, registers only, no memory traffic.
// Its FLOPs over its time (FMAChainsFLOPs) is the FP32 throughput the device reaches from
// WGSL. The output, one value per workgroup, is the sum of its invocations' final chain
// values (see the shader for the starting values); it keeps the compiler from removing
// work and lets a test check every step against the CPU.
func (b *Batch) FMAChains(groups, iters int) *Tensor {
	const op = "FMAChains"
	if b.err != nil {
		return nil
	}
	if groups < 1 || groups > maxFMAGroups || iters < 1 || iters > maxFMAChainLen {
		b.Fail(fmt.Errorf("%s: %d groups, %d steps: want 1..%d and 1..%d", op, groups, iters, maxFMAGroups, maxFMAChainLen))
		return nil
	}
	y := b.newOutput(op, groups)
	if y == nil {
		return nil
	}
	gx, gy := groupGrid(groups)
	b.launch("fma_chains.wgsl", "fma_chains", []constant{cu("GRID_X", gx*FMAChainLanes), cu("GX", gx), cu("GROUPS", groups),
		cu("ITERS", iters), cf("M", FMAChainMul), cf("C", FMAChainAdd)}, [3]uint32{uint32(gx), uint32(gy), 1}, out(y))
	return y
}

// FMAChainsFLOPs is the work of FMAChains(groups, iters): 2 FLOPs per scalar fused
// multiply-add, as a multiply-add counts in a network's FLOPs.
func FMAChainsFLOPs(groups, iters int) float64 {
	return 2 * float64(groups) * FMAChainLanes * FMAChainsPer * float64(iters)
}

// groupGrid splits groups workgroups over a 2D grid of at most 65535 per dimension: an
// exact split where one exists (no idle groups), else rows of 65535 with the last one
// partly past groups.
func groupGrid(groups int) (gx, gy int) {
	const maxDim = 65535
	if groups <= maxDim {
		return groups, 1
	}
	for gx = maxDim; gx*maxDim >= groups; gx-- {
		if groups%gx == 0 {
			return gx, groups / gx
		}
	}
	return maxDim, (groups + maxDim - 1) / maxDim
}
