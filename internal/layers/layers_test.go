// Package layers holds the test that keeps Easel's packages in their layers: each imports
// only packages of a lower layer, natively and in the browser build.
package layers

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// layer of every package of the module: a package may import only packages of a lower
// layer. A new package must be placed here, or the test fails.
var layer = map[string]int{
	"easel/shaders":                  0,
	"easel/gpu/ref":                  0,
	"easel/internal/npy":             0,
	"easel/internal/tfjs":            0,
	"easel/internal/tmpfile":         0,
	"easel/internal/imagefile":       0,
	"easel/internal/y4m":             0,
	"easel/faces":                    0, // the procedural face data set
	"easel/internal/browsertest":     0,
	"easel/internal/xdisplay":        0,
	"easel":                          0, // the embedded page
	"easel/internal/layers":          0, // this test
	"easel/scripts/webpcrop":         0, // a helper of scripts/fetch-style-data.sh
	"easel/gpu":                      1,
	"easel/internal/trainview":       1, // imports internal/tmpfile
	"easel/internal/xdisplay/must":   1, // imports internal/xdisplay
	"easel/gpu/opcheck":              2, // the op test vectors: gpu against gpu/ref
	"easel/autograd":                 2,
	"easel/optim":                    2,
	"easel/models":                   3,
	"easel/models/defaults/gen":      4,
	"easel/server":                   4,
	"easel/wasm":                     5,
	"easel/gpu/opcheck/browsercheck": 5,
	"easel/cmd/easel":                5,
	"easel/cmd/easel-view":           5,
	"easel/bench/browser":            5,
	"easel/bench/browser/easelbench": 5,
}

type pkg struct {
	ImportPath string
	Imports    []string
}

// list runs go list over the module for one GOOS/GOARCH.
func list(t *testing.T, env ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Imports", "easel/...")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", env, err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestLayers(t *testing.T) {
	for _, env := range [][]string{{}, {"GOOS=js", "GOARCH=wasm"}} {
		pkgs := list(t, env...)
		if len(pkgs) < 10 {
			t.Fatalf("go list %v found %d packages", env, len(pkgs))
		}
		for _, p := range pkgs {
			if strings.HasPrefix(p.ImportPath, "easel/dev/") {
				continue // experiments: they may use anything, nothing uses them
			}
			l, ok := layer[p.ImportPath]
			if !ok {
				t.Errorf("%v: package %s has no layer: place it in layers_test.go", env, p.ImportPath)
				continue
			}
			for _, imp := range p.Imports {
				if imp != "easel" && !strings.HasPrefix(imp, "easel/") {
					continue
				}
				if strings.HasPrefix(imp, "easel/dev/") {
					t.Errorf("%v: %s imports the experiment %s", env, p.ImportPath, imp)
					continue
				}
				il, ok := layer[imp]
				if ok && il >= l {
					t.Errorf("%v: %s (layer %d) imports %s (layer %d): a package imports only lower layers", env, p.ImportPath, l, imp, il)
				}
			}
		}
	}
}
