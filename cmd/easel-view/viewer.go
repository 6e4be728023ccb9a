//go:build viewer && cgo

package main

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hajimehoshi/ebiten/v2"
	"github.com/hajimehoshi/ebiten/v2/ebitenutil"
	"github.com/hajimehoshi/ebiten/v2/inpututil"
	"github.com/hajimehoshi/ebiten/v2/vector"

	"easel/internal/trainview"
	// Before Ebitengine starts (it panics without a display): no display ends the
	// program here with a clear message.
	_ "easel/internal/xdisplay/must"
)

func main() {
	o, err := parseArgs(os.Args[1:], os.Stdout)
	if errors.Is(err, errHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "easel-view:", err)
		os.Exit(2)
	}
	if err := view(o); err != nil {
		fmt.Fprintln(os.Stderr, "easel-view:", err)
		os.Exit(1)
	}
}

// screenshotTimeout bounds the wait for everything to load in screenshot mode.
const screenshotTimeout = 4 * time.Minute

// view opens the window and runs it until it is closed (or the screenshot is written).
func view(o options) (err error) {
	w, err := startWatcher(o.dir, o.poll)
	if err != nil {
		return err
	}
	defer w.close()
	r := startRenderer(o.model, o.dir)
	defer r.close()
	g := &game{opts: o, watch: w, render: r, follow: true, dirty: true, start: time.Now()}

	ebiten.SetWindowTitle("easel-view " + o.dir)
	ebiten.SetWindowResizingMode(ebiten.WindowResizingModeEnabled)
	scale := 1.0
	if m := ebiten.Monitor(); m != nil {
		if mw, mh := m.Size(); mw > 0 && mh > 0 {
			scale = min(1, 0.9*float64(mw)/screenW, 0.9*float64(mh)/screenH)
		}
	}
	ebiten.SetWindowSize(int(screenW*scale), int(screenH*scale))
	ebiten.SetTPS(30)
	ebiten.SetScreenClearedEveryFrame(false) // redrawn only when something changed
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("no display: easel-view could not open its window (%v); the run's files are in %s", p, o.dir)
		}
	}()
	if err := ebiten.RunGame(g); err != nil && !errors.Is(err, ebiten.Termination) {
		return fmt.Errorf("no display: easel-view could not open its window (%v); the run's files are in %s", err, o.dir)
	}
	return g.shotErr
}

// game is the window's state; Ebitengine calls Update, Draw and Layout on the main
// thread.
type game struct {
	opts   options
	watch  *watcher
	render *renderer

	run runState // the watcher's latest

	// The sample grids: cur is the one shown; follow keeps it on the latest.
	cur        int
	follow     bool
	sampleImg  *ebiten.Image
	samplePath string
	sampleErr  error
	sliderDrag bool

	plotImg     *ebiten.Image
	plotVersion int // run.version of plotImg

	// The explorer.
	model     modelInfo
	exp       *explorer
	expErr    error
	expImg    *ebiten.Image
	expResult rendered
	requested int // the latest request's number
	dragging  bool
	dragX     int
	dragY     int
	classNote string

	dirty bool // something changed since the last frame drawn

	// Screenshot mode.
	start      time.Time
	readyFrame int // frames drawn since everything loaded
	shotErr    error
	shotDone   bool
}

func (g *game) Layout(int, int) (int, int) { return screenW, screenH }

func (g *game) Update() error {
	if g.shotDone {
		return ebiten.Termination
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyQ) || inpututil.IsKeyJustPressed(ebiten.KeyEscape) {
		return ebiten.Termination
	}
	g.updateRun()
	g.updateModel()
	g.handleSamplesInput()
	g.handleExplorerInput()
	g.loadSample()
	if g.opts.screenshot != "" && !g.ready() && time.Since(g.start) > screenshotTimeout {
		g.shotErr = fmt.Errorf("screenshot: not everything loaded after %v (%s)", screenshotTimeout, g.waitingFor())
		return ebiten.Termination
	}
	return nil
}

// updateRun takes the watcher's latest state.
func (g *game) updateRun() {
	st := g.watch.snapshot()
	if st.version == g.run.version {
		return
	}
	checkpointChanged := !st.checkpointTime.Equal(g.run.checkpointTime)
	g.run = st
	g.dirty = true
	if n := len(st.samples); g.follow || g.cur >= n {
		g.cur = max(0, n-1)
	}
	if st.plot != nil && st.version != g.plotVersion {
		if g.plotImg != nil {
			g.plotImg.Deallocate()
		}
		g.plotImg = ebiten.NewImageFromImage(st.plot)
		g.plotVersion = st.version
	} else if st.plot == nil && g.plotImg != nil {
		g.plotImg.Deallocate()
		g.plotImg = nil
	}
	if checkpointChanged && g.opts.model == "" && !st.checkpointTime.IsZero() && g.model.version > 0 {
		g.render.reloadModel()
	}
}

// updateModel takes the renderer's generator and latest grid.
func (g *game) updateModel() {
	info, res := g.render.state()
	if info.version != g.model.version {
		old := g.model.cfg
		g.model = info
		g.dirty = true
		if info.err == nil || info.cfg.NZ > 0 {
			if g.exp == nil || old != info.cfg {
				g.exp, g.expErr = newExplorer(info.cfg, g.opts.seed)
			}
			g.requestGrid()
		}
	}
	if res.seq != g.expResult.seq {
		g.expResult = res
		g.dirty = true
		if res.img != nil {
			if g.expImg != nil {
				g.expImg.Deallocate()
			}
			g.expImg = ebiten.NewImageFromImage(res.img)
		}
	}
}

// requestGrid asks the renderer for the explorer's grid as it is now.
func (g *game) requestGrid() {
	if g.exp == nil {
		return
	}
	in, err := g.exp.input()
	if err != nil {
		g.expErr = err
		return
	}
	g.requested = g.render.draw(g.model.version, in)
}

// handleSamplesInput steps through the sample grids with the keys and the slider.
func (g *game) handleSamplesInput() {
	n := len(g.run.samples)
	if n == 0 {
		return
	}
	cur := g.cur
	if repeat(ebiten.KeyArrowLeft) {
		cur--
	}
	if repeat(ebiten.KeyArrowRight) {
		cur++
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyHome) {
		cur = 0
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyEnd) {
		cur = n - 1
	}
	mx, my := ebiten.CursorPosition()
	if inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft) &&
		image.Pt(mx, my).In(image.Rect(samplesX, sliderY-4, samplesX+panelSide, sliderY+sliderH+4)) {
		g.sliderDrag = true
	}
	if !ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft) {
		g.sliderDrag = false
	}
	if g.sliderDrag && n > 1 {
		f := float64(mx-samplesX) / panelSide
		cur = int(f*float64(n-1) + 0.5)
	}
	cur = min(max(cur, 0), n-1)
	if cur != g.cur {
		g.cur, g.dirty = cur, true
	}
	g.follow = g.cur == n-1
}

// repeat reports a key just pressed or held long enough to repeat.
func repeat(k ebiten.Key) bool {
	d := inpututil.KeyPressDuration(k)
	return d == 1 || (d > 15 && d%3 == 0)
}

// handleExplorerInput moves through the latent space: drag, wheel, R, digits.
func (g *game) handleExplorerInput() {
	if g.exp == nil {
		return
	}
	changed := false
	mx, my := ebiten.CursorPosition()
	box := image.Rect(exploreX, panelTop, exploreX+panelSide, panelTop+panelSide)
	if inpututil.IsMouseButtonJustPressed(ebiten.MouseButtonLeft) && image.Pt(mx, my).In(box) {
		g.dragging, g.dragX, g.dragY = true, mx, my
	}
	if !ebiten.IsMouseButtonPressed(ebiten.MouseButtonLeft) {
		g.dragging = false
	}
	if g.dragging && (mx != g.dragX || my != g.dragY) {
		// Drag the picture: what is under the cursor follows it, one cell per cell width.
		cell := float64(panelSide) / exploreSide
		g.exp.drag(-float64(mx-g.dragX)/cell, -float64(my-g.dragY)/cell)
		g.dragX, g.dragY = mx, my
		changed = true
	}
	if _, wy := ebiten.Wheel(); wy != 0 && image.Pt(mx, my).In(box) {
		if wy > 0 {
			g.exp.zoom(1 / 1.15)
		} else {
			g.exp.zoom(1.15)
		}
		changed = true
	}
	if inpututil.IsKeyJustPressed(ebiten.KeyR) {
		if err := g.exp.reseed(g.exp.seed + 1); err != nil {
			g.expErr = err
		}
		changed = true
	}
	for d := range 10 {
		if inpututil.IsKeyJustPressed(ebiten.KeyDigit0+ebiten.Key(d)) || inpututil.IsKeyJustPressed(ebiten.KeyNumpad0+ebiten.Key(d)) {
			switch k := g.exp.classes(); {
			case k == 0:
				g.classNote = "this model takes no class"
			case g.exp.setClass(d):
				g.classNote = ""
				changed = true
			default:
				g.classNote = fmt.Sprintf("class %d: this model has classes 0-%d", d, k-1)
			}
			g.dirty = true
		}
	}
	if changed {
		g.dirty = true
		g.requestGrid()
	}
}

// loadSample decodes the sample grid shown when it is another file than before.
func (g *game) loadSample() {
	if len(g.run.samples) == 0 {
		if g.sampleImg != nil {
			g.sampleImg.Deallocate()
			g.sampleImg, g.samplePath = nil, ""
		}
		return
	}
	path := g.run.samples[g.cur].path
	if path == g.samplePath {
		return
	}
	img, err := readPNG(path)
	g.samplePath, g.sampleErr, g.dirty = path, err, true
	if g.sampleImg != nil {
		g.sampleImg.Deallocate()
		g.sampleImg = nil
	}
	if err == nil {
		g.sampleImg = ebiten.NewImageFromImage(img)
	}
}

// ready reports whether everything has loaded once: the folder, the shown sample grid,
// the loss curves and the explorer's grid (or their errors).
func (g *game) ready() bool { return g.waitingFor() == "" }

// waitingFor names what has not loaded yet.
func (g *game) waitingFor() string {
	var w []string
	if g.run.version == 0 {
		w = append(w, "run folder")
	}
	if len(g.run.samples) > 0 && g.samplePath == "" {
		w = append(w, "sample grid")
	}
	if !g.run.plotted {
		w = append(w, "loss curves")
	}
	if g.model.version == 0 {
		w = append(w, "generator")
	} else if g.model.err == nil && g.expErr == nil && (g.expResult.seq == 0 || g.expResult.seq < g.requested) {
		w = append(w, "explorer grid")
	}
	return strings.Join(w, ", ")
}

func (g *game) Draw(screen *ebiten.Image) {
	shoot := g.opts.screenshot != "" && g.ready()
	if !g.dirty && !shoot {
		return
	}
	g.dirty = false
	screen.Fill(background)
	g.drawSamples(screen)
	g.drawExplorer(screen)
	g.drawInfo(screen)
	g.drawPlot(screen)
	if shoot && !g.shotDone {
		g.readyFrame++
		if g.readyFrame >= g.opts.frames {
			g.shotErr = writeScreenshot(screen, g.opts.screenshot)
			g.shotDone = true
		}
	}
}

// drawSamples draws the sample grid shown, its title and the slider.
func (g *game) drawSamples(screen *ebiten.Image) {
	n := len(g.run.samples)
	vector.DrawFilledRect(screen, samplesX, panelTop, panelSide, panelSide, panelColor, false)
	switch {
	case g.run.listErr != nil:
		label(screen, "samples", samplesX, margin-4)
		wrapText(screen, g.run.listErr.Error(), samplesX+8, panelTop+8, panelSide-16)
		return
	case n == 0:
		label(screen, "samples", samplesX, margin-4)
		wrapText(screen, "no samples-STEP.png yet: easel train --sample-every N writes a grid every N steps",
			samplesX+8, panelTop+8, panelSide-16)
		return
	}
	s := g.run.samples[g.cur]
	mode := "following the run"
	if !g.follow {
		mode = "replay: End follows the run"
	}
	label(screen, fmt.Sprintf("samples  step %d  (%d of %d, %s)", s.step, g.cur+1, n, mode), samplesX, margin-4)
	if g.sampleErr != nil {
		wrapText(screen, g.sampleErr.Error(), samplesX+8, panelTop+8, panelSide-16)
	} else if g.sampleImg != nil {
		drawFitted(screen, g.sampleImg, samplesX, panelTop, panelSide)
	}
	// The slider: a track, a tick per grid when they fit, and the knob.
	vector.DrawFilledRect(screen, samplesX, sliderY+sliderH/2-2, panelSide, 4, frameColor, false)
	if n > 1 && n <= panelSide/4 {
		for i := range n {
			x := samplesX + float32(i)*panelSide/float32(n-1)
			vector.DrawFilledRect(screen, x-0.5, sliderY+2, 1, sliderH-4, frameColor, false)
		}
	}
	kx := float32(samplesX)
	if n > 1 {
		kx += float32(g.cur) * panelSide / float32(n-1)
	}
	vector.DrawFilledRect(screen, kx-4, sliderY, 8, sliderH, knobColor, false)
	label(screen, "Left/Right or the slider: step through the grids; Home/End: first/follow",
		samplesX, sliderY+sliderH+6)
}

// drawExplorer draws the latent explorer's grid, its title and its state.
func (g *game) drawExplorer(screen *ebiten.Image) {
	vector.DrawFilledRect(screen, exploreX, panelTop, panelSide, panelSide, panelColor, false)
	title := "latent explorer"
	if g.exp != nil {
		c := g.exp.cfg
		title += fmt.Sprintf("  %s nz %d", c.Arch(), c.NZ)
		if k := g.exp.classes(); k > 0 {
			title += fmt.Sprintf("  class %d (0-%d)", g.exp.class, k-1)
		}
	}
	label(screen, title, exploreX, margin-4)
	var msgs []string
	switch {
	case g.model.version == 0:
		msgs = append(msgs, "loading the generator...")
	case g.exp == nil && g.model.err != nil:
		msgs = append(msgs, g.model.err.Error())
	}
	if g.expErr != nil {
		msgs = append(msgs, g.expErr.Error())
	}
	if g.expResult.err != nil {
		msgs = append(msgs, "generator: "+g.expResult.err.Error())
	}
	if g.expImg != nil {
		drawFitted(screen, g.expImg, exploreX, panelTop, panelSide)
	}
	y := panelTop + 8
	for _, m := range msgs {
		y = wrapText(screen, m, exploreX+8, y, panelSide-16)
	}
	status := ""
	if g.exp != nil {
		status = fmt.Sprintf("anchor seed %d  at (%.2f, %.2f) rad  spread %.2f", g.exp.seed, g.exp.x, g.exp.y, g.exp.spread)
		if g.expResult.seq > 0 && g.expResult.err == nil {
			status += fmt.Sprintf("  %d ms", g.expResult.took.Milliseconds())
		}
	}
	label(screen, status, exploreX, sliderY)
	help := "drag: move  wheel: spread  R: new anchor  0-9: class"
	if g.classNote != "" {
		help = g.classNote
	}
	label(screen, help, exploreX, sliderY+sliderH+6)
}

// drawInfo draws the run's latest figures, the model's source and the keys.
func (g *game) drawInfo(screen *ebiten.Image) {
	width := screenW - margin - infoX
	y := panelTop
	line := func(s string) {
		label(screen, clip(s, width/charW), infoX, y)
		y += lineH
	}
	label(screen, "run", infoX, margin-4)
	line(g.opts.dir)
	y += lineH / 2
	switch {
	case g.run.hasLast:
		line(fmt.Sprintf("log: step %d", g.run.last.step))
		for _, f := range g.run.last.figures {
			line(fmt.Sprintf("  %-12s %.4g", f.name, f.v))
		}
	case g.run.logErr != nil:
		y = wrapText(screen, "log: "+g.run.logErr.Error(), infoX, y, width)
	default:
		line("log: no step yet")
	}
	y += lineH / 2
	if n := len(g.run.samples); n > 0 {
		line(fmt.Sprintf("sample grids: %d, steps %d-%d", n, g.run.samples[0].step, g.run.samples[n-1].step))
	}
	if g.model.desc != "" {
		line("generator: " + g.model.desc)
	}
	if g.model.err != nil && g.exp != nil {
		y = wrapText(screen, g.model.err.Error(), infoX, y, width)
	}
	if g.model.adapter != "" {
		line("gpu: " + g.model.adapter)
	}
	y += lineH / 2
	for _, s := range []string{
		"keys",
		"  Left/Right  step through sample grids",
		"  Home/End    first grid / follow the run",
		"  drag        move through the latent space",
		"  wheel       spread of the explorer grid",
		"  R           new random anchor",
		"  0-9         class or categorical code",
		"  Q, Esc      quit",
	} {
		line(s)
	}
}

// drawPlot draws the loss curves.
func (g *game) drawPlot(screen *ebiten.Image) {
	label(screen, "loss curves ("+logName+")", margin, plotY-lineH-4)
	vector.DrawFilledRect(screen, margin, plotY, plotW, plotH, panelColor, false)
	if g.plotImg != nil {
		b := g.plotImg.Bounds()
		op := &ebiten.DrawImageOptions{Filter: ebiten.FilterLinear}
		op.GeoM.Scale(float64(plotW)/float64(b.Dx()), float64(plotH)/float64(b.Dy()))
		op.GeoM.Translate(margin, plotY)
		screen.DrawImage(g.plotImg, op)
	}
	if g.run.plotErr != nil {
		wrapText(screen, g.run.plotErr.Error(), margin+8, plotY+8, plotW-16)
	}
}

// drawFitted draws img centred in the square at (x, y) of side (fit): scaled by a whole
// factor with sharp pixels when it is smaller, smoothly scaled down when larger.
func drawFitted(screen, img *ebiten.Image, x, y, side int) {
	b := img.Bounds()
	s, left, top := fit(b.Dx(), b.Dy(), x, y, side)
	op := &ebiten.DrawImageOptions{}
	if s < 1 {
		op.Filter = ebiten.FilterLinear
	}
	op.GeoM.Scale(s, s)
	op.GeoM.Translate(left, top)
	screen.DrawImage(img, op)
}

// label prints one line of text.
func label(screen *ebiten.Image, s string, x, y int) {
	ebitenutil.DebugPrintAt(screen, s, x, y)
}

// wrapText prints s in lines of at most width pixels from (x, y) and returns the y below.
func wrapText(screen *ebiten.Image, s string, x, y, width int) int {
	for _, l := range wrap(s, max(1, width/charW)) {
		label(screen, l, x, y)
		y += lineH
	}
	return y
}

// writeScreenshot writes the screen to path as a PNG.
func writeScreenshot(screen *ebiten.Image, path string) error {
	b := screen.Bounds()
	img := image.NewRGBA(b) // the screen is opaque: premultiplied is plain
	screen.ReadPixels(img.Pix)
	if err := trainview.WritePNG(path, img); err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	fmt.Fprintf(os.Stderr, "easel-view: wrote %s (%d×%d)\n", filepath.Clean(path), b.Dx(), b.Dy())
	return nil
}
