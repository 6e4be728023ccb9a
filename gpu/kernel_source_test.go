package gpu

import (
	"io/fs"
	"strings"
	"testing"

	"easel/shaders"
)

// TestKernelSourceSubgroups checks how kernels are assembled with and without subgroups:
// without, no kernel's text may name them (gogpu rejects a module whose text has the word
// on a device without the feature, comments included); with, a kernel that includes
// workgroup_reduce.wgsl takes its subgroup variant and enables the extension, and one
// that includes nothing with a variant is the same text either way.
func TestKernelSourceSubgroups(t *testing.T) {
	files, err := fs.Glob(shaders.FS, "*.wgsl")
	if err != nil {
		t.Fatal(err)
	}
	consts := []constant{cu("N", 7), ru("GRID_X", 64)}
	variants := 0
	for _, f := range files {
		raw, err := shaders.Source(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(f, "workgroup_reduce") {
			continue // the included files themselves
		}
		plain, err := kernelSource(f, consts, false)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.ToLower(plain), "subgroup") {
			t.Errorf("%s without subgroups names them", f)
		}
		sg, err := kernelSource(f, consts, true)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw, includePrefix+"workgroup_reduce.wgsl") {
			variants++
			if !strings.HasPrefix(sg, "enable subgroups;\n") || !strings.Contains(sg, "subgroupAdd(") {
				t.Errorf("%s with subgroups does not enable and use them:\n%.200s", f, sg)
			}
			if strings.Contains(sg, "reads all 64 partials itself") {
				t.Errorf("%s with subgroups still includes the plain reductions", f)
			}
		} else if sg != plain {
			t.Errorf("%s includes no file with a subgroup variant, but its text changed with subgroups", f)
		}
	}
	if variants < 5 {
		t.Errorf("%d kernel files use the workgroup reductions, want reduce, softmax, norm, norm_backward, instance_norm", variants)
	}
}
