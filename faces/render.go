package faces

import (
	"image"
	"math"
)

// Frame of an aligned portrait: the head's centre at (0.5, 0.47) of the image, its nominal
// half-width 0.29 of the image's side, as in a CelebA-like crop (eyes a little above the
// middle, chin at about five sixths of the height, shoulders at the bottom).
const (
	frameX, frameY = 0.5, 0.47
	frameScale     = 0.29
)

// MaxSize is the largest side Render draws.
const MaxSize = 4096

// Render draws the face a as a size×size image; an empty image for a size outside
// 1..MaxSize.
func Render(a Attributes, size int) *image.NRGBA {
	if size < 1 || size > MaxSize {
		return image.NewNRGBA(image.Rect(0, 0, 0, 0))
	}
	f := newFace(a, size)
	f.draw()
	return f.c.image()
}

// face is the geometry of one face in its local frame (unit: the nominal head half-width,
// y down, origin at the head's centre, about eye level), derived from its attributes.
type face struct {
	a                      Attributes
	c                      canvas
	skin, hair, brow, lips col
	hw, top, chin          float64 // head half-width, skull half-height, chin depth
	jaw                    float64 // 0: elliptic chin .. 0.65: square jaw
	phi                    float64 // the turn as an angle
	shift, shear           float64 // the head's sideways shift from the turn, and its chin's
	lx, ly, light          float64 // towards the light, and its strength
	eyeY, noseY, mouthY    float64
}

func newFace(a Attributes, n int) *face {
	s := float64(n) * frameScale * a.Scale
	f := &face{
		a: a,
		c: canvas{
			n: n, pix: make([]float64, 3*n*n),
			ox: float64(n) * (frameX + a.OffsetX), oy: float64(n) * (frameY + a.OffsetY),
			s: s, cos: math.Cos(a.Roll), sin: math.Sin(a.Roll),
		},
		skin:  rgb(a.Skin),
		hair:  rgb(a.HairColor),
		lips:  rgb(a.LipColor),
		hw:    a.FaceWidth,
		top:   1.22,
		chin:  a.FaceLength,
		jaw:   0.1 + 0.55*a.Jaw,
		phi:   0.6 * a.Turn,
		shift: 0.06 * a.Turn,
		shear: 0.12 * a.Turn,
		lx:    math.Cos(a.LightAngle),
		ly:    math.Sin(a.LightAngle),
		light: a.LightStrength,
		eyeY:  -0.02,
	}
	f.brow = f.hair.lerp(col{0.16, 0.11, 0.08}, 0.45)
	f.noseY = 0.36 * a.NoseLength
	f.mouthY = f.noseY + 0.38*(f.chin-f.noseY)
	return f
}

// headG is the head's implicit function (0 at the centre, 1 on the outline) and its
// gradient: an ellipse above eye level; below it, a blend of an ellipse and a squarer
// superellipse (the jaw), sheared sideways by the turn.
func (f *face) headG(x, y float64) (g, gx, gy float64) {
	x -= f.shift
	if y <= 0 {
		u, v := x/f.hw, y/f.top
		return u*u + v*v, 2 * u / f.hw, 2 * v / f.top
	}
	x -= f.shear * y / f.chin
	u, v := x/f.hw, y/f.chin
	j := f.jaw
	g = (1-j)*(u*u+v*v) + j*(u*u*u*u+v*v*v*v)
	gx = ((1-j)*2*u + j*4*u*u*u) / f.hw
	gy = ((1-j)*2*v+j*4*v*v*v)/f.chin - gx*f.shear/f.chin
	return g, gx, gy
}

func (f *face) head(x, y float64) float64 {
	g, gx, gy := f.headG(x, y)
	n := math.Hypot(gx, gy)
	if n < 1e-9 {
		return -1
	}
	return (g - 1) / n
}

// lit is the lighting factor at (x, y): brighter towards the light, by amount·strength.
func (f *face) lit(x, y, amount float64) float64 {
	return 1 + amount*f.light*(x*f.lx+y*f.ly)/1.3
}

// skinAt is the shaded skin colour: lit, and darker towards the head's outline.
func (f *face) skinAt(x, y float64) col {
	g, _, _ := f.headG(x, y)
	g = min(g, 1)
	return f.skin.mul(f.lit(x, y, 0.4) * (1 - 0.2*g*g*g))
}

// hairAt is the hair colour at (x, y): lit, with strands (or curls) and depth.
func (f *face) hairAt(depth float64) func(x, y float64) col {
	curly := f.a.Hair == Curly
	return func(x, y float64) col {
		var t float64
		if curly {
			t = 1 + 0.2*math.Sin(x*27+2*math.Sin(y*9))*math.Sin(y*25+2*math.Sin(x*8))
		} else {
			t = 1 + 0.05*math.Sin(x*23+4*math.Sin(y*3))
		}
		return f.hair.mul(depth * t * f.lit(x, y, 0.35))
	}
}

// proj places a feature that sits at x0 across the front of an unturned face, standing
// depth off its surface, on the turned face at height y, and gives the horizontal
// foreshortening there.
func (f *face) proj(x0, y, depth float64) (x, sx float64) {
	t0 := math.Asin(min(max(x0/f.hw, -0.95), 0.95))
	t := t0 + f.phi
	x = f.shift + (f.hw+depth)*math.Sin(t)
	if y > 0 {
		x += f.shear * y / f.chin
	}
	return x, max(math.Cos(t), 0.2) / math.Cos(t0)
}

// unturn is where the point (x, y) on the surface of the turned face sits across the
// front of the unturned one: the inverse of proj for features on the surface.
func (f *face) unturn(x, y float64) float64 {
	x -= f.shift
	if y > 0 {
		x -= f.shear * y / f.chin
	}
	t := math.Asin(min(max(x/f.hw, -1), 1)) - f.phi
	return f.hw * math.Sin(min(max(t, -math.Pi/2), math.Pi/2))
}

func (f *face) draw() {
	f.background()
	f.body()
	f.hairBack()
	f.neck()
	f.ears(false)
	f.c.fill(f.shift-f.hw-0.2, -f.top-0.05, f.shift+f.hw+0.2, f.chin+0.05, 0, 1, f.head, f.skinAt)
	f.ears(true)
	f.shadows()
	f.eyes()
	f.nose()
	if f.a.Beard {
		f.beard()
	}
	f.mouth()
	if f.a.Moustache {
		f.moustache()
	}
	if f.a.Glasses {
		f.glasses()
	}
	f.hairFront()
}

func (f *face) background() {
	b1, b2 := rgb(f.a.Background), rgb(f.a.Background2)
	dx, dy := math.Cos(f.a.BackgroundAngle), math.Sin(f.a.BackgroundAngle)
	n := f.c.n
	for j := range n {
		for i := range n {
			u := ((float64(i)+0.5)/float64(n)-0.5)*dx + ((float64(j)+0.5)/float64(n)-0.5)*dy
			k := b1.lerp(b2, u/math.Sqrt2+0.5)
			p := f.c.pix[3*(j*n+i):]
			p[0], p[1], p[2] = k.r, k.g, k.b
		}
	}
}

func (f *face) body() {
	cx, cy := 0.3*f.shift, f.chin+1.28
	clothes := rgb(f.a.Clothes)
	f.c.fill(cx-2, cy-0.95, cx+2, cy+0.95, 0, 1,
		func(x, y float64) float64 { return box(x, y, cx, cy, 1.9, 0.9, 0.7) },
		func(x, y float64) col { return clothes.mul(f.lit(x, y, 0.3)) })
}

func (f *face) neck() {
	cx, y0, y1 := 0.6*f.shift, 0.4, f.chin+0.55
	w := 0.4*f.hw + 0.05
	f.c.fill(cx-w, y0, cx+w, y1, 0, 1,
		func(x, y float64) float64 { return box(x, y, cx, (y0+y1)/2, w, (y1-y0)/2, 0.3) },
		func(x, y float64) col {
			return f.skin.mul(0.88 * f.lit(x, y, 0.3) * (0.65 + 0.35*smoothstep(f.chin-0.1, f.chin+0.35, y)))
		})
}

// ears draws the ears behind the head (front false): at its sides, the far one turning
// away behind it; or, for a turned head, the near ear over the side of the face, where
// the turn brings it into view (front true).
func (f *face) ears(front bool) {
	t := math.Abs(f.a.Turn)
	for _, s := range []float64{-1, 1} {
		ex, ew, eh, ey := f.shift+s*f.hw*0.97, 0.12, 0.22, 0.12
		alpha := 1.0
		switch far := s*f.a.Turn > 0; {
		case far && front:
			continue
		case far:
			ew *= 1 - 0.7*t
			ex -= s * 0.1 * t
		case front:
			if alpha = smoothstep(0.2, 0.7, t); alpha == 0 {
				continue
			}
			ew *= 0.85
			ex -= s * 0.22 * t
		}
		f.c.fill(ex-ew, ey-eh, ex+ew, ey+eh, 0, alpha,
			func(x, y float64) float64 { return ellipse(x, y, ex, ey, ew, eh) },
			func(x, y float64) col { return f.skin.mul(0.92 * f.lit(x, y, 0.4)) })
		f.c.fill(ex-ew, ey-eh, ex+ew, ey+eh, 0.03, 0.45*alpha,
			func(x, y float64) float64 { return ellipse(x, y, ex-s*0.01, ey+0.02, ew*0.45, eh*0.55) },
			flat(f.skin.mul(0.65)))
	}
}

// shadows are the soft shading of the face: eye sockets, cheeks, under the lower lip,
// and the shine of a bald head.
func (f *face) shadows() {
	for _, s := range []float64{-1, 1} {
		ex, sx := f.proj(s*0.38*f.a.EyeSpacing, f.eyeY, 0)
		ew := 0.16 * f.a.EyeSize * sx
		f.c.fill(ex-ew*1.6, f.eyeY-0.2, ex+ew*1.6, f.eyeY+0.15, 0.07, 0.3,
			func(x, y float64) float64 { return ellipse(x, y, ex, f.eyeY-0.03, ew*1.35, 0.1) },
			flat(f.skin.mul(0.75)))
		if f.a.Blush > 0.05 {
			cx, csx := f.proj(s*0.55, 0.3, 0)
			f.c.fill(cx-0.3, 0.1, cx+0.3, 0.5, 0.1, 0.35*f.a.Blush,
				func(x, y float64) float64 { return ellipse(x, y, cx, 0.3, 0.16*csx, 0.1) },
				flat(col{0.86, 0.35, 0.35}))
		}
	}
	mx, _ := f.proj(0, f.mouthY, 0.05)
	f.c.fill(mx-0.25, f.mouthY, mx+0.25, f.mouthY+0.3, 0.05, 0.25,
		func(x, y float64) float64 { return ellipse(x, y, mx, f.mouthY+0.15, 0.13, 0.04) },
		flat(f.skin.mul(0.7)))
	if f.a.Hair == Bald {
		hx := f.shift + 0.3*f.lx
		f.c.fill(hx-0.4, -1.1, hx+0.4, -0.4, 0.15, 0.25+0.3*f.light,
			func(x, y float64) float64 { return ellipse(x, y, hx, -0.75+0.1*f.ly, 0.25, 0.14) },
			flat(f.skin.mul(1.25)))
	}
}

func (f *face) eyes() {
	a := f.a
	squint := 1 - 0.3*max(a.Smile-0.4, 0)
	for _, s := range []float64{-1, 1} {
		ex, sx := f.proj(s*0.38*a.EyeSpacing, f.eyeY, -0.03)
		ey := f.eyeY
		ew, eh := 0.15*a.EyeSize*sx, 0.075*a.EyeSize*squint
		white := func(x, y float64) float64 { return ellipse(x, y, ex, ey, ew, eh) }
		f.c.fill(ex-ew, ey-eh, ex+ew, ey+eh, 0, 0.95, white, flat(col{0.93, 0.91, 0.88}.mul(f.lit(ex, ey, 0.2))))
		ir := 0.068 * a.EyeSize
		ix := ex + 0.2*ew*a.Turn
		f.c.fill(ix-ir, ey-ir, ix+ir, ey+ir, 0, 1,
			func(x, y float64) float64 { return max(ellipse(x, y, ix, ey, ir*sx, ir), white(x, y)) },
			flat(rgb(a.EyeColor)))
		f.c.fill(ix-ir, ey-ir, ix+ir, ey+ir, 0, 1,
			func(x, y float64) float64 { return max(ellipse(x, y, ix, ey, 0.45*ir*sx, 0.45*ir), white(x, y)) },
			flat(col{0.05, 0.04, 0.04}))
		f.c.fill(ix-ir, ey-ir, ix+ir, ey+ir, 0, 0.7,
			func(x, y float64) float64 { return circle(x, y, ix+0.3*ir, ey-0.35*ir, 0.022) },
			flat(col{1, 1, 1}))
		// The upper lid and lashes: the upper half of the outline, dark.
		f.c.fill(ex-ew-0.04, ey-eh-0.04, ex+ew+0.04, ey, 0, 0.9,
			func(x, y float64) float64 { return max(math.Abs(white(x, y))-0.022, y-ey+0.2*eh) },
			flat(col{0.15, 0.09, 0.07}))

		// The eyebrow: an arched stroke, thick at the inner end, tilted by BrowTilt.
		bx, by := ex-s*0.01, ey-0.21-a.BrowHeight
		w := 0.2 * sx
		b, c := s*0.25*a.BrowTilt, 0.05/(w*w)
		th := 0.032 * a.BrowWidth
		f.c.fill(bx-w-0.05, by-0.15, bx+w+0.05, by+0.15, 0, 0.92,
			func(x, y float64) float64 {
				d, t := curve(x, y, bx, by-0.05, w, b, c)
				return d - th*(0.75-0.4*s*t/w)
			},
			flat(f.brow))
	}
}

func (f *face) nose() {
	a := f.a
	nx, _ := f.proj(0, f.noseY, 0.2)
	bx, _ := f.proj(0, f.eyeY+0.1, 0.12) // the bridge, less far out than the tip
	nw := 0.1 * a.NoseWidth * math.Cos(f.phi)
	ny := f.noseY
	// The side of the nose away from the light, or the near side when the light is flat.
	side := -1.0
	if f.lx*f.light < -0.05 || (math.Abs(f.lx*f.light) <= 0.05 && a.Turn < 0) {
		side = 1
	}
	f.c.fill(min(bx, nx)-0.2, f.eyeY, max(bx, nx)+0.2, ny, 0.04, 0.2+0.35*f.light,
		func(x, y float64) float64 {
			return segment(x, y, bx+side*0.06, f.eyeY+0.12, nx+side*nw*0.85, ny-0.07, 0.025)
		},
		flat(f.skin.mul(0.7)))
	f.c.fill(nx-nw-0.1, ny-0.05, nx+nw+0.1, ny+0.1, 0.03, 0.45,
		func(x, y float64) float64 { return ellipse(x, y, nx, ny+0.025, nw*1.1, 0.04) },
		flat(f.skin.mul(0.6)))
	for _, s := range []float64{-1, 1} {
		ox := nx + s*nw*0.5
		f.c.fill(ox-0.06, ny-0.05, ox+0.06, ny+0.05, 0, 0.55,
			func(x, y float64) float64 { return ellipse(x, y, ox, ny+0.005, 0.035, 0.02) },
			flat(f.skin.mul(0.35)))
	}
	f.c.fill(nx-0.1, ny-0.15, nx+0.1, ny, 0.04, 0.25,
		func(x, y float64) float64 { return circle(x, y, nx-0.1*f.lx*f.light, ny-0.07, 0.04) },
		flat(f.skin.mul(1.15)))
}

func (f *face) mouth() {
	a := f.a
	mx, sx := f.proj(0, f.mouthY, 0.05)
	my := f.mouthY
	mw := 0.27 * a.MouthWidth * math.Cos(f.phi) * (1 + 0.12*a.Smile)
	c := -a.Smile * 0.09 / (mw * mw)
	_ = sx
	line := func(t float64) float64 { return my + c*t*t }
	x0, x1, y0, y1 := mx-mw-0.1, mx+mw+0.1, my-0.2, my+0.25
	if a.Smile > 0.45 { // an open smile, with teeth
		open := (a.Smile - 0.45) * 0.3
		top := func(t float64) float64 { u := t / mw; return line(t) - 0.2*open*(1-u*u) }
		bot := func(t float64) float64 { u := t / mw; return line(t) + open*(1-u*u) }
		inside := func(x, y float64) float64 {
			t := x - mx
			return max(max(top(t)-y, y-bot(t)), math.Abs(t)-mw)
		}
		f.c.fill(x0, y0, x1, y1, 0, 1, inside, flat(col{0.32, 0.08, 0.1}))
		f.c.fill(x0, y0, x1, y1, 0, 0.95,
			func(x, y float64) float64 { return max(inside(x, y), y-top(x-mx)-0.45*open-0.01) },
			flat(col{0.95, 0.93, 0.88}))
		f.c.fill(x0, y0, x1, y1, 0.01, 0.8,
			func(x, y float64) float64 {
				t := x - mx
				return max(math.Abs(y-bot(t)-0.03)-0.025, math.Abs(t)-0.75*mw)
			},
			flat(f.lips))
		f.c.fill(x0, y0, x1, y1, 0, 0.7,
			func(x, y float64) float64 {
				t := x - mx
				return max(max(math.Abs(y-top(t)+0.015)-0.015, math.Abs(t)-mw), -inside(x, y))
			},
			flat(f.lips))
		return
	}
	// Closed: the upper lip, the lower lip, and the dark line between them.
	f.c.fill(x0, y0, x1, y1, 0, 0.55,
		func(x, y float64) float64 {
			d, t := curve(x, y, mx, my-0.03, mw*0.92, 0, c)
			u := t / mw
			return d - 0.022*(1-0.5*u*u)
		},
		flat(f.lips))
	f.c.fill(x0, y0, x1, y1, 0, 0.75,
		func(x, y float64) float64 {
			d, t := curve(x, y, mx, my+0.045, mw*0.75, 0, c*0.6)
			u := t / mw
			return d - 0.038*(1-0.6*u*u)
		},
		flat(f.lips))
	f.c.fill(x0, y0, x1, y1, 0, 0.9,
		func(x, y float64) float64 {
			d, t := curve(x, y, mx, my, mw, 0, c)
			u := t / mw
			return d - 0.02*(1-0.5*u*u)
		},
		flat(f.lips.mul(0.5)))
}

// beard covers the chin and jaw up to the sideburns, below the mouth.
func (f *face) beard() {
	topAt := func(x, y float64) float64 {
		u := f.unturn(x, y) / f.hw
		return f.mouthY + 0.08 - 0.45*u*u*u*u
	}
	bc := f.hair.mul(0.9)
	f.c.fill(f.shift-f.hw-0.2, -0.1, f.shift+f.hw+0.2+math.Abs(f.shear), f.chin+0.15, 0.03, 0.93,
		func(x, y float64) float64 { return max(f.head(x, y)-0.04, topAt(x, y)-y) },
		func(x, y float64) col {
			return bc.mul(f.lit(x, y, 0.3) * (1 + 0.06*math.Sin(x*37+3*math.Sin(y*13))))
		})
}

func (f *face) moustache() {
	mx, _ := f.proj(0, f.mouthY, 0.05)
	my := f.mouthY - 0.075
	w := 0.27 * f.a.MouthWidth * math.Cos(f.phi) * 1.05
	c := 0.06/(w*w) - f.a.Smile*0.03/(w*w)
	f.c.fill(mx-w-0.1, my-0.1, mx+w+0.1, my+0.15, 0.01, 0.95,
		func(x, y float64) float64 {
			d, t := curve(x, y, mx, my, w, 0, c)
			u := t / w
			return d - 0.045*(1-0.4*u*u)
		},
		f.hairAt(0.9))
}

func (f *face) glasses() {
	a := f.a
	frame := rgb(a.GlassesColor)
	var rims [2]func(x, y float64) float64
	var ex, rw [2]float64
	ey := f.eyeY + 0.01
	for i, s := range []float64{-1, 1} {
		x, sx := f.proj(s*0.38*a.EyeSpacing, ey, 0.05)
		w, h := 0.2*sx, 0.14
		ex[i], rw[i] = x, w
		if a.GlassesRound {
			rims[i] = func(px, py float64) float64 { return ellipse(px, py, x, ey, w, h*1.1) }
		} else {
			rims[i] = func(px, py float64) float64 { return box(px, py, x, ey, w, h, 0.06) }
		}
	}
	for i, s := range []float64{-1, 1} {
		rim := rims[i]
		x0, x1 := ex[i]-rw[i]-0.05, ex[i]+rw[i]+0.05
		if a.LensTint > 0 {
			f.c.fill(x0, ey-0.2, x1, ey+0.2, 0, 0.9*a.LensTint, rim, flat(frame.mul(0.5).lerp(col{0.05, 0.05, 0.07}, 0.7)))
		}
		f.c.fill(x0, ey-0.2, x1, ey+0.2, 0, 1,
			func(x, y float64) float64 { return math.Abs(rim(x, y)) - 0.022 },
			flat(frame))
		// The temple, from the outer edge of the rim back to the ear.
		outer := ex[i] + s*rw[i]
		ear := f.shift + s*f.hw*0.95
		if s*(ear-outer) > 0 {
			f.c.fill(min(outer, ear), ey-0.1, max(outer, ear), ey+0.05, 0, 1,
				func(x, y float64) float64 { return segment(x, y, outer, ey-0.05, ear, ey-0.02, 0.02) },
				flat(frame))
		}
	}
	l, r := ex[0]+rw[0], ex[1]-rw[1]
	f.c.fill(l-0.02, ey-0.12, r+0.02, ey, 0, 1,
		func(x, y float64) float64 {
			d, _ := curve(x, y, (l+r)/2, ey-0.07, (r-l)/2, 0, 0.6)
			return d - 0.02
		},
		flat(frame))
}

// capShape is the hair on top of the head down to a hairline at hl in the middle that
// falls by hs towards the temples (and tilts with the parting), then down to sideburns
// at sb in front of the ears.
func (f *face) capShape(hl, hs, sb, vol float64) func(x, y float64) float64 {
	cy := -0.05 - 0.1*vol
	w, h := f.hw*(1.05+0.06*vol), f.top*1.06+0.12*vol
	part := 0.12 * f.a.HairPart
	curly := f.a.Hair == Curly
	return func(x, y float64) float64 {
		u := (x - f.shift) / f.hw
		temple := hl + hs*0.64
		line := hl + hs*u*u + part*u + (sb-temple)*smoothstep(0.8, 0.97, math.Abs(u))
		if curly {
			line += 0.03 * math.Sin(x*31)
		} else {
			line += 0.02 * math.Sin(x*37)
		}
		return max(ellipse(x, y, f.shift, cy, w, h), y-line)
	}
}

// hairBack is the hair behind the head and neck.
func (f *face) hairBack() {
	a := f.a
	vol := a.HairVolume
	sx := f.shift
	switch a.Hair {
	case Long, Bob:
		bottom := 1.3 + 0.9*a.HairLength
		w := f.hw*1.16 + 0.08*vol
		if a.Hair == Bob {
			bottom, w = 0.8+0.25*a.HairLength, f.hw*1.2+0.1*vol
		}
		cy, ch := -0.1-0.1*vol, f.top*1.1+0.12*vol
		f.c.fill(sx-w-0.1, cy-ch, sx+w+0.1, bottom, 0, 1,
			func(x, y float64) float64 {
				return min(ellipse(x, y, sx, cy, w*0.98, ch), box(x, y, sx, (bottom-0.1)/2, w, (bottom+0.1)/2, 0.3))
			},
			f.hairAt(0.8))
	case Curly:
		cy, r := -0.3, 1.3+0.3*vol
		f.c.fill(sx-r-0.1, cy-r-0.1, sx+r+0.1, cy+r+0.1, 0.01, 1,
			func(x, y float64) float64 {
				return math.Hypot(x-sx, y-cy) - r - 0.06*math.Sin(x*11)*math.Sin(y*11)
			},
			f.hairAt(0.8))
	case Bun:
		cy, r := -f.top-0.12-0.05*vol, 0.3+0.1*vol
		f.c.fill(sx-r, cy-r, sx+r, cy+r, 0, 1,
			func(x, y float64) float64 { return circle(x, y, sx, cy, r) },
			f.hairAt(0.85))
	}
}

// hairFront is the hair over the forehead and the sides of the face.
func (f *face) hairFront() {
	a := f.a
	vol := a.HairVolume
	sx := f.shift
	x0, x1, y0 := sx-f.hw*1.3-0.2, sx+f.hw*1.3+0.2, -f.top-0.4
	switch a.Hair {
	case Bald:
		if !a.SideHair {
			return
		}
		f.c.fill(x0, -0.6, x1, 0.2, 0.03, 0.85,
			func(x, y float64) float64 {
				d, v := f.head(x, y), (y+0.2)/0.3 // a crescent, thickest at v = 0
				return max(d-0.02, -d-0.1*(1-v*v))
			},
			f.hairAt(1))
	case Short:
		f.c.fill(x0, y0, x1, 0.2, 0, 1, f.capShape(-0.75+0.05*vol, 0.3, 0.12, vol), f.hairAt(1))
	case Curly:
		f.c.fill(x0, y0, x1, 0.2, 0.01, 1, f.capShape(-0.68, 0.3, 0.1, vol+0.5), f.hairAt(1))
	case Bun:
		f.c.fill(x0, y0, x1, 0.2, 0, 1, f.capShape(-0.78, 0.35, 0.05, 0.15*vol), f.hairAt(1))
	case Long, Bob:
		hl, hs, bottom := -0.72, 0.3, 0.75+0.5*a.HairLength
		if a.Hair == Bob {
			hl, hs, bottom = -0.48+0.06*vol, 0.15, 0.7+0.2*a.HairLength
		}
		capS := f.capShape(hl, hs, 0.3, vol)
		cw := 0.12 + 0.05*vol
		yc, yh := (bottom-0.25)/2, (bottom+0.25)/2
		f.c.fill(x0, y0, x1, bottom, 0, 1,
			func(x, y float64) float64 {
				d := capS(x, y)
				for _, s := range []float64{-1, 1} {
					d = min(d, box(x, y, sx+s*f.hw*(1.02+0.05*vol), yc, cw, yh, 0.1))
				}
				return d
			},
			f.hairAt(1))
	}
}
