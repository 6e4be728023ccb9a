//go:build !(js && wasm)

package models

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	xdraw "golang.org/x/image/draw"

	"easel/internal/imagefile"
	"easel/internal/npy"
)

// Dataset is a set of images as float32 NCHW in -1..1, the convention of a tanh
// generator's output: held in memory, or rendered on demand (faces).
type Dataset struct {
	N, C, H, W int
	Data       []float32 // N·C·H·W values; nil for a rendered set
	// Render draws image k into dst (C·H·W values), for a set without Data.
	Render func(dst []float32, k int)
	Labels []int // the class of each image, for labelled sets (mnist); else nil
	// AttrNames name the binary attributes of a set that has them (faces), and Attrs(k)
	// gives image k's, in that order; else nil.
	AttrNames []string
	Attrs     func(k int) []bool
	Source    string // what it was loaded from, for the weights' meta
}

// maxDatasetElements bounds a data set held in memory: 1 GiB of float32.
const maxDatasetElements = 1 << 28

// Batch copies images idx into dst (len(idx)·C·H·W values); a rendered set renders
// them, on all CPUs.
func (d *Dataset) Batch(dst []float32, idx []int) {
	per := d.C * d.H * d.W
	if d.Data == nil {
		d.renderBatch(dst, idx)
		return
	}
	for i, k := range idx {
		copy(dst[i*per:(i+1)*per], d.Data[k*per:(k+1)*per])
	}
}

// renderBatch renders images idx into dst, the images shared out among GOMAXPROCS workers.
func (d *Dataset) renderBatch(dst []float32, idx []int) {
	per := d.C * d.H * d.W
	workers := min(runtime.GOMAXPROCS(0), len(idx))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(idx); i += workers {
				d.Render(dst[i*per:(i+1)*per], idx[i])
			}
		})
	}
	wg.Wait()
}

// LoadDataset reads path: a float32 .npy file of shape [N,C,size,size] with values in
// -1..1, or a folder of PNG and JPEG images, each scaled so that its shorter side is size
// and centre-cropped to size×size (as torchvision's Resize and CenterCrop in dcgan's data
// loading), then mapped from 0..255 to -1..1. nc is 3 (RGB) or 1 (the mean of R, G, B).
// A path that names no file but a data set ("mnist", "fashion-mnist") loads that set's
// 60,000 training images, scaled to size×size (gray, repeated for nc = 3), with labels;
// the name with the suffix TestSplit ("mnist:test") loads the 10,000 held-out ones.
// "faces" is Easel's procedural set of FacesN labelled faces (package faces), rendered
// at size×size as batches ask for them.
func LoadDataset(path string, size, nc int) (*Dataset, error) {
	if nc != 1 && nc != 3 {
		return nil, fmt.Errorf("data %s: %d channels, want 1 or 3", path, nc)
	}
	// A bare name is a data set's, even where a file or folder of that name exists (the
	// repository's own faces/ package, say): write ./faces for such a folder.
	if _, _, named := splitName(path); named {
		return loadIDXDataset(path, size, nc)
	}
	if path == "faces" {
		return loadFaces(size, nc)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if fi.IsDir() {
		return loadImageFolder(path, size, nc)
	}
	if !strings.EqualFold(filepath.Ext(path), ".npy") {
		return nil, fmt.Errorf("data %s: want a folder of images or a float32 .npy file [N,%d,%d,%d]", path, nc, size, size)
	}
	return loadNpyDataset(path, size, nc)
}

func loadNpyDataset(path string, size, nc int) (*Dataset, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	shape, data, err := npy.ReadFloat32(f, maxDatasetElements)
	if err != nil {
		return nil, fmt.Errorf("data %s: %w", path, err)
	}
	if len(shape) != 4 || shape[1] != nc || shape[2] != size || shape[3] != size || shape[0] < 1 {
		return nil, fmt.Errorf("data %s: shape %v, want [N,%d,%d,%d]", path, shape, nc, size, size)
	}
	for i, v := range data {
		if !(v >= -1 && v <= 1) { // NaN fails too
			return nil, fmt.Errorf("data %s: value %v at flat index %d (image %d) is outside -1..1", path, v, i, i/(nc*size*size))
		}
	}
	return &Dataset{N: shape[0], C: nc, H: size, W: size, Data: data, Source: filepath.Base(path)}, nil
}

func loadImageFolder(dir string, size, nc int) (*Dataset, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	var names []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.Type().IsRegular() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("data %s: no .png, .jpg or .jpeg files in the folder", dir)
	}
	slices.Sort(names)
	per := nc * size * size
	if len(names) > maxDatasetElements/per {
		return nil, fmt.Errorf("data %s: %d images of %d×%d do not fit in memory (at most %d)", dir, len(names), size, size, maxDatasetElements/per)
	}
	d := &Dataset{N: len(names), C: nc, H: size, W: size, Data: make([]float32, len(names)*per), Source: filepath.Base(filepath.Clean(dir))}
	for i, name := range names {
		img, err := imagefile.Read(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		crop := resizeCrop(img, size)
		writeImage(d.Data[i*per:(i+1)*per], crop, nc)
	}
	return d, nil
}

// resizeCrop scales img so that its shorter side is size (Catmull-Rom) and cuts the
// centre size×size square.
func resizeCrop(img *image.NRGBA, size int) *image.NRGBA {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	scale := float64(size) / float64(min(w, h))
	nw, nh := max(size, int(math.Round(float64(w)*scale))), max(size, int(math.Round(float64(h)*scale)))
	scaled := image.NewNRGBA(image.Rect(0, 0, nw, nh))
	xdraw.CatmullRom.Scale(scaled, scaled.Bounds(), img, img.Bounds(), xdraw.Src, nil)
	x0, y0 := (nw-size)/2, (nh-size)/2
	return scaled.SubImage(image.Rect(x0, y0, x0+size, y0+size)).(*image.NRGBA)
}

// writeImage stores img's pixels as CHW in -1..1.
func writeImage(dst []float32, img *image.NRGBA, nc int) {
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	for y := range h {
		for x := range w {
			o := img.PixOffset(b.Min.X+x, b.Min.Y+y)
			r, g, bl := float32(img.Pix[o]), float32(img.Pix[o+1]), float32(img.Pix[o+2])
			if nc == 1 {
				dst[y*w+x] = (r+g+bl)/3/127.5 - 1
				continue
			}
			dst[y*w+x] = r/127.5 - 1
			dst[h*w+y*w+x] = g/127.5 - 1
			dst[2*h*w+y*w+x] = bl/127.5 - 1
		}
	}
}
