package models

import (
	"fmt"

	"easel/gpu"
)

// Architecture names of the fast neural style network. "transformer-net" is the network of
// pytorch/examples fast_neural_style with its fixed widths; "transformer-net-light" is the
// same network with the widths and the number of residual blocks in its config, for
// real-time use on weak GPUs. One implementation serves both.
const (
	ArchTransformerNet      = "transformer-net"
	ArchTransformerNetLight = "transformer-net-light"
)

// TransformerConfig holds TransformerNet's hyperparameters: the channel widths after conv1,
// conv2 and conv3 (config keys c1, c2, c3) and the number of residual blocks (blocks).
type TransformerConfig struct {
	C1, C2, C3, Blocks int
}

// StandardTransformer is the configuration of pytorch/examples' TransformerNet.
var StandardTransformer = TransformerConfig{C1: 32, C2: 64, C3: 128, Blocks: 5}

// Bounds of TransformerNet hyperparameters: far above any useful network, low enough that
// no shape computed from them overflows.
const (
	maxTransformerWidth  = 4096
	maxTransformerBlocks = 64
)

// Config returns the weights-file config of c.
func (c TransformerConfig) Config() Config {
	return Config{"c1": c.C1, "c2": c.C2, "c3": c.C3, "blocks": c.Blocks}
}

// Arch is the architecture name for c: transformer-net for the standard widths, else
// transformer-net-light.
func (c TransformerConfig) Arch() string {
	if c == StandardTransformer {
		return ArchTransformerNet
	}
	return ArchTransformerNetLight
}

// transformerConfig reads and checks the config of a transformer-net(-light) file. The
// standard network may omit its config; if it states one, it must be the standard one.
func transformerConfig(w *Weights) (TransformerConfig, error) {
	keys := []string{"c1", "c2", "c3", "blocks"}
	if err := checkConfig(w.Arch, w.Config, keys...); err != nil {
		return TransformerConfig{}, err
	}
	if w.Arch == ArchTransformerNet && len(w.Config) == 0 {
		return StandardTransformer, nil
	}
	var c TransformerConfig
	var err error
	for i, v := range []*int{&c.C1, &c.C2, &c.C3, &c.Blocks} {
		lo, hi := 1, maxTransformerWidth
		if keys[i] == "blocks" {
			lo, hi = 0, maxTransformerBlocks
		}
		if *v, err = configInt(w.Arch, w.Config, keys[i], lo, hi); err != nil {
			return c, err
		}
	}
	if w.Arch == ArchTransformerNet && c != StandardTransformer {
		return c, fmt.Errorf("%s: config %+v is not the standard one %+v; use arch %s for other widths",
			w.Arch, c, StandardTransformer, ArchTransformerNetLight)
	}
	return c, nil
}

// Shapes returns every state_dict tensor of TransformerNet with config c, by name.
func (c TransformerConfig) Shapes() map[string][]int { return specShapes(c.specs()) }

// specs lists the tensors in the order of PyTorch's state_dict.
func (c TransformerConfig) specs() []tensorSpec {
	var s []tensorSpec
	conv := func(name string, in, out, k int) {
		s = append(s, tensorSpec{name + ".conv2d.weight", []int{out, in, k, k}}, tensorSpec{name + ".conv2d.bias", []int{out}})
	}
	norm := func(name string, ch int) {
		s = append(s, tensorSpec{name + ".weight", []int{ch}}, tensorSpec{name + ".bias", []int{ch}})
	}
	conv("conv1", 3, c.C1, 9)
	norm("in1", c.C1)
	conv("conv2", c.C1, c.C2, 3)
	norm("in2", c.C2)
	conv("conv3", c.C2, c.C3, 3)
	norm("in3", c.C3)
	for i := 1; i <= c.Blocks; i++ {
		res := fmt.Sprintf("res%d", i)
		conv(res+".conv1", c.C3, c.C3, 3)
		norm(res+".in1", c.C3)
		conv(res+".conv2", c.C3, c.C3, 3)
		norm(res+".in2", c.C3)
	}
	conv("deconv1", c.C3, c.C2, 3)
	norm("in4", c.C2)
	conv("deconv2", c.C2, c.C1, 3)
	norm("in5", c.C1)
	conv("deconv3", c.C1, 3, 9)
	return s
}

// transformerIO is the convention of pytorch/examples fast_neural_style: RGB in 0..255 in,
// RGB of about 0..255 out (callers clamp).
var transformerIO = IOSpec{
	Input:  Signal{Kind: SignalRGB, Min: 0, Max: 255},
	Output: Signal{Kind: SignalRGB, Min: 0, Max: 255},
}

// TransformerMinSide is the least height and width a TransformerNet input may have: the
// reflection padding (4) of its 9×9 convolutions must be smaller than the input.
const TransformerMinSide = 5

// instanceNormEps is nn.InstanceNorm2d's default eps, which fast_neural_style keeps.
const instanceNormEps = 1e-5

// TransformerNet is the fast neural style network of pytorch/examples (Johnson et al.):
// three reflection-padded convolutions down, residual blocks, two nearest-upsampling
// convolutions up and a last convolution, instance norm and ReLU between them.
//
// For an input [N,3,H,W] the output is [N,3,4·⌈⌈H/2⌉/2⌉,4·⌈⌈W/2⌉/2⌉]: the input's size
// when H and W are multiples of 4, up to 3 pixels more otherwise, as in PyTorch. H and W
// must be at least TransformerMinSide (reflection padding of the 9×9 convolutions).
type TransformerNet struct {
	Config TransformerConfig
	IO     IOSpec
	dev    *gpu.Device
	p      *params
}

// NewTransformerNet checks w (arch transformer-net or transformer-net-light, config, every
// tensor's name and shape) and uploads its tensors to dev.
func NewTransformerNet(dev *gpu.Device, w *Weights) (*TransformerNet, error) {
	if w.Arch != ArchTransformerNet && w.Arch != ArchTransformerNetLight {
		return nil, fmt.Errorf("TransformerNet: weights are for arch %q, want %s or %s", w.Arch, ArchTransformerNet, ArchTransformerNetLight)
	}
	c, err := transformerConfig(w)
	if err != nil {
		return nil, err
	}
	p, err := loadParams(dev, w, c.specs())
	if err != nil {
		return nil, err
	}
	return &TransformerNet{Config: c, IO: w.IO, dev: dev, p: p}, nil
}

// Release frees the network's weights and their prepared forms. Plans must be released
// first.
func (m *TransformerNet) Release() { m.p.release() }

// Plan allocates an input [n,3,h,w] and records the forward pass on it.
func (m *TransformerNet) Plan(n, h, w int) (*Plan, error) {
	return newPlan(m.dev, m.Config.Arch(), m.forward, n, 3, h, w)
}

// Record records the forward pass on x [N,3,H,W] into b, after whatever b holds, so that
// pre- and postprocessing share one submit with the network. The plan's Input is x, which
// stays the caller's; Plan.Run submits b.
func (m *TransformerNet) Record(b *gpu.Batch, x *gpu.Tensor) (*Plan, error) {
	return recordPlan(b, m.Config.Arch(), x, m.forward)
}

// convLayer is ConvLayer of fast_neural_style: ReflectionPad2d(k/2), then Conv2d.
func (m *TransformerNet) convLayer(r *recorder, name string, x *gpu.Tensor, stride int) *gpu.Tensor {
	if x == nil {
		return nil
	}
	k := m.p.get(name + ".conv2d.weight").Dim(2)
	return r.conv(m.p, name+".conv2d", x, stride, k/2, gpu.PadReflect)
}

// normReLU is an affine InstanceNorm2d followed by ReLU, recorded as one op.
func (m *TransformerNet) normReLU(r *recorder, name string, x *gpu.Tensor) *gpu.Tensor {
	return r.keep(name, r.b.InstanceNormReLU(x, m.p.get(name+".weight"), m.p.get(name+".bias"), instanceNormEps))
}

// convNormReLU is conv, instance norm, ReLU, with the normalisation called norm. x is
// dead afterwards unless it is the plan's input.
func (m *TransformerNet) convNormReLU(r *recorder, conv, norm string, x *gpu.Tensor, stride int) *gpu.Tensor {
	c := m.convLayer(r, conv, x, stride)
	r.free(x)
	y := m.normReLU(r, norm, c)
	r.free(c)
	return y
}

// upConvNormReLU is UpsampleConvLayer (nearest ×2, then ConvLayer), norm and ReLU. The
// convolution reads the low-resolution input: the upsampled tensor is never made.
func (m *TransformerNet) upConvNormReLU(r *recorder, conv, norm string, x *gpu.Tensor) *gpu.Tensor {
	if x == nil {
		return nil
	}
	name := conv + ".conv2d"
	w := m.p.get(name + ".weight")
	c := r.upConv(m.p, name, x, 2, gpu.Conv2DParams{Stride: 1, Padding: w.Dim(2) / 2, PadMode: gpu.PadReflect})
	r.free(x)
	y := m.normReLU(r, norm, c)
	r.free(c)
	return y
}

func (m *TransformerNet) forward(r *recorder, x *gpu.Tensor) *gpu.Tensor {
	y := m.convNormReLU(r, "conv1", "in1", x, 1)
	y = m.convNormReLU(r, "conv2", "in2", y, 2)
	y = m.convNormReLU(r, "conv3", "in3", y, 2)
	for i := 1; i <= m.Config.Blocks; i++ {
		res := fmt.Sprintf("res%d", i)
		c1 := m.convLayer(r, res+".conv1", y, 1)
		h := m.normReLU(r, res+".in1", c1)
		r.free(c1)
		c2 := m.convLayer(r, res+".conv2", h, 1)
		r.free(h)
		// The skip connection is summed as in2 writes its output; no ReLU after the sum,
		// as in pytorch/examples.
		sum := r.keep(res+".in2", r.b.InstanceNormAdd(c2, m.p.get(res+".in2.weight"), m.p.get(res+".in2.bias"), y, instanceNormEps))
		r.free(c2, y)
		y = sum
	}
	y = m.upConvNormReLU(r, "deconv1", "in4", y)
	y = m.upConvNormReLU(r, "deconv2", "in5", y)
	out := m.convLayer(r, "deconv3", y, 1)
	r.free(y)
	return out
}
