package models

import (
	"bufio"
	"fmt"
	"io"
	"os"

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

// writeAtomic is tmpfile.Write: a crash or error leaves any earlier file at path intact.
func writeAtomic(path string, write func(io.Writer) error) error { return tmpfile.Write(path, write) }
