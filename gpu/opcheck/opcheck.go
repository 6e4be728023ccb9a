// Package opcheck holds the op test vectors: every gpu op on random, odd-sized, non-square
// and batched inputs, compared with the float64 reference in gpu/ref. The same table runs
// natively under go test and inside headless Chromium from the wasm build, so every shader
// is also compiled by the browser's WGSL compiler.
package opcheck

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"easel/gpu"
)

// Tolerance is the largest relative error an op may show (see RelErr).
const Tolerance = 1e-4

// Case is one op on one set of shapes.
type Case struct {
	Op   string
	Name string
	// run records the op into a batch on inputs drawn from rng and returns its output
	// tensor and the reference result. Results that are not a returned tensor (an image,
	// a tensor updated in place) it registers with Inputs.expect; then the tensor may be nil.
	run func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64)
}

// Result is the outcome of one Case on one device.
type Result struct {
	Op, Name  string
	Elements  int
	MaxRelErr float64
	Err       error
	Kernels   []string // the kernel of each dispatch the case recorded (gpu.Batch.Kernels)
}

func (r Result) String() string {
	if r.Err != nil {
		return fmt.Sprintf("%s %s: error: %v", r.Op, r.Name, r.Err)
	}
	return fmt.Sprintf("%s %s: %d elements, max rel err %.2e", r.Op, r.Name, r.Elements, r.MaxRelErr)
}

// Passed reports whether the case ran and stayed within Tolerance.
func (r Result) Passed() bool { return r.Err == nil && r.MaxRelErr <= Tolerance }

// Cases lists every op test vector.
func Cases() []Case {
	var cs []Case
	for _, family := range [][]Case{
		elementwiseCases(),
		convCases(),
		convBackwardCases(),
		depthwiseOpCases(),
		normCases(),
		linearCases(),
		reduceCases(),
		concatCases(),
		imageCases(),
		textureCases(),
		blendCases(),
		backwardCases(),
		lossCases(),
		optimCases(),
		normBackwardCases(),
		poolBackwardCases(),
		linearBackwardCases(),
		sliceCases(),
		slotCases(),
		inplaceCases(),
		softmaxCases(),
		peakCases(),
	} {
		cs = append(cs, family...)
	}
	return cs
}

// familyOps are the ops whose kernels differ between gpu's kernel families: the
// convolutions (and the backward ops built on them), the convolutions' weight gradients,
// the depthwise convolution and its gradients, and the matrix products.
var familyOps = map[string]bool{
	"Conv2D": true, "ConvTranspose2D": true, "UpsampleConv2D": true,
	"Conv2DBackwardInput": true, "ConvTranspose2DBackwardInput": true,
	"Conv2DBackwardWeight": true, "ConvTranspose2DBackwardWeight": true,
	"MatMul": true, "MatMulBackward": true, "Linear": true, "LinearBackward": true,
	"Gram": true, "GramBackward": true,
	"DepthwiseConv2D": true, "DepthwiseConv2DBackwardInput": true, "DepthwiseConv2DBackwardWeight": true,
}

// FamilyOp reports whether op's kernels depend on the device's kernel family
// (gpu.KernelFamily): a device forced to the other family runs these cases again.
func FamilyOp(op string) bool { return familyOps[op] }

// subgroupOps are the ops whose kernels reduce over a workgroup (workgroup_reduce.wgsl):
// on a device with subgroups (gpu.AdapterInfo.Subgroups) they run its subgroup variant.
var subgroupOps = map[string]bool{
	"Sum": true, "Mean": true, "MSE": true, "BCE": true, "BCEWithLogits": true, "CrossEntropy": true,
	"TotalVariation": true, "Softmax": true, "SoftmaxBackward": true,
	"InstanceNorm": true, "InstanceNormReLU": true, "InstanceNormAdd": true, "BatchNormTrain": true,
	"InstanceNormBackward": true, "BatchNormTrainBackward": true,
	"DepthwiseConv2DBackwardWeight": true, // the GPU family's kernel
}

// SubgroupOp reports whether op's kernels have a subgroup variant, which the GPU family
// runs on devices with subgroups.
func SubgroupOp(op string) bool { return subgroupOps[op] }

// FamilyKernels are the kernel files only the GPU family launches.
var FamilyKernels = []string{"conv2d_igemm.wgsl", "conv2d_weight_grad_igemm.wgsl", "matmul_shared.wgsl",
	"depthwise_conv2d_pixel.wgsl", "depthwise_conv2d_weight_grad_reduce.wgsl"}

// Check runs the case on dev with poisoned outputs and compares with the reference.
func (c Case) Check(ctx context.Context, dev *gpu.Device, seed uint64) Result {
	res := Result{Op: c.Op, Name: c.Name}
	dev.SetPoison(true)
	defer dev.SetPoison(false)
	in := &Inputs{d: dev, rng: rand.New(rand.NewPCG(seed, 0x5eed))}
	defer in.release()
	b := dev.NewBatch()
	defer b.Release()
	y, want := c.run(b, in)
	if y != nil {
		// Released on every path: a failed op may still return its output, and a buffer
		// left to the garbage collector is destroyed with its poison write still queued,
		// which crashes lavapipe at the next submit.
		defer y.Release()
	}
	res.Kernels = b.Kernels()
	if in.err != nil {
		res.Err = in.err
		return res
	}
	if err := b.Submit(); err != nil {
		res.Err = err
		return res
	}
	outs := in.more
	switch {
	case y != nil:
		outs = append([]output{{fmt.Sprintf("output %v", y.Shape()), y.Read, want}}, outs...)
	case want != nil:
		res.Err = fmt.Errorf("the op returned no tensor and no error")
		return res
	case len(outs) == 0:
		res.Err = fmt.Errorf("the case produced no output")
		return res
	}
	for _, o := range outs {
		got, err := o.read(ctx)
		if err != nil {
			res.Err = fmt.Errorf("%s: %w", o.name, err)
			return res
		}
		if len(got) != len(o.want) {
			res.Err = fmt.Errorf("%s has %d elements, reference %d", o.name, len(got), len(o.want))
			return res
		}
		res.Elements += len(got)
		res.MaxRelErr = math.Max(res.MaxRelErr, RelErr(got, o.want))
	}
	return res
}

// output is one result a case compares with its reference: its returned tensor, or one
// it registered with expect (an image, a tensor an op updated in place).
type output struct {
	name string
	read func(context.Context) ([]float32, error)
	want []float64
}

// expect adds a result to compare besides the tensor the case returns; a case whose op
// returns no tensor returns nil and registers its results here.
func (in *Inputs) expect(name string, read func(context.Context) ([]float32, error), want []float64) {
	in.more = append(in.more, output{name, read, want})
}

// RelErr is the largest |got-want| / max(|want|, 0.01·max|want|) over all elements: relative
// for every element but those far below the output's scale. NaN or Inf in got gives +Inf.
func RelErr(got []float32, want []float64) float64 {
	scale := 0.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	floor := math.Max(0.01*scale, 1e-30)
	worst := 0.0
	for i, g := range got {
		gf := float64(g)
		if math.IsNaN(gf) || math.IsInf(gf, 0) {
			return math.Inf(1)
		}
		worst = math.Max(worst, math.Abs(gf-want[i])/math.Max(math.Abs(want[i]), floor))
	}
	return worst
}

// Inputs draws random input tensors for a case and remembers them for release.
type Inputs struct {
	d    *gpu.Device
	rng  *rand.Rand
	ts   []*gpu.Tensor
	imgs []*gpu.Image
	texs []*gpu.Texture
	more []output // results to compare besides the returned tensor
	err  error
}

// Randn returns a tensor of standard normal values and the same values in float64
// (rounded through float32, so the reference sees exactly what the GPU sees).
func (in *Inputs) Randn(shape ...int) (*gpu.Tensor, []float64) {
	return in.random(func() float64 { return in.rng.NormFloat64() }, shape)
}

// Uniform returns a tensor of values uniform in [lo, hi).
func (in *Inputs) Uniform(lo, hi float64, shape ...int) (*gpu.Tensor, []float64) {
	return in.random(func() float64 { return lo + (hi-lo)*in.rng.Float64() }, shape)
}

func (in *Inputs) random(draw func() float64, shape []int) (*gpu.Tensor, []float64) {
	n := 1
	for _, s := range shape {
		n *= s
	}
	f32 := make([]float32, n)
	f64 := make([]float64, n)
	for i := range f32 {
		f32[i] = float32(draw())
		f64[i] = float64(f32[i])
	}
	t, err := in.d.FromData(f32, shape...)
	if err != nil {
		if in.err == nil {
			in.err = err
		}
		return nil, f64
	}
	in.ts = append(in.ts, t)
	return t, f64
}

// Rng is the case's random source, for drawing parameters.
func (in *Inputs) Rng() *rand.Rand { return in.rng }

func (in *Inputs) release() {
	for _, t := range in.ts {
		t.Release()
	}
	for _, im := range in.imgs {
		im.Release()
	}
	for _, t := range in.texs {
		t.Release()
	}
}
