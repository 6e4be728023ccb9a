// Conversion of NCHW float tensors of 3 channels (R, G, B) or 1 (gray) to packed RGBA8
// images (one u32 per pixel, R in the low byte, as a canvas's ImageData stores them) whose
// rows may be padded, as a copy into a texture needs rows of a multiple of 256 bytes. Both
// bindings are u32 words (a binding's type is per module); the tensor is reinterpreted
// with bitcast. Constants: N (output pixels, padding included), C (channels), H, W (image
// size), RW (pixels per output row, ≥ W), MUL0..2 and ADD0..2 (per output channel),
// GRID_X.

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;

// clamp(floor(v + 0.5), 0, 255) as a byte; NaN gives 0. NaN is told by its bits, since a
// compiler may assume that float comparisons never see NaN.
fn to_byte(v: f32) -> u32 {
    let nan = (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
    return select(u32(clamp(floor(v + 0.5), 0.0, 255.0)), 0u, nan);
}

// src: tensor [N/(H·RW), C, H, W] of f32, C = 3 (R, G, B) or 1 (gray: R = G = B); dst:
// images of H rows of RW pixels (RW ≥ W). byte = to_byte(x·MUL + ADD), alpha 255; the
// padding columns from W on are 0.
@compute @workgroup_size(64)
fn tensor_to_image(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let row = i / RW;
    let col = i - row * RW;
    if (col >= W) {
        dst[i] = 0u;
        return;
    }
    let img = row / H;
    let at = img * C * H * W + (row - img * H) * W + col;
    let plane = select(H * W, 0u, C == 1u); // from one channel to the next
    let r = to_byte(fma(bitcast<f32>(src[at]), MUL0, ADD0));
    let g = to_byte(fma(bitcast<f32>(src[at + plane]), MUL1, ADD1));
    let b = to_byte(fma(bitcast<f32>(src[at + 2u * plane]), MUL2, ADD2));
    dst[i] = r | (g << 8u) | (b << 16u) | (255u << 24u);
}
