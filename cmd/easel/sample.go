package main

import (
	"fmt"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/internal/npy"
	"easel/models"
)

// maxSamples bounds one sample run.
const maxSamples = 1024

// sampleFlags are easel sample's flags.
type sampleFlags struct {
	model, zPath, out, cont string
	add, directions         string
	n, class, code          int
	seed                    uint64
}

func sampleCmd() *cobra.Command {
	var f sampleFlags
	cmd := &cobra.Command{
		Use:   "sample (--z Z.npy | --n N --seed S) [--class K | --code K --cont a,b] --out OUT.png|OUT.npy",
		Short: "Sample images from a GAN generator (DCGAN, conditional GAN, InfoGAN)",
		Long: fmt.Sprintf(`Sample images from a GAN generator: a DCGAN generator (pytorch/examples dcgan, or one
trained by easel train dcgan or wgan), a conditional GAN (easel train cgan) or an InfoGAN
(easel train infogan).

The latent vectors z come from --z, a float32 .npy of shape [N,nz] or [N,nz,1,1], or are
drawn from N(0,1) for --n N and --seed S: Go's math/rand/v2 PCG seeded with (S, 0),
NormFloat64 in order, so a seed gives the same samples everywhere. N is at most %d.
A conditional GAN draws class --class K (0..classes-1) for every sample, e.g. the digit K
of cgan-mnist. An InfoGAN fixes its categorical code to its K-th value with --code K and
its continuous codes with --cont a,b (each usually in -1..1; 0 when unset); without --code,
each sample draws a code uniformly (from the same seed).
--add glasses=1.5,smile=-1 adds attribute directions (made by easel directions) to every
latent: the latent arithmetic of the page's attribute buttons. --directions names the
directions model (default: the model's name + "-directions", e.g. dcgan-faces-directions).

--out OUT.png is a grid of the samples (⌈√N⌉ columns, 2-pixel black padding), the tanh
output -1..1 mapped to 0..255. --out OUT.npy is the raw float32 generator output
[N,nc,side,side] in -1..1 (e.g. [N,3,64,64] for faces, [N,1,32,32] for digits).

--model is an embedded model (see easel models), a weights file, or NAME for
NAME.msgpack in $%s.`, maxSamples, modelsDirEnv),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.zPath != "" && (cmd.Flags().Changed("n") || cmd.Flags().Changed("seed")) {
				return fmt.Errorf("--z gives the latent vectors; --n and --seed draw them: use one or the other")
			}
			if !cmd.Flags().Changed("class") {
				f.class = -1
			}
			if !cmd.Flags().Changed("code") {
				f.code = -1
			}
			return sample(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", defaultSampleModel, "model name or weights file")
	fl.StringVar(&f.zPath, "z", "", "latent vectors: float32 .npy of shape [N,nz] or [N,nz,1,1]")
	fl.IntVar(&f.n, "n", 16, "number of samples to draw")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of the latent vectors")
	fl.IntVar(&f.class, "class", 0, "conditional GAN: the class of every sample (required for cgan models)")
	fl.IntVar(&f.code, "code", 0, "InfoGAN: the categorical code of every sample (default: drawn)")
	fl.StringVar(&f.cont, "cont", "", "InfoGAN: the continuous codes, comma-separated (default: 0)")
	fl.StringVar(&f.add, "add", "", "latent arithmetic: add directions to every latent, e.g. glasses=1.5,smile=-1")
	fl.StringVar(&f.directions, "directions", "", "directions model for --add (default MODEL-directions)")
	fl.StringVar(&f.out, "out", "", "output: .png grid or .npy raw network output")
	cmd.MarkFlagRequired("out")
	return cmd
}

// addDirections adds --add's directions (name=strength, comma-separated) of the
// directions model to every latent of z.
func addDirections(cmd *cobra.Command, f sampleFlags, gc models.GeneratorConfig, z []float32) error {
	name := f.directions
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(f.model), filepath.Ext(f.model)) + "-directions"
	}
	w, err := loadModel(cmd, name, models.ArchLatentDirections)
	if err != nil {
		return fmt.Errorf("--add: %w", err)
	}
	d, err := models.DirectionsOf(w)
	if err != nil {
		return fmt.Errorf("--add: %s: %w", name, err)
	}
	if d.NZ != gc.NZ {
		return fmt.Errorf("--add: directions %s are for latents of %d values, model %s takes %d", name, d.NZ, f.model, gc.NZ)
	}
	for _, term := range strings.Split(f.add, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(term), "=")
		s, err := strconv.ParseFloat(val, 64)
		if !ok || err != nil || math.IsNaN(s) || math.Abs(s) > 100 {
			return fmt.Errorf("--add %s: %q: want name=strength with a strength in -100..100", f.add, term)
		}
		v := d.Get(key)
		if v == nil {
			return fmt.Errorf("--add: %s has no direction %q (it has %s)", name, key, strings.Join(d.Names, ", "))
		}
		for i := range z {
			z[i] += float32(s) * v[i%gc.NZ]
		}
	}
	return nil
}

// generatorCodes builds the class/code and continuous-code inputs of n samples of a
// generator with config g from --class, --code and --cont; draws come from seed.
func generatorCodes(g models.GeneratorConfig, name string, f sampleFlags, n int) ([]int, []float32, error) {
	if g.Classes == 0 && f.class >= 0 {
		return nil, nil, fmt.Errorf("--class %d: model %s is not a conditional GAN (%s)", f.class, name, g.Arch())
	}
	if g.Cat == 0 && f.code >= 0 {
		return nil, nil, fmt.Errorf("--code %d: model %s has no categorical code (%s)", f.code, name, g.Arch())
	}
	if g.Cont == 0 && f.cont != "" {
		return nil, nil, fmt.Errorf("--cont %s: model %s has no continuous codes (%s)", f.cont, name, g.Arch())
	}
	var class []int
	switch {
	case g.Classes > 0:
		if f.class < 0 || f.class >= g.Classes {
			return nil, nil, fmt.Errorf("--class %d: model %s draws classes 0..%d: give --class K", f.class, name, g.Classes-1)
		}
		class = slices.Repeat([]int{f.class}, n)
	case g.Cat > 0 && f.code >= 0:
		if f.code >= g.Cat {
			return nil, nil, fmt.Errorf("--code %d: model %s has codes 0..%d", f.code, name, g.Cat-1)
		}
		class = slices.Repeat([]int{f.code}, n)
	case g.Cat > 0:
		rng := rand.New(rand.NewPCG(f.seed, 1))
		for range n {
			class = append(class, rng.IntN(g.Cat))
		}
	}
	cont := make([]float32, n*g.Cont)
	if f.cont != "" {
		parts := strings.Split(f.cont, ",")
		if len(parts) != g.Cont {
			return nil, nil, fmt.Errorf("--cont %s: %d values; model %s has %d continuous codes", f.cont, len(parts), name, g.Cont)
		}
		for j, p := range parts {
			v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 100 {
				return nil, nil, fmt.Errorf("--cont %s: %q is not a number in -100..100", f.cont, p)
			}
			for i := range n {
				cont[i*g.Cont+j] = float32(v)
			}
		}
	}
	return class, cont, nil
}

// latent draws n latent vectors flattened as [n, nz]: the same z for a seed as the web
// app's face sampler, which also uses models.RandomLatents.
func latent(n, nz int, seed uint64) []float32 {
	z := make([]float32, 0, n*nz)
	for _, v := range models.RandomLatents(n, nz, seed) {
		z = append(z, v...)
	}
	return z
}

func sample(cmd *cobra.Command, f sampleFlags) error {
	start := time.Now()
	modelName, zPath, n, out := f.model, f.zPath, f.n, f.out
	if zPath == "" && (n < 1 || n > maxSamples) {
		return fmt.Errorf("--n %d: want 1..%d", n, maxSamples)
	}
	if err := refuseInput(out, zPath); err != nil {
		return err
	}
	o, err := createOutput(out, ".png", ".npy")
	if err != nil {
		return err
	}
	defer o.Abort()
	w, err := loadModel(cmd, modelName, models.ArchDCGANGenerator, models.ArchCGANGenerator, models.ArchInfoGANGenerator)
	if err != nil {
		return err
	}
	gc, err := models.GeneratorConfigOf(w)
	if err != nil {
		return fmt.Errorf("model %s: %w", modelName, err)
	}
	var z []float32
	if zPath != "" {
		var shape []int
		if shape, z, err = readNpy("--z", zPath, maxSamples*4096); err != nil {
			return err
		}
		if !(len(shape) == 2 || len(shape) == 4 && shape[2] == 1 && shape[3] == 1) || shape[0] < 1 {
			return fmt.Errorf("--z %s: shape %v, want [N,nz] or [N,nz,1,1]", zPath, shape)
		}
		if n = shape[0]; n > maxSamples {
			return fmt.Errorf("--z %s: %d vectors, limit %d", zPath, n, maxSamples)
		}
		if shape[1] != gc.NZ {
			return fmt.Errorf("--z %s: shape %v has nz %d, but model %s takes nz %d", zPath, shape, shape[1], modelName, gc.NZ)
		}
		if err := checkFinite("--z", zPath, shape, z); err != nil {
			return err
		}
	} else {
		z = latent(n, gc.NZ, f.seed)
	}
	if f.add != "" {
		if err := addDirections(cmd, f, gc, z); err != nil {
			return err
		}
	}
	class, cont, err := generatorCodes(gc, modelName, f, n)
	if err != nil {
		return err
	}
	in := make([]float32, n*gc.InputWidth())
	if err := gc.GeneratorInput(in, z, class, cont); err != nil {
		return err
	}

	dev, err := gpu.Open(cmd.Context())
	if err != nil {
		return err
	}
	defer dev.Close()
	y, shape, err := generate(cmd.Context(), dev, w, in)
	if err != nil {
		return fmt.Errorf("model %s: sample %d: %w", modelName, n, err)
	}
	if strings.EqualFold(filepath.Ext(out), ".npy") {
		err = o.Commit(func(f io.Writer) error { return npy.WriteFloat32(f, shape, y) })
	} else {
		ims, cerr := tensorImages(y, shape, w.IO.Output, shape[2], shape[3])
		if cerr != nil {
			return fmt.Errorf("model %s: %w", modelName, cerr)
		}
		err = o.Commit(func(f io.Writer) error { return png.Encode(f, grid(ims)) })
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d samples of %s in %v on %s\n", out, n, modelName,
		time.Since(start).Round(time.Millisecond), dev.Adapter().Name)
	return nil
}
