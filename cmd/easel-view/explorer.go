//go:build !(js && wasm)

package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"easel/gpu"
	"easel/internal/trainview"
	"easel/models"
)

// exploreSide is the side of the explorer's grid: exploreSide² images around its point.
const exploreSide = 4

// defaultSpread is the angle in radians between neighbouring images of the explorer.
const defaultSpread = 0.4

// explorer is a point in a generator's latent space and the grid of latents around it.
// Latents lie on the sphere through a random anchor: the point (x, y) is the anchor
// turned by x radians towards a direction u and then by y towards v, u and v orthogonal
// to the anchor and to each other, both done by spherical interpolation (models.Slerp),
// so that every latent keeps the anchor's norm, as typical of the Gaussian as the anchor.
type explorer struct {
	cfg          models.GeneratorConfig
	seed         uint64
	anchor, u, v []float32 // u and v with the anchor's norm
	x, y         float64   // the grid's centre, radians along u and v
	spread       float64   // radians between neighbouring images
	class        int       // the class or categorical code of conditional models
}

// newExplorer returns an explorer for generators of config cfg around the anchor drawn
// with seed.
func newExplorer(cfg models.GeneratorConfig, seed uint64) (*explorer, error) {
	if cfg.NZ < 3 {
		return nil, fmt.Errorf("latent explorer: nz %d; it moves in two directions orthogonal to a point, which needs nz ≥ 3", cfg.NZ)
	}
	e := &explorer{cfg: cfg, spread: defaultSpread}
	if err := e.reseed(seed); err != nil {
		return nil, err
	}
	return e, nil
}

// reseed draws the anchor and its two directions from seed (models.RandomLatents) and
// moves to the anchor.
func (e *explorer) reseed(seed uint64) error {
	zs := models.RandomLatents(3, e.cfg.NZ, seed)
	a := toFloat64(zs[0])
	r := norm(a)
	if r == 0 {
		return fmt.Errorf("latent explorer: seed %d drew a zero anchor", seed)
	}
	basis := [][]float64{scaled(a, 1/r)}
	for _, z := range zs[1:] {
		d := toFloat64(z)
		for _, b := range basis { // Gram-Schmidt
			c := dot(d, b)
			for i := range d {
				d[i] -= c * b[i]
			}
		}
		n := norm(d)
		if n < 1e-6*norm(toFloat64(z)) {
			return fmt.Errorf("latent explorer: seed %d drew dependent directions", seed)
		}
		basis = append(basis, scaled(d, 1/n))
	}
	e.seed, e.anchor = seed, zs[0]
	e.u, e.v = toFloat32(scaled(basis[1], r)), toFloat32(scaled(basis[2], r))
	e.x, e.y = 0, 0
	return nil
}

// point is the latent at (x, y): the anchor turned by x radians towards u, then by y
// towards v. With u ⊥ anchor, Slerp(anchor, u, t) turns by t·π/2 (its angle is π/2), and
// the result stays in their plane, orthogonal to v.
func (e *explorer) point(x, y float64) ([]float32, error) {
	p, err := models.Slerp(e.anchor, e.u, x/(math.Pi/2))
	if err != nil {
		return nil, err
	}
	return models.Slerp(p, e.v, y/(math.Pi/2))
}

// cell is the offset in radians of the grid's column or row i from its centre.
func (e *explorer) cell(i int) float64 {
	return (float64(i) - float64(exploreSide-1)/2) * e.spread
}

// latents returns the grid's latents, row by row, flattened [exploreSide², nz].
func (e *explorer) latents() ([]float32, error) {
	out := make([]float32, 0, exploreSide*exploreSide*e.cfg.NZ)
	for row := range exploreSide {
		for col := range exploreSide {
			z, err := e.point(e.x+e.cell(col), e.y+e.cell(row))
			if err != nil {
				return nil, err
			}
			out = append(out, z...)
		}
	}
	return out, nil
}

// classes is how many classes (or categorical codes) the generator takes; 0 for none.
func (e *explorer) classes() int { return e.cfg.Classes + e.cfg.Cat }

// setClass picks the class or categorical code c; it reports false when the model has
// no such class.
func (e *explorer) setClass(c int) bool {
	if c < 0 || c >= e.classes() {
		return false
	}
	e.class = c
	return true
}

// drag moves the grid's centre by (dx, dy) cells.
func (e *explorer) drag(dx, dy float64) {
	e.x += dx * e.spread
	e.y += dy * e.spread
}

// zoom multiplies the spread by f, kept within 0.01..1 radian.
func (e *explorer) zoom(f float64) {
	e.spread = min(1, max(0.01, e.spread*f))
}

// input is the generator's input for the grid [exploreSide², InputWidth]: the latents,
// then the one-hot class or code, then continuous codes at 0.
func (e *explorer) input() ([]float32, error) {
	z, err := e.latents()
	if err != nil {
		return nil, err
	}
	n := exploreSide * exploreSide
	var class []int
	if e.classes() > 0 {
		class = make([]int, n)
		for i := range class {
			class[i] = e.class
		}
	}
	in := make([]float32, n*e.cfg.InputWidth())
	if err := e.cfg.GeneratorInput(in, z, class, make([]float32, n*e.cfg.Cont)); err != nil {
		return nil, err
	}
	return in, nil
}

func toFloat64(z []float32) []float64 {
	out := make([]float64, len(z))
	for i, x := range z {
		out[i] = float64(x)
	}
	return out
}

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func scaled(a []float64, f float64) []float64 {
	out := make([]float64, len(a))
	for i, x := range a {
		out[i] = x * f
	}
	return out
}

// modelInfo describes the generator the renderer holds.
type modelInfo struct {
	version int // counts the generators loaded
	cfg     models.GeneratorConfig
	desc    string // where it came from
	err     error  // loading it (or opening the GPU)
	adapter string // the GPU's name
}

// rendered is the explorer grid for one request.
type rendered struct {
	model int // modelInfo.version it was drawn with
	seq   int // the request's number
	img   *image.NRGBA
	err   error
	took  time.Duration
}

// renderer runs the generator on the GPU in its own goroutine: it loads the generator
// (from the model file, or the run's checkpoint, again whenever the watcher says it
// changed) and draws the latest request, dropping those that a newer one replaced.
type renderer struct {
	model string // --model, or "" for the checkpoint
	dir   string

	mu      sync.Mutex
	info    modelInfo
	result  rendered
	request []float32 // the latest input not drawn yet, nil for none
	reqSeq  int
	reqFor  int // the model version the request was made for
	reload  bool

	wake chan struct{} // a request or a reload is waiting
	stop chan struct{}
	done chan struct{}
}

// startRenderer starts the renderer's goroutine, which opens the GPU and loads the
// generator first.
func startRenderer(model, dir string) *renderer {
	r := &renderer{model: model, dir: dir, reload: true,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	r.notify()
	go r.loop()
	return r
}

func (r *renderer) notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// close stops the renderer and releases the GPU.
func (r *renderer) close() {
	close(r.stop)
	<-r.done
}

// reloadModel asks for the generator to be loaded again (the checkpoint changed).
func (r *renderer) reloadModel() {
	r.mu.Lock()
	r.reload = true
	r.mu.Unlock()
	r.notify()
}

// draw asks for the grid of input in (made for model version model); it returns the
// request's number, which its result carries.
func (r *renderer) draw(model int, in []float32) int {
	r.mu.Lock()
	r.reqSeq++
	seq := r.reqSeq
	r.request, r.reqFor = in, model
	r.mu.Unlock()
	r.notify()
	return seq
}

// state returns the current model and the latest result.
func (r *renderer) state() (modelInfo, rendered) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.info, r.result
}

func (r *renderer) loop() {
	defer close(r.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-r.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	dev, devErr := gpu.Open(ctx)
	adapter := ""
	if devErr == nil {
		defer dev.Close()
		a := dev.Adapter()
		adapter = fmt.Sprintf("%s (%s)", a.Name, a.Backend)
	}
	var gen *generator
	defer func() { gen.release() }()
	for {
		select {
		case <-r.stop:
			return
		case <-r.wake:
		}
		r.mu.Lock()
		reload := r.reload
		r.reload = false
		r.mu.Unlock()
		if reload {
			info := modelInfo{adapter: adapter}
			if devErr != nil {
				info.err = fmt.Errorf("no GPU for the explorer: %w", devErr)
			} else {
				var g *generator
				g, info.desc, info.err = loadGenerator(dev, r.model, r.dir)
				if info.err == nil {
					gen.release()
					gen, info.cfg = g, g.g.Config
				} else if gen != nil {
					// Keep drawing with the generator loaded before (a checkpoint being
					// replaced); say why it was not replaced.
					info.cfg, info.desc = gen.g.Config, r.info.desc
					info.err = fmt.Errorf("kept the generator loaded before: %w", info.err)
				}
			}
			r.mu.Lock()
			info.version = r.info.version + 1
			r.info = info
			r.request = nil // made for the model before
			r.mu.Unlock()
		}
		r.mu.Lock()
		in, seq, model := r.request, r.reqSeq, r.reqFor
		r.request = nil
		current := r.info.version
		r.mu.Unlock()
		if in == nil || model != current || gen == nil {
			continue
		}
		start := time.Now()
		img, err := gen.render(ctx, in)
		r.mu.Lock()
		r.result = rendered{model: model, seq: seq, img: img, err: err, took: time.Since(start)}
		r.mu.Unlock()
	}
}

// generator is a generator on the GPU with its plan for the explorer's grid.
type generator struct {
	g    *models.Generator
	plan *models.Plan
}

// loadGenerator loads the generator of model (a weights file or embedded model, see
// models.LoadModel) or, when model is "", of the run's checkpoint, and plans it for the
// explorer's grid. desc says where it came from.
func loadGenerator(dev *gpu.Device, model, dir string) (g *generator, desc string, err error) {
	var w *models.Weights
	if model != "" {
		desc = model
		w, err = models.LoadModel(model, os.Getenv("EASEL_MODELS"))
	} else {
		path := filepath.Join(dir, checkpointName)
		var ck *models.Checkpoint
		ck, err = models.ReadCheckpoint(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, "", fmt.Errorf("no %s in %s yet (easel train writes it every --checkpoint-every steps); or give --model", checkpointName, dir)
		case err == nil:
			desc = fmt.Sprintf("%s, step %d", checkpointName, ck.Step)
			w, err = ck.Net("g")
		}
	}
	if err != nil {
		return nil, "", err
	}
	gen, err := models.NewGenerator(dev, w)
	if err != nil {
		return nil, "", err
	}
	plan, err := gen.Plan(exploreSide * exploreSide)
	if err != nil {
		gen.Release()
		return nil, "", err
	}
	return &generator{g: gen, plan: plan}, desc, nil
}

// render runs the generator on in and lays its images out in a grid.
func (g *generator) render(ctx context.Context, in []float32) (*image.NRGBA, error) {
	if err := g.plan.Input.Write(in); err != nil {
		return nil, err
	}
	if err := g.plan.Run(); err != nil {
		return nil, err
	}
	y, err := g.plan.Output.Read(ctx)
	if err != nil {
		return nil, err
	}
	s := g.plan.Output.Shape()
	return trainview.GridNCHW(y, s[0], s[1], s[2], s[3])
}

func (g *generator) release() {
	if g == nil {
		return
	}
	g.plan.Release()
	g.g.Release()
}
