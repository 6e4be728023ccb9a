package faces

import (
	"image"
	"math"
)

// col is a colour with channels 0..1.
type col struct{ r, g, b float64 }

func rgb(c RGB) col { return col{float64(c[0]) / 255, float64(c[1]) / 255, float64(c[2]) / 255} }

// mul scales c by f.
func (c col) mul(f float64) col { return col{c.r * f, c.g * f, c.b * f} }

// lerp is (1-t)·c + t·d.
func (c col) lerp(d col, t float64) col {
	return col{c.r + (d.r-c.r)*t, c.g + (d.g-c.g)*t, c.b + (d.b-c.b)*t}
}

// canvas is an RGB image that shapes are painted on. Shapes are given by a signed
// distance (negative inside) in the face's local frame, whose unit is the nominal head
// half-width; a pixel is covered in proportion to how far its centre is inside the edge
// (coverage-based anti-aliasing), so edges are smooth at any size.
type canvas struct {
	n   int
	pix []float64 // r, g, b per pixel, row by row
	// The local frame maps to pixels as X = ox + s·(cos·x - sin·y), Y = oy + s·(sin·x + cos·y).
	ox, oy, s, cos, sin float64
}

// fill paints the shape sdf with the colour paint gives at each point, at opacity alpha,
// over the local box [x0,x1]×[y0,y1] that holds it. feather (local units) softens the
// edge beyond the one-pixel anti-aliasing, for shadows and highlights.
func (c *canvas) fill(x0, y0, x1, y1, feather, alpha float64, sdf func(x, y float64) float64, paint func(x, y float64) col) {
	// The box's bounds in pixels: the extremes of its four corners.
	px0, py0, px1, py1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range [4][2]float64{{x0, y0}, {x1, y0}, {x0, y1}, {x1, y1}} {
		X := c.ox + c.s*(c.cos*p[0]-c.sin*p[1])
		Y := c.oy + c.s*(c.sin*p[0]+c.cos*p[1])
		px0, px1 = min(px0, X), max(px1, X)
		py0, py1 = min(py0, Y), max(py1, Y)
	}
	margin := 1 + feather*c.s
	i0, i1 := max(int(px0-margin), 0), min(int(px1+margin)+1, c.n)
	j0, j1 := max(int(py0-margin), 0), min(int(py1+margin)+1, c.n)
	width := 1/c.s + feather // the distance over which coverage goes from 1 to 0
	for j := j0; j < j1; j++ {
		dy := float64(j) + 0.5 - c.oy
		for i := i0; i < i1; i++ {
			dx := float64(i) + 0.5 - c.ox
			x := (c.cos*dx + c.sin*dy) / c.s
			y := (-c.sin*dx + c.cos*dy) / c.s
			cov := 0.5 - sdf(x, y)/width
			if cov <= 0 {
				continue
			}
			a := alpha * min(cov, 1)
			k := paint(x, y)
			p := c.pix[3*(j*c.n+i):]
			p[0] += (k.r - p[0]) * a
			p[1] += (k.g - p[1]) * a
			p[2] += (k.b - p[2]) * a
		}
	}
}

// image converts the canvas to 8-bit sRGB.
func (c *canvas) image() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, c.n, c.n))
	for i := range c.n * c.n {
		p := c.pix[3*i:]
		q := img.Pix[4*i:]
		q[0], q[1], q[2], q[3] = toByte(p[0]), toByte(p[1]), toByte(p[2]), 255
	}
	return img
}

func toByte(v float64) uint8 { return uint8(min(max(v*255+0.5, 0), 255)) }

// flat paints one colour.
func flat(k col) func(x, y float64) col { return func(float64, float64) col { return k } }

// Signed distances (negative inside). The ellipse and curve distances are first-order
// approximations, exact on the edge, which is all that coverage needs.

func circle(x, y, cx, cy, r float64) float64 { return math.Hypot(x-cx, y-cy) - r }

func ellipse(x, y, cx, cy, a, b float64) float64 {
	u, v := (x-cx)/a, (y-cy)/b
	k0 := math.Sqrt(u*u + v*v)
	k1 := math.Sqrt(u*u/(a*a) + v*v/(b*b))
	if k1 == 0 {
		return -min(a, b)
	}
	return k0 * (k0 - 1) / k1
}

// box is a rectangle of half sizes w, h with corners rounded by r.
func box(x, y, cx, cy, w, h, r float64) float64 {
	qx, qy := math.Abs(x-cx)-w+r, math.Abs(y-cy)-h+r
	return math.Hypot(max(qx, 0), max(qy, 0)) + min(max(qx, qy), 0) - r
}

// segment is a capsule of radius r around the segment (ax,ay)-(bx,by).
func segment(x, y, ax, ay, bx, by, r float64) float64 {
	px, py, dx, dy := x-ax, y-ay, bx-ax, by-ay
	t := min(max((px*dx+py*dy)/(dx*dx+dy*dy), 0), 1)
	return math.Hypot(px-dx*t, py-dy*t) - r
}

// curve is the distance to the parabola y = y0 + b·t + c·t² for t = x-x0 in -w..w, and the
// clamped t (for a thickness that varies along it).
func curve(x, y, x0, y0, w, b, c float64) (d, t float64) {
	dx := x - x0
	t = min(max(dx, -w), w)
	fy := y0 + b*t + c*t*t
	if dx != t {
		return math.Hypot(dx-t, y-fy), t
	}
	slope := b + 2*c*t
	return math.Abs(y-fy) / math.Sqrt(1+slope*slope), t
}

func smoothstep(e0, e1, x float64) float64 {
	t := min(max((x-e0)/(e1-e0), 0), 1)
	return t * t * (3 - 2*t)
}
