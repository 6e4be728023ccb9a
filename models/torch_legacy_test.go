package models

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// legacyPth assembles a legacy torch.save file: its pickles (the magic number, then these)
// and each storage as written, an 8-byte element count and the elements.
type legacyPth struct {
	version, sysInfo, object, keys []byte
	storages                       [][]byte
}

func (l legacyPth) bytes() []byte {
	b := append([]byte{0x80, 2}, torchMagic...)
	for _, p := range [][]byte{l.version, l.sysInfo, l.object, l.keys} {
		b = append(b, p...)
	}
	for _, s := range l.storages {
		b = append(b, s...)
	}
	return b
}

func legacyStorage(count int64, data []byte) []byte { return append(longs(count), data...) }

func versionPickle(v int64) []byte { return (&pickleWriter{}).op(0x80, 2).int(v).op('.').Bytes() }

func sysInfoPickle(little bool) []byte {
	p := &pickleWriter{}
	p.op(0x80, 2, '}', '(').str("protocol_version").int(1001).str("little_endian")
	if little {
		p.op(0x88)
	} else {
		p.op(0x89)
	}
	p.str("type_sizes").op('}', '(').str("short").int(2).str("int").int(4).str("long").int(4)
	return p.op('u', 'u', '.').Bytes()
}

func keysPickle(keys ...string) []byte {
	p := &pickleWriter{}
	p.op(0x80, 2, ']', '(')
	for _, k := range keys {
		p.str(k)
	}
	return p.op('e', '.').Bytes()
}

// legacyTensors are the tensors of goodLegacy: a float matrix, a 0-dim long, and two
// tensors on one view (elements 1..3) of a 5-element storage.
var legacyTensors = []pthTensor{
	{name: "w", storage: "FloatStorage", key: "a", numel: 6, size: []int64{2, 3}, stride: []int64{1, 2}, legacy: true},
	{name: "n", storage: "LongStorage", key: "c", numel: 1, size: []int64{}, stride: []int64{}, legacy: true},
	{name: "v", storage: "FloatStorage", key: "b", numel: 5, size: []int64{2}, stride: []int64{1}, legacy: true,
		view: &pthView{key: "bv", offset: 1, numel: 3}},
	{name: "v2", storage: "FloatStorage", key: "b", numel: 5, offset: 1, size: []int64{2}, stride: []int64{1}, legacy: true,
		view: &pthView{key: "bv", offset: 1, numel: 3}},
}

// goodLegacy is a valid legacy file of legacyTensors, storages in sorted key order.
func goodLegacy() legacyPth {
	return legacyPth{
		version: versionPickle(1001),
		sysInfo: sysInfoPickle(true),
		object:  stateDictPickle(legacyTensors...),
		keys:    keysPickle("a", "b", "c"),
		storages: [][]byte{
			legacyStorage(6, float32s(1, 2, 3, 4, 5, 6)),
			legacyStorage(5, float32s(10, 11, 12, 13, 14)),
			legacyStorage(1, longs(-9)),
		},
	}
}

// py2StateDict writes legacyTensors as Python 2's pickle writes an OrderedDict: REDUCE with
// a list of [key, value] lists, str as SHORT_BINSTRING and BINSTRING, then BUILD.
func py2StateDict() []byte {
	p := &pickleWriter{}
	p.op(0x80, 2).global("collections", "OrderedDict").op('(', ']', '(')
	for i, t := range legacyTensors {
		p.op('(')
		if i%2 == 0 {
			p.op('U', byte(len(t.name)))
		} else {
			p.op('T', byte(len(t.name)), 0, 0, 0)
		}
		p.WriteString(t.name)
		p.tensor(t).op('l')
	}
	p.op('e', 't', 'R', '}', 'U', 9).WriteString("_metadata")
	return p.op('}', 's', 'b', '.').Bytes()
}

func decodeBytes(b []byte) (map[string]StateTensor, error) {
	return DecodeStateDict(bytes.NewReader(b), int64(len(b)))
}

func TestLegacyStateDict(t *testing.T) {
	py2 := goodLegacy()
	py2.object = py2StateDict()
	unsorted := goodLegacy()
	unsorted.keys = keysPickle("c", "a", "b")
	unsorted.storages = [][]byte{unsorted.storages[2], unsorted.storages[0], unsorted.storages[1]}
	for name, file := range map[string][]byte{"python 3": goodLegacy().bytes(), "python 2": py2.bytes(), "storages unsorted": unsorted.bytes()} {
		t.Run(name, func(t *testing.T) {
			sd, err := decodeBytes(file)
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range map[string][]float32{"w": {1, 3, 5, 2, 4, 6}, "n": {-9}, "v": {11, 12}, "v2": {12, 13}} {
				if got := sd[k].Data; !slices.Equal(got, want) {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
			if len(sd) != 4 || !slices.Equal(sd["w"].Shape, []int{2, 3}) || sd["n"].Storage != "LongStorage" {
				t.Errorf("got %d tensors, w %v, n %s", len(sd), sd["w"].Shape, sd["n"].Storage)
			}
		})
	}
	empty := legacyPth{version: versionPickle(1001), sysInfo: sysInfoPickle(true),
		object: (&pickleWriter{}).op(0x80, 2, '}', '.').Bytes(), keys: keysPickle()}
	if sd, err := decodeBytes(empty.bytes()); err != nil || len(sd) != 0 {
		t.Errorf("empty state_dict: %d tensors, %v", len(sd), err)
	}
}

func TestLegacyRejects(t *testing.T) {
	with := func(mod func(*legacyPth)) []byte {
		l := goodLegacy()
		mod(&l)
		return l.bytes()
	}
	tensors := func(mod func(ts []pthTensor)) []byte {
		ts := slices.Clone(legacyTensors)
		for i := range ts {
			if ts[i].view != nil {
				v := *ts[i].view
				ts[i].view = &v
			}
		}
		mod(ts)
		return stateDictPickle(ts...)
	}
	good := goodLegacy().bytes()
	cases := []struct {
		name string
		file []byte
		msg  string
	}{
		{"magic only", append([]byte{0x80, 2}, torchMagic...), "protocol version pickle: pickle ends early"},
		{"magic protocol 4, bad frame", append([]byte{0x80, 4, 0x95, 14, 0, 0, 0, 0, 0, 0, 0}, torchMagic...), "without torch's magic number"},
		{"wrong version", with(func(l *legacyPth) { l.version = versionPickle(1000) }), "protocol version 1000, want 1001"},
		{"version not an int", with(func(l *legacyPth) { l.version = keysPickle() }), "protocol version list, want 1001"},
		{"big-endian", with(func(l *legacyPth) { l.sysInfo = sysInfoPickle(false) }), "big-endian"},
		{"sys_info empty", with(func(l *legacyPth) { l.sysInfo = []byte{0x80, 2, '}', '.'} }), "does not say little_endian"},
		{"sys_info not a dict", with(func(l *legacyPth) { l.sysInfo = versionPickle(1) }), "does not say little_endian"},
		{"object not a dict", with(func(l *legacyPth) {
			l.object, l.keys, l.storages = versionPickle(3), keysPickle(), nil
		}), "holds a value of type int"},
		{"object without STOP", with(func(l *legacyPth) { l.object = l.object[:len(l.object)-1] }), "state_dict pickle: pickle leaves values on the stack"},
		{"keys not a list", with(func(l *legacyPth) { l.keys = []byte{0x80, 2, '}', '.'} }), "storage keys are dict, want a list"},
		{"key not a string", with(func(l *legacyPth) { l.keys = []byte{0x80, 2, ']', 'K', 1, 'a', '.'} }), "storage key 0 is int"},
		{"key not declared", with(func(l *legacyPth) { l.keys = keysPickle("a", "b", "c", "zz") }), "storage zz is listed but no tensor uses it"},
		{"key listed twice", with(func(l *legacyPth) { l.keys = keysPickle("a", "a", "b", "c") }), "storage a is listed twice"},
		{"storage not listed", with(func(l *legacyPth) {
			l.keys = keysPickle("b", "c")
			l.storages = l.storages[1:]
		}), `key "w": storage a: not in the file's list of storages`},
		{"count differs", with(func(l *legacyPth) { l.storages[0] = legacyStorage(5, float32s(1, 2, 3, 4, 5, 6)) }), "storage a: the file holds 5 elements, its persistent id declares 6"},
		{"count huge", with(func(l *legacyPth) { l.storages[0] = legacyStorage(1<<62, float32s(1, 2, 3, 4, 5, 6)) }), "the file holds 4611686018427387904 elements"},
		{"count negative", with(func(l *legacyPth) { l.storages[0] = legacyStorage(-1, float32s(1, 2, 3, 4, 5, 6)) }), "the file holds -1 elements"},
		{"data short", with(func(l *legacyPth) { l.storages[2] = legacyStorage(1, []byte{1, 2, 3}) }), "storage c: 1 elements of LongStorage at byte"},
		{"count missing", with(func(l *legacyPth) { l.storages = l.storages[:2] }), "storage c: the file ends at byte"},
		{"count cut", with(func(l *legacyPth) { l.storages[2] = []byte{1, 0, 0} }), "storage c: the file ends at byte"},
		{"trailing byte", append(slices.Clone(good), 0), "1 bytes after the last storage"},
		{"storage type unsupported", with(func(l *legacyPth) {
			l.object = tensors(func(ts []pthTensor) { ts[1].storage = "ComplexFloatStorage" })
		}), "storage c: type torch.ComplexFloatStorage is not supported"},
		{"zip persistent id", with(func(l *legacyPth) { l.object = tensors(func(ts []pthTensor) { ts[0].legacy = false }) }),
			"persistent id is not ('storage', type, key, location, numel, view)"},
		{"whole module", with(func(l *legacyPth) {
			l.object = (&pickleWriter{}).op(0x80, 2, '(').str("module").op('N', 'N', 'N', 't', 'Q', '.').Bytes()
		}), "pickled nn.Module"},
		{"numel beyond file", with(func(l *legacyPth) { l.object = tensors(func(ts []pthTensor) { ts[0].numel = 1 << 40 }) }), "elements cannot be in a file of this size"},
		{"view outside", with(func(l *legacyPth) {
			l.object = tensors(func(ts []pthTensor) { ts[2].view.offset, ts[3].view.offset = 3, 3 })
		}), "storage b: view bv of 3 elements at 3 lies outside its 5 elements"},
		{"view negative", with(func(l *legacyPth) {
			l.object = tensors(func(ts []pthTensor) { ts[2].view.numel = -1 })
		}), "view bv of -1 elements"},
		{"view declared twice", with(func(l *legacyPth) {
			l.object = tensors(func(ts []pthTensor) { ts[3].view.numel = 2 })
		}), "storage view bv declared twice, differently"},
		{"view key of a storage", with(func(l *legacyPth) {
			l.object = tensors(func(ts []pthTensor) { ts[2].view.key, ts[3].view.key = "a", "a" })
		}), "storage view a has the key of a storage"},
		{"storage key of a view", with(func(l *legacyPth) {
			l.object = tensors(func(ts []pthTensor) { ts[2], ts[0] = ts[0], ts[2]; ts[2].key = "bv" })
			l.keys = keysPickle("b", "bv", "c")
		}), "storage bv has the key of a storage view"},
		{"view metadata not a tuple", with(func(l *legacyPth) {
			l.object = bytes.Replace(l.object, []byte("X\x02\x00\x00\x00bv"), []byte("K\x07X\x02\x00\x00\x00bv0"), 1)
		}), "view metadata is tuple, want (key, offset, numel)"},
		{"tensor past the view", with(func(l *legacyPth) {
			l.object = tensors(func(ts []pthTensor) { ts[3].offset = 2 })
		}), `key "v2": offset 2, size [2], stride [1] reach past storage bv of 3 elements`},
		{"OrderedDict of a dict", with(func(l *legacyPth) {
			l.object = (&pickleWriter{}).op(0x80, 2).global("collections", "OrderedDict").op('}', 0x85, 'R', '.').Bytes()
		}), "OrderedDict with arguments other than a list of pairs"},
		{"OrderedDict item not a pair", with(func(l *legacyPth) {
			l.object = (&pickleWriter{}).op(0x80, 2).global("collections", "OrderedDict").op(']', 'K', 1, 'a', 0x85, 'R', '.').Bytes()
		}), "OrderedDict item 0 is not a (key, value) pair"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := decodeBytes(c.file)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not mention %q", err, c.msg)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("allocated %d bytes for a %d-byte file", alloc, len(c.file))
			}
		})
	}
}

// TestLegacyPickleCap: the pickles must end within MaxPickleBytes, however large the file.
func TestLegacyPickleCap(t *testing.T) {
	l := goodLegacy()
	// A string of 9 MiB as the state_dict's first key, in a file of about that size.
	l.object = append([]byte{0x80, 2, '}', 'X', 0, 0, 0x90, 0}, make([]byte, 9<<20)...)
	_, err := decodeBytes(l.bytes())
	if err == nil || !strings.Contains(err.Error(), "the state_dict pickle does not end within the first 8388608 bytes") {
		t.Fatalf("error %v, want one naming the pickle limit", err)
	}
}

// TestLegacyTruncatedCorrupt cuts the PyTorch-written legacy fixtures at every byte, which
// must fail with an error, and flips every byte of legacy.pth, which must not panic.
func TestLegacyTruncatedCorrupt(t *testing.T) {
	for _, name := range []string{"legacy.pth", "legacy_proto4.pth"} {
		file, err := os.ReadFile(filepath.Join(pthDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for n := range len(file) {
			if _, err := decodeBytes(file[:n]); err == nil {
				t.Fatalf("%s cut to %d of %d bytes: accepted", name, n, len(file))
			}
		}
		if name != "legacy.pth" {
			continue
		}
		flipped := 0
		for i := range file {
			b := slices.Clone(file)
			b[i] ^= 0xa5
			if _, err := decodeBytes(b); err != nil {
				flipped++
			}
		}
		t.Logf("%s: %d of %d one-byte corruptions refused (the rest change values)", name, flipped, len(file))
	}
}
