package models

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"easel/internal/tmpfile"
)

// ReadFile decodes the weights file at path (DefaultLimit applies).
func ReadFile(path string) (*Weights, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w, err := Decode(bufio.NewReaderSize(f, 1<<20), DefaultLimit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// WriteFile writes w to path atomically (see writeAtomic).
func WriteFile(path string, w *Weights) error {
	if err := w.Validate(); err != nil {
		return err
	}
	return writeAtomic(path, func(out io.Writer) error { return Encode(out, w) })
}

// WriteFileAtomic writes data to path as writeAtomic does.
func WriteFileAtomic(path string, data []byte) error {
	return writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeAtomic writes a file through write into a temporary file in path's directory,
// syncs it and renames it over path. On any error the temporary file is removed and an
// existing file at path is left as it was. The temporary files that earlier writes to
// path left when killed are removed first (tmpfile.Create).
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := tmpfile.Create(path)
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
	if err := tmpfile.Rename(tmp, path); err != nil {
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
