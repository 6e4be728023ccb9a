// Package faces is Easel's procedural data set of labelled faces: each face is a set of
// drawn attributes (face shape, skin, eyes, hair, glasses, beard, head turn, lighting,
// background ...) rendered as an anti-aliased, aligned portrait at any size. Face k of the
// set depends on k alone, so the set needs no storage and is the same everywhere.
package faces

import (
	"math"
	"math/rand/v2"
)

// RGB is a colour as 8-bit sRGB values.
type RGB [3]uint8

// HairStyle is the cut of a face's hair.
type HairStyle string

// The hair styles and how often each is drawn.
const (
	Bald  HairStyle = "bald"
	Short HairStyle = "short"
	Long  HairStyle = "long"
	Bob   HairStyle = "bob"
	Curly HairStyle = "curly" // an afro: a big round halo of curls
	Bun   HairStyle = "bun"
)

var hairStyles = []struct {
	style HairStyle
	p     float64
}{{Bald, 0.16}, {Short, 0.30}, {Long, 0.24}, {Bob, 0.12}, {Curly, 0.10}, {Bun, 0.08}}

// hairColors are the hair colour families with their base colour and how often each is
// drawn; a face's colour is its family's base with a random shade.
var hairColors = []struct {
	name string
	base RGB
	p    float64
}{
	{"black", RGB{28, 24, 24}, 0.22},
	{"dark_brown", RGB{62, 42, 30}, 0.20},
	{"brown", RGB{112, 74, 46}, 0.17},
	{"auburn", RGB{142, 66, 36}, 0.09},
	{"blond", RGB{214, 178, 112}, 0.21},
	{"gray", RGB{170, 168, 164}, 0.11},
}

// eyeColors are the iris colours, drawn uniformly and shaded.
var eyeColors = []RGB{{70, 42, 24}, {96, 60, 30}, {40, 28, 20}, {118, 98, 50}, {70, 110, 70}, {70, 110, 160}, {100, 120, 135}}

// skinTones is a ramp from light to dark skin; a face's tone is a point on it.
var skinTones = []RGB{{255, 226, 204}, {240, 200, 170}, {222, 170, 130}, {190, 134, 96}, {146, 96, 62}, {100, 64, 42}, {72, 46, 32}}

// Attributes are everything that makes up one face. Lengths are in units of the nominal
// head half-width; colours are sRGB.
type Attributes struct {
	// Placement in the frame: the head's centre offset (in image widths), its size
	// relative to the nominal one, and its roll (tilt) in radians. Small jitter, as in an
	// aligned face data set.
	OffsetX, OffsetY float64
	Scale            float64
	Roll             float64

	// Face shape: width and length relative to nominal, jaw from round (0) to square (1).
	FaceWidth  float64
	FaceLength float64
	Jaw        float64
	Skin       RGB
	Blush      float64 // 0..1, redness of the cheeks

	EyeSize    float64 // relative to nominal
	EyeSpacing float64 // relative to nominal
	EyeColor   RGB
	BrowWidth  float64 // eyebrow thickness relative to nominal
	BrowTilt   float64 // -1 (inner ends down: stern) .. 1 (inner ends up: worried)
	BrowHeight float64 // raise above the nominal position, in half-widths

	NoseLength float64 // relative to nominal
	NoseWidth  float64 // relative to nominal
	MouthWidth float64 // relative to nominal
	Smile      float64 // -1 (frown) .. 1 (broad, open smile)
	LipColor   RGB

	Hair       HairStyle
	HairColor  RGB
	HairTone   string  // the colour family: black, dark_brown, brown, auburn, blond, gray
	HairPart   float64 // -1..1: where the hairline is higher, left or right
	HairVolume float64 // 0..1: how far the hair stands off the head
	HairLength float64 // 0..1: how far long hair and bobs reach down
	SideHair   bool    // bald: a fringe of hair around the back and sides

	Glasses      bool
	GlassesColor RGB
	GlassesRound bool    // round rims, else rectangular
	LensTint     float64 // 0 (clear) .. 1 (dark sunglasses)

	Beard     bool // hair on the chin and jaw
	Moustache bool

	// Turn is the head's turn, -1 (towards the image's left) .. 1 (right): features shift
	// that way and the far side is foreshortened.
	Turn float64

	// LightAngle is the direction the light comes from, in radians in the image plane
	// (0: from the right, π/2: from below, -π/2: from above); LightStrength 0..1 is the
	// shading gradient across the face.
	LightAngle    float64
	LightStrength float64

	// Background is a gradient from Background to Background2 along BackgroundAngle.
	Background      RGB
	Background2     RGB
	BackgroundAngle float64
	Clothes         RGB
}

// At is face k of the set: Random with a PCG seeded with k.
func At(k uint64) Attributes {
	return Random(rand.New(rand.NewPCG(k, 0x6661636573))) // "faces"
}

// Random draws a face's attributes from rng.
func Random(rng *rand.Rand) Attributes {
	normal := func(mean, sd, lo, hi float64) float64 {
		return min(max(mean+sd*rng.NormFloat64(), lo), hi)
	}
	uniform := func(lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
	var a Attributes
	a.OffsetX = normal(0, 0.02, -0.05, 0.05)
	a.OffsetY = normal(0, 0.02, -0.05, 0.05)
	a.Scale = normal(1, 0.05, 0.88, 1.12)
	a.Roll = normal(0, 0.06, -0.15, 0.15)

	a.FaceWidth = normal(0.95, 0.06, 0.8, 1.1)
	a.FaceLength = normal(1.3, 0.08, 1.1, 1.5)
	a.Jaw = rng.Float64()
	a.Skin = shade(ramp(skinTones, rng.Float64()), rng, 0.04)
	a.Blush = uniform(0, 1) * uniform(0, 1)

	a.EyeSize = normal(1, 0.12, 0.7, 1.35)
	a.EyeSpacing = normal(1, 0.07, 0.85, 1.15)
	a.EyeColor = shade(eyeColors[rng.IntN(len(eyeColors))], rng, 0.12)
	a.BrowWidth = normal(1, 0.3, 0.5, 1.8)
	a.BrowTilt = normal(0, 0.4, -1, 1)
	a.BrowHeight = normal(0, 0.04, -0.08, 0.1)

	a.NoseLength = normal(1, 0.1, 0.75, 1.25)
	a.NoseWidth = normal(1, 0.12, 0.7, 1.3)
	a.MouthWidth = normal(1, 0.12, 0.7, 1.3)
	a.Smile = normal(0.15, 0.45, -1, 1)
	lips := mix(a.Skin, RGB{180, 70, 80}, uniform(0.25, 0.5))
	if rng.Float64() < 0.15 { // lipstick
		lips = mix(lips, RGB{190, 20, 50}, uniform(0.4, 0.8))
	}
	a.LipColor = scale(lips, 0.85)

	a.Hair = pickStyle(rng.Float64())
	tone := pickTone(rng.Float64())
	a.HairTone = hairColors[tone].name
	a.HairColor = shade(hairColors[tone].base, rng, 0.15)
	a.HairPart = normal(0, 0.5, -1, 1)
	a.HairVolume = rng.Float64()
	a.HairLength = rng.Float64()
	a.SideHair = a.Hair == Bald && rng.Float64() < 0.5

	a.Glasses = rng.Float64() < 0.28
	a.GlassesColor = shade([]RGB{{20, 20, 22}, {60, 40, 30}, {150, 150, 155}, {120, 30, 30}, {30, 40, 90}}[rng.IntN(5)], rng, 0.1)
	a.GlassesRound = rng.Float64() < 0.4
	if rng.Float64() < 0.2 {
		a.LensTint = uniform(0.5, 0.95)
	}

	switch u := rng.Float64(); {
	case u < 0.22: // full beard
		a.Beard, a.Moustache = true, true
	case u < 0.30:
		a.Beard = true
	case u < 0.40:
		a.Moustache = true
	}

	a.Turn = normal(0, 0.4, -1, 1)
	a.LightAngle = uniform(-math.Pi, math.Pi)
	a.LightStrength = uniform(0, 1) * uniform(0.3, 1)

	bg := hsv(rng.Float64(), uniform(0, 0.5), uniform(0.25, 0.95))
	a.Background = bg
	a.Background2 = mix(bg, hsv(rng.Float64(), uniform(0, 0.5), uniform(0.2, 0.95)), uniform(0, 0.8))
	a.BackgroundAngle = uniform(-math.Pi, math.Pi)
	a.Clothes = hsv(rng.Float64(), uniform(0, 0.8), uniform(0.1, 0.9))
	return a
}

func pickStyle(u float64) HairStyle {
	for _, s := range hairStyles {
		if u < s.p {
			return s.style
		}
		u -= s.p
	}
	return hairStyles[len(hairStyles)-1].style
}

func pickTone(u float64) int {
	for i, c := range hairColors {
		if u < c.p {
			return i
		}
		u -= c.p
	}
	return len(hairColors) - 1
}

// LabelNames are the binary labels of a face, in the order of Labels.
var LabelNames = []string{"glasses", "smile", "beard", "moustache", "turn_left", "turn_right", "long_hair", "bald", "dark_hair", "blond_hair"}

// Labels are a's binary attributes, in the order of LabelNames: thresholds on the
// continuous ones (smile > 0.35, turn beyond ±0.35), hair colour only where there is hair.
func Labels(a Attributes) []bool {
	hair := a.Hair != Bald
	return []bool{
		a.Glasses,
		a.Smile > 0.35,
		a.Beard,
		a.Moustache,
		a.Turn < -0.35,
		a.Turn > 0.35,
		a.Hair == Long,
		a.Hair == Bald,
		hair && (a.HairTone == "black" || a.HairTone == "dark_brown"),
		hair && a.HairTone == "blond",
	}
}

// ramp is the colour at t (0..1) along the stops.
func ramp(stops []RGB, t float64) RGB {
	f := t * float64(len(stops)-1)
	i := min(int(f), len(stops)-2)
	return mix(stops[i], stops[i+1], f-float64(i))
}

// mix is (1-t)·a + t·b.
func mix(a, b RGB, t float64) RGB {
	var c RGB
	for i := range c {
		c[i] = clampByte(float64(a[i])*(1-t) + float64(b[i])*t)
	}
	return c
}

// scale multiplies c by f.
func scale(c RGB, f float64) RGB {
	return RGB{clampByte(float64(c[0]) * f), clampByte(float64(c[1]) * f), clampByte(float64(c[2]) * f)}
}

// shade varies c's brightness and each channel a little, by about sd.
func shade(c RGB, rng *rand.Rand, sd float64) RGB {
	b := 1 + sd*rng.NormFloat64()
	var out RGB
	for i := range c {
		out[i] = clampByte(float64(c[i]) * b * (1 + sd/3*rng.NormFloat64()))
	}
	return out
}

// hsv converts hue, saturation, value (0..1) to RGB.
func hsv(h, s, v float64) RGB {
	h = math.Mod(h, 1) * 6
	i := int(h)
	f := h - float64(i)
	p, q, t := v*(1-s), v*(1-s*f), v*(1-s*(1-f))
	var r, g, b float64
	switch i {
	case 0:
		r, g, b = v, t, p
	case 1:
		r, g, b = q, v, p
	case 2:
		r, g, b = p, v, t
	case 3:
		r, g, b = p, q, v
	case 4:
		r, g, b = t, p, v
	default:
		r, g, b = v, p, q
	}
	return RGB{clampByte(r * 255), clampByte(g * 255), clampByte(b * 255)}
}

func clampByte(v float64) uint8 {
	return uint8(min(max(math.Round(v), 0), 255))
}
