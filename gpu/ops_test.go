package gpu_test

import (
	"context"
	"os"
	"testing"

	"easel/gpu"
	"easel/gpu/opcheck"
)

var testDevice *gpu.Device

func TestMain(m *testing.M) {
	dev, err := gpu.Open(context.Background())
	if err != nil {
		os.Stderr.WriteString("gpu tests need a Vulkan adapter: " + err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("gpu tests run on adapter: " + dev.Adapter().String() + "\n")
	testDevice = dev
	code := m.Run()
	dev.Close()
	os.Exit(code)
}

func TestOps(t *testing.T) {
	t.Logf("adapter: %s", testDevice.Adapter())
	ctx := context.Background()
	for i, c := range opcheck.Cases() {
		t.Run(c.Op+"/"+c.Name, func(t *testing.T) {
			r := c.Check(ctx, testDevice, uint64(i+1))
			if !r.Passed() {
				t.Fatalf("%s (tolerance %.0e)", r, opcheck.Tolerance)
			}
			t.Log(r)
		})
	}
}
