//go:build !(js && wasm)

package models

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeIDX writes a gzipped IDX file: the header words, then the bytes.
func writeIDX(t *testing.T, path string, hdr []uint32, body []byte) {
	t.Helper()
	var raw bytes.Buffer
	binary.Write(&raw, binary.BigEndian, hdr)
	raw.Write(body)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(raw.Bytes())
	w.Close()
	if err := os.WriteFile(path, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIDXDataset loads a small MNIST-format set from $EASEL_DATA: values, labels, scaling,
// channels; and every malformed file is refused with a message naming it.
func TestIDXDataset(t *testing.T) {
	data := t.TempDir()
	t.Setenv("EASEL_DATA", data)
	dir := filepath.Join(data, "mnist")
	os.MkdirAll(dir, 0o755)
	const n, side = 3, 6
	pix := make([]byte, n*side*side)
	for i := range pix {
		pix[i] = byte(i * 7 % 256)
	}
	images, labels := filepath.Join(dir, "train-images-idx3-ubyte.gz"), filepath.Join(dir, "train-labels-idx1-ubyte.gz")
	writeIDX(t, images, []uint32{0x803, n, side, side}, pix)
	writeIDX(t, labels, []uint32{0x801, n}, []byte{7, 0, 9})

	d, err := LoadDataset("mnist", side, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != n || d.C != 1 || d.H != side || d.Source != "mnist" || len(d.Labels) != n || d.Labels[2] != 9 {
		t.Fatalf("dataset %d×%d×%d×%d from %q, %d labels", d.N, d.C, d.H, d.W, d.Source, len(d.Labels))
	}
	for i, v := range d.Data {
		if want := float32(pix[i])/127.5 - 1; v != want {
			t.Fatalf("value %d = %v, want %v", i, v, want)
		}
	}
	big, err := LoadDataset("mnist", 16, 3)
	if err != nil {
		t.Fatal(err)
	}
	if big.N != n || big.C != 3 || big.H != 16 || len(big.Data) != n*3*16*16 {
		t.Fatalf("scaled dataset %d×%d×%d×%d", big.N, big.C, big.H, big.W)
	}
	for i, v := range big.Data {
		if !(v >= -1 && v <= 1) {
			t.Fatalf("scaled value %d = %v outside -1..1", i, v)
		}
	}
	if big.Data[0] != big.Data[16*16] || big.Data[5] != big.Data[2*16*16+5] {
		t.Errorf("the gray image is not repeated in every channel")
	}

	for _, c := range []struct {
		name   string
		hdr    []uint32
		body   []byte
		labels []uint32
		want   string
	}{
		{"bad magic", []uint32{0x802, n, side, side}, pix, nil, "magic"},
		{"truncated", []uint32{0x803, n + 1, side, side}, pix, nil, "truncated"},
		{"huge count", []uint32{0x803, math.MaxUint32, side, side}, pix, nil, "images of"},
		{"label count", []uint32{0x803, n, side, side}, pix, []uint32{0x801, n - 1}, "2 labels for 3 images"},
	} {
		writeIDX(t, images, c.hdr, c.body)
		lh := c.labels
		if lh == nil {
			lh = []uint32{0x801, n}
		}
		writeIDX(t, labels, lh, []byte{7, 0, 9})
		_, err := LoadDataset("mnist", side, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "mnist") {
			t.Errorf("%s: error %v, want one naming the file and saying %q", c.name, err, c.want)
		}
	}

	// The test split: t10k-* files, by name suffix or LoadTestDataset.
	writeIDX(t, images, []uint32{0x803, n, side, side}, pix)
	writeIDX(t, labels, []uint32{0x801, n}, []byte{7, 0, 9})
	t.Setenv("GOMODCACHE", t.TempDir())
	if _, err := LoadTestDataset("mnist", side, 1); err == nil || !strings.Contains(err.Error(), "t10k") {
		t.Errorf("missing test split: error %v, want one naming the t10k files", err)
	}
	writeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), []uint32{0x803, 2, side, side}, pix[:2*side*side])
	writeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), []uint32{0x801, 2}, []byte{4, 5})
	for _, load := range []func() (*Dataset, error){
		func() (*Dataset, error) { return LoadTestDataset("mnist", side, 1) },
		func() (*Dataset, error) { return LoadDataset("mnist"+TestSplit, side, 1) },
	} {
		d, err := load()
		if err != nil {
			t.Fatal(err)
		}
		if d.N != 2 || d.Source != "mnist:test" || len(d.Labels) != 2 || d.Labels[1] != 5 {
			t.Errorf("test split: %d images from %q, labels %v", d.N, d.Source, d.Labels)
		}
	}
	for _, name := range []string{"faces-of-nobody", "mnist:test", "./x.npy"} {
		if _, err := LoadTestDataset(name, side, 1); !errors.Is(err, ErrNoTestSplit) {
			t.Errorf("LoadTestDataset(%q): error %v, want ErrNoTestSplit", name, err)
		}
	}

	os.RemoveAll(dir)
	if _, err := LoadDataset("mnist", side, 1); err == nil || !strings.Contains(err.Error(), "go mod download") {
		t.Errorf("missing mnist: error %v, want one saying how to fetch it", err)
	}
}

// TestRealIDXDatasets loads the real sets where this machine has them (Fashion-MNIST from
// Debian's package, MNIST from the Go module cache).
func TestRealIDXDatasets(t *testing.T) {
	t.Setenv("EASEL_DATA", "")
	found := 0
	for _, name := range []string{"mnist", "fashion-mnist"} {
		d, err := LoadDataset(name, 28, 1)
		if err != nil {
			t.Logf("%s: %v", name, err)
			continue
		}
		found++
		counts := make([]int, 10)
		for _, l := range d.Labels {
			if l >= 0 && l < 10 {
				counts[l]++
			}
		}
		t.Logf("%s: %d images, labels per class %v", name, d.N, counts)
		if test, err := LoadTestDataset(name, 28, 1); err != nil {
			t.Errorf("%s: %v", name, err)
		} else if test.N != 10000 || len(test.Labels) != 10000 {
			t.Errorf("%s: test split of %d images, %d labels, want 10000", name, test.N, len(test.Labels))
		}
		if d.N != 60000 {
			t.Errorf("%s: %d training images, want 60000", name, d.N)
		}
		for c, k := range counts {
			if k < 5000 {
				t.Errorf("%s: class %d has %d images", name, c, k)
			}
		}
	}
	if found == 0 {
		t.Skip("neither data set is on this machine")
	}
}
