package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"

	"easel/models"
)

// ModelIndexURL is where the server lists its models (a JSON array of ModelInfo).
const ModelIndexURL = "/models/index.json"

// ModelInfo is one entry of the model index: what the page needs to offer a model and to
// fetch it. URL is content-addressed (/models/<hash>/<name>.msgpack, hash the first 16 hex
// digits of SHA256), so the browser may cache it for good.
type ModelInfo struct {
	Name        string         `json:"name"`
	Arch        string         `json:"arch"`
	Config      map[string]any `json:"config"`
	Bytes       int            `json:"bytes"`
	License     string         `json:"license"`
	Source      string         `json:"source"`
	Trained     bool           `json:"trained"`
	Description string         `json:"description"`
	SHA256      string         `json:"sha256"`
	URL         string         `json:"url"`
}

// Model is one weights file to serve, checked by NewModel.
type Model struct {
	Info ModelInfo
	Data []byte
}

// modelName is what a model name may be: one URL path segment, no dot first.
var modelName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$`)

// NewModel checks that data is a readable weights file (models.Decode) and describes it
// for the index under name.
func NewModel(name string, data []byte) (Model, error) {
	if !modelName.MatchString(name) {
		return Model{}, fmt.Errorf("model name %q: want letters, digits, '.', '_' or '-' (at most 100, no '.' first)", name)
	}
	w, err := models.Decode(bytes.NewReader(data), models.DefaultLimit)
	if err != nil {
		return Model{}, fmt.Errorf("model %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	config := map[string]any(w.Config)
	if config == nil {
		config = map[string]any{}
	}
	return Model{Data: data, Info: ModelInfo{
		Name: name, Arch: w.Arch, Config: config, Bytes: len(data),
		License: w.Meta.License, Source: w.Meta.Source, Trained: w.Meta.Trained, Description: w.Meta.Description,
		SHA256: hash, URL: "/models/" + hash[:16] + "/" + name + ".msgpack",
	}}, nil
}

// ModelFiles returns the files that serve ms: each weights file at its URL, immutable, and
// the index at ModelIndexURL in the order of ms. Names must be unique.
func ModelFiles(ms []Model) ([]File, error) {
	index := make([]ModelInfo, 0, len(ms))
	files := make([]File, 0, len(ms)+1)
	seen := map[string]bool{}
	for _, m := range ms {
		if seen[m.Info.Name] {
			return nil, fmt.Errorf("two models are called %s", m.Info.Name)
		}
		seen[m.Info.Name] = true
		index = append(index, m.Info)
		files = append(files, File{URL: m.Info.URL, Body: m.Data, Immutable: true})
	}
	body, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("model index: %w", err)
	}
	return append(files, File{URL: ModelIndexURL, Body: body}), nil
}
