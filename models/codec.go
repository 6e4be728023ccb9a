package models

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Encode writes w in weights format v1 after validating it; nothing is written when w is
// invalid. Keys come in a fixed order (format and version first, config keys sorted), so
// equal Weights give equal bytes.
func Encode(out io.Writer, w *Weights) error {
	if err := w.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	e := &encoder{e: msgpack.NewEncoder(bw), w: bw}
	e.check(e.e.EncodeMapLen(7))
	e.str("format")
	e.str(FormatName)
	e.str("version")
	e.check(e.e.EncodeInt(FormatVersion))
	e.str("arch")
	e.str(w.Arch)
	e.str("config")
	e.config(w.Config)
	e.str("io")
	e.check(e.e.EncodeMapLen(2))
	e.str("input")
	e.signal(&w.IO.Input)
	e.str("output")
	e.signal(&w.IO.Output)
	e.str("meta")
	e.meta(&w.Meta)
	e.str("tensors")
	e.check(e.e.EncodeArrayLen(len(w.Tensors)))
	for i := range w.Tensors {
		e.tensor(&w.Tensors[i])
	}
	if e.err != nil {
		return e.err
	}
	return bw.Flush()
}

// encoder keeps the first write error so the sequence of writes above stays readable.
type encoder struct {
	e   *msgpack.Encoder
	w   *bufio.Writer
	err error
}

func (e *encoder) check(err error) {
	if e.err == nil {
		e.err = err
	}
}

func (e *encoder) str(s string) { e.check(e.e.EncodeString(s)) }

func (e *encoder) config(c Config) {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e.check(e.e.EncodeMapLen(len(keys)))
	for _, k := range keys {
		e.str(k)
		switch v := c[k].(type) {
		case int:
			e.check(e.e.EncodeInt(int64(v)))
		case int32:
			e.check(e.e.EncodeInt(int64(v)))
		case int64:
			e.check(e.e.EncodeInt(v))
		case float32:
			e.check(e.e.EncodeFloat64(float64(v)))
		case float64:
			e.check(e.e.EncodeFloat64(v))
		case string:
			e.str(v)
		case bool:
			e.check(e.e.EncodeBool(v))
		}
	}
}

func (e *encoder) signal(s *Signal) {
	n := 1
	hasRange := s.Min != 0 || s.Max != 0
	if hasRange {
		n += 2
	}
	if len(s.Mean) > 0 {
		n += 2
	}
	e.check(e.e.EncodeMapLen(n))
	e.str("kind")
	e.str(s.Kind)
	if hasRange {
		e.str("min")
		e.check(e.e.EncodeFloat64(s.Min))
		e.str("max")
		e.check(e.e.EncodeFloat64(s.Max))
	}
	if len(s.Mean) > 0 {
		e.floats("mean", s.Mean)
		e.floats("std", s.Std)
	}
}

func (e *encoder) floats(key string, fs []float64) {
	e.str(key)
	e.check(e.e.EncodeArrayLen(len(fs)))
	for _, f := range fs {
		e.check(e.e.EncodeFloat64(f))
	}
}

func (e *encoder) meta(m *Meta) {
	type entry struct {
		key   string
		value string
	}
	texts := []entry{{"name", m.Name}, {"license", m.License}, {"source", m.Source}}
	for _, opt := range []entry{{"description", m.Description}, {"training_command", m.TrainingCommand}, {"date", m.Date}} {
		if opt.value != "" {
			texts = append(texts, opt)
		}
	}
	n := len(texts) + 1
	if m.Steps != 0 {
		n++
	}
	e.check(e.e.EncodeMapLen(n))
	for _, t := range texts {
		e.str(t.key)
		e.str(t.value)
	}
	e.str("trained")
	e.check(e.e.EncodeBool(m.Trained))
	if m.Steps != 0 {
		e.str("steps")
		e.check(e.e.EncodeInt(m.Steps))
	}
}

func (e *encoder) tensor(t *Tensor) {
	e.check(e.e.EncodeMapLen(4))
	e.str("name")
	e.str(t.Name)
	e.str("shape")
	e.check(e.e.EncodeArrayLen(len(t.Shape)))
	for _, d := range t.Shape {
		e.check(e.e.EncodeInt(int64(d)))
	}
	e.str("dtype")
	e.str(t.DType.String())
	e.str("data")
	size := t.DType.size()
	e.check(e.e.EncodeBytesLen(len(t.Data) * size))
	// Stream the values through a small buffer instead of materialising all the bytes.
	var buf [4096]byte
	for rest := t.Data; len(rest) > 0 && e.err == nil; {
		n := min(len(rest), len(buf)/size)
		for i, v := range rest[:n] {
			if t.DType == F16 {
				binary.LittleEndian.PutUint16(buf[2*i:], float32to16(v))
			} else {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
		}
		_, err := e.w.Write(buf[:n*size])
		e.check(err)
		rest = rest[n:]
	}
}

// Decode reads one weights file of at most limit bytes (DefaultLimit when limit <= 0) and
// validates all of it. Errors are *FieldError values naming the offending field. Every
// length read from the input is checked against the format's limits before anything is
// allocated for it, and byte strings are read in bounded steps, so memory stays
// proportional to the bytes actually present.
func Decode(r io.Reader, limit int64) (*Weights, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	br := bufio.NewReaderSize(&limitReader{r: r, n: limit}, 64<<10)
	d := &decoder{r: br, d: msgpack.NewDecoder(br), limit: limit}
	w, err := d.weights()
	if err != nil {
		return nil, err
	}
	switch _, err := br.ReadByte(); {
	case err == nil:
		return nil, fieldErr("file", "trailing bytes after the weights map")
	case err != io.EOF:
		return nil, d.wrap("file", err)
	}
	if err := w.Validate(); err != nil {
		return nil, err
	}
	return w, nil
}

// limitReader reads at most n bytes and then fails with ErrTooLarge if more follow.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if l.n <= 0 {
		var probe [1]byte
		if k, _ := io.ReadFull(l.r, probe[:]); k > 0 {
			return 0, ErrTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= int64(k)
	return k, err
}

// decoder reads with msgpack's low-level API only (PeekCode, Decode*Len, scalars), never
// its reflection-based slice decoding: msgpack v5.4.1 allocates a typed slice of whatever
// length an array header claims (decodeSliceValue ignores its own alloc limit).
type decoder struct {
	r     *bufio.Reader // the msgpack.Decoder reads from it directly (it is a ByteScanner)
	d     *msgpack.Decoder
	limit int64
	total int // elements of all tensors so far
}

func (d *decoder) wrap(field string, err error) error {
	switch {
	case errors.Is(err, ErrTooLarge):
		err = fmt.Errorf("%w of %d bytes", ErrTooLarge, d.limit)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		err = ErrTruncated
	}
	return &FieldError{Field: field, Err: err}
}

func codeKind(c byte) string {
	switch {
	case msgpcode.IsFixedNum(c) || c >= msgpcode.Uint8 && c <= msgpcode.Int64:
		return "an integer"
	case c == msgpcode.Float || c == msgpcode.Double:
		return "a float"
	case msgpcode.IsString(c):
		return "a string"
	case msgpcode.IsBin(c):
		return "binary"
	case msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32:
		return "a map"
	case msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32:
		return "an array"
	case c == msgpcode.Nil:
		return "nil"
	case c == msgpcode.True || c == msgpcode.False:
		return "a bool"
	case msgpcode.IsExt(c):
		return "an extension"
	}
	return fmt.Sprintf("invalid msgpack (code 0x%02x)", c)
}

func isInt(c byte) bool {
	return msgpcode.IsFixedNum(c) || c >= msgpcode.Uint8 && c <= msgpcode.Int64
}

func (d *decoder) peek(field, want string, ok func(byte) bool) (byte, error) {
	c, err := d.d.PeekCode()
	if err != nil {
		return 0, d.wrap(field, err)
	}
	if !ok(c) {
		return c, fieldErr(field, "is %s, want %s", codeKind(c), want)
	}
	return c, nil
}

func (d *decoder) mapLen(field string) (int, error) {
	if _, err := d.peek(field, "a map", func(c byte) bool {
		return msgpcode.IsFixedMap(c) || c == msgpcode.Map16 || c == msgpcode.Map32
	}); err != nil {
		return 0, err
	}
	n, err := d.d.DecodeMapLen()
	if err != nil {
		return 0, d.wrap(field, err)
	}
	return n, nil
}

func (d *decoder) arrayLen(field string, max int) (int, error) {
	if _, err := d.peek(field, "an array", func(c byte) bool {
		return msgpcode.IsFixedArray(c) || c == msgpcode.Array16 || c == msgpcode.Array32
	}); err != nil {
		return 0, err
	}
	n, err := d.d.DecodeArrayLen()
	if err != nil {
		return 0, d.wrap(field, err)
	}
	if n > max {
		return 0, fieldErr(field, "%d elements, limit %d", n, max)
	}
	return n, nil
}

// raw reads n bytes in steps of at most 1 MiB, so a length claimed by a truncated input
// costs no more memory than the bytes that are really there.
func (d *decoder) raw(field string, n int) ([]byte, error) {
	const step = 1 << 20
	buf := make([]byte, 0, min(n, step))
	for len(buf) < n {
		k := min(n-len(buf), step)
		buf = slices.Grow(buf, k)
		m, err := io.ReadFull(d.r, buf[len(buf):len(buf)+k])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, d.wrap(field, err)
		}
	}
	return buf, nil
}

func (d *decoder) str(field string, max int) (string, error) {
	if _, err := d.peek(field, "a string", msgpcode.IsString); err != nil {
		return "", err
	}
	n, err := d.d.DecodeBytesLen()
	if err != nil {
		return "", d.wrap(field, err)
	}
	if n > max {
		return "", fieldErr(field, "string of %d bytes, limit %d", n, max)
	}
	b, err := d.raw(field, n)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func (d *decoder) int(field string) (int64, error) {
	c, err := d.peek(field, "an integer", isInt)
	if err != nil {
		return 0, err
	}
	if c == msgpcode.Uint64 {
		u, err := d.d.DecodeUint64()
		if err != nil {
			return 0, d.wrap(field, err)
		}
		if u > math.MaxInt64 {
			return 0, fieldErr(field, "%d is out of range", u)
		}
		return int64(u), nil
	}
	n, err := d.d.DecodeInt64()
	if err != nil {
		return 0, d.wrap(field, err)
	}
	return n, nil
}

func (d *decoder) float(field string) (float64, error) {
	if _, err := d.peek(field, "a number", func(c byte) bool {
		return isInt(c) || c == msgpcode.Float || c == msgpcode.Double
	}); err != nil {
		return 0, err
	}
	f, err := d.d.DecodeFloat64()
	if err != nil {
		return 0, d.wrap(field, err)
	}
	return f, nil
}

func (d *decoder) bool(field string) (bool, error) {
	if _, err := d.peek(field, "a bool", func(c byte) bool {
		return c == msgpcode.True || c == msgpcode.False
	}); err != nil {
		return false, err
	}
	b, err := d.d.DecodeBool()
	if err != nil {
		return false, d.wrap(field, err)
	}
	return b, nil
}

// fields reads a map with string keys, calling value for each key with the key's field
// path; it rejects duplicate keys and checks that the required ones are present.
func (d *decoder) fields(path string, required []string, value func(key, field string) error) error {
	n, err := d.mapLen(orFile(path))
	if err != nil {
		return err
	}
	seen := make(map[string]bool, min(n, 16))
	for i := 0; i < n; i++ {
		key, err := d.str(join(path, fmt.Sprintf("<key %d>", i)), MaxNameLen)
		if err != nil {
			return err
		}
		field := join(path, fieldKey(key))
		if seen[key] {
			return fieldErr(field, "duplicate field")
		}
		seen[key] = true
		if err := value(key, field); err != nil {
			return err
		}
	}
	for _, k := range required {
		if !seen[k] {
			return fieldErr(join(path, k), "missing")
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// fieldKey shows a key in a field path: as is when it is a plain name, quoted otherwise
// (an empty or odd key must still show as something).
func fieldKey(key string) string {
	if checkName(key) != nil {
		return strconv.Quote(key)
	}
	return key
}

func orFile(path string) string {
	if path == "" {
		return "file"
	}
	return path
}

func unknownField(field string) error {
	return fieldErr(field, "unknown field")
}

func (d *decoder) weights() (*Weights, error) {
	w := &Weights{}
	err := d.fields("", []string{"format", "version", "arch", "config", "io", "meta", "tensors"}, func(key, field string) error {
		switch key {
		case "format":
			s, err := d.str(field, MaxNameLen)
			if err != nil {
				return err
			}
			if s != FormatName {
				return fieldErr(field, "%q, want %q", s, FormatName)
			}
		case "version":
			v, err := d.int(field)
			if err != nil {
				return err
			}
			if v != FormatVersion {
				return fieldErr(field, "unsupported version %d (this reader knows %d)", v, FormatVersion)
			}
		case "arch":
			s, err := d.str(field, MaxNameLen)
			if err != nil {
				return err
			}
			if !KnownArch(s) {
				return fieldErr(field, "unknown architecture %q", s)
			}
			w.Arch = s
		case "config":
			c, err := d.config(field)
			if err != nil {
				return err
			}
			w.Config = c
		case "io":
			return d.io(field, &w.IO)
		case "meta":
			return d.meta(field, &w.Meta)
		case "tensors":
			ts, err := d.tensors(field)
			if err != nil {
				return err
			}
			w.Tensors = ts
		default:
			return unknownField(field)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

func (d *decoder) config(path string) (Config, error) {
	n, err := d.mapLen(path)
	if err != nil {
		return nil, err
	}
	if n > MaxConfigEntries {
		return nil, fieldErr(path, "%d entries, limit %d", n, MaxConfigEntries)
	}
	c := make(Config, n)
	for i := 0; i < n; i++ {
		key, err := d.str(fmt.Sprintf("%s.<key %d>", path, i), MaxNameLen)
		if err != nil {
			return nil, err
		}
		if err := checkName(key); err != nil {
			return nil, &FieldError{Field: path, Err: fmt.Errorf("key: %w", err)}
		}
		field := path + "." + key
		if _, dup := c[key]; dup {
			return nil, fieldErr(field, "duplicate field")
		}
		code, err := d.peek(field, "an int, float, string or bool", func(c byte) bool {
			return isInt(c) || c == msgpcode.Float || c == msgpcode.Double || msgpcode.IsString(c) ||
				c == msgpcode.True || c == msgpcode.False
		})
		if err != nil {
			return nil, err
		}
		switch {
		case isInt(code):
			v, err := d.int(field)
			if err != nil {
				return nil, err
			}
			if int64(int(v)) != v {
				return nil, fieldErr(field, "%d overflows int", v)
			}
			c[key] = int(v)
		case msgpcode.IsString(code):
			c[key], err = d.str(field, MaxTextLen)
		case code == msgpcode.True || code == msgpcode.False:
			c[key], err = d.bool(field)
		default:
			c[key], err = d.float(field)
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (d *decoder) io(path string, spec *IOSpec) error {
	return d.fields(path, []string{"input", "output"}, func(key, field string) error {
		switch key {
		case "input":
			return d.signal(field, &spec.Input)
		case "output":
			return d.signal(field, &spec.Output)
		}
		return unknownField(field)
	})
}

func (d *decoder) signal(path string, s *Signal) error {
	var hasMin, hasMax, hasMean, hasStd bool
	err := d.fields(path, []string{"kind"}, func(key, field string) error {
		var err error
		switch key {
		case "kind":
			s.Kind, err = d.str(field, MaxNameLen)
		case "min":
			hasMin = true
			s.Min, err = d.float(field)
		case "max":
			hasMax = true
			s.Max, err = d.float(field)
		case "mean":
			hasMean = true
			s.Mean, err = d.floats(field)
		case "std":
			hasStd = true
			s.Std, err = d.floats(field)
		default:
			err = unknownField(field)
		}
		return err
	})
	if err != nil {
		return err
	}
	if hasMin != hasMax {
		return fieldErr(path, "min and max must come together")
	}
	if hasMean != hasStd {
		return fieldErr(path, "mean and std must come together")
	}
	return nil
}

func (d *decoder) floats(field string) ([]float64, error) {
	n, err := d.arrayLen(field, MaxChannels)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil // as Encode omits empty lists: a round trip keeps nil
	}
	fs := make([]float64, n)
	for i := range fs {
		if fs[i], err = d.float(fmt.Sprintf("%s[%d]", field, i)); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

func (d *decoder) meta(path string, m *Meta) error {
	return d.fields(path, []string{"name", "license", "source", "trained"}, func(key, field string) error {
		var err error
		switch key {
		case "name":
			m.Name, err = d.str(field, MaxTextLen)
		case "description":
			m.Description, err = d.str(field, MaxTextLen)
		case "license":
			m.License, err = d.str(field, MaxTextLen)
		case "source":
			m.Source, err = d.str(field, MaxTextLen)
		case "trained":
			m.Trained, err = d.bool(field)
		case "training_command":
			m.TrainingCommand, err = d.str(field, MaxTextLen)
		case "steps":
			m.Steps, err = d.int(field)
		case "date":
			m.Date, err = d.str(field, MaxTextLen)
		default:
			err = unknownField(field)
		}
		return err
	})
}

func (d *decoder) tensors(path string) ([]Tensor, error) {
	n, err := d.arrayLen(path, MaxTensors)
	if err != nil {
		return nil, err
	}
	var ts []Tensor // grown as entries arrive: n is only a claim
	for i := 0; i < n; i++ {
		t, err := d.tensor(fmt.Sprintf("%s[%d]", path, i))
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func (d *decoder) tensor(path string) (Tensor, error) {
	var (
		t        Tensor
		raw      []byte
		hasShape bool
		hasDType bool
		numel    int
	)
	err := d.fields(path, []string{"name", "shape", "dtype", "data"}, func(key, field string) error {
		var err error
		switch key {
		case "name":
			t.Name, err = d.str(field, MaxNameLen)
		case "shape":
			t.Shape, err = d.shape(field)
			if err == nil {
				hasShape = true
				numel, err = checkShape(field, t.Shape)
			}
		case "dtype":
			var s string
			if s, err = d.str(field, MaxNameLen); err != nil {
				return err
			}
			var ok bool
			if t.DType, ok = parseDType(s); !ok {
				return fieldErr(field, "unknown dtype %q (want \"f32\" or \"f16\")", s)
			}
			hasDType = true
		case "data":
			raw, err = d.data(field, hasShape && hasDType, numel*t.DType.size())
		default:
			err = unknownField(field)
		}
		return err
	})
	if err != nil {
		return Tensor{}, err
	}
	size := t.DType.size()
	if len(raw) != numel*size {
		return Tensor{}, fieldErr(path+".data", "tensor %q: %d bytes, shape %v as %v needs %d",
			t.Name, len(raw), t.Shape, t.DType, numel*size)
	}
	d.total += numel
	if d.total > MaxFileElements {
		return Tensor{}, fieldErr(path+".shape", "the file's tensors exceed %d elements in all", MaxFileElements)
	}
	t.Data = make([]float32, numel)
	for i := range t.Data {
		if t.DType == F16 {
			t.Data[i] = float16to32(binary.LittleEndian.Uint16(raw[2*i:]))
		} else {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	}
	return t, nil
}

func (d *decoder) shape(field string) ([]int, error) {
	n, err := d.arrayLen(field, MaxRank)
	if err != nil {
		return nil, err
	}
	shape := make([]int, n)
	for i := range shape {
		v, err := d.int(fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		if v <= 0 || v > MaxTensorElements {
			return nil, fieldErr(field, "dimension %d is %d; dimensions must be in 1..%d", i, v, MaxTensorElements)
		}
		shape[i] = int(v)
	}
	return shape, nil
}

// data reads a tensor's bytes. When shape and dtype came first (as Encode writes them) the
// length is checked exactly before reading; otherwise against the largest possible tensor.
func (d *decoder) data(field string, known bool, want int) ([]byte, error) {
	if _, err := d.peek(field, "binary", msgpcode.IsBin); err != nil {
		return nil, err
	}
	n, err := d.d.DecodeBytesLen()
	if err != nil {
		return nil, d.wrap(field, err)
	}
	if known && n != want {
		return nil, fieldErr(field, "%d bytes, shape and dtype need %d", n, want)
	}
	if n > 4*MaxTensorElements {
		return nil, fieldErr(field, "%d bytes, limit %d", n, 4*MaxTensorElements)
	}
	return d.raw(field, n)
}
