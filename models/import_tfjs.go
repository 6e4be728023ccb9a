package models

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"easel/internal/tfjs"
)

// keras layer configs, the fields the import checks.
type kerasConv struct {
	Filters    int     `json:"filters"`
	KernelSize []int   `json:"kernel_size"`
	Strides    []int   `json:"strides"`
	Padding    string  `json:"padding"`
	UseBias    bool    `json:"use_bias"`
	Activation string  `json:"activation"`
	Dilation   []int   `json:"dilation_rate"`
	Multiplier *int    `json:"depth_multiplier"`
	DataFormat *string `json:"data_format"`
}

type kerasBN struct {
	Epsilon float64 `json:"epsilon"`
	Center  *bool   `json:"center"`
	Scale   *bool   `json:"scale"`
}

type kerasPad struct {
	Padding [][]int `json:"padding"`
}

type kerasReLU struct {
	MaxValue *float64 `json:"max_value"`
}

// ImportTFJS converts a TF.js Keras MobileNetV2 (such as the nsfwjs package's
// mobilenet_v2 model) into mobilenetv2 weights holding its first blocks inverted residual
// blocks (1..17). Every layer it keeps is checked against the architecture (class, sizes,
// strides, padding, ReLU6), and each batch normalisation (inference form, the file's
// epsilon) is folded into the convolution before it:
// w' = w·γ/√(var+ε), b' = β − mean·γ/√(var+ε).
func ImportTFJS(m *tfjs.Model, blocks int) (*Weights, error) {
	c := MobileNetConfig{Blocks: blocks}
	if err := c.Check(); err != nil {
		return nil, err
	}
	byName := make(map[string]tfjs.Layer, len(m.Layers))
	for _, l := range m.Layers {
		byName[l.Name] = l
	}
	layer := func(name, class string, cfg any) error {
		l, ok := byName[name]
		if !ok {
			return fmt.Errorf("mobilenetv2: the model has no layer %s: not a Keras MobileNetV2", name)
		}
		if l.Class != class {
			return fmt.Errorf("mobilenetv2: layer %s is a %s, want %s", name, l.Class, class)
		}
		if err := json.Unmarshal(l.Config, cfg); err != nil {
			return fmt.Errorf("mobilenetv2: layer %s: config: %w", name, err)
		}
		return nil
	}
	w := &Weights{Arch: ArchMobileNetV2, Config: c.Config(), IO: mobileNetIO,
		Meta: Meta{Name: ArchMobileNetV2, License: "NOASSERTION", Source: "a TF.js Keras MobileNetV2", Trained: true}}
	pads := []string{"Conv1_pad"}
	for i, b := range mnv2Blocks[:blocks] {
		if b.s == 2 {
			pads = append(pads, mnv2Prefix(i)+"_pad")
		}
	}
	for _, name := range pads {
		var p kerasPad
		if err := layer(name, "ZeroPadding2D", &p); err != nil {
			return nil, err
		}
		if !slices.EqualFunc(p.Padding, [][]int{{0, 1}, {0, 1}}, slices.Equal[[]int]) {
			return nil, fmt.Errorf("mobilenetv2: layer %s pads %v, want [[0 1] [0 1]]", name, p.Padding)
		}
	}
	for _, op := range c.ops() {
		switch op.kind {
		case "add":
			var cfg struct{}
			if err := layer(op.feature, "Add", &cfg); err != nil {
				return nil, err
			}
			continue
		case "pad":
			continue
		}
		class, pad := "Conv2D", "same"
		if op.kind == "depthwise" {
			class = "DepthwiseConv2D"
		}
		if op.stride == 2 {
			pad = "valid"
		}
		var cv kerasConv
		if err := layer(op.name, class, &cv); err != nil {
			return nil, err
		}
		want := op.out
		if op.kind == "depthwise" {
			want = 0 // depthwise layers have no filters
			if cv.Multiplier != nil && *cv.Multiplier != 1 {
				return nil, fmt.Errorf("mobilenetv2: layer %s has depth multiplier %d, want 1", op.name, *cv.Multiplier)
			}
		}
		if cv.Filters != want || !slices.Equal(cv.KernelSize, []int{op.k, op.k}) || !slices.Equal(cv.Strides, []int{op.stride, op.stride}) ||
			cv.Padding != pad || (cv.Activation != "" && cv.Activation != "linear") ||
			(cv.Dilation != nil && !slices.Equal(cv.Dilation, []int{1, 1})) || (cv.DataFormat != nil && *cv.DataFormat != "channels_last") {
			return nil, fmt.Errorf("mobilenetv2: layer %s: %d filters, kernel %v, strides %v, padding %q, activation %q; want %d filters, %d×%d, stride %d, %q, linear (width 1.0 MobileNetV2)",
				op.name, cv.Filters, cv.KernelSize, cv.Strides, cv.Padding, cv.Activation, want, op.k, op.k, op.stride, pad)
		}
		kname := "/kernel"
		if op.kind == "depthwise" {
			kname = "/depthwise_kernel"
		}
		kernel, err := kerasWeight(m, op.name+kname)
		if err != nil {
			return nil, err
		}
		var wt Tensor
		if op.kind == "depthwise" {
			// Keras [kh, kw, C, 1] → PyTorch [C, 1, kh, kw].
			if !slices.Equal(kernel.Shape, []int{op.k, op.k, op.in, 1}) {
				return nil, fmt.Errorf("mobilenetv2: %s%s has shape %v, want %v", op.name, kname, kernel.Shape, []int{op.k, op.k, op.in, 1})
			}
			wt = Tensor{Name: op.name + ".weight", Shape: []int{op.out, 1, op.k, op.k}, Data: make([]float32, op.out*op.k*op.k)}
			for y := range op.k {
				for x := range op.k {
					for ch := range op.in {
						wt.Data[(ch*op.k+y)*op.k+x] = kernel.Data[(y*op.k+x)*op.in+ch]
					}
				}
			}
		} else {
			// Keras [kh, kw, in, out] → PyTorch [out, in, kh, kw].
			if !slices.Equal(kernel.Shape, []int{op.k, op.k, op.in, op.out}) {
				return nil, fmt.Errorf("mobilenetv2: %s/kernel has shape %v, want %v", op.name, kernel.Shape, []int{op.k, op.k, op.in, op.out})
			}
			wt = Tensor{Name: op.name + ".weight", Shape: []int{op.out, op.in, op.k, op.k}, Data: make([]float32, op.out*op.in*op.k*op.k)}
			for y := range op.k {
				for x := range op.k {
					for i := range op.in {
						for o := range op.out {
							wt.Data[((o*op.in+i)*op.k+y)*op.k+x] = kernel.Data[((y*op.k+x)*op.in+i)*op.out+o]
						}
					}
				}
			}
		}
		bias := Tensor{Name: op.name + ".bias", Shape: []int{op.out}, Data: make([]float32, op.out)}
		if cv.UseBias {
			b, err := kerasWeight(m, op.name+"/bias")
			if err != nil {
				return nil, err
			}
			if !slices.Equal(b.Shape, []int{op.out}) {
				return nil, fmt.Errorf("mobilenetv2: %s/bias has shape %v, want [%d]", op.name, b.Shape, op.out)
			}
			copy(bias.Data, b.Data)
		}
		bn := op.name + "_BN"
		if op.name == "Conv1" {
			bn = "bn_Conv1"
		}
		if err := foldBatchNorm(m, bn, byName, &wt, &bias, layer); err != nil {
			return nil, err
		}
		if op.relu6 {
			relu := op.feature
			var r kerasReLU
			if err := layer(relu, "ReLU", &r); err != nil {
				return nil, err
			}
			if r.MaxValue == nil || *r.MaxValue != 6 {
				return nil, fmt.Errorf("mobilenetv2: layer %s is not a ReLU6", relu)
			}
		}
		w.Tensors = append(w.Tensors, wt, bias)
	}
	if err := w.Expect(c.Shapes()); err != nil {
		return nil, err
	}
	return w, w.Validate()
}

// foldBatchNorm folds the inference-mode batch norm bn into the convolution weight wt
// [out, …] and its bias.
func foldBatchNorm(m *tfjs.Model, bn string, byName map[string]tfjs.Layer, wt, bias *Tensor, layer func(string, string, any) error) error {
	var cfg kerasBN
	if err := layer(bn, "BatchNormalization", &cfg); err != nil {
		return err
	}
	if !(cfg.Epsilon > 0) || cfg.Epsilon > 1 {
		return fmt.Errorf("mobilenetv2: layer %s: epsilon %v, want in (0, 1]", bn, cfg.Epsilon)
	}
	n := bias.Shape[0]
	get := func(name string, def float32, present bool) ([]float32, error) {
		if !present {
			v := make([]float32, n)
			for i := range v {
				v[i] = def
			}
			return v, nil
		}
		t, err := kerasWeight(m, bn+"/"+name)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(t.Shape, []int{n}) {
			return nil, fmt.Errorf("mobilenetv2: %s/%s has shape %v, want [%d]", bn, name, t.Shape, n)
		}
		return t.Data, nil
	}
	gamma, err := get("gamma", 1, cfg.Scale == nil || *cfg.Scale)
	if err != nil {
		return err
	}
	beta, err := get("beta", 0, cfg.Center == nil || *cfg.Center)
	if err != nil {
		return err
	}
	mean, err := get("moving_mean", 0, true)
	if err != nil {
		return err
	}
	variance, err := get("moving_variance", 0, true)
	if err != nil {
		return err
	}
	per := len(wt.Data) / n
	for o := range n {
		if variance[o] < 0 {
			return fmt.Errorf("mobilenetv2: %s/moving_variance[%d] is negative (%v)", bn, o, variance[o])
		}
		s := float64(gamma[o]) / math.Sqrt(float64(variance[o])+cfg.Epsilon)
		for i := range per {
			wt.Data[o*per+i] = float32(float64(wt.Data[o*per+i]) * s)
		}
		bias.Data[o] = float32(float64(beta[o]) + (float64(bias.Data[o])-float64(mean[o]))*s)
	}
	return nil
}

func kerasWeight(m *tfjs.Model, name string) (tfjs.Weight, error) {
	w, ok := m.Weights[name]
	if !ok {
		return w, fmt.Errorf("mobilenetv2: the model has no weight %s", name)
	}
	return w, nil
}
