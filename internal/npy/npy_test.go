package npy_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"

	"easel/internal/npy"
)

// Our files read back with npyio (an independent reader) and with ours, for shapes of
// every rank and a header long enough for format 2.0.
func TestWriteReadRoundTrip(t *testing.T) {
	long := make([]int, 32)
	for i := range long {
		long[i] = 1
	}
	long[0] = 3
	for _, shape := range [][]int{{}, {5}, {2, 3}, {1, 3, 5, 7}, {2, 0, 4}, long} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i)*0.25 - 1
		}
		var buf bytes.Buffer
		if err := npy.WriteFloat32(&buf, shape, data); err != nil {
			t.Fatalf("%v: %v", shape, err)
		}
		if off := buf.Len() - 4*n; off%64 != 0 {
			t.Errorf("%v: data starts at byte %d, not a multiple of 64", shape, off)
		}
		r, err := npyio.NewReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%v: npyio: %v", shape, err)
		}
		var theirs []float32
		if n > 0 {
			if err := r.Read(&theirs); err != nil {
				t.Fatalf("%v: npyio: %v", shape, err)
			}
		}
		if !slices.Equal(r.Header.Descr.Shape, shape) && !(len(shape) == 0 && r.Header.Descr.Shape == nil) || !slices.Equal(theirs, data) && n > 0 {
			t.Errorf("%v: npyio reads shape %v, data %v", shape, r.Header.Descr.Shape, theirs)
		}
		gotShape, got, err := npy.ReadFloat32(bytes.NewReader(buf.Bytes()), 1<<20)
		if err != nil {
			t.Fatalf("%v: %v", shape, err)
		}
		if !slices.Equal(gotShape, shape) || !slices.Equal(got, data) {
			t.Errorf("%v: read back shape %v, data %v", shape, gotShape, got)
		}
	}
}

// NumPy's own files (the PyTorch golden fixtures) read.
func TestReadNumPyFile(t *testing.T) {
	f, err := os.Open("../../models/testdata/golden/dcgan_g_z.npy")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shape, data, err := npy.ReadFloat32(f, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(shape, []int{3, 16, 1, 1}) || len(data) != 48 {
		t.Errorf("shape %v, %d values", shape, len(data))
	}
}

func file(major byte, header string, data []byte) []byte {
	b := append([]byte("\x93NUMPY"), major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	return append(append(b, header...), data...)
}

func TestReadErrors(t *testing.T) {
	f4 := func(shape string) string {
		return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n"
	}
	eight := make([]byte, 8)
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"no magic", []byte("PK\x03\x04 a zip file, maybe .npz"), "no .npy magic"},
		{"version", file(4, f4("(2,)"), eight), "version 4.0"},
		{"header without newline", file(1, "abcdefghij", nil), "not a dict"},
		{"truncated header", file(1, f4("(2,)"), nil)[:20], "header truncated"},
		{"huge header", append([]byte("\x93NUMPY\x02\x00"), 0xff, 0xff, 0xff, 0x7f), "limit"},
		{"keys reordered ok but unknown key", file(1, "{'shape': (2,), 'descr': '<f4', 'fortran_order': False, 'x': 1}\n", eight), "unknown key"},
		{"missing shape", file(1, "{'descr': '<f4', 'fortran_order': False}\n", eight), "lacks \"shape\""},
		{"float64", file(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", make([]byte, 16)), "float64"},
		{"fortran", file(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", make([]byte, 16)), "Fortran"},
		{"negative dim", file(1, f4("(-2,)"), eight), "non-negative"},
		{"bad tuple", file(1, f4("(2 3)"), eight), "malformed shape"},
		{"too many elements", file(1, f4("(100000, 100000)"), eight), "more than"},
		{"truncated data", file(1, f4("(3,)"), eight), "truncated: 8 of 12"},
		{"trailing data", file(1, f4("(1,)"), eight), "longer than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := npy.ReadFloat32(bytes.NewReader(c.file), 1<<20)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	// Well-formed variants NumPy writes or accepts.
	for _, h := range []string{
		"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
		"{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 2), }          \n",
		"{'fortran_order': False, 'shape': (2,), 'descr': '>f4', }\n",
	} {
		if _, _, err := npy.ReadFloat32(bytes.NewReader(file(1, h, eight)), 8); err != nil {
			t.Errorf("%q: %v", h, err)
		}
	}
	var fe error = npy.ErrFormat
	if _, _, err := npy.ReadFloat32(bytes.NewReader(nil), 1); !errors.Is(err, fe) {
		t.Errorf("error %v is not ErrFormat", err)
	}
}

func FuzzReadFloat32(f *testing.F) {
	var buf bytes.Buffer
	npy.WriteFloat32(&buf, []int{2, 3}, make([]float32, 6))
	f.Add(buf.Bytes())
	f.Add(file(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", make([]byte, 8)))
	f.Fuzz(func(t *testing.T, b []byte) {
		shape, data, err := npy.ReadFloat32(bytes.NewReader(b), 1<<16)
		if err != nil {
			return
		}
		n := 1
		for _, d := range shape {
			n *= d
		}
		if n != len(data) {
			t.Fatalf("shape %v with %d values", shape, len(data))
		}
	})
}
