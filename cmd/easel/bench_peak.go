package main

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
)

// Defaults of easel bench peak: 2^17 workgroups of 256 invocations (33.5M invocations, more
// than 100 waves of the largest GPUs, so that a partly filled last wave costs ≤ 1 %), chains
// lengthened until one run takes targetMs.
const (
	peakDefaultGroups   = 1 << 17
	peakDefaultTargetMs = 200
)

func benchPeakCmd() *cobra.Command {
	var groups, runs, iters int
	var targetMs float64
	cmd := &cobra.Command{
		Use:   "peak",
		Short: "Measure the FP32 throughput the GPU reaches from WGSL",
		Long: `Measure the device's achievable FP32 peak: one dispatch of shaders/fma_chains.wgsl,
long chains of independent vec4 fused multiply-adds in registers with no memory traffic,
2 FLOPs per multiply-add. The chains have --iters steps (default: 64, lengthened until one
run takes --target-ms), then --runs timed runs follow: one submit and the wait
for the readback of one value per workgroup each. The peak is the fastest run's GFLOP/s;
a network's floor is its FLOPs over it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return benchPeak(cmd, groups, iters, runs, targetMs)
		},
	}
	f := cmd.Flags()
	f.IntVar(&groups, "groups", peakDefaultGroups, "workgroups of 256 invocations")
	f.IntVar(&iters, "iters", 0, "steps per chain (0: lengthen until a run takes --target-ms)")
	f.IntVar(&runs, "runs", 5, "timed runs")
	f.Float64Var(&targetMs, "target-ms", peakDefaultTargetMs, "run time the chains are lengthened to")
	return cmd
}

// peakStartIters is where the lengthening starts: long enough that the chains dwarf each
// invocation's setup and its workgroup's sum.
const peakStartIters = 64

// maxPeakIters bounds the lengthening: 2^20 steps of 2^17 groups is 2.2 PFLOP, minutes
// even on the largest GPU.
const maxPeakIters = 1 << 20

func benchPeak(cmd *cobra.Command, groups, iters, runs int, targetMs float64) error {
	switch {
	case groups < 1 || groups > 1<<22:
		return fmt.Errorf("--groups %d: want 1..%d", groups, 1<<22)
	case iters < 0 || iters > maxPeakIters:
		return fmt.Errorf("--iters %d: want 0..%d", iters, maxPeakIters)
	case runs < 1 || runs > 1000:
		return fmt.Errorf("--runs %d: want 1..1000", runs)
	case !(targetMs >= 1 && targetMs <= 60000):
		return fmt.Errorf("--target-ms %v: want 1..60000", targetMs)
	}
	dev, err := gpu.Open(cmd.Context())
	if err != nil {
		return err
	}
	defer dev.Close()

	// One recorded dispatch per chain length; each new length compiles a kernel.
	var b *gpu.Batch
	var y *gpu.Tensor
	record := func(n int) error {
		if b != nil {
			y.Release()
			b.Release()
		}
		b = dev.NewBatch()
		y = b.FMAChains(groups, n)
		return b.Err()
	}
	defer func() {
		if b != nil {
			y.Release()
			b.Release()
		}
	}()
	once := func() (time.Duration, error) {
		start := time.Now()
		if err := b.Submit(); err != nil {
			return 0, err
		}
		_, err := y.Read(cmd.Context())
		return time.Since(start), err
	}

	auto := iters == 0
	if auto {
		iters = peakStartIters
	}
	firstIters := iters
	start := time.Now()
	if err := record(iters); err != nil {
		return err
	}
	first, err := once()
	if err != nil {
		return err
	}
	setup := time.Since(start)
	for auto && iters < maxPeakIters {
		// The faster of two warm runs (the kernel is compiled and has run once), so that
		// one run slowed by other work on the machine does not end the lengthening early.
		t := time.Duration(math.MaxInt64)
		for range 2 {
			d, err := once()
			if err != nil {
				return err
			}
			t = min(t, d)
		}
		ms := float64(t) / float64(time.Millisecond)
		if ms >= targetMs {
			break
		}
		// Lengthen by what reaches the target with a margin, 2× to 64× a step (a short
		// run is mostly the fixed cost of a submit and a readback), a power of two.
		grow := math.Min(64, math.Max(2, 1.2*targetMs/math.Max(ms, 1e-3)))
		next := min(maxPeakIters, iters<<int(math.Ceil(math.Log2(grow))))
		if err := record(next); err != nil {
			return err
		}
		iters = next
		if _, err := once(); err != nil { // compile and first run of the new length
			return err
		}
	}

	times := make([]time.Duration, runs)
	for i := range times {
		if times[i], err = once(); err != nil {
			return err
		}
	}
	slices.Sort(times)
	median := times[len(times)/2]
	if len(times)%2 == 0 {
		median = (times[len(times)/2-1] + times[len(times)/2]) / 2
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	flops := gpu.FMAChainsFLOPs(groups, iters)

	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "adapter: %s\n", dev.Adapter())
	fmt.Fprintf(out, "kernel:  fma_chains.wgsl: %d workgroups × %d invocations × %d FP32 chains (8 vec4) × %d steps\n",
		groups, gpu.FMAChainLanes, gpu.FMAChainsPer, iters)
	fmt.Fprintf(out, "setup:   kernel compile %.1f ms, first run %.2f ms (at %d steps)\n", ms(setup-first), ms(first), firstIters)
	fmt.Fprintf(out, "time:    median %.2f ms per run; min %.2f ms, max %.2f ms (%d timed runs)\n",
		ms(median), ms(times[0]), ms(times[len(times)-1]), runs)
	fmt.Fprintf(out, "work:    %.3f GFLOP per run (2 per fused multiply-add)\n", flops/1e9)
	fmt.Fprintf(out, "speed:   %.2f GFLOP/s (median run)\n", flops/median.Seconds()/1e9)
	fmt.Fprintf(out, "peak:    %.2f GFLOP/s (fastest run): the measured FP32 peak\n", flops/times[0].Seconds()/1e9)
	return nil
}
