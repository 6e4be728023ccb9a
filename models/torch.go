package models

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"sort"
	"strings"
)

// MaxPickleBytes caps the data.pkl of a state_dict file, and the pickles at the head of a
// legacy one; they hold only names and shapes (about 150 bytes a tensor), the values live
// in separate zip entries or after the pickles.
const MaxPickleBytes = 8 << 20

// StateTensor is one entry of a PyTorch state_dict, converted to float32 and laid out
// row-major (contiguous) whatever its strides were in the file.
type StateTensor struct {
	Shape   []int     // [] for a 0-dim tensor such as num_batches_tracked
	Data    []float32 // len(Data) is the product of Shape
	Storage string    // the torch storage type in the file: "FloatStorage", "HalfStorage", ...
}

type storageKind struct {
	name string
	size int
	// value converts one element; ok is false for an integer float32 cannot hold exactly.
	value func(b []byte) (v float32, ok bool)
}

// exactInt converts an integer element; float32 holds every integer up to 2^24 exactly.
func exactInt(v int64) (float32, bool) { return float32(v), v >= -1<<24 && v <= 1<<24 }

// storageKinds are the storage types ReadStateDict converts. LongStorage is there for
// BatchNorm's num_batches_tracked (a 0-dim int64): it is kept, converted exactly, and the
// architecture importer decides to drop it, since no forward pass uses it. Integer and
// bool buffers convert exactly or fail.
var storageKinds = map[string]*storageKind{
	"FloatStorage": {"FloatStorage", 4, func(b []byte) (float32, bool) {
		return math.Float32frombits(binary.LittleEndian.Uint32(b)), true
	}},
	"HalfStorage": {"HalfStorage", 2, func(b []byte) (float32, bool) {
		return float16to32(binary.LittleEndian.Uint16(b)), true
	}},
	"BFloat16Storage": {"BFloat16Storage", 2, func(b []byte) (float32, bool) {
		return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b)) << 16), true
	}},
	"DoubleStorage": {"DoubleStorage", 8, func(b []byte) (float32, bool) {
		return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))), true
	}},
	"LongStorage": {"LongStorage", 8, func(b []byte) (float32, bool) {
		return exactInt(int64(binary.LittleEndian.Uint64(b)))
	}},
	"IntStorage": {"IntStorage", 4, func(b []byte) (float32, bool) {
		return exactInt(int64(int32(binary.LittleEndian.Uint32(b))))
	}},
	"ShortStorage": {"ShortStorage", 2, func(b []byte) (float32, bool) {
		return float32(int16(binary.LittleEndian.Uint16(b))), true
	}},
	"CharStorage": {"CharStorage", 1, func(b []byte) (float32, bool) { return float32(int8(b[0])), true }},
	"ByteStorage": {"ByteStorage", 1, func(b []byte) (float32, bool) { return float32(b[0]), true }},
	"BoolStorage": {"BoolStorage", 1, func(b []byte) (float32, bool) { return float32(b[0]), b[0] <= 1 }},
}

type torchStorage struct {
	typ   string       // torch.<typ>, e.g. FloatStorage
	kind  *storageKind // nil for a type ReadStateDict does not convert
	key   string       // the zip entry is <prefix>/data/<key>
	numel int64
	// A view (legacy format, PyTorch < 0.4) is numel elements of root from element offset
	// on; root is nil for a storage of its own.
	root   *torchStorage
	offset int64
}

// base is the storage whose bytes the file holds: s itself, or the root of a view.
func (s *torchStorage) base() *torchStorage {
	if s.root != nil {
		return s.root
	}
	return s
}

type torchTensor struct {
	storage *torchStorage
	offset  int64
	size    []int64
	stride  []int64
}

// torchStateDict supplies the pickle hooks for one torch.save file.
type torchStateDict struct {
	storages map[string]*torchStorage
	views    map[string]*torchStorage // legacy storage views, by their own key
	maxNumel int64                    // no storage can hold more elements than the file has bytes
	// legacy: the pre-1.6 format, whose persistent ids carry view metadata as a sixth item.
	legacy bool
}

func newTorchStateDict(size int64, legacy bool) *torchStateDict {
	return &torchStateDict{storages: map[string]*torchStorage{}, views: map[string]*torchStorage{}, maxNumel: size, legacy: legacy}
}

func (sd *torchStateDict) persistentLoad(pid any) (any, error) {
	form, n := "('storage', type, key, location, numel)", 5
	if sd.legacy {
		form, n = "('storage', type, key, location, numel, view)", 6
	}
	t, ok := pid.(pyTuple)
	if ok && len(t) > 0 && t[0] == "module" {
		return nil, errors.New("the file holds a pickled nn.Module (torch.save(model)), not a state_dict: save model.state_dict() instead")
	}
	if !ok || len(t) != n || t[0] != "storage" {
		return nil, fmt.Errorf("persistent id is not %s", form)
	}
	g, ok1 := t[1].(pyGlobal)
	key, ok2 := t[2].(string)
	_, ok3 := t[3].(string)
	numel, ok4 := t[4].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, fmt.Errorf("persistent id is not %s", form)
	}
	if g.module != "torch" || !strings.HasSuffix(g.name, "Storage") {
		return nil, fmt.Errorf("storage %s: type %s.%s is not a torch storage", key, g.module, g.name)
	}
	// An unconverted type fails later, naming the state_dict key that uses it.
	kind := storageKinds[g.name]
	if numel < 0 || numel > sd.maxNumel {
		return nil, fmt.Errorf("storage %s: %d elements cannot be in a file of this size", key, numel)
	}
	s, ok := sd.storages[key]
	switch {
	case ok && (s.typ != g.name || s.numel != numel):
		return nil, fmt.Errorf("storage %s declared twice, differently", key)
	case !ok && sd.views[key] != nil:
		return nil, fmt.Errorf("storage %s has the key of a storage view", key)
	case !ok:
		s = &torchStorage{typ: g.name, kind: kind, key: key, numel: numel}
		sd.storages[key] = s
	}
	if !sd.legacy || t[5] == nil {
		return s, nil
	}
	return sd.view(s, t[5])
}

// view returns the storage view that legacy view metadata (key, offset, numel) declares
// on root: numel elements from element offset on.
func (sd *torchStateDict) view(root *torchStorage, meta any) (*torchStorage, error) {
	m, ok := meta.(pyTuple)
	var key string
	var offset, numel int64
	if ok && len(m) == 3 {
		var ok1, ok2, ok3 bool
		key, ok1 = m[0].(string)
		offset, ok2 = m[1].(int64)
		numel, ok3 = m[2].(int64)
		ok = ok1 && ok2 && ok3
	}
	if !ok || len(m) != 3 {
		return nil, fmt.Errorf("storage %s: view metadata is %s, want (key, offset, numel)", root.key, pyTypeName(meta))
	}
	if offset < 0 || numel < 0 || offset > root.numel || numel > root.numel-offset {
		return nil, fmt.Errorf("storage %s: view %s of %d elements at %d lies outside its %d elements", root.key, key, numel, offset, root.numel)
	}
	if _, clash := sd.storages[key]; clash {
		return nil, fmt.Errorf("storage view %s has the key of a storage", key)
	}
	if v, ok := sd.views[key]; ok {
		if v.root != root || v.offset != offset || v.numel != numel {
			return nil, fmt.Errorf("storage view %s declared twice, differently", key)
		}
		return v, nil
	}
	v := &torchStorage{typ: root.typ, kind: root.kind, key: key, numel: numel, root: root, offset: offset}
	sd.views[key] = v
	return v, nil
}

func (sd *torchStateDict) reduce(fn pyGlobal, args pyTuple) (any, error) {
	switch fn {
	case pyGlobal{"collections", "OrderedDict"}:
		return orderedDict(args)
	case pyGlobal{"torch._utils", "_rebuild_tensor_v2"}, pyGlobal{"torch._utils", "_rebuild_tensor"}:
		// (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
		if len(args) < 4 {
			return nil, fmt.Errorf("%s with %d arguments", fn.name, len(args))
		}
		s, ok := args[0].(*torchStorage)
		if !ok {
			return nil, fmt.Errorf("%s of %s, want a storage", fn.name, pyTypeName(args[0]))
		}
		offset, ok := args[1].(int64)
		if !ok {
			return nil, fmt.Errorf("storage offset is %s, want int", pyTypeName(args[1]))
		}
		size, err := intTuple("size", args[2])
		if err != nil {
			return nil, err
		}
		stride, err := intTuple("stride", args[3])
		if err != nil {
			return nil, err
		}
		if len(size) != len(stride) {
			return nil, fmt.Errorf("size %v and stride %v differ in rank", size, stride)
		}
		return &torchTensor{storage: s, offset: offset, size: size, stride: stride}, nil
	case pyGlobal{"torch._utils", "_rebuild_parameter"}, pyGlobal{"torch._utils", "_rebuild_parameter_with_state"}:
		// (data, requires_grad, backward_hooks[, state]): a state_dict(keep_vars=True)
		if len(args) < 1 {
			return nil, fmt.Errorf("%s without arguments", fn.name)
		}
		t, ok := args[0].(*torchTensor)
		if !ok {
			return nil, fmt.Errorf("%s of %s", fn.name, pyTypeName(args[0]))
		}
		return t, nil
	}
	return nil, fmt.Errorf("call of %s.%s: not part of a torch.save(model.state_dict()) file", fn.module, fn.name)
}

// orderedDict builds an OrderedDict from its REDUCE arguments: none (Python 3), or the list
// of [key, value] pairs that Python 2 pickles.
func orderedDict(args pyTuple) (*pyDict, error) {
	d := newPyDict()
	if len(args) == 0 {
		return d, nil
	}
	items, ok := args[0].(*pyList)
	if len(args) != 1 || !ok {
		return nil, errors.New("OrderedDict with arguments other than a list of pairs")
	}
	for i, it := range items.items {
		var kv []any
		switch it := it.(type) {
		case *pyList:
			kv = it.items
		case pyTuple:
			kv = it
		}
		if len(kv) != 2 {
			return nil, fmt.Errorf("OrderedDict item %d is not a (key, value) pair", i)
		}
		d.set(kv[0], kv[1])
	}
	return d, nil
}

func intTuple(what string, v any) ([]int64, error) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, fmt.Errorf("%s is %s, want a tuple", what, pyTypeName(v))
	}
	if len(t) > MaxRank {
		return nil, fmt.Errorf("%s has rank %d, limit %d", what, len(t), MaxRank)
	}
	out := make([]int64, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is %s, want int", what, i, pyTypeName(x))
		}
		out[i] = n
	}
	return out, nil
}

// ReadStateDict reads a file written by torch.save(model.state_dict(), path) without
// Python: every tensor converted to float32 and made contiguous, keyed by its state_dict
// name. Both formats are read: the zip format of PyTorch 1.6 and later, and the legacy one
// before it (also written with _use_new_zipfile_serialization=False), in which
// torchvision's pretrained weights such as vgg16-397923af.pth are published. Tensors may be
// non-contiguous, share storages or sit at an offset in one; storages may be float32,
// float16, bfloat16, float64, or integer or bool (int64 num_batches_tracked is kept),
// converted exactly or refused. Errors name the key.
func ReadStateDict(path string) (map[string]StateTensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	sd, err := DecodeStateDict(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sd, nil
}

// torchMagic is the body of the first pickle of the legacy format: LONG1 with torch's
// magic number 0x1950a86a20f9469cfc6c, then STOP.
var torchMagic = []byte{0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'}

// legacyMagicLen is the length of the magic-number pickle that starts a legacy torch.save
// file (PROTO 2 to 5, a FRAME from 4 on, then torchMagic), or 0 if b does not start with
// one. The number does not fit the unpickler's int64, so its bytes are matched instead.
func legacyMagicLen(b []byte) int {
	if len(b) < 2 || b[0] != 0x80 || b[1] < 2 || b[1] > 5 {
		return 0
	}
	i := 2
	if len(b) >= i+9 && b[i] == 0x95 {
		if binary.LittleEndian.Uint64(b[i+1:]) != uint64(len(torchMagic)) {
			return 0
		}
		i += 9
	}
	if !bytes.HasPrefix(b[i:], torchMagic) {
		return 0
	}
	return i + len(torchMagic)
}

// legacyProtocol is the PROTOCOL_VERSION of the legacy format, its second pickle.
const legacyProtocol = 1001

// DecodeStateDict is ReadStateDict on a file already open (size bytes of r).
func DecodeStateDict(r io.ReaderAt, size int64) (map[string]StateTensor, error) {
	var head [512]byte
	n, _ := r.ReadAt(head[:], 0)
	switch {
	case bytes.HasPrefix(head[:n], []byte("PK\x03\x04")):
		return decodeTorchZip(r, size)
	case legacyMagicLen(head[:n]) > 0:
		return decodeTorchLegacy(r, size)
	case n >= 262 && string(head[257:262]) == "ustar":
		return nil, errors.New("the tar torch.save format (PyTorch 0.1) is not supported: " +
			"re-save it with torch.save(torch.load(f), g) under a current PyTorch")
	case n >= 2 && head[0] == 0x80:
		return nil, errors.New("a pickle without torch's magic number: not a torch.save file")
	}
	return nil, errors.New("not a torch.save file (neither the zip format nor the legacy one)")
}

// decodeTorchZip reads the zip format: <name>/data.pkl, and each storage in <name>/data/<key>.
func decodeTorchZip(r io.ReaderAt, size int64) (map[string]StateTensor, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("torch.save zip: %w", err)
	}
	prefix, entries, err := archiveEntries(zr)
	if err != nil {
		return nil, err
	}
	pkl, err := readEntry(entries, prefix+"data.pkl", MaxPickleBytes)
	if err != nil {
		return nil, err
	}
	if bo, ok := entries[prefix+"byteorder"]; ok {
		b, err := readEntry(entries, bo.Name, 16)
		if err != nil {
			return nil, err
		}
		if string(b) != "little" {
			return nil, fmt.Errorf("byteorder %q: only little-endian files are supported", b)
		}
	}
	hooks := newTorchStateDict(size, false)
	root, err := unpickle(pkl, hooks)
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	return stateDictTensors(root, "data.pkl", size, func(s *torchStorage) ([]byte, error) {
		return readStorage(entries, prefix, s, size)
	})
}

// decodeTorchLegacy reads the legacy format, a sequence of pickles and then raw data: the magic
// number, the protocol version (1001), a sys_info dict (byte order, type sizes), the
// state_dict itself, whose storages are persistent ids ('storage', type, key, location,
// numel, view), and the list of storage keys; then for each key of that list in its order,
// the storage's element count as 8 bytes little-endian and its elements. Every count and
// position is checked against the file's size before anything is allocated from it.
func decodeTorchLegacy(r io.ReaderAt, size int64) (map[string]StateTensor, error) {
	b := make([]byte, min(size, MaxPickleBytes))
	if n, err := r.ReadAt(b, 0); n < len(b) {
		return nil, fmt.Errorf("legacy torch.save file: %w", err)
	}
	pos := legacyMagicLen(b)
	hooks := newTorchStateDict(size, true)
	next := func(what string) (any, error) {
		v, end, err := unpickleAt(b, pos, hooks)
		if err != nil {
			if errors.Is(err, errPickleShort) && int64(len(b)) < size {
				return nil, fmt.Errorf("legacy torch.save file: the %s pickle does not end within the first %d bytes", what, len(b))
			}
			return nil, fmt.Errorf("legacy torch.save file, %s pickle: %w", what, err)
		}
		pos = end
		return v, nil
	}
	v, err := next("protocol version")
	if err != nil {
		return nil, err
	}
	if n, ok := v.(int64); !ok || n != legacyProtocol {
		got := pyTypeName(v)
		if ok {
			got = fmt.Sprint(n)
		}
		return nil, fmt.Errorf("legacy torch.save file: protocol version %s, want %d", got, legacyProtocol)
	}
	if v, err = next("sys_info"); err != nil {
		return nil, err
	}
	info, ok := v.(*pyDict)
	var little any
	if ok {
		if i, ok := info.index["little_endian"]; ok {
			little = info.values[i]
		}
	}
	switch little {
	case true:
	case false:
		return nil, errors.New("legacy torch.save file: big-endian; only little-endian files are supported")
	default:
		return nil, errors.New("legacy torch.save file: sys_info does not say little_endian True or False")
	}
	root, err := next("state_dict")
	if err != nil {
		return nil, err
	}
	if v, err = next("storage keys"); err != nil {
		return nil, err
	}
	keys, ok := v.(*pyList)
	if !ok {
		return nil, fmt.Errorf("legacy torch.save file: storage keys are %s, want a list", pyTypeName(v))
	}
	at, err := legacyLayout(r, size, int64(pos), keys, hooks.storages)
	if err != nil {
		return nil, fmt.Errorf("legacy torch.save file: %w", err)
	}
	return stateDictTensors(root, "legacy torch.save file", size, func(s *torchStorage) ([]byte, error) {
		off, ok := at[s]
		if !ok {
			return nil, fmt.Errorf("storage %s: not in the file's list of storages", s.key)
		}
		data := make([]byte, s.numel*int64(s.kind.size)) // checked by legacyLayout
		if n, err := r.ReadAt(data, off); n < len(data) {
			return nil, fmt.Errorf("storage %s: %w", s.key, err)
		}
		return data, nil
	})
}

// legacyLayout finds where each storage's elements lie: the storages follow the pickles at
// byte off, in the order of keys, each an 8-byte element count, which must be the count
// its persistent id declared, and the elements; the last one must end the file.
func legacyLayout(r io.ReaderAt, size, off int64, keys *pyList, storages map[string]*torchStorage) (map[*torchStorage]int64, error) {
	at := make(map[*torchStorage]int64, len(storages))
	for i, k := range keys.items {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("storage key %d is %s, want str", i, pyTypeName(k))
		}
		s, ok := storages[key]
		if !ok {
			return nil, fmt.Errorf("storage %s is listed but no tensor uses it", key)
		}
		if _, dup := at[s]; dup {
			return nil, fmt.Errorf("storage %s is listed twice", key)
		}
		switch {
		case s.kind == nil:
			// Its element size is unknown, so nothing after it could be found.
			return nil, fmt.Errorf("storage %s: type torch.%s is not supported", key, s.typ)
		case size-off < 8:
			return nil, fmt.Errorf("storage %s: the file ends at byte %d, before its element count", key, size)
		}
		var count [8]byte
		if n, err := r.ReadAt(count[:], off); n < len(count) {
			return nil, fmt.Errorf("storage %s: %w", key, err)
		}
		if c := int64(binary.LittleEndian.Uint64(count[:])); c != s.numel {
			return nil, fmt.Errorf("storage %s: the file holds %d elements, its persistent id declares %d", key, c, s.numel)
		}
		off += 8
		// numel <= size, so this does not overflow for any file below 2^60 bytes.
		n := s.numel * int64(s.kind.size)
		if n > size-off {
			return nil, fmt.Errorf("storage %s: %d elements of %s at byte %d reach past the end of the file (%d bytes)", key, s.numel, s.typ, off, size)
		}
		at[s] = off
		off += n
	}
	if off != size {
		return nil, fmt.Errorf("%d bytes after the last storage", size-off)
	}
	return at, nil
}

// stateDictTensors turns the unpickled state_dict root (from what, for errors) into
// tensors, reading each storage's bytes with read when a tensor first needs them.
func stateDictTensors(root any, what string, size int64, read func(*torchStorage) ([]byte, error)) (map[string]StateTensor, error) {
	dict, ok := root.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("%s holds a value of type %s, want a state_dict (a dict of tensors)", what, pyTypeName(root))
	}
	tensors := map[string]*torchTensor{}
	uses := map[*torchStorage]int{}
	for i, k := range dict.keys {
		name, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("state_dict key %d is %s, want str", i, pyTypeName(k))
		}
		t, ok := dict.values[i].(*torchTensor)
		if !ok {
			hint := ""
			if _, nested := dict.values[i].(*pyDict); nested {
				hint = " (a checkpoint? save the model's state_dict itself)"
			}
			return nil, fmt.Errorf("key %q: %s, want a tensor%s", name, pyTypeName(dict.values[i]), hint)
		}
		tensors[name] = t
		uses[t.storage.base()]++
	}
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(map[string]StateTensor, len(tensors))
	raw := map[*torchStorage][]byte{}
	// Views and expanded (stride 0) tensors can hold more elements than their storages, so
	// a tiny file could ask for gigabytes. Allow 16M elements, plus 4 per byte of the file
	// (16 times what float32 storages can hold), and never more than MaxFileElements.
	budget := min(int64(MaxFileElements), 1<<24+4*size)
	for _, name := range names {
		t := tensors[name]
		base := t.storage.base()
		b, ok := raw[base]
		if !ok {
			if base.kind == nil {
				return nil, fmt.Errorf("key %q: storage %s: type torch.%s is not supported", name, base.key, base.typ)
			}
			var err error
			if b, err = read(base); err != nil {
				return nil, fmt.Errorf("key %q: %w", name, err)
			}
			raw[base] = b
		}
		if s := t.storage; s.root != nil { // a view: checked to lie within its root
			es := int64(s.kind.size)
			b = b[s.offset*es : (s.offset+s.numel)*es]
		}
		st, err := gather(t, b, budget)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", name, err)
		}
		budget -= int64(len(st.Data))
		out[name] = st
		if uses[base]--; uses[base] == 0 {
			delete(raw, base) // let a large file's storages go as soon as they are used
		}
	}
	return out, nil
}

// archiveEntries finds the one top-level folder holding data.pkl (torch names it after the
// file) and indexes the entries by name.
func archiveEntries(zr *zip.Reader) (string, map[string]*zip.File, error) {
	entries := make(map[string]*zip.File, len(zr.File))
	prefix := ""
	for _, f := range zr.File {
		entries[f.Name] = f
		dir, base := path.Split(f.Name)
		if base == "data.pkl" && strings.Count(dir, "/") == 1 {
			if prefix != "" {
				return "", nil, errors.New("torch.save zip with more than one data.pkl")
			}
			prefix = dir
		}
	}
	if prefix == "" {
		return "", nil, errors.New("torch.save zip without <name>/data.pkl")
	}
	if _, ok := entries[prefix+"constants.pkl"]; ok {
		return "", nil, errors.New("TorchScript archive (torch.jit.save): save model.state_dict() with torch.save instead")
	}
	return prefix, entries, nil
}

// readEntry reads a small entry of at most limit bytes, compressed or not.
func readEntry(entries map[string]*zip.File, name string, limit int64) ([]byte, error) {
	f, ok := entries[name]
	if !ok {
		return nil, fmt.Errorf("zip entry %s missing", name)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("zip entry %s exceeds %d bytes", name, limit)
	}
	return b, nil
}

// readStorage reads a storage's bytes. torch.save stores them uncompressed; requiring that,
// and that the entry lies within the file, bounds the allocation below by the file's real
// size whatever the headers claim; the declared element count must match it exactly.
func readStorage(entries map[string]*zip.File, prefix string, s *torchStorage, fileSize int64) ([]byte, error) {
	name := prefix + "data/" + s.key
	f, ok := entries[name]
	if !ok {
		return nil, fmt.Errorf("storage %s: zip entry %s missing", s.key, name)
	}
	if f.Method != zip.Store {
		return nil, fmt.Errorf("storage %s: compressed zip entry (method %d); torch.save stores them uncompressed", s.key, f.Method)
	}
	want := uint64(s.numel) * uint64(s.kind.size) // numel <= file size, no overflow
	if f.UncompressedSize64 != want || f.CompressedSize64 != want {
		return nil, fmt.Errorf("storage %s: zip entry of %d bytes, %d elements of %s need %d",
			s.key, f.UncompressedSize64, s.numel, s.kind.name, want)
	}
	if off, err := f.DataOffset(); err != nil || off < 0 || uint64(off)+want > uint64(fileSize) {
		return nil, fmt.Errorf("storage %s: zip entry reaches past the end of the file", s.key)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("storage %s: %w", s.key, err)
	}
	defer rc.Close()
	b := make([]byte, want)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("storage %s: %w", s.key, err)
	}
	// Reading on to EOF makes archive/zip verify the entry's CRC-32.
	if n, err := rc.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		return nil, fmt.Errorf("storage %s: zip entry longer than declared or corrupt: %v", s.key, err)
	}
	return b, nil
}

// gather copies a tensor out of its storage into row-major order, following its offset and
// strides (non-contiguous, expanded with stride 0, or a view into a shared storage).
// It refuses tensors of more than budget elements.
func gather(t *torchTensor, b []byte, budget int64) (StateTensor, error) {
	st := StateTensor{Shape: make([]int, len(t.size)), Storage: t.storage.kind.name}
	if t.offset < 0 {
		return st, fmt.Errorf("storage offset %d", t.offset)
	}
	numel := int64(1)
	last := t.offset // the largest storage index the tensor touches
	for i, d := range t.size {
		if d < 0 || t.stride[i] < 0 {
			return st, fmt.Errorf("size %v, stride %v: negative", t.size, t.stride)
		}
		if d > MaxTensorElements || numel*d > MaxTensorElements {
			return st, fmt.Errorf("size %v exceeds %d elements", t.size, MaxTensorElements)
		}
		numel *= d
		st.Shape[i] = int(d)
	}
	if numel > budget {
		return st, fmt.Errorf("size %v: %d elements exceed what a state_dict file of this size may hold", t.size, numel)
	}
	if numel == 0 {
		st.Data = []float32{}
		return st, nil
	}
	for i, d := range t.size {
		if last >= t.storage.numel {
			break
		}
		// Add (d-1)*stride only when it fits before the storage's end: no overflow.
		if s := t.stride[i]; d > 1 && s > 0 {
			if room := t.storage.numel - 1 - last; s > room/(d-1) {
				last = t.storage.numel
				break
			}
			last += (d - 1) * s
		}
	}
	if last >= t.storage.numel {
		return st, fmt.Errorf("offset %d, size %v, stride %v reach past storage %s of %d elements",
			t.offset, t.size, t.stride, t.storage.key, t.storage.numel)
	}
	size := t.storage.kind.size
	convert := t.storage.kind.value
	st.Data = make([]float32, numel)
	idx := make([]int64, len(t.size)) // odometer over the tensor's index space
	pos := t.offset
	for i := range st.Data {
		v, ok := convert(b[pos*int64(size):])
		if !ok {
			return st, fmt.Errorf("element %d (%s) is not exactly representable as float32", i, t.storage.kind.name)
		}
		st.Data[i] = v
		for dim := len(idx) - 1; dim >= 0; dim-- {
			idx[dim]++
			pos += t.stride[dim]
			if idx[dim] < t.size[dim] {
				break
			}
			pos -= t.stride[dim] * idx[dim]
			idx[dim] = 0
		}
	}
	return st, nil
}
