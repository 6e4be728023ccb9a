// Package tmpfile makes the temporary files of Easel's atomic writes: ".NAME.tmp-NNN" next
// to the destination NAME, written, synced and renamed over it. A writer killed by SIGKILL
// cannot remove its temporary file; so each new write to a path first removes the
// temporary files of that path whose writer is gone. A writer holds an exclusive lock
// (flock) on its temporary file while it is open, which the system drops when the process
// ends, however it ends: an unlocked temporary file is stale.
package tmpfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Create removes the stale temporary files of path (RemoveStale) and creates a new one in
// path's directory, locked until it is closed.
func Create(path string) (*os.File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	RemoveStale(path)
	for range 10 {
		f, err := os.CreateTemp(dir, prefix(base)+"*")
		if err != nil {
			return nil, err
		}
		// Another writer's RemoveStale may have taken the new file for stale between its
		// creation and the lock: then it is gone, and another is made.
		if ok, err := lock(f); err != nil || !ok {
			f.Close()
			if err != nil {
				os.Remove(f.Name())
				return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
			}
			continue
		}
		return f, nil
	}
	return nil, fmt.Errorf("create a temporary file for %s: removed by other writers ten times", path)
}

// prefix is the start of the temporary files' names of the destination base.
func prefix(base string) string { return "." + base + ".tmp-" }

// IsTemp reports whether name (a file name, no directory) is a temporary file of the
// destination base: ".BASE.tmp-" and the decimal digits os.CreateTemp puts for "*".
func IsTemp(name, base string) bool {
	digits, ok := strings.CutPrefix(name, prefix(base))
	if !ok || digits == "" {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// RemoveStale removes the temporary files of path that no live writer holds, and returns
// their names. It does its best: a file it cannot open, lock or remove stays.
func RemoveStale(path string) []string {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !IsTemp(e.Name(), base) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		if removeIfStale(name) {
			removed = append(removed, name)
		}
	}
	return removed
}

// Rename renames f, made by Create, over path and closes it. Where open files can be
// renamed (unix), the rename comes first, so that f stays locked until it has its final
// name and no RemoveStale can take it for stale in between.
func Rename(f *os.File, path string) error {
	if renameOpen {
		if err := os.Rename(f.Name(), path); err != nil {
			return err
		}
		return f.Close()
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// Write writes a file through write into a temporary file in path's directory,
// syncs it and renames it over path. On any error the temporary file is removed and an
// existing file at path is left as it was. The temporary files that earlier writes to
// path left when killed are removed first (Create).
func Write(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename durable too. Best effort: the file is complete either way, and not
	// every platform can sync a directory.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
