// Conv2D variant 6: 3×3, stride 1, padding 1, input width a multiple of 4. A register tile
// of 16 output channels × 8×4 pixels (128 vec4 accumulators), and the input read as vec4:
// on lavapipe every storage load is a bounds-checked loop over the invocations of a SIMD
// group, and a vec4 load pays that loop once for four values. An output row of 8 pixels
// needs 10 input columns: 8tx-1 (scalar), 8tx..8tx+7 (two vec4), 8tx+8 (scalar). Weights
// come from two uniform windows of 8 channels each, as in variant 5.
//
// Constants: NT (tiles = BATCH·TY·TX), TX, TY (tiles across and down), CI, CO, OH, OW,
// NX4 (input length in vec4) (u32); IH, IW, PAD (i32); PAD_MODE (0 zeros, 1 reflect); WV
// (window length in vec4).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>; // the same buffer as x
@group(0) @binding(2) var<uniform> w0: array<vec4<f32>, WV>;
@group(0) @binding(3) var<uniform> w1: array<vec4<f32>, WV>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

//!include conv_common.wgsl

// Edges of a tile's input row segment, the same for every row of the tile.
struct Cols {
    c0: u32,      // 8tx, the first column of the two vec4
    left: u32,    // source column of 8tx-1
    right: u32,   // source column of 8tx+8
    lm: f32,      // 0 where 8tx-1 is zero padding
    rm: f32,      // 0 where 8tx+8 is zero padding
    half: bool,   // the row ends at 8tx+4: column 8tx+4 is padding, read from 8tx+2
}

// The 10 input values of one row of the tile; m zeroes a row in the zero padding.
fn row10(rowbase: u32, k: Cols, m: f32) -> array<f32, 10> {
    let v0 = x4[(rowbase + k.c0) / 4u];
    let v1 = x4[min((rowbase + k.c0) / 4u + 1u, NX4 - 1u)];
    // With reflect, padding column IW mirrors IW-2; with zeros it is 0.
    let e = select(0.0, v0.z, PAD_MODE == 1u);
    let v4 = select(v1.x, e, k.half);
    return array<f32, 10>(x[rowbase + k.left] * k.lm * m, v0.x * m, v0.y * m, v0.z * m, v0.w * m,
                          v4 * m, v1.y * m, v1.z * m, v1.w * m, x[rowbase + k.right] * k.rm * m);
}

// One kernel row applied to one output row of 8 pixels: a[4p + q] holds channels
// 4q..4q+3 of pixel p; k[4kx + q] the weights of tap kx for the same channels.
fn taps3(a: array<vec4<f32>, 32>, r: array<f32, 10>, k: array<vec4<f32>, 12>) -> array<vec4<f32>, 32> {
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
    o[16] = fma(vec4<f32>(r[4]), k[0], o[16]);
    o[17] = fma(vec4<f32>(r[4]), k[1], o[17]);
    o[18] = fma(vec4<f32>(r[4]), k[2], o[18]);
    o[19] = fma(vec4<f32>(r[4]), k[3], o[19]);
    o[20] = fma(vec4<f32>(r[5]), k[0], o[20]);
    o[21] = fma(vec4<f32>(r[5]), k[1], o[21]);
    o[22] = fma(vec4<f32>(r[5]), k[2], o[22]);
    o[23] = fma(vec4<f32>(r[5]), k[3], o[23]);
    o[24] = fma(vec4<f32>(r[6]), k[0], o[24]);
    o[25] = fma(vec4<f32>(r[6]), k[1], o[25]);
    o[26] = fma(vec4<f32>(r[6]), k[2], o[26]);
    o[27] = fma(vec4<f32>(r[6]), k[3], o[27]);
    o[28] = fma(vec4<f32>(r[7]), k[0], o[28]);
    o[29] = fma(vec4<f32>(r[7]), k[1], o[29]);
    o[30] = fma(vec4<f32>(r[7]), k[2], o[30]);
    o[31] = fma(vec4<f32>(r[7]), k[3], o[31]);
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
    o[16] = fma(vec4<f32>(r[5]), k[4], o[16]);
    o[17] = fma(vec4<f32>(r[5]), k[5], o[17]);
    o[18] = fma(vec4<f32>(r[5]), k[6], o[18]);
    o[19] = fma(vec4<f32>(r[5]), k[7], o[19]);
    o[20] = fma(vec4<f32>(r[6]), k[4], o[20]);
    o[21] = fma(vec4<f32>(r[6]), k[5], o[21]);
    o[22] = fma(vec4<f32>(r[6]), k[6], o[22]);
    o[23] = fma(vec4<f32>(r[6]), k[7], o[23]);
    o[24] = fma(vec4<f32>(r[7]), k[4], o[24]);
    o[25] = fma(vec4<f32>(r[7]), k[5], o[25]);
    o[26] = fma(vec4<f32>(r[7]), k[6], o[26]);
    o[27] = fma(vec4<f32>(r[7]), k[7], o[27]);
    o[28] = fma(vec4<f32>(r[8]), k[4], o[28]);
    o[29] = fma(vec4<f32>(r[8]), k[5], o[29]);
    o[30] = fma(vec4<f32>(r[8]), k[6], o[30]);
    o[31] = fma(vec4<f32>(r[8]), k[7], o[31]);
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
    o[16] = fma(vec4<f32>(r[6]), k[8], o[16]);
    o[17] = fma(vec4<f32>(r[6]), k[9], o[17]);
    o[18] = fma(vec4<f32>(r[6]), k[10], o[18]);
    o[19] = fma(vec4<f32>(r[6]), k[11], o[19]);
    o[20] = fma(vec4<f32>(r[7]), k[8], o[20]);
    o[21] = fma(vec4<f32>(r[7]), k[9], o[21]);
    o[22] = fma(vec4<f32>(r[7]), k[10], o[22]);
    o[23] = fma(vec4<f32>(r[7]), k[11], o[23]);
    o[24] = fma(vec4<f32>(r[8]), k[8], o[24]);
    o[25] = fma(vec4<f32>(r[8]), k[9], o[25]);
    o[26] = fma(vec4<f32>(r[8]), k[10], o[26]);
    o[27] = fma(vec4<f32>(r[8]), k[11], o[27]);
    o[28] = fma(vec4<f32>(r[9]), k[8], o[28]);
    o[29] = fma(vec4<f32>(r[9]), k[9], o[29]);
    o[30] = fma(vec4<f32>(r[9]), k[10], o[30]);
    o[31] = fma(vec4<f32>(r[9]), k[11], o[31]);
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

// Stores 16 channels plus bias b at one pixel, skipping channels past CO.
fn store_px(v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>, b: array<vec4<f32>, 4>, idx: u32, co0: u32) {
    let v = array<vec4<f32>, 4>(v0 + b[0], v1 + b[1], v2 + b[2], v3 + b[3]);
    for (var j = 0u; j < 16u; j++) {
        if (co0 + j < CO) { y[idx + j * OH * OW] = v[j / 4u][j % 4u]; }
    }
}

// Stores one output row of 8 pixels × 16 channels, skipping pixels outside the output.
fn store_row(a: array<vec4<f32>, 32>, n: u32, co0: u32, oy: u32, ox0: u32) {
    if (oy >= OH) { return; }
    let b = array<vec4<f32>, 4>(w0[WV - 3u], w0[WV - 2u], w1[WV - 3u], w1[WV - 2u]);
    let idx = ((n * CO + co0) * OH + oy) * OW + ox0;
    store_px(a[0], a[1], a[2], a[3], b, idx + 0u, co0);
    if (ox0 + 1u < OW) { store_px(a[4], a[5], a[6], a[7], b, idx + 1u, co0); }
    if (ox0 + 2u < OW) { store_px(a[8], a[9], a[10], a[11], b, idx + 2u, co0); }
    if (ox0 + 3u < OW) { store_px(a[12], a[13], a[14], a[15], b, idx + 3u, co0); }
    if (ox0 + 4u < OW) { store_px(a[16], a[17], a[18], a[19], b, idx + 4u, co0); }
    if (ox0 + 5u < OW) { store_px(a[20], a[21], a[22], a[23], b, idx + 5u, co0); }
    if (ox0 + 6u < OW) { store_px(a[24], a[25], a[26], a[27], b, idx + 6u, co0); }
    if (ox0 + 7u < OW) { store_px(a[28], a[29], a[30], a[31], b, idx + 7u, co0); }
}

@compute @workgroup_size(WG)
fn conv2d_v6(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= NT) { return; }
    let tx = i % TX;
    let ty = (i / TX) % TY;
    let n = i / (TX * TY);
    let oy0 = ty * 4u;
    let ox0 = tx * 8u;
    let il = i32(ox0) - 1;
    let ir = i32(ox0) + 8;
    let k = Cols(ox0, u32(src_index(il, IW)), u32(src_index(ir, IW)), inside(il, IW), inside(ir, IW), ox0 + 4u == u32(IW));
    let iy0 = i32(oy0) - PAD;
    let ro = array<u32, 6>(u32(src_index(iy0, IH) * IW), u32(src_index(iy0 + 1, IH) * IW), u32(src_index(iy0 + 2, IH) * IW),
                           u32(src_index(iy0 + 3, IH) * IW), u32(src_index(iy0 + 4, IH) * IW), u32(src_index(iy0 + 5, IH) * IW));
    let rm = array<f32, 6>(inside(iy0, IH), inside(iy0 + 1, IH), inside(iy0 + 2, IH),
                           inside(iy0 + 3, IH), inside(iy0 + 4, IH), inside(iy0 + 5, IH));
    var a0: array<vec4<f32>, 32>;
    var a1: array<vec4<f32>, 32>;
    var a2: array<vec4<f32>, 32>;
    var a3: array<vec4<f32>, 32>;
    let plane = u32(IH * IW);
    for (var ci = 0u; ci < CI; ci++) {
        let base = (n * CI + ci) * plane;
        let k0 = kernel_row(ci, 0u);
        let k1 = kernel_row(ci, 1u);
        let k2 = kernel_row(ci, 2u);
        let r0 = row10(base + ro[0], k, rm[0]);
        a0 = taps3(a0, r0, k0);
        let r1 = row10(base + ro[1], k, rm[1]);
        a0 = taps3(a0, r1, k1);
        a1 = taps3(a1, r1, k0);
        let r2 = row10(base + ro[2], k, rm[2]);
        a0 = taps3(a0, r2, k2);
        a1 = taps3(a1, r2, k1);
        a2 = taps3(a2, r2, k0);
        let r3 = row10(base + ro[3], k, rm[3]);
        a1 = taps3(a1, r3, k2);
        a2 = taps3(a2, r3, k1);
        a3 = taps3(a3, r3, k0);
        let r4 = row10(base + ro[4], k, rm[4]);
        a2 = taps3(a2, r4, k2);
        a3 = taps3(a3, r4, k1);
        let r5 = row10(base + ro[5], k, rm[5]);
        a3 = taps3(a3, r5, k2);
    }
    let co0 = u32(w0[WV - 1u].x);
    store_row(a0, n, co0, oy0, ox0);
    store_row(a1, n, co0, oy0 + 1u, ox0);
    store_row(a2, n, co0, oy0 + 2u, ox0);
    store_row(a3, n, co0, oy0 + 3u, ox0);
}
