package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"easel/internal/npy"
	"easel/models"
)

// modelsDirEnv names the directory where --model NAME also finds NAME.msgpack, and which
// easel models lists.
const modelsDirEnv = "EASEL_MODELS"

// Default models of the commands: embedded, so that they work out of the box. easel bench
// stylize times the standard TransformerNet (fast_neural_style's widths, untrained: timings
// do not depend on the weights); easel stylize paints with a trained style.
const (
	defaultStyleModel      = "starry-night"
	defaultStyleBenchModel = models.ArchTransformerNet
	defaultSampleModel     = "dcgan-faces"
)

// loadModel loads the weights --model names and checks that the command can run them.
func loadModel(cmd *cobra.Command, name string, archs ...string) (*models.Weights, error) {
	w, err := models.LoadModel(name, os.Getenv(modelsDirEnv))
	if err != nil {
		return nil, err
	}
	if !slices.Contains(archs, w.Arch) {
		hint := ""
		switch w.Arch {
		case models.ArchTransformerNet, models.ArchTransformerNetLight:
			hint = "; easel stylize runs it"
		case models.ArchDCGANGenerator, models.ArchCGANGenerator, models.ArchInfoGANGenerator:
			hint = "; easel sample runs it"
		}
		return nil, fmt.Errorf("model %s is a %s network, but %s needs %s%s",
			name, w.Arch, cmd.CommandPath(), strings.Join(archs, " or "), hint)
	}
	noteUntrained(cmd.ErrOrStderr(), name, w)
	return w, nil
}

// noteUntrained says on stderr that a model is untrained, so nobody mistakes its output
// for the real thing.
func noteUntrained(w io.Writer, name string, m *models.Weights) {
	if m.Meta.Trained {
		return
	}
	what := "its output is meaningless"
	switch m.Arch {
	case models.ArchTransformerNet, models.ArchTransformerNetLight:
		what = "output is not a real stylization"
	case models.ArchDCGANGenerator, models.ArchCGANGenerator, models.ArchInfoGANGenerator:
		what = "samples are meaningless, not real images"
	case models.ArchVGG16, models.ArchVGG19:
		what = "its features are those of random convolutions, not of a trained VGG"
	}
	fmt.Fprintf(w, "note: model %s is untrained: %s\n", name, what)
}

// readNpy reads a float32 .npy file of at most maxElements values.
func readNpy(what, path string, maxElements int) ([]int, []float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	shape, data, err := npy.ReadFloat32(f, maxElements)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return shape, data, nil
}

// checkFinite refuses a NaN or ±Inf in x, the data of an .npy of shape shape read as what
// from path, naming the first one's flat position and index.
func checkFinite(what, path string, shape []int, x []float32) error {
	for i, v := range x {
		if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
			continue
		}
		idx := make([]int, len(shape))
		for j, rest := len(shape)-1, i; j >= 0; j-- {
			if shape[j] > 0 {
				idx[j], rest = rest%shape[j], rest/shape[j]
			}
		}
		return fmt.Errorf("%s %s: element %d (index %v) is %v; want finite values", what, path, i, idx, v)
	}
	return nil
}

// paramCount is the number of values in w's tensors.
func paramCount(w *models.Weights) int {
	n := 0
	for i := range w.Tensors {
		n += w.Tensors[i].NumElements()
	}
	return n
}
