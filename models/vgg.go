package models

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"easel/autograd"
	"easel/gpu"
)

// The loss networks of perceptual losses: torchvision's VGG16 and VGG19 feature stacks.
const (
	ArchVGG16 = "vgg16"
	ArchVGG19 = "vgg19"
)

// vggBlocks is the number of 3×3 convolutions in each of the five blocks (each block ends
// in a 2×2 max pool); vggWidths their output channels.
var (
	vggBlocks = map[int][]int{16: {2, 2, 3, 3, 3}, 19: {2, 2, 4, 4, 4}}
	vggWidths = []int{64, 128, 256, 512, 512}
)

// VGGMean and VGGStd are torchvision's ImageNet input normalisation: a pixel in 0..1 minus
// the mean, divided by the std, per RGB channel.
var (
	VGGMean = [3]float64{0.485, 0.456, 0.406}
	VGGStd  = [3]float64{0.229, 0.224, 0.225}
)

// VGGConfig is a VGG feature stack (config keys depth, convs): depth 16 or 19, and how many
// of its convolutions (counted from the input) the weights hold; commands run only up to
// the deepest layer they need, so a stack cut at relu3_3 serves every loss up to there.
type VGGConfig struct {
	Depth, Convs int
}

// Arch is vgg16 or vgg19.
func (c VGGConfig) Arch() string { return "vgg" + strconv.Itoa(c.Depth) }

// Config returns the weights-file config of c.
func (c VGGConfig) Config() Config { return Config{"depth": c.Depth, "convs": c.Convs} }

// MaxConvs is the number of convolutions of the whole stack: 13 (vgg16) or 16 (vgg19).
func (c VGGConfig) MaxConvs() int {
	n := 0
	for _, k := range vggBlocks[c.Depth] {
		n += k
	}
	return n
}

// Check refuses a config the network cannot be built from.
func (c VGGConfig) Check() error {
	if _, ok := vggBlocks[c.Depth]; !ok {
		return fmt.Errorf("vgg: config.depth is %d, want 16 or 19", c.Depth)
	}
	if c.Convs < 1 || c.Convs > c.MaxConvs() {
		return fmt.Errorf("%s: config.convs is %d, want 1..%d", c.Arch(), c.Convs, c.MaxConvs())
	}
	return nil
}

// vggConv is one convolution of the stack: its index in torchvision's `features`
// nn.Sequential, its layer name (reluB_I names the ReLU after it), channels, and whether a
// max pool comes before it.
type vggConv struct {
	idx      int
	name     string
	in, out  int
	poolPrev bool
}

// convs lists every convolution of the whole depth-c.Depth stack, in order.
func (c VGGConfig) convs() []vggConv {
	var ls []vggConv
	idx, in := 0, 3
	for b, n := range vggBlocks[c.Depth] {
		for i := range n {
			ls = append(ls, vggConv{idx: idx, name: fmt.Sprintf("relu%d_%d", b+1, i+1), in: in, out: vggWidths[b], poolPrev: b > 0 && i == 0})
			idx += 2 // Conv2d, ReLU
			in = vggWidths[b]
		}
		idx++ // MaxPool2d
	}
	return ls
}

// VGGLayers lists the layer names of a depth-16 or depth-19 stack, input first.
func VGGLayers(depth int) []string {
	var names []string
	for _, l := range (VGGConfig{Depth: depth}).convs() {
		names = append(names, l.name)
	}
	return names
}

// LayerIndex is the position (0-based) of the convolution whose ReLU is named layer, e.g.
// relu3_3 → 6; the error lists the valid names.
func (c VGGConfig) LayerIndex(layer string) (int, error) {
	names := VGGLayers(c.Depth)
	i := slices.Index(names, layer)
	if i < 0 {
		return 0, fmt.Errorf("%s has no layer %q; its layers are %s", c.Arch(), layer, strings.Join(names, ", "))
	}
	if i >= c.Convs {
		return 0, fmt.Errorf("%s: layer %s is past the %d convolutions these weights hold (deepest: %s)", c.Arch(), layer, c.Convs, names[c.Convs-1])
	}
	return i, nil
}

// Shapes returns every tensor of the stack, by name.
func (c VGGConfig) Shapes() map[string][]int { return specShapes(c.specs()) }

func (c VGGConfig) specs() []tensorSpec {
	var s []tensorSpec
	for _, l := range c.convs()[:c.Convs] {
		s = append(s, tensorSpec{fmt.Sprintf("features.%d.weight", l.idx), []int{l.out, l.in, 3, 3}},
			tensorSpec{fmt.Sprintf("features.%d.bias", l.idx), []int{l.out}})
	}
	return s
}

// vggIO: an RGB image in 0..255 in (normalised inside as torchvision's transforms do),
// feature maps out.
var vggIO = IOSpec{Input: Signal{Kind: SignalRGB, Min: 0, Max: 255}, Output: Signal{Kind: SignalFeatures}}

// VGGConfigOf reads and checks the config of vgg16 or vgg19 weights.
func VGGConfigOf(w *Weights) (VGGConfig, error) { return vggConfig(w) }

func vggConfig(w *Weights) (VGGConfig, error) {
	if err := checkConfig(w.Arch, w.Config, "depth", "convs"); err != nil {
		return VGGConfig{}, err
	}
	var c VGGConfig
	var err error
	if c.Depth, err = configInt(w.Arch, w.Config, "depth", 16, 19); err != nil {
		return c, err
	}
	if c.Convs, err = configInt(w.Arch, w.Config, "convs", 1, 16); err != nil {
		return c, err
	}
	if err := c.Check(); err != nil {
		return c, err
	}
	if w.Arch != c.Arch() {
		return c, fmt.Errorf("%s: config.depth is %d", w.Arch, c.Depth)
	}
	return c, nil
}

// InitVGG returns a VGG stack with torchvision's initialisation of a new VGG: every
// convolution's weight kaiming_normal(mode=fan_out, relu), std √(2/(out·3·3)), and bias 0.
// Such a seeded random network is a loss network in its own right: the Gram matrices of
// random convolutional features synthesise textures (Ustyuzhaninov et al., ICLR 2017; He et
// al., 2016), so perceptual losses work where no pretrained weights can be had.
func InitVGG(c VGGConfig, seed uint64) (*Weights, error) {
	if err := c.Check(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x56474721))
	w := &Weights{Arch: c.Arch(), Config: c.Config(), IO: vggIO,
		Meta: Meta{Name: fmt.Sprintf("%s-random-%d", c.Arch(), seed), License: "CC0-1.0",
			Source: fmt.Sprintf("random initialisation (seed %d), kaiming_normal fan_out as torchvision initialises VGG", seed)}}
	for _, s := range c.specs() {
		t := newTensor(s)
		if len(s.shape) == 4 {
			fillNormal(t.Data, 0, math.Sqrt(2/float64(s.shape[0]*9)), rng)
		}
		w.Tensors = append(w.Tensors, t)
	}
	return w, nil
}

// VGG is a loss network on the device: the feature stack up to the weights' last
// convolution, run on autograd tapes so that losses on its features can be differentiated
// with respect to the image.
type VGG struct {
	Config VGGConfig
	dev    *gpu.Device
	p      *params
	// norm is the input normalisation as a 1×1 convolution: x/255 − mean, / std per channel.
	normW, normB *gpu.Tensor
}

// NewVGG uploads a VGG stack's weights.
func NewVGG(dev *gpu.Device, w *Weights) (*VGG, error) {
	if w.Arch != ArchVGG16 && w.Arch != ArchVGG19 {
		return nil, fmt.Errorf("loss network: weights are for arch %q, want %s or %s", w.Arch, ArchVGG16, ArchVGG19)
	}
	c, err := vggConfig(w)
	if err != nil {
		return nil, err
	}
	v := &VGG{Config: c, dev: dev}
	if v.p, err = loadParams(dev, w, c.specs()); err != nil {
		return nil, err
	}
	nw := make([]float32, 9)
	nb := make([]float32, 3)
	for i := range 3 {
		nw[i*3+i] = float32(1 / (255 * VGGStd[i]))
		nb[i] = float32(-VGGMean[i] / VGGStd[i])
	}
	if v.normW, err = dev.FromData(nw, 3, 3, 1, 1); err == nil {
		v.normB, err = dev.FromData(nb, 3)
	}
	if err != nil {
		v.Release()
		return nil, fmt.Errorf("%s: upload the input normalisation: %w", c.Arch(), err)
	}
	return v, nil
}

// Features records the stack on x [N,3,H,W] (RGB in 0..255) through the convolution at
// index deepest (LayerIndex) and returns the ReLU outputs at the given indices (each
// 0..deepest), in their order. Pooling is torchvision's MaxPool2d(2, 2), which floors odd
// sides.
func (v *VGG) Features(tp *autograd.Tape, x *autograd.Var, deepest int, want []int) []*autograd.Var {
	if deepest < 0 || deepest >= v.Config.Convs {
		tp.Batch().Fail(fmt.Errorf("%s: layer %d past the %d convolutions held", v.Config.Arch(), deepest, v.Config.Convs))
		return nil
	}
	for _, k := range want {
		if k < 0 || k > deepest {
			tp.Batch().Fail(fmt.Errorf("%s: feature of layer %d asked of a stack run through layer %d", v.Config.Arch(), k, deepest))
			return nil
		}
	}
	out := make([]*autograd.Var, len(want))
	y := tp.Conv2D(x, tp.Constant(v.normW), tp.Constant(v.normB), gpu.Conv2DParams{Stride: 1})
	for i, l := range v.Config.convs()[:deepest+1] {
		if l.poolPrev {
			y = tp.MaxPool2D(y, gpu.Pool2DParams{Kernel: 2, Stride: 2})
		}
		name := fmt.Sprintf("features.%d", l.idx)
		y = tp.ReLU(tp.Conv2D(y, tp.Constant(v.p.get(name+".weight")), tp.Constant(v.p.get(name+".bias")),
			gpu.Conv2DParams{Stride: 1, Padding: 1}))
		for j, k := range want {
			if k == i {
				out[j] = y
			}
		}
	}
	return out
}

// FeatureMap is one layer's ReLU output read back: Shape is [N,C,H,W].
type FeatureMap struct {
	Shape []int
	Data  []float32
}

// MinSide is the least image side that the stack through index deepest takes: each max
// pool before it halves the side, flooring, and must leave at least one pixel.
func (c VGGConfig) MinSide(deepest int) int {
	side := 1
	for _, l := range c.convs()[:deepest+1] {
		if l.poolPrev {
			side *= 2
		}
	}
	return side
}

// FeatureMaps runs one h×w image img ([1,3,H,W] flattened, RGB 0..255) through the stack
// and reads back the ReLU outputs at the layer indices want (LayerIndex), in their order.
func (v *VGG) FeatureMaps(ctx context.Context, img []float32, h, w int, want []int) ([]FeatureMap, error) {
	return FeatureMaps(ctx, v.dev, v, img, h, w, want)
}

// Release frees the weights on the device.
func (v *VGG) Release() {
	v.p.release()
	v.normW.Release()
	v.normB.Release()
}

// vggFLOPs counts multiply-adds ×2 of the stack's convolutions through index deepest on
// one h×w image.
func vggFLOPs(c VGGConfig, deepest, h, w int) float64 {
	var f float64
	for _, l := range c.convs()[:deepest+1] {
		if l.poolPrev {
			h, w = h/2, w/2
		}
		f += 2 * float64(h*w*l.out*l.in*9)
	}
	return f
}
