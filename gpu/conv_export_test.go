package gpu

import (
	"fmt"
	"slices"
)

// Conv2DKernels lists the files of the tuned kernels Conv2D may pick.
func Conv2DKernels() []string {
	var files []string
	for _, k := range slices.Concat(convFastOrder, convFastOrderNarrow) {
		files = append(files, k.file)
	}
	slices.Sort(files)
	return slices.Compact(files)
}

// Conv2DKernel records Conv2D with the tuned kernel of file (one of Conv2DKernels). It
// returns nil and false, recording nothing, when the kernel does not handle the shape.
func (b *Batch) Conv2DKernel(file string, x, w, bias *Tensor, p Conv2DParams) (*Tensor, bool) {
	for _, k := range slices.Concat(convFastOrder, convFastOrderNarrow) {
		if k.file == file {
			return b.conv2DWith(k, x, w, bias, p)
		}
	}
	b.Fail(fmt.Errorf("gpu: no tuned Conv2D kernel in %s", file))
	return nil, true
}

// conv2DWith records Conv2D with kernel k, or the generic kernel when k.file is "". It
// returns nil and false, recording nothing, when k does not handle the shape.
func (b *Batch) conv2DWith(k convTiled, x, w, bias *Tensor, p Conv2DParams) (*Tensor, bool) {
	if !b.okWithBias("Conv2D", x, w, bias) {
		return nil, true
	}
	shape, err := conv2DShape(x.shape, w, bias, p)
	if err != nil {
		b.Fail(err)
		return nil, true
	}
	if k.file == "" {
		return b.conv2DGeneric(x, w, bias, p, shape), true
	}
	quads := k.quadsFor(x, w, p)
	if quads == 0 {
		return nil, false
	}
	return b.conv2DTiled(k, quads, x, w, bias, p, shape, nil), true
}

// upsampleConv2DWith records UpsampleConv2D at scale 2 with tuned kernel k. It returns nil
// and false, recording nothing, when k does not handle the shape.
func (b *Batch) upsampleConv2DWith(k convTiled, x, w, bias *Tensor, p Conv2DParams) (*Tensor, bool) {
	if !b.okWithBias("UpsampleConv2D", x, w, bias) {
		return nil, true
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
	return b.conv2DTiled(k, quads, x, w, bias, p, shape, nil), true
}
