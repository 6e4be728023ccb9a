package faces

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestFaceDeterministic(t *testing.T) {
	for _, k := range []uint64{0, 1, 77, 199999, math.MaxUint64} {
		a, b := At(k), At(k)
		if a != b {
			t.Fatalf("At(%d) differs between calls:\n%+v\n%+v", k, a, b)
		}
		if !bytes.Equal(Render(a, 64).Pix, Render(b, 64).Pix) {
			t.Fatalf("Render(At(%d)) differs between calls", k)
		}
	}
	if At(1) == At(2) {
		t.Fatal("faces 1 and 2 have the same attributes")
	}
}

// TestFaceVariety: faces differ a lot from each other (the mean distance of pairs is large)
// and none repeats.
func TestFaceVariety(t *testing.T) {
	const n = 64
	ims := make([][]uint8, n)
	for k := range n {
		ims[k] = Render(At(uint64(k)), 64).Pix
	}
	var sum float64
	pairs := 0
	for i := range n {
		for j := i + 1; j < n; j++ {
			var d float64
			for p := range ims[i] {
				d += math.Abs(float64(ims[i][p]) - float64(ims[j][p]))
			}
			sum += d / float64(64*64*3) // alpha adds 0
			pairs++
		}
	}
	mean := sum / float64(pairs)
	t.Logf("mean absolute pixel difference of %d pairs: %.1f of 255", pairs, mean)
	if mean < 30 {
		t.Errorf("mean absolute pixel difference %.1f, want ≥ 30: the faces are too alike", mean)
	}
	seen := map[uint64]int{}
	for k := range 1000 {
		h := fnv.New64a()
		h.Write(Render(At(uint64(k)), 32).Pix)
		if j, ok := seen[h.Sum64()]; ok {
			t.Fatalf("faces %d and %d are identical", j, k)
		}
		seen[h.Sum64()] = k
	}
}

// TestFaceLabelPrevalence: every label is neither rare nor universal.
func TestFaceLabelPrevalence(t *testing.T) {
	const n = 20000
	count := make([]int, len(LabelNames))
	for k := range n {
		l := Labels(At(uint64(k)))
		if len(l) != len(LabelNames) {
			t.Fatalf("Labels gives %d values for %d names", len(l), len(LabelNames))
		}
		for i, v := range l {
			if v {
				count[i]++
			}
		}
	}
	for i, name := range LabelNames {
		p := float64(count[i]) / n
		t.Logf("%-10s %.1f%%", name, 100*p)
		if p < 0.12 || p > 0.55 {
			t.Errorf("label %s: prevalence %.1f%%, want 12..55%%", name, 100*p)
		}
	}
}

// TestFaceAttributeRanges: continuous attributes stay in their documented ranges.
func TestFaceAttributeRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	styles := map[HairStyle]int{}
	for range 5000 {
		a := Random(rng)
		for _, c := range []struct {
			name      string
			v, lo, hi float64
		}{
			{"Smile", a.Smile, -1, 1}, {"Turn", a.Turn, -1, 1}, {"BrowTilt", a.BrowTilt, -1, 1},
			{"Jaw", a.Jaw, 0, 1}, {"LightStrength", a.LightStrength, 0, 1}, {"LensTint", a.LensTint, 0, 1},
			{"Scale", a.Scale, 0.85, 1.15}, {"OffsetX", a.OffsetX, -0.05, 0.05}, {"OffsetY", a.OffsetY, -0.05, 0.05},
		} {
			if !(c.v >= c.lo && c.v <= c.hi) {
				t.Fatalf("%s = %v, want %v..%v", c.name, c.v, c.lo, c.hi)
			}
		}
		styles[a.Hair]++
	}
	for _, s := range hairStyles {
		if styles[s.style] < 200 {
			t.Errorf("hair style %s drawn %d times of 5000", s.style, styles[s.style])
		}
	}
}

// TestFaceLayout: the face sits where an aligned crop puts it: the background colour in a
// corner, the skin colour on the forehead.
func TestFaceLayout(t *testing.T) {
	const size = 64
	for k := range 200 {
		a := At(uint64(k))
		im := Render(a, size)
		if im.Bounds().Dx() != size || im.Bounds().Dy() != size {
			t.Fatalf("face %d: %v, want %d×%d", k, im.Bounds(), size, size)
		}
		// The corner pixel is the background gradient (within rounding).
		u := (0.5/size-0.5)*math.Cos(a.BackgroundAngle) + (0.5/size-0.5)*math.Sin(a.BackgroundAngle)
		bg := rgb(a.Background).lerp(rgb(a.Background2), u/math.Sqrt2+0.5)
		got := im.Pix[:3]
		for c, want := range []float64{bg.r, bg.g, bg.b} {
			if math.Abs(float64(got[c])-255*want) > 1.5 {
				t.Fatalf("face %d: corner pixel %v, want the background %.0f", k, got, []float64{255 * bg.r, 255 * bg.g, 255 * bg.b})
			}
		}
		// The middle of the forehead, above the eyebrows and below any fringe, is skin, lit by at most ±15 %.
		f := newFace(a, size)
		y := -0.33
		x, _ := f.proj(0, y, 0)
		X := f.c.ox + f.c.s*(f.c.cos*x-f.c.sin*y)
		Y := f.c.oy + f.c.s*(f.c.sin*x+f.c.cos*y)
		o := im.PixOffset(int(X), int(Y))
		for c := range 3 {
			skin, v := float64(a.Skin[c]), float64(im.Pix[o+c])
			if v < 0.8*skin-6 || v > 1.18*skin+6 {
				t.Fatalf("face %d: forehead pixel (%d,%d) is %v, want about the skin %v", k, int(X), int(Y), im.Pix[o:o+3], a.Skin)
			}
		}
	}
}

func TestFaceRenderSizes(t *testing.T) {
	a := At(5)
	if im := Render(a, 0); im.Bounds().Dx() != 0 {
		t.Errorf("Render(size 0): %v, want empty", im.Bounds())
	}
	for _, size := range []int{-3, MaxSize + 1, math.MaxInt} {
		if im := Render(a, size); im.Bounds().Dx() != 0 {
			t.Errorf("Render(size %d): %v, want empty", size, im.Bounds())
		}
	}
	// Attributes out of range or not numbers draw something, without a panic.
	odd := a
	odd.Scale, odd.FaceWidth, odd.Turn, odd.Roll = 0, math.NaN(), 40, math.Inf(1)
	if im := Render(odd, 16); im.Bounds().Dx() != 16 {
		t.Errorf("Render of odd attributes: %v, want 16×16", im.Bounds())
	}
	odd = a
	odd.Scale, odd.FaceLength, odd.EyeSize = 1e9, -5, -1
	if im := Render(odd, 16); im.Bounds().Dx() != 16 {
		t.Errorf("Render of odd attributes: %v, want 16×16", im.Bounds())
	}
	// A face rendered at 128 and averaged down is close to the face rendered at 64: the same
	// face at any size.
	big, small := Render(a, 128), Render(a, 64)
	var diff float64
	for y := range 64 {
		for x := range 64 {
			for c := range 3 {
				var s float64
				for _, d := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
					s += float64(big.Pix[big.PixOffset(2*x+d[0], 2*y+d[1])+c])
				}
				diff += math.Abs(s/4 - float64(small.Pix[small.PixOffset(x, y)+c]))
			}
		}
	}
	diff /= 64 * 64 * 3
	t.Logf("mean difference of the 128 render averaged down and the 64 render: %.2f", diff)
	if diff > 6 {
		t.Errorf("mean difference %.2f between sizes, want ≤ 6", diff)
	}
}

func TestFaceAttributesJSON(t *testing.T) {
	a := At(9)
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back Attributes
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != a {
		t.Fatalf("attributes through JSON:\n%+v\nwant\n%+v", back, a)
	}
	if !bytes.Contains(b, []byte(`"Skin":[`)) {
		t.Errorf("colours are not arrays in JSON: %s", b)
	}
	if !slices.Equal(Labels(back), Labels(a)) {
		t.Error("labels differ after JSON")
	}
}

func BenchmarkFaceRender64(b *testing.B) {
	var k uint64
	for b.Loop() {
		Render(At(k), 64)
		k++
	}
}
