package models

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// FormatName and FormatVersion identify the weights files this package reads and writes
// (docs/WEIGHTS.md).
const (
	FormatName    = "easel-weights"
	FormatVersion = 1
)

// Limits every weights file keeps. The reader checks them before it allocates, so a small
// corrupt or hostile file cannot make it allocate much more than its own size.
const (
	MaxTensorElements = 1 << 28 // per tensor
	MaxFileElements   = 1 << 30 // all tensors of one file together
	MaxTensors        = 1 << 16
	MaxRank           = 8
	MaxNameLen        = 256     // arch, tensor names, config keys
	MaxTextLen        = 1 << 16 // meta strings, config string values
	MaxConfigEntries  = 1024
	MaxChannels       = 64 // length of io mean/std

	// DefaultLimit is the byte limit Decode applies when given none: every element as f32
	// plus 64 MiB for everything else.
	DefaultLimit int64 = 4*MaxFileElements + 64<<20
)

// Sentinel errors, wrapped by the errors of Decode, Validate, Expect and Tensor.
var (
	ErrMissingTensor    = errors.New("missing tensor")
	ErrUnexpectedTensor = errors.New("unexpected tensor")
	ErrShapeMismatch    = errors.New("shape mismatch")
	ErrTruncated        = errors.New("truncated file")
	ErrTooLarge         = errors.New("input exceeds the size limit")
)

// FieldError reports a weights file, or a Weights value, that breaks the format. Field is
// the path of the offending field, e.g. "version", "config.nz", "io.input.min",
// "tensors[3].shape"; "file" is the file as a whole (trailing bytes, size limit).
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return "weights: " + e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// DType is how a tensor's values are stored in a file. In memory they are always float32.
type DType uint8

const (
	F32 DType = iota // IEEE 754 binary32, the default
	F16              // IEEE 754 binary16, half the size; values must lie within ±65504
)

func (d DType) String() string {
	switch d {
	case F32:
		return "f32"
	case F16:
		return "f16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

func (d DType) size() int {
	if d == F16 {
		return 2
	}
	return 4
}

func parseDType(s string) (DType, bool) {
	switch s {
	case "f32":
		return F32, true
	case "f16":
		return F16, true
	}
	return 0, false
}

// Tensor is one named array of a network, row-major (PyTorch's contiguous layout).
type Tensor struct {
	Name  string // PyTorch state_dict name, e.g. "conv1.conv2d.weight"
	Shape []int
	Data  []float32 // len(Data) is the product of Shape
	DType DType     // how Encode stores it; Decode sets the file's dtype
}

// NumElements is the product of the shape (1 for a scalar of shape []).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Signal kinds of IOSpec.
const (
	SignalRGB         = "rgb"         // image, NCHW, 3 channels R, G, B
	SignalGray        = "gray"        // image, NCHW, 1 channel (e.g. Fashion-MNIST)
	SignalLatent      = "latent"      // GAN noise z, NCHW [N, nz, 1, 1], standard normal
	SignalProbability = "probability" // a sigmoid output in 0..1
	SignalLogit       = "logit"       // a pre-sigmoid score
	SignalFeatures    = "features"    // activations, e.g. VGG feature maps
)

var signalKinds = []string{SignalRGB, SignalGray, SignalLatent, SignalProbability, SignalLogit, SignalFeatures}

// Signal states the value convention of a network input or output.
type Signal struct {
	Kind string
	// Min and Max are the nominal range (rgb 0..255 for TransformerNet, -1..1 for DCGAN);
	// both zero means none is stated. Outputs may overshoot it: callers clamp.
	Min, Max float64
	// Mean and Std, when set, are the per-channel normalisation the caller applies before
	// the network, (x - Mean[c]) / Std[c], as torchvision's VGG expects.
	Mean, Std []float64
}

// IOSpec holds the conventions of a network's input and output tensors.
type IOSpec struct {
	Input, Output Signal
}

// Meta describes where a weights file came from.
type Meta struct {
	Name            string // required, e.g. "mosaic"
	Description     string
	License         string // required, SPDX identifier where one fits, e.g. "BSD-3-Clause"
	Source          string // required: the origin, e.g. "pytorch/examples fast_neural_style"
	Trained         bool   // required: false for random initialisation (tests, demos)
	TrainingCommand string
	Steps           int64  // optimiser steps taken, 0 if unknown or untrained
	Date            string // RFC 3339 date ("2026-11-20") or date-time
}

// Config holds architecture hyperparameters (widths, blocks, nz, ...). Values are int,
// float64, string or bool; the accessors name the key in their errors.
type Config map[string]any

func (c Config) lookup(key string) (any, error) {
	v, ok := c[key]
	if !ok {
		return nil, fieldErr("config."+key, "missing")
	}
	return v, nil
}

// Int returns an integer hyperparameter.
func (c Config) Int(key string) (int, error) {
	v, err := c.lookup(key)
	if err != nil {
		return 0, err
	}
	switch n := v.(type) {
	case int:
		return n, nil
	case int64:
		if int64(int(n)) != n {
			return 0, fieldErr("config."+key, "%d overflows int", n)
		}
		return int(n), nil
	case int32:
		return int(n), nil
	}
	return 0, fieldErr("config."+key, "is %T, want an integer", v)
}

// Float returns a real hyperparameter; an integer value is accepted.
func (c Config) Float(key string) (float64, error) {
	v, err := c.lookup(key)
	if err != nil {
		return 0, err
	}
	switch n := v.(type) {
	case float64:
		return n, nil
	case float32:
		return float64(n), nil
	case int:
		return float64(n), nil
	case int64:
		return float64(n), nil
	case int32:
		return float64(n), nil
	}
	return 0, fieldErr("config."+key, "is %T, want a number", v)
}

// Text returns a string hyperparameter.
func (c Config) Text(key string) (string, error) {
	v, err := c.lookup(key)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", fieldErr("config."+key, "is %T, want a string", v)
	}
	return s, nil
}

// Bool returns a boolean hyperparameter.
func (c Config) Bool(key string) (bool, error) {
	v, err := c.lookup(key)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fieldErr("config."+key, "is %T, want a bool", v)
	}
	return b, nil
}

// Weights is the content of one weights file.
type Weights struct {
	Arch    string
	Config  Config
	IO      IOSpec
	Meta    Meta
	Tensors []Tensor
}

// Tensor returns the tensor called name.
func (w *Weights) Tensor(name string) (*Tensor, error) {
	for i := range w.Tensors {
		if w.Tensors[i].Name == name {
			return &w.Tensors[i], nil
		}
	}
	return nil, fmt.Errorf("tensor %q: %w", name, ErrMissingTensor)
}

// Expect checks that the tensors are exactly the expected ones with the expected shapes.
// It reports every missing tensor, every unexpected one and every shape mismatch, sorted
// by name, joined into one error (errors.Is finds ErrMissingTensor, ErrUnexpectedTensor,
// ErrShapeMismatch).
func (w *Weights) Expect(shapes map[string][]int) error {
	var errs []error
	have := make(map[string]*Tensor, len(w.Tensors))
	for i := range w.Tensors {
		have[w.Tensors[i].Name] = &w.Tensors[i]
	}
	names := make([]string, 0, len(shapes)+len(have))
	for n := range shapes {
		names = append(names, n)
	}
	for n := range have {
		if _, ok := shapes[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		want, expected := shapes[n]
		t, present := have[n]
		switch {
		case !present:
			errs = append(errs, fmt.Errorf("tensor %q: %w (shape %v)", n, ErrMissingTensor, want))
		case !expected:
			errs = append(errs, fmt.Errorf("tensor %q: %w (shape %v)", n, ErrUnexpectedTensor, t.Shape))
		case !slices.Equal(t.Shape, want):
			errs = append(errs, fmt.Errorf("tensor %q: %w: shape %v, want %v", n, ErrShapeMismatch, t.Shape, want))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("weights (arch %s): %d tensor problem(s):\n%w", w.Arch, len(errs), errors.Join(errs...))
}

var archRegistry = struct {
	sync.RWMutex
	names map[string]bool
}{names: map[string]bool{
	"transformer-net":       true,
	"transformer-net-light": true,
	"dcgan-g":               true,
	"dcgan-d":               true,
	"cgan-g":                true,
	"cgan-d":                true,
	"infogan-g":             true,
	"infogan-d":             true,
	"latent-directions":     true,
	"vgg16":                 true,
	"vgg19":                 true,
	"mobilenetv2":           true,
	"classifier":            true,
}}

// RegisterArch adds an architecture name that weights files may carry. Registering a name
// twice is harmless. It panics on a name that is not a valid identifier, as it is meant
// for init functions.
func RegisterArch(name string) {
	if err := checkName(name); err != nil {
		panic("models.RegisterArch: " + err.Error())
	}
	archRegistry.Lock()
	archRegistry.names[name] = true
	archRegistry.Unlock()
}

// KnownArch reports whether name is a registered architecture.
func KnownArch(name string) bool {
	archRegistry.RLock()
	defer archRegistry.RUnlock()
	return archRegistry.names[name]
}

// KnownArchs lists the registered architectures, sorted.
func KnownArchs() []string {
	archRegistry.RLock()
	defer archRegistry.RUnlock()
	names := make([]string, 0, len(archRegistry.names))
	for n := range archRegistry.names {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// checkName accepts the names of archs, tensors and config keys: PyTorch state_dict names
// and the like, 1..MaxNameLen bytes of letters, digits, '_', '.', '-'.
func checkName(s string) error {
	if s == "" {
		return errors.New("empty name")
	}
	if len(s) > MaxNameLen {
		return fmt.Errorf("name of %d bytes, limit %d", len(s), MaxNameLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return fmt.Errorf("name %q: byte %q not allowed (letters, digits, '_', '.', '-')", s, c)
		}
	}
	return nil
}

func checkText(field, s string) error {
	if len(s) > MaxTextLen {
		return fieldErr(field, "%d bytes, limit %d", len(s), MaxTextLen)
	}
	if !utf8.ValidString(s) {
		return fieldErr(field, "not valid UTF-8")
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// Validate checks w against every rule of the format; Encode and Decode call it. The error
// is a *FieldError naming the first offending field.
func (w *Weights) Validate() error {
	if !KnownArch(w.Arch) {
		return fieldErr("arch", "unknown architecture %q (known: %s)", w.Arch, strings.Join(KnownArchs(), ", "))
	}
	if err := validateConfig(w.Config); err != nil {
		return err
	}
	if err := validateSignal("io.input", &w.IO.Input); err != nil {
		return err
	}
	if err := validateSignal("io.output", &w.IO.Output); err != nil {
		return err
	}
	if err := validateMeta(&w.Meta); err != nil {
		return err
	}
	return validateTensors(w.Tensors)
}

func validateConfig(c Config) error {
	if len(c) > MaxConfigEntries {
		return fieldErr("config", "%d entries, limit %d", len(c), MaxConfigEntries)
	}
	for k, v := range c {
		field := "config." + k
		if err := checkName(k); err != nil {
			return &FieldError{Field: "config", Err: fmt.Errorf("key: %w", err)}
		}
		switch x := v.(type) {
		case int, int32, int64, bool:
		case float64:
			if !finite(x) {
				return fieldErr(field, "%v is not finite", x)
			}
		case float32:
			if !finite(float64(x)) {
				return fieldErr(field, "%v is not finite", x)
			}
		case string:
			if err := checkText(field, x); err != nil {
				return err
			}
		default:
			return fieldErr(field, "value of type %T; want int, float, string or bool", v)
		}
	}
	return nil
}

func validateSignal(field string, s *Signal) error {
	if !slices.Contains(signalKinds, s.Kind) {
		return fieldErr(field+".kind", "unknown kind %q (known: %s)", s.Kind, strings.Join(signalKinds, ", "))
	}
	if !finite(s.Min) {
		return fieldErr(field+".min", "%v is not finite", s.Min)
	}
	if !finite(s.Max) {
		return fieldErr(field+".max", "%v is not finite", s.Max)
	}
	if !(s.Min < s.Max || s.Min == 0 && s.Max == 0) {
		return fieldErr(field+".max", "range [%v, %v] is empty", s.Min, s.Max)
	}
	if len(s.Mean) != len(s.Std) {
		return fieldErr(field+".std", "%d values, but mean has %d", len(s.Std), len(s.Mean))
	}
	if len(s.Mean) > MaxChannels {
		return fieldErr(field+".mean", "%d values, limit %d", len(s.Mean), MaxChannels)
	}
	for i, m := range s.Mean {
		if !finite(m) {
			return fieldErr(fmt.Sprintf("%s.mean[%d]", field, i), "%v is not finite", m)
		}
	}
	for i, sd := range s.Std {
		if !finite(sd) || sd <= 0 {
			return fieldErr(fmt.Sprintf("%s.std[%d]", field, i), "%v is not a positive finite number", sd)
		}
	}
	return nil
}

func validateMeta(m *Meta) error {
	for _, f := range []struct {
		field, value string
		required     bool
	}{
		{"meta.name", m.Name, true},
		{"meta.description", m.Description, false},
		{"meta.license", m.License, true},
		{"meta.source", m.Source, true},
		{"meta.training_command", m.TrainingCommand, false},
		{"meta.date", m.Date, false},
	} {
		if f.required && f.value == "" {
			return fieldErr(f.field, "missing")
		}
		if err := checkText(f.field, f.value); err != nil {
			return err
		}
	}
	if m.Steps < 0 {
		return fieldErr("meta.steps", "%d is negative", m.Steps)
	}
	if m.Date != "" {
		_, errDate := time.Parse(time.DateOnly, m.Date)
		_, errTime := time.Parse(time.RFC3339, m.Date)
		if errDate != nil && errTime != nil {
			return fieldErr("meta.date", "%q is not an RFC 3339 date or date-time", m.Date)
		}
	}
	return nil
}

// checkShape validates a shape and returns its element count; it never overflows.
func checkShape(field string, shape []int) (int, error) {
	if len(shape) > MaxRank {
		return 0, fieldErr(field, "rank %d, limit %d", len(shape), MaxRank)
	}
	n := 1
	for i, d := range shape {
		if d <= 0 {
			return 0, fieldErr(field, "dimension %d is %d; dimensions must be positive", i, d)
		}
		if d > MaxTensorElements || n > MaxTensorElements/d {
			return 0, fieldErr(field, "%v has more than %d elements", shape, MaxTensorElements)
		}
		n *= d
	}
	return n, nil
}

func validateTensors(ts []Tensor) error {
	if len(ts) == 0 {
		return fieldErr("tensors", "empty")
	}
	if len(ts) > MaxTensors {
		return fieldErr("tensors", "%d tensors, limit %d", len(ts), MaxTensors)
	}
	// Names, shapes and dtypes of all tensors first: the size limits come before any data.
	seen := make(map[string]int, len(ts))
	total := 0
	for i := range ts {
		t := &ts[i]
		field := fmt.Sprintf("tensors[%d]", i)
		if err := checkName(t.Name); err != nil {
			return &FieldError{Field: field + ".name", Err: err}
		}
		if j, dup := seen[t.Name]; dup {
			return fieldErr(field+".name", "duplicate tensor name %q (also tensors[%d])", t.Name, j)
		}
		seen[t.Name] = i
		n, err := checkShape(field+".shape", t.Shape)
		if err != nil {
			return err
		}
		total += n
		if total > MaxFileElements {
			return fieldErr(field+".shape", "the file's tensors exceed %d elements in all", MaxFileElements)
		}
		if t.DType != F32 && t.DType != F16 {
			return fieldErr(field+".dtype", "tensor %q: unknown dtype %v", t.Name, t.DType)
		}
	}
	for i := range ts {
		t := &ts[i]
		field := fmt.Sprintf("tensors[%d].data", i)
		if n := t.NumElements(); len(t.Data) != n {
			return fieldErr(field, "tensor %q: %d values, shape %v needs %d", t.Name, len(t.Data), t.Shape, n)
		}
		if err := checkValues(field, t); err != nil {
			return err
		}
	}
	return nil
}

// checkValues refuses non-finite values, values beyond f16 of an f16 tensor and a negative
// BatchNorm running variance (NAME.running_var), which the normalisation takes the square
// root of.
func checkValues(field string, t *Tensor) error {
	variance := strings.HasSuffix(t.Name, ".running_var")
	for j, v := range t.Data {
		if !finite(float64(v)) {
			return fieldErr(field, "tensor %q: element %d is %v", t.Name, j, v)
		}
		if variance && v < 0 {
			return fieldErr(field, "tensor %q: element %d is %v: a running variance cannot be negative", t.Name, j, v)
		}
		if t.DType == F16 && float32to16(v)&0x7fff == 0x7c00 {
			return fieldErr(field, "tensor %q: element %d (%v) is beyond the f16 range", t.Name, j, v)
		}
	}
	return nil
}
