package gpu

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"

	"easel/shaders"
)

// constant is one shape or parameter value baked into a kernel's WGSL text. Baking shapes
// in lets the shader compiler fold index arithmetic and unroll loops, which is most of the
// speed on CPU drivers such as lavapipe.
type constant struct {
	name  string
	value string // a WGSL literal
}

func cu(name string, v int) constant {
	if v < 0 || v > math.MaxUint32 {
		panic(fmt.Sprintf("gpu: constant %s=%d out of u32 range", name, v)) // callers check shapes first
	}
	return constant{name, strconv.Itoa(v) + "u"}
}

func ci(name string, v int) constant { return constant{name, strconv.Itoa(v) + "i"} }

func cf(name string, v float64) constant {
	s := strconv.FormatFloat(float64(float32(v)), 'e', 9, 32)
	return constant{name, s + "f"}
}

func cb(name string, v bool) constant {
	if v {
		return constant{name, "true"}
	}
	return constant{name, "false"}
}

// shaderSource returns the text of a shader file. The dev/conv2d benchmark (a test) adds
// the retired kernels of dev/conv2d, which the product does not embed.
var shaderSource = shaders.Source

// includePrefix starts a line of a shader file that stands for the text of another one:
// helpers a family of kernels shares (conv_common.wgsl), written once.
const includePrefix = "//!include "

// kernelSource assembles the WGSL module: constants, the common prelude, the op file with
// its include lines replaced by the files they name.
func kernelSource(file string, consts []constant) (string, error) {
	body, err := shaderSource(file)
	if err != nil {
		return "", fmt.Errorf("gpu: shader %s: %w", file, err)
	}
	common, err := shaderSource("common.wgsl")
	if err != nil {
		return "", fmt.Errorf("gpu: shader common.wgsl: %w", err)
	}
	var sb strings.Builder
	for _, c := range consts {
		fmt.Fprintf(&sb, "const %s = %s;\n", c.name, c.value)
	}
	sb.WriteString(common)
	sb.WriteString("\n")
	for line := range strings.Lines(body) {
		name, ok := strings.CutPrefix(line, includePrefix)
		if !ok {
			sb.WriteString(line)
			continue
		}
		name = strings.TrimSpace(name)
		text, err := shaderSource(name)
		if err != nil {
			return "", fmt.Errorf("gpu: shader %s: include %s: %w", file, name, err)
		}
		sb.WriteString(text)
		if !strings.HasSuffix(text, "\n") {
			sb.WriteString("\n")
		}
	}
	return sb.String(), nil
}

// kernel is one compiled compute pipeline with its explicit bind group layout.
type kernel struct {
	name     string
	module   *wgpu.ShaderModule
	bgl      *wgpu.BindGroupLayout
	layout   *wgpu.PipelineLayout
	pipeline *wgpu.ComputePipeline
	kinds    []bindKind // per binding
}

// bindKind is how a kernel declares one buffer binding.
type bindKind uint8

const (
	bindRead    bindKind = iota // var<storage, read>
	bindWrite                   // var<storage, read_write>
	bindUniform                 // var<uniform>: on lavapipe a load is one vector gather (one
	// scalar load at offsets fixed at compile time), where a storage load is a
	// bounds-checked loop over the invocations of a SIMD group
	bindTexture // texture_2d<f32>, read with textureLoad (a camera frame)
)

func (k bindKind) layoutType() gputypes.BufferBindingType {
	switch k {
	case bindWrite:
		return gputypes.BufferBindingTypeStorage
	case bindUniform:
		return gputypes.BufferBindingTypeUniform
	}
	return gputypes.BufferBindingTypeReadOnlyStorage
}

// release frees whatever parts were created; a failed compile leaves some nil.
func (k *kernel) release() {
	if k.pipeline != nil {
		k.pipeline.Release()
	}
	if k.layout != nil {
		k.layout.Release()
	}
	if k.bgl != nil {
		k.bgl.Release()
	}
	if k.module != nil {
		k.module.Release()
	}
}

// kernel returns the pipeline for entry point entry of file compiled with consts, compiling
// it at most once per device. kinds[i] says how binding i is declared.
func (d *Device) kernel(file, entry string, consts []constant, kinds []bindKind) (*kernel, error) {
	src, err := kernelSource(file, consts)
	if err != nil {
		return nil, err
	}
	var key strings.Builder
	key.WriteString(entry)
	for _, k := range kinds {
		key.WriteByte("rwut"[k])
	}
	key.WriteString(src)
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil, ErrClosed
	}
	k := d.kernels[key.String()]
	d.mu.Unlock()
	if k != nil {
		return k, nil
	}
	k, err = d.compile(file+":"+entry, src, entry, kinds)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.kernels[key.String()] = k
	d.mu.Unlock()
	return k, nil
}

func (d *Device) compile(name, src, entry string, kinds []bindKind) (*kernel, error) {
	if err := d.beginCompileCheck(); err != nil {
		return nil, err
	}
	k := &kernel{name: name, kinds: kinds}
	var err error
	k.module, err = d.dev.CreateShaderModule(&wgpu.ShaderModuleDescriptor{Label: name, WGSL: src})
	if err != nil {
		d.endCompileCheck()
		return nil, fmt.Errorf("gpu: compile %s: %w", name, err)
	}
	entries := make([]gputypes.BindGroupLayoutEntry, len(kinds))
	for i, kind := range kinds {
		entries[i] = gputypes.BindGroupLayoutEntry{Binding: uint32(i), Visibility: wgpu.ShaderStageCompute}
		if kind == bindTexture {
			entries[i].Texture = &gputypes.TextureBindingLayout{SampleType: gputypes.TextureSampleTypeFloat,
				ViewDimension: gputypes.TextureViewDimension2D}
		} else {
			entries[i].Buffer = &gputypes.BufferBindingLayout{Type: kind.layoutType()}
		}
	}
	k.bgl, err = d.dev.CreateBindGroupLayout(&wgpu.BindGroupLayoutDescriptor{Label: name, Entries: entries})
	if err == nil {
		k.layout, err = d.dev.CreatePipelineLayout(&wgpu.PipelineLayoutDescriptor{Label: name,
			BindGroupLayouts: []*wgpu.BindGroupLayout{k.bgl}})
	}
	if err == nil {
		k.pipeline, err = d.dev.CreateComputePipeline(&wgpu.ComputePipelineDescriptor{Label: name,
			Layout: k.layout, Module: k.module, EntryPoint: entry})
	}
	if cerr := d.endCompileCheck(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		k.release()
		return nil, fmt.Errorf("gpu: build pipeline %s: %w", name, err)
	}
	return k, nil
}

// grid1D spreads n invocations of workgroup size wg over a 2D grid of at most 65535 groups
// per dimension. It returns the group counts and GRID_X, the invocations per grid row.
func grid1D(n, wg int) (gx, gy, gridX int) {
	groups := (n + wg - 1) / wg
	gx = min(groups, 65535)
	gy = (groups + gx - 1) / gx
	return gx, gy, gx * wg
}
