package gpu_test

import (
	"context"
	"strings"
	"testing"

	"easel/gpu"
	"easel/gpu/opcheck"
	"easel/gpu/ref"
)

// TestFMAChains: the kernel's sums match the CPU chains (opcheck's FMAChains cases check
// the same on more shapes) and FMAChainsFLOPs counts exactly the multiply-adds those
// chains do, twice: the FLOPs easel bench peak divides by its time.
func TestFMAChains(t *testing.T) {
	const groups, iters = 2, 19
	m, c := float64(float32(gpu.FMAChainMul)), float64(float32(gpu.FMAChainAdd))
	want, fmas := ref.FMAChains(groups, gpu.FMAChainLanes, gpu.FMAChainsPer, iters, m, c)
	if got := gpu.FMAChainsFLOPs(groups, iters); got != 2*float64(fmas) {
		t.Errorf("FMAChainsFLOPs(%d, %d) = %v, the chains do %d multiply-adds", groups, iters, got, fmas)
	}
	if fmas != groups*256*32*iters {
		t.Errorf("reference did %d multiply-adds, want %d", fmas, groups*256*32*iters)
	}
	b := testDevice.NewBatch()
	defer b.Release()
	y := b.FMAChains(groups, iters)
	if err := b.Submit(); err != nil {
		t.Fatal(err)
	}
	defer y.Release()
	got, err := y.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if e := opcheck.RelErr(got, want); !(e <= opcheck.Tolerance) {
		t.Errorf("sums %v, CPU %v: relative error %.2e over %.0e", got, want, e, opcheck.Tolerance)
	}
	// One step fewer must fail the check: the comparison sees the chain length.
	short, _ := ref.FMAChains(groups, gpu.FMAChainLanes, gpu.FMAChainsPer, iters-1, m, c)
	if e := opcheck.RelErr(got, short); e <= opcheck.Tolerance {
		t.Errorf("sums match chains of %d steps as well as %d (relative error %.2e)", iters-1, iters, e)
	}
}

func TestFMAChainsRefusesBadSizes(t *testing.T) {
	for _, c := range []struct{ groups, iters int }{{0, 1}, {1, 0}, {-3, 5}, {1 << 23, 1}, {1, 1 << 25}} {
		b := testDevice.NewBatch()
		if y := b.FMAChains(c.groups, c.iters); y != nil || b.Err() == nil || !strings.Contains(b.Err().Error(), "FMAChains") {
			t.Errorf("FMAChains(%d, %d): tensor %v, error %v; want nil and an error naming FMAChains", c.groups, c.iters, y, b.Err())
		}
		b.Release()
	}
}

func TestGroupGrid(t *testing.T) {
	for _, c := range []struct{ groups, gx, gy int }{
		{1, 1, 1}, {65535, 65535, 1}, {1 << 17, 32768, 4}, {65536, 32768, 2}, {3 * 65537, 65535, 4}, // 65537 is prime: no exact split
	} {
		gx, gy := gpu.GroupGrid(c.groups)
		if gx > 65535 || gy > 65535 || gx*gy < c.groups || gx*gy-c.groups >= gx {
			t.Errorf("GroupGrid(%d) = %d × %d: over 65535 per dimension, too few groups or a whole idle row", c.groups, gx, gy)
		}
		if gx != c.gx || gy != c.gy {
			t.Errorf("GroupGrid(%d) = %d × %d, want %d × %d", c.groups, gx, gy, c.gx, c.gy)
		}
	}
}
