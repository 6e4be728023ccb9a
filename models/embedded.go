//go:build !(js && wasm)

package models

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// The default models are embedded natively only: the browser fetches weights from the
// server, and embedding them would add megabytes to the .wasm.
//
//go:embed defaults/*.msgpack
var defaultFiles embed.FS

// EmbeddedModel is a weights file built into the binary (see UntrainedDefaults).
type EmbeddedModel struct {
	Name string // the name --model takes, e.g. "transformer-net"
	Data []byte // the weights file, as a server would send it
}

// Weights decodes the model.
func (m EmbeddedModel) Weights() (*Weights, error) {
	w, err := Decode(bytes.NewReader(m.Data), DefaultLimit)
	if err != nil {
		return nil, fmt.Errorf("embedded model %s: %w", m.Name, err)
	}
	return w, nil
}

// Embedded lists the embedded models, sorted by name.
func Embedded() []EmbeddedModel {
	entries, err := fs.ReadDir(defaultFiles, "defaults")
	if err != nil {
		panic("models: embedded defaults: " + err.Error()) // the embed pattern guarantees the directory
	}
	var ms []EmbeddedModel
	for _, e := range entries {
		data, err := fs.ReadFile(defaultFiles, path.Join("defaults", e.Name()))
		if err != nil {
			panic("models: embedded defaults: " + err.Error())
		}
		ms = append(ms, EmbeddedModel{Name: strings.TrimSuffix(e.Name(), ".msgpack"), Data: data})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Name < ms[j].Name })
	return ms
}

// LoadModel resolves nameOrPath to weights: the name of an embedded model first, then a
// weights file path, then NAME.msgpack in each of dirs (e.g. $EASEL_MODELS).
func LoadModel(nameOrPath string, dirs ...string) (*Weights, error) {
	if nameOrPath == "" {
		return nil, errors.New("no model named")
	}
	var names []string
	for _, m := range Embedded() {
		if m.Name == nameOrPath {
			return m.Weights()
		}
		names = append(names, m.Name)
	}
	if _, err := os.Stat(nameOrPath); err == nil {
		return ReadFile(nameOrPath)
	}
	var searched []string
	for _, dir := range dirs {
		if dir == "" || strings.ContainsRune(nameOrPath, filepath.Separator) {
			continue
		}
		searched = append(searched, dir)
		p := filepath.Join(dir, nameOrPath+".msgpack")
		if _, err := os.Stat(p); err == nil {
			return ReadFile(p)
		}
	}
	where := "no such file"
	if len(searched) > 0 {
		where += fmt.Sprintf(" (nor %s.msgpack in %s)", nameOrPath, strings.Join(searched, ", "))
	}
	return nil, fmt.Errorf("model %q: not an embedded model (%s) and %s: %w",
		nameOrPath, strings.Join(names, ", "), where, fs.ErrNotExist)
}
