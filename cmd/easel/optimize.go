package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gonum.org/v1/gonum/optimize"

	"easel/gpu"
	"easel/internal/trainview"
	"easel/models"
	"easel/optim"
)

// The image-optimisation commands (easel invert, texture, gatys): the image itself is
// optimised against a perceptual loss on a loss network, by Adam or by L-BFGS.

// Bounds of the image-optimisation flags.
const (
	maxOptSteps = 1_000_000
	maxOptSide  = 4096
	maxOptLR    = 1000
)

// optFlags are the flags the image-optimisation commands share.
type optFlags struct {
	lossNet, out, logPath, optimizer string
	steps, sampleEvery               int
	lr, tvWeight                     float64
	seed, lossSeed                   uint64
	smooth                           bool
}

// addOptFlags adds the shared flags, with the command's defaults in d.
func addOptFlags(fl *pflag.FlagSet, f *optFlags, d optFlags) {
	lossNetFlags(fl, &f.lossNet, &f.lossSeed, &f.smooth)
	modelAlias(fl)
	fl.StringVar(&f.out, "out", "", "output image (.png)")
	fl.IntVar(&f.steps, "steps", d.steps, "steps: Adam updates or L-BFGS iterations")
	fl.StringVar(&f.optimizer, "optimizer", d.optimizer, "adam or lbfgs")
	fl.Float64Var(&f.lr, "lr", d.lr, "Adam's learning rate (pixels are 0..255)")
	fl.Float64Var(&f.tvWeight, "tv-weight", d.tvWeight, "weight of the total variation: the sum of squared differences of adjacent pixels (0..255) per value")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the starting noise")
	fl.StringVar(&f.logPath, "log", "", "per-step JSON lines log: step, content, style, tv, total, ms")
	fl.IntVar(&f.sampleEvery, "sample-every", 0, "write the image after every N steps to OUT-STEP.png (0: never)")
	cobra.MarkFlagRequired(fl, "out")
}

func (f optFlags) check() error {
	switch {
	case f.steps < 1 || f.steps > maxOptSteps:
		return fmt.Errorf("--steps %d: want 1..%d", f.steps, maxOptSteps)
	case f.optimizer != "adam" && f.optimizer != "lbfgs":
		return fmt.Errorf("--optimizer %q: want adam or lbfgs", f.optimizer)
	case !(f.lr > 0 && f.lr <= maxOptLR):
		return fmt.Errorf("--lr %v: want a value in (0, %d]", f.lr, maxOptLR)
	case !(f.tvWeight >= 0 && f.tvWeight <= 1e15):
		return fmt.Errorf("--tv-weight %v: want 0..1e15", f.tvWeight)
	case f.sampleEvery < 0:
		return fmt.Errorf("--sample-every %d: want 0 or more", f.sampleEvery)
	}
	return nil
}

// checkSide refuses a --size outside min..maxOptSide, or 0 when zero is not allowed.
func checkSide(flag string, v, min int, zeroOK bool) error {
	if v == 0 && zeroOK || v >= min && v <= maxOptSide {
		return nil
	}
	if zeroOK {
		return fmt.Errorf("--%s %d: want %d..%d, or 0 to keep the image's size", flag, v, min, maxOptSide)
	}
	return fmt.Errorf("--%s %d: want %d..%d", flag, v, min, maxOptSide)
}

// optJob is what one command optimises: the loss, the images it compares against and the
// image's size and starting point.
type optJob struct {
	name    string // the command, for the progress line
	loss    models.PerceptualLoss
	content []float32 // [3,h,w], nil without a content layer
	style   []float32 // [3,sh,sw], nil without style layers
	sh, sw  int
	h, w    int
	start   []float32 // [3,h,w]
	inputs  []string  // the files read, which --out must not replace
}

// noise is an h×w image of Gaussian noise around mid-grey: 127.5 + 32·N(0,1) per value,
// clamped to 0..255. Faint noise, as neural-style and Mahendran & Vedaldi start from,
// leaves the optimiser less to remove than uniform noise over the whole range.
func noise(h, w int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x6e6f697365))
	x := make([]float32, 3*h*w)
	for i := range x {
		x[i] = float32(min(max(127.5+32*rng.NormFloat64(), 0), 255))
	}
	return x
}

// checkLayerSides refuses an h×w image too small for layer: reluB_I comes after B−1
// 2×2 max pools, so each side needs at least 2^(B−1) pixels.
func checkLayerSides(what string, h, w int, layers ...string) error {
	for _, l := range layers {
		var b, i int
		if n, _ := fmt.Sscanf(l, "relu%d_%d", &b, &i); n != 2 || b < 1 || b > 5 {
			continue // not a layer name: the loss network says which names it has
		}
		if need := 1 << (b - 1); min(h, w) < need {
			return fmt.Errorf("%s: %d×%d pixels, but layer %s needs at least %d per side (after %d 2×2 poolings)", what, w, h, l, need, b-1)
		}
	}
	return nil
}

// optimizeImage runs the job with the flags and writes the image to o.
func optimizeImage(cmd *cobra.Command, f optFlags, job optJob, o *outputFile) error {
	ctx := cmd.Context()
	start := time.Now()
	l := job.loss
	l.NormalizeStyle, l.NormalizeContent = true, true
	// The flag's TV weight is per value, so that it means the same at any size.
	l.TVWeight = f.tvWeight / float64(3*job.h*job.w)
	lossNet, err := lossNetwork(f.lossNet, f.lossSeed, l)
	if err != nil {
		return err
	}
	dev, err := gpu.Open(ctx)
	if err != nil {
		return err
	}
	defer dev.Close()
	l.Smooth = smoothing(cmd.Flags(), f.smooth, lossNet.Arch)
	vgg, err := models.NewLossNet(dev, lossNet)
	if err != nil {
		return fmt.Errorf("--loss-net %s: %w", f.lossNet, err)
	}
	defer vgg.Release()
	var adam *optim.Adam
	if f.optimizer == "adam" {
		adam = &optim.Adam{LR: f.lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	}
	opt, err := models.NewImageOptimizer(dev, vgg, l, job.h, job.w, job.content, job.style, job.sh, job.sw, adam)
	if err != nil {
		return err
	}
	defer opt.Release()
	if err := opt.SetImage(job.start); err != nil {
		return err
	}
	r := &optRun{f: f, job: job, opt: opt, last: time.Now()}
	if f.logPath != "" {
		if r.log, err = os.Create(f.logPath); err != nil {
			return fmt.Errorf("--log: %w", err)
		}
		defer r.log.Close()
	}
	r.prog = trainview.NewProgress(os.Stderr, f.steps, 0, job.name)
	var x []float32
	if adam != nil {
		x, err = r.adam(ctx)
	} else {
		x, err = r.lbfgs(ctx)
	}
	r.prog.Finish()
	if err != nil {
		return err
	}
	img, err := rgbImage(x, job.h, job.w)
	if err != nil {
		return err
	}
	if err := o.Commit(func(w io.Writer) error { return png.Encode(w, img) }); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d×%d pixels, %d %s steps in %v on %s; loss %.4g at the start, %.4g at the last step\n",
		f.out, job.w, job.h, r.steps, f.optimizer, time.Since(start).Round(time.Millisecond), dev.Adapter().Name, r.first, r.final)
	return nil
}

// rgbImage is the image x [3,h,w] (RGB 0..255) clamped and rounded to bytes.
func rgbImage(x []float32, h, w int) (image.Image, error) {
	ims, err := tensorImages(x, []int{1, 3, h, w}, models.Signal{Kind: models.SignalRGB, Min: 0, Max: 255}, h, w)
	if err != nil {
		return nil, err
	}
	return ims[0], nil
}

// optRun is a running optimisation: its log, progress and the losses seen.
type optRun struct {
	f            optFlags
	job          optJob
	opt          *models.ImageOptimizer
	log          *os.File
	prog         *trainview.Progress
	last         time.Time // when the last step was recorded
	steps        int       // steps taken
	first, final float64   // the total loss at the first and the last step recorded
	recorded     bool
}

// record logs a step's losses and shows them; evals > 0 adds the loss evaluations so far
// (L-BFGS, whose iterations take one or more).
func (r *optRun) record(step int, st models.ImageLossStats, ms float64, evals int) error {
	if !r.recorded {
		r.first, r.recorded = st.Total, true
	}
	r.final = st.Total
	if r.log != nil {
		num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		line := fmt.Sprintf(`{"step":%d,"content":%s,"style":%s,"tv":%s,"total":%s,"ms":%s`, step,
			num(st.Content), num(st.Style), num(st.TV), num(st.Total), num(math.Round(ms*10)/10))
		if evals > 0 {
			line += fmt.Sprintf(`,"evals":%d`, evals)
		}
		if _, err := r.log.WriteString(line + "}\n"); err != nil {
			return fmt.Errorf("--log: %w", err)
		}
	}
	var vs []trainview.Value
	if r.job.content != nil {
		vs = append(vs, trainview.Value{Name: "content", V: st.Content})
	}
	if r.job.style != nil {
		vs = append(vs, trainview.Value{Name: "style", V: st.Style})
	}
	if r.f.tvWeight > 0 {
		vs = append(vs, trainview.Value{Name: "tv", V: st.TV})
	}
	r.prog.Update(step, append(vs, trainview.Value{Name: "total", V: st.Total}))
	return nil
}

// sample writes OUT-STEP.png when --sample-every asks for the image after step.
func (r *optRun) sample(step int, x []float32) error {
	if r.f.sampleEvery == 0 || step%r.f.sampleEvery != 0 {
		return nil
	}
	img, err := rgbImage(x, r.job.h, r.job.w)
	if err != nil {
		return err
	}
	if err := trainview.WritePNG(samplePath(r.f.out, step), img); err != nil {
		return fmt.Errorf("--sample-every: %w", err)
	}
	return nil
}

// samplePath is where the image after step goes: OUT-STEP.png beside OUT.
func samplePath(out string, step int) string {
	return fmt.Sprintf("%s-%06d.png", strings.TrimSuffix(out, filepath.Ext(out)), step)
}

// adam runs f.steps Adam steps and returns the image after the last one. Step k's log
// line has the loss at the image the k-th update started from.
func (r *optRun) adam(ctx context.Context) ([]float32, error) {
	for r.opt.Steps() < r.f.steps {
		st, err := r.opt.Step(ctx)
		if err != nil {
			return nil, err
		}
		r.steps = r.opt.Steps()
		if err := r.record(r.steps, st, st.Millis, 0); err != nil {
			return nil, err
		}
		if r.f.sampleEvery > 0 && r.steps%r.f.sampleEvery == 0 {
			x, err := r.opt.Image(ctx)
			if err != nil {
				return nil, err
			}
			if err := r.sample(r.steps, x); err != nil {
				return nil, err
			}
		}
	}
	return r.opt.Image(ctx)
}

// errStepsDone ends L-BFGS after the last step asked for.
var errStepsDone = errors.New("steps done")

// lbfgs runs f.steps iterations of gonum's L-BFGS on the image and returns the image after
// the last one. The log has a line for the start (step 0) and one after each iteration.
func (r *optRun) lbfgs(ctx context.Context) ([]float32, error) {
	p := &lbfgsProblem{ctx: ctx, opt: r.opt, x32: make([]float32, len(r.job.start))}
	rec := &lbfgsRecorder{r: r, p: p}
	x0 := make([]float64, len(r.job.start))
	for i, v := range r.job.start {
		x0[i] = float64(v)
	}
	settings := &optimize.Settings{Converger: optimize.NeverTerminate{}, Recorder: rec}
	prob := optimize.Problem{Func: p.Func, Grad: p.Grad, Status: p.Status}
	res, err := optimize.Minimize(prob, x0, settings, &optimize.LBFGS{})
	switch {
	case p.err != nil:
		return nil, p.err
	case rec.err != nil:
		return nil, rec.err
	case errors.Is(err, errStepsDone):
	case err != nil:
		r.prog.Printf("note: L-BFGS stopped after %d of %d iterations: %v", r.steps, r.f.steps, err)
	default:
		r.prog.Printf("note: L-BFGS stopped after %d of %d iterations: %v", r.steps, r.f.steps, res.Status)
	}
	if res == nil {
		return nil, fmt.Errorf("L-BFGS: %w", err)
	}
	x := make([]float32, len(res.X))
	for i, v := range res.X {
		x[i] = float32(v)
	}
	return x, nil
}

// lbfgsProblem evaluates the loss and its gradient on the device for gonum's optimize,
// which asks for the function and the gradient at a point in separate calls: one
// evaluation serves both.
type lbfgsProblem struct {
	ctx   context.Context
	opt   *models.ImageOptimizer
	x     []float64 // the point last evaluated (nil: none yet)
	x32   []float32
	grad  []float32
	st    models.ImageLossStats
	evals int
	err   error
}

func (p *lbfgsProblem) eval(x []float64) {
	if p.err != nil || p.x != nil && slices.Equal(x, p.x) {
		return
	}
	if err := p.ctx.Err(); err != nil {
		p.err = err
		return
	}
	for i, v := range x {
		p.x32[i] = float32(v)
	}
	st, g, err := p.opt.Evaluate(p.ctx, p.x32)
	if err != nil {
		p.err = err
		return
	}
	p.x = append(p.x[:0], x...)
	p.st, p.grad = st, g
	p.evals++
}

// Func is the total loss at x.
func (p *lbfgsProblem) Func(x []float64) float64 {
	if p.eval(x); p.err != nil {
		return math.NaN()
	}
	return p.st.Total
}

// Grad is the loss's gradient at x.
func (p *lbfgsProblem) Grad(grad, x []float64) {
	if p.eval(x); p.err != nil {
		return
	}
	for i, v := range p.grad {
		grad[i] = float64(v)
	}
}

// Status stops the optimisation once an evaluation has failed.
func (p *lbfgsProblem) Status() (optimize.Status, error) {
	if p.err != nil {
		return optimize.Failure, p.err
	}
	return optimize.NotTerminated, nil
}

// lbfgsRecorder logs each L-BFGS iteration and ends the run after the last one.
type lbfgsRecorder struct {
	r   *optRun
	p   *lbfgsProblem
	err error
}

func (rec *lbfgsRecorder) Init() error { return nil }

func (rec *lbfgsRecorder) Record(loc *optimize.Location, op optimize.Operation, stats *optimize.Stats) error {
	if op != optimize.MajorIteration {
		return nil
	}
	r, p := rec.r, rec.p
	step := stats.MajorIterations - 1 // the first major iteration is the start
	if p.eval(loc.X); p.err != nil {  // a no-op: the accepted point was the last evaluated
		return p.err
	}
	now := time.Now()
	ms := float64(now.Sub(r.last).Microseconds()) / 1000
	r.last, r.steps = now, step
	if rec.err = r.record(step, p.st, ms, p.evals); rec.err != nil {
		return rec.err
	}
	if step > 0 && r.f.sampleEvery > 0 && step%r.f.sampleEvery == 0 {
		if rec.err = r.sample(step, p.x32); rec.err != nil {
			return rec.err
		}
	}
	if step >= r.f.steps {
		return errStepsDone
	}
	return nil
}
