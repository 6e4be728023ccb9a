package models_test

import (
	"context"
	"math"
	"math/rand/v2"
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
		compareFeatureMap(t, l, maps[i], readNpyFrom(t, filepath.Join(mobileNetDir, l+".npy")))
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

// TestSmoothedLossGradient runs a perceptual loss with activation smoothing on the
// MobileNetV2 fixture: the content term equals the MSE of C·H·W·softmax of each image's
// features computed here on the CPU from the raw features, and Evaluate's gradient (through
// the softmax, ReLU6, depthwise convolutions and residual adds) matches central differences
// along a random direction.
func TestSmoothedLossGradient(t *testing.T) {
	m, err := tfjs.Read(mobileNetDir)
	if err != nil {
		t.Fatal(err)
	}
	w, err := models.ImportTFJS(m, 4)
	if err != nil {
		t.Fatal(err)
	}
	dev := testDevice(t)
	net, err := models.NewLossNet(dev, w)
	if err != nil {
		t.Fatal(err)
	}
	defer net.Release()
	ctx := context.Background()
	const h, wd = 21, 26
	rng := rand.New(rand.NewPCG(8, 9))
	img := func() []float32 {
		x := make([]float32, 3*h*wd)
		for i := range x {
			x[i] = 255 * rng.Float32()
		}
		return x
	}
	content, style, x := img(), img(), img()
	loss := models.PerceptualLoss{ContentLayer: "block_3_expand_relu", StyleLayers: []string{"Conv1_relu", "block_1_expand_relu", "block_2_add"},
		ContentWeight: 3, StyleWeight: 1, NormalizeStyle: true, Smooth: true}
	eval := func(l models.PerceptualLoss, x []float32) (models.ImageLossStats, []float32) {
		o, err := models.NewImageOptimizer(dev, net, l, h, wd, content, style, h, wd, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Release()
		st, g, err := o.Evaluate(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		return st, g
	}
	st, g := eval(loss, x)

	ci, _ := net.LayerIndex("block_3_expand_relu")
	smooth := func(img []float32) []float64 {
		f, err := models.FeatureMaps(ctx, dev, net, img, h, wd, []int{ci})
		if err != nil {
			t.Fatal(err)
		}
		mx := math.Inf(-1)
		for _, v := range f[0].Data {
			mx = max(mx, float64(v))
		}
		var sum float64
		out := make([]float64, len(f[0].Data))
		for i, v := range f[0].Data {
			out[i] = math.Exp(float64(v) - mx)
			sum += out[i]
		}
		for i := range out {
			out[i] *= float64(len(out)) / sum
		}
		return out
	}
	a, b := smooth(x), smooth(content)
	var mse float64
	for i := range a {
		mse += (a[i] - b[i]) * (a[i] - b[i])
	}
	want := 3 * mse / float64(len(a))
	if math.Abs(st.Content-want) > 1e-3*want {
		t.Errorf("smoothed content term %.6g, want %.6g", st.Content, want)
	}
	loss.Smooth = false
	if raw, _ := eval(loss, x); math.Abs(raw.Content-st.Content) < 1e-3*st.Content {
		t.Errorf("smoothing left the content term at %.6g", raw.Content)
	}
	loss.Smooth = true

	d := make([]float32, len(x))
	var gd float64
	for i := range d {
		d[i] = float32(rng.NormFloat64())
		gd += float64(g[i]) * float64(d[i])
	}
	const step = 0.05 // the softmax curves the loss sharply: larger steps measure the curvature
	at := func(s float32) []float32 {
		y := make([]float32, len(x))
		for i := range y {
			y[i] = x[i] + s*d[i]
		}
		return y
	}
	plus, _ := eval(loss, at(step))
	minus, _ := eval(loss, at(-step))
	fd := (plus.Total - minus.Total) / (2 * step)
	t.Logf("loss %.6g (content %.4g, style %.4g); directional derivative %.6g, central difference %.6g", st.Total, st.Content, st.Style, gd, fd)
	if math.Abs(fd-gd) > 0.03*math.Abs(gd) {
		t.Errorf("directional derivative: gradient says %.6g, central difference %.6g (3%% tolerance)", gd, fd)
	}
}

// TestImportTFJSRefuses: a model that is not the MobileNetV2 the import knows is refused
// with an error naming the layer or weight.
func TestImportTFJSRefuses(t *testing.T) {
	edit := func(f func(m *tfjs.Model)) *tfjs.Model {
		m, err := tfjs.Read(mobileNetDir)
		if err != nil {
			t.Fatal(err)
		}
		f(m)
		return m
	}
	setConfig := func(m *tfjs.Model, layer, from, to string) {
		for i, l := range m.Layers {
			if l.Name == layer {
				m.Layers[i].Config = []byte(strings.Replace(string(l.Config), from, to, 1))
				return
			}
		}
		t.Fatalf("no layer %s", layer)
	}
	cases := map[string]struct {
		m    *tfjs.Model
		want string
	}{
		"stride": {edit(func(m *tfjs.Model) { setConfig(m, "block_1_depthwise", `"strides":[2,2]`, `"strides":[1,1]`) }), "layer block_1_depthwise: 0 filters"},
		"padding": {edit(func(m *tfjs.Model) {
			setConfig(m, "block_1_pad", `"padding":[[0,1],[0,1]]`, `"padding":[[1,1],[1,1]]`)
		}), "layer block_1_pad pads"},
		"class":  {edit(func(m *tfjs.Model) { m.Layers[2].Class = "Dense" }), "layer Conv1 is a Dense, want Conv2D"},
		"relu":   {edit(func(m *tfjs.Model) { setConfig(m, "Conv1_relu", `"max_value":6`, `"max_value":null`) }), "Conv1_relu is not a ReLU6"},
		"weight": {edit(func(m *tfjs.Model) { delete(m.Weights, "block_2_project/kernel") }), "no weight block_2_project/kernel"},
		"shape": {edit(func(m *tfjs.Model) {
			w := m.Weights["Conv1/kernel"]
			w.Shape = []int{3, 3, 3, 16}
			m.Weights["Conv1/kernel"] = w
		}), "Conv1/kernel has shape"},
		"variance": {edit(func(m *tfjs.Model) { m.Weights["bn_Conv1/moving_variance"].Data[3] = -1 }), "bn_Conv1/moving_variance[3] is negative"},
	}
	for name, c := range cases {
		if _, err := models.ImportTFJS(c.m, 4); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
	m := edit(func(*tfjs.Model) {})
	for _, blocks := range []int{0, 18} {
		if _, err := models.ImportTFJS(m, blocks); err == nil || !strings.Contains(err.Error(), "want 1..17") {
			t.Errorf("%d blocks: %v", blocks, err)
		}
	}
}
