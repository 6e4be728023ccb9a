//go:build !(js && wasm)

package models

import (
	"fmt"

	"easel/faces"
)

// FacesN is the number of images of the "faces" data set: faces.At(0) … faces.At(FacesN-1).
const FacesN = 200000

// Sides a "faces" image may have: small enough to hold a face, at most a large portrait.
const (
	minFaceSide = 8
	maxFaceSide = 1024
)

// loadFaces is the "faces" data set: face k is faces.Render(faces.At(k), size), rendered
// when a batch asks for it (nothing is held in memory), gray for nc = 1; its attributes
// are faces.Labels.
func loadFaces(size, nc int) (*Dataset, error) {
	if size < minFaceSide || size > maxFaceSide {
		return nil, fmt.Errorf("data faces: size %d, want %d..%d", size, minFaceSide, maxFaceSide)
	}
	return &Dataset{
		N: FacesN, C: nc, H: size, W: size,
		Render: func(dst []float32, k int) {
			writeImage(dst, faces.Render(faces.At(uint64(k)), size), nc)
		},
		AttrNames: faces.LabelNames,
		Attrs:     func(k int) []bool { return faces.Labels(faces.At(uint64(k))) },
		Source:    "faces",
	}, nil
}
