// Blending two RGB tensors into packed RGBA8 images (one u32 per pixel, R in the low
// byte) whose rows may be padded, as a copy into a texture needs rows of a multiple of
// 256 bytes. Constants: N (output pixels, padding included), H, W (image size), RW
// (pixels per output row, ≥ W), GRID_X.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>; // one value, read at run time
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;

// v clamped to 0..255, NaN to 0. NaN is told by its bits, since a compiler may assume that
// float comparisons never see NaN.
fn unit_range(v: f32) -> f32 {
    let nan = (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
    return select(clamp(v, 0.0, 255.0), 0.0, nan);
}

// x, y: [N/(H·RW), 3, H, W] on the 0..255 scale. byte = floor(mix(x', y', t) + 0.5) with
// x', y' clamped (unit_range) and t = weight[0]; alpha 255; padding columns 0.
@compute @workgroup_size(64)
fn blend_to_image(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let row = i / RW;
    let col = i - row * RW;
    if (col >= W) {
        dst[i] = 0u;
        return;
    }
    let img = row / H;
    let at = img * 3u * H * W + (row - img * H) * W + col;
    let t = weight[0];
    var p = 255u << 24u;
    for (var c = 0u; c < 3u; c++) {
        let j = at + c * H * W;
        let v = mix(unit_range(x[j]), unit_range(y[j]), t);
        p |= u32(clamp(floor(v + 0.5), 0.0, 255.0)) << (8u * c);
    }
    dst[i] = p;
}
