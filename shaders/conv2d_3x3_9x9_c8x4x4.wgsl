// Conv2D, 3×3 and 9×9 (variant 4 of dev/conv2d): the register tile of
// conv2d_3x3_c8x4x4.wgsl (4·COV output channels × 4×4 pixels, weights from a uniform window
// per channel group) for more kernel shapes: 3×3 at stride 1 or 2 and 9×9 at stride 1.
// Kernel rows are a run-time loop; within a row the taps are unrolled, and each output row
// loads its own input segment (conv2d_3x3_c8x4x4.wgsl shares input rows between output rows
// instead, which only an unrolled 3×3 allows).
//
// Constants: NT (tiles = BATCH·TY·TX), TX, TY, CI, CO, OH, OW, KH, KW, COV (1 or 2 vec4
// of channels per pixel), WV (window length in vec4) (u32); IH, IW, PAD, STRIDE (i32);
// PAD_MODE (0 zeros, 1 reflect).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<uniform> wt: array<vec4<f32>, WV>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

//!include conv_common.wgsl

// One tap on one output row of 4 pixels with inputs p0..p3: a[2p + h] holds channels
// 4h..4h+3 of pixel p, k0 and k1 the tap's weights for those channel halves.
fn tap(a: array<vec4<f32>, 8>, p0: f32, p1: f32, p2: f32, p3: f32, k0: vec4<f32>, k1: vec4<f32>) -> array<vec4<f32>, 8> {
    var o = a;
    o[0] = fma(vec4<f32>(p0), k0, o[0]);
    o[2] = fma(vec4<f32>(p1), k0, o[2]);
    o[4] = fma(vec4<f32>(p2), k0, o[4]);
    o[6] = fma(vec4<f32>(p3), k0, o[6]);
    if (COV == 2u) {
        o[1] = fma(vec4<f32>(p0), k1, o[1]);
        o[3] = fma(vec4<f32>(p1), k1, o[3]);
        o[5] = fma(vec4<f32>(p2), k1, o[5]);
        o[7] = fma(vec4<f32>(p3), k1, o[7]);
    }
    return o;
}

// Weights of tap kx, channel half h, in the kernel row starting at vec4 base.
fn wk(base: u32, kx: u32, h: u32) -> vec4<f32> {
    return wt[base + kx * COV + min(h, COV - 1u)];
}

fn row_k3s1(a: array<vec4<f32>, 8>, base: u32, c: array<u32, 12>, m: array<f32, 12>, wb: u32) -> array<vec4<f32>, 8> {
    let r = array<f32, 6>(x[base + c[0]] * m[0], x[base + c[1]] * m[1], x[base + c[2]] * m[2],
                          x[base + c[3]] * m[3], x[base + c[4]] * m[4], x[base + c[5]] * m[5]);
    var o = tap(a, r[0], r[1], r[2], r[3], wk(wb, 0u, 0u), wk(wb, 0u, 1u));
    o = tap(o, r[1], r[2], r[3], r[4], wk(wb, 1u, 0u), wk(wb, 1u, 1u));
    return tap(o, r[2], r[3], r[4], r[5], wk(wb, 2u, 0u), wk(wb, 2u, 1u));
}

fn row_k3s2(a: array<vec4<f32>, 8>, base: u32, c: array<u32, 12>, m: array<f32, 12>, wb: u32) -> array<vec4<f32>, 8> {
    let r = array<f32, 9>(x[base + c[0]] * m[0], x[base + c[1]] * m[1], x[base + c[2]] * m[2],
                          x[base + c[3]] * m[3], x[base + c[4]] * m[4], x[base + c[5]] * m[5],
                          x[base + c[6]] * m[6], x[base + c[7]] * m[7], x[base + c[8]] * m[8]);
    var o = tap(a, r[0], r[2], r[4], r[6], wk(wb, 0u, 0u), wk(wb, 0u, 1u));
    o = tap(o, r[1], r[3], r[5], r[7], wk(wb, 1u, 0u), wk(wb, 1u, 1u));
    return tap(o, r[2], r[4], r[6], r[8], wk(wb, 2u, 0u), wk(wb, 2u, 1u));
}

fn row_k9s1(a: array<vec4<f32>, 8>, base: u32, c: array<u32, 12>, m: array<f32, 12>, wb: u32) -> array<vec4<f32>, 8> {
    let r = array<f32, 12>(x[base + c[0]] * m[0], x[base + c[1]] * m[1], x[base + c[2]] * m[2],
                           x[base + c[3]] * m[3], x[base + c[4]] * m[4], x[base + c[5]] * m[5],
                           x[base + c[6]] * m[6], x[base + c[7]] * m[7], x[base + c[8]] * m[8],
                           x[base + c[9]] * m[9], x[base + c[10]] * m[10], x[base + c[11]] * m[11]);
    var o = tap(a, r[0], r[1], r[2], r[3], wk(wb, 0u, 0u), wk(wb, 0u, 1u));
    o = tap(o, r[1], r[2], r[3], r[4], wk(wb, 1u, 0u), wk(wb, 1u, 1u));
    o = tap(o, r[2], r[3], r[4], r[5], wk(wb, 2u, 0u), wk(wb, 2u, 1u));
    o = tap(o, r[3], r[4], r[5], r[6], wk(wb, 3u, 0u), wk(wb, 3u, 1u));
    o = tap(o, r[4], r[5], r[6], r[7], wk(wb, 4u, 0u), wk(wb, 4u, 1u));
    o = tap(o, r[5], r[6], r[7], r[8], wk(wb, 5u, 0u), wk(wb, 5u, 1u));
    o = tap(o, r[6], r[7], r[8], r[9], wk(wb, 6u, 0u), wk(wb, 6u, 1u));
    o = tap(o, r[7], r[8], r[9], r[10], wk(wb, 7u, 0u), wk(wb, 7u, 1u));
    return tap(o, r[8], r[9], r[10], r[11], wk(wb, 8u, 0u), wk(wb, 8u, 1u));
}

// One kernel row of one input channel on one output row: input row iy, weights at wb.
fn row(a: array<vec4<f32>, 8>, xc: u32, iy: i32, c: array<u32, 12>, cm: array<f32, 12>, wb: u32) -> array<vec4<f32>, 8> {
    let base = xc + u32(src_index(iy, IH) * IW);
    let rm = inside(iy, IH);
    let m = array<f32, 12>(cm[0] * rm, cm[1] * rm, cm[2] * rm, cm[3] * rm, cm[4] * rm, cm[5] * rm,
                           cm[6] * rm, cm[7] * rm, cm[8] * rm, cm[9] * rm, cm[10] * rm, cm[11] * rm);
    if (KW == 9u) {
        return row_k9s1(a, base, c, m, wb);
    } else if (STRIDE == 2) {
        return row_k3s2(a, base, c, m, wb);
    }
    return row_k3s1(a, base, c, m, wb);
}

// Stores 4·COV channels plus bias at one pixel, skipping channels past CO.
fn store_px(v0: vec4<f32>, v1: vec4<f32>, idx: u32, co0: u32) {
    for (var j = 0u; j < 4u; j++) {
        if (co0 + j < CO) { y[idx + j * OH * OW] = v0[j]; }
        if (COV == 2u && co0 + 4u + j < CO) { y[idx + (4u + j) * OH * OW] = v1[j]; }
    }
}

// Stores one output row of 4 pixels, skipping pixels outside the output.
fn store_row(a: array<vec4<f32>, 8>, n: u32, co0: u32, oy: u32, ox0: u32) {
    if (oy >= OH) { return; }
    let b0 = wt[WV - 1u - COV];
    let b1 = wt[WV - 2u];
    let idx = ((n * CO + co0) * OH + oy) * OW + ox0;
    store_px(a[0] + b0, a[1] + b1, idx, co0);
    if (ox0 + 1u < OW) { store_px(a[2] + b0, a[3] + b1, idx + 1u, co0); }
    if (ox0 + 2u < OW) { store_px(a[4] + b0, a[5] + b1, idx + 2u, co0); }
    if (ox0 + 3u < OW) { store_px(a[6] + b0, a[7] + b1, idx + 3u, co0); }
}

@compute @workgroup_size(WG)
fn conv2d_3x3_9x9_c8x4x4(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= NT) { return; }
    let tx = i % TX;
    let ty = (i / TX) % TY;
    let n = i / (TX * TY);
    let oy0 = ty * 4u;
    let ox0 = tx * 4u;
    // Input columns of the tile's row segment (3·STRIDE + KW of them, at most 12).
    let ix0 = i32(ox0) * STRIDE - PAD;
    let c = array<u32, 12>(u32(src_index(ix0, IW)), u32(src_index(ix0 + 1, IW)), u32(src_index(ix0 + 2, IW)),
                           u32(src_index(ix0 + 3, IW)), u32(src_index(ix0 + 4, IW)), u32(src_index(ix0 + 5, IW)),
                           u32(src_index(ix0 + 6, IW)), u32(src_index(ix0 + 7, IW)), u32(src_index(ix0 + 8, IW)),
                           u32(src_index(ix0 + 9, IW)), u32(src_index(ix0 + 10, IW)), u32(src_index(ix0 + 11, IW)));
    let cm = array<f32, 12>(inside(ix0, IW), inside(ix0 + 1, IW), inside(ix0 + 2, IW),
                            inside(ix0 + 3, IW), inside(ix0 + 4, IW), inside(ix0 + 5, IW),
                            inside(ix0 + 6, IW), inside(ix0 + 7, IW), inside(ix0 + 8, IW),
                            inside(ix0 + 9, IW), inside(ix0 + 10, IW), inside(ix0 + 11, IW));
    let iy0 = i32(oy0) * STRIDE - PAD;
    var a0: array<vec4<f32>, 8>;
    var a1: array<vec4<f32>, 8>;
    var a2: array<vec4<f32>, 8>;
    var a3: array<vec4<f32>, 8>;
    let plane = u32(IH * IW);
    for (var ci = 0u; ci < CI; ci++) {
        let xc = (n * CI + ci) * plane;
        for (var ky = 0u; ky < KH; ky++) {
            let wb = (ci * KH + ky) * KW * COV;
            let iy = iy0 + i32(ky);
            a0 = row(a0, xc, iy, c, cm, wb);
            a1 = row(a1, xc, iy + STRIDE, c, cm, wb);
            a2 = row(a2, xc, iy + 2 * STRIDE, c, cm, wb);
            a3 = row(a3, xc, iy + 3 * STRIDE, c, cm, wb);
        }
    }
    let co0 = u32(wt[WV - 1u].x);
    store_row(a0, n, co0, oy0, ox0);
    store_row(a1, n, co0, oy0 + 1u, ox0);
    store_row(a2, n, co0, oy0 + 2u, ox0);
    store_row(a3, n, co0, oy0 + 3u, ox0);
}
