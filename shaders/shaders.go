// Package shaders holds the WGSL compute kernels Easel runs: one file per op family or
// selected kernel, named by what it does (the tuned convolutions by their register tile,
// e.g. conv2d_3x3_c16x4x8.wgsl). common.wgsl is prepended to every kernel; a line
// "//!include NAME.wgsl" stands for a file of helpers a family shares (conv_common.wgsl).
// The same text is compiled natively (naga → SPIR-V) and by the browser (Tint).
package shaders

import "embed"

//go:embed *.wgsl
var FS embed.FS

// Source returns the text of one shader file, e.g. "conv2d.wgsl".
func Source(name string) (string, error) {
	b, err := FS.ReadFile(name)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
