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

// Conv2DPickedVariants lists the tuned variants Conv2D may pick.
func Conv2DPickedVariants() []int {
	vs := slices.Concat(convFastOrder, convFastOrderNarrow)
	slices.Sort(vs)
	return slices.Compact(vs)
}

// Conv2DVariant records Conv2D with kernel variant v. It returns nil and false, recording
// nothing, when v does not handle the shape.
func (b *Batch) Conv2DVariant(v int, x, w, bias *Tensor, p Conv2DParams) (*Tensor, bool) {
	if !b.okWithBias("Conv2D", x, w, bias) {
		return nil, true
	}
	shape, err := conv2DShape(x.shape, w, bias, p)
	if err != nil {
		b.Fail(err)
		return nil, true
	}
	if v == 1 {
		return b.conv2DGeneric(x, w, bias, p, shape), true
	}
	k := convTiledVariants[v]
	quads := k.quadsFor(x, w, p)
	if quads == 0 {
		return nil, false
	}
	return b.conv2DTiled(k, quads, x, w, bias, p, shape), true
}

// UpsampleConv2DVariant records UpsampleConv2D at scale 2 with tuned kernel variant v
// (conv2d_vN.wgsl). It returns nil and false, recording nothing, when v does not handle
// the shape.
func (b *Batch) UpsampleConv2DVariant(v int, x, w, bias *Tensor, p Conv2DParams) (*Tensor, bool) {
	k, ok := convUp2Variants[v]
	if !ok || !b.okWithBias("UpsampleConv2D", x, w, bias) {
		return nil, ok
	}
	quads := k.quadsFor(x, w, p)
	if quads == 0 {
		return nil, false
	}
	shape, err := conv2DShape([]int{x.shape[0], x.shape[1], 2 * x.shape[2], 2 * x.shape[3]}, w, bias, p)
	if err != nil {
		b.Fail(err)
		return nil, true
	}
	return b.conv2DTiled(k, quads, x, w, bias, p, shape), true
}

// UpsampleConv2DVariants lists the tuned kernels of UpsampleConv2D.
func UpsampleConv2DVariants() []int {
	var vs []int
	for v := range convUp2Variants {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}
