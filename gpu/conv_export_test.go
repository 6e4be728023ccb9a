package gpu

import "slices"

// Conv2DVariants lists the Conv2D kernel variants the benchmark checks and times: 1 is the
// generic conv2d.wgsl, the others the tiled conv2d_vN.wgsl.
func Conv2DVariants() []int {
	vs := []int{1}
	for v := range convTiledVariants {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// Conv2DVariant records Conv2D with kernel variant v. It returns nil and false, recording
// nothing, when v does not handle the shape.
func (b *Batch) Conv2DVariant(v int, x, w, bias *Tensor, p Conv2DParams) (*Tensor, bool) {
	if v == 1 {
		return b.Conv2D(x, w, bias, p), true
	}
	k := convTiledVariants[v]
	if !b.okWithBias("Conv2D", x, w, bias) {
		return nil, true
	}
	shape, err := conv2DShape(x, w, bias, p)
	if err != nil {
		b.Fail(err)
		return nil, true
	}
	cov := k.cov(x, w, p)
	if cov == 0 {
		return nil, false
	}
	return b.conv2DTiled(k, cov, x, w, bias, p, shape), true
}
