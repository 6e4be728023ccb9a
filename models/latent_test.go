package models

import (
	"math"
	"slices"
	"testing"
)

func TestRandomLatentsAreSeeded(t *testing.T) {
	a, b, c := RandomLatents(3, 100, 7), RandomLatents(3, 100, 7), RandomLatents(3, 100, 8)
	if len(a) != 3 || len(a[2]) != 100 {
		t.Fatalf("got %d vectors of %d values, want 3 of 100", len(a), len(a[2]))
	}
	sum, sq := 0.0, 0.0
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("vector %d differs between two draws with seed 7", i)
		}
		if slices.Equal(a[i], c[i]) {
			t.Fatalf("vector %d is the same for seeds 7 and 8", i)
		}
		for _, v := range a[i] {
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
	}
	if mean, std := sum/300, math.Sqrt(sq/300); math.Abs(mean) > 0.2 || math.Abs(std-1) > 0.15 {
		t.Errorf("mean %.3f, std %.3f of 300 draws: not standard normal", mean, std)
	}
}

func near(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i])-want[i]) > 1e-6 {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

func TestSlerp(t *testing.T) {
	a, b := []float32{1, 0, 0}, []float32{0, 2, 0}
	for _, c := range []struct {
		t    float64
		want []float64
	}{
		{0, []float64{1, 0, 0}},
		{1, []float64{0, 2, 0}},
		// A quarter circle: at t = ½ the weights are sin(π/4)/sin(π/2) each.
		{0.5, []float64{math.Sqrt2 / 2, math.Sqrt2, 0}},
		{1.0 / 3, []float64{math.Cos(math.Pi / 6), 2 * math.Sin(math.Pi/6), 0}},
	} {
		got, err := Slerp(a, b, c.t)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "Slerp", got, c.want)
	}
	// Parallel vectors: linear.
	got, err := Slerp([]float32{1, 1}, []float32{3, 3}, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "Slerp of parallel vectors", got, []float64{1.5, 1.5})
	if _, err := Slerp([]float32{1}, []float32{1, 2}, 0.5); err == nil {
		t.Error("Slerp of vectors of different lengths: no error")
	}
}

func TestLatentArithmetic(t *testing.T) {
	target := []float32{1, 1}
	with := [][]float32{{4, 0}, {2, 2}} // mean (3, 1)
	without := [][]float32{{1, 1}}      // mean (1, 1)
	got, err := LatentArithmetic(target, with, without)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "LatentArithmetic", got, []float64{3, 1})
	if _, err := LatentArithmetic(target, nil, without); err == nil {
		t.Error("no vectors with the attribute: no error")
	}
	if _, err := LatentArithmetic(target, [][]float32{{1, 2, 3}}, without); err == nil {
		t.Error("vectors of different lengths: no error")
	}
}

func TestAddDirection(t *testing.T) {
	z, d := []float32{1, -2, 0.5}, []float32{0.25, 4, -1}
	for _, c := range []struct {
		strength float64
		want     []float64
	}{
		{1, []float64{1.25, 2, -0.5}},
		{-1, []float64{0.75, -6, 1.5}},
		{0, []float64{1, -2, 0.5}},
		{2.5, []float64{1.625, 8, -2}},
	} {
		got, err := AddDirection(z, d, c.strength)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "AddDirection", got, c.want)
	}
	// Adding and then subtracting the same step gives z back.
	up, _ := AddDirection(z, d, 0.7)
	back, _ := AddDirection(up, d, -0.7)
	near(t, "AddDirection there and back", back, []float64{1, -2, 0.5})
	for _, bad := range []struct {
		z, d     []float32
		strength float64
	}{
		{z, d[:2], 1},
		{nil, nil, 1},
		{z, d, math.NaN()},
		{z, d, math.Inf(1)},
	} {
		if got, err := AddDirection(bad.z, bad.d, bad.strength); err == nil {
			t.Errorf("AddDirection(%v, %v, %v) = %v, want an error", bad.z, bad.d, bad.strength, got)
		}
	}
}
