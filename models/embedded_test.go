//go:build !(js && wasm)

package models_test

import (
	"bytes"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"easel/models"
)

// The committed default files are either exactly what the generator makes (go generate
// ./models after changing it), untrained and saying so, or trained models that Easel's own
// commands made (scripts/train-defaults.sh), whose meta says how.
func TestEmbeddedDefaultsMatchGenerator(t *testing.T) {
	embedded := map[string][]byte{}
	total := 0
	for _, m := range models.Embedded() {
		embedded[m.Name] = m.Data
		total += len(m.Data)
	}
	defaults := models.UntrainedDefaults()
	if len(defaults)+len(models.TrainedDefaults) != len(embedded) {
		t.Errorf("%d embedded files, the generator makes %d and %d are trained", len(embedded), len(defaults), len(models.TrainedDefaults))
	}
	for _, w := range defaults {
		var buf bytes.Buffer
		if err := models.Encode(&buf, w); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), embedded[w.Meta.Name]) {
			t.Errorf("embedded %s.msgpack differs from the generator's; run go generate ./models", w.Meta.Name)
		}
		if w.Meta.Trained || !strings.Contains(w.Meta.Description, "UNTRAINED") || !strings.Contains(w.Meta.Description, "meaningless") {
			t.Errorf("%s: trained %v, description %q", w.Meta.Name, w.Meta.Trained, w.Meta.Description)
		}
	}
	for _, name := range models.TrainedDefaults {
		data, ok := embedded[name]
		if !ok {
			t.Errorf("no embedded model %s", name)
			continue
		}
		w, err := models.Decode(bytes.NewReader(data), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := w.Meta
		if !m.Trained || m.Name != name || !strings.HasPrefix(m.TrainingCommand, "easel ") || m.Date == "" ||
			(w.Arch != models.ArchLatentDirections && m.Steps < 1) {
			t.Errorf("%s: meta %+v: want a trained model with the easel command, date and steps that made it", name, m)
		}
		if style := strings.HasPrefix(m.TrainingCommand, "easel train style "); style != (w.Arch == models.ArchTransformerNetLight) ||
			style && !strings.HasPrefix(m.Source, "easel train style: ") {
			t.Errorf("%s: arch %s, meta %+v: want the style networks light (for webcam frames) and made by easel train style", name, w.Arch, m)
		}
		for i := range w.Tensors {
			if w.Tensors[i].DType != models.F16 {
				t.Errorf("%s: tensor %s stored as %v, want f16", name, w.Tensors[i].Name, w.Tensors[i].DType)
				break
			}
		}
	}
	if embedded[models.ArchTransformerNet] == nil {
		t.Errorf("no embedded model %s, the workload of easel bench stylize", models.ArchTransformerNet)
	}
	if total > 10e6 {
		t.Errorf("embedded defaults take %d bytes, budget 10 MB", total)
	}
	t.Logf("embedded defaults: %d bytes", total)
}

func TestLoadModel(t *testing.T) {
	w, err := models.LoadModel("scream")
	if err != nil || w.Arch != models.ArchTransformerNetLight || !w.Meta.Trained {
		t.Fatalf("embedded model: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.msgpack")
	g := models.InitGenerator(models.GeneratorConfig{NZ: 4, NGF: 2, NC: 1}, rand.New(rand.NewPCG(1, 1)))
	if err := models.WriteFile(path, g); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		dirs []string
	}{{path, nil}, {"mine", []string{"", dir}}} {
		w, err := models.LoadModel(c.name, c.dirs...)
		if err != nil || w.Arch != models.ArchDCGANGenerator {
			t.Errorf("LoadModel(%q, %q): %v", c.name, c.dirs, err)
		}
	}
	// An embedded name wins over a file of the same name in the directory.
	if err := os.Rename(path, filepath.Join(dir, "transformer-net.msgpack")); err != nil {
		t.Fatal(err)
	}
	if w, err := models.LoadModel("transformer-net", dir); err != nil || w.Arch != models.ArchTransformerNet {
		t.Errorf("embedded name: %v", err)
	}
	_, err = models.LoadModel("mosaic", dir)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "starry-night") || !strings.Contains(err.Error(), dir) {
		t.Errorf("unknown model: %v", err)
	}
	if _, err := models.LoadModel(""); err == nil {
		t.Error("no error for an empty name")
	}
}
