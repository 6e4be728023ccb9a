package opcheck

import (
	"context"
	"fmt"
	"math"

	"easel/gpu"
)

// inplaceCases update a tensor in place: Fill, Clamp and AddInto (gradient accumulation),
// also on views into an arena, whose parts start past the buffer's beginning.
func inplaceCases() []Case {
	var cs []Case
	for _, s := range [][]int{{2, 5, 7, 11}, {1031}} {
		cs = append(cs, Case{Op: "Fill", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			y, yv := in.Randn(s...)
			b.Fill(y, -0.375)
			for i := range yv {
				yv[i] = -0.375
			}
			in.expect("filled", y.Read, yv)
			return nil, nil
		}})
		cs = append(cs, Case{Op: "Clamp", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			y, yv := in.Randn(s...)
			b.Clamp(y, -0.5, 0.25)
			for i, v := range yv {
				yv[i] = math.Min(math.Max(v, -0.5), 0.25)
			}
			in.expect("clamped", y.Read, yv)
			return nil, nil
		}})
		cs = append(cs, Case{Op: "AddInto", Name: fmt.Sprint(s), run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
			y, yv := in.Randn(s...)
			x, xv := in.Randn(s...)
			b.AddInto(y, -1.5, x)
			for i := range yv {
				yv[i] += -1.5 * xv[i]
			}
			in.expect("accumulated", y.Read, yv)
			return nil, nil
		}})
	}
	cs = append(cs, Case{Op: "AddInto", Name: "arena views", run: func(b *gpu.Batch, in *Inputs) (*gpu.Tensor, []float64) {
		whole, parts, err := b.Device().NewArena([]int{3, 5}, []int{77}, []int{2, 2, 3})
		if err != nil {
			in.err = err
			return nil, nil
		}
		in.ts = append(in.ts, whole)
		var want []float64
		for _, p := range parts {
			x, xv := in.Randn(p.Shape()...)
			b.AddInto(p, 2, x) // the arena starts zeroed
			for _, v := range xv {
				want = append(want, 2*v)
			}
		}
		// Read the parts after the batch: each from its own offset.
		in.expect("parts", func(ctx context.Context) ([]float32, error) {
			var got []float32
			for _, p := range parts {
				v, err := p.Read(ctx)
				if err != nil {
					return nil, err
				}
				got = append(got, v...)
			}
			return got, nil
		}, want)
		return nil, nil
	}})
	return cs
}
