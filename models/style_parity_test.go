package models_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"easel/gpu"
	"easel/models"
	"easel/optim"
)

// The fixtures of the perceptual-loss parity test come from models/testdata/make_style.py:
// three StyleTrainer steps, three ImageOptimizer Adam steps and two Evaluate calls in real
// PyTorch, on a tiny TransformerNet and a VGG16 stack cut after relu3_1.
const styleDir = "testdata/style"

// Tolerances of the parity test, each relative to the largest |value| of the reference
// quantity. PyTorch's own float32 run is within 3e-7 of its float64 run on the trained
// weights and the optimised image, 1e-7 on the losses and 2e-6 on the stylised crops;
// make_style.py keeps a fixture only if float64 training stays within 2e-5 when every
// gradient is off by 1e-4 of its tensor's largest, or the network's output by 1e-3.
// Measured on llvmpipe: losses 2e-7, crops 7e-6, weights 2e-7, image 5e-8, gradients 7e-7.
const (
	styleLossTol    = 1e-5 // each weighted loss term, relative to the step's total
	styleOutputTol  = 5e-5 // the stylised crops of the last step
	styleWeightsTol = 1e-4 // every tensor of the trained TransformerNet
	styleImageTol   = 1e-5 // the optimised image
	styleGradTol    = 1e-5 // Evaluate's gradient
)

// styleLossFixture is one of config.json's losses.
type styleLossFixture struct {
	LR            float64  `json:"lr"`
	Eps           float64  `json:"eps"`
	ContentLayer  string   `json:"content_layer"`
	StyleLayers   []string `json:"style_layers"`
	ContentWeight float64  `json:"content_weight"`
	StyleWeight   float64  `json:"style_weight"`
	TVWeight      float64  `json:"tv_weight"`
	Normalize     bool     `json:"normalize"`
}

func (l styleLossFixture) loss() models.PerceptualLoss {
	return models.PerceptualLoss{ContentLayer: l.ContentLayer, StyleLayers: l.StyleLayers, ContentWeight: l.ContentWeight,
		StyleWeight: l.StyleWeight, TVWeight: l.TVWeight, NormalizeStyle: l.Normalize}
}

// styleFixture is config.json.
type styleFixture struct {
	Net struct {
		C1     int `json:"c1"`
		C2     int `json:"c2"`
		C3     int `json:"c3"`
		Blocks int `json:"blocks"`
	} `json:"net"`
	VGG struct {
		Depth int    `json:"depth"`
		Convs int    `json:"convs"`
		Seed  uint64 `json:"seed"`
		// Probe holds [tensor name, flat index, value] triples of the script's weights.
		Probe [][3]any `json:"probe"`
	} `json:"vgg"`
	Batch     int              `json:"batch"`
	Size      int              `json:"size"`
	Steps     int              `json:"steps"`
	StyleH    int              `json:"style_h"`
	StyleW    int              `json:"style_w"`
	ImgH      int              `json:"img_h"`
	ImgW      int              `json:"img_w"`
	Train     styleLossFixture `json:"train"`
	Gatys     styleLossFixture `json:"gatys"`
	Texture   styleLossFixture `json:"texture"`
	Inversion styleLossFixture `json:"inversion"`
}

func readStyleFixture(t *testing.T) styleFixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(styleDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f styleFixture
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	return f
}

// lcgVGG returns the loss network of make_style.py's vgg_weights: every tensor of c in
// state_dict order from one 64-bit LCG stream (Knuth's MMIX constants) seeded with seed,
// uniform in ±√3·√(2/(out·9)) (kaiming fan_out's std) for weights and ±0.05 for biases.
// The arithmetic is exact integers and one float64 multiplication, so it gives the
// script's float32 values bit for bit.
func lcgVGG(t *testing.T, c models.VGGConfig, seed uint64) *models.Weights {
	t.Helper()
	w, err := models.InitVGG(c, 0) // names, shapes and meta
	if err != nil {
		t.Fatal(err)
	}
	state := seed
	uniform := func(data []float32, bound float64) {
		scale := bound / float64(1<<23)
		for i := range data {
			state = state*6364136223846793005 + 1442695040888963407
			v := float64(int64(state>>40)-1<<23) + 0.5
			data[i] = float32(v * scale)
		}
	}
	for i := range w.Tensors {
		tn := &w.Tensors[i]
		if len(tn.Shape) == 4 {
			uniform(tn.Data, math.Sqrt(3)*math.Sqrt(2/float64(tn.Shape[0]*9)))
		} else {
			uniform(tn.Data, 0.05)
		}
	}
	return w
}

// worstRel is max|got − want| / max|want| and the index of the worst element.
func worstRel(got, want []float32) (float64, int) {
	scale := 0.0
	for _, v := range want {
		scale = max(scale, math.Abs(float64(v)))
	}
	worst, at := 0.0, 0
	for i, v := range want {
		if e := math.Abs(float64(got[i])-float64(v)) / scale; !(e <= worst) {
			worst, at = e, i
		}
	}
	return worst, at
}

// checkClose fails unless got is within tol of want relative to max|want|.
func checkClose(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, PyTorch's %d", what, len(got), len(want))
	}
	e, at := worstRel(got, want)
	t.Logf("%s: worst error %.2e of max|PyTorch| (tolerance %.0e)", what, e, tol)
	if !(e <= tol) {
		t.Errorf("%s: element %d is %g, PyTorch's %g: %.2e of max|PyTorch| (tolerance %.0e)", what, at, got[at], want[at], e, tol)
	}
}

// checkLosses compares loss terms (content, style, tv, total) with PyTorch's, each
// relative to PyTorch's total.
func checkLosses(t *testing.T, what string, got [4]float64, want []float64) {
	t.Helper()
	names := [4]string{"content", "style", "tv", "total"}
	worst := 0.0
	for j := range 4 {
		e := math.Abs(got[j]-want[j]) / math.Abs(want[3])
		worst = max(worst, e)
		if !(e <= styleLossTol) {
			t.Errorf("%s %s = %.7g, PyTorch %.7g: %.2e of the total (tolerance %.0e)", what, names[j], got[j], want[j], e, styleLossTol)
		}
	}
	t.Logf("%s: content, style, tv, total %.7g, PyTorch %.7g (worst %.1e of the total)", what, got, want, worst)
}

// checkReleased fails if the device holds other than live tensor buffers: what a trainer
// or optimizer allocated must go with its Release.
func checkReleased(t *testing.T, dev *gpu.Device, live int, what string) {
	t.Helper()
	if n := dev.LiveBuffers(); n != live {
		t.Errorf("%s: %d tensor buffers live after Release, %d before it was made", what, n, live)
	}
}

func readStyleNpy(t *testing.T, name string) ([]float32, []int) {
	t.Helper()
	var v []float32
	shape := readNpyInto(t, filepath.Join(styleDir, name), &v)
	return v, shape
}

func readStyleNpy64(t *testing.T, name string) []float64 {
	t.Helper()
	var v []float64
	readNpyInto(t, filepath.Join(styleDir, name), &v)
	return v
}

// TestPerceptualLossMatchesPyTorch runs the fixture's three StyleTrainer steps, three
// ImageOptimizer Adam steps (Gatys et al.: content, style and TV) and two Evaluate calls
// (texture synthesis; feature inversion) and compares every loss term of every step, the
// stylised crops, the trained TransformerNet, the optimised image and the gradients with
// PyTorch's; and that each trainer and optimizer frees on Release what it allocated.
func TestPerceptualLossMatchesPyTorch(t *testing.T) {
	dev := testDevice(t)
	t.Logf("adapter: %s", dev.Adapter())
	ctx := context.Background()
	f := readStyleFixture(t)
	vc := models.VGGConfig{Depth: f.VGG.Depth, Convs: f.VGG.Convs}
	vw := lcgVGG(t, vc, f.VGG.Seed)
	if len(f.VGG.Probe) == 0 {
		t.Fatal("config.json: no vgg.probe")
	}
	for _, p := range f.VGG.Probe {
		name, _ := p[0].(string)
		idx, _ := p[1].(float64)
		want, _ := p[2].(float64)
		tn, err := vw.Tensor(name)
		if err != nil {
			t.Fatalf("vgg probe: %v", err)
		}
		if got := tn.Data[int(idx)]; float64(got) != want {
			t.Fatalf("loss network %s[%d] = %v, the script drew %v: the LCG differs", name, int(idx), got, want)
		}
	}
	vgg, err := models.NewVGG(dev, vw)
	if err != nil {
		t.Fatal(err)
	}
	defer vgg.Release()
	style, ss := readStyleNpy(t, "style.npy")
	if !slices.Equal(ss, []int{1, 3, f.StyleH, f.StyleW}) {
		t.Fatalf("style.npy: shape %v, want [1 3 %d %d]", ss, f.StyleH, f.StyleW)
	}

	t.Run("train", func(t *testing.T) {
		c := models.TransformerConfig{C1: f.Net.C1, C2: f.Net.C2, C3: f.Net.C3, Blocks: f.Net.Blocks}
		rng := rand.New(rand.NewPCG(1, 2)) // overwritten by the fixture's values
		net := stateDictInto(t, filepath.Join(styleDir, "net_init.pth"), models.InitTransformerNet(c, rng))
		tc := models.StyleTrainConfig{Batch: f.Batch, Size: f.Size, LR: f.Train.LR, Loss: f.Train.loss()}
		defer checkReleased(t, dev, dev.LiveBuffers(), "StyleTrainer")
		tr, err := models.NewStyleTrainer(dev, net, vgg, style, f.StyleH, f.StyleW, tc)
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Release()
		x, xs := readStyleNpy(t, "x.npy")
		want := readStyleNpy64(t, "train_losses.npy")
		per := f.Batch * 3 * f.Size * f.Size
		if !slices.Equal(xs, []int{2 * f.Batch, 3, f.Size, f.Size}) || len(want) != 4*f.Steps {
			t.Fatalf("fixture shapes x %v, %d losses do not fit two batches of %d %d×%d crops and %d steps", xs, len(want), f.Batch, f.Size, f.Size, f.Steps)
		}
		for i := range f.Steps {
			b := i % 2
			st, err := tr.Step(ctx, x[b*per:(b+1)*per])
			if err != nil {
				t.Fatal(err)
			}
			checkLosses(t, fmt.Sprintf("step %d", i+1), [4]float64{st.Content, st.Style, st.TV, st.Total}, want[4*i:4*i+4])
		}
		out, err := tr.Output(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantOut, _ := readStyleNpy(t, "train_output.npy")
		checkClose(t, "last step's stylised crops", out, wantOut, styleOutputTol)

		got, err := tr.Weights(ctx)
		if err != nil {
			t.Fatal(err)
		}
		trained := stateDictInto(t, filepath.Join(styleDir, "net_trained.pth"), models.InitTransformerNet(c, rng))
		worst, worstName := 0.0, ""
		for _, wt := range trained.Tensors {
			gt, err := got.Tensor(wt.Name)
			if err != nil {
				t.Fatal(err)
			}
			e, at := worstRel(gt.Data, wt.Data)
			if e > worst {
				worst, worstName = e, wt.Name
			}
			if !(e <= styleWeightsTol) {
				t.Errorf("%s[%d] = %g, PyTorch's %g: %.2e of max|PyTorch| (tolerance %.0e)", wt.Name, at, gt.Data[at], wt.Data[at], e, styleWeightsTol)
			}
		}
		t.Logf("trained TransformerNet: worst tensor error %.2e of its max|value| (%s; tolerance %.0e)", worst, worstName, styleWeightsTol)
	})

	content, cs := readStyleNpy(t, "gatys_content.npy")
	if !slices.Equal(cs, []int{1, 3, f.ImgH, f.ImgW}) {
		t.Fatalf("gatys_content.npy: shape %v, want [1 3 %d %d]", cs, f.ImgH, f.ImgW)
	}

	t.Run("gatys", func(t *testing.T) {
		adam := optim.Adam{LR: f.Gatys.LR, Beta1: 0.9, Beta2: 0.999, Eps: f.Gatys.Eps}
		defer checkReleased(t, dev, dev.LiveBuffers(), "ImageOptimizer")
		o, err := models.NewImageOptimizer(dev, vgg, f.Gatys.loss(), f.ImgH, f.ImgW, content, style, f.StyleH, f.StyleW, &adam)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Release()
		start, _ := readStyleNpy(t, "gatys_init.npy")
		if err := o.SetImage(start); err != nil {
			t.Fatal(err)
		}
		want := readStyleNpy64(t, "gatys_losses.npy")
		for i := range f.Steps {
			st, err := o.Step(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkLosses(t, fmt.Sprintf("step %d", i+1), [4]float64{st.Content, st.Style, st.TV, st.Total}, want[4*i:4*i+4])
		}
		img, err := o.Image(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantImg, _ := readStyleNpy(t, "gatys_image.npy")
		checkClose(t, "image after three steps", img, wantImg, styleImageTol)
	})

	evalImage, _ := readStyleNpy(t, "eval_image.npy")
	for _, c := range []struct {
		name string
		l    styleLossFixture
	}{{"texture", f.Texture}, {"inversion", f.Inversion}} {
		t.Run(c.name, func(t *testing.T) {
			var ci, si []float32
			if c.l.ContentLayer != "" {
				ci = content
			}
			if len(c.l.StyleLayers) > 0 {
				si = style
			}
			defer checkReleased(t, dev, dev.LiveBuffers(), "ImageOptimizer")
			o, err := models.NewImageOptimizer(dev, vgg, c.l.loss(), f.ImgH, f.ImgW, ci, si, f.StyleH, f.StyleW, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer o.Release()
			st, g, err := o.Evaluate(ctx, evalImage)
			if err != nil {
				t.Fatal(err)
			}
			checkLosses(t, "Evaluate", [4]float64{st.Content, st.Style, st.TV, st.Total}, readStyleNpy64(t, c.name+"_loss.npy"))
			wantG, _ := readStyleNpy(t, c.name+"_grad.npy")
			checkClose(t, "gradient", g, wantG, styleGradTol)
			// Evaluate leaves the image where it was given.
			img, err := o.Image(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(img, evalImage) {
				t.Errorf("Evaluate moved the image")
			}
		})
	}
}
