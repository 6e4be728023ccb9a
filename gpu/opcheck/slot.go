package opcheck

import (
	"context"
	"fmt"

	"easel/gpu"
)

// slotCases copy a vector into one row of a ring, the row given at run time; a row out of
// range lands in the last one.
func slotCases() []Case {
	var cs []Case
	for _, c := range []struct{ rows, n, slot, want int }{{5, 7, 3, 3}, {3, 130, 0, 0}, {3, 5, 99, 2}} {
		cs = append(cs, Case{Op: "CopyToSlot", Name: fmt.Sprintf("%dx%d_slot%d", c.rows, c.n, c.slot),
			run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
				x, xv := in.Randn(c.n)
				dst, _ := in.Randn(c.rows, c.n)
				slot, _ := in.Uniform(0, 0, 4)
				if slot == nil || dst == nil {
					return nil, nil
				}
				if err := slot.Write([]float32{float32(c.slot), 0, 0, 0}); err != nil {
					in.err = err
					return nil, nil
				}
				b.CopyToSlot(dst, x, slot)
				in.expect(fmt.Sprintf("row %d of %v", c.want, dst.Shape()), func(ctx context.Context) ([]float32, error) {
					all, err := dst.Read(ctx)
					if err != nil {
						return nil, err
					}
					return all[c.want*c.n : (c.want+1)*c.n], nil
				}, xv)
				return nil, nil
			}})
	}
	return cs
}
