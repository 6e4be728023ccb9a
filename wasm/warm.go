//go:build js && wasm

package main

import "fmt"

// warmSize is the frame the warm-up runs: small, and of a width that is a multiple of
// 16, so that it picks the kernels every frame of the page picks (see frameSize).
const warmW, warmH = 64, 48

// warmStyle runs a style network's whole frame once — the picture read from a texture,
// the network, the blend into RGBA rows — on a blank texture, so that every pipeline a
// frame uses is compiled and the weights are prepared before the camera starts. The
// pipelines do not depend on the frame's size, so frames of any size reuse them.
func (e *engine) warmStyle(m *model) error {
	tex, err := e.dev.NewTexture(warmW, warmH)
	if err != nil {
		return err
	}
	defer tex.Release()
	strength, err := e.dev.FromData([]float32{1}, 1)
	if err != nil {
		return err
	}
	defer strength.Release()
	b := e.dev.NewBatch()
	defer b.Release()
	// The same constants as stylePipe.record, so that the same pipelines compile.
	x := b.TextureToTensor(tex, warmH, warmW, [3]float64{1, 1, 1}, [3]float64{})
	if x == nil {
		return b.Err()
	}
	defer x.Release()
	plan, err := m.net.Record(b, x)
	if err != nil {
		return err
	}
	defer plan.Release()
	img := b.BlendToImage(x, plan.Output, strength, (warmW+63)/64*64)
	defer img.Release()
	if err := b.Submit(); err != nil {
		return err
	}
	return e.dev.WaitDone(e.ctx)
}

// uploadAndWarm uploads m to the device and warms it when it is a style network.
func (e *engine) uploadAndWarm(m *model) error {
	if err := m.upload(e.dev); err != nil {
		return err
	}
	if m.net == nil {
		return nil
	}
	if err := e.warmStyle(m); err != nil {
		return fmt.Errorf("model %s: %w", m.name, err)
	}
	e.mu.Lock()
	e.stats.warm = append(e.stats.warm, m.name)
	e.mu.Unlock()
	return nil
}
