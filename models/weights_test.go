package models

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// omap is a msgpack map that keeps its key order, so tests can build files field by field
// (reordered, duplicated, truncated) exactly as a foreign writer might.
type omap []kv

type kv struct {
	k string
	v any
}

func (m omap) EncodeMsgpack(e *msgpack.Encoder) error {
	if err := e.EncodeMapLen(len(m)); err != nil {
		return err
	}
	for _, p := range m {
		if err := e.EncodeString(p.k); err != nil {
			return err
		}
		if err := e.Encode(p.v); err != nil {
			return err
		}
	}
	return nil
}

// rawMsgpack is written as is: hand-made headers that claim more than follows.
type rawMsgpack []byte

func (r rawMsgpack) EncodeMsgpack(e *msgpack.Encoder) error {
	_, err := e.Writer().Write(r)
	return err
}

// at walks a path of map keys and array indexes ("tensors", 0, "shape").
func at(v any, path []any) any {
	for _, p := range path {
		switch c := v.(type) {
		case omap:
			v = nil
			for _, e := range c {
				if e.k == p.(string) {
					v = e.v
				}
			}
		case []any:
			v = c[p.(int)]
		}
	}
	return v
}

func set(doc omap, value any, path ...any) {
	parent, last := at(doc, path[:len(path)-1]), path[len(path)-1]
	switch c := parent.(type) {
	case omap:
		for i := range c {
			if c[i].k == last.(string) {
				c[i].v = value
				return
			}
		}
		panic("set: no key " + last.(string))
	case []any:
		c[last.(int)] = value
	}
}

func del(doc omap, path ...any) omap {
	parentPath, last := path[:len(path)-1], path[len(path)-1].(string)
	var m omap
	if len(parentPath) == 0 {
		m = doc
	} else {
		m = at(doc, parentPath).(omap)
	}
	out := omap{}
	for _, e := range m {
		if e.k != last {
			out = append(out, e)
		}
	}
	if len(parentPath) == 0 {
		return out
	}
	set(doc, out, parentPath...)
	return doc
}

func appendKV(doc omap, k string, v any, path ...any) omap {
	if len(path) == 0 {
		return append(doc, kv{k, v})
	}
	m := at(doc, path).(omap)
	set(doc, append(m, kv{k, v}), path...)
	return doc
}

func f32bytes(vs ...float32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func f16bytes(vs ...uint16) []byte {
	b := make([]byte, 2*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint16(b[2*i:], v)
	}
	return b
}

// validDoc is a correct file, written field by field; each call returns a fresh copy.
func validDoc() omap {
	return omap{
		{"format", "easel-weights"},
		{"version", 1},
		{"arch", "dcgan-g"},
		{"config", omap{{"nz", 4}, {"ngf", 2}, {"act", "relu"}, {"slope", 0.2}, {"bias", false}}},
		{"io", omap{
			{"input", omap{{"kind", "latent"}}},
			{"output", omap{{"kind", "rgb"}, {"min", -1.0}, {"max", 1.0}}},
		}},
		{"meta", omap{{"name", "tiny"}, {"license", "CC0-1.0"}, {"source", "weights_test.go"}, {"trained", false}}},
		{"tensors", []any{
			omap{{"name", "main.0.weight"}, {"shape", []any{2, 3}}, {"dtype", "f32"}, {"data", f32bytes(1, -2, 3.5, 0, 1e-3, -7)}},
			omap{{"name", "main.1.bias"}, {"shape", []any{3}}, {"dtype", "f16"}, {"data", f16bytes(0x3c00, 0xc000, 0x0001)}},
		}},
	}
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type corruptCase struct {
	name  string
	input func(t testing.TB) []byte
	field string // the FieldError's Field
	msg   string // a substring of the message
}

func docCase(name string, mutate func(omap) omap, field, msg string) corruptCase {
	return corruptCase{name, func(t testing.TB) []byte { return marshal(t, mutate(validDoc())) }, field, msg}
}

func setCase(name string, value any, field, msg string, path ...any) corruptCase {
	return docCase(name, func(d omap) omap { set(d, value, path...); return d }, field, msg)
}

func delCase(name string, field string, path ...any) corruptCase {
	return docCase(name, func(d omap) omap { return del(d, path...) }, field, "missing")
}

func corruptCases() []corruptCase {
	huge := func(prefix ...byte) func(t testing.TB) []byte {
		return func(t testing.TB) []byte {
			d := validDoc()
			set(d, rawMsgpack(prefix), "tensors")
			return marshal(t, d)
		}
	}
	return []corruptCase{
		{"empty input", func(testing.TB) []byte { return nil }, "file", "truncated"},
		{"not a map", func(t testing.TB) []byte { return marshal(t, []any{1, 2}) }, "file", "is an array, want a map"},
		{"trailing garbage", func(t testing.TB) []byte { return append(marshal(t, validDoc()), 0xc0) }, "file", "trailing"},
		{"truncated in data", func(t testing.TB) []byte { b := marshal(t, validDoc()); return b[:len(b)-3] }, "tensors[1].data", "truncated"},
		setCase("format wrong", "easel-weight", "format", `"easel-weight"`, "format"),
		setCase("format not a string", 1, "format", "is an integer, want a string", "format"),
		delCase("format missing", "format", "format"),
		setCase("version 2", 2, "version", "unsupported version 2", "version"),
		setCase("version 0", 0, "version", "unsupported version 0", "version"),
		setCase("version string", "1", "version", "want an integer", "version"),
		setCase("version float", 1.0, "version", "want an integer", "version"),
		setCase("version huge uint64", uint64(math.MaxUint64), "version", "out of range", "version"),
		delCase("version missing", "version", "version"),
		setCase("arch unknown", "resnet50", "arch", `unknown architecture "resnet50"`, "arch"),
		setCase("arch not a string", []any{"dcgan-g"}, "arch", "want a string", "arch"),
		setCase("arch too long", strings.Repeat("a", MaxNameLen+1), "arch", "limit", "arch"),
		delCase("arch missing", "arch", "arch"),
		docCase("unknown top-level field", func(d omap) omap { return appendKV(d, "extra", 1) }, "extra", "unknown field"),
		docCase("duplicate top-level field", func(d omap) omap { return appendKV(d, "arch", "dcgan-d") }, "arch", "duplicate"),
		setCase("config not a map", []any{}, "config", "want a map", "config"),
		setCase("config value array", []any{1}, "config.nz", "is an array", "config", "nz"),
		setCase("config value nil", nil, "config.nz", "is nil", "config", "nz"),
		setCase("config value map", omap{}, "config.nz", "is a map", "config", "nz"),
		setCase("config NaN", math.NaN(), "config.slope", "not finite", "config", "slope"),
		setCase("config Inf", math.Inf(1), "config.slope", "not finite", "config", "slope"),
		setCase("config int out of range", uint64(1<<63), "config.nz", "out of range", "config", "nz"),
		setCase("config bad key", omap{{"n z", 1}}, "config", "not allowed", "config"),
		setCase("config duplicate key", omap{{"nz", 1}, {"nz", 2}}, "config.nz", "duplicate", "config"),
		setCase("config non-string key", map[int]int{1: 2}, "config.<key 0>", "want a string", "config"),
		delCase("config missing", "config", "config"),
		setCase("io not a map", "rgb", "io", "want a map", "io"),
		delCase("io input missing", "io.input", "io", "input"),
		delCase("io output missing", "io.output", "io", "output"),
		delCase("io kind missing", "io.input.kind", "io", "input", "kind"),
		setCase("io kind unknown", "hsv", "io.output.kind", `unknown kind "hsv"`, "io", "output", "kind"),
		docCase("io min without max", func(d omap) omap { return del(d, "io", "output", "max") }, "io.output", "min and max"),
		setCase("io min after max", 2.0, "io.output.max", "empty", "io", "output", "min"),
		setCase("io min not a number", "low", "io.output.min", "want a number", "io", "output", "min"),
		setCase("io max NaN", math.NaN(), "io.output.max", "not finite", "io", "output", "max"),
		docCase("io mean without std", func(d omap) omap { return appendKV(d, "mean", []any{0.5}, "io", "input") }, "io.input", "mean and std"),
		docCase("io mean std lengths", func(d omap) omap {
			d = appendKV(d, "mean", []any{0.5, 0.5}, "io", "output")
			return appendKV(d, "std", []any{0.2}, "io", "output")
		}, "io.output.std", "mean has 2"),
		docCase("io std zero", func(d omap) omap {
			d = appendKV(d, "mean", []any{0.5}, "io", "output")
			return appendKV(d, "std", []any{0.0}, "io", "output")
		}, "io.output.std[0]", "positive"),
		docCase("io mean too long", func(d omap) omap {
			return appendKV(d, "mean", make([]any, MaxChannels+1), "io", "output")
		}, "io.output.mean", "limit"),
		docCase("io mean element type", func(d omap) omap {
			d = appendKV(d, "mean", []any{"a"}, "io", "output")
			return appendKV(d, "std", []any{1.0}, "io", "output")
		}, "io.output.mean[0]", "want a number"),
		docCase("io unknown field", func(d omap) omap { return appendKV(d, "clamp", true, "io", "output") }, "io.output.clamp", "unknown field"),
		docCase("io unknown signal", func(d omap) omap { return appendKV(d, "label", omap{}, "io") }, "io.label", "unknown field"),
		setCase("meta not a map", 1, "meta", "want a map", "meta"),
		delCase("meta missing", "meta", "meta"),
		delCase("meta name missing", "meta.name", "meta", "name"),
		delCase("meta license missing", "meta.license", "meta", "license"),
		delCase("meta source missing", "meta.source", "meta", "source"),
		delCase("meta trained missing", "meta.trained", "meta", "trained"),
		setCase("meta name empty", "", "meta.name", "missing", "meta", "name"),
		setCase("meta trained string", "yes", "meta.trained", "want a bool", "meta", "trained"),
		setCase("meta name not UTF-8", "\xff\xfe", "meta.name", "UTF-8", "meta", "name"),
		setCase("meta name too long", strings.Repeat("x", MaxTextLen+1), "meta.name", "limit", "meta", "name"),
		docCase("meta steps negative", func(d omap) omap { return appendKV(d, "steps", -1, "meta") }, "meta.steps", "negative"),
		docCase("meta steps float", func(d omap) omap { return appendKV(d, "steps", 1.5, "meta") }, "meta.steps", "want an integer"),
		docCase("meta date", func(d omap) omap { return appendKV(d, "date", "20/11/2026", "meta") }, "meta.date", "RFC 3339"),
		docCase("meta unknown field", func(d omap) omap { return appendKV(d, "author", "x", "meta") }, "meta.author", "unknown field"),
		delCase("tensors missing", "tensors", "tensors"),
		setCase("tensors not an array", omap{}, "tensors", "want an array", "tensors"),
		setCase("tensors empty", []any{}, "tensors", "empty", "tensors"),
		setCase("tensor not a map", "w", "tensors[1]", "want a map", "tensors", 1),
		delCase("tensor name missing", "tensors[0].name", "tensors", 0, "name"),
		delCase("tensor shape missing", "tensors[0].shape", "tensors", 0, "shape"),
		delCase("tensor dtype missing", "tensors[1].dtype", "tensors", 1, "dtype"),
		delCase("tensor data missing", "tensors[0].data", "tensors", 0, "data"),
		setCase("tensor name empty", "", "tensors[0].name", "empty name", "tensors", 0, "name"),
		setCase("tensor name bad byte", "main 0", "tensors[0].name", "not allowed", "tensors", 0, "name"),
		setCase("tensor name not a string", 7, "tensors[0].name", "want a string", "tensors", 0, "name"),
		setCase("tensor name duplicate", "main.0.weight", "tensors[1].name", "duplicate tensor name", "tensors", 1, "name"),
		docCase("tensor unknown field", func(d omap) omap { return appendKV(d, "grad", 1, "tensors", 0) }, "tensors[0].grad", "unknown field"),
		docCase("tensor duplicate field", func(d omap) omap { return appendKV(d, "name", "x", "tensors", 0) }, "tensors[0].name", "duplicate"),
		setCase("dtype f64", "f64", "tensors[0].dtype", `unknown dtype "f64"`, "tensors", 0, "dtype"),
		setCase("dtype not a string", 32, "tensors[0].dtype", "want a string", "tensors", 0, "dtype"),
		setCase("shape not an array", 6, "tensors[0].shape", "want an array", "tensors", 0, "shape"),
		setCase("shape negative dim", []any{-2, -3}, "tensors[0].shape", "dimension 0 is -2", "tensors", 0, "shape"),
		setCase("shape zero dim", []any{6, 0}, "tensors[0].shape", "dimension 1 is 0", "tensors", 0, "shape"),
		setCase("shape float dim", []any{2.0, 3}, "tensors[0].shape[0]", "want an integer", "tensors", 0, "shape"),
		setCase("shape rank 9", []any{1, 1, 1, 1, 1, 1, 1, 2, 3}, "tensors[0].shape", "9 elements, limit 8", "tensors", 0, "shape"),
		setCase("shape absurd dim", []any{1 << 40}, "tensors[0].shape", "dimension 0", "tensors", 0, "shape"),
		setCase("shape absurd product", []any{1 << 15, 1 << 15}, "tensors[0].shape", "more than", "tensors", 0, "shape"),
		setCase("shape vs data (before data)", []any{3, 3}, "tensors[0].data", "shape and dtype need 36", "tensors", 0, "shape"),
		setCase("scalar shape vs data", []any{}, "tensors[0].data", "need 4", "tensors", 0, "shape"),
		setCase("data short", f32bytes(1, 2, 3, 4, 5), "tensors[0].data", "need 24", "tensors", 0, "data"),
		setCase("data long", f32bytes(1, 2, 3, 4, 5, 6, 7), "tensors[0].data", "need 24", "tensors", 0, "data"),
		setCase("data odd bytes", []byte{1, 2, 3}, "tensors[1].data", "need 6", "tensors", 1, "data"),
		setCase("data not binary", "abc", "tensors[0].data", "is a string, want binary", "tensors", 0, "data"),
		setCase("data array of floats", []any{1.0, 2.0}, "tensors[0].data", "is an array, want binary", "tensors", 0, "data"),
		setCase("data NaN", f32bytes(1, 2, float32(math.NaN()), 4, 5, 6), "tensors[0].data", "element 2 is NaN", "tensors", 0, "data"),
		setCase("data +Inf", f32bytes(1, 2, 3, 4, 5, float32(math.Inf(1))), "tensors[0].data", "element 5 is +Inf", "tensors", 0, "data"),
		setCase("f16 NaN", f16bytes(0x3c00, 0x7e00, 0), "tensors[1].data", "element 1 is NaN", "tensors", 1, "data"),
		setCase("f16 -Inf", f16bytes(0xfc00, 0, 0), "tensors[1].data", "element 0 is -Inf", "tensors", 1, "data"),
		docCase("data before shape, wrong length", func(d omap) omap {
			set(d, omap{{"data", f32bytes(1, 2)}, {"name", "a"}, {"dtype", "f32"}, {"shape", []any{3}}}, "tensors", 0)
			return d
		}, "tensors[0].data", "needs 12"),
		{"array32 shape claim", huge(0x91, 0x81, 0xa5, 's', 'h', 'a', 'p', 'e', 0xdd, 0xff, 0xff, 0xff, 0xff), "tensors[0].shape", "limit"},
		{"array32 tensors claim", huge(0xdd, 0x00, 0xff, 0xff, 0xff), "tensors", "limit"},
		{"array32 tensors claim in range", huge(0xdd, 0x00, 0x00, 0xff, 0xff), "tensors[0]", "truncated"},
		{"bin32 data claim", huge(0x91, 0x81, 0xa4, 'd', 'a', 't', 'a', 0xc6, 0x3f, 0xff, 0xff, 0xff), "tensors[0].data", "truncated"},
		{"bin32 data claim over limit", huge(0x91, 0x81, 0xa4, 'd', 'a', 't', 'a', 0xc6, 0xff, 0xff, 0xff, 0xff), "tensors[0].data", "limit"},
		{"str32 name claim", huge(0x91, 0x81, 0xa4, 'n', 'a', 'm', 'e', 0xdb, 0xff, 0xff, 0xff, 0xff), "tensors[0].name", "limit"},
		{"map32 tensor claim", huge(0x91, 0xdf, 0xff, 0xff, 0xff, 0xff), "tensors[0].<key 0>", "truncated"},
		// Found by FuzzDecode (testdata/fuzz/FuzzDecode/504d09935b4a3f56): an empty key
		// gave an error with an empty field path.
		{"empty key (fuzz regression)", func(testing.TB) []byte { return []byte("\x87\xa0") }, `""`, "unknown field"},
		docCase("empty meta key", func(d omap) omap { return appendKV(d, "", 1, "meta") }, `meta.""`, "unknown field"),
		docCase("odd meta key", func(d omap) omap { return appendKV(d, "a b", 1, "meta") }, `meta."a b"`, "unknown field"),
		{"ext value", func(t testing.TB) []byte {
			d := validDoc()
			set(d, rawMsgpack{0xd4, 0x01, 0x00}, "format")
			return marshal(t, d)
		}, "format", "is an extension"},
		{"invalid code", func(t testing.TB) []byte {
			d := validDoc()
			set(d, rawMsgpack{0xc1}, "version")
			return marshal(t, d)
		}, "version", "invalid msgpack"},
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, c := range corruptCases() {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(bytes.NewReader(c.input(t)), 0)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a *FieldError", err)
			}
			if fe.Field != c.field {
				t.Errorf("field %q, want %q (error: %v)", fe.Field, c.field, err)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not mention %q", err, c.msg)
			}
		})
	}
}

func TestDecodeValidDoc(t *testing.T) {
	w, err := Decode(bytes.NewReader(marshal(t, validDoc())), 0)
	if err != nil {
		t.Fatal(err)
	}
	bias, err := w.Tensor("main.1.bias")
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, -2, 0x1p-24}; !reflect.DeepEqual(bias.Data, want) || bias.DType != F16 {
		t.Errorf("f16 tensor %v (%v), want %v (f16)", bias.Data, bias.DType, want)
	}
	if nz, err := w.Config.Int("nz"); err != nil || nz != 4 {
		t.Errorf("config nz = %d, %v", nz, err)
	}
}

// TestDecodeOptionalFieldsRoundTrip: optional fields written with their empty values (as
// another writer may) decode to what Encode then omits, so decode(encode(w)) == w holds.
func TestDecodeOptionalFieldsRoundTrip(t *testing.T) {
	d := validDoc()
	d = appendKV(d, "mean", []any{}, "io", "output")
	d = appendKV(d, "std", []any{}, "io", "output")
	d = appendKV(d, "steps", 0, "meta")
	d = appendKV(d, "date", "", "meta")
	d = appendKV(d, "description", "", "meta")
	set(d, omap{{"kind", "latent"}, {"min", 0}, {"max", 0}}, "io", "input")
	w, err := Decode(bytes.NewReader(marshal(t, d)), 0)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Encode(&b, w); err != nil {
		t.Fatal(err)
	}
	again, err := Decode(&b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, w) {
		t.Errorf("round trip changed the weights:\n got %+v\nwant %+v", again.IO, w.IO)
	}
}

// TestDecodeEveryPrefix cuts a valid file at every byte: each prefix must fail as truncated
// (the empty one included), and none may panic.
func TestDecodeEveryPrefix(t *testing.T) {
	full := marshal(t, validDoc())
	for n := 0; n < len(full); n++ {
		_, err := Decode(bytes.NewReader(full[:n]), 0)
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix of %d/%d bytes: error %v, want ErrTruncated", n, len(full), err)
		}
	}
}

func TestDecodeLimit(t *testing.T) {
	full := marshal(t, validDoc())
	if _, err := Decode(bytes.NewReader(full), int64(len(full))); err != nil {
		t.Fatalf("limit = size: %v", err)
	}
	_, err := Decode(bytes.NewReader(full), int64(len(full)-1))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("limit = size-1: error %v, want ErrTooLarge", err)
	}
	_, err = Decode(bytes.NewReader(append(full, 0xc0)), int64(len(full)))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("one byte past the limit: error %v, want ErrTooLarge", err)
	}
}

// TestDecodeHugeClaimsAllocateLittle feeds headers that claim gigabytes (array32, map32,
// bin32, str32 lengths) in inputs of a few hundred bytes. msgpack's own reflection decoding
// would allocate a []int of 4G elements for such a shape; Decode must fail having allocated
// about nothing.
func TestDecodeHugeClaimsAllocateLittle(t *testing.T) {
	for _, c := range corruptCases() {
		if !strings.Contains(c.name, "claim") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			in := c.input(t)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Decode(bytes.NewReader(in), 0)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("decoded")
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("%d-byte input allocated %d bytes", len(in), alloc)
			}
		})
	}
}

// sampleWeights builds a valid file of arch with small tensors of odd shapes; with F16 the
// values are exactly representable in f16 so a round trip is lossless.
func sampleWeights(arch string, dtype DType, seed uint64) *Weights {
	r := rand.New(rand.NewPCG(seed, 1))
	w := &Weights{
		Arch:   arch,
		Config: Config{"blocks": 5, "width": 32, "slope": 0.2, "norm": "instance", "bias": true},
		IO: IOSpec{
			Input:  Signal{Kind: SignalRGB, Min: 0, Max: 255},
			Output: Signal{Kind: SignalRGB, Min: 0, Max: 255},
		},
		Meta: Meta{
			Name: "sample-" + arch, Description: "random weights for tests", License: "CC0-1.0",
			Source: "models/weights_test.go", Trained: true, TrainingCommand: "easel train --steps 3",
			Steps: 3, Date: "2026-11-20",
		},
	}
	if arch == "vgg16" {
		w.IO.Input = Signal{Kind: SignalRGB, Min: 0, Max: 1, Mean: []float64{0.485, 0.456, 0.406}, Std: []float64{0.229, 0.224, 0.225}}
		w.IO.Output = Signal{Kind: SignalFeatures}
	}
	for i, shape := range [][]int{{7, 3, 9, 9}, {7}, {5, 7, 3, 3}, {1}, {}, {2, 3, 1, 5, 1}} {
		t := Tensor{Name: "layer" + string(rune('a'+i)) + ".weight", Shape: shape, DType: dtype}
		t.Data = make([]float32, t.NumElements())
		for j := range t.Data {
			v := float32(r.NormFloat64() * 3)
			if dtype == F16 {
				v = float16to32(float32to16(v))
			}
			t.Data[j] = v
		}
		w.Tensors = append(w.Tensors, t)
	}
	return w
}

func TestRoundTrip(t *testing.T) {
	for _, arch := range KnownArchs() {
		for _, dtype := range []DType{F32, F16} {
			t.Run(arch+"/"+dtype.String(), func(t *testing.T) {
				w := sampleWeights(arch, dtype, 7)
				var a, b bytes.Buffer
				if err := Encode(&a, w); err != nil {
					t.Fatal(err)
				}
				if err := Encode(&b, w); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a.Bytes(), b.Bytes()) {
					t.Error("two encodings of the same weights differ")
				}
				got, err := Decode(bytes.NewReader(a.Bytes()), int64(a.Len()))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, w) {
					t.Errorf("round trip changed the weights:\n got %+v\nwant %+v", got.Meta, w.Meta)
				}
			})
		}
	}
}

func TestEncodeF16HalvesData(t *testing.T) {
	w32, w16 := sampleWeights("dcgan-d", F32, 1), sampleWeights("dcgan-d", F16, 1)
	var b32, b16 bytes.Buffer
	if err := Encode(&b32, w32); err != nil {
		t.Fatal(err)
	}
	if err := Encode(&b16, w16); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tt := range w32.Tensors {
		n += tt.NumElements()
	}
	if diff := b32.Len() - b16.Len(); diff != 2*n {
		t.Errorf("f16 file is %d bytes smaller, want %d", diff, 2*n)
	}
}

func TestEncodeF16Rounds(t *testing.T) {
	w := sampleWeights("dcgan-g", F16, 2)
	w.Tensors[1].Data[0] = 0.1
	var b bytes.Buffer
	if err := Encode(&b, w); err != nil {
		t.Fatal(err)
	}
	got, err := Decode(&b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Tensors[1].Data[0]; v != 0.0999755859375 {
		t.Errorf("0.1 through f16 = %v, want 0.0999755859375", v)
	}
}

func TestEncodeRejectsInvalid(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Weights)
		field  string
	}{
		{"unknown arch", func(w *Weights) { w.Arch = "lenet" }, "arch"},
		{"config value type", func(w *Weights) { w.Config["x"] = []int{1} }, "config.x"},
		{"config NaN", func(w *Weights) { w.Config["x"] = float32(math.NaN()) }, "config.x"},
		{"signal kind", func(w *Weights) { w.IO.Output.Kind = "" }, "io.output.kind"},
		{"meta name", func(w *Weights) { w.Meta.Name = "" }, "meta.name"},
		{"meta steps", func(w *Weights) { w.Meta.Steps = -3 }, "meta.steps"},
		{"no tensors", func(w *Weights) { w.Tensors = nil }, "tensors"},
		{"duplicate name", func(w *Weights) { w.Tensors[2].Name = w.Tensors[0].Name }, "tensors[2].name"},
		{"data length", func(w *Weights) { w.Tensors[1].Data = w.Tensors[1].Data[1:] }, "tensors[1].data"},
		{"zero dim", func(w *Weights) { w.Tensors[3].Shape = []int{0} }, "tensors[3].shape"},
		{"dtype", func(w *Weights) { w.Tensors[0].DType = 9 }, "tensors[0].dtype"},
		{"Inf", func(w *Weights) { w.Tensors[0].Data[5] = float32(math.Inf(-1)) }, "tensors[0].data"},
		{"beyond f16", func(w *Weights) { w.Tensors[0].DType = F16; w.Tensors[0].Data[0] = 70000 }, "tensors[0].data"},
		{"file elements", func(w *Weights) {
			for i := 0; i < 5; i++ {
				w.Tensors = append(w.Tensors, Tensor{Name: "big" + string(rune('0'+i)), Shape: []int{MaxTensorElements}})
			}
		}, "tensors[9].shape"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := sampleWeights("transformer-net", F32, 3)
			c.mutate(w)
			var b bytes.Buffer
			err := Encode(&b, w)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("error %v, want a FieldError for %q", err, c.field)
			}
			if b.Len() != 0 {
				t.Errorf("%d bytes written for invalid weights", b.Len())
			}
		})
	}
}

func TestExpect(t *testing.T) {
	w := sampleWeights("dcgan-g", F32, 4)
	want := map[string][]int{}
	for _, tt := range w.Tensors {
		want[tt.Name] = tt.Shape
	}
	if err := w.Expect(want); err != nil {
		t.Fatalf("exact match: %v", err)
	}
	want["extra.weight"] = []int{3}
	want["layera.weight"] = []int{7, 3, 3, 9}
	delete(want, "layerb.weight")
	delete(want, "layerc.weight")
	err := w.Expect(want)
	for _, target := range []error{ErrMissingTensor, ErrUnexpectedTensor, ErrShapeMismatch} {
		if !errors.Is(err, target) {
			t.Errorf("error does not wrap %v: %v", target, err)
		}
	}
	msg := err.Error()
	for _, s := range []string{
		`"extra.weight": missing tensor`,
		`"layera.weight": shape mismatch: shape [7 3 9 9], want [7 3 3 9]`,
		`"layerb.weight": unexpected tensor`,
		`"layerc.weight": unexpected tensor`,
		"4 tensor problem(s)",
	} {
		if !strings.Contains(msg, s) {
			t.Errorf("error does not report %s:\n%s", s, msg)
		}
	}
	if i, j := strings.Index(msg, "layera"), strings.Index(msg, "layerc"); i > j {
		t.Errorf("problems not sorted by name:\n%s", msg)
	}
}

func TestTensorLookup(t *testing.T) {
	w := sampleWeights("dcgan-g", F32, 5)
	got, err := w.Tensor("layerc.weight")
	if err != nil || got != &w.Tensors[2] {
		t.Fatalf("Tensor(layerc.weight) = %p, %v", got, err)
	}
	if _, err := w.Tensor("nope"); !errors.Is(err, ErrMissingTensor) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Tensor(nope) error %v", err)
	}
}

func TestConfigAccessors(t *testing.T) {
	c := Config{"n": 3, "n64": int64(4), "f": 0.5, "s": "x", "b": true}
	if v, err := c.Int("n"); v != 3 || err != nil {
		t.Errorf("Int(n) = %v, %v", v, err)
	}
	if v, err := c.Int("n64"); v != 4 || err != nil {
		t.Errorf("Int(n64) = %v, %v", v, err)
	}
	if v, err := c.Float("n"); v != 3 || err != nil {
		t.Errorf("Float(n) = %v, %v", v, err)
	}
	if v, err := c.Float("f"); v != 0.5 || err != nil {
		t.Errorf("Float(f) = %v, %v", v, err)
	}
	if v, err := c.Text("s"); v != "x" || err != nil {
		t.Errorf("Text(s) = %v, %v", v, err)
	}
	if v, err := c.Bool("b"); !v || err != nil {
		t.Errorf("Bool(b) = %v, %v", v, err)
	}
	for _, bad := range []struct {
		call  func() error
		field string
	}{
		{func() error { _, err := c.Int("f"); return err }, "config.f"},
		{func() error { _, err := c.Int("missing"); return err }, "config.missing"},
		{func() error { _, err := c.Float("s"); return err }, "config.s"},
		{func() error { _, err := c.Text("n"); return err }, "config.n"},
		{func() error { _, err := c.Bool("s"); return err }, "config.s"},
	} {
		var fe *FieldError
		if err := bad.call(); !errors.As(err, &fe) || fe.Field != bad.field {
			t.Errorf("error %v, want a FieldError for %s", err, bad.field)
		}
	}
}

func TestRegisterArch(t *testing.T) {
	if KnownArch("test-arch") {
		t.Fatal("test-arch known before registration")
	}
	t.Cleanup(func() {
		archRegistry.Lock()
		delete(archRegistry.names, "test-arch")
		archRegistry.Unlock()
	})
	RegisterArch("test-arch")
	RegisterArch("test-arch")
	if !KnownArch("test-arch") {
		t.Fatal("test-arch not known after registration")
	}
	defer func() {
		if recover() == nil {
			t.Error("RegisterArch accepted an invalid name")
		}
	}()
	RegisterArch("bad name")
}

func TestWriteFileReadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.msgpack")
	w := sampleWeights("transformer-net", F16, 6)
	if err := WriteFile(path, w); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Error("ReadFile(WriteFile(w)) != w")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}
	assertOnly(t, dir, "w.msgpack")
}

// assertOnly fails unless dir holds exactly the named entries (no temporary leftovers).
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !reflect.DeepEqual(got, names) {
		t.Errorf("directory holds %q, want %q", got, names)
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	t.Run("invalid weights keep the old file", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "w.msgpack")
		if err := WriteFile(path, sampleWeights("dcgan-g", F32, 1)); err != nil {
			t.Fatal(err)
		}
		old, _ := os.ReadFile(path)
		bad := sampleWeights("dcgan-g", F32, 2)
		bad.Tensors[0].Data[0] = float32(math.NaN())
		if err := WriteFile(path, bad); err == nil {
			t.Fatal("wrote weights with a NaN")
		}
		if now, _ := os.ReadFile(path); !bytes.Equal(now, old) {
			t.Error("failed write changed the existing file")
		}
		assertOnly(t, dir, "w.msgpack")
	})
	t.Run("rename onto a directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "taken"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(filepath.Join(dir, "taken"), sampleWeights("vgg16", F32, 1)); err == nil {
			t.Fatal("replaced a directory")
		}
		assertOnly(t, dir, "taken")
	})
	t.Run("missing directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := WriteFile(filepath.Join(dir, "no", "w.msgpack"), sampleWeights("vgg16", F32, 1)); err == nil {
			t.Fatal("wrote into a missing directory")
		}
		assertOnly(t, dir)
	})
	t.Run("unwritable directory", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root ignores directory permissions")
		}
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o755)
		if err := WriteFile(filepath.Join(dir, "w.msgpack"), sampleWeights("vgg16", F32, 1)); err == nil {
			t.Fatal("wrote into a read-only directory")
		}
		assertOnly(t, dir)
	})
}

func TestReadFileNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.msgpack")
	if err := os.WriteFile(path, []byte{0x80}, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(path)
	var fe *FieldError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v should be a FieldError naming %s", err, path)
	}
}

// FuzzDecode: no input may panic or allocate wildly; an accepted input must re-encode and
// decode to the same weights, and a rejected one must say which field.
func FuzzDecode(f *testing.F) {
	for i, arch := range []string{"transformer-net", "dcgan-g", "dcgan-d", "vgg16"} {
		for _, dtype := range []DType{F32, F16} {
			w := sampleWeights(arch, dtype, uint64(i))
			for j := range w.Tensors { // keep seeds small so mutations explore structure
				w.Tensors[j].Shape = []int{1}
				w.Tensors[j].Data = w.Tensors[j].Data[:1]
			}
			var b bytes.Buffer
			if err := Encode(&b, w); err != nil {
				f.Fatal(err)
			}
			f.Add(b.Bytes())
		}
	}
	f.Add(marshal(f, validDoc()))
	for _, c := range corruptCases() {
		f.Add(c.input(f))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		w, err := Decode(bytes.NewReader(in), 1<<20)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		var b bytes.Buffer
		if err := Encode(&b, w); err != nil {
			t.Fatalf("decoded weights do not encode: %v", err)
		}
		again, err := Decode(&b, 1<<20)
		if err != nil {
			t.Fatalf("re-encoded weights do not decode: %v", err)
		}
		if !reflect.DeepEqual(again, w) {
			t.Fatal("decode(encode(w)) != w")
		}
	})
}
