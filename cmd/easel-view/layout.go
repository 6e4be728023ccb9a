package main

import (
	"image/color"
	"math"
)

// The screen's layout, in logical pixels (the window scales it).
const (
	screenW, screenH = 1280, 960
	margin           = 12
	panelTop         = 28  // below the panels' titles
	panelSide        = 440 // the sample grid's and the explorer's square
	samplesX         = margin
	exploreX         = samplesX + panelSide + 18
	infoX            = exploreX + panelSide + 18
	sliderY          = panelTop + panelSide + 10
	sliderH          = 14
	plotY            = 538
	plotW, plotH     = 720, 405 // trainview.PlotLog's 960×540, scaled by 3/4
	charW, lineH     = 6, 16    // Ebitengine's debug font
)

// The colours of the screen.
var (
	background = color.RGBA{0x1e, 0x20, 0x24, 0xff}
	panelColor = color.RGBA{0x2b, 0x2e, 0x34, 0xff}
	frameColor = color.RGBA{0x55, 0x5a, 0x64, 0xff}
	knobColor  = color.RGBA{0xe0, 0xa0, 0x30, 0xff}
)

// fit places an image of w×h pixels centred in the square of side at (x, y): scaled by
// the largest whole factor when it is smaller (sharp pixels), scaled down to fit when it
// is larger. It returns the scale and the image's top-left corner.
func fit(w, h, x, y, side int) (scale, left, top float64) {
	scale = float64(side) / float64(max(w, h))
	if scale >= 1 {
		scale = math.Floor(scale)
	}
	return scale, float64(x) + (float64(side)-scale*float64(w))/2, float64(y) + (float64(side)-scale*float64(h))/2
}
