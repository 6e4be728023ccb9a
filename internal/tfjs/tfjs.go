// Package tfjs reads TensorFlow.js layers models: the Keras topology and the weights, from
// a model.json with its binary shards, or from the bundled form some npm packages ship (the
// model JSON and each shard wrapped as a CommonJS script, the shards base64).
package tfjs

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Limits on what Read accepts: far above real models, low enough that a hostile file
// cannot make it allocate without bound.
const (
	maxModelBytes  = 64 << 20  // model.json or its script
	maxShardBytes  = 512 << 20 // one shard file (a script holds 4/3 of its bytes as base64)
	maxWeightBytes = 1 << 30   // all the weights, decoded
	maxRank        = 8
)

// Model is a TF.js layers model.
type Model struct {
	// Layers is the Keras model's layer list, in the file's (topological) order.
	Layers []Layer
	// Weights are the dequantised tensors, in manifest order, by Keras name
	// ("block_1_expand/kernel").
	Weights map[string]Weight
}

// Layer is one Keras layer.
type Layer struct {
	Name, Class string
	// Config is the layer's config object, for the caller to decode.
	Config json.RawMessage
	// Inputs names the layers feeding this one (its first inbound node).
	Inputs []string
}

// Weight is one tensor in Keras's layout (a Conv2D kernel is [kh, kw, in, out]).
type Weight struct {
	Shape []int
	Data  []float32
}

// manifest entries as TF.js writes them.
type weightGroup struct {
	Paths   []string      `json:"paths"`
	Weights []weightEntry `json:"weights"`
}

type weightEntry struct {
	Name         string        `json:"name"`
	Shape        []int         `json:"shape"`
	DType        string        `json:"dtype"`
	Quantization *quantization `json:"quantization"`
}

type quantization struct {
	DType string   `json:"dtype"`
	Scale *float64 `json:"scale"`
	Min   *float64 `json:"min"`
}

type modelFile struct {
	Format          string          `json:"format"`
	ModelTopology   json.RawMessage `json:"modelTopology"`
	WeightsManifest []weightGroup   `json:"weightsManifest"`
}

type kerasTopology struct {
	ModelConfig *struct {
		ClassName string `json:"class_name"`
		Config    struct {
			Layers []struct {
				Name         string          `json:"name"`
				ClassName    string          `json:"class_name"`
				Config       json.RawMessage `json:"config"`
				InboundNodes json.RawMessage `json:"inbound_nodes"`
			} `json:"layers"`
		} `json:"config"`
	} `json:"model_config"`
}

// Read reads a TF.js layers model from path: a model.json (its shards beside it), a
// bundled model script (model.min.js, the shards beside it as NAME.min.js or NAME.js), or a
// directory holding either.
func Read(path string) (*Model, error) {
	file, bundled, err := locate(path)
	if err != nil {
		return nil, err
	}
	src, err := readLimited(file, maxModelBytes)
	if err != nil {
		return nil, err
	}
	if bundled {
		if src, err = exportedLiteral(src); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	var mf modelFile
	if err := json.Unmarshal(src, &mf); err != nil {
		return nil, fmt.Errorf("%s: not a TF.js model: %w", file, err)
	}
	if len(mf.ModelTopology) == 0 {
		return nil, fmt.Errorf("%s: no modelTopology: not a TF.js layers model", file)
	}
	if mf.Format == "graph-model" {
		return nil, fmt.Errorf("%s: a TF.js graph model; only layers models (Keras topologies) are read", file)
	}
	m := &Model{Weights: map[string]Weight{}}
	if m.Layers, err = parseLayers(mf.ModelTopology); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	dir := filepath.Dir(file)
	total := 0
	for g, group := range mf.WeightsManifest {
		buf, err := readGroup(dir, group.Paths, bundled)
		if err != nil {
			return nil, fmt.Errorf("%s: weight group %d: %w", file, g, err)
		}
		off := 0
		for _, e := range group.Weights {
			w, n, err := decode(e, buf[off:])
			if err != nil {
				return nil, fmt.Errorf("%s: weight %q: %w", file, e.Name, err)
			}
			if _, dup := m.Weights[e.Name]; dup {
				return nil, fmt.Errorf("%s: weight %q listed twice", file, e.Name)
			}
			if total += 4 * len(w.Data); total > maxWeightBytes {
				return nil, fmt.Errorf("%s: more than %d MiB of weights", file, maxWeightBytes>>20)
			}
			m.Weights[e.Name] = w
			off += n
		}
		if off != len(buf) {
			return nil, fmt.Errorf("%s: weight group %d: the shards hold %d bytes, the manifest describes %d", file, g, len(buf), off)
		}
	}
	return m, nil
}

// locate finds the model file of path and whether it is a bundled script.
func locate(path string) (file string, bundled bool, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", false, err
	}
	if st.IsDir() {
		for _, name := range []string{"model.json", "model.min.js", "model.js"} {
			p := filepath.Join(path, name)
			if s, err := os.Stat(p); err == nil && s.Mode().IsRegular() {
				return p, strings.HasSuffix(name, ".js"), nil
			}
		}
		return "", false, fmt.Errorf("%s: no model.json, model.min.js or model.js in the directory", path)
	}
	if !st.Mode().IsRegular() {
		return "", false, fmt.Errorf("%s: not a regular file", path)
	}
	return path, strings.HasSuffix(path, ".js"), nil
}

// readLimited reads a regular file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d MiB a TF.js model file may have", path, st.Size(), limit>>20)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: more than %d MiB", path, limit>>20)
	}
	return b, nil
}

// readGroup concatenates the shards of one weight group.
func readGroup(dir string, paths []string, bundled bool) ([]byte, error) {
	var buf []byte
	for _, p := range paths {
		if p == "" || filepath.IsAbs(p) || strings.Contains(p, "..") || strings.ContainsAny(p, `/\`) {
			return nil, fmt.Errorf("shard path %q: want a file name beside the model", p)
		}
		if !bundled {
			b, err := readLimited(filepath.Join(dir, p), maxShardBytes)
			if err != nil {
				return nil, err
			}
			buf = append(buf, b...)
		} else {
			b, err := readBundledShard(dir, p)
			if err != nil {
				return nil, err
			}
			buf = append(buf, b...)
		}
		if len(buf) > maxWeightBytes {
			return nil, fmt.Errorf("more than %d MiB of shards", maxWeightBytes>>20)
		}
	}
	return buf, nil
}

// readBundledShard reads NAME.min.js or NAME.js and decodes the base64 string it exports.
func readBundledShard(dir, name string) ([]byte, error) {
	var file string
	for _, ext := range []string{".min.js", ".js"} {
		if s, err := os.Stat(filepath.Join(dir, name+ext)); err == nil && s.Mode().IsRegular() {
			file = filepath.Join(dir, name+ext)
			break
		}
	}
	if file == "" {
		return nil, fmt.Errorf("shard %s: neither %s.min.js nor %s.js in %s", name, name, name, dir)
	}
	src, err := readLimited(file, maxShardBytes)
	if err != nil {
		return nil, err
	}
	lit, err := exportedLiteral(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return nil, fmt.Errorf("%s: the script exports no string: %w", file, err)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s: the exported string is not base64: %w", file, err)
	}
	return b, nil
}

// decode dequantises one manifest entry from the front of buf and returns it with the
// number of bytes it took.
func decode(e weightEntry, buf []byte) (Weight, int, error) {
	if len(e.Shape) > maxRank {
		return Weight{}, 0, fmt.Errorf("rank %d, more than %d", len(e.Shape), maxRank)
	}
	n := 1
	for _, d := range e.Shape {
		if d < 0 || (d > 0 && n > maxWeightBytes/d) {
			return Weight{}, 0, fmt.Errorf("shape %v out of range", e.Shape)
		}
		n *= d
	}
	if e.DType != "float32" {
		return Weight{}, 0, fmt.Errorf("dtype %q; only float32 weights are read", e.DType)
	}
	w := Weight{Shape: append([]int(nil), e.Shape...), Data: make([]float32, 0, n)}
	q := e.Quantization
	size := 4
	if q != nil {
		switch q.DType {
		case "uint8":
			size = 1
		case "uint16", "float16":
			size = 2
		default:
			return Weight{}, 0, fmt.Errorf("quantization dtype %q; want uint8, uint16 or float16", q.DType)
		}
		if q.DType != "float16" && (q.Scale == nil || q.Min == nil) {
			return Weight{}, 0, errors.New("quantized without scale and min")
		}
	}
	if len(buf) < n*size {
		return Weight{}, 0, fmt.Errorf("needs %d bytes, the shards have %d left", n*size, len(buf))
	}
	b := buf[:n*size]
	for i := range n {
		var v float64
		switch {
		case q == nil:
			v = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		case q.DType == "uint8":
			v = float64(b[i])**q.Scale + *q.Min
		case q.DType == "uint16":
			v = float64(binary.LittleEndian.Uint16(b[2*i:]))**q.Scale + *q.Min
		default:
			v = float64(half(binary.LittleEndian.Uint16(b[2*i:])))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Weight{}, 0, fmt.Errorf("element %d is %v", i, v)
		}
		w.Data = append(w.Data, float32(v))
	}
	return w, n * size, nil
}

// half converts an IEEE 754 binary16 value.
func half(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0:
		// Zero or subnormal: frac · 2^-24.
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// parseLayers reads a Keras functional model's layer list.
func parseLayers(raw json.RawMessage) ([]Layer, error) {
	var top kerasTopology
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, fmt.Errorf("modelTopology: %w", err)
	}
	if top.ModelConfig == nil || len(top.ModelConfig.Config.Layers) == 0 {
		return nil, errors.New("modelTopology: no model_config with layers")
	}
	var ls []Layer
	for i, l := range top.ModelConfig.Config.Layers {
		if l.Name == "" || l.ClassName == "" {
			return nil, fmt.Errorf("modelTopology: layer %d has no name or class", i)
		}
		// Keras 2 inbound nodes: [[[name, node, tensor, kwargs], ...], ...]; the first node
		// is the layer's call in this model.
		var nodes [][][]json.RawMessage
		if len(l.InboundNodes) > 0 && !bytes.Equal(l.InboundNodes, []byte("null")) {
			if err := json.Unmarshal(l.InboundNodes, &nodes); err != nil {
				return nil, fmt.Errorf("modelTopology: layer %s: inbound_nodes in an unknown form (Keras 2's is read): %v", l.Name, err)
			}
		}
		layer := Layer{Name: l.Name, Class: l.ClassName, Config: l.Config}
		if len(nodes) > 0 {
			for _, in := range nodes[0] {
				var name string
				if len(in) == 0 || json.Unmarshal(in[0], &name) != nil {
					return nil, fmt.Errorf("modelTopology: layer %s: an inbound node without a layer name", l.Name)
				}
				layer.Inputs = append(layer.Inputs, name)
			}
		}
		ls = append(ls, layer)
	}
	return ls, nil
}
