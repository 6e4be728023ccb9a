// Package shaders holds Easel's WGSL compute kernels, one file per op family.
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
