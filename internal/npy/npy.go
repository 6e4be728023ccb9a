// Package npy reads and writes float32 arrays in NumPy's .npy format (C order), strictly:
// a malformed or hostile file gives an error naming what is wrong, never a panic, and no
// allocation larger than the caller's element limit.
//
// codeberg.org/sbinet/npyio reads .npy files too, but panics on some malformed headers
// and writes only one-dimensional shapes from a flat slice.
package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// MaxHeaderLen bounds the header dictionary; NumPy's own reader refuses more than 10000
// bytes by default.
const MaxHeaderLen = 1 << 16

var magic = []byte("\x93NUMPY")

// ErrFormat is wrapped by every error about a file that is not a valid .npy file.
var ErrFormat = errors.New("not a valid .npy file")

func formatErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))
}

// Header is what a .npy header states.
type Header struct {
	Descr   string // the dtype, e.g. "<f4"
	Fortran bool
	Shape   []int
}

// ReadHeader reads the magic, version and header of a .npy file, leaving r at the data.
func ReadHeader(r io.Reader) (Header, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return Header{}, formatErr("file too short for the .npy magic (%v)", err)
	}
	if string(pre[:6]) != string(magic) {
		return Header{}, formatErr("no .npy magic at the start")
	}
	var n int
	switch major := pre[6]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Header{}, formatErr("truncated header length")
		}
		n = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return Header{}, formatErr("truncated header length")
		}
		u := binary.LittleEndian.Uint32(b[:])
		if u > MaxHeaderLen {
			return Header{}, formatErr("header of %d bytes, limit %d", u, MaxHeaderLen)
		}
		n = int(u)
	default:
		return Header{}, formatErr("format version %d.%d, want 1.0, 2.0 or 3.0", major, pre[7])
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return Header{}, formatErr("header truncated (%d bytes stated)", n)
	}
	return parseHeader(string(buf))
}

// parseHeader parses the Python dict literal of the header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
func parseHeader(s string) (Header, error) {
	p := &parser{s: strings.TrimRight(s, " \n\x00")}
	var h Header
	seen := map[string]bool{}
	if !p.take('{') {
		return h, formatErr("header %q is not a dict", s)
	}
	for !p.take('}') {
		key, ok := p.str()
		if !ok || !p.take(':') {
			return h, formatErr("header %q: expected 'key': value", s)
		}
		if seen[key] {
			return h, formatErr("header: key %q twice", key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if h.Descr, ok = p.str(); !ok {
				return h, formatErr("header: descr is not a string")
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.Fortran = true
			case p.word("False"):
			default:
				return h, formatErr("header: fortran_order is not True or False")
			}
		case "shape":
			shape, err := p.tuple()
			if err != nil {
				return h, err
			}
			h.Shape = shape
		default:
			return h, formatErr("header: unknown key %q", key)
		}
		if !p.take(',') && !p.peek('}') {
			return h, formatErr("header %q: expected ',' or '}' after %s", s, key)
		}
	}
	if p.skip(); p.i != len(p.s) {
		return h, formatErr("header: %q after the dict", p.s[p.i:])
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, formatErr("header lacks %q", k)
		}
	}
	return h, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) skip() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *parser) peek(c byte) bool { p.skip(); return p.i < len(p.s) && p.s[p.i] == c }

func (p *parser) take(c byte) bool {
	if p.peek(c) {
		p.i++
		return true
	}
	return false
}

func (p *parser) word(w string) bool {
	p.skip()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *parser) str() (string, bool) {
	p.skip()
	if p.i >= len(p.s) || p.s[p.i] != '\'' && p.s[p.i] != '"' {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, true
}

func (p *parser) tuple() ([]int, error) {
	if !p.take('(') {
		return nil, formatErr("header: shape is not a tuple")
	}
	shape := []int{}
	for !p.take(')') {
		p.skip()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		d, err := strconv.Atoi(p.s[p.i:j])
		if err != nil || d > math.MaxInt32 {
			return nil, formatErr("header: shape dimension %q is not a non-negative integer", p.s[p.i:min(j+1, len(p.s))])
		}
		shape = append(shape, d)
		p.i = j
		if !p.take(',') && !p.peek(')') {
			return nil, formatErr("header: malformed shape tuple")
		}
		if len(shape) > 32 {
			return nil, formatErr("header: shape of more than 32 dimensions")
		}
	}
	return shape, nil
}

// dtypeNames describes the dtypes people most often save by mistake.
var dtypeNames = map[string]string{
	"<f8": "float64", "<f2": "float16", "<i8": "int64", "<i4": "int32", "|u1": "uint8", "|b1": "bool",
}

// ReadFloat32 reads a float32 array in C order of at most maxElements elements. The
// errors say what is wrong: not a .npy file, a dtype other than float32, Fortran order,
// too many elements, truncated or trailing data.
func ReadFloat32(r io.Reader, maxElements int) (shape []int, data []float32, err error) {
	h, err := ReadHeader(r)
	if err != nil {
		return nil, nil, err
	}
	var order binary.ByteOrder
	switch h.Descr {
	case "<f4":
		order = binary.LittleEndian
	case ">f4":
		order = binary.BigEndian
	default:
		name := dtypeNames[h.Descr]
		if name != "" {
			name = " (" + name + ")"
		}
		return nil, nil, fmt.Errorf("dtype %q%s, want float32 (\"<f4\"): convert with x.astype(np.float32)", h.Descr, name)
	}
	n := 1
	for _, d := range h.Shape {
		if d == 0 {
			n = 0
			break
		}
		if n > maxElements/d {
			return nil, nil, fmt.Errorf("shape %v has more than %d elements", h.Shape, maxElements)
		}
		n *= d
	}
	if n > maxElements {
		return nil, nil, fmt.Errorf("shape %v has more than %d elements", h.Shape, maxElements)
	}
	if h.Fortran && len(h.Shape) > 1 && n > 1 {
		return nil, nil, fmt.Errorf("array in Fortran order; save it in C order (np.ascontiguousarray)")
	}
	raw := make([]byte, 4*n)
	br := bufio.NewReader(r)
	if got, err := io.ReadFull(br, raw); err != nil {
		return nil, nil, formatErr("data truncated: %d of %d bytes for shape %v", got, len(raw), h.Shape)
	}
	if _, err := br.ReadByte(); err == nil {
		return nil, nil, formatErr("data longer than shape %v needs (%d bytes)", h.Shape, len(raw))
	}
	data = make([]float32, n)
	for i := range data {
		data[i] = math.Float32frombits(order.Uint32(raw[4*i:]))
	}
	return h.Shape, data, nil
}

// WriteFloat32 writes data as a float32 array of the given shape in C order (format 1.0,
// or 2.0 for a header too long for 1.0).
func WriteFloat32(w io.Writer, shape []int, data []float32) error {
	n := 1
	dims := make([]string, len(shape))
	for i, d := range shape {
		if d < 0 {
			return fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
		n *= d
		dims[i] = strconv.Itoa(d)
	}
	if n != len(data) {
		return fmt.Errorf("npy: %d values for shape %v (%d elements)", len(data), shape, n)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': " + tuple + ", }"
	major, lenSize := byte(1), 2
	if len(dict)+1+10 > math.MaxUint16 {
		major, lenSize = 2, 4
	}
	// NumPy pads the header with spaces and a newline so that the data starts at a
	// multiple of 64 bytes.
	pre := len(magic) + 2 + lenSize
	pad := 63 - (pre+len(dict))%64
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(magic)
	bw.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(bw, binary.LittleEndian, uint16(len(hdr)))
	} else {
		binary.Write(bw, binary.LittleEndian, uint32(len(hdr)))
	}
	bw.WriteString(hdr)
	var b [4]byte
	for _, v := range data {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
		bw.Write(b[:])
	}
	return bw.Flush()
}
