package models

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestFloat16Known(t *testing.T) {
	for _, c := range []struct {
		f float32
		h uint16
	}{
		{0, 0x0000},
		{float32(math.Copysign(0, -1)), 0x8000},
		{1, 0x3c00},
		{-2, 0xc000},
		{65504, 0x7bff},       // largest finite
		{65519.996, 0x7bff},   // just below the halfway point to Inf
		{65520, 0x7c00},       // halfway: ties to even, which is Inf
		{0x1p-14, 0x0400},     // smallest normal
		{0x1p-24, 0x0001},     // smallest subnormal
		{0x1p-25, 0x0000},     // halfway between 0 and 2^-24: ties to even
		{0x1.8p-25, 0x0001},   // above halfway
		{0x1.002p0, 0x3c00},   // 1 + 2^-11, halfway: ties to even (down)
		{0x1.006p0, 0x3c02},   // 1 + 3*2^-11, halfway: ties to even (up)
		{0x1.ffep-15, 0x0400}, // subnormal rounding up into the smallest normal
		{float32(math.Inf(1)), 0x7c00},
		{float32(math.Inf(-1)), 0xfc00},
	} {
		if got := float32to16(c.f); got != c.h {
			t.Errorf("float32to16(%g) = %#04x, want %#04x", c.f, got, c.h)
		}
	}
	if h := float32to16(float32(math.NaN())); h&0x7c00 != 0x7c00 || h&0x3ff == 0 {
		t.Errorf("float32to16(NaN) = %#04x, not a NaN", h)
	}
}

// TestFloat16AllValues: every f16 widens exactly and narrows back to itself.
func TestFloat16AllValues(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := float16to32(uint16(h))
		if isNaN16 := h&0x7c00 == 0x7c00 && h&0x3ff != 0; isNaN16 {
			if !math.IsNaN(float64(f)) {
				t.Fatalf("%#04x widens to %v, want NaN", h, f)
			}
			continue
		}
		if back := float32to16(f); back != uint16(h) {
			t.Fatalf("%#04x -> %g -> %#04x", h, f, back)
		}
	}
}

// TestFloat16RoundingReference compares narrowing of random f32 values with the nearest
// f16 found by search (ties to the even one), the definition of round-to-nearest-even.
func TestFloat16RoundingReference(t *testing.T) {
	var finite []float64 // every non-negative finite f16 value, ascending
	for h := 0; h < 0x7c00; h++ {
		finite = append(finite, float64(float16to32(uint16(h))))
	}
	reference := func(f float32) uint16 {
		a := math.Abs(float64(f))
		var sign uint16
		if math.Signbit(float64(f)) {
			sign = 0x8000
		}
		const max, halfULP = 65504, 16
		if a >= max+halfULP {
			return sign | 0x7c00
		}
		i := sort.SearchFloat64s(finite, a)
		if i == len(finite) {
			return sign | 0x7bff
		}
		if finite[i] == a || i == 0 {
			return sign | uint16(i)
		}
		lo, hi := a-finite[i-1], finite[i]-a
		if lo < hi || lo == hi && (i-1)%2 == 0 {
			return sign | uint16(i-1)
		}
		return sign | uint16(i)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300000; n++ {
		var f float32
		switch n % 3 {
		case 0: // anywhere in and around the f16 range
			f = float32(math.Ldexp(r.Float64()*2-1, r.IntN(44)-28))
		case 1: // exact halfway points between neighbours
			h := r.IntN(0x7bff)
			f = float32((float64(float16to32(uint16(h))) + float64(float16to32(uint16(h+1)))) / 2)
		default: // arbitrary bit patterns, NaN excluded
			f = math.Float32frombits(r.Uint32())
			if math.IsNaN(float64(f)) {
				continue
			}
		}
		if got, want := float32to16(f), reference(f); got != want {
			t.Fatalf("float32to16(%g) = %#04x, want %#04x", f, got, want)
		}
	}
}
