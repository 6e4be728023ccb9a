package models

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"easel/gpu"
)

// ArchClassifier is the architecture name of Easel's small image classifier: the network
// that reads the class and the attributes of generated images (a GAN's mode coverage, the
// features of a nearest-neighbour search, a face generator's attribute directions).
const ArchClassifier = "classifier"

// Bounds of classifier hyperparameters: far above any useful network, low enough that no
// shape computed from them overflows.
const (
	maxClassifierWidth    = 1024
	maxClassifierOutputs  = 4096 // classes + attrs
	maxClassifierChannels = 64
)

// classifierSlope is the LeakyReLU slope after every convolution.
const classifierSlope = 0.2

// classifierSide is the side of the last feature map, which the global average pool reads:
// the stride-2 blocks take a 32×32 input (three blocks) or a 64×64 one (four) down to it.
const classifierSide = 4

// ClassifierConfig holds the classifier's hyperparameters (config keys nc, size, width,
// classes, attrs): image channels and side (32 or 64), width w, the number of classes
// (softmax outputs; 0 for none) and of binary attributes (sigmoid outputs; 0 for none).
type ClassifierConfig struct {
	NC, Size, Width, Classes, Attrs int
	// AttrNames name the attributes (config attr_names, comma-separated), when known.
	AttrNames []string
}

// Config returns the weights-file config of c.
func (c ClassifierConfig) Config() Config {
	cfg := Config{"nc": c.NC, "size": c.Size, "width": c.Width, "classes": c.Classes, "attrs": c.Attrs}
	if len(c.AttrNames) > 0 {
		cfg["attr_names"] = strings.Join(c.AttrNames, ",")
	}
	return cfg
}

// Outputs is the number of logits per image: the classes, then the attributes.
func (c ClassifierConfig) Outputs() int { return c.Classes + c.Attrs }

// Features is the length of the feature vector the classifier's head reads: 4·width.
func (c ClassifierConfig) Features() int { return 4 * c.Width }

// Check refuses a config the network cannot be built from, naming the field.
func (c ClassifierConfig) Check() error {
	switch {
	case len(c.AttrNames) > 0 && len(c.AttrNames) != c.Attrs:
		return fmt.Errorf("%s: config.attr_names names %d attributes, config.attrs is %d", ArchClassifier, len(c.AttrNames), c.Attrs)
	case c.NC < 1 || c.NC > maxClassifierChannels:
		return fmt.Errorf("%s: config.nc is %d, want 1..%d", ArchClassifier, c.NC, maxClassifierChannels)
	case c.Size != 32 && c.Size != 64:
		return fmt.Errorf("%s: config.size is %d, want 32 or 64", ArchClassifier, c.Size)
	case c.Width < 1 || c.Width > maxClassifierWidth:
		return fmt.Errorf("%s: config.width is %d, want 1..%d", ArchClassifier, c.Width, maxClassifierWidth)
	case c.Classes < 0 || c.Classes == 1 || c.Classes > maxClassifierOutputs:
		return fmt.Errorf("%s: config.classes is %d, want 0 or 2..%d", ArchClassifier, c.Classes, maxClassifierOutputs)
	case c.Attrs < 0 || c.Attrs > maxClassifierOutputs:
		return fmt.Errorf("%s: config.attrs is %d, want 0..%d", ArchClassifier, c.Attrs, maxClassifierOutputs)
	case c.Outputs() < 1 || c.Outputs() > maxClassifierOutputs:
		return fmt.Errorf("%s: %d classes and %d attributes: want 1..%d outputs in all", ArchClassifier, c.Classes, c.Attrs, maxClassifierOutputs)
	}
	return nil
}

// classifierConv is one convolution of the classifier's features: its index in the
// nn.Sequential, channels, kernel, stride and padding. All but the first are followed by a
// BatchNorm2d at index+1 and have no bias; every one is followed by a LeakyReLU(0.2).
type classifierConv struct {
	idx, in, out, k, stride, pad int
}

func (l classifierConv) name() string { return fmt.Sprintf("features.%d", l.idx) }
func (l classifierConv) bn() string   { return fmt.Sprintf("features.%d", l.idx+1) }

// convs lists the convolutions: 3×3 stride 1 (nc→w) with bias, then 4×4 stride 2 blocks
// w→2w, 2w→4w, 4w→4w (and another 4w→4w at size 64).
func (c ClassifierConfig) convs() []classifierConv {
	w := c.Width
	ls := []classifierConv{{0, c.NC, w, 3, 1, 1}, {2, w, 2 * w, 4, 2, 1}, {5, 2 * w, 4 * w, 4, 2, 1}, {8, 4 * w, 4 * w, 4, 2, 1}}
	if c.Size == 64 {
		ls = append(ls, classifierConv{11, 4 * w, 4 * w, 4, 2, 1})
	}
	return ls
}

// Shapes returns every state_dict tensor of the classifier with config c, by name.
func (c ClassifierConfig) Shapes() map[string][]int { return specShapes(c.specs()) }

// specs lists the tensors in the order of PyTorch's state_dict of the module
//
//	features = nn.Sequential(Conv2d(nc, w, 3, 1, 1), LeakyReLU(0.2),
//	    Conv2d(w, 2w, 4, 2, 1, bias=False), BatchNorm2d(2w), LeakyReLU(0.2), ...,
//	    AdaptiveAvgPool2d(1))
//	fc = nn.Linear(4w, classes + attrs)
func (c ClassifierConfig) specs() []tensorSpec {
	var s []tensorSpec
	for i, l := range c.convs() {
		s = append(s, tensorSpec{l.name() + ".weight", []int{l.out, l.in, l.k, l.k}})
		if i == 0 {
			s = append(s, tensorSpec{l.name() + ".bias", []int{l.out}})
		} else {
			s = batchNormSpecs(s, l.bn(), l.out)
		}
	}
	return append(s, tensorSpec{"fc.weight", []int{c.Outputs(), c.Features()}}, tensorSpec{"fc.bias", []int{c.Outputs()}})
}

// classifierIO: an image in -1..1 in, logits out (softmax over the classes, a sigmoid per
// attribute).
func classifierIO(nc int) IOSpec {
	in := Signal{Kind: SignalFeatures, Min: -1, Max: 1}
	switch nc {
	case 1:
		in.Kind = SignalGray
	case 3:
		in.Kind = SignalRGB
	}
	return IOSpec{Input: in, Output: Signal{Kind: SignalLogit}}
}

func classifierConfig(w *Weights) (ClassifierConfig, error) {
	if err := checkConfig(w.Arch, w.Config, "nc", "size", "width", "classes", "attrs", "attr_names"); err != nil {
		return ClassifierConfig{}, err
	}
	var c ClassifierConfig
	for _, f := range []struct {
		key     string
		v       *int
		lo, max int
	}{
		{"nc", &c.NC, 1, maxClassifierChannels}, {"size", &c.Size, 32, 64}, {"width", &c.Width, 1, maxClassifierWidth},
		{"classes", &c.Classes, 0, maxClassifierOutputs}, {"attrs", &c.Attrs, 0, maxClassifierOutputs},
	} {
		var err error
		if *f.v, err = configInt(w.Arch, w.Config, f.key, f.lo, f.max); err != nil {
			return c, err
		}
	}
	if _, ok := w.Config["attr_names"]; ok {
		names, err := w.Config.Text("attr_names")
		if err != nil {
			return c, fmt.Errorf("%s: %w", w.Arch, err)
		}
		c.AttrNames = strings.Split(names, ",")
	}
	return c, c.Check()
}

// InitClassifier returns classifier weights of config c initialised as PyTorch initialises
// a new module: every Conv2d's and the Linear's weight kaiming_uniform(a=√5) and bias
// uniform(±1/√fan_in), which are both uniform(±1/√fan_in); every BatchNorm2d weight 1,
// bias 0, running mean 0 and variance 1. Meta is a placeholder marked untrained.
func InitClassifier(c ClassifierConfig, rng *rand.Rand) (*Weights, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	w := &Weights{Arch: ArchClassifier, Config: c.Config(), IO: classifierIO(c.NC),
		Meta: Meta{Name: ArchClassifier, License: "CC0-1.0", Source: "random initialisation"}}
	fanIn := 0
	for _, s := range c.specs() {
		t := newTensor(s)
		switch {
		case strings.HasSuffix(s.name, ".weight") && len(s.shape) >= 2: // a convolution or the Linear
			fanIn = t.NumElements() / s.shape[0]
			fillUniform(t.Data, 1/math.Sqrt(float64(fanIn)), rng)
		case s.name == "features.0.bias" || s.name == "fc.bias":
			// The bias follows its weight in the state_dict, so fanIn is the weight's.
			fillUniform(t.Data, 1/math.Sqrt(float64(fanIn)), rng)
		case strings.HasSuffix(s.name, ".weight"), strings.HasSuffix(s.name, ".running_var"):
			fill(t.Data, 1)
		}
		w.Tensors = append(w.Tensors, t)
	}
	return w, nil
}

// Classifier is the image classifier for inference: an image [N,nc,size,size] in -1..1
// through a 3×3 convolution and LeakyReLU(0.2), then stride-2 4×4 convolutions each with
// BatchNorm and LeakyReLU(0.2), down to [N,4w,4,4]; a global average pool gives the
// features [N,4w], and a Linear layer the logits [N,classes+attrs]. BatchNorm runs in eval
// mode, on the running statistics, so each image's outputs depend on that image alone.
type Classifier struct {
	Config ClassifierConfig
	IO     IOSpec
	dev    *gpu.Device
	p      *params
	plan   *ClassifierPlan // Predict's, at batch planN
	planN  int
}

// NewClassifier checks w (arch classifier, config, every tensor's name and shape) and
// uploads its tensors to dev.
func NewClassifier(dev *gpu.Device, w *Weights) (*Classifier, error) {
	if w.Arch != ArchClassifier {
		return nil, fmt.Errorf("Classifier: weights are for arch %q, want %s", w.Arch, ArchClassifier)
	}
	c, err := classifierConfig(w)
	if err != nil {
		return nil, err
	}
	p, err := loadParams(dev, w, c.specs())
	if err != nil {
		return nil, err
	}
	return &Classifier{Config: c, IO: w.IO, dev: dev, p: p}, nil
}

// Release frees the network's weights and Predict's plan. Plans made by Plan and Record
// must be released first.
func (m *Classifier) Release() {
	m.plan.Release()
	m.plan = nil
	m.p.release()
}

// ClassifierPlan is a Plan whose Output is the logits [N,classes+attrs] and which also
// keeps the features [N,4w] the head read.
type ClassifierPlan struct {
	*Plan
	Features *gpu.Tensor
}

// Release frees the plan's activations (Features among them).
func (p *ClassifierPlan) Release() {
	if p != nil {
		p.Plan.Release()
	}
}

// Plan allocates an input [n,nc,size,size] and records the forward pass on it.
func (m *Classifier) Plan(n int) (*ClassifierPlan, error) {
	var feat *gpu.Tensor
	c := m.Config
	p, err := newPlan(m.dev, ArchClassifier, func(r *recorder, x *gpu.Tensor) *gpu.Tensor { return m.forward(r, x, &feat) },
		n, c.NC, c.Size, c.Size)
	if err != nil {
		return nil, err
	}
	return &ClassifierPlan{Plan: p, Features: feat}, nil
}

// Record records the forward pass on x [N,nc,size,size] into b, after whatever b holds
// (a generator's output, say). The plan's Input is x, which stays the caller's; Plan.Run
// submits b.
func (m *Classifier) Record(b *gpu.Batch, x *gpu.Tensor) (*ClassifierPlan, error) {
	c := m.Config
	if x != nil {
		if s := x.Shape(); len(s) != 4 || s[1] != c.NC || s[2] != c.Size || s[3] != c.Size {
			return nil, fmt.Errorf("%s: input %v, want [N,%d,%d,%d]", ArchClassifier, s, c.NC, c.Size, c.Size)
		}
	}
	var feat *gpu.Tensor
	p, err := recordPlan(b, ArchClassifier, x, func(r *recorder, x *gpu.Tensor) *gpu.Tensor { return m.forward(r, x, &feat) })
	if err != nil {
		return nil, err
	}
	return &ClassifierPlan{Plan: p, Features: feat}, nil
}

// forward records the network on x and returns the logits; *features receives the pooled
// features, which the recorder keeps.
func (m *Classifier) forward(r *recorder, x *gpu.Tensor, features **gpu.Tensor) *gpu.Tensor {
	y := x
	for i, l := range m.Config.convs() {
		c := r.conv(m.p, l.name(), y, l.stride, l.pad, gpu.PadZeros)
		r.free(y)
		if i == 0 {
			y = r.keep(fmt.Sprintf("features.%d", l.idx+1), r.b.LeakyReLU(c, classifierSlope))
		} else {
			// features.idx+1 (BatchNorm2d) and features.idx+2 (LeakyReLU) in one op.
			y = batchNormLeakyReLU(r, m.p, l.bn(), c, classifierSlope)
		}
		r.free(c)
	}
	pooled := r.keep("pool", r.b.AvgPool2D(y, gpu.Pool2DParams{Kernel: classifierSide}))
	r.free(y)
	if pooled == nil {
		return nil
	}
	// [N,4w,1,1] to [N,4w]: a view of pooled, which the plan keeps.
	feat, err := pooled.Reshape(pooled.Dim(0), m.Config.Features())
	if err != nil {
		r.b.Fail(err)
		return r.keep("view", nil)
	}
	*features = feat
	return r.keep("fc", r.b.Linear(feat, m.p.get("fc.weight"), m.p.get("fc.bias")))
}

// predictBatch is the most images Predict runs at once.
const predictBatch = 128

// predictPlanSize is the batch of the plan Predict runs n images through: a power of two
// from 16 to predictBatch, so that Predict compiles kernels for at most four shapes
// (compiling a shape's kernels can cost far more than running them, on a CPU Vulkan
// driver), at the price of padding a small n.
func predictPlanSize(n int) int {
	size := 16
	for size < n && size < predictBatch {
		size *= 2
	}
	return size
}

// Predict runs the classifier on n images [n,nc,size,size] in -1..1 (flattened) and returns
// their logits [n,classes+attrs] and features [n,4w], flattened. It runs up to
// predictBatch images at a time, through a plan it keeps.
func (m *Classifier) Predict(ctx context.Context, images []float32, n int) (logits, features []float32, err error) {
	c := m.Config
	per := c.NC * c.Size * c.Size
	if n < 1 || len(images) != n*per {
		return nil, nil, fmt.Errorf("%s: %d values for %d images of [%d,%d,%d]: want n ≥ 1 and %d values", ArchClassifier,
			len(images), n, c.NC, c.Size, c.Size, n*per)
	}
	chunk := predictPlanSize(n)
	if m.plan == nil || m.planN != chunk {
		m.plan.Release()
		m.plan = nil
		if m.plan, err = m.Plan(chunk); err != nil {
			return nil, nil, err
		}
		m.planN = chunk
	}
	k, f := c.Outputs(), c.Features()
	logits, features = make([]float32, 0, n*k), make([]float32, 0, n*f)
	in := make([]float32, chunk*per)
	for i := 0; i < n; i += chunk {
		cnt := min(chunk, n-i)
		// A partial chunk is padded with zeros; eval-mode batch norm keeps images apart.
		clear(in[copy(in, images[i*per:(i+cnt)*per]):])
		if err := m.plan.Input.Write(in); err != nil {
			return nil, nil, err
		}
		if err := m.plan.Run(); err != nil {
			return nil, nil, err
		}
		l, err := m.plan.Output.Read(ctx)
		if err != nil {
			return nil, nil, err
		}
		ft, err := m.plan.Features.Read(ctx)
		if err != nil {
			return nil, nil, err
		}
		logits = append(logits, l[:cnt*k]...)
		features = append(features, ft[:cnt*f]...)
	}
	return logits, features, nil
}
