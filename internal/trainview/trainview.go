// Package trainview shows a training run as it goes: a progress line with the latest
// losses (Progress), loss curves drawn from a run's JSON-lines log (PlotLog), and grids of
// sample images (Grid, GridNCHW, WritePNG). Files are written atomically.
package trainview

import (
	"image"
	"image/png"
	"io"

	"easel/internal/tmpfile"
)

// WritePNG writes img to path as a PNG, atomically: a reader sees the old file or the
// whole new one, never a part.
func WritePNG(path string, img image.Image) error {
	return writeAtomic(path, func(w io.Writer) error { return png.Encode(w, img) })
}

// writeAtomic is tmpfile.Write: a crash or error leaves any earlier file at path intact.
func writeAtomic(path string, write func(io.Writer) error) error { return tmpfile.Write(path, write) }
