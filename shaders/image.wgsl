// Conversion between packed RGBA8 images (one u32 per pixel, R in the low byte, as a
// canvas's ImageData stores them) and NCHW float tensors of 3 channels (R, G, B).
// Both bindings are u32 words (a binding's type is per module); float tensors are
// reinterpreted with bitcast. Constants: N (pixels, all images), HW (pixels per image),
// MUL0..2 and ADD0..2 (per channel), GRID_X.

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

// clamp(floor(v + 0.5), 0, 255) as a byte; NaN gives 0. NaN is told by its bits, since a
// compiler may assume that float comparisons never see NaN.
fn to_byte(v: f32) -> u32 {
    let nan = (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
    return select(u32(clamp(floor(v + 0.5), 0.0, 255.0)), 0u, nan);
}

// src: tensor [N/HW, 3, H, W] of f32; dst: image. byte = to_byte(x·MUL + ADD), alpha 255.
@compute @workgroup_size(64)
fn tensor_to_image(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let img = i / HW;
    let at = img * 3u * HW + (i - img * HW);
    let r = to_byte(fma(bitcast<f32>(src[at]), MUL0, ADD0));
    let g = to_byte(fma(bitcast<f32>(src[at + HW]), MUL1, ADD1));
    let b = to_byte(fma(bitcast<f32>(src[at + 2u * HW]), MUL2, ADD2));
    dst[i] = r | (g << 8u) | (b << 16u) | (255u << 24u);
}
