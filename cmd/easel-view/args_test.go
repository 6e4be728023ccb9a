package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := parseArgs([]string{"--model", "g.msgpack", "--poll", "250ms", "--seed", "7", dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.dir != dir || o.model != "g.msgpack" || o.poll != 250*time.Millisecond || o.seed != 7 || o.screenshot != "" {
		t.Errorf("parsed %+v", o)
	}
	o, err = parseArgs([]string{dir, "--screenshot", "s.png", "--frames", "3"}, nil)
	if err != nil || o.screenshot != "s.png" || o.frames != 3 || o.poll != time.Second || o.seed != 1 {
		t.Errorf("parsed %+v, %v", o, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no run folder"},
		{[]string{dir, dir}, "one run folder, not 2"},
		{[]string{filepath.Join(dir, "none")}, "no such file"},
		{[]string{file}, "not a folder"},
		{[]string{"--poll", "1ms", dir}, "--poll 1ms: want at least 100ms"},
		{[]string{"--screenshot", "s.png", dir}, "go together"},
		{[]string{"--frames", "2", dir}, "go together"},
		{[]string{"--frames", "-2", "--screenshot", "s.png", dir}, "want at least 1"},
		{[]string{"--bogus", dir}, "unknown flag: --bogus"},
	} {
		if _, err := parseArgs(tc.args, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseArgs(%q) = %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	var out bytes.Buffer
	if _, err := parseArgs([]string{"--help"}, &out); !errors.Is(err, errHelp) ||
		!strings.Contains(out.String(), "usage: easel-view") || !strings.Contains(out.String(), "--model") ||
		strings.Contains(out.String(), "--screenshot") {
		t.Errorf("--help: %v; printed:\n%s", err, out.String())
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want []string
	}{
		{"no samples yet: easel train writes them", 16, []string{"no samples yet:", "easel train", "writes them"}},
		{"a /very/long/path/without/spaces b", 10, []string{"a", "/very/long", "/path/with", "out/spaces", "b"}},
		{"two\nlines", 20, []string{"two", "lines"}},
		{"", 5, nil},
	} {
		got := wrap(tc.s, tc.n)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
		for _, l := range got {
			if len([]rune(l)) > tc.n {
				t.Errorf("wrap(%q, %d): line %q too long", tc.s, tc.n, l)
			}
		}
	}
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"/runs/faces", 20, "/runs/faces"},
		{"/home/someone/runs/faces", 12, "...uns/faces"},
		{"abcdef", 2, "ef"},
	} {
		if got := clip(tc.s, tc.n); got != tc.want || len([]rune(got)) > tc.n {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
