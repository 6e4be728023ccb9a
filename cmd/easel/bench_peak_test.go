package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"easel/gpu"
)

// TestBenchPeak: easel bench peak reports the work of the chains it ran (2 FLOPs per
// multiply-add, gpu.FMAChainsFLOPs) and the lines scripts/bench-gpu.sh reads, with a fixed
// chain length and with the lengthening; bad flags are refused by name.
func TestBenchPeak(t *testing.T) {
	out, _ := mustEasel(t, "bench", "peak", "--groups", "50", "--iters", "100", "--runs", "2")
	// 50 groups × 256 invocations × 32 chains × 100 steps × 2 = 0.082 GFLOP.
	if want := fmt.Sprintf("work:    %.3f GFLOP per run", gpu.FMAChainsFLOPs(50, 100)/1e9); !strings.Contains(out, want) ||
		want != "work:    0.082 GFLOP per run" {
		t.Errorf("output lacks %q (0.082 GFLOP)", want)
	}
	for _, line := range []string{"adapter: ", "kernel:  fma_chains.wgsl: 50 workgroups", "× 100 steps", "setup:   kernel compile",
		"time:    median", "speed:   ", "peak:    "} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q", line)
		}
	}

	// Lengthened from 64 steps until a run takes 1 ms: at least one doubling on any device.
	out, _ = mustEasel(t, "bench", "peak", "--groups", "2", "--target-ms", "1", "--runs", "1")
	m := regexp.MustCompile(`× (\d+) steps`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no chain length in\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < 64 || n&(n-1) != 0 {
		t.Errorf("lengthened to %d steps, want a power of two ≥ 64", n)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "peak", "--groups", "0"}, "--groups 0"},
		{[]string{"bench", "peak", "--iters", "-1"}, "--iters -1"},
		{[]string{"bench", "peak", "--runs", "0"}, "--runs 0"},
		{[]string{"bench", "peak", "--target-ms", "NaN"}, "--target-ms NaN"},
	} {
		if _, _, err := runEasel(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("easel %s: error %v, want one naming %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// TestBenchStylize: the lines of easel bench stylize that scripts/bench-gpu.sh and
// scripts/bench-stylize.sh read, the cold costs among them.
func TestBenchStylize(t *testing.T) {
	out, _ := mustEasel(t, "bench", "stylize", "--size", "16", "--runs", "1", "--warmup", "1")
	for _, re := range []string{`(?m)^adapter: \S`, `(?m)^model:   transformer-net `,
		`(?m)^setup:   plan and shader compiles [\d.]+ ms, first run [\d.]+ ms$`,
		`(?m)^time:    median [\d.]+ ms per frame; min`, `(?m)^work:    [\d.]+ GFLOP per run`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("output lacks a line matching %s", re)
		}
	}
}
