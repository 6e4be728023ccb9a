package models_test

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"easel/internal/tfjs"
	"easel/models"
)

// The MobileNetV2 fixture comes from models/testdata/make_mobilenet.js: the nsfwjs
// package's TF.js MobileNetV2 cut after block 3 (its uint8-quantized weights as shipped),
// and TF.js's features of a 37×45 image.
const mobileNetDir = "testdata/mobilenet"

// TestMobileNetImportParity imports the TF.js model (batch norms folded), runs it on the
// device and checks each layer against TF.js's within 1e-3 of max|ref|.
func TestMobileNetImportParity(t *testing.T) {
	m, err := tfjs.Read(mobileNetDir)
	if err != nil {
		t.Fatal(err)
	}
	w, err := models.ImportTFJS(m, 4)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.ImportTFJS(m, 5); err == nil || !strings.Contains(err.Error(), "no layer block_4_expand") {
		t.Errorf("5 blocks of a model cut after 4: %v", err)
	}
	dev := testDevice(t)
	t.Logf("adapter: %s", dev.Adapter())
	net, err := models.NewLossNet(dev, w)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Release()
	in := readNpyFrom(t, filepath.Join(mobileNetDir, "image.npy"))
	if !slices.Equal(in.shape, []int{1, 3, 37, 45}) {
		t.Fatalf("input shape %v", in.shape)
	}
	layers := []string{"block_3_project_BN", "Conv1_relu", "block_1_expand_relu", "block_1_project_BN", "block_2_add", "block_3_expand_relu", "block_3_depthwise_relu"}
	var idx []int
	for _, l := range layers {
		i, err := net.LayerIndex(l)
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, i)
	}
	maps, err := models.FeatureMaps(context.Background(), dev, net, in.data, 37, 45, idx)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		ref := readNpyFrom(t, filepath.Join(mobileNetDir, l+".npy"))
		got := maps[i]
		if !slices.Equal(got.Shape, ref.shape) {
			t.Errorf("%s: shape %v, want %v", l, got.Shape, ref.shape)
			continue
		}
		maxRef, maxDiff := 0.0, 0.0
		for j, r := range ref.data {
			maxRef = max(maxRef, math.Abs(float64(r)))
			maxDiff = max(maxDiff, math.Abs(float64(got.Data[j]-r)))
		}
		t.Logf("%s %v: max|ref| %.4f, max|diff| %.3g (%.3g relative)", l, got.Shape, maxRef, maxDiff, maxDiff/maxRef)
		if !(maxDiff <= parityTolerance*maxRef) {
			t.Errorf("%s: max|diff| %g exceeds %g × max|ref| %g", l, maxDiff, parityTolerance, maxRef)
		}
	}
	if _, err := net.LayerIndex("block_6_expand_relu"); err == nil || !strings.Contains(err.Error(), "past the 4 blocks") {
		t.Errorf("block_6_expand_relu of a stack of 4 blocks: %v", err)
	}
	if _, err := net.LayerIndex("relu3_3"); err == nil || !strings.Contains(err.Error(), "has no layer") {
		t.Errorf("relu3_3 of a MobileNetV2: %v", err)
	}
	// Three stride-2 steps, each padding one row: 8 → 4 → 2 → 1.
	deep, _ := net.LayerIndex("block_3_depthwise_relu")
	if got := net.MinSide(deep); got != 8 {
		t.Errorf("MinSide(block_3_depthwise_relu) = %d", got)
	}
}
