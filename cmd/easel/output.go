package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"easel/internal/tmpfile"
)

// outputFile is an output that appears complete or not at all: it is written into a
// temporary file next to its destination, which Commit renames over the destination and
// Abort (or a failed Commit) removes; so does an interrupt (Ctrl-C, SIGTERM) meanwhile, and
// the next write to the destination after a SIGKILL (tmpfile). It is created before the
// work, so that an unwritable destination fails at once.
type outputFile struct {
	path string
	tmp  *os.File
	sig  chan os.Signal
}

// createOutput checks path's extension against exts (e.g. ".png", ".npy"; none: any) and
// creates the temporary file.
func createOutput(path string, exts ...string) (*outputFile, error) {
	if path == "" {
		return nil, errors.New("no output file given (--out)")
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("output %s is a directory", path)
	}
	if ext := strings.ToLower(filepath.Ext(path)); len(exts) > 0 && !slices.Contains(exts, ext) {
		return nil, fmt.Errorf("output %s: unsupported format %q; want %s", path, ext, strings.Join(exts, " or "))
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("output %s: directory %s: %w", path, dir, unwrapPath(err))
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("output %s: %s is not a directory", path, dir)
	}
	tmp, err := tmpfile.Create(path) // removes what killed runs left, too
	if err != nil {
		return nil, fmt.Errorf("output %s: cannot create a file in %s: %w", path, dir, unwrapPath(err))
	}
	o := &outputFile{path: path, tmp: tmp, sig: make(chan os.Signal, 1)}
	signal.Notify(o.sig, os.Interrupt, syscall.SIGTERM)
	go func(name string, sig <-chan os.Signal) {
		if _, ok := <-sig; ok {
			os.Remove(name)
			fmt.Fprintln(os.Stderr, "easel: interrupted; no output written")
			os.Exit(130)
		}
	}(tmp.Name(), o.sig)
	return o, nil
}

// refuseInput fails when out is one of the inputs: the same path, or the same file
// through a hard or symbolic link. Writing it would replace the user's original.
func refuseInput(out string, inputs ...string) error {
	oi, err := os.Stat(out)
	if err != nil {
		return nil // no file there yet, so no input either
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		if ii, err := os.Stat(in); err == nil && os.SameFile(oi, ii) {
			if filepath.Clean(in) == filepath.Clean(out) {
				return fmt.Errorf("output %s is the input: choose another --out, the input would be lost", out)
			}
			return fmt.Errorf("output %s is the input %s (the same file through a link): choose another --out, the input would be lost", out, in)
		}
	}
	return nil
}

// stopSignals ends the interrupt watch, restoring the default action.
func (o *outputFile) stopSignals() {
	signal.Stop(o.sig)
	close(o.sig)
}

// unwrapPath drops the path of a *fs.PathError, which would name the temporary file.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// Commit writes the content through write, syncs it and renames it into place.
func (o *outputFile) Commit(write func(w io.Writer) error) (err error) {
	defer func() {
		if err != nil {
			o.Abort()
		}
	}()
	bw := bufio.NewWriterSize(o.tmp, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", o.path, unwrapPath(err))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", o.path, unwrapPath(err))
	}
	if err := o.tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("write %s: %w", o.path, unwrapPath(err))
	}
	if err := o.tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", o.path, unwrapPath(err))
	}
	if err := tmpfile.Rename(o.tmp, o.path); err != nil {
		return fmt.Errorf("write %s: %w", o.path, err)
	}
	o.tmp = nil
	o.stopSignals()
	return nil
}

// Abort removes the temporary file; after a Commit it does nothing.
func (o *outputFile) Abort() {
	if o == nil || o.tmp == nil {
		return
	}
	o.tmp.Close()
	os.Remove(o.tmp.Name())
	o.tmp = nil
	o.stopSignals()
}
