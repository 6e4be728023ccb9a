package gpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gogpu/gputypes"
	"github.com/gogpu/wgpu"

	"easel/shaders"
)

// constant is one shape or parameter value of a kernel. A baked constant is written into
// the kernel's WGSL text: the shader compiler folds index arithmetic and unrolls loops on
// it, which is most of the speed on CPU drivers such as lavapipe, but every new value is a
// new pipeline. A runtime constant (ru, ri) is read from a small uniform buffer each launch
// binds instead (the kernel's params, see kernelSource), so that a new value (an image
// size, a batch size) reuses the compiled pipeline. Values that unrolling or array sizes
// need (channels per window, tile shapes) stay baked.
type constant struct {
	name    string
	value   string // a WGSL literal
	runtime bool   // read from the params uniform: bits holds the value
	bits    uint32
}

func cu(name string, v int) constant {
	if v < 0 || v > math.MaxUint32 {
		panic(fmt.Sprintf("gpu: constant %s=%d out of u32 range", name, v)) // callers check shapes first
	}
	return constant{name: name, value: strconv.Itoa(v) + "u"}
}

func ci(name string, v int) constant { return constant{name: name, value: strconv.Itoa(v) + "i"} }

func cf(name string, v float64) constant {
	s := strconv.FormatFloat(float64(float32(v)), 'e', 9, 32)
	return constant{name: name, value: s + "f"}
}

func cb(name string, v bool) constant {
	if v {
		return constant{name: name, value: "true"}
	}
	return constant{name: name, value: "false"}
}

// ru is a runtime u32 constant: a size the pipeline does not depend on.
func ru(name string, v int) constant {
	c := cu(name, v)
	c.runtime, c.bits, c.value = true, uint32(v), "u32"
	return c
}

// rf is a runtime f32 constant.
func rf(name string, v float64) constant {
	return constant{name: name, value: "f32", runtime: true, bits: math.Float32bits(float32(v))}
}

// ri is a runtime i32 constant.
func ri(name string, v int) constant {
	if v < math.MinInt32 || v > math.MaxInt32 {
		panic(fmt.Sprintf("gpu: constant %s=%d out of i32 range", name, v)) // callers check shapes first
	}
	return constant{name: name, value: "i32", runtime: true, bits: uint32(int32(v))}
}

// paramsName is the uniform a kernel reads its runtime constants from, and
// paramsBinding its binding: above every binding a shader file declares, since a file's
// entry points bind different counts of buffers.
const (
	paramsName    = "params"
	paramsBinding = 31
)

// number is the binding number of the i-th argument of a launch of this kind.
func (k bindKind) number(i int) uint32 {
	if k == bindParams {
		return paramsBinding
	}
	return uint32(i)
}

// splitRuntime returns the runtime constants of consts, in order.
func splitRuntime(consts []constant) []constant {
	var rt []constant
	for _, c := range consts {
		if c.runtime {
			rt = append(rt, c)
		}
	}
	return rt
}

// paramsBytes is the runtime constants' values as the params uniform holds them: one
// little-endian 32-bit word each, padded to whole vec4.
func paramsBytes(rt []constant) []byte {
	out := make([]byte, (len(rt)+3)/4*16)
	for i, c := range rt {
		binary.LittleEndian.PutUint32(out[4*i:], c.bits)
	}
	return out
}

// shaderSource returns the text of a shader file. The dev/conv2d benchmark (a test) adds
// the retired kernels of dev/conv2d, which the product does not embed.
var shaderSource = shaders.Source

// includePrefix starts a line of a shader file that stands for the text of another one:
// helpers a family of kernels shares (conv_common.wgsl), written once.
const includePrefix = "//!include "

// subgroupSuffix ends the name of an include's variant for devices with subgroups:
// workgroup_reduce.wgsl has workgroup_reduce_subgroup.wgsl.
const subgroupSuffix = "_subgroup.wgsl"

// kernelSource assembles the WGSL module: constants, the common prelude, the op file with
// its include lines replaced by the files they name. Runtime constants become fields of
// the params uniform at binding paramsBinding, and every use of their names in the text
// reads the field.
// With subgroups, an include of NAME.wgsl takes NAME_subgroup.wgsl where that file
// exists (the same functions written with subgroup operations), and the module starts by
// enabling the subgroups extension.
func kernelSource(file string, consts []constant, subgroups bool) (string, error) {
	body, err := shaderSource(file)
	if err != nil {
		return "", fmt.Errorf("gpu: shader %s: %w", file, err)
	}
	common, err := shaderSource("common.wgsl")
	if err != nil {
		return "", fmt.Errorf("gpu: shader common.wgsl: %w", err)
	}
	var head, sb strings.Builder
	rt := splitRuntime(consts)
	enable := false
	for _, c := range consts {
		if !c.runtime {
			fmt.Fprintf(&head, "const %s = %s;\n", c.name, c.value)
		}
	}
	if len(rt) > 0 {
		head.WriteString("struct Params {\n")
		for _, c := range rt {
			fmt.Fprintf(&head, "    %s: %s,\n", c.name, c.value)
		}
		fmt.Fprintf(&head, "}\n@group(0) @binding(%d) var<uniform> %s: Params;\n", paramsBinding, paramsName)
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
		if subgroups {
			variant := strings.TrimSuffix(name, ".wgsl") + subgroupSuffix
			if _, err := shaderSource(variant); err == nil {
				name, enable = variant, true
			}
		}
		text, err := shaderSource(name)
		if err != nil {
			return "", fmt.Errorf("gpu: shader %s: include %s: %w", file, name, err)
		}
		sb.WriteString(text)
		if !strings.HasSuffix(text, "\n") {
			sb.WriteString("\n")
		}
	}
	text := sb.String()
	if len(rt) > 0 {
		text = readParams(text, rt)
	}
	if enable {
		return "enable subgroups;\n" + head.String() + text, nil
	}
	return head.String() + text, nil
}

// readParams replaces each whole-word use of a runtime constant's name in text by the
// params field of that name.
func readParams(text string, rt []constant) string {
	names := make(map[string]bool, len(rt))
	for _, c := range rt {
		names[c.name] = true
	}
	var sb strings.Builder
	sb.Grow(len(text) + len(text)/8)
	isWord := func(b byte) bool {
		return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
	}
	for i := 0; i < len(text); {
		if !isWord(text[i]) {
			sb.WriteByte(text[i])
			i++
			continue
		}
		j := i
		for j < len(text) && isWord(text[j]) {
			j++
		}
		word := text[i:j]
		// A field access (.NAME) or a comment's mention stays: only identifiers in code
		// are replaced, and a name after a dot is another struct's field.
		if names[word] && (i == 0 || text[i-1] != '.') {
			sb.WriteString(paramsName + "." + word)
		} else {
			sb.WriteString(word)
		}
		i = j
	}
	return sb.String()
}

// kernel is one compiled compute pipeline with its explicit bind group layout.
type kernel struct {
	name     string
	module   *wgpu.ShaderModule
	bgl      *wgpu.BindGroupLayout
	layout   *wgpu.PipelineLayout
	pipeline *wgpu.ComputePipeline // nil while the browser compiles it (await)
	kinds    []bindKind            // per binding
	// await waits for a pipeline the browser compiles asynchronously and sets pipeline;
	// nil once it is there (natively always).
	await func() error
}

// readyPipelines waits until every step's pipeline is compiled. Pipelines the browser
// compiles asynchronously are awaited together at the first submit that needs them, so
// that the compiles of a newly recorded batch run side by side.
func readyPipelines(steps []step) error {
	for _, s := range steps {
		if s.k.await == nil {
			continue
		}
		if err := s.k.await(); err != nil {
			return err
		}
	}
	return nil
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
	bindParams  // the runtime constants' uniform, at binding paramsBinding
)

func (k bindKind) layoutType() gputypes.BufferBindingType {
	switch k {
	case bindWrite:
		return gputypes.BufferBindingTypeStorage
	case bindUniform, bindParams:
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

// CompiledKernels is the number of pipelines the device has compiled: a plan recorded
// at a new input size compiles none when every kernel it uses is shape-free.
func (d *Device) CompiledKernels() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.kernels)
}

// kernel returns the pipeline for entry point entry of file compiled with consts, compiling
// it at most once per device. kinds[i] says how binding i is declared.
func (d *Device) kernel(file, entry string, consts []constant, kinds []bindKind) (*kernel, error) {
	src, err := kernelSource(file, consts, d.info.Subgroups)
	if err != nil {
		return nil, err
	}
	var key strings.Builder
	key.WriteString(entry)
	for _, k := range kinds {
		key.WriteByte("rwutp"[k])
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
		entries[i] = gputypes.BindGroupLayoutEntry{Binding: kind.number(i), Visibility: wgpu.ShaderStageCompute}
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
		err = d.createPipeline(k, entry)
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
