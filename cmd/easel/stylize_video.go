package main

import (
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"time"

	"github.com/spf13/cobra"

	"easel/gpu"
	"easel/internal/imagefile"
	"easel/internal/y4m"
	"easel/models"
)

// maxVideoFrames bounds the frames stylized from one clip.
const maxVideoFrames = 100000

// flicker accumulates the mean absolute frame-to-frame change of a sequence of frames of
// one size (RGB, 0..255 per channel).
type flicker struct {
	prev  []uint8
	sum   float64
	pairs int
}

func (f *flicker) add(img *image.NRGBA) {
	b := img.Bounds()
	cur := make([]uint8, 0, 3*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			o := img.PixOffset(x, y)
			cur = append(cur, img.Pix[o:o+3]...)
		}
	}
	if f.prev != nil {
		var s float64
		for i, v := range cur {
			s += math.Abs(float64(v) - float64(f.prev[i]))
		}
		f.sum += s / float64(len(cur))
		f.pairs++
	}
	f.prev = cur
}

// mean is the mean change per channel value between consecutive frames (0 for one frame).
func (f *flicker) mean() float64 {
	if f.pairs == 0 {
		return 0
	}
	return f.sum / float64(f.pairs)
}

// stylizeVideo stylizes every frame of a YUV4MPEG2 clip into another and reports the
// flicker: the mean frame-to-frame change of the output next to the input's. A style
// network that flickers changes its output far more than its input changes.
func stylizeVideo(cmd *cobra.Command, modelName, in, out string, size int) error {
	start := time.Now()
	if err := refuseInput(out, in); err != nil {
		return err
	}
	o, err := createOutput(out, ".y4m")
	if err != nil {
		return err
	}
	defer o.Abort()
	w, err := loadModel(cmd, modelName, models.ArchTransformerNet, models.ArchTransformerNetLight)
	if err != nil {
		return err
	}
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	defer f.Close()
	r, err := y4m.NewReader(f)
	if err != nil {
		return fmt.Errorf("input %s: %w", in, err)
	}
	fw, fh := r.W, r.H
	if size > 0 {
		probe := imagefile.ResizeLonger(image.NewNRGBA(image.Rect(0, 0, r.W, r.H)), size)
		fw, fh = probe.Bounds().Dx(), probe.Bounds().Dy()
	}
	if err := checkMinSide(in, r.W, r.H, fw, fh, size); err != nil {
		return err
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
	p, err := m.Plan(1, fh, fw)
	if err != nil {
		return fmt.Errorf("stylize %d×%d frames: %w (a smaller --size may fit)", fw, fh, err)
	}
	defer p.Release()
	var fin, fout flicker
	frames := 0
	err = o.Commit(func(dst io.Writer) error {
		wr, err := y4m.NewWriter(dst, y4m.Header{W: fw, H: fh, RateN: r.RateN, RateD: r.RateD, Interlaced: r.Interlaced})
		if err != nil {
			return err
		}
		for {
			img, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("input %s: %w", in, err)
			}
			if frames++; frames > maxVideoFrames {
				return fmt.Errorf("input %s: more than %d frames", in, maxVideoFrames)
			}
			if size > 0 {
				img = imagefile.ResizeLonger(img, size)
			}
			x, err := imageTensor(img, w.IO.Input)
			if err != nil {
				return fmt.Errorf("model %s: %w", modelName, err)
			}
			y, err := run(cmd, p, x)
			if err != nil {
				return fmt.Errorf("frame %d: %w", frames, err)
			}
			ims, err := tensorImages(y, p.Output.Shape(), w.IO.Output, fh, fw)
			if err != nil {
				return fmt.Errorf("model %s: %w", modelName, err)
			}
			styled := ims[0].(*image.NRGBA)
			fin.add(img)
			fout.add(styled)
			if err := wr.Write(styled); err != nil {
				return err
			}
		}
		if frames == 0 {
			return fmt.Errorf("input %s: no frames", in)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s on %d frames of %d×%d pixels in %v on %s\n", out, modelName, frames, fw, fh,
		time.Since(start).Round(time.Millisecond), dev.Adapter().Name)
	ratio := "the input does not change"
	if fin.mean() > 0 {
		ratio = fmt.Sprintf("ratio %.2f", fout.mean()/fin.mean())
	}
	fmt.Fprintf(cmd.OutOrStdout(), "flicker: mean frame-to-frame change %.2f in the output, %.2f in the input (per channel value, 0..255): %s\n",
		fout.mean(), fin.mean(), ratio)
	return nil
}
