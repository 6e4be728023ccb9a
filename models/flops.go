package models

// FLOPs counts 2·multiply-adds of the convolutions and transposed convolutions: the usual
// convention for the throughput of a network (GFLOP/s). Bias additions, norms,
// activations, upsampling and residual sums are not counted; in these networks they are
// under 1% of the total.

// FLOPs is the work of TransformerNet with config c on n images of h×w pixels, with the
// network's own output size (4·⌈⌈h/2⌉/2⌉ for odd sizes).
func (c TransformerConfig) FLOPs(n, h, w int) float64 {
	conv := func(in, out, k, h, w int) float64 { return 2 * float64(in*out*k*k) * float64(h*w) }
	// conv2 and conv3: 3×3, stride 2, padding 1.
	h2, w2 := (h-1)/2+1, (w-1)/2+1
	h3, w3 := (h2-1)/2+1, (w2-1)/2+1
	f := conv(3, c.C1, 9, h, w) + conv(c.C1, c.C2, 3, h2, w2) + conv(c.C2, c.C3, 3, h3, w3)
	f += float64(2*c.Blocks) * conv(c.C3, c.C3, 3, h3, w3)
	f += conv(c.C3, c.C2, 3, 2*h3, 2*w3) + conv(c.C2, c.C1, 3, 4*h3, 4*w3) + conv(c.C1, 3, 9, 4*h3, 4*w3)
	return float64(n) * f
}

// FLOPs is the work of the GAN generator with config c on a batch of n latent vectors. A
// transposed convolution does Cin·Cout·k² multiply-adds per input pixel.
func (c GeneratorConfig) FLOPs(n int) float64 {
	widths := c.widths()
	f, side := 0.0, 1 // input side of each layer: 1, 4, 8, ...
	for i := range len(widths) - 1 {
		f += 2 * float64(widths[i]*widths[i+1]*4*4) * float64(side*side)
		if i == 0 {
			side = 4
		} else {
			side *= 2
		}
	}
	return float64(n) * f
}

// FLOPs is the work of the GAN discriminator with config c on a batch of n images (the
// InfoGAN Q head included).
func (c DiscriminatorConfig) FLOPs(n int) float64 {
	widths := c.widths()
	f, side := 0.0, c.Side()/2 // output side of each layer: side/2, ..., 4, then 1
	for i := range len(widths) - 1 {
		if i == len(widths)-2 {
			side = 1
		}
		f += 2 * float64(widths[i]*widths[i+1]*4*4) * float64(side*side)
		side /= 2
	}
	if c.Cat > 0 || c.Cont > 0 {
		f += 2 * float64(widths[len(widths)-2]*infoGANQWidth*16+infoGANQWidth*(c.Cat+c.Cont))
	}
	return float64(n) * f
}
