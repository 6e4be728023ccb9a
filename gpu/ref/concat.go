package ref

// Concat is torch.cat along dimension dim (≥ 0) of tensors xs with shapes shapes.
func Concat(dim int, xs [][]float64, shapes [][]int) []float64 {
	outer := 1
	for _, s := range shapes[0][:dim] {
		outer *= s
	}
	var y []float64
	for o := range outer {
		for _, x := range xs {
			chunk := len(x) / outer
			y = append(y, x[o*chunk:(o+1)*chunk]...)
		}
	}
	return y
}

// Slice is x.narrow(dim, start, length) copied: positions start..start+length-1 of
// dimension dim (≥ 0) of x with shape shape. It is Concat's backward: the gradient of each
// input is the slice of dy where that input went.
func Slice(x []float64, shape []int, dim, start, length int) []float64 {
	outer, inner := 1, 1
	for _, s := range shape[:dim] {
		outer *= s
	}
	for _, s := range shape[dim+1:] {
		inner *= s
	}
	var y []float64
	for o := range outer {
		at := (o*shape[dim] + start) * inner
		y = append(y, x[at:at+length*inner]...)
	}
	return y
}
