//go:build unix

package tmpfile

import (
	"errors"
	"os"
	"syscall"
)

// renameOpen: an open file can be renamed.
const renameOpen = true

// lock takes f's exclusive lock, waiting for a RemoveStale that holds it, and reports
// whether f is still linked (a RemoveStale may have removed it first).
func lock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EINTR) {
			return false, err
		}
	}
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Nlink > 0, nil
}

// removeIfStale removes the file name if no process holds its lock.
func removeIfStale(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return false // a live writer's, or the lock is not to be had
	}
	return os.Remove(name) == nil
}
