package tfjs

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExportedLiteral(t *testing.T) {
	cases := []struct{ src, want string }{
		{`!function(e){module.exports=e()}(function(){return {1:[function(e,a,n){a.exports={a:1,"b c":[.5,-.25,1e-3,2.],d:!0,e:!1,f:null,g:void 0,h:'x\'y',i:"q\u0041\x42\n"}},{}]}})`,
			`{"a":1,"b c":[0.5,-0.25,0.001,2],"d":true,"e":false,"f":null,"g":null,"h":"x'y","i":"qAB\u000a"}`},
		{`h.exports="YWJj"`, `"YWJj"`},
		{`x.exports={a:[1,2,],b:{},}`, `{"a":[1,2],"b":{}}`},
		{`x.exports={$k:{_n:[[0,1],[0,1]]}}`, `{"$k":{"_n":[[0,1],[0,1]]}}`},
	}
	for _, c := range cases {
		got, err := exportedLiteral([]byte(c.src))
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.src, got, c.want)
		}
		if !json.Valid(got) {
			t.Errorf("%s: invalid JSON %s", c.src, got)
		}
	}
	bad := []string{
		`module.exports=e()`,    // no literal
		`a.exports={a:1`,        // unterminated
		`a.exports={a:foo}`,     // an identifier
		`a.exports={a:1 b:2}`,   // missing comma
		`a.exports={a:[1 2]}`,   // missing comma
		`a.exports="abc`,        // unterminated string
		`a.exports={a:"x\u00"}`, // truncated escape
		`a.exports={a:1.2.3}`,   // bad number
		`a.exports={a:!2}`,      // not a minifier boolean
		`a.exports=` + strings.Repeat("[", 300) + strings.Repeat("]", 300), // too deep
	}
	for _, src := range bad {
		if got, err := exportedLiteral([]byte(src)); err == nil {
			t.Errorf("%.60s: accepted as %s", src, got)
		}
	}
}

func TestHalf(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125}, {0x0001, 5.9604645e-08}, {0x7bff, 65504}, {0, 0}} {
		if got := half(c.h); got != c.want {
			t.Errorf("half(%#04x) = %v, want %v", c.h, got, c.want)
		}
	}
}

// writeModel writes a one-layer TF.js model with the given manifest weights and shard
// bytes to dir, as model.json or as the bundled scripts.
func writeModel(t *testing.T, dir string, weights []map[string]any, shard []byte, bundled bool) {
	t.Helper()
	topo := map[string]any{"model_config": map[string]any{"class_name": "Model", "config": map[string]any{"layers": []any{
		map[string]any{"name": "input_1", "class_name": "InputLayer", "config": map[string]any{}, "inbound_nodes": []any{}},
		map[string]any{"name": "conv", "class_name": "Conv2D", "config": map[string]any{"filters": 2}, "inbound_nodes": []any{[]any{[]any{"input_1", 0, 0, map[string]any{}}}}},
	}}}}
	m := map[string]any{"modelTopology": topo, "weightsManifest": []any{map[string]any{"paths": []string{"group1-shard1of1"}, "weights": weights}}}
	j, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if bundled {
		wrap := func(lit string) []byte {
			return []byte(`!function(e){"object"==typeof exports?module.exports=e():this.m=e()}(function(){return function(){}({1:[function(e,a,n){a.exports=` + lit + `},{}]},{},[1])(1)});`)
		}
		if err := os.WriteFile(filepath.Join(dir, "model.min.js"), wrap(string(j)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "group1-shard1of1.min.js"), wrap(`"`+base64.StdEncoding.EncodeToString(shard)+`"`), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(filepath.Join(dir, "model.json"), j, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "group1-shard1of1"), shard, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRead(t *testing.T) {
	// float32 [2], uint8 [3] with min -1 scale 0.5, float16 [1].
	shard := binary.LittleEndian.AppendUint32(nil, math.Float32bits(1.5))
	shard = binary.LittleEndian.AppendUint32(shard, math.Float32bits(-2))
	shard = append(shard, 0, 3, 255)
	shard = binary.LittleEndian.AppendUint16(shard, 0xc000)
	weights := []map[string]any{
		{"name": "conv/kernel", "shape": []int{2}, "dtype": "float32"},
		{"name": "conv/bias", "shape": []int{3}, "dtype": "float32", "quantization": map[string]any{"dtype": "uint8", "min": -1, "scale": 0.5}},
		{"name": "conv/h", "shape": []int{1, 1}, "dtype": "float32", "quantization": map[string]any{"dtype": "float16"}},
	}
	for _, bundled := range []bool{false, true} {
		dir := t.TempDir()
		writeModel(t, dir, weights, shard, bundled)
		m, err := Read(dir)
		if err != nil {
			t.Fatalf("bundled %v: %v", bundled, err)
		}
		if len(m.Layers) != 2 || m.Layers[1].Name != "conv" || m.Layers[1].Class != "Conv2D" || len(m.Layers[1].Inputs) != 1 || m.Layers[1].Inputs[0] != "input_1" {
			t.Errorf("bundled %v: layers %+v", bundled, m.Layers)
		}
		want := map[string][]float32{"conv/kernel": {1.5, -2}, "conv/bias": {-1, 0.5, 126.5}, "conv/h": {-2}}
		for name, v := range want {
			w, ok := m.Weights[name]
			if !ok || len(w.Data) != len(v) {
				t.Fatalf("bundled %v: weight %s = %+v", bundled, name, w)
			}
			for i := range v {
				if w.Data[i] != v[i] {
					t.Errorf("bundled %v: %s[%d] = %v, want %v", bundled, name, i, w.Data[i], v[i])
				}
			}
		}
	}
}

func TestReadRefusesBadModels(t *testing.T) {
	good := []map[string]any{{"name": "conv/kernel", "shape": []int{2}, "dtype": "float32"}}
	shard := make([]byte, 8)
	cases := map[string]struct {
		weights []map[string]any
		shard   []byte
		want    string
	}{
		"short shard":  {good, shard[:7], "needs 8 bytes"},
		"long shard":   {good, append(shard, 0), "the shards hold 9 bytes"},
		"int dtype":    {[]map[string]any{{"name": "a", "shape": []int{2}, "dtype": "int32"}}, shard, "only float32"},
		"quant no min": {[]map[string]any{{"name": "a", "shape": []int{8}, "dtype": "float32", "quantization": map[string]any{"dtype": "uint8"}}}, shard, "without scale and min"},
		"quant dtype":  {[]map[string]any{{"name": "a", "shape": []int{8}, "dtype": "float32", "quantization": map[string]any{"dtype": "int4", "min": 0, "scale": 1}}}, shard, "quantization dtype"},
		"negative dim": {[]map[string]any{{"name": "a", "shape": []int{-2}, "dtype": "float32"}}, shard, "out of range"},
		"huge shape":   {[]map[string]any{{"name": "a", "shape": []int{1 << 20, 1 << 20}, "dtype": "float32"}}, shard, "out of range"},
		"duplicate":    {[]map[string]any{{"name": "a", "shape": []int{1}, "dtype": "float32"}, {"name": "a", "shape": []int{1}, "dtype": "float32"}}, shard, "listed twice"},
		"NaN":          {good, binary.LittleEndian.AppendUint32(make([]byte, 4), 0x7fc00000), "element 1 is NaN"},
	}
	for name, c := range cases {
		dir := t.TempDir()
		writeModel(t, dir, c.weights, c.shard, false)
		if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
		}
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"model.json": `{"modelTopology":{"model_config":{"config":{"layers":[]}}}}`,
	} {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "no model_config with layers") {
		t.Errorf("empty topology: %v", err)
	}
	if _, err := Read(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no model.json") {
		t.Errorf("empty folder: %v", err)
	}
	// A shard path leaving the model's folder.
	dir = t.TempDir()
	os.WriteFile(filepath.Join(dir, "model.json"), []byte(`{"modelTopology":{"model_config":{"config":{"layers":[{"name":"a","class_name":"InputLayer"}]}}},"weightsManifest":[{"paths":["../x"],"weights":[]}]}`), 0o644)
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "want a file name beside the model") {
		t.Errorf("shard path ../x: %v", err)
	}
}

// FuzzRead checks that no model file makes Read panic or allocate without bound.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`a.exports={modelTopology:{model_config:{config:{layers:[{name:"a",class_name:"InputLayer",inbound_nodes:[]}]}}},weightsManifest:[]}`))
	f.Add([]byte(`{"modelTopology":{"model_config":{"config":{"layers":[{"name":"a","class_name":"B","inbound_nodes":[[["a",0,0,{}]]]}]}}}}`))
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		name := "model.json"
		if len(src) > 0 && src[0] == 'a' {
			name = "model.min.js"
		}
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
		Read(dir)
	})
}
