package ref

// FMAChains is shaders/fma_chains.wgsl step by step: groups workgroups of lanes
// invocations, each running chains scalar chains x ← x·m + c for iters steps from
// 1.5 + ((i mod 32)·32 + j) / 1024 (invocation i, chain j; chains ≤ 32). It returns each
// workgroup's sum of its final values and the number of multiply-adds it did.
func FMAChains(groups, lanes, chains, iters int, m, c float64) (sums []float64, fmas int) {
	sums = make([]float64, groups)
	for g := range groups {
		for l := range lanes {
			i := g*lanes + l
			for j := range chains {
				x := 1.5 + float64((i%32)*32+j)/1024
				for range iters {
					x = x*m + c
					fmas++
				}
				sums[g] += x
			}
		}
	}
	return sums, fmas
}
