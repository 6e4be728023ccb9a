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
