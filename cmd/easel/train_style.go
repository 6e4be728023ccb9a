package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/internal/trainview"
	"easel/models"
)

// styleFlags are the flags of easel train style.
type styleFlags struct {
	style, content, net, init, lossNet, contentLayer, styleLayers string
	credit, run, resume, logPath, out                             string
	size, styleSize, batch, steps, every, sampleEvery, contentMax int
	lr, contentWeight, styleWeight, tvWeight                      float64
	stability, stabilityNoise                                     float64
	seed, lossSeed                                                uint64
	normalize, view, smooth                                       bool
}

func trainStyleCmd() *cobra.Command {
	var f styleFlags
	cmd := &cobra.Command{
		Use:   "style --style S.jpg --content DIR --steps N --out STYLE.msgpack [--run DIR | --resume DIR]",
		Short: "Train a fast style network (Johnson et al.) on a painting and a folder of photos",
		Long: `Train TransformerNet (fast_neural_style's network; --net light is the narrower one the
page runs on webcam frames) to paint photos in the style of one image, as Johnson et al. 2016:
each step stylises --batch random crops of the --content photos; a loss network reads the
output and the crops; the loss is --content-weight × the mean squared difference of the
--content-layer features, plus --style-weight × the mean squared difference of the Gram
matrices (C·H·W-normalised) at each of --style-layers against the style image's, plus
--tv-weight × the total variation of the output; one Adam step.

--stability W adds W × the mean squared difference between the network's output on the
crops and on the crops plus Gaussian pixel noise of standard deviation --stability-noise (in
0..255 steps, as a webcam's sensor adds to every frame); the clean output is held fixed in
that term, which pulls the noisy output towards it rather than the clean output towards an
average over noise. A network trained so flickers less on video (easel stylize --in
CLIP.y4m prints the flicker), at some cost in the style's contrast (docs/PERCEPTUAL.md);
each step then runs the network twice. 0 turns the term off.

--init starts from existing weights (a .msgpack or an embedded style such as starry-night)
instead of fresh ones: with --stability, a trained style can be fine-tuned in a few hundred
steps.

The loss network is --loss-net: "random" (the default) is a VGG16 stack with seeded random
weights (--loss-seed; the Gram matrices of random features still carry a painting's colours
and strokes), or a vgg16/vgg19 .msgpack made by easel import from torchvision's weights. Only
the layers up to the deepest one named are run. --normalize-style (default on) divides each
style layer's term by the mean square of its target Gram matrix, so that layers of very
different scales count alike.

Crops: a square window of random side (between --size and the photo's shorter side) at a
random place of a random photo, scaled to --size and mirrored half of the time. The style
image is scaled so that its longer side is --style-size.

--run DIR holds the run: log.jsonl (step, content, style, tv, total, ms), checkpoint.msgpack
every --checkpoint-every steps, at the end and on Ctrl-C, loss.png, and with --sample-every N
the step's crops above their stylised outputs (samples-STEP.png). --resume DIR continues a run
from its checkpoint up to --steps in all. --out receives the trained network, which easel
stylize and the page take.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return trainStyle(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.style, "style", "", "style image (PNG or JPEG)")
	fl.StringVar(&f.credit, "style-credit", "", "the style image's title, author, licence and origin, recorded in the weights' meta")
	fl.StringVar(&f.content, "content", "", "folder of content photos (PNG or JPEG)")
	fl.IntVar(&f.contentMax, "content-max", 512, "content photos are scaled down so their longer side is at most this")
	fl.StringVar(&f.net, "net", "light", "network: light (transformer-net-light) or standard (transformer-net)")
	fl.StringVar(&f.init, "init", "", "initial network: a .msgpack or an embedded style (e.g. starry-night); default: PyTorch's initialisation with --seed")
	lossNetFlags(fl, &f.lossNet, &f.lossSeed, &f.smooth)
	fl.StringVar(&f.contentLayer, "content-layer", "relu2_2", "loss network layer of the content loss")
	fl.StringVar(&f.styleLayers, "style-layers", "relu1_2,relu2_2,relu3_1", "loss network layers of the style loss, comma-separated")
	fl.Float64Var(&f.contentWeight, "content-weight", 1, "weight of the content loss")
	fl.Float64Var(&f.styleWeight, "style-weight", 10, "weight of the style loss")
	fl.Float64Var(&f.tvWeight, "tv-weight", 0, "weight of the total variation of the output")
	fl.Float64Var(&f.stability, "stability", 0, "weight of the stability term: mean squared change of the output under --stability-noise (0: off)")
	fl.Float64Var(&f.stabilityNoise, "stability-noise", defaultStabilityNoise, "standard deviation of the stability term's Gaussian pixel noise, in 0..255 steps")
	fl.BoolVar(&f.normalize, "normalize-style", true, "divide each style layer's term by the mean square of its target Gram matrix")
	fl.IntVar(&f.size, "size", 128, "side of the training crops (a multiple of 4)")
	fl.IntVar(&f.styleSize, "style-size", 256, "longer side the style image is scaled to")
	fl.IntVar(&f.batch, "batch", 4, "crops per step")
	fl.IntVar(&f.steps, "steps", 0, "steps in all (a resumed run goes on up to this count)")
	fl.Float64Var(&f.lr, "lr", 1e-3, "Adam learning rate")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the initial network and of the crops")
	fl.StringVar(&f.run, "run", "", "run folder: log and checkpoints (created)")
	fl.StringVar(&f.resume, "resume", "", "run folder whose checkpoint to continue")
	fl.IntVar(&f.every, "checkpoint-every", 100, "write a checkpoint every N steps (0: only at the end and on Ctrl-C)")
	fl.IntVar(&f.sampleEvery, "sample-every", 0, "write the step's crops and outputs to the run folder every N steps (0: never)")
	fl.StringVar(&f.logPath, "log", "", "per-step JSON lines log (default RUN/log.jsonl)")
	fl.BoolVar(&f.view, "view", false, "watch the run in a window (easel-view, built with make viewer)")
	fl.StringVar(&f.out, "out", "", "trained network (.msgpack)")
	cmd.MarkFlagRequired("out")
	cmd.MarkFlagRequired("steps")
	return cmd
}

// settings are the flags a resumed run must keep.
func (f styleFlags) settings() map[string]string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return map[string]string{
		"style": f.style, "style-credit": f.credit, "content": f.content, "content-max": strconv.Itoa(f.contentMax),
		"net": f.net, "init": f.init, "loss-net": f.lossNet, "loss-seed": strconv.FormatUint(f.lossSeed, 10),
		"content-layer": f.contentLayer, "style-layers": f.styleLayers, "content-weight": num(f.contentWeight),
		"style-weight": num(f.styleWeight), "tv-weight": num(f.tvWeight), "normalize-style": strconv.FormatBool(f.normalize),
		"smooth": strconv.FormatBool(f.smooth),
		"size":   strconv.Itoa(f.size), "style-size": strconv.Itoa(f.styleSize), "batch": strconv.Itoa(f.batch),
		"lr": num(f.lr), "seed": strconv.FormatUint(f.seed, 10), "sample-every": strconv.Itoa(f.sampleEvery),
		"stability": num(f.stability), "stability-noise": num(f.stabilityNoise),
	}
}

// defaultStabilityNoise is --stability-noise's default: the sensor noise of the camera clip
// (cmd/easel/testdata/camera.y4m), a webcam's in good light.
const defaultStabilityNoise = 2.5

// olderStyleSettings are the values of settings that runs checkpointed before those flags
// existed were trained with, so that resuming such a run keeps them.
var olderStyleSettings = map[string]string{"stability": "0", "stability-noise": strconv.FormatFloat(defaultStabilityNoise, 'g', -1, 64)}

func (f styleFlags) check() error {
	weightOK := func(v float64) bool { return v >= 0 && v <= 1e15 }
	switch {
	case f.style == "":
		return errors.New("no style image (--style)")
	case f.content == "":
		return errors.New("no content photos (--content DIR)")
	case f.steps < 1 || f.steps > maxTrainSteps:
		return fmt.Errorf("--steps %d: want 1..%d", f.steps, maxTrainSteps)
	case f.batch < 1 || f.batch > 256:
		return fmt.Errorf("--batch %d: want 1..256", f.batch)
	case f.size < 16 || f.size > 2048 || f.size%4 != 0:
		return fmt.Errorf("--size %d: want a multiple of 4 in 16..2048", f.size)
	case f.styleSize < 16 || f.styleSize > 4096:
		return fmt.Errorf("--style-size %d: want 16..4096", f.styleSize)
	case f.contentMax < f.size || f.contentMax > 8192:
		return fmt.Errorf("--content-max %d: want --size (%d)..8192", f.contentMax, f.size)
	case f.net != "light" && f.net != "standard":
		return fmt.Errorf("--net %q: want light or standard", f.net)
	case !(f.lr > 0 && f.lr < 1):
		return fmt.Errorf("--lr %v: want a value in (0, 1)", f.lr)
	case !weightOK(f.contentWeight) || !weightOK(f.styleWeight) || !weightOK(f.tvWeight):
		return fmt.Errorf("--content-weight %v --style-weight %v --tv-weight %v: want weights in 0..1e15", f.contentWeight, f.styleWeight, f.tvWeight)
	case !weightOK(f.stability):
		return fmt.Errorf("--stability %v: want a weight in 0..1e15 (0: off)", f.stability)
	case !(f.stabilityNoise > 0 && f.stabilityNoise <= 255):
		return fmt.Errorf("--stability-noise %v: want a standard deviation in (0, 255], in 0..255 pixel steps", f.stabilityNoise)
	case f.every < 0 || f.sampleEvery < 0:
		return fmt.Errorf("--checkpoint-every %d --sample-every %d: want 0 or more", f.every, f.sampleEvery)
	case !strings.EqualFold(filepath.Ext(f.out), ".msgpack"):
		return fmt.Errorf("--out %s: want a .msgpack weights file", f.out)
	}
	return nil
}

// loss is the perceptual loss the flags describe.
func (f styleFlags) loss() models.PerceptualLoss {
	return models.PerceptualLoss{ContentLayer: f.contentLayer, StyleLayers: splitLayers(f.styleLayers), ContentWeight: f.contentWeight,
		StyleWeight: f.styleWeight, TVWeight: f.tvWeight, NormalizeStyle: f.normalize, Smooth: f.smooth}
}

type styleRun struct {
	f       styleFlags
	dir     string
	content *models.ContentImages
	src     *rand.PCG
	rng     *rand.Rand
	tr      *models.StyleTrainer
	log     *os.File
	prog    *trainview.Progress
	logPath string
	command string
	lossNet *models.Weights
	dev     *gpu.Device
}

func trainStyle(cmd *cobra.Command, fp *styleFlags) error {
	f := *fp
	r := &styleRun{command: commandLine(cmd)}
	var ck *models.Checkpoint
	if f.run != "" && f.resume != "" {
		return errors.New("--run starts a run and --resume continues one: give one of them")
	}
	if f.resume != "" {
		var err error
		if ck, err = models.ReadCheckpoint(filepath.Join(f.resume, "checkpoint.msgpack")); err != nil {
			return err
		}
		if ck.Kind != models.StyleCheckpointKind {
			return fmt.Errorf("--resume %s: a %q run: continue it with easel train %s", f.resume, ck.Kind, ck.Kind)
		}
		for k, v := range olderStyleSettings {
			if _, ok := ck.Settings[k]; !ok {
				ck.Settings[k] = v
			}
		}
		if err := adopt(cmd.Flags(), ck.Settings); err != nil {
			return err
		}
		f = *fp
		f.run = f.resume
		if f.steps <= ck.Step {
			return fmt.Errorf("--steps %d: the run already took %d steps", f.steps, ck.Step)
		}
		if c := ck.Settings["command"]; c != "" {
			r.command = c + " (resumed: " + r.command + ")"
		}
	}
	r.f = f
	if err := f.check(); err != nil {
		return err
	}
	if f.run == "" {
		return errors.New("no run folder: give --run DIR (or --resume DIR)")
	}
	var err error
	if r.lossNet, err = lossNetwork(f.lossNet, f.lossSeed, f.loss()); err != nil {
		return err
	}
	f.smooth = smoothing(cmd.Flags(), f.smooth, r.lossNet.Arch)
	r.f = f
	loss := f.loss()
	style, sh, sw, err := readRGB(f.style, f.styleSize)
	if err != nil {
		return fmt.Errorf("--style: %w", err)
	}
	if r.content, err = models.LoadContentImages(f.content, f.contentMax); err != nil {
		return err
	}
	var net *models.Weights
	switch {
	case ck != nil:
		net, err = ck.Net("net")
	case f.init != "":
		if net, err = loadModel(cmd, f.init, models.ArchTransformerNet, models.ArchTransformerNetLight); err != nil {
			err = fmt.Errorf("--init: %w", err)
		}
	default:
		c := models.LightTransformer
		if f.net == "standard" {
			c = models.StandardTransformer
		}
		net = models.InitTransformerNet(c, rand.New(rand.NewPCG(f.seed, 0)))
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.run, 0o755); err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	r.dir = f.run
	ctx := cmd.Context()
	if r.dev, err = gpu.Open(ctx); err != nil {
		return err
	}
	defer r.dev.Close()
	fmt.Fprintf(os.Stderr, "easel: training on %s\n", r.dev.Adapter())
	lnet, err := models.NewLossNet(r.dev, r.lossNet)
	if err != nil {
		return err
	}
	defer lnet.Release()
	tc := models.StyleTrainConfig{Batch: f.batch, Size: f.size, LR: f.lr, Loss: loss, Stability: f.stability}
	if r.tr, err = models.NewStyleTrainer(r.dev, net, lnet, style, sh, sw, tc); err != nil {
		return err
	}
	defer r.tr.Release()
	r.src = rand.NewPCG(f.seed, 1)
	if ck != nil {
		if err := r.tr.Restore(ck); err != nil {
			return err
		}
		if err := r.src.UnmarshalBinary(ck.RNG); err != nil {
			return fmt.Errorf("checkpoint: random state: %w", err)
		}
	}
	r.rng = rand.New(r.src)
	if r.log, r.logPath, err = openRunLog(r.dir, f.logPath, ck != nil, r.tr.Steps()); err != nil {
		return err
	}
	defer r.log.Close()
	return r.loop(ctx)
}

func (r *styleRun) loop(ctx context.Context) error {
	f := r.f
	x := make([]float32, f.batch*3*f.size*f.size)
	var noise []float32
	if f.stability > 0 {
		noise = make([]float32, len(x))
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	if f.view {
		launchViewer(os.Stderr, r.dir)
	}
	r.prog = trainview.NewProgress(os.Stderr, f.steps, r.tr.Steps(), "train style")
	defer r.prog.Finish()
	for r.tr.Steps() < f.steps {
		select {
		case <-sig:
			if err := r.checkpoint(ctx); err != nil {
				return err
			}
			return fmt.Errorf("interrupted at step %d; checkpoint written: continue with --resume %s", r.tr.Steps(), r.dir)
		default:
		}
		r.content.Crops(x, f.batch, f.size, r.rng)
		if noise != nil {
			for i := range noise {
				noise[i] = float32(f.stabilityNoise * r.rng.NormFloat64())
			}
			if err := r.tr.SetNoise(noise); err != nil {
				return err
			}
		}
		st, err := r.tr.Step(ctx, x)
		if err != nil {
			return fmt.Errorf("%w; the last checkpoint in %s is intact", err, r.dir)
		}
		step := r.tr.Steps()
		num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		stab := ""
		if noise != nil {
			stab = `,"stability":` + num(st.Stability)
		}
		line := fmt.Sprintf(`{"step":%d,"content":%s,"style":%s,"tv":%s%s,"total":%s,"ms":%s}`+"\n", step,
			num(st.Content), num(st.Style), num(st.TV), stab, num(st.Total), num(math.Round(st.Millis*10)/10))
		if _, err := r.log.WriteString(line); err != nil {
			return fmt.Errorf("log: %w", err)
		}
		vals := []trainview.Value{{Name: "content", V: st.Content}, {Name: "style", V: st.Style}}
		if noise != nil {
			vals = append(vals, trainview.Value{Name: "stability", V: st.Stability})
		}
		r.prog.Update(step, append(vals, trainview.Value{Name: "total", V: st.Total}))
		if f.sampleEvery > 0 && step%f.sampleEvery == 0 {
			if err := r.writeSamples(ctx, x); err != nil {
				return err
			}
		}
		if f.every > 0 && step%f.every == 0 && step < f.steps {
			if err := r.checkpoint(ctx); err != nil {
				return err
			}
		}
	}
	if err := r.checkpoint(ctx); err != nil {
		return err
	}
	return r.writeNet(ctx)
}

// writeSamples writes RUN/samples-STEP.png: the step's crops above their stylised outputs.
func (r *styleRun) writeSamples(ctx context.Context, x []float32) error {
	y, err := r.tr.Output(ctx)
	if err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	both := make([]float32, 0, len(x)+len(y))
	for _, v := range append(append([]float32{}, x...), y...) {
		both = append(both, v/127.5-1)
	}
	path := filepath.Join(r.dir, fmt.Sprintf("samples-%06d.png", r.tr.Steps()))
	if err := writeGridPNG(path, both, []int{2 * r.f.batch, 3, r.f.size, r.f.size}); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	return nil
}

func (r *styleRun) checkpoint(ctx context.Context) error {
	ck, err := r.tr.Checkpoint(ctx)
	if err != nil {
		return err
	}
	if ck.RNG, err = r.src.MarshalBinary(); err != nil {
		return err
	}
	ck.Settings = r.f.settings()
	ck.Settings["command"] = r.command
	if err := models.WriteCheckpoint(filepath.Join(r.dir, "checkpoint.msgpack"), ck); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := trainview.PlotLog(r.logPath, filepath.Join(r.dir, "loss.png"), nil); err != nil {
		r.prog.Printf("note: loss curves not drawn: %v", err)
	}
	return nil
}

// extraMeta is what the weights' description adds when the run used --init or
// --stability.
func (r *styleRun) extraMeta() string {
	var s string
	if r.f.init != "" {
		s += ", starting from the weights of " + r.f.init
	}
	if r.f.stability > 0 {
		s += fmt.Sprintf("; stability term ×%g (Gaussian pixel noise σ %g of 0..255)", r.f.stability, r.f.stabilityNoise)
	}
	return s
}

func (r *styleRun) writeNet(ctx context.Context) error {
	w, err := r.tr.Weights(ctx)
	if err != nil {
		return err
	}
	f := r.f
	name := strings.TrimSuffix(filepath.Base(f.out), filepath.Ext(f.out))
	credit := filepath.Base(f.style)
	if f.credit != "" {
		credit = f.credit
	}
	l := f.loss()
	w.Meta = models.Meta{
		Name:    name,
		License: "CC0-1.0",
		Source:  fmt.Sprintf("easel train style: %s on the photos of %s", filepath.Base(f.style), r.content.Source),
		Description: fmt.Sprintf("Fast style network (Johnson et al. 2016) trained by Easel. Style: %s (longer side %d px). "+
			"Content: %d photos of %s (%s), random %d×%d crops, batch %d. Loss network: %s; content %s ×%g, style %s ×%g%s, TV ×%g. "+
			"Adam lr %g, seed %d, %d steps%s; training time %s (the steps' wall time in the log, over every session of the run), on %s",
			credit, f.styleSize, len(r.content.Images), r.content.Source, strings.Join(r.content.Names, ", "), f.size, f.size, f.batch,
			r.lossNet.Meta.Name, l.ContentLayer, l.ContentWeight, strings.Join(l.StyleLayers, ","), l.StyleWeight,
			map[bool]string{true: " (per-layer normalised)", false: ""}[l.NormalizeStyle], l.TVWeight,
			f.lr, f.seed, r.tr.Steps(), r.extraMeta(), loggedTime(r.logPath, r.tr.Steps()), r.dev.Adapter().Name),
		Trained:         true,
		TrainingCommand: r.command,
		Steps:           int64(r.tr.Steps()),
		Date:            time.Now().UTC().Format("2006-01-02"),
	}
	if err := models.WriteFile(f.out, w); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	fmt.Fprintf(os.Stderr, "easel: wrote %s (%d steps)\n", f.out, r.tr.Steps())
	return nil
}
