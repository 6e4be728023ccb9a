package gpu

import (
	"fmt"
	"math"
)

// Fill sets every element of t to v, in place.
func (b *Batch) Fill(t *Tensor, v float64) {
	if !b.ok("Fill", t) {
		return
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		b.Fail(fmt.Errorf("Fill: value %v is not finite", v))
		return
	}
	b.launch1D("inplace.wgsl", "fill", t.Len(), []constant{cf("ALPHA", v), cf("BETA", 0)}, out(t))
}

// Clamp limits every element of t to [lo, hi], in place (WGAN's weight clipping).
func (b *Batch) Clamp(t *Tensor, lo, hi float64) {
	if !b.ok("Clamp", t) {
		return
	}
	if !(lo <= hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		b.Fail(fmt.Errorf("Clamp: bounds [%v, %v] are not finite and ordered", lo, hi))
		return
	}
	b.launch1D("inplace.wgsl", "clamp_", t.Len(), []constant{cf("ALPHA", lo), cf("BETA", hi)}, out(t))
}

// AddInto adds a·x to y in place: y += a·x, for tensors of one element count (gradient
// accumulation). x and y must not share a buffer.
func (b *Batch) AddInto(y *Tensor, a float64, x *Tensor) {
	const op = "AddInto"
	if !b.ok(op, y, x) {
		return
	}
	if x.Len() != y.Len() {
		b.Fail(fmt.Errorf("%s: %v into %v: element counts differ", op, x.shape, y.shape))
		return
	}
	if x.buf == y.buf {
		// WebGPU refuses a buffer bound both read-only and writable in one dispatch.
		b.Fail(fmt.Errorf("%s: %v and %v share a buffer", op, x.shape, y.shape))
		return
	}
	b.launch1D("accumulate.wgsl", "accumulate", x.Len(), []constant{cf("ALPHA", a)}, in(x), out(y))
}

// CopyToSlot copies src into row slot[0] of dst [rows, src.Len()], the row read when the
// batch runs (slot is a 4-element tensor bound as a uniform; a row out of range is
// clamped). A batch replayed once per training step logs each step's figures into its
// own row, so they can be read back together, without waiting for every step.
func (b *Batch) CopyToSlot(dst, src, slot *Tensor) {
	const op = "CopyToSlot"
	if !b.ok(op, dst, src, slot) {
		return
	}
	n := src.Len()
	if len(dst.shape) != 2 || dst.shape[1] != n || slot.Len() != 4 {
		b.Fail(fmt.Errorf("%s: dst %v, src %v, slot %v: want dst [rows, %d] and a slot of 4 values", op, dst.shape, src.shape, slot.shape, n))
		return
	}
	if dst.buf == src.buf || dst.buf == slot.buf {
		b.Fail(fmt.Errorf("%s: dst shares a buffer with its input", op))
		return
	}
	b.launch1D("slot.wgsl", "copy_to_slot", n, []constant{cu("ROWS", dst.shape[0])}, in(src), uniformWindow(slot, 0, 16), out(dst))
}
