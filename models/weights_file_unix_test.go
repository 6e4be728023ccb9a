//go:build unix

package models

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// A write removes the temporary files that earlier writes to the same path left behind
// when killed (SIGKILL leaves an empty .NAME.tmp-NNN), but not one that a live writer
// holds (locked), nor files of other paths or other naming.
func TestWriteFileRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "w.msgpack")
	for _, name := range []string{".w.msgpack.tmp-123", ".w.msgpack.tmp-4294967295", ".w.msgpack.tmp-abc",
		".other.msgpack.tmp-1", "w.msgpack.tmp-7", ".w.msgpack.tmp-"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	live, err := os.OpenFile(filepath.Join(dir, ".w.msgpack.tmp-555"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := syscall.Flock(int(live.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, sampleWeights("dcgan-g", F32, 1)); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, dir, ".other.msgpack.tmp-1", ".w.msgpack.tmp-", ".w.msgpack.tmp-555", ".w.msgpack.tmp-abc", "w.msgpack", "w.msgpack.tmp-7")
}
