package models

import (
	"fmt"
	"slices"

	"easel/gpu"
)

// Architecture names of the GAN networks: the DCGAN networks of pytorch/examples dcgan and
// their conditional (cGAN: the class as input) and InfoGAN (latent codes and a Q head)
// variants, which share the same layers.
const (
	ArchDCGANGenerator       = "dcgan-g"
	ArchDCGANDiscriminator   = "dcgan-d"
	ArchCGANGenerator        = "cgan-g"
	ArchCGANDiscriminator    = "cgan-d"
	ArchInfoGANGenerator     = "infogan-g"
	ArchInfoGANDiscriminator = "infogan-d"
)

// DCGANSize is pytorch/examples dcgan's image size, 64×64, the GAN networks' default.
const DCGANSize = 64

// Bounds of GAN hyperparameters: far above any useful network, low enough that no shape
// computed from them overflows.
const (
	maxDCGANWidth    = 4096 // nz, ngf, ndf
	maxDCGANChannels = 64   // nc
	maxGANClasses    = 1000 // classes, cat, cont
)

// infoGANQWidth is the Q head's hidden width, as in InfoGAN's MNIST network.
const infoGANQWidth = 128

// batchNormEps is nn.BatchNorm2d's default eps, which dcgan keeps.
const batchNormEps = 1e-5

// GANSizes are the image sizes the GAN networks make and take: 32×32 (four layers each,
// for digits) and 64×64 (pytorch/examples dcgan's five).
var GANSizes = []int{32, 64}

// GeneratorConfig holds a generator's hyperparameters: latent size NZ, width NGF, image
// channels NC and side Size (0 means 64); for cgan-g the number of Classes, whose one-hot
// vector follows z in the input; for infogan-g the categorical code's size Cat and the
// number of continuous codes Cont, which follow z in that order. Config keys: nz, ngf, nc,
// size (when not 64), classes, cat, cont (when not 0).
type GeneratorConfig struct {
	NZ, NGF, NC int
	Size        int
	Classes     int
	Cat, Cont   int
}

// Arch is the architecture name of a generator with config c.
func (c GeneratorConfig) Arch() string {
	switch {
	case c.Classes > 0:
		return ArchCGANGenerator
	case c.Cat > 0 || c.Cont > 0:
		return ArchInfoGANGenerator
	}
	return ArchDCGANGenerator
}

// Side is the generated image's side in pixels.
func (c GeneratorConfig) Side() int { return ganSide(c.Size) }

// InputWidth is the length of the generator's input vector: z, then the class or codes.
func (c GeneratorConfig) InputWidth() int { return c.NZ + c.Classes + c.Cat + c.Cont }

func ganSide(size int) int {
	if size == 0 {
		return DCGANSize
	}
	return size
}

// ganLayers is the number of (transposed) convolutions of a GAN network at side size.
func ganLayers(size int) int {
	if ganSide(size) == 32 {
		return 4
	}
	return 5
}

// Config returns the weights-file config of c.
func (c GeneratorConfig) Config() Config {
	cfg := Config{"nz": c.NZ, "ngf": c.NGF, "nc": c.NC}
	addGANConfig(cfg, c.Size, c.Classes, c.Cat, c.Cont)
	return cfg
}

func addGANConfig(cfg Config, size, classes, cat, cont int) {
	if ganSide(size) != DCGANSize {
		cfg["size"] = size
	}
	for k, v := range map[string]int{"classes": classes, "cat": cat, "cont": cont} {
		if v != 0 {
			cfg[k] = v
		}
	}
}

// Shapes returns every state_dict tensor of the Generator with config c, by name.
// BatchNorm's num_batches_tracked is not among them: inference has no use for it.
func (c GeneratorConfig) Shapes() map[string][]int { return specShapes(c.specs()) }

// generatorWidths are the channels between the generator's layers: input, 8·ngf (4·ngf
// at 32×32), …, ngf, nc.
func (c GeneratorConfig) widths() []int {
	n := ganLayers(c.Size)
	w := []int{c.InputWidth()}
	for i := n - 2; i >= 0; i-- {
		w = append(w, c.NGF<<i)
	}
	return append(w, c.NC)
}

// specs lists the tensors in the order of PyTorch's state_dict.
func (c GeneratorConfig) specs() []tensorSpec {
	var s []tensorSpec
	widths := c.widths()
	n := len(widths) - 1
	for i := range n {
		s = append(s, tensorSpec{fmt.Sprintf("main.%d.weight", 3*i), []int{widths[i], widths[i+1], 4, 4}})
		if i < n-1 {
			s = batchNormSpecs(s, fmt.Sprintf("main.%d", 3*i+1), widths[i+1])
		}
	}
	return s
}

// DiscriminatorConfig holds a discriminator's hyperparameters: width NDF, image channels NC
// and side Size (0 means 64); for cgan-d the number of Classes, whose one-hot maps join the
// image's channels; for infogan-d the codes Cat and Cont that its Q head predicts. Config
// keys as GeneratorConfig's.
type DiscriminatorConfig struct {
	NDF, NC   int
	Size      int
	Classes   int
	Cat, Cont int
}

// Arch is the architecture name of a discriminator with config c.
func (c DiscriminatorConfig) Arch() string {
	switch {
	case c.Classes > 0:
		return ArchCGANDiscriminator
	case c.Cat > 0 || c.Cont > 0:
		return ArchInfoGANDiscriminator
	}
	return ArchDCGANDiscriminator
}

// Side is the side of the images the discriminator takes.
func (c DiscriminatorConfig) Side() int { return ganSide(c.Size) }

// Config returns the weights-file config of c.
func (c DiscriminatorConfig) Config() Config {
	cfg := Config{"ndf": c.NDF, "nc": c.NC}
	addGANConfig(cfg, c.Size, c.Classes, c.Cat, c.Cont)
	return cfg
}

// convs are the indices in main of the discriminator's convolutions; each but the first and
// last is followed by a BatchNorm2d at the next index.
func (c DiscriminatorConfig) convs() []int {
	if ganLayers(c.Size) == 4 {
		return []int{0, 2, 5, 8}
	}
	return []int{0, 2, 5, 8, 11}
}

// widths are the channels between the discriminator's layers: image (and class maps),
// ndf, 2·ndf, …, 1.
func (c DiscriminatorConfig) widths() []int {
	n := ganLayers(c.Size)
	w := []int{c.NC + c.Classes}
	for i := range n - 1 {
		w = append(w, c.NDF<<i)
	}
	return append(w, 1)
}

// Shapes returns every state_dict tensor of the Discriminator with config c, by name.
func (c DiscriminatorConfig) Shapes() map[string][]int { return specShapes(c.specs()) }

// specs lists the tensors in the order of PyTorch's state_dict; the InfoGAN Q head
// (q.0: conv 4×4 to 128, q.1: BatchNorm2d, then LeakyReLU(0.1), q.cat and q.cont: 1×1
// convs with bias to the codes) follows main.
func (c DiscriminatorConfig) specs() []tensorSpec {
	var s []tensorSpec
	widths := c.widths()
	convs := c.convs()
	for i, idx := range convs {
		s = append(s, tensorSpec{fmt.Sprintf("main.%d.weight", idx), []int{widths[i+1], widths[i], 4, 4}})
		if i > 0 && i < len(convs)-1 {
			s = batchNormSpecs(s, fmt.Sprintf("main.%d", idx+1), widths[i+1])
		}
	}
	if c.Cat > 0 || c.Cont > 0 {
		s = append(s, tensorSpec{"q.0.weight", []int{infoGANQWidth, widths[len(widths)-2], 4, 4}})
		s = batchNormSpecs(s, "q.1", infoGANQWidth)
		for _, h := range []struct {
			name string
			n    int
		}{{"q.cat", c.Cat}, {"q.cont", c.Cont}} {
			if h.n > 0 {
				s = append(s, tensorSpec{h.name + ".weight", []int{h.n, infoGANQWidth, 1, 1}}, tensorSpec{h.name + ".bias", []int{h.n}})
			}
		}
	}
	return s
}

func batchNormSpecs(s []tensorSpec, name string, c int) []tensorSpec {
	for _, p := range []string{"weight", "bias", "running_mean", "running_var"} {
		s = append(s, tensorSpec{name + "." + p, []int{c}})
	}
	return s
}

// imageSignal is an image of nc channels in lo..hi.
func imageSignal(nc int, lo, hi float64) Signal {
	if nc == 3 {
		return Signal{Kind: SignalRGB, Min: lo, Max: hi}
	}
	if nc == 1 {
		return Signal{Kind: SignalGray, Min: lo, Max: hi}
	}
	return Signal{Kind: SignalFeatures, Min: lo, Max: hi}
}

// generatorIO: latent z ~ N(0,1) of shape [N,nz,1,1] in, tanh image in -1..1 out.
func generatorIO(nc int) IOSpec {
	return IOSpec{Input: Signal{Kind: SignalLatent}, Output: imageSignal(nc, -1, 1)}
}

// discriminatorIO: image in -1..1 in, probability of "real" out.
func discriminatorIO(nc int) IOSpec {
	return IOSpec{Input: imageSignal(nc, -1, 1), Output: Signal{Kind: SignalProbability, Min: 0, Max: 1}}
}

// ganConfig reads the keys that the GAN networks share beyond their widths: size and,
// by arch, classes or cat and cont.
func ganConfig(w *Weights, conditional, info string, widths ...string) (size, classes, cat, cont int, err error) {
	keys := append([]string{"nc", "size"}, widths...)
	switch w.Arch {
	case conditional:
		keys = append(keys, "classes")
	case info:
		keys = append(keys, "cat", "cont")
	}
	if err = checkConfig(w.Arch, w.Config, keys...); err != nil {
		return
	}
	size = DCGANSize
	if _, ok := w.Config["size"]; ok {
		if size, err = configInt(w.Arch, w.Config, "size", 32, 64); err != nil {
			return
		}
		if size != 32 && size != 64 {
			err = fmt.Errorf("%s: config.size is %d, want 32 or 64", w.Arch, size)
			return
		}
	}
	switch w.Arch {
	case conditional:
		classes, err = configInt(w.Arch, w.Config, "classes", 2, maxGANClasses)
	case info:
		if cat, err = configInt(w.Arch, w.Config, "cat", 0, maxGANClasses); err != nil {
			return
		}
		if cont, err = configInt(w.Arch, w.Config, "cont", 0, maxGANClasses); err != nil {
			return
		}
		if cat == 1 || cat+cont == 0 {
			err = fmt.Errorf("%s: config.cat %d and cont %d: want a categorical code of 2 or more values or a continuous code", w.Arch, cat, cont)
		}
	}
	return
}

// GeneratorConfigOf reads the config of generator weights (dcgan-g, cgan-g or infogan-g).
func GeneratorConfigOf(w *Weights) (GeneratorConfig, error) { return generatorConfig(w) }

func generatorConfig(w *Weights) (GeneratorConfig, error) {
	var c GeneratorConfig
	if !slices.Contains([]string{ArchDCGANGenerator, ArchCGANGenerator, ArchInfoGANGenerator}, w.Arch) {
		return c, fmt.Errorf("weights are for arch %q, want a generator (%s, %s or %s)", w.Arch, ArchDCGANGenerator, ArchCGANGenerator, ArchInfoGANGenerator)
	}
	var err error
	if c.Size, c.Classes, c.Cat, c.Cont, err = ganConfig(w, ArchCGANGenerator, ArchInfoGANGenerator, "nz", "ngf"); err != nil {
		return c, err
	}
	if c.NZ, err = configInt(w.Arch, w.Config, "nz", 1, maxDCGANWidth); err != nil {
		return c, err
	}
	if c.NGF, err = configInt(w.Arch, w.Config, "ngf", 1, maxDCGANWidth); err != nil {
		return c, err
	}
	c.NC, err = configInt(w.Arch, w.Config, "nc", 1, maxDCGANChannels)
	return c, err
}

func discriminatorConfig(w *Weights) (DiscriminatorConfig, error) {
	var c DiscriminatorConfig
	if !slices.Contains([]string{ArchDCGANDiscriminator, ArchCGANDiscriminator, ArchInfoGANDiscriminator}, w.Arch) {
		return c, fmt.Errorf("weights are for arch %q, want a discriminator (%s, %s or %s)", w.Arch, ArchDCGANDiscriminator, ArchCGANDiscriminator, ArchInfoGANDiscriminator)
	}
	var err error
	if c.Size, c.Classes, c.Cat, c.Cont, err = ganConfig(w, ArchCGANDiscriminator, ArchInfoGANDiscriminator, "ndf"); err != nil {
		return c, err
	}
	if c.NDF, err = configInt(w.Arch, w.Config, "ndf", 1, maxDCGANWidth); err != nil {
		return c, err
	}
	c.NC, err = configInt(w.Arch, w.Config, "nc", 1, maxDCGANChannels)
	return c, err
}

// batchNormReLU is an eval-mode BatchNorm2d with running statistics, then ReLU, recorded
// as one op.
func batchNormReLU(r *recorder, p *params, name string, x *gpu.Tensor) *gpu.Tensor {
	return r.keep(name, r.b.BatchNormReLU(x, p.get(name+".weight"), p.get(name+".bias"),
		p.get(name+".running_mean"), p.get(name+".running_var"), batchNormEps))
}

// batchNormLeakyReLU is an eval-mode BatchNorm2d, then LeakyReLU, recorded as one op.
func batchNormLeakyReLU(r *recorder, p *params, name string, x *gpu.Tensor, slope float64) *gpu.Tensor {
	return r.keep(name, r.b.BatchNormLeakyReLU(x, p.get(name+".weight"), p.get(name+".bias"),
		p.get(name+".running_mean"), p.get(name+".running_var"), slope, batchNormEps))
}

// Generator is the DCGAN generator of pytorch/examples: z [N,nz,1,1] through five
// transposed convolutions (BatchNorm and ReLU between them) to a tanh image [N,nc,64,64].
// BatchNorm runs in eval mode, on the running statistics.
type Generator struct {
	Config GeneratorConfig
	IO     IOSpec
	dev    *gpu.Device
	p      *params
}

// NewGenerator checks w (arch dcgan-g, config, every tensor's name and shape) and uploads
// its tensors to dev.
func NewGenerator(dev *gpu.Device, w *Weights) (*Generator, error) {
	c, err := generatorConfig(w)
	if err != nil {
		return nil, fmt.Errorf("Generator: %w", err)
	}
	p, err := loadParams(dev, w, c.specs())
	if err != nil {
		return nil, err
	}
	return &Generator{Config: c, IO: w.IO, dev: dev, p: p}, nil
}

// Release frees the network's weights. Plans must be released first.
func (m *Generator) Release() { m.p.release() }

// Plan allocates an input [n,InputWidth,1,1] and records the forward pass on it; the
// output is [n,nc,Side,Side].
func (m *Generator) Plan(n int) (*Plan, error) {
	return newPlan(m.dev, m.Config.Arch(), m.forward, n, m.Config.InputWidth(), 1, 1)
}

// Record records the forward pass on z [N,nz,1,1] into b, after whatever b holds. The
// plan's Input is z, which stays the caller's; Plan.Run submits b.
func (m *Generator) Record(b *gpu.Batch, z *gpu.Tensor) (*Plan, error) {
	return recordPlan(b, m.Config.Arch(), z, m.forward)
}

func (m *Generator) forward(r *recorder, z *gpu.Tensor) *gpu.Tensor {
	y := z
	n := ganLayers(m.Config.Size)
	for i := range n {
		conv := fmt.Sprintf("main.%d", 3*i)
		stride, pad := 2, 1
		if i == 0 {
			stride, pad = 1, 0
		}
		c := r.convT(m.p, conv, y, gpu.ConvTranspose2DParams{Stride: stride, Padding: pad})
		r.free(y)
		if i == n-1 {
			out := r.keep(fmt.Sprintf("main.%d", 3*i+1), r.b.Tanh(c))
			r.free(c)
			return out
		}
		// main.3i+1 (BatchNorm2d) and main.3i+2 (ReLU) in one op.
		y = batchNormReLU(r, m.p, fmt.Sprintf("main.%d", 3*i+1), c)
		r.free(c)
	}
	return y
}

// Discriminator is the DCGAN discriminator of pytorch/examples: an image [N,nc,64,64]
// through five strided convolutions (BatchNorm and LeakyReLU(0.2) between them) to the
// sigmoid probability [N] that each image is real. BatchNorm runs in eval mode.
type Discriminator struct {
	Config DiscriminatorConfig
	IO     IOSpec
	dev    *gpu.Device
	p      *params
}

// NewDiscriminator checks w (arch dcgan-d, config, every tensor's name and shape) and
// uploads its tensors to dev.
func NewDiscriminator(dev *gpu.Device, w *Weights) (*Discriminator, error) {
	if w.Arch != ArchDCGANDiscriminator {
		// cgan-d and infogan-d run only in training (their inputs and heads differ).
		return nil, fmt.Errorf("Discriminator: weights are for arch %q, want %s", w.Arch, ArchDCGANDiscriminator)
	}
	c, err := discriminatorConfig(w)
	if err != nil {
		return nil, fmt.Errorf("Discriminator: %w", err)
	}
	p, err := loadParams(dev, w, c.specs())
	if err != nil {
		return nil, err
	}
	return &Discriminator{Config: c, IO: w.IO, dev: dev, p: p}, nil
}

// Release frees the network's weights. Plans must be released first.
func (m *Discriminator) Release() { m.p.release() }

// Plan allocates an input [n,nc,Side,Side] and records the forward pass on it; the output
// is [n].
func (m *Discriminator) Plan(n int) (*Plan, error) {
	side := m.Config.Side()
	return newPlan(m.dev, ArchDCGANDiscriminator, m.forward, n, m.Config.NC, side, side)
}

// Record records the forward pass on x [N,nc,Side,Side] into b, after whatever b holds. The
// plan's Input is x, which stays the caller's; Plan.Run submits b.
func (m *Discriminator) Record(b *gpu.Batch, x *gpu.Tensor) (*Plan, error) {
	if x == nil {
		return recordPlan(b, ArchDCGANDiscriminator, x, m.forward)
	}
	if s, side := x.Shape(), m.Config.Side(); len(s) != 4 || s[2] != side || s[3] != side {
		return nil, fmt.Errorf("%s: input %v, want [N,%d,%d,%d]", ArchDCGANDiscriminator, s, m.Config.NC, side, side)
	}
	return recordPlan(b, ArchDCGANDiscriminator, x, m.forward)
}

func (m *Discriminator) forward(r *recorder, x *gpu.Tensor) *gpu.Tensor {
	y := x
	convs := m.Config.convs()
	last := len(convs) - 1
	for i, idx := range convs {
		conv := fmt.Sprintf("main.%d", idx)
		stride, pad := 2, 1
		if i == last {
			stride, pad = 1, 0
		}
		c := r.conv(m.p, conv, y, stride, pad, gpu.PadZeros)
		r.free(y)
		if i == last {
			y = c
			break
		}
		if i == 0 {
			y = r.keep(fmt.Sprintf("main.%d", idx+1), r.b.LeakyReLU(c, 0.2))
		} else {
			// main.idx+1 (BatchNorm2d) and main.idx+2 (LeakyReLU) in one op.
			y = batchNormLeakyReLU(r, m.p, fmt.Sprintf("main.%d", idx+1), c, 0.2)
		}
		r.free(c)
	}
	c := y
	y = r.keep(fmt.Sprintf("main.%d", convs[last]+1), r.b.Sigmoid(c))
	r.free(c)
	if y == nil {
		return nil
	}
	// output.view(-1, 1).squeeze(1): [N,1,1,1] to [N]. The view shares y's buffer, which
	// the plan keeps.
	flat, err := y.Reshape(y.Len())
	if err != nil {
		r.b.Fail(err)
		return r.keep("view", nil)
	}
	return flat
}
