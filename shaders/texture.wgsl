// Reading an RGBA8 texture (a camera frame, a picture) into an NCHW float tensor.
// Constants: N (output pixels), H, W (output size), SH, SW (texture size), KY, KX
// (sub-samples per output pixel and axis), MUL0..2 and ADD0..2 (per channel), GRID_X.

@group(0) @binding(0) var src: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

// The texel at (x, y) on the 0..255 scale. An 8-bit unorm texel reads as byte/255, so
// rounding its product with 255 gives back the byte exactly.
fn texel(x: u32, y: u32) -> vec3<f32> {
    return round(textureLoad(src, vec2<u32>(x, y), 0).rgb * 255.0);
}

// Tap is where a sample falls along one axis: between pixels i0 and i1, weight w of i1.
struct Tap {
    i0: u32,
    i1: u32,
    w: f32,
}

// tap places sub-sample t of K of output pixel o along an axis of S source and D output
// pixels at (o + (t + ½)/K)·S/D - ½, pixel centres at integers, clamped to the image as
// PyTorch's bilinear interpolation (align_corners=False) does. The position is the
// fraction num/den of whole numbers, so only the weight is rounded.
fn tap(o: u32, t: u32, K: u32, S: u32, D: u32) -> Tap {
    let den = 2u * D * K;
    let num = i32((2u * (o * K + t) + 1u) * S) - i32(D * K);
    if (num <= 0) {
        return Tap(0u, 0u, 0.0);
    }
    let i0 = u32(num) / den;
    if (i0 >= S - 1u) {
        return Tap(S - 1u, S - 1u, 0.0);
    }
    return Tap(i0, i0 + 1u, f32(u32(num) - i0 * den) / f32(den));
}

// dst [1, 3, H, W]: each pixel the mean of KY×KX bilinear samples spread evenly over its
// footprint in the texture, then x = v·MUL + ADD per channel.
@compute @workgroup_size(64)
fn texture_to_tensor(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let oy = i / W;
    let ox = i - oy * W;
    var sum = vec3<f32>(0.0);
    for (var j = 0u; j < KY; j++) {
        let ty = tap(oy, j, KY, SH, H);
        for (var k = 0u; k < KX; k++) {
            let tx = tap(ox, k, KX, SW, W);
            let top = mix(texel(tx.i0, ty.i0), texel(tx.i1, ty.i0), tx.w);
            let bottom = mix(texel(tx.i0, ty.i1), texel(tx.i1, ty.i1), tx.w);
            sum += mix(top, bottom, ty.w);
        }
    }
    let v = sum / f32(KY * KX);
    dst[i] = fma(v.r, MUL0, ADD0);
    dst[i + N] = fma(v.g, MUL1, ADD1);
    dst[i + 2u * N] = fma(v.b, MUL2, ADD2);
}
