//go:build !(js && wasm)

package models

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"easel/faces"
)

// TestFacesDataset: "faces" is the procedural set, rendered lazily: a batch holds exactly
// faces.Render of the faces asked for, the same twice, in RGB or gray, at any size; the
// attributes are faces.Labels.
func TestFacesDataset(t *testing.T) {
	t.Chdir(t.TempDir()) // no file named faces here
	d, err := LoadDataset("faces", 64, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != FacesN || d.C != 3 || d.H != 64 || d.W != 64 || d.Data != nil || d.Source != "faces" {
		t.Fatalf("faces: N %d C %d H %d W %d, Data %d values, source %q; want %d×3×64×64 rendered", d.N, d.C, d.H, d.W, len(d.Data), d.Source, FacesN)
	}
	idx := []int{0, 199999, 17, 17, 123456}
	per := 3 * 64 * 64
	batch := make([]float32, len(idx)*per)
	d.Batch(batch, idx)
	for i, k := range idx {
		im := faces.Render(faces.At(uint64(k)), 64)
		got := batch[i*per : (i+1)*per]
		for y := range 64 {
			for x := range 64 {
				for c := range 3 {
					want := float32(im.Pix[im.PixOffset(x, y)+c])/127.5 - 1
					if v := got[(c*64+y)*64+x]; v != want {
						t.Fatalf("face %d: channel %d pixel (%d,%d) = %v, want %v", k, c, x, y, v, want)
					}
				}
			}
		}
		if !slices.Equal(d.Attrs(k), faces.Labels(faces.At(uint64(k)))) {
			t.Errorf("face %d: Attrs %v, want faces.Labels", k, d.Attrs(k))
		}
	}
	if !slices.Equal(batch[2*per:3*per], batch[3*per:4*per]) {
		t.Error("face 17 differs between two places of one batch")
	}
	again := make([]float32, len(batch))
	d.Batch(again, idx)
	if !slices.Equal(batch, again) {
		t.Error("the same batch rendered twice differs")
	}
	if slices.Equal(batch[:per], batch[per:2*per]) {
		t.Error("faces 0 and 199999 are identical")
	}
	if !slices.Equal(d.AttrNames, faces.LabelNames) {
		t.Errorf("AttrNames %v, want %v", d.AttrNames, faces.LabelNames)
	}

	// Gray: the mean of R, G, B; another size: rendered at that size.
	g, err := LoadDataset("faces", 32, 1)
	if err != nil {
		t.Fatal(err)
	}
	gb := make([]float32, 32*32)
	g.Batch(gb, []int{5})
	im := faces.Render(faces.At(5), 32)
	for y := range 32 {
		for x := range 32 {
			p := im.Pix[im.PixOffset(x, y):]
			want := (float32(p[0])+float32(p[1])+float32(p[2]))/3/127.5 - 1
			if v := gb[y*32+x]; math.Abs(float64(v-want)) > 1e-6 {
				t.Fatalf("gray face 5 pixel (%d,%d) = %v, want %v", x, y, v, want)
			}
		}
	}
}

// TestFacesDatasetVariety: a batch of 64 faces differs a lot between images, and the
// attributes over a sample of the set have the prevalences faces promises.
func TestFacesDatasetVariety(t *testing.T) {
	t.Chdir(t.TempDir())
	d, err := LoadDataset("faces", 64, 3)
	if err != nil {
		t.Fatal(err)
	}
	const n = 64
	per := 3 * 64 * 64
	b := make([]float32, n*per)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i * 3001 // spread over the set
	}
	d.Batch(b, idx)
	var sum float64
	for i := range n {
		for j := i + 1; j < n; j++ {
			var s float64
			for p := range per {
				s += math.Abs(float64(b[i*per+p] - b[j*per+p]))
			}
			sum += s / float64(per)
		}
	}
	mean := sum / (n * (n - 1) / 2)
	t.Logf("mean absolute difference of pairs of faces: %.3f (values -1..1)", mean)
	if mean < 0.25 {
		t.Errorf("mean absolute difference %.3f of pairs, want ≥ 0.25: faces too alike", mean)
	}
	counts := make([]int, len(d.AttrNames))
	const sample = 4000
	for k := range sample {
		for i, v := range d.Attrs(k * (FacesN / sample)) {
			if v {
				counts[i]++
			}
		}
	}
	for i, name := range d.AttrNames {
		if p := float64(counts[i]) / sample; p < 0.1 || p > 0.6 {
			t.Errorf("attribute %s in %.1f%% of faces, want 10..60%%", name, 100*p)
		}
	}
}

// TestFacesDatasetErrors: bad sizes are refused by name; the bare name is the procedural
// set even beside a folder named faces, which ./faces names.
func TestFacesDatasetErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, size := range []int{-1, 0, 7, 1025} {
		_, err := LoadDataset("faces", size, 3)
		if err == nil || !strings.Contains(err.Error(), "size") {
			t.Errorf("faces at size %d: error %v, want one naming the size", size, err)
		}
	}
	if _, err := LoadDataset("faces", 64, 2); err == nil || !strings.Contains(err.Error(), "channels") {
		t.Errorf("faces with 2 channels: error %v, want one naming the channels", err)
	}
	os.Mkdir(filepath.Join(dir, "faces"), 0o755)
	im := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for i := range 64 {
		im.Set(i%8, i/8, color.NRGBA{200, 10, 10, 255})
	}
	f, err := os.Create(filepath.Join(dir, "faces", "one.png"))
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, im)
	f.Close()
	d, err := LoadDataset("faces", 64, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != FacesN || d.Attrs == nil {
		t.Fatalf("faces beside a folder faces/: N %d; want the procedural set", d.N)
	}
	d, err = LoadDataset("./faces", 64, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 1 || d.Data == nil || d.Attrs != nil {
		t.Fatalf("./faces: N %d, Data %d values; want the folder's 1 image", d.N, len(d.Data))
	}
}
