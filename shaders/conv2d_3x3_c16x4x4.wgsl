// Conv2D, 3×3, stride 1 (variant 5 of dev/conv2d): conv2d_3x3_c8x4x4.wgsl with 16 output
// channels per invocation instead of 8, so each input load (a bounds-checked load per
// invocation on lavapipe, its main cost) feeds twice the FMAs. 3×3, stride 1; a register
// tile of 16 channels × 4×4 pixels. The weights of 16 channels outgrow one 64 KiB uniform
// window at 128 input channels, so each dispatch binds two windows of 8 channels
// (conv2d_repack.wgsl with COV = 2): w0 for channels co0..co0+7, w1 for co0+8..co0+15 (the
// same window twice when CO/8 is odd; those stores are skipped).
//
// Input channels that do not fit in one window (more than 227) are split into chunks of
// CIN from CI0, one dispatch each, all but the first adding to the output (ACC).
//
// Constants: NT (tiles = BATCH·TY·TX), TX, TY (tiles across and down), CI, CI0, CIN, CO,
// OH, OW (u32); IH, IW, PAD (i32); PAD_MODE (0 zeros, 1 reflect); ACC; WV (window length
// in vec4).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<uniform> w0: array<vec4<f32>, WV>;
@group(0) @binding(2) var<uniform> w1: array<vec4<f32>, WV>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

//!include conv_common.wgsl

// Six neighbouring input values of one row; m zeroes those in the zero padding.
fn row6(base: u32, c: array<u32, 6>, m: array<f32, 6>) -> array<f32, 6> {
    return array<f32, 6>(x[base + c[0]] * m[0], x[base + c[1]] * m[1], x[base + c[2]] * m[2],
                         x[base + c[3]] * m[3], x[base + c[4]] * m[4], x[base + c[5]] * m[5]);
}

// One kernel row applied to one output row of 4 pixels: a[4p + q] holds channels
// 4q..4q+3 of pixel p; k[4kx + q] the weights of tap kx for the same channels.
fn taps3(a: array<vec4<f32>, 16>, r: array<f32, 6>, k: array<vec4<f32>, 12>) -> array<vec4<f32>, 16> {
    var o = a;
    o[0] = fma(vec4<f32>(r[0]), k[0], o[0]);
    o[1] = fma(vec4<f32>(r[0]), k[1], o[1]);
    o[2] = fma(vec4<f32>(r[0]), k[2], o[2]);
    o[3] = fma(vec4<f32>(r[0]), k[3], o[3]);
    o[4] = fma(vec4<f32>(r[1]), k[0], o[4]);
    o[5] = fma(vec4<f32>(r[1]), k[1], o[5]);
    o[6] = fma(vec4<f32>(r[1]), k[2], o[6]);
    o[7] = fma(vec4<f32>(r[1]), k[3], o[7]);
    o[8] = fma(vec4<f32>(r[2]), k[0], o[8]);
    o[9] = fma(vec4<f32>(r[2]), k[1], o[9]);
    o[10] = fma(vec4<f32>(r[2]), k[2], o[10]);
    o[11] = fma(vec4<f32>(r[2]), k[3], o[11]);
    o[12] = fma(vec4<f32>(r[3]), k[0], o[12]);
    o[13] = fma(vec4<f32>(r[3]), k[1], o[13]);
    o[14] = fma(vec4<f32>(r[3]), k[2], o[14]);
    o[15] = fma(vec4<f32>(r[3]), k[3], o[15]);
    o[0] = fma(vec4<f32>(r[1]), k[4], o[0]);
    o[1] = fma(vec4<f32>(r[1]), k[5], o[1]);
    o[2] = fma(vec4<f32>(r[1]), k[6], o[2]);
    o[3] = fma(vec4<f32>(r[1]), k[7], o[3]);
    o[4] = fma(vec4<f32>(r[2]), k[4], o[4]);
    o[5] = fma(vec4<f32>(r[2]), k[5], o[5]);
    o[6] = fma(vec4<f32>(r[2]), k[6], o[6]);
    o[7] = fma(vec4<f32>(r[2]), k[7], o[7]);
    o[8] = fma(vec4<f32>(r[3]), k[4], o[8]);
    o[9] = fma(vec4<f32>(r[3]), k[5], o[9]);
    o[10] = fma(vec4<f32>(r[3]), k[6], o[10]);
    o[11] = fma(vec4<f32>(r[3]), k[7], o[11]);
    o[12] = fma(vec4<f32>(r[4]), k[4], o[12]);
    o[13] = fma(vec4<f32>(r[4]), k[5], o[13]);
    o[14] = fma(vec4<f32>(r[4]), k[6], o[14]);
    o[15] = fma(vec4<f32>(r[4]), k[7], o[15]);
    o[0] = fma(vec4<f32>(r[2]), k[8], o[0]);
    o[1] = fma(vec4<f32>(r[2]), k[9], o[1]);
    o[2] = fma(vec4<f32>(r[2]), k[10], o[2]);
    o[3] = fma(vec4<f32>(r[2]), k[11], o[3]);
    o[4] = fma(vec4<f32>(r[3]), k[8], o[4]);
    o[5] = fma(vec4<f32>(r[3]), k[9], o[5]);
    o[6] = fma(vec4<f32>(r[3]), k[10], o[6]);
    o[7] = fma(vec4<f32>(r[3]), k[11], o[7]);
    o[8] = fma(vec4<f32>(r[4]), k[8], o[8]);
    o[9] = fma(vec4<f32>(r[4]), k[9], o[9]);
    o[10] = fma(vec4<f32>(r[4]), k[10], o[10]);
    o[11] = fma(vec4<f32>(r[4]), k[11], o[11]);
    o[12] = fma(vec4<f32>(r[5]), k[8], o[12]);
    o[13] = fma(vec4<f32>(r[5]), k[9], o[13]);
    o[14] = fma(vec4<f32>(r[5]), k[10], o[14]);
    o[15] = fma(vec4<f32>(r[5]), k[11], o[15]);
    return o;
}

// Weights of kernel row ky of input channel ci: per tap, channels 0-3, 4-7 from w0 and
// 8-11, 12-15 from w1.
fn kernel_row(ci: u32, ky: u32) -> array<vec4<f32>, 12> {
    let b = ci * 18u + ky * 6u;
    return array<vec4<f32>, 12>(w0[b], w0[b + 1u], w1[b], w1[b + 1u],
                                w0[b + 2u], w0[b + 3u], w1[b + 2u], w1[b + 3u],
                                w0[b + 4u], w0[b + 5u], w1[b + 4u], w1[b + 5u]);
}

// Stores 16 channels plus bias b at one pixel, skipping channels past CO; with ACC adds
// them (no bias) to what the dispatch of an earlier chunk of input channels stored.
fn store_px(v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>, b: array<vec4<f32>, 4>, idx: u32, co0: u32) {
    let v = array<vec4<f32>, 4>(v0, v1, v2, v3);
    for (var j = 0u; j < 16u; j++) {
        let o = idx + j * OH * OW;
        if (co0 + j < CO) {
            var base = b[j / 4u][j % 4u];
            if (ACC) {
                base = y[o];
            }
            y[o] = v[j / 4u][j % 4u] + base;
        }
    }
}

// Stores one output row of 4 pixels × 16 channels, skipping pixels outside the output.
fn store_row(a: array<vec4<f32>, 16>, n: u32, co0: u32, oy: u32, ox0: u32) {
    if (oy >= OH) { return; }
    let b = array<vec4<f32>, 4>(w0[WV - 3u], w0[WV - 2u], w1[WV - 3u], w1[WV - 2u]);
    let idx = ((n * CO + co0) * OH + oy) * OW + ox0;
    store_px(a[0], a[1], a[2], a[3], b, idx, co0);
    if (ox0 + 1u < OW) { store_px(a[4], a[5], a[6], a[7], b, idx + 1u, co0); }
    if (ox0 + 2u < OW) { store_px(a[8], a[9], a[10], a[11], b, idx + 2u, co0); }
    if (ox0 + 3u < OW) { store_px(a[12], a[13], a[14], a[15], b, idx + 3u, co0); }
}

@compute @workgroup_size(WG)
fn conv2d_3x3_c16x4x4(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= NT) { return; }
    let tx = i % TX;
    let ty = (i / TX) % TY;
    let n = i / (TX * TY);
    let oy0 = ty * 4u;
    let ox0 = tx * 4u;
    let iy0 = i32(oy0) - PAD;
    let ix0 = i32(ox0) - PAD;
    let c = array<u32, 6>(u32(src_index(ix0, IW)), u32(src_index(ix0 + 1, IW)), u32(src_index(ix0 + 2, IW)),
                          u32(src_index(ix0 + 3, IW)), u32(src_index(ix0 + 4, IW)), u32(src_index(ix0 + 5, IW)));
    let cm = array<f32, 6>(inside(ix0, IW), inside(ix0 + 1, IW), inside(ix0 + 2, IW),
                           inside(ix0 + 3, IW), inside(ix0 + 4, IW), inside(ix0 + 5, IW));
    let ro = array<u32, 6>(u32(src_index(iy0, IH) * IW), u32(src_index(iy0 + 1, IH) * IW), u32(src_index(iy0 + 2, IH) * IW),
                           u32(src_index(iy0 + 3, IH) * IW), u32(src_index(iy0 + 4, IH) * IW), u32(src_index(iy0 + 5, IH) * IW));
    let rm = array<f32, 6>(inside(iy0, IH), inside(iy0 + 1, IH), inside(iy0 + 2, IH),
                           inside(iy0 + 3, IH), inside(iy0 + 4, IH), inside(iy0 + 5, IH));
    var a0: array<vec4<f32>, 16>;
    var a1: array<vec4<f32>, 16>;
    var a2: array<vec4<f32>, 16>;
    var a3: array<vec4<f32>, 16>;
    let plane = u32(IH * IW);
    for (var ci = 0u; ci < CIN; ci++) {
        let base = (n * CI + CI0 + ci) * plane;
        let k0 = kernel_row(ci, 0u);
        let k1 = kernel_row(ci, 1u);
        let k2 = kernel_row(ci, 2u);
        let r0 = row6(base + ro[0], c, array<f32, 6>(cm[0] * rm[0], cm[1] * rm[0], cm[2] * rm[0], cm[3] * rm[0], cm[4] * rm[0], cm[5] * rm[0]));
        let r1 = row6(base + ro[1], c, array<f32, 6>(cm[0] * rm[1], cm[1] * rm[1], cm[2] * rm[1], cm[3] * rm[1], cm[4] * rm[1], cm[5] * rm[1]));
        a0 = taps3(a0, r0, k0);
        a0 = taps3(a0, r1, k1);
        a1 = taps3(a1, r1, k0);
        let r2 = row6(base + ro[2], c, array<f32, 6>(cm[0] * rm[2], cm[1] * rm[2], cm[2] * rm[2], cm[3] * rm[2], cm[4] * rm[2], cm[5] * rm[2]));
        a0 = taps3(a0, r2, k2);
        a1 = taps3(a1, r2, k1);
        a2 = taps3(a2, r2, k0);
        let r3 = row6(base + ro[3], c, array<f32, 6>(cm[0] * rm[3], cm[1] * rm[3], cm[2] * rm[3], cm[3] * rm[3], cm[4] * rm[3], cm[5] * rm[3]));
        a1 = taps3(a1, r3, k2);
        a2 = taps3(a2, r3, k1);
        a3 = taps3(a3, r3, k0);
        let r4 = row6(base + ro[4], c, array<f32, 6>(cm[0] * rm[4], cm[1] * rm[4], cm[2] * rm[4], cm[3] * rm[4], cm[4] * rm[4], cm[5] * rm[4]));
        a2 = taps3(a2, r4, k2);
        a3 = taps3(a3, r4, k1);
        let r5 = row6(base + ro[5], c, array<f32, 6>(cm[0] * rm[5], cm[1] * rm[5], cm[2] * rm[5], cm[3] * rm[5], cm[4] * rm[5], cm[5] * rm[5]));
        a3 = taps3(a3, r5, k2);
    }
    let co0 = u32(w0[WV - 1u].x);
    store_row(a0, n, co0, oy0, ox0);
    store_row(a1, n, co0, oy0 + 1u, ox0);
    store_row(a2, n, co0, oy0 + 2u, ox0);
    store_row(a3, n, co0, oy0 + 3u, ox0);
}
