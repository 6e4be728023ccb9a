//go:build !unix

package tmpfile

import (
	"os"
	"time"
)

// renameOpen: an open file cannot be renamed everywhere (Windows).
const renameOpen = false

// lock has no file locks to take here.
func lock(f *os.File) (bool, error) { return true, nil }

// staleAge is how old a temporary file must be to count as stale where there are no
// file locks to tell a live writer's.
const staleAge = 24 * time.Hour

// removeIfStale removes the file name if it was last written staleAge ago.
func removeIfStale(name string) bool {
	fi, err := os.Stat(name)
	if err != nil || time.Since(fi.ModTime()) < staleAge {
		return false
	}
	return os.Remove(name) == nil
}
