package models_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"easel/models"
)

// meanStd returns the mean and standard deviation of xs.
func meanStd(xs []float32) (mean, std float64) {
	for _, x := range xs {
		mean += float64(x)
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		std += (float64(x) - mean) * (float64(x) - mean)
	}
	return mean, math.Sqrt(std / float64(len(xs)))
}

// The initialisations follow PyTorch: uniform(±1/√fan_in) convolutions and biases and
// identity InstanceNorms for TransformerNet; N(0, 0.02) convolutions and N(1, 0.02)
// BatchNorm weights for DCGAN; the same seed gives the same weights.
func TestInitLikePyTorch(t *testing.T) {
	w := models.InitTransformerNet(models.StandardTransformer, rand.New(rand.NewPCG(1, 2)))
	if err := w.Expect(models.StandardTransformer.Shapes()); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		fanIn int
	}{{"conv1.conv2d", 3 * 81}, {"res3.conv2.conv2d", 128 * 9}, {"deconv3.conv2d", 32 * 81}} {
		bound := 1 / math.Sqrt(float64(c.fanIn))
		for _, suffix := range []string{".weight", ".bias"} {
			x, err := w.Tensor(c.name + suffix)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := float64(x.Data[0]), float64(x.Data[0])
			for _, v := range x.Data {
				lo, hi = min(lo, float64(v)), max(hi, float64(v))
			}
			if lo < -bound || hi > bound || len(x.Data) >= 32 && hi-lo < bound {
				t.Errorf("%s%s in [%.4f, %.4f], want spread over ±%.4f", c.name, suffix, lo, hi, bound)
			}
			if suffix == ".weight" {
				if _, std := meanStd(x.Data); math.Abs(std-bound/math.Sqrt(3)) > 0.05*bound {
					t.Errorf("%s.weight std %.4f, uniform(±%.4f) has %.4f", c.name, std, bound, bound/math.Sqrt(3))
				}
			}
		}
	}
	for _, name := range []string{"in1", "res5.in2", "in5"} {
		g, _ := w.Tensor(name + ".weight")
		b, _ := w.Tensor(name + ".bias")
		for i := range g.Data {
			if g.Data[i] != 1 || b.Data[i] != 0 {
				t.Fatalf("%s: weight %v, bias %v, want 1 and 0", name, g.Data[i], b.Data[i])
			}
		}
	}

	g := models.InitGenerator(models.GeneratorConfig{NZ: 100, NGF: 64, NC: 3}, rand.New(rand.NewPCG(1, 2)))
	for _, c := range []struct {
		name      string
		mean, std float64
	}{
		{"main.3.weight", 0, 0.02}, {"main.12.weight", 0, 0.02},
		{"main.1.weight", 1, 0.02}, {"main.1.bias", 0, 0}, {"main.1.running_mean", 0, 0}, {"main.1.running_var", 1, 0},
	} {
		x, err := g.Tensor(c.name)
		if err != nil {
			t.Fatal(err)
		}
		mean, std := meanStd(x.Data)
		tol := 0.1*c.std + 5*c.std/math.Sqrt(float64(len(x.Data)))
		if math.Abs(mean-c.mean) > tol || math.Abs(std-c.std) > tol {
			t.Errorf("%s: mean %.4f std %.4f, want %v and %v", c.name, mean, std, c.mean, c.std)
		}
	}

	again := models.InitTransformerNet(models.StandardTransformer, rand.New(rand.NewPCG(1, 2)))
	var a, b bytes.Buffer
	if err := models.Encode(&a, w); err != nil {
		t.Fatal(err)
	}
	if err := models.Encode(&b, again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same seed gives different weights")
	}
}

func TestFLOPs(t *testing.T) {
	// 2·Cin·Cout·k²·output pixels per convolution, for 53×37: the network runs at 53×37,
	// 27×19, 14×10 and upsamples to 28×20 and 56×40.
	c := models.StandardTransformer
	want := 2 * float64(3*32*81*53*37+32*64*9*27*19+64*128*9*14*10+10*128*128*9*14*10+
		128*64*9*28*20+64*32*9*56*40+32*3*81*56*40)
	if got := c.FLOPs(1, 53, 37); got != want {
		t.Errorf("TransformerNet 53×37: %v FLOPs, want %v", got, want)
	}
	if got := c.FLOPs(3, 53, 37); got != 3*want {
		t.Errorf("TransformerNet 3×53×37: %v FLOPs, want %v", got, 3*want)
	}
	// A transposed convolution: 2·Cin·Cout·k²·input pixels.
	g := models.GeneratorConfig{NZ: 100, NGF: 64, NC: 3}
	want = 2 * float64(100*512*16+512*256*16*16+256*128*16*64+128*64*16*256+64*3*16*1024)
	if got := g.FLOPs(2); got != 2*want {
		t.Errorf("Generator: %v FLOPs, want %v", got, 2*want)
	}
	d := models.DiscriminatorConfig{NDF: 64, NC: 3}
	want = 2 * float64(3*64*16*1024+64*128*16*256+128*256*16*64+256*512*16*16+512*1*16)
	if got := d.FLOPs(1); got != want {
		t.Errorf("Discriminator: %v FLOPs, want %v", got, want)
	}
}
