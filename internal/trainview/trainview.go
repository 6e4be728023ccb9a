// Package trainview shows a training run as it goes: a progress line with the latest
// losses (Progress), loss curves drawn from a run's JSON-lines log (PlotLog), and grids of
// sample images (Grid, GridNCHW, WritePNG). Files are written atomically.
package trainview

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"easel/internal/tmpfile"
)

// WritePNG writes img to path as a PNG, atomically: a reader sees the old file or the
// whole new one, never a part.
func WritePNG(path string, img image.Image) error {
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// writeAtomic writes a file through write into a temporary file in path's directory,
// syncs it and renames it over path. On any error the temporary file is removed and an
// existing file at path is left as it was.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
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
	// Make the rename durable too; best effort, as not every platform syncs a directory.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
