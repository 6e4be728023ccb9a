// Conv2D variant 3: variant 2 with the weights read from a storage window instead of a
// uniform one, everything else equal, to measure what the uniform binding buys on lavapipe
// (where a storage load is a bounds-checked loop over the SIMD group and a uniform load a
// gather or, at constant offsets, one scalar load). 3×3, stride 1; a register tile of 8
// output channels × 4×4 pixels, one dispatch per group of 8 channels.
//
// Constants: NT (tiles = BATCH·TY·TX), TX, TY (tiles across and down), CI, CO, OH, OW
// (u32); IH, IW, PAD (i32); PAD_MODE (0 zeros, 1 reflect); WV (window length in vec4).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> wt: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

//!include conv_common.wgsl

// Six neighbouring input values of one row; m zeroes those in the zero padding.
fn row6(base: u32, c: array<u32, 6>, m: array<f32, 6>) -> array<f32, 6> {
    return array<f32, 6>(x[base + c[0]] * m[0], x[base + c[1]] * m[1], x[base + c[2]] * m[2],
                         x[base + c[3]] * m[3], x[base + c[4]] * m[4], x[base + c[5]] * m[5]);
}

// One kernel row applied to one output row of 4 pixels: a[2p + h] holds channels
// 4h..4h+3 of pixel p; k[2kx + h] the weights of tap kx for the same channels.
fn taps3(a: array<vec4<f32>, 8>, r: array<f32, 6>, k: array<vec4<f32>, 6>) -> array<vec4<f32>, 8> {
    var o = a;
    o[0] = fma(vec4<f32>(r[0]), k[0], o[0]);
    o[1] = fma(vec4<f32>(r[0]), k[1], o[1]);
    o[2] = fma(vec4<f32>(r[1]), k[0], o[2]);
    o[3] = fma(vec4<f32>(r[1]), k[1], o[3]);
    o[4] = fma(vec4<f32>(r[2]), k[0], o[4]);
    o[5] = fma(vec4<f32>(r[2]), k[1], o[5]);
    o[6] = fma(vec4<f32>(r[3]), k[0], o[6]);
    o[7] = fma(vec4<f32>(r[3]), k[1], o[7]);
    o[0] = fma(vec4<f32>(r[1]), k[2], o[0]);
    o[1] = fma(vec4<f32>(r[1]), k[3], o[1]);
    o[2] = fma(vec4<f32>(r[2]), k[2], o[2]);
    o[3] = fma(vec4<f32>(r[2]), k[3], o[3]);
    o[4] = fma(vec4<f32>(r[3]), k[2], o[4]);
    o[5] = fma(vec4<f32>(r[3]), k[3], o[5]);
    o[6] = fma(vec4<f32>(r[4]), k[2], o[6]);
    o[7] = fma(vec4<f32>(r[4]), k[3], o[7]);
    o[0] = fma(vec4<f32>(r[2]), k[4], o[0]);
    o[1] = fma(vec4<f32>(r[2]), k[5], o[1]);
    o[2] = fma(vec4<f32>(r[3]), k[4], o[2]);
    o[3] = fma(vec4<f32>(r[3]), k[5], o[3]);
    o[4] = fma(vec4<f32>(r[4]), k[4], o[4]);
    o[5] = fma(vec4<f32>(r[4]), k[5], o[5]);
    o[6] = fma(vec4<f32>(r[5]), k[4], o[6]);
    o[7] = fma(vec4<f32>(r[5]), k[5], o[7]);
    return o;
}

fn kernel_row(base: u32) -> array<vec4<f32>, 6> {
    return array<vec4<f32>, 6>(wt[base], wt[base + 1u], wt[base + 2u], wt[base + 3u], wt[base + 4u], wt[base + 5u]);
}

// Stores 8 channels plus bias at one pixel, skipping channels past CO.
fn store_px(v0: vec4<f32>, v1: vec4<f32>, idx: u32, co0: u32) {
    for (var j = 0u; j < 4u; j++) {
        if (co0 + j < CO) { y[idx + j * OH * OW] = v0[j]; }
        if (co0 + 4u + j < CO) { y[idx + (4u + j) * OH * OW] = v1[j]; }
    }
}

// Stores one output row of 4 pixels, skipping pixels outside the output.
fn store_row(a: array<vec4<f32>, 8>, n: u32, co0: u32, oy: u32, ox0: u32) {
    if (oy >= OH) { return; }
    let b0 = wt[WV - 3u];
    let b1 = wt[WV - 2u];
    let idx = ((n * CO + co0) * OH + oy) * OW + ox0;
    store_px(a[0] + b0, a[1] + b1, idx, co0);
    if (ox0 + 1u < OW) { store_px(a[2] + b0, a[3] + b1, idx + 1u, co0); }
    if (ox0 + 2u < OW) { store_px(a[4] + b0, a[5] + b1, idx + 2u, co0); }
    if (ox0 + 3u < OW) { store_px(a[6] + b0, a[7] + b1, idx + 3u, co0); }
}

@compute @workgroup_size(WG)
fn conv2d_v3(@builtin(global_invocation_id) gid: vec3<u32>) {
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
    var a0: array<vec4<f32>, 8>;
    var a1: array<vec4<f32>, 8>;
    var a2: array<vec4<f32>, 8>;
    var a3: array<vec4<f32>, 8>;
    let plane = u32(IH * IW);
    for (var ci = 0u; ci < CI; ci++) {
        let base = (n * CI + ci) * plane;
        let k0 = kernel_row(ci * 18u);
        let k1 = kernel_row(ci * 18u + 6u);
        let k2 = kernel_row(ci * 18u + 12u);
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
    let co0 = u32(wt[WV - 1u].x);
    store_row(a0, n, co0, oy0, ox0);
    store_row(a1, n, co0, oy0 + 1u, ox0);
    store_row(a2, n, co0, oy0 + 2u, ox0);
    store_row(a3, n, co0, oy0 + 3u, ox0);
}
