package models

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
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

// WriteFile writes w to path atomically: it encodes into a temporary file in the same
// directory, syncs it and renames it over path. On any error the temporary file is removed
// and an existing file at path is left as it was.
func WriteFile(path string, w *Weights) (err error) {
	if err := w.Validate(); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := Encode(tmp, w); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
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
