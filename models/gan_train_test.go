package models_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"easel/models"
)

// The training fixtures come from models/testdata/make_dcgan_train.py: three iterations of
// pytorch/examples dcgan/main.py in real PyTorch.
const trainDir = "testdata/train"

func readTrainNpy(t *testing.T, name string, data any) []int {
	t.Helper()
	return readNpyInto(t, filepath.Join(trainDir, name), data)
}

func importTrainPth(t *testing.T, name, arch string) *models.Weights {
	t.Helper()
	return importPthFile(t, filepath.Join(trainDir, name), arch)
}

// TestDCGANTrainingMatchesPyTorch runs the fixture's three iterations and compares every
// printed figure per step, the generator's eval-mode output and every tensor of both
// networks (weights and running statistics) with PyTorch's.
func TestDCGANTrainingMatchesPyTorch(t *testing.T) {
	dev := testDevice(t)
	ctx := context.Background()
	g := importTrainPth(t, "g_init.pth", models.ArchDCGANGenerator)
	d := importTrainPth(t, "d_init.pth", models.ArchDCGANDiscriminator)
	var x, z, ez []float32
	var losses []float64
	xs := readTrainNpy(t, "x.npy", &x)
	zs := readTrainNpy(t, "z.npy", &z)
	ls := readTrainNpy(t, "losses.npy", &losses)
	readTrainNpy(t, "g_eval_z.npy", &ez)
	var wantOut []float32
	outShape := readTrainNpy(t, "g_eval_out.npy", &wantOut)

	batch := zs[1]
	tr, err := models.NewGANTrainer(dev, g, d, models.GANTrainConfig{Kind: models.GANKindDCGAN, Batch: batch, LR: 0.002, Beta1: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Release()
	per := xs[1] * xs[2] * xs[3]
	perZ := len(z) / zs[0]
	batches := xs[0] / batch
	worstLoss := 0.0
	for i := range zs[0] {
		k := i % batches
		st, err := tr.Step(ctx, models.GANBatch{Real: x[k*batch*per : (k+1)*batch*per], Z: z[i*perZ : (i+1)*perZ]})
		if err != nil {
			t.Fatal(err)
		}
		got := st.Values
		want := losses[i*ls[1] : (i+1)*ls[1]]
		for j, name := range []string{"loss_d", "loss_g", "d_x", "d_g_z1", "d_g_z2"} {
			diff := math.Abs(got[j] - want[j])
			worstLoss = max(worstLoss, diff)
			if !(diff <= 1e-3) {
				t.Errorf("step %d %s = %.6f, PyTorch %.6f", i+1, name, got[j], want[j])
			}
		}
		t.Logf("step %d: %v %v (%.0f ms)", i+1, tr.StatNames(), got, st.Millis)
	}
	t.Logf("worst |figure - PyTorch's| over 3 steps: %.2e", worstLoss)

	// Every tensor after training, running statistics included.
	gotG, err := tr.Generator(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gotD, err := tr.Discriminator(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		got  *models.Weights
		file string
	}{{gotG, "g_trained.pth"}, {gotD, "d_trained.pth"}} {
		want := importTrainPth(t, c.file, c.got.Arch)
		compareTrained(t, c.file, c.got, want)
	}

	// The trained generator in eval mode, as easel sample runs it.
	gen, err := models.NewGenerator(dev, gotG)
	if err != nil {
		t.Fatal(err)
	}
	defer gen.Release()
	plan, err := gen.Plan(outShape[0])
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Release()
	got, _ := runPlan(t, dev, plan, ez)
	rel := compare(t, plan.Output.Shape(), got, npy{shape: outShape, data: wantOut})
	t.Logf("trained generator, eval mode: max error %.2e of max|out|", rel)
	if !(rel <= 2e-3) {
		t.Errorf("trained generator output differs from PyTorch's by %.2e of max|out| (tolerance 2e-3)", rel)
	}
}

// compareTrained checks every tensor of want (PyTorch's, from file) against got's of the
// same name: each within 2e-3 of its tensor's largest value; it logs the worst.
func compareTrained(t *testing.T, file string, got, want *models.Weights) {
	t.Helper()
	worst, worstName := 0.0, ""
	for _, wt := range want.Tensors {
		gt, err := got.Tensor(wt.Name)
		if err != nil {
			t.Fatal(err)
		}
		scale := 0.0
		for _, v := range wt.Data {
			scale = max(scale, math.Abs(float64(v)))
		}
		for i, v := range wt.Data {
			if e := math.Abs(float64(gt.Data[i])-float64(v)) / scale; !(e <= worst) {
				worst, worstName = e, wt.Name
			}
		}
	}
	t.Logf("%s: worst tensor error %.2e of its max|value| (%s)", file, worst, worstName)
	if !(worst <= 2e-3) {
		t.Errorf("%s: %s differs from PyTorch's by %.2e of its largest value (tolerance 2e-3)", file, worstName, worst)
	}
}
