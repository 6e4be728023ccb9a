package main

import (
	"fmt"
	"image/png"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/internal/npy"
	"easel/models"
)

// maxSamples bounds one sample run.
const maxSamples = 1024

func sampleCmd() *cobra.Command {
	var model, zPath, out string
	var n int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "sample (--z Z.npy | --n N --seed S) --out OUT.png|OUT.npy",
		Short: "Sample images from a GAN generator (DCGAN)",
		Long: fmt.Sprintf(`Sample images from a GAN generator (the DCGAN Generator of pytorch/examples dcgan).

The latent vectors come from --z, a float32 .npy of shape [N,nz] or [N,nz,1,1], or are
drawn from N(0,1) for --n N and --seed S: Go's math/rand/v2 PCG seeded with (S, 0),
NormFloat64 in order, so a seed gives the same samples everywhere. N is at most %d.

--out OUT.png is a grid of the samples (⌈√N⌉ columns, 2-pixel black padding), the tanh
output -1..1 mapped to 0..255. --out OUT.npy is the raw float32 output [N,nc,64,64].

--model is an embedded model (see easel models), a weights file, or NAME for
NAME.msgpack in $%s. The embedded default is an untrained placeholder.`, maxSamples, modelsDirEnv),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if zPath != "" && (cmd.Flags().Changed("n") || cmd.Flags().Changed("seed")) {
				return fmt.Errorf("--z gives the latent vectors; --n and --seed draw them: use one or the other")
			}
			return sample(cmd, model, zPath, n, seed, out)
		},
	}
	cmd.Flags().StringVar(&model, "model", defaultSampleModel, "model name or weights file")
	cmd.Flags().StringVar(&zPath, "z", "", "latent vectors: float32 .npy of shape [N,nz] or [N,nz,1,1]")
	cmd.Flags().IntVar(&n, "n", 16, "number of samples to draw")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "seed of the latent vectors")
	cmd.Flags().StringVar(&out, "out", "", "output: .png grid or .npy raw network output")
	cmd.MarkFlagRequired("out")
	return cmd
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

func sample(cmd *cobra.Command, modelName, zPath string, n int, seed uint64, out string) error {
	start := time.Now()
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
	w, err := loadModel(cmd, modelName, models.ArchDCGANGenerator)
	if err != nil {
		return err
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
		if nz, err := w.Config.Int("nz"); err == nil && shape[1] != nz {
			return fmt.Errorf("--z %s: shape %v has nz %d, but model %s takes nz %d", zPath, shape, shape[1], modelName, nz)
		}
		if err := checkFinite("--z", zPath, shape, z); err != nil {
			return err
		}
	}

	dev, err := gpu.Open(cmd.Context())
	if err != nil {
		return err
	}
	defer dev.Close()
	g, err := models.NewGenerator(dev, w)
	if err != nil {
		return fmt.Errorf("model %s: %w", modelName, err)
	}
	defer g.Release()
	if z == nil {
		z = latent(n, g.Config.NZ, seed)
	}
	p, err := g.Plan(n)
	if err != nil {
		return fmt.Errorf("sample %d: %w", n, err)
	}
	defer p.Release()
	y, err := run(cmd, p, z)
	if err != nil {
		return fmt.Errorf("sample %d: %w", n, err)
	}
	shape := p.Output.Shape()

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
