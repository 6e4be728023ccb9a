package models

import (
	"fmt"

	"easel/gpu"
)

// Architecture names of the DCGAN networks of pytorch/examples dcgan.
const (
	ArchDCGANGenerator     = "dcgan-g"
	ArchDCGANDiscriminator = "dcgan-d"
)

// DCGANSize is the image size of the DCGAN networks: 64×64.
const DCGANSize = 64

// Bounds of DCGAN hyperparameters: far above any useful network, low enough that no shape
// computed from them overflows.
const (
	maxDCGANWidth    = 4096 // nz, ngf, ndf
	maxDCGANChannels = 64   // nc
)

// batchNormEps is nn.BatchNorm2d's default eps, which dcgan keeps.
const batchNormEps = 1e-5

// GeneratorConfig holds the Generator's hyperparameters: latent size nz, width ngf and
// image channels nc (config keys nz, ngf, nc).
type GeneratorConfig struct {
	NZ, NGF, NC int
}

// Config returns the weights-file config of c.
func (c GeneratorConfig) Config() Config { return Config{"nz": c.NZ, "ngf": c.NGF, "nc": c.NC} }

// Shapes returns every state_dict tensor of the Generator with config c, by name.
// BatchNorm's num_batches_tracked is not among them: inference has no use for it.
func (c GeneratorConfig) Shapes() map[string][]int { return specShapes(c.specs()) }

// specs lists the tensors in the order of PyTorch's state_dict.
func (c GeneratorConfig) specs() []tensorSpec {
	var s []tensorSpec
	widths := []int{c.NZ, 8 * c.NGF, 4 * c.NGF, 2 * c.NGF, c.NGF, c.NC}
	for i := range 5 {
		s = append(s, tensorSpec{fmt.Sprintf("main.%d.weight", 3*i), []int{widths[i], widths[i+1], 4, 4}})
		if i < 4 {
			s = batchNormSpecs(s, fmt.Sprintf("main.%d", 3*i+1), widths[i+1])
		}
	}
	return s
}

// DiscriminatorConfig holds the Discriminator's hyperparameters: width ndf and image
// channels nc (config keys ndf, nc).
type DiscriminatorConfig struct {
	NDF, NC int
}

// Config returns the weights-file config of c.
func (c DiscriminatorConfig) Config() Config { return Config{"ndf": c.NDF, "nc": c.NC} }

// discriminatorConvs are the indices in main of the Discriminator's convolutions; each but
// the first and last is followed by a BatchNorm2d at the next index.
var discriminatorConvs = [5]int{0, 2, 5, 8, 11}

// Shapes returns every state_dict tensor of the Discriminator with config c, by name.
func (c DiscriminatorConfig) Shapes() map[string][]int { return specShapes(c.specs()) }

// specs lists the tensors in the order of PyTorch's state_dict.
func (c DiscriminatorConfig) specs() []tensorSpec {
	var s []tensorSpec
	widths := []int{c.NC, c.NDF, 2 * c.NDF, 4 * c.NDF, 8 * c.NDF, 1}
	for i, idx := range discriminatorConvs {
		s = append(s, tensorSpec{fmt.Sprintf("main.%d.weight", idx), []int{widths[i+1], widths[i], 4, 4}})
		if i > 0 && i < 4 {
			s = batchNormSpecs(s, fmt.Sprintf("main.%d", idx+1), widths[i+1])
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
	// The format has no kind for images other than RGB (e.g. 1-channel MNIST).
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

func generatorConfig(w *Weights) (GeneratorConfig, error) {
	if err := checkConfig(w.Arch, w.Config, "nz", "ngf", "nc"); err != nil {
		return GeneratorConfig{}, err
	}
	var c GeneratorConfig
	var err error
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
	if err := checkConfig(w.Arch, w.Config, "ndf", "nc"); err != nil {
		return DiscriminatorConfig{}, err
	}
	var c DiscriminatorConfig
	var err error
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
	if w.Arch != ArchDCGANGenerator {
		return nil, fmt.Errorf("Generator: weights are for arch %q, want %s", w.Arch, ArchDCGANGenerator)
	}
	c, err := generatorConfig(w)
	if err != nil {
		return nil, err
	}
	p, err := loadParams(dev, w, c.specs())
	if err != nil {
		return nil, err
	}
	return &Generator{Config: c, IO: w.IO, dev: dev, p: p}, nil
}

// Release frees the network's weights. Plans must be released first.
func (m *Generator) Release() { m.p.release() }

// Plan allocates an input z [n,nz,1,1] and records the forward pass on it; the output is
// [n,nc,64,64].
func (m *Generator) Plan(n int) (*Plan, error) {
	return newPlan(m.dev, ArchDCGANGenerator, m.forward, n, m.Config.NZ, 1, 1)
}

// Record records the forward pass on z [N,nz,1,1] into b, after whatever b holds. The
// plan's Input is z, which stays the caller's; Plan.Run submits b.
func (m *Generator) Record(b *gpu.Batch, z *gpu.Tensor) (*Plan, error) {
	return recordPlan(b, ArchDCGANGenerator, z, m.forward)
}

func (m *Generator) forward(r *recorder, z *gpu.Tensor) *gpu.Tensor {
	y := z
	for i := range 5 {
		conv := fmt.Sprintf("main.%d", 3*i)
		stride, pad := 2, 1
		if i == 0 {
			stride, pad = 1, 0
		}
		c := r.keep(conv, r.b.ConvTranspose2D(y, m.p.get(conv+".weight"), nil,
			gpu.ConvTranspose2DParams{Stride: stride, Padding: pad}))
		r.free(y)
		if i == 4 {
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
		return nil, fmt.Errorf("Discriminator: weights are for arch %q, want %s", w.Arch, ArchDCGANDiscriminator)
	}
	c, err := discriminatorConfig(w)
	if err != nil {
		return nil, err
	}
	p, err := loadParams(dev, w, c.specs())
	if err != nil {
		return nil, err
	}
	return &Discriminator{Config: c, IO: w.IO, dev: dev, p: p}, nil
}

// Release frees the network's weights. Plans must be released first.
func (m *Discriminator) Release() { m.p.release() }

// Plan allocates an input [n,nc,64,64] and records the forward pass on it; the output is [n].
func (m *Discriminator) Plan(n int) (*Plan, error) {
	return newPlan(m.dev, ArchDCGANDiscriminator, m.forward, n, m.Config.NC, DCGANSize, DCGANSize)
}

// Record records the forward pass on x [N,nc,64,64] into b, after whatever b holds. The
// plan's Input is x, which stays the caller's; Plan.Run submits b.
func (m *Discriminator) Record(b *gpu.Batch, x *gpu.Tensor) (*Plan, error) {
	if x == nil {
		return recordPlan(b, ArchDCGANDiscriminator, x, m.forward)
	}
	if s := x.Shape(); len(s) != 4 || s[2] != DCGANSize || s[3] != DCGANSize {
		return nil, fmt.Errorf("%s: input %v, want [N,%d,%d,%d]", ArchDCGANDiscriminator, s, m.Config.NC, DCGANSize, DCGANSize)
	}
	return recordPlan(b, ArchDCGANDiscriminator, x, m.forward)
}

func (m *Discriminator) forward(r *recorder, x *gpu.Tensor) *gpu.Tensor {
	y := x
	for i, idx := range discriminatorConvs {
		conv := fmt.Sprintf("main.%d", idx)
		stride, pad := 2, 1
		if i == 4 {
			stride, pad = 1, 0
		}
		c := r.conv(m.p, conv, y, stride, pad, gpu.PadZeros)
		r.free(y)
		if i == 4 {
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
	y = r.keep("main.12", r.b.Sigmoid(c))
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
