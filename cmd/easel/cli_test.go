//go:build !(js && wasm)

package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"easel/internal/imagefile"
	"easel/internal/npy"
	"easel/models"
)

const golden = "../../models/testdata/golden"

// runEasel runs the command line in-process, as main does, and returns what it printed.
func runEasel(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := rootCmd()
	root.SetArgs(args)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	err = root.Execute()
	t.Logf("easel %s\n%s%s→ %v", strings.Join(args, " "), out.String(), errOut.String(), err)
	return out.String(), errOut.String(), err
}

// mustEasel runs the command line and fails the test on an error.
func mustEasel(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := runEasel(t, args...)
	if err != nil {
		t.Fatalf("easel %s: %v", strings.Join(args, " "), err)
	}
	return stdout, stderr
}

// testImage is a w×h picture with gradients and a pattern, so that every pixel differs.
func testImage(w, h int) *image.NRGBA {
	im := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			im.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x*7 + y*13) % 256), 255})
		}
	}
	return im
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func writePNGFile(t *testing.T, path string, w, h int) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, testImage(w, h)); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, path, buf.Bytes())
}

func writeNpyFile(t *testing.T, path string, shape []int, data []float32) string {
	t.Helper()
	var buf bytes.Buffer
	if err := npy.WriteFloat32(&buf, shape, data); err != nil {
		t.Fatal(err)
	}
	return writeFile(t, path, buf.Bytes())
}

// pngHeader is the start of a PNG declaring w×h pixels: enough for image.DecodeConfig,
// so the size limits are tested without making huge images.
func pngHeader(w, h int) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, ihdr...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(ihdr))
}

func readNpyFile(t *testing.T, path string) ([]int, []float32) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shape, data, err := npy.ReadFloat32(f, 1<<26)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return shape, data
}

func readPNGFile(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return im
}

// checkNoOutput checks that a failed command left neither its output nor a temporary file.
func checkNoOutput(t *testing.T, out string) {
	t.Helper()
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after the failure (%v)", out, err)
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// Bad input of every kind fails with an error naming what is wrong, and leaves no output.
func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	png37 := writePNGFile(t, filepath.Join(dir, "in.png"), 37, 53)
	whole, _ := os.ReadFile(png37)
	truncated := writeFile(t, filepath.Join(dir, "truncated.png"), whole[:len(whole)/2])
	text := writeFile(t, filepath.Join(dir, "notes.png"), []byte("not an image at all"))
	gif := writeFile(t, filepath.Join(dir, "anim.gif"), []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	wide := writeFile(t, filepath.Join(dir, "wide.png"), pngHeader(imagefile.MaxSide+1, 10))
	huge := writeFile(t, filepath.Join(dir, "huge.png"), pngHeader(5000, 4000))
	tiny := writePNGFile(t, filepath.Join(dir, "tiny.png"), 40, 4)
	dot := writePNGFile(t, filepath.Join(dir, "dot.png"), 1, 1)
	in4 := writeNpyFile(t, filepath.Join(dir, "in4.npy"), []int{1, 3, 4, 8}, make([]float32, 96))
	badWeights := writeFile(t, filepath.Join(dir, "bad.msgpack"), []byte("\x87\xa6format\xadeasel-weights\xa7version\x09"))
	z8 := writeNpyFile(t, filepath.Join(dir, "z8.npy"), []int{2, 8}, make([]float32, 16))
	z3d := writeNpyFile(t, filepath.Join(dir, "z3d.npy"), []int{2, 100, 1}, make([]float32, 200))
	zNaN := writeNpyFile(t, filepath.Join(dir, "znan.npy"), []int{1, 100}, append(make([]float32, 99), float32(math.NaN())))
	var f64 bytes.Buffer
	f64.WriteString("\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'fortran_order': False, 'shape': (1, 100), }")
	f64.WriteString(strings.Repeat(" ", 0x76-len("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 100), }")-1) + "\n")
	f64.Write(make([]byte, 800))
	zF64 := writeFile(t, filepath.Join(dir, "z64.npy"), f64.Bytes())
	writeNpyFile(t, filepath.Join(dir, "ztrunc.npy"), []int{2, 100}, make([]float32, 200))
	zTrunc := filepath.Join(dir, "ztrunc.npy")
	if err := os.Truncate(zTrunc, 400); err != nil {
		t.Fatal(err)
	}
	in2 := writeNpyFile(t, filepath.Join(dir, "in2.npy"), []int{1, 4, 8, 8}, make([]float32, 256))
	bad := make([]float32, 2*3*8*9)
	bad[1*3*8*9+2*8*9+5*9+7] = float32(math.Inf(1))
	inInf := writeNpyFile(t, filepath.Join(dir, "in-inf.npy"), []int{2, 3, 8, 9}, bad)
	bad[1*3*8*9+0*8*9+1*9+2] = float32(math.NaN())
	inNaN := writeNpyFile(t, filepath.Join(dir, "in-nan.npy"), []int{2, 3, 8, 9}, bad)
	missing := filepath.Join(dir, "missing.png")
	noDir := filepath.Join(dir, "no", "such", "dir", "out.png")

	for _, c := range []struct {
		name string
		args []string // "OUT" stands for the output file
		want []string
	}{
		{"missing image", []string{"stylize", "--in", missing, "--out", "OUT.png"}, []string{missing, "no such file"}},
		{"truncated PNG", []string{"stylize", "--in", truncated, "--out", "OUT.png"}, []string{truncated, "corrupt or truncated png"}},
		{"text file", []string{"stylize", "--in", text, "--out", "OUT.png"}, []string{text, "unsupported format"}},
		{"GIF", []string{"stylize", "--in", gif, "--out", "OUT.png"}, []string{gif, "unsupported format", "PNG and JPEG"}},
		{"too wide", []string{"stylize", "--in", wide, "--out", "OUT.png"}, []string{wide, "8193×10", "8192 pixels per side"}},
		{"too many pixels", []string{"stylize", "--in", huge, "--out", "OUT.png"}, []string{huge, "5000×4000", "16 Mpx"}},
		{"too small for the network", []string{"stylize", "--model", "scream", "--in", tiny, "--out", "OUT.png"}, []string{"40×4", "at least 5 pixels", "larger --size"}},
		{"one pixel", []string{"stylize", "--in", dot, "--out", "OUT.png"}, []string{dot, "1×1", "at least 5 pixels", "larger --size"}},
		{"size of 3", []string{"stylize", "--in", png37, "--out", "OUT.png", "--size", "3"}, []string{"--size 3", "at least 5"}},
		{"size making the short side 2", []string{"stylize", "--in", tiny, "--out", "OUT.png", "--size", "30"}, []string{"--size 30", "30×3", "at least 5 pixels", "larger --size"}},
		{"npy input too small", []string{"stylize", "--in", in4, "--out", "OUT.npy"}, []string{in4, "8×4", "at least 5 pixels"}},
		{"GAN model for stylize", []string{"stylize", "--model", "dcgan-faces", "--in", png37, "--out", "OUT.png"}, []string{"dcgan-g", "transformer-net", "easel sample"}},
		{"style model for sample", []string{"sample", "--model", "transformer-net", "--out", "OUT.png"}, []string{"transformer-net", "dcgan-g", "easel stylize"}},
		{"unknown model", []string{"stylize", "--model", "mosaic", "--in", png37, "--out", "OUT.png"}, []string{`"mosaic"`, "not an embedded model", "starry-night"}},
		{"corrupt weights", []string{"stylize", "--model", badWeights, "--in", png37, "--out", "OUT.png"}, []string{badWeights, "version"}},
		{"output format", []string{"stylize", "--in", png37, "--out", "OUT.jpg"}, []string{"unsupported format", ".png or .npy"}},
		{"output directory missing", []string{"stylize", "--in", png37, "--out", noDir}, []string{noDir, "no such file"}},
		{"output is a directory", []string{"sample", "--out", dir}, []string{dir, "is a directory"}},
		{"negative size", []string{"stylize", "--in", png37, "--out", "OUT.png", "--size", "-3"}, []string{"--size -3"}},
		{"size with npy input", []string{"stylize", "--in", in2, "--out", "OUT.png", "--size", "30"}, []string{"--size", in2}},
		{"npy input with Inf", []string{"stylize", "--in", inInf, "--out", "OUT.png"}, []string{inInf, "element 412", "[1 2 5 7]", "+Inf"}},
		{"npy input with NaN", []string{"stylize", "--in", inNaN, "--out", "OUT.npy"}, []string{inNaN, "element 227", "[1 0 1 2]", "NaN"}},
		{"npy input not RGB", []string{"stylize", "--in", in2, "--out", "OUT.npy"}, []string{in2, "[1 4 8 8]", "[N,3,H,W]"}},
		{"z of float64", []string{"sample", "--z", zF64, "--out", "OUT.png"}, []string{zF64, "float64", "float32"}},
		{"z truncated", []string{"sample", "--z", zTrunc, "--out", "OUT.png"}, []string{zTrunc, "truncated"}},
		{"z of wrong nz", []string{"sample", "--z", z8, "--out", "OUT.npy"}, []string{z8, "nz 8", "nz 100"}},
		{"z of wrong rank", []string{"sample", "--z", z3d, "--out", "OUT.npy"}, []string{z3d, "[2 100 1]", "[N,nz]"}},
		{"z with NaN", []string{"sample", "--z", zNaN, "--out", "OUT.npy"}, []string{zNaN, "element 99", "NaN"}},
		{"z and n", []string{"sample", "--z", z8, "--n", "3", "--out", "OUT.png"}, []string{"--z", "--n"}},
		{"n of zero", []string{"sample", "--n", "0", "--out", "OUT.png"}, []string{"--n 0"}},
		{"n too large", []string{"sample", "--n", "5000", "--out", "OUT.png"}, []string{"--n 5000", "1024"}},
		{"import of the wrong arch", []string{"import", "--arch", "transformer-net", "--from", filepath.Join(golden, "dcgan_g.pth"), "--out", "OUT.msgpack"},
			[]string{"dcgan_g.pth", "dcgan-g"}},
		{"import of a missing file", []string{"import", "--arch", "dcgan-g", "--from", missing, "--out", "OUT.msgpack"}, []string{missing}},
		{"import of a non-pth", []string{"import", "--arch", "dcgan-g", "--from", png37, "--out", "OUT.msgpack"}, []string{png37}},
		{"import of an unknown arch", []string{"import", "--arch", "resnet50", "--from", filepath.Join(golden, "dcgan_g.pth"), "--out", "OUT.msgpack"}, []string{"resnet50"}},
		{"import into a missing directory", []string{"import", "--arch", "dcgan-g", "--from", filepath.Join(golden, "dcgan_g.pth"), "--out", strings.TrimSuffix(noDir, ".png") + ".msgpack"},
			[]string{"no such file"}},
		{"import f16 of bad dtype", []string{"import", "--arch", "dcgan-g", "--from", filepath.Join(golden, "dcgan_g.pth"), "--out", "OUT.msgpack", "--dtype", "bf16"}, []string{"bf16"}},
		{"models of a missing dir", []string{"models", "--dir", filepath.Join(dir, "nope")}, []string{"nope"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			var args []string
			for _, a := range c.args {
				args = append(args, strings.Replace(a, "OUT", out, 1))
			}
			_, _, err := runEasel(t, args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if slices.ContainsFunc(c.want, func(w string) bool { return strings.HasPrefix(w, "at least 5") }) && strings.Contains(err.Error(), "smaller") {
				t.Errorf("error %q suggests a smaller size for a too small image", err)
			}
			for _, a := range args {
				if strings.HasPrefix(a, out) {
					checkNoOutput(t, a)
				}
			}
		})
	}
}

// A corrupt weights file in the models directory is named, and the rest still listed.
func TestModelsListsEmbeddedAndDir(t *testing.T) {
	dir := t.TempDir()
	mustEasel(t, "import", "--arch", "dcgan-g", "--from", filepath.Join(golden, "dcgan_g.pth"),
		"--out", filepath.Join(dir, "faces.msgpack"), "--license", "MIT")
	stdout, stderr := mustEasel(t, "models", "--dir", dir)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 12 {
		t.Fatalf("%d lines, want a header and 11 models:\n%s", len(lines), stdout)
	}
	for i, want := range [][]string{
		{"NAME", "ARCH", "PARAMS", "SIZE", "LICENSE", "TRAINED"},
		{"cgan-mnist", "cgan-g", "classes=10", "CC0-1.0", "yes", "embedded"},
		{"classifier-faces", "classifier", "attrs=10", "yes", "embedded"},
		{"classifier-mnist", "classifier", "classes=10", "yes", "embedded"},
		{"dcgan-faces ", "dcgan-g", "nz=100", "1.10M", "CC0-1.0", "yes", "embedded"},
		{"dcgan-faces-directions", "latent-directions", "yes", "embedded"},
		{"great-wave", "transformer-net-light", "c1=16", "276.7k", "CC0-1.0", "yes", "embedded"},
		{"infogan-mnist", "infogan-g", "cat=10", "yes", "embedded"},
		{"scream", "transformer-net-light", "c1=16", "276.7k", "yes", "embedded"},
		{"starry-night", "transformer-net-light", "c1=16", "276.7k", "yes", "embedded"},
		{"transformer-net ", "c3=128", "1.68M", "UNTRAINED", "embedded"},
		{"faces", "dcgan-g", "nc=3 ngf=8 nz=16", "MIT", "yes", dir},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i]+" ", w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
	if !strings.Contains(stderr, "note: model transformer-net is untrained") {
		t.Errorf("stderr lacks the untrained note for transformer-net:\n%s", stderr)
	}
	if strings.Count(stderr, "untrained") != 1 {
		t.Errorf("stderr calls a trained model untrained:\n%s", stderr)
	}

	writeFile(t, filepath.Join(dir, "broken.msgpack"), []byte("junk"))
	stdout, stderr, err := runEasel(t, "models", "--dir", dir)
	if err == nil || !strings.Contains(err.Error(), "broken.msgpack") || !strings.Contains(stderr, "broken.msgpack") {
		t.Errorf("a corrupt file in the directory: error %v, stderr %q", err, stderr)
	}
	if !strings.Contains(stdout, "faces") {
		t.Errorf("the readable file is no longer listed:\n%s", stdout)
	}
}

// The default model, a trained style, stylizes an odd-sized, non-square PNG into a PNG of
// the same size, and the .npy output has PyTorch's output shape.
func TestStylize(t *testing.T) {
	dir := t.TempDir()
	in := writePNGFile(t, filepath.Join(dir, "in.png"), 37, 53)
	out := filepath.Join(dir, "out.png")
	stdout, stderr := mustEasel(t, "stylize", "--in", in, "--out", out)
	if im := readPNGFile(t, out); im.Bounds().Size() != image.Pt(37, 53) {
		t.Errorf("output is %v, want 37×53", im.Bounds().Size())
	}
	if strings.Contains(stderr, "untrained") {
		t.Errorf("the trained default %s called untrained: %q", defaultStyleModel, stderr)
	}
	if !strings.Contains(stdout, out) {
		t.Errorf("stdout does not name the output: %q", stdout)
	}

	// PyTorch's TransformerNet gives 4·⌈⌈H/2⌉/2⌉: 53 → 56, 37 → 40.
	npyOut := filepath.Join(dir, "out.npy")
	mustEasel(t, "stylize", "--model", "scream", "--in", in, "--out", npyOut)
	shape, y := readNpyFile(t, npyOut)
	if !slices.Equal(shape, []int{1, 3, 56, 40}) {
		t.Errorf("npy output shape %v, want [1 3 56 40]", shape)
	}
	for i, v := range y {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("output element %d is %v", i, v)
		}
	}

	// A JPEG scaled so that its longer side is 53: 74×106 → 37×53.
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testImage(74, 106), nil); err != nil {
		t.Fatal(err)
	}
	jpg := writeFile(t, filepath.Join(dir, "in.jpg"), buf.Bytes())
	mustEasel(t, "stylize", "--model", "scream", "--in", jpg, "--size", "53", "--out", out)
	if im := readPNGFile(t, out); im.Bounds().Size() != image.Pt(37, 53) {
		t.Errorf("output of --size 53 is %v, want 37×53", im.Bounds().Size())
	}
	checkNoOutput(t, filepath.Join(dir, "none")) // and no temporary files
}

// An output replaces the temporary files that an earlier run writing it left behind when
// killed (SIGKILL cannot be caught: an empty .NAME.tmp-NNN stays).
func TestStaleTemporaryRemoved(t *testing.T) {
	dir := t.TempDir()
	in := writePNGFile(t, filepath.Join(dir, "in.png"), 11, 9)
	out := filepath.Join(dir, "out.png")
	stale := writeFile(t, filepath.Join(dir, ".out.png.tmp-2718281828"), nil)
	mustEasel(t, "stylize", "--model", "scream", "--in", in, "--out", out)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("%s is still there (%v)", stale, err)
	}
	checkNoOutput(t, filepath.Join(dir, "none"))
}

// Sampling is deterministic for a seed; --z gives the same samples as the seed that drew
// them, in either shape; the PNG is a grid.
func TestSample(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.npy"), filepath.Join(dir, "b.npy"), filepath.Join(dir, "c.npy")
	_, stderr := mustEasel(t, "sample", "--n", "5", "--seed", "3", "--out", a)
	if strings.Contains(stderr, "untrained") {
		t.Errorf("the trained default dcgan-faces called untrained: %q", stderr)
	}
	mustEasel(t, "sample", "--n", "5", "--seed", "3", "--out", b)
	mustEasel(t, "sample", "--n", "5", "--seed", "4", "--out", c)
	shapeA, ya := readNpyFile(t, a)
	_, yb := readNpyFile(t, b)
	_, yc := readNpyFile(t, c)
	if !slices.Equal(shapeA, []int{5, 3, 64, 64}) {
		t.Errorf("shape %v, want [5 3 64 64]", shapeA)
	}
	if !slices.Equal(ya, yb) {
		t.Error("two runs with seed 3 differ")
	}
	if slices.Equal(ya, yc) {
		t.Error("seeds 3 and 4 give the same samples")
	}

	z := latent(5, 100, 3)
	for _, shape := range [][]int{{5, 100}, {5, 100, 1, 1}} {
		zPath := writeNpyFile(t, filepath.Join(dir, "z.npy"), shape, z)
		out := filepath.Join(dir, "z-out.npy")
		mustEasel(t, "sample", "--z", zPath, "--out", out)
		if _, y := readNpyFile(t, out); !slices.Equal(y, ya) {
			t.Errorf("--z of shape %v gives other samples than --seed 3", shape)
		}
	}

	grid := filepath.Join(dir, "grid.png")
	mustEasel(t, "sample", "--n", "5", "--seed", "3", "--out", grid)
	// 5 samples: 3 columns and 2 rows of 64 pixels with 2-pixel padding.
	if im := readPNGFile(t, grid); im.Bounds().Size() != image.Pt(3*66+2, 2*66+2) {
		t.Errorf("grid is %v, want 200×134", im.Bounds().Size())
	}
}

// compareGolden checks an output .npy against PyTorch's within 1e-3 of max|want|.
func compareGolden(t *testing.T, gotPath, wantName string) {
	t.Helper()
	gotShape, got := readNpyFile(t, gotPath)
	wantShape, want := readNpyFile(t, filepath.Join(golden, wantName))
	if !slices.Equal(gotShape, wantShape) {
		t.Fatalf("output shape %v, PyTorch's %v", gotShape, wantShape)
	}
	var maxErr, maxWant float64
	for i := range want {
		maxErr = max(maxErr, math.Abs(float64(got[i])-float64(want[i])))
		maxWant = max(maxWant, math.Abs(float64(want[i])))
		if math.IsNaN(float64(got[i])) {
			t.Fatalf("element %d is NaN", i)
		}
	}
	if maxErr > 1e-3*maxWant {
		t.Errorf("%s: max|got-want| %.3g exceeds 1e-3 of max|want| %.3g", wantName, maxErr, maxWant)
	}
	t.Logf("%s: max|got-want|/max|want| = %.2e", wantName, maxErr/maxWant)
}

// PyTorch fixtures imported with easel import run to PyTorch's outputs, by path and by name
// in $EASEL_MODELS.
func TestImportMatchesPyTorch(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(modelsDirEnv, dir)
	style := filepath.Join(dir, "tiny-style.msgpack")
	stdout, stderr := mustEasel(t, "import", "--arch", "transformer-net", "--from", filepath.Join(golden, "transformer_light.pth"),
		"--out", style, "--license", "BSD-3-Clause")
	if !strings.Contains(stdout, "transformer-net-light") || !strings.Contains(stdout, "c1=8") || stderr != "" {
		t.Errorf("import printed %q, %q", stdout, stderr)
	}
	for _, model := range []string{style, "tiny-style"} {
		for _, size := range []string{"1x3x37x53", "2x3x20x31"} {
			out := filepath.Join(dir, "out.npy")
			_, stderr := mustEasel(t, "stylize", "--model", model, "--in", filepath.Join(golden, "transformer_in_"+size+".npy"), "--out", out)
			if stderr != "" {
				t.Errorf("stylize with trained weights printed %q", stderr)
			}
			compareGolden(t, out, "transformer_out_"+size+".npy")
		}
	}

	gen := filepath.Join(dir, "g.msgpack")
	mustEasel(t, "import", "--arch", "dcgan-g", "--from", filepath.Join(golden, "dcgan_g.pth"), "--out", gen)
	out := filepath.Join(dir, "g.npy")
	mustEasel(t, "sample", "--model", gen, "--z", filepath.Join(golden, "dcgan_g_z.npy"), "--out", out)
	compareGolden(t, out, "dcgan_g_out.npy")

	half := filepath.Join(dir, "g16.msgpack")
	mustEasel(t, "import", "--arch", "dcgan-g", "--from", filepath.Join(golden, "dcgan_g.pth"), "--out", half, "--dtype", "f16", "--trained=false")
	f32, _ := os.Stat(gen)
	f16, _ := os.Stat(half)
	if f16.Size() > f32.Size()*6/10 {
		t.Errorf("f16 file of %d bytes, f32 %d", f16.Size(), f32.Size())
	}
	_, stderr, err := runEasel(t, "sample", "--model", "g16", "--n", "2", "--out", filepath.Join(dir, "g16.png"))
	if err != nil || !strings.Contains(stderr, "note: model g16 is untrained") {
		t.Errorf("sample with an import marked untrained: %v, stderr %q", err, stderr)
	}
	mustEasel(t, "import", "--arch", "dcgan-d", "--from", filepath.Join(golden, "dcgan_d.pth"), "--out", filepath.Join(dir, "d.msgpack"))
}

func TestBench(t *testing.T) {
	for _, c := range []struct {
		args  []string
		model []string // what the model's line says: name, widths, whether it is trained
	}{
		// The default workload: fast_neural_style's widths, untrained.
		{[]string{"bench", "stylize", "--size", "24", "--runs", "3", "--warmup", "1"}, []string{"model:   transformer-net (", "c3=128", "UNTRAINED"}},
		{[]string{"bench", "sample", "--n", "5", "--runs", "3", "--warmup", "1"}, []string{"model:   dcgan-faces (", "parameters, trained)"}}, // TestSample's batch size
	} {
		args := c.args
		stdout, _ := mustEasel(t, args...)
		for _, want := range append([]string{"adapter: ", "median", "GFLOP/s"}, c.model...) {
			if !strings.Contains(stdout, want) {
				t.Errorf("easel %s: output lacks %q", strings.Join(args, " "), want)
			}
		}
	}
}

// The --size suggested for a too small image is the least that makes it large enough.
func TestSizeForMinSide(t *testing.T) {
	m := models.TransformerMinSide
	for _, wh := range [][2]int{{1, 1}, {40, 4}, {4, 40}, {3, 1000}, {7, 2}, {9, 4}, {100, 9}, {5, 5}, {11, 3}} {
		size := sizeForMinSide(wh[0], wh[1])
		if im := imagefile.ResizeLonger(testImage(wh[0], wh[1]), size); min(im.Bounds().Dx(), im.Bounds().Dy()) < m {
			t.Errorf("%d×%d: --size %d gives %v, smaller than %d", wh[0], wh[1], size, im.Bounds().Size(), m)
		}
		if size > m {
			if im := imagefile.ResizeLonger(testImage(wh[0], wh[1]), size-1); min(im.Bounds().Dx(), im.Bounds().Dy()) >= m {
				t.Errorf("%d×%d: --size %d already gives %v, but %d is suggested", wh[0], wh[1], size-1, im.Bounds().Size(), size)
			}
		}
	}
}

// --size sets the longer side and rounds the shorter one, keeping at least one pixel.
func TestResizeLonger(t *testing.T) {
	for _, c := range []struct{ w, h, size, wantW, wantH int }{
		{75, 106, 53, 38, 53}, {106, 75, 53, 53, 38}, {37, 53, 53, 37, 53}, {20, 10, 400, 400, 200}, {3, 1000, 10, 1, 10},
	} {
		im := imagefile.ResizeLonger(testImage(c.w, c.h), c.size)
		if got := im.Bounds().Size(); got != image.Pt(c.wantW, c.wantH) {
			t.Errorf("%d×%d to longer side %d: %v, want %d×%d", c.w, c.h, c.size, got, c.wantW, c.wantH)
		}
	}
	// Catmull-Rom keeps a uniform image uniform.
	flat := image.NewNRGBA(image.Rect(0, 0, 30, 20))
	for i := range flat.Pix {
		flat.Pix[i] = 200
	}
	for i, v := range imagefile.ResizeLonger(flat, 47).Pix {
		if v != 200 {
			t.Fatalf("byte %d of a resized uniform image is %d", i, v)
		}
	}
}

// An output that is one of the command's inputs (the same path, a hard link or a symlink
// to it) is refused before anything is written: it would replace the user's original.
func TestOutputIsInputRefused(t *testing.T) {
	dir := t.TempDir()
	in := writePNGFile(t, filepath.Join(dir, "in.png"), 21, 13)
	original, _ := os.ReadFile(in)
	hard, sym := filepath.Join(dir, "hard.png"), filepath.Join(dir, "sym.png")
	if err := os.Link(in, hard); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("in.png", sym); err != nil {
		t.Fatal(err)
	}
	z := writeNpyFile(t, filepath.Join(dir, "z.npy"), []int{1, 100}, make([]float32, 100))
	zBytes, _ := os.ReadFile(z)
	pth := filepath.Join(dir, "g.pth")
	pthBytes, err := os.ReadFile(filepath.Join(golden, "dcgan_g.pth"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, pth, pthBytes)
	for _, c := range []struct {
		args []string
		file string
		data []byte
	}{
		{[]string{"stylize", "--model", "scream", "--in", in, "--out", in}, in, original},
		{[]string{"stylize", "--model", "scream", "--in", in, "--out", hard}, in, original},
		{[]string{"stylize", "--model", "scream", "--in", in, "--out", sym}, in, original},
		{[]string{"stylize", "--model", "scream", "--in", dir + "/./sym.png", "--out", dir + "//in.png"}, in, original},
		{[]string{"sample", "--z", z, "--out", z}, z, zBytes},
		{[]string{"import", "--arch", "dcgan-g", "--from", pth, "--out", pth}, pth, pthBytes},
	} {
		_, _, err := runEasel(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), "is the input") {
			t.Errorf("easel %s: %v, want an error saying the output is the input", strings.Join(c.args, " "), err)
		}
		if now, _ := os.ReadFile(c.file); !bytes.Equal(now, c.data) {
			t.Errorf("easel %s changed %s", strings.Join(c.args, " "), c.file)
			writeFile(t, c.file, c.data)
		}
	}
	checkNoOutput(t, filepath.Join(dir, "none"))
}
