//go:build !(js && wasm)

package main

import (
	"encoding/json"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"easel/faces"
	"easel/internal/imagefile"
)

// TestFacesCommand: easel faces writes the grid of faces seed·n … and their labels, and
// refuses bad arguments without writing anything.
func TestFacesCommand(t *testing.T) {
	dir := t.TempDir()
	out, labels := filepath.Join(dir, "grid.png"), filepath.Join(dir, "labels.json")
	mustEasel(t, "faces", "--n", "4", "--seed", "3", "--out", out, "--labels", labels)
	got, err := imagefile.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	// 4 faces: 2×2 cells of 64 with 2-pixel padding.
	if b := got.Bounds(); b.Dx() != 2*66+2 || b.Dy() != 2*66+2 {
		t.Fatalf("grid %v, want 134×134", b)
	}
	for i := range 4 {
		want := faces.Render(faces.At(uint64(12+i)), 64)
		at := image.Pt(2+(i%2)*66, 2+(i/2)*66)
		for y := range 64 {
			for x := range 64 {
				p, q := got.PixOffset(at.X+x, at.Y+y), want.PixOffset(x, y)
				if string(got.Pix[p:p+4]) != string(want.Pix[q:q+4]) {
					t.Fatalf("cell %d pixel (%d,%d) = %v, want face %d's %v", i, x, y, got.Pix[p:p+4], 12+i, want.Pix[q:q+4])
				}
			}
		}
	}
	b, err := os.ReadFile(labels)
	if err != nil {
		t.Fatal(err)
	}
	var recs []struct {
		K          uint64
		Labels     map[string]bool
		Attributes faces.Attributes
	}
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatalf("labels: %v", err)
	}
	if len(recs) != 4 {
		t.Fatalf("labels: %d faces, want 4", len(recs))
	}
	for i, r := range recs {
		a := faces.At(uint64(12 + i))
		if r.K != uint64(12+i) || r.Attributes != a {
			t.Errorf("labels[%d]: face %d with %+v, want face %d", i, r.K, r.Attributes, 12+i)
		}
		for j, name := range faces.LabelNames {
			if v, ok := r.Labels[name]; !ok || v != faces.Labels(a)[j] {
				t.Errorf("labels[%d].%s = %v (present %v), want %v", i, name, v, ok, faces.Labels(a)[j])
			}
		}
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--n", "0"}, "--n 0"},
		{[]string{"--n", "5000"}, "--n 5000"},
		{[]string{"--size", "4"}, "--size 4"},
		{[]string{"--n", "2", "--seed", "18446744073709551615"}, "overflows"},
		{[]string{"--labels", filepath.Join(dir, "bad.png")}, "bad.png"},
	} {
		bad := filepath.Join(dir, "bad.png")
		_, _, err := runEasel(t, append([]string{"faces", "--out", bad}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("easel faces %v: error %v, want one with %q", c.args, err, c.want)
		}
		if _, err := os.Stat(bad); err == nil {
			t.Errorf("easel faces %v wrote %s", c.args, bad)
		}
	}
}
