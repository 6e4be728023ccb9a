package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"path/filepath"

	"github.com/spf13/cobra"

	"easel/faces"
	"easel/models"
)

// Bounds of one faces run.
const (
	maxFaces    = 1024
	maxFaceSize = 1024
)

func facesCmd() *cobra.Command {
	var out, labels string
	var n, size int
	var seed uint64
	cmd := &cobra.Command{
		Use:   "faces --n N --seed S --out GRID.png [--labels LABELS.json]",
		Short: "Render faces of the procedural faces data set as a grid",
		Long: fmt.Sprintf(`Render faces of Easel's procedural faces data set (easel train dcgan --data faces).

The faces are k = S·N … S·N+N-1 of the set (the training set is k < %d; faces beyond it
are as good as a held-out set), each --size pixels square, laid out as a grid PNG
(⌈√N⌉ columns, 2-pixel black padding). N is at most %d.

--labels writes each face's number, binary labels and full attributes as JSON.`, models.FacesN, maxFaces),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return renderFaces(cmd, n, seed, size, out, labels)
		},
	}
	cmd.Flags().IntVar(&n, "n", 64, "number of faces")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "which N faces: k from seed·N")
	cmd.Flags().IntVar(&size, "size", 64, "side of each face in pixels")
	cmd.Flags().StringVar(&out, "out", "", "output: .png grid")
	cmd.Flags().StringVar(&labels, "labels", "", "also write the faces' labels and attributes: .json")
	cmd.MarkFlagRequired("out")
	return cmd
}

// faceRecord is one face in the --labels file.
type faceRecord struct {
	K          uint64           `json:"k"`
	Labels     map[string]bool  `json:"labels"`
	Attributes faces.Attributes `json:"attributes"`
}

func renderFaces(cmd *cobra.Command, n int, seed uint64, size int, out, labels string) error {
	if n < 1 || n > maxFaces {
		return fmt.Errorf("--n %d: want 1..%d", n, maxFaces)
	}
	if size < 8 || size > maxFaceSize {
		return fmt.Errorf("--size %d: want 8..%d", size, maxFaceSize)
	}
	if seed > (math.MaxUint64-uint64(n))/uint64(n) {
		return fmt.Errorf("--seed %d: seed·n overflows; want at most %d for --n %d", seed, (math.MaxUint64-uint64(n))/uint64(n), n)
	}
	if labels != "" && filepath.Clean(labels) == filepath.Clean(out) {
		return fmt.Errorf("--labels %s is --out: give two files", labels)
	}
	o, err := createOutput(out, ".png")
	if err != nil {
		return err
	}
	defer o.Abort()
	var lo *outputFile
	if labels != "" {
		if lo, err = createOutput(labels, ".json"); err != nil {
			return fmt.Errorf("--labels: %w", err)
		}
		defer lo.Abort()
	}
	ims := make([]image.Image, n)
	recs := make([]faceRecord, n)
	for i := range n {
		k := seed*uint64(n) + uint64(i)
		a := faces.At(k)
		ims[i] = faces.Render(a, size)
		rec := faceRecord{K: k, Labels: map[string]bool{}, Attributes: a}
		for j, v := range faces.Labels(a) {
			rec.Labels[faces.LabelNames[j]] = v
		}
		recs[i] = rec
	}
	if err := o.Commit(func(w io.Writer) error { return png.Encode(w, grid(ims)) }); err != nil {
		return err
	}
	if lo != nil {
		err := lo.Commit(func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(recs)
		})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: faces %d..%d of %d×%d\n", out, seed*uint64(n), seed*uint64(n)+uint64(n)-1, size, size)
	return nil
}
