// Helpers of the convolution kernels, put in place of their `//!include conv_common.wgsl`
// line (gpu/kernel.go). They need the kernel's constant PAD_MODE (0 zeros, 1 reflect).

// Source row or column of padded position i of a dimension of size n: PyTorch
// ReflectionPad2d for reflect (the callers keep the padding below n, so one reflection
// lands inside), the nearest edge for zeros (masked by inside). Positions past the far
// edge of a partial tile also clamp, so every load stays inside the tensor.
fn src_index(i: i32, n: i32) -> i32 {
    var r = i;
    if (PAD_MODE == 1u) {
        r = select(r, -r, r < 0);
        r = select(r, 2 * n - 2 - r, r >= n);
    }
    return clamp(r, 0, n - 1);
}

// 1 where position i of a dimension of size n is read (inside the input, or any position
// with reflect padding), 0 in the zero padding: the factor a loaded value is masked by.
fn inside(i: i32, n: i32) -> f32 {
    return select(0.0, 1.0, PAD_MODE == 1u || (i >= 0 && i < n));
}
