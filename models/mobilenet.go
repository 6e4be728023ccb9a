package models

import (
	"fmt"
	"slices"
	"strings"

	"easel/autograd"
	"easel/gpu"
)

// ArchMobileNetV2 is Keras's MobileNetV2 (width 1.0) feature stack, as TF.js models ship
// it, with every batch normalisation folded into the convolution before it: a pretrained
// loss network that a package can carry (see ImportTFJS).
const ArchMobileNetV2 = "mobilenetv2"

// mnv2Blocks are the inverted residual blocks: expansion t, output channels c, stride s.
// Block 0 is Keras's expanded_conv, block i > 0 its block_i.
var mnv2Blocks = []struct{ t, c, s int }{
	{1, 16, 1},
	{6, 24, 2}, {6, 24, 1},
	{6, 32, 2}, {6, 32, 1}, {6, 32, 1},
	{6, 64, 2}, {6, 64, 1}, {6, 64, 1}, {6, 64, 1},
	{6, 96, 1}, {6, 96, 1}, {6, 96, 1},
	{6, 160, 2}, {6, 160, 1}, {6, 160, 1},
	{6, 320, 1},
}

// mnv2Stem is the channel count of the first convolution (Conv1: 3×3, stride 2).
const mnv2Stem = 32

// MobileNetConfig is a MobileNetV2 stack (config key blocks): the stem and the first
// Blocks inverted residual blocks, 1..17; loss layers are all in the first few, so
// an imported stack is cut after the deepest one a loss may want.
type MobileNetConfig struct {
	Blocks int
}

// Config returns the weights-file config of c.
func (c MobileNetConfig) Config() Config { return Config{"blocks": c.Blocks} }

// Check refuses a config the network cannot be built from.
func (c MobileNetConfig) Check() error {
	if c.Blocks < 1 || c.Blocks > len(mnv2Blocks) {
		return fmt.Errorf("%s: config.blocks is %d, want 1..%d", ArchMobileNetV2, c.Blocks, len(mnv2Blocks))
	}
	return nil
}

// mnv2Prefix is the Keras name prefix of block i.
func mnv2Prefix(i int) string {
	if i == 0 {
		return "expanded_conv"
	}
	return fmt.Sprintf("block_%d", i)
}

// mnv2Op is one step of the stack: a convolution (with its folded batch norm, and ReLU6
// unless linear), a zero pad of one row and column at the bottom and right (Keras's
// ZeroPadding2D ((0,1),(0,1)) before a stride-2 convolution), or the residual add.
type mnv2Op struct {
	kind      string // conv, depthwise, pad, add
	name      string // Keras layer name of the convolution (weights "NAME.weight", "NAME.bias")
	in, out   int
	k, stride int
	relu6     bool
	// feature names the layer whose output is this op's (a ReLU, a projection's batch
	// norm or an add), "" if it is not a loss layer.
	feature string
	block   int // the block the op belongs to, -1 for the stem
}

// ops lists the stack's steps, input first.
func (c MobileNetConfig) ops() []mnv2Op {
	ops := []mnv2Op{
		{kind: "pad", block: -1},
		{kind: "conv", name: "Conv1", in: 3, out: mnv2Stem, k: 3, stride: 2, relu6: true, feature: "Conv1_relu", block: -1},
	}
	in := mnv2Stem
	for i, b := range mnv2Blocks[:c.Blocks] {
		p := mnv2Prefix(i)
		mid := in * b.t
		if b.t != 1 {
			ops = append(ops, mnv2Op{kind: "conv", name: p + "_expand", in: in, out: mid, k: 1, stride: 1, relu6: true, feature: p + "_expand_relu", block: i})
		}
		if b.s == 2 {
			ops = append(ops, mnv2Op{kind: "pad", block: i})
		}
		ops = append(ops,
			mnv2Op{kind: "depthwise", name: p + "_depthwise", in: mid, out: mid, k: 3, stride: b.s, relu6: true, feature: p + "_depthwise_relu", block: i},
			mnv2Op{kind: "conv", name: p + "_project", in: mid, out: b.c, k: 1, stride: 1, feature: p + "_project_BN", block: i})
		if b.s == 1 && in == b.c {
			ops[len(ops)-1].feature = ""
			ops = append(ops, mnv2Op{kind: "add", feature: p + "_add", block: i})
		}
		in = b.c
	}
	return ops
}

// LayerNames lists the stack's loss layers, input first: the Keras names of its ReLU6
// outputs, block outputs (projections and residual adds).
func (c MobileNetConfig) LayerNames() []string {
	var names []string
	for _, op := range c.ops() {
		if op.feature != "" {
			names = append(names, op.feature)
		}
	}
	return names
}

func (c MobileNetConfig) specs() []tensorSpec {
	var s []tensorSpec
	for _, op := range c.ops() {
		switch op.kind {
		case "conv":
			s = append(s, tensorSpec{op.name + ".weight", []int{op.out, op.in, op.k, op.k}}, tensorSpec{op.name + ".bias", []int{op.out}})
		case "depthwise":
			s = append(s, tensorSpec{op.name + ".weight", []int{op.out, 1, op.k, op.k}}, tensorSpec{op.name + ".bias", []int{op.out}})
		}
	}
	return s
}

// Shapes returns every tensor of the stack, by name.
func (c MobileNetConfig) Shapes() map[string][]int { return specShapes(c.specs()) }

// mobileNetIO: an RGB image in 0..255 in (scaled to 0..1 inside, as the TF.js models
// expect), feature maps out.
var mobileNetIO = IOSpec{Input: Signal{Kind: SignalRGB, Min: 0, Max: 255}, Output: Signal{Kind: SignalFeatures}}

// MobileNetConfigOf reads and checks the config of mobilenetv2 weights.
func MobileNetConfigOf(w *Weights) (MobileNetConfig, error) {
	if w.Arch != ArchMobileNetV2 {
		return MobileNetConfig{}, fmt.Errorf("weights are for arch %q, want %s", w.Arch, ArchMobileNetV2)
	}
	if err := checkConfig(w.Arch, w.Config, "blocks"); err != nil {
		return MobileNetConfig{}, err
	}
	var c MobileNetConfig
	var err error
	if c.Blocks, err = configInt(w.Arch, w.Config, "blocks", 1, len(mnv2Blocks)); err != nil {
		return c, err
	}
	return c, c.Check()
}

// MobileNet is a MobileNetV2 loss network on the device.
type MobileNet struct {
	Config MobileNetConfig
	dev    *gpu.Device
	p      *params
	names  []string
}

// NewMobileNet uploads a MobileNetV2 stack's weights.
func NewMobileNet(dev *gpu.Device, w *Weights) (*MobileNet, error) {
	c, err := MobileNetConfigOf(w)
	if err != nil {
		return nil, fmt.Errorf("loss network: %w", err)
	}
	m := &MobileNet{Config: c, dev: dev, names: c.LayerNames()}
	if m.p, err = loadParams(dev, w, c.specs()); err != nil {
		return nil, err
	}
	return m, nil
}

// Arch is mobilenetv2.
func (m *MobileNet) Arch() string { return ArchMobileNetV2 }

// Layers is the number of loss layers the weights hold.
func (m *MobileNet) Layers() int { return len(m.names) }

// LayerName is the name of loss layer i.
func (m *MobileNet) LayerName(i int) string { return m.names[i] }

// LayerIndex is the position of the loss layer called name; the error lists the names.
func (m *MobileNet) LayerIndex(name string) (int, error) {
	if i := slices.Index(m.names, name); i >= 0 {
		return i, nil
	}
	all := (MobileNetConfig{Blocks: len(mnv2Blocks)}).LayerNames()
	if slices.Contains(all, name) {
		return 0, fmt.Errorf("%s: layer %s is past the %d blocks these weights hold (deepest: %s)", ArchMobileNetV2, name, m.Config.Blocks, m.names[len(m.names)-1])
	}
	return 0, fmt.Errorf("%s has no layer %q; its layers are %s", ArchMobileNetV2, name, strings.Join(m.names, ", "))
}

// Features records the stack on x [N,3,H,W] (RGB 0..255) through loss layer deepest and
// returns the outputs of the layers want (each 0..deepest), in their order.
func (m *MobileNet) Features(tp *autograd.Tape, x *autograd.Var, deepest int, want []int) []*autograd.Var {
	b := tp.Batch()
	if deepest < 0 || deepest >= len(m.names) {
		b.Fail(fmt.Errorf("%s: layer %d past the %d layers held", ArchMobileNetV2, deepest, len(m.names)))
		return nil
	}
	for _, k := range want {
		if k < 0 || k > deepest {
			b.Fail(fmt.Errorf("%s: feature of layer %d asked of a stack run through layer %d", ArchMobileNetV2, k, deepest))
			return nil
		}
	}
	out := make([]*autograd.Var, len(want))
	y := tp.Scale(x, 1.0/255, 0)
	var blockIn *autograd.Var // the current block's input, for its residual add
	block, layer := -2, 0
	for _, op := range m.Config.ops() {
		if op.block != block {
			block, blockIn = op.block, y
		}
		switch op.kind {
		case "pad":
			y = zeroPadBottomRight(tp, y)
		case "conv":
			y = tp.Conv2D(y, tp.Constant(m.p.get(op.name+".weight")), tp.Constant(m.p.get(op.name+".bias")),
				gpu.Conv2DParams{Stride: op.stride, Padding: (op.k - 1) / 2 * btoi(op.stride == 1)})
		case "depthwise":
			y = tp.DepthwiseConv2D(y, tp.Constant(m.p.get(op.name+".weight")), tp.Constant(m.p.get(op.name+".bias")),
				gpu.Conv2DParams{Stride: op.stride, Padding: (op.k - 1) / 2 * btoi(op.stride == 1)})
		case "add":
			y = tp.Add(blockIn, y)
		}
		if op.relu6 {
			y = tp.Clamp(y, 0, 6)
		}
		if tp.Err() != nil {
			return nil
		}
		if op.feature == "" {
			continue
		}
		for j, k := range want {
			if k == layer {
				out[j] = y
			}
		}
		if layer == deepest {
			break
		}
		layer++
	}
	return out
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// zeroPadBottomRight appends a row and a column of zeros to x [N,C,H,W] at the bottom and
// right: Keras's padding before its stride-2 "valid" convolutions.
func zeroPadBottomRight(tp *autograd.Tape, x *autograd.Var) *autograd.Var {
	b := tp.Batch()
	s := x.Shape()
	if len(s) != 4 {
		b.Fail(fmt.Errorf("%s: pad of a rank-%d tensor", ArchMobileNetV2, len(s)))
		return nil
	}
	// The zeros go back to the batch's pool once concatenated: Concat's backward only
	// slices the gradient.
	row := b.NewTensor(s[0], s[1], 1, s[3])
	b.Fill(row, 0)
	y := tp.Concat(2, x, tp.Constant(row))
	b.Reuse(row)
	col := b.NewTensor(s[0], s[1], s[2]+1, 1)
	b.Fill(col, 0)
	y = tp.Concat(3, y, tp.Constant(col))
	b.Reuse(col)
	return y
}

// sides returns the feature map side after each op for an input side n (0 once a side
// vanishes).
func (c MobileNetConfig) side(n, deepest int) int {
	layer := 0
	for _, op := range c.ops() {
		switch op.kind {
		case "pad":
			n++
		case "conv", "depthwise":
			pad := (op.k - 1) / 2 * btoi(op.stride == 1)
			if n+2*pad < op.k {
				return 0
			}
			n = (n+2*pad-op.k)/op.stride + 1
		}
		if op.feature != "" {
			if layer == deepest {
				return n
			}
			layer++
		}
	}
	return n
}

// MinSide is the least image side that the stack through layer deepest takes.
func (m *MobileNet) MinSide(deepest int) int {
	n := 1
	for m.Config.side(n, deepest) < 1 {
		n++
	}
	return n
}

// FLOPs counts multiply-adds ×2 of the convolutions through layer deepest on one h×w
// image.
func (m *MobileNet) FLOPs(deepest, h, w int) float64 {
	var f float64
	layer := 0
	for _, op := range m.Config.ops() {
		switch op.kind {
		case "pad":
			h, w = h+1, w+1
		case "conv", "depthwise":
			pad := (op.k - 1) / 2 * btoi(op.stride == 1)
			h, w = (h+2*pad-op.k)/op.stride+1, (w+2*pad-op.k)/op.stride+1
			per := op.in
			if op.kind == "depthwise" {
				per = 1
			}
			f += 2 * float64(h*w*op.out*per*op.k*op.k)
		}
		if op.feature != "" {
			if layer == deepest {
				break
			}
			layer++
		}
	}
	return f
}

// Release frees the weights on the device.
func (m *MobileNet) Release() { m.p.release() }
