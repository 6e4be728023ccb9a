package models

import (
	"archive/zip"
	"bytes"
	"math"
	"reflect"
	"slices"
	"sort"
	"testing"
)

// importArchs are the architectures ImportStateDict takes.
var importArchs = []string{ArchTransformerNet, ArchDCGANGenerator, ArchDCGANDiscriminator, ArchVGG16, ArchVGG19}

// checkImport imports sd as every architecture: no panic, and an accepted import is valid
// weights that survive an encode and decode unchanged.
func checkImport(t *testing.T, sd map[string]StateTensor) {
	for _, arch := range importArchs {
		w, err := ImportStateDict(arch, sd)
		if err != nil {
			continue
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("import %s accepted invalid weights: %v", arch, err)
		}
		var b bytes.Buffer
		if err := Encode(&b, w); err != nil {
			t.Fatalf("import %s: encode: %v", arch, err)
		}
		back, err := Decode(&b, DefaultLimit)
		if err != nil {
			t.Fatalf("import %s: decode: %v", arch, err)
		}
		if !reflect.DeepEqual(back, w) {
			t.Fatalf("import %s: weights change in an encode and decode", arch)
		}
	}
}

// FuzzPth fuzzes whole .pth files, the zip container with its data.pkl and storages or the
// legacy format's pickles and storages, and imports what decodes as each architecture.
// The seeds are tiny torch.save files: one tensor of a storage, with and without byteorder
// and version entries, a compressed data.pkl, protocols 2 and 4; a legacy file with a
// view, a long and a transposed tensor.
func FuzzPth(f *testing.F) {
	six := float32s(1, -2, 3, -4, 5, 6)
	w := pthTensor{name: "main.0.weight", storage: "FloatStorage", key: "0", numel: 6, size: []int64{1, 2, 3}, stride: []int64{6, 3, 1}}
	for _, file := range [][]byte{
		makeZip(zipEntry{name: "a/data.pkl", data: stateDictPickle(w)}, zipEntry{name: "a/data/0", data: six}),
		makeZip(zipEntry{name: "archive/data.pkl", data: proto4StateDict(w), method: zip.Deflate},
			zipEntry{name: "archive/byteorder", data: []byte("little")}, zipEntry{name: "archive/data/0", data: six},
			zipEntry{name: "archive/version", data: []byte("3\n")}),
		makeZip(zipEntry{name: "b/data.pkl", data: stateDictPickle(
			pthTensor{name: "main.1.running_var", storage: "HalfStorage", key: "k", numel: 2, size: []int64{2}, stride: []int64{1}})},
			zipEntry{name: "b/data/k", data: []byte{0, 0x3c, 0, 0xbc}}),
		goodLegacy().bytes(),
	} {
		if _, err := decodeZip(file); err != nil {
			f.Fatalf("seed of %d bytes: %v", len(file), err)
		}
		f.Add(file)
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		sd, err := decodeZip(file)
		if err != nil {
			return
		}
		for k, v := range sd {
			if n := (&Tensor{Shape: v.Shape}).NumElements(); n != len(v.Data) {
				t.Fatalf("%s: shape %v with %d values", k, v.Shape, len(v.Data))
			}
		}
		checkImport(t, sd)
	})
}

// importNames are the tensor names FuzzImportStateDict draws from: every name of small
// configurations of the three architectures, and the kept-out ones import drops.
var importNames = func() []string {
	set := map[string]bool{"main.1.num_batches_tracked": true, "in1.running_mean": true, "res1.in1.running_var": true,
		"res9.conv1.conv2d.weight": true, "res0.in1.bias": true, "x": true, "classifier.0.weight": true, "features.1.running_mean": true}
	for _, shapes := range []map[string][]int{
		GeneratorConfig{NZ: 2, NGF: 1, NC: 1}.Shapes(),
		DiscriminatorConfig{NDF: 1, NC: 1}.Shapes(),
		TransformerConfig{C1: 1, C2: 1, C3: 1, Blocks: 2}.Shapes(),
		VGGConfig{Depth: 16, Convs: 1}.Shapes(),
	} {
		for name := range shapes {
			set[name] = true
		}
	}
	names := make([]string, 0, len(set))
	for name := range set {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}()

// recipeStateDict makes a state_dict from fuzz bytes: records of a name (index into
// importNames), a rank (0-4), that many dimensions (0-64) and a fill byte; tensors of more
// than 4096 elements are skipped. The fill byte sets the values: a base of int8(fill)/16
// plus a small ramp, NaN for 0x80.
func recipeStateDict(b []byte) map[string]StateTensor {
	sd := map[string]StateTensor{}
	for len(b) >= 2 {
		name := importNames[int(b[0])%len(importNames)]
		rank := int(b[1]) % 5
		b = b[2:]
		if len(b) < rank+1 {
			break
		}
		shape := make([]int, rank)
		n := 1
		for i := range shape {
			shape[i] = int(b[i]) % 65
			n *= shape[i]
		}
		fill := b[rank]
		b = b[rank+1:]
		if n > 4096 {
			continue
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(int8(fill))/16 + float32(i%3)/8
			if fill == 0x80 {
				data[i] = float32(math.NaN())
			}
		}
		sd[name] = StateTensor{Shape: shape, Data: data, Storage: "FloatStorage"}
	}
	return sd
}

// recipe encodes shapes as recipeStateDict reads them, with fill.
func recipe(shapes map[string][]int, fill byte) []byte {
	var b []byte
	names := make([]string, 0, len(shapes))
	for name := range shapes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		shape := shapes[name]
		b = append(b, byte(slices.Index(importNames, name)), byte(len(shape)))
		for _, d := range shape {
			b = append(b, byte(d))
		}
		b = append(b, fill)
	}
	return b
}

// FuzzImportStateDict fuzzes the architecture importer with state_dicts of the names it
// knows and fuzzed shapes and values. The seeds are complete small networks of each
// architecture, so that mutations start from imports that succeed.
func FuzzImportStateDict(f *testing.F) {
	for _, shapes := range []map[string][]int{
		GeneratorConfig{NZ: 2, NGF: 1, NC: 1}.Shapes(),
		DiscriminatorConfig{NDF: 1, NC: 1}.Shapes(),
		TransformerConfig{C1: 1, C2: 1, C3: 1, Blocks: 1}.Shapes(),
		VGGConfig{Depth: 16, Convs: 1}.Shapes(),
	} {
		seed := recipe(shapes, 0x10)
		ok := false
		for _, arch := range importArchs {
			if _, err := ImportStateDict(arch, recipeStateDict(seed)); err == nil {
				ok = true
			}
		}
		if !ok {
			f.Fatalf("seed of %d tensors imports as no architecture", len(shapes))
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkImport(t, recipeStateDict(b))
	})
}
