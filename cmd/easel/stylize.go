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
	"easel/internal/imagefile"
	"easel/internal/npy"
	"easel/models"
)

func stylizeCmd() *cobra.Command {
	var model, in, out string
	var size int
	cmd := &cobra.Command{
		Use:   "stylize --in IMG --out OUT.png|OUT.npy",
		Short: "Stylize an image with a fast style network (TransformerNet)",
		Long: fmt.Sprintf(`Stylize an image with a fast style network (TransformerNet of pytorch/examples
fast_neural_style).

--in is a PNG or JPEG image of at most %d pixels per side and 16 Mpx, or a float32 .npy
of shape [N,3,H,W] holding the network input itself (RGB in 0..255 for transformer-net).
--size N scales an image so that its longer side is N pixels (Catmull-Rom). The network's
activations must fit the GPU's largest buffer: on Mesa's lavapipe (128 MiB) transformer-net
takes up to about 0.5 Mpx (800×600), so scale larger photos down with --size.

--in CLIP.y4m --out OUT.y4m stylizes every frame of a YUV4MPEG2 4:2:0 clip (the format of
ffmpeg's -f yuv4mpegpipe and of Chromium's fake camera) and prints the flicker: the mean
frame-to-frame change of the output next to the input's.

--out OUT.png is the stylized image at the input's size (the network's output is up to 3
pixels larger when a side is not a multiple of 4: that margin is cropped), clamped to
0..255; several inputs make a grid. --out OUT.npy is the network's raw float32 NCHW output,
before cropping or clamping.

--model is an embedded model (see easel models: the trained styles starry-night, the
default, scream and great-wave), a weights file, or NAME for NAME.msgpack in $%s.`, imagefile.MaxSide, modelsDirEnv),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return stylize(cmd, model, in, out, size)
		},
	}
	cmd.Flags().StringVar(&model, "model", defaultStyleModel, "model name or weights file")
	cmd.Flags().StringVar(&in, "in", "", "input image (PNG or JPEG), network input (.npy) or clip (.y4m)")
	cmd.Flags().StringVar(&out, "out", "", "output: .png image, .npy raw network output or .y4m clip")
	cmd.Flags().IntVar(&size, "size", 0, "scale the image so that its longer side is this many pixels (0: as it is)")
	cmd.MarkFlagRequired("in")
	cmd.MarkFlagRequired("out")
	return cmd
}

func stylize(cmd *cobra.Command, modelName, in, out string, size int) error {
	start := time.Now()
	video := strings.EqualFold(filepath.Ext(in), ".y4m")
	if video != strings.EqualFold(filepath.Ext(out), ".y4m") {
		return fmt.Errorf("--in %s --out %s: a .y4m clip is stylized into a .y4m clip, and only a clip into one", in, out)
	}
	if size < 0 || size > imagefile.MaxSide {
		return fmt.Errorf("--size %d: want %d..%d, or 0 to keep the image's size", size, models.TransformerMinSide, imagefile.MaxSide)
	}
	if size > 0 && size < models.TransformerMinSide {
		return fmt.Errorf("--size %d: the network needs at least %d pixels per side; want %d..%d, or 0 to keep the image's size",
			size, models.TransformerMinSide, models.TransformerMinSide, imagefile.MaxSide)
	}
	if video {
		return stylizeVideo(cmd, modelName, in, out, size)
	}
	if err := refuseInput(out, in); err != nil {
		return err
	}
	o, err := createOutput(out, ".png", ".npy")
	if err != nil {
		return err
	}
	defer o.Abort()
	w, err := loadModel(cmd, modelName, models.ArchTransformerNet, models.ArchTransformerNetLight)
	if err != nil {
		return err
	}

	var x []float32
	var shape []int // [N,3,H,W]
	if strings.EqualFold(filepath.Ext(in), ".npy") {
		if size != 0 {
			return fmt.Errorf("--size scales images; the .npy input %s is used as it is", in)
		}
		if shape, x, err = readNpy("input", in, 3*imagefile.MaxPixels); err != nil {
			return err
		}
		if len(shape) != 4 || shape[0] < 1 || shape[1] != 3 {
			return fmt.Errorf("input %s: shape %v, want [N,3,H,W]", in, shape)
		}
		if err := checkFinite("input", in, shape, x); err != nil {
			return err
		}
		if err := imagefile.CheckSize(shape[3], shape[2]); err != nil {
			return fmt.Errorf("input %s: %w", in, err)
		}
		if min(shape[2], shape[3]) < models.TransformerMinSide {
			return fmt.Errorf("input %s: %d×%d pixels: the network needs at least %d pixels per side",
				in, shape[3], shape[2], models.TransformerMinSide)
		}
	} else {
		img, err := imagefile.Read(in)
		if err != nil {
			return err
		}
		ow, oh := img.Bounds().Dx(), img.Bounds().Dy()
		if size > 0 {
			img = imagefile.ResizeLonger(img, size)
		}
		if err := checkMinSide(in, ow, oh, img.Bounds().Dx(), img.Bounds().Dy(), size); err != nil {
			return err
		}
		if x, err = imageTensor(img, w.IO.Input); err != nil {
			return fmt.Errorf("model %s: %w", modelName, err)
		}
		shape = []int{1, 3, img.Bounds().Dy(), img.Bounds().Dx()}
	}

	dev, err := gpu.Open(cmd.Context())
	if err != nil {
		return err
	}
	defer dev.Close()
	m, err := models.NewTransformerNet(dev, w)
	if err != nil {
		return fmt.Errorf("model %s: %w", modelName, err)
	}
	defer m.Release()
	n, h, wd := shape[0], shape[2], shape[3]
	p, err := m.Plan(n, h, wd)
	if err != nil {
		return fmt.Errorf("stylize %d×%d pixels: %w (a smaller --size may fit)", wd, h, err)
	}
	defer p.Release()
	y, err := run(cmd, p, x)
	if err != nil {
		return fmt.Errorf("stylize %d×%d pixels: %w", wd, h, err)
	}
	yShape := p.Output.Shape()

	if strings.EqualFold(filepath.Ext(out), ".npy") {
		err = o.Commit(func(f io.Writer) error { return npy.WriteFloat32(f, yShape, y) })
	} else {
		ims, cerr := tensorImages(y, yShape, w.IO.Output, h, wd)
		if cerr != nil {
			return fmt.Errorf("model %s: %w", modelName, cerr)
		}
		err = o.Commit(func(f io.Writer) error { return png.Encode(f, grid(ims)) })
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s on %d×%d pixels in %v on %s\n", out, modelName, wd, h,
		time.Since(start).Round(time.Millisecond), dev.Adapter().Name)
	return nil
}

// checkMinSide refuses an image of w×h pixels, scaled from ow×oh by --size (0: not
// scaled), that is smaller than the network takes, and suggests the --size that makes it
// large enough.
func checkMinSide(in string, ow, oh, w, h, size int) error {
	m := models.TransformerMinSide
	if min(w, h) >= m {
		return nil
	}
	what := fmt.Sprintf("input image %s: %d×%d pixels", in, w, h)
	if size > 0 {
		what += fmt.Sprintf(" after --size %d", size)
	}
	need := sizeForMinSide(ow, oh)
	if need > imagefile.MaxSide {
		return fmt.Errorf("%s: the network needs at least %d pixels per side, and no --size up to %d makes the shorter side that long",
			what, m, imagefile.MaxSide)
	}
	return fmt.Errorf("%s: the network needs at least %d pixels per side; scale it up with a larger --size (%d or more)", what, m, need)
}

// sizeForMinSide is the least --size that scales an ow×oh image to at least
// TransformerMinSide pixels per side. ResizeLonger rounds the shorter side, which is then
// at least m from short·size/long ≥ m−½.
func sizeForMinSide(ow, oh int) int {
	m := models.TransformerMinSide
	long, short := max(ow, oh), max(min(ow, oh), 1)
	return max(m, ((2*m-1)*long+2*short-1)/(2*short))
}

// run writes x into the plan's input, runs it and reads the output back.
func run(cmd *cobra.Command, p *models.Plan, x []float32) ([]float32, error) {
	if err := p.Input.Write(x); err != nil {
		return nil, err
	}
	if err := p.Run(); err != nil {
		return nil, err
	}
	return p.Output.Read(cmd.Context())
}
