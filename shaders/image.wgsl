// Conversion of packed RGBA8 images (one u32 per pixel, R in the low byte, as a canvas's
// ImageData stores them) to NCHW float tensors of 3 channels (R, G, B); to_image.wgsl
// converts back. Both bindings are u32 words (a binding's type is per module); float
// tensors are reinterpreted with bitcast. Constants: N (pixels, all images), HW (pixels
// per image), MUL0..2 and ADD0..2 (per channel), GRID_X.

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;

// src: image; dst: tensor [N/HW, 3, H, W] of f32. x = byte·MUL + ADD; alpha is dropped.
@compute @workgroup_size(64)
fn image_to_tensor(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let p = src[i];
    let img = i / HW;
    let at = img * 3u * HW + (i - img * HW);
    dst[at] = bitcast<u32>(fma(f32(p & 0xffu), MUL0, ADD0));
    dst[at + HW] = bitcast<u32>(fma(f32((p >> 8u) & 0xffu), MUL1, ADD1));
    dst[at + 2u * HW] = bitcast<u32>(fma(f32((p >> 16u) & 0xffu), MUL2, ADD2));
}
