package models_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"easel/models"
)

// The VGG fixtures come from models/testdata/make_vgg.py (torchvision 0.14, PyTorch 1.13):
// a seeded random torchvision vgg16 trimmed to features.0-8, saved in the legacy
// torch.save format, and its features on a 37×29 image.
const vggDir = "testdata/vgg"

// TestVGGImportParity imports the legacy-format state_dict, runs the stack on the device
// and checks each layer against torchvision's within 1e-3 of max|ref|.
func TestVGGImportParity(t *testing.T) {
	path := filepath.Join(vggDir, "vgg16_relu2_2.pth")
	head, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(head) < 2 || head[0] != 0x80 {
		t.Fatalf("%s is not in the legacy format", path)
	}
	sd, err := models.ReadStateDict(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sd["classifier.6.bias"]; !ok {
		t.Fatal("fixture lacks the classifier tensor import must drop")
	}
	w, err := models.ImportStateDict(models.ArchVGG16, sd)
	if err != nil {
		t.Fatal(err)
	}
	if convs, err := w.Config.Int("convs"); err != nil || convs != 4 || len(w.Tensors) != 8 {
		t.Fatalf("config %v, %d tensors; want convs 4, 8 tensors", w.Config, len(w.Tensors))
	}
	dev := testDevice(t)
	t.Logf("adapter: %s", dev.Adapter())
	vgg, err := models.NewVGG(dev, w)
	if err != nil {
		t.Fatal(err)
	}
	defer vgg.Release()

	in := readNpyFrom(t, filepath.Join(vggDir, "input.npy"))
	if !slices.Equal(in.shape, []int{1, 3, 29, 37}) {
		t.Fatalf("input shape %v", in.shape)
	}
	layers := []string{"relu2_2", "relu1_2", "relu2_1"} // out of order on purpose
	var idx []int
	for _, l := range layers {
		i, err := vgg.Config.LayerIndex(l)
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, i)
	}
	maps, err := vgg.FeatureMaps(context.Background(), in.data, 29, 37, idx)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		compareFeatureMap(t, l, maps[i], readNpyFrom(t, filepath.Join(vggDir, l+".npy")))
	}

	// The weights end at relu2_2: deeper layers are refused by name.
	if _, err := vgg.Config.LayerIndex("relu3_1"); err == nil || !strings.Contains(err.Error(), "past the 4 convolutions") {
		t.Errorf("relu3_1 of a stack cut at relu2_2: %v", err)
	}
	// A 1-pixel-high image cannot pass relu2_1's max pool.
	if _, err := vgg.FeatureMaps(context.Background(), make([]float32, 3*1*9), 1, 9, []int{2}); err == nil ||
		!strings.Contains(err.Error(), "at least 2 pixels per side") {
		t.Errorf("1×9 image through relu2_1: %v", err)
	}
}

// compareFeatureMap checks a layer's features against a reference's within
// parityTolerance of max|ref|.
func compareFeatureMap(t *testing.T, layer string, got models.FeatureMap, ref npy) {
	t.Helper()
	if !slices.Equal(got.Shape, ref.shape) {
		t.Errorf("%s: shape %v, want %v", layer, got.Shape, ref.shape)
		return
	}
	maxRef, maxDiff := 0.0, 0.0
	for j, r := range ref.data {
		maxRef = max(maxRef, math.Abs(float64(r)))
		maxDiff = max(maxDiff, math.Abs(float64(got.Data[j]-r)))
	}
	t.Logf("%s %v: max|ref| %.4f, max|diff| %.3g (%.3g relative)", layer, got.Shape, maxRef, maxDiff, maxDiff/maxRef)
	if !(maxDiff <= parityTolerance*maxRef) {
		t.Errorf("%s: max|diff| %g exceeds %g × max|ref| %g", layer, maxDiff, parityTolerance, maxRef)
	}
}

// readNpyFrom reads a float32 .npy file at path.
func readNpyFrom(t *testing.T, path string) npy {
	t.Helper()
	var data []float32
	shape := readNpyInto(t, path, &data)
	return npy{shape: shape, data: data}
}
