package models

import (
	"fmt"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	xdraw "golang.org/x/image/draw"

	"easel/internal/imagefile"
)

// maxContentImages bounds a content folder: its images are held in memory.
const maxContentImages = 20000

// ContentImages are the photos a fast style network trains on, held at most maxSide
// pixels on their longer side; Crops draws the training crops from them.
type ContentImages struct {
	Images []*image.NRGBA
	Names  []string
	Source string // the folder's name, for the weights' meta
}

// LoadContentImages reads every PNG and JPEG file of dir (sorted by name), scaling each
// down so that its longer side is at most maxSide.
func LoadContentImages(dir string, maxSide int) (*ContentImages, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("content images: %w", err)
	}
	c := &ContentImages{Source: filepath.Base(filepath.Clean(dir))}
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.Type().IsRegular() && (ext == ".png" || ext == ".jpg" || ext == ".jpeg") {
			c.Names = append(c.Names, e.Name())
		}
	}
	if len(c.Names) == 0 {
		return nil, fmt.Errorf("content images %s: no .png, .jpg or .jpeg files in the folder", dir)
	}
	if len(c.Names) > maxContentImages {
		return nil, fmt.Errorf("content images %s: %d files, at most %d", dir, len(c.Names), maxContentImages)
	}
	slices.Sort(c.Names)
	for _, name := range c.Names {
		img, err := imagefile.Read(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("content images: %w", err)
		}
		if b := img.Bounds(); max(b.Dx(), b.Dy()) > maxSide {
			img = imagefile.ResizeLonger(img, maxSide)
		}
		c.Images = append(c.Images, img)
	}
	return c, nil
}

// Crops writes n random size×size crops into dst ([n,3,size,size], RGB 0..255): each from
// a random image, a square window whose side is drawn between size (or the image's
// shorter side, if smaller) and the shorter side, at a random place, scaled to size×size
// and mirrored left-right half of the time.
func (c *ContentImages) Crops(dst []float32, n, size int, rng *rand.Rand) {
	plane := size * size
	crop := image.NewNRGBA(image.Rect(0, 0, size, size))
	for k := range n {
		img := c.Images[rng.IntN(len(c.Images))]
		b := img.Bounds()
		short := min(b.Dx(), b.Dy())
		lo := min(size, short)
		side := lo + rng.IntN(short-lo+1)
		x0 := b.Min.X + rng.IntN(b.Dx()-side+1)
		y0 := b.Min.Y + rng.IntN(b.Dy()-side+1)
		xdraw.ApproxBiLinear.Scale(crop, crop.Bounds(), img, image.Rect(x0, y0, x0+side, y0+side), xdraw.Src, nil)
		flip := rng.IntN(2) == 1
		out := dst[k*3*plane : (k+1)*3*plane]
		for y := range size {
			for x := range size {
				o := crop.PixOffset(x, y)
				xx := x
				if flip {
					xx = size - 1 - x
				}
				for ch := range 3 {
					out[ch*plane+y*size+xx] = float32(crop.Pix[o+ch])
				}
			}
		}
	}
}

// ImageCHW is img's pixels as [3,H,W] RGB in 0..255 (alpha dropped).
func ImageCHW(img *image.NRGBA) []float32 {
	b := img.Bounds()
	h, w := b.Dy(), b.Dx()
	out := make([]float32, 3*h*w)
	for y := range h {
		for x := range w {
			o := img.PixOffset(b.Min.X+x, b.Min.Y+y)
			for ch := range 3 {
				out[ch*h*w+y*w+x] = float32(img.Pix[o+ch])
			}
		}
	}
	return out
}
