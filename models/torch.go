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

// MaxPickleBytes caps the data.pkl of a state_dict file; it holds only names and shapes
// (about 150 bytes a tensor), the values live in separate zip entries.
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
}

type torchTensor struct {
	storage *torchStorage
	offset  int64
	size    []int64
	stride  []int64
}

// torchStateDict supplies the pickle hooks for one torch.save zip file.
type torchStateDict struct {
	storages map[string]*torchStorage
	maxNumel int64 // no storage can hold more elements than the file has bytes
}

func (sd *torchStateDict) persistentLoad(pid any) (any, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) != 5 || t[0] != "storage" {
		return nil, errors.New("persistent id is not ('storage', type, key, location, numel)")
	}
	g, ok1 := t[1].(pyGlobal)
	key, ok2 := t[2].(string)
	_, ok3 := t[3].(string)
	numel, ok4 := t[4].(int64)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, errors.New("persistent id is not ('storage', type, key, location, numel)")
	}
	if g.module != "torch" || !strings.HasSuffix(g.name, "Storage") {
		return nil, fmt.Errorf("storage %s: type %s.%s is not a torch storage", key, g.module, g.name)
	}
	// An unconverted type fails later, naming the state_dict key that uses it.
	kind := storageKinds[g.name]
	if numel < 0 || numel > sd.maxNumel {
		return nil, fmt.Errorf("storage %s: %d elements cannot be in a file of this size", key, numel)
	}
	if s, ok := sd.storages[key]; ok {
		if s.typ != g.name || s.numel != numel {
			return nil, fmt.Errorf("storage %s declared twice, differently", key)
		}
		return s, nil
	}
	s := &torchStorage{typ: g.name, kind: kind, key: key, numel: numel}
	sd.storages[key] = s
	return s, nil
}

func (sd *torchStateDict) reduce(fn pyGlobal, args pyTuple) (any, error) {
	switch fn {
	case pyGlobal{"collections", "OrderedDict"}:
		if len(args) != 0 {
			return nil, errors.New("OrderedDict with arguments")
		}
		return newPyDict(), nil
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

// ReadStateDict reads a file written by torch.save(model.state_dict(), path) (the zip
// format, PyTorch 1.6 and later) without Python: every tensor converted to float32 and
// made contiguous, keyed by its state_dict name. Tensors may be non-contiguous, share
// storages or sit at an offset in one; storages may be float32, float16, bfloat16, float64,
// or integer or bool (int64 num_batches_tracked is kept), converted exactly or refused.
// Errors name the key.
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

// legacyMagic starts the pickle of the pre-1.6 format: PROTO 2, LONG1 with torch's magic
// number 0x1950a86a20f9469cfc6c.
var legacyMagic = []byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19}

// DecodeStateDict is ReadStateDict on a file already open (size bytes of r).
func DecodeStateDict(r io.ReaderAt, size int64) (map[string]StateTensor, error) {
	var head [512]byte
	n, _ := r.ReadAt(head[:], 0)
	switch {
	case bytes.HasPrefix(head[:n], []byte("PK\x03\x04")):
	case bytes.HasPrefix(head[:n], legacyMagic), n >= 262 && string(head[257:262]) == "ustar":
		return nil, errors.New("legacy torch.save format (PyTorch < 1.6 or _use_new_zipfile_serialization=False) " +
			"is not supported: re-save it with torch.save(torch.load(f), g) under a current PyTorch")
	default:
		return nil, errors.New("not a torch.save zip file")
	}
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
	hooks := &torchStateDict{storages: map[string]*torchStorage{}, maxNumel: size}
	root, err := unpickle(pkl, hooks)
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	dict, ok := root.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("data.pkl holds a value of type %s, want a state_dict (a dict of tensors)", pyTypeName(root))
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
		uses[t.storage]++
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
		b, ok := raw[t.storage]
		if !ok {
			if b, err = readStorage(entries, prefix, t.storage, size); err != nil {
				return nil, fmt.Errorf("key %q: %w", name, err)
			}
			raw[t.storage] = b
		}
		st, err := gather(t, b, budget)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", name, err)
		}
		budget -= int64(len(st.Data))
		out[name] = st
		if uses[t.storage]--; uses[t.storage] == 0 {
			delete(raw, t.storage) // let a large file's storages go as soon as they are used
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
	if s.kind == nil {
		return nil, fmt.Errorf("storage %s: type torch.%s is not supported", s.key, s.typ)
	}
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
