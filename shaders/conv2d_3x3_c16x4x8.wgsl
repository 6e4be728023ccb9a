// Conv2D, 3×3, stride 1, padding 1, input width a multiple of 4 (TransformerNet's residual
// blocks; variant 7 of dev/conv2d). A register tile of 16 output channels × 8×4 pixels (128
// vec4 accumulators), and the input read as vec4: on lavapipe every storage load is a
// bounds-checked loop over the invocations of a SIMD group, and a vec4 load pays that loop
// once for four values. An output row of 8 pixels needs 10 input columns: 8tx-1 (scalar),
// 8tx..8tx+7 (two vec4), 8tx+8 (scalar). Weights come from two uniform windows of 8
// channels each, as in conv2d_3x3_c16x4x4.wgsl.
//
// The FMAs run in accumulator-major order: the 9 taps of one accumulator follow each
// other, so an accumulator the compiler keeps in memory (128 vec4 do not fit in
// registers) is loaded and stored once per input channel, not once per tap (variant 6 of
// dev/conv2d, tap-major, spilled 3.4 times as much).
//
// Input channels that do not fit in one window (more than 227: VGG's 256 and 512) are
// split into chunks of CIN from CI0, one dispatch each, all but the first adding to the
// output (ACC).
//
// Constants: NT (tiles = BATCH·TY·TX), TX, TY (tiles across and down), CI, CI0, CIN, CO,
// OH, OW, NX4 (input length in vec4) (u32); IH, IW, PAD (i32); PAD_MODE (0 zeros, 1
// reflect); ACC; WV (window length in vec4).

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

// The 9 taps of one accumulator s: inputs a, b, c from the three kernel rows, weights
// k0..k8 in tap order.
fn acc9(s: vec4<f32>, a: vec3<f32>, b: vec3<f32>, c: vec3<f32>, k0: vec4<f32>, k1: vec4<f32>, k2: vec4<f32>,
        k3: vec4<f32>, k4: vec4<f32>, k5: vec4<f32>, k6: vec4<f32>, k7: vec4<f32>, k8: vec4<f32>) -> vec4<f32> {
    var t = fma(vec4<f32>(a.x), k0, s);
    t = fma(vec4<f32>(a.y), k1, t);
    t = fma(vec4<f32>(a.z), k2, t);
    t = fma(vec4<f32>(b.x), k3, t);
    t = fma(vec4<f32>(b.y), k4, t);
    t = fma(vec4<f32>(b.z), k5, t);
    t = fma(vec4<f32>(c.x), k6, t);
    t = fma(vec4<f32>(c.y), k7, t);
    return fma(vec4<f32>(c.z), k8, t);
}

// The 3×3 kernel applied to one output row of 8 pixels from input rows r0, r1, r2: a[4p + q]
// holds channels 4q..4q+3 of pixel p; k[4(3ky + kx) + q] the weights of tap (ky, kx) for
// the same channels.
fn taps9(a: array<vec4<f32>, 32>, r0: array<f32, 10>, r1: array<f32, 10>, r2: array<f32, 10>, k: array<vec4<f32>, 36>) -> array<vec4<f32>, 32> {
    var o = a;
    let a0 = vec3<f32>(r0[0], r0[1], r0[2]);
    let b0 = vec3<f32>(r1[0], r1[1], r1[2]);
    let c0 = vec3<f32>(r2[0], r2[1], r2[2]);
    o[0] = acc9(o[0], a0, b0, c0, k[0], k[4], k[8], k[12], k[16], k[20], k[24], k[28], k[32]);
    o[1] = acc9(o[1], a0, b0, c0, k[1], k[5], k[9], k[13], k[17], k[21], k[25], k[29], k[33]);
    o[2] = acc9(o[2], a0, b0, c0, k[2], k[6], k[10], k[14], k[18], k[22], k[26], k[30], k[34]);
    o[3] = acc9(o[3], a0, b0, c0, k[3], k[7], k[11], k[15], k[19], k[23], k[27], k[31], k[35]);
    let a1 = vec3<f32>(r0[1], r0[2], r0[3]);
    let b1 = vec3<f32>(r1[1], r1[2], r1[3]);
    let c1 = vec3<f32>(r2[1], r2[2], r2[3]);
    o[4] = acc9(o[4], a1, b1, c1, k[0], k[4], k[8], k[12], k[16], k[20], k[24], k[28], k[32]);
    o[5] = acc9(o[5], a1, b1, c1, k[1], k[5], k[9], k[13], k[17], k[21], k[25], k[29], k[33]);
    o[6] = acc9(o[6], a1, b1, c1, k[2], k[6], k[10], k[14], k[18], k[22], k[26], k[30], k[34]);
    o[7] = acc9(o[7], a1, b1, c1, k[3], k[7], k[11], k[15], k[19], k[23], k[27], k[31], k[35]);
    let a2 = vec3<f32>(r0[2], r0[3], r0[4]);
    let b2 = vec3<f32>(r1[2], r1[3], r1[4]);
    let c2 = vec3<f32>(r2[2], r2[3], r2[4]);
    o[8] = acc9(o[8], a2, b2, c2, k[0], k[4], k[8], k[12], k[16], k[20], k[24], k[28], k[32]);
    o[9] = acc9(o[9], a2, b2, c2, k[1], k[5], k[9], k[13], k[17], k[21], k[25], k[29], k[33]);
    o[10] = acc9(o[10], a2, b2, c2, k[2], k[6], k[10], k[14], k[18], k[22], k[26], k[30], k[34]);
    o[11] = acc9(o[11], a2, b2, c2, k[3], k[7], k[11], k[15], k[19], k[23], k[27], k[31], k[35]);
    let a3 = vec3<f32>(r0[3], r0[4], r0[5]);
    let b3 = vec3<f32>(r1[3], r1[4], r1[5]);
    let c3 = vec3<f32>(r2[3], r2[4], r2[5]);
    o[12] = acc9(o[12], a3, b3, c3, k[0], k[4], k[8], k[12], k[16], k[20], k[24], k[28], k[32]);
    o[13] = acc9(o[13], a3, b3, c3, k[1], k[5], k[9], k[13], k[17], k[21], k[25], k[29], k[33]);
    o[14] = acc9(o[14], a3, b3, c3, k[2], k[6], k[10], k[14], k[18], k[22], k[26], k[30], k[34]);
    o[15] = acc9(o[15], a3, b3, c3, k[3], k[7], k[11], k[15], k[19], k[23], k[27], k[31], k[35]);
    let a4 = vec3<f32>(r0[4], r0[5], r0[6]);
    let b4 = vec3<f32>(r1[4], r1[5], r1[6]);
    let c4 = vec3<f32>(r2[4], r2[5], r2[6]);
    o[16] = acc9(o[16], a4, b4, c4, k[0], k[4], k[8], k[12], k[16], k[20], k[24], k[28], k[32]);
    o[17] = acc9(o[17], a4, b4, c4, k[1], k[5], k[9], k[13], k[17], k[21], k[25], k[29], k[33]);
    o[18] = acc9(o[18], a4, b4, c4, k[2], k[6], k[10], k[14], k[18], k[22], k[26], k[30], k[34]);
    o[19] = acc9(o[19], a4, b4, c4, k[3], k[7], k[11], k[15], k[19], k[23], k[27], k[31], k[35]);
    let a5 = vec3<f32>(r0[5], r0[6], r0[7]);
    let b5 = vec3<f32>(r1[5], r1[6], r1[7]);
    let c5 = vec3<f32>(r2[5], r2[6], r2[7]);
    o[20] = acc9(o[20], a5, b5, c5, k[0], k[4], k[8], k[12], k[16], k[20], k[24], k[28], k[32]);
    o[21] = acc9(o[21], a5, b5, c5, k[1], k[5], k[9], k[13], k[17], k[21], k[25], k[29], k[33]);
    o[22] = acc9(o[22], a5, b5, c5, k[2], k[6], k[10], k[14], k[18], k[22], k[26], k[30], k[34]);
    o[23] = acc9(o[23], a5, b5, c5, k[3], k[7], k[11], k[15], k[19], k[23], k[27], k[31], k[35]);
    let a6 = vec3<f32>(r0[6], r0[7], r0[8]);
    let b6 = vec3<f32>(r1[6], r1[7], r1[8]);
    let c6 = vec3<f32>(r2[6], r2[7], r2[8]);
    o[24] = acc9(o[24], a6, b6, c6, k[0], k[4], k[8], k[12], k[16], k[20], k[24], k[28], k[32]);
    o[25] = acc9(o[25], a6, b6, c6, k[1], k[5], k[9], k[13], k[17], k[21], k[25], k[29], k[33]);
    o[26] = acc9(o[26], a6, b6, c6, k[2], k[6], k[10], k[14], k[18], k[22], k[26], k[30], k[34]);
    o[27] = acc9(o[27], a6, b6, c6, k[3], k[7], k[11], k[15], k[19], k[23], k[27], k[31], k[35]);
    let a7 = vec3<f32>(r0[7], r0[8], r0[9]);
    let b7 = vec3<f32>(r1[7], r1[8], r1[9]);
    let c7 = vec3<f32>(r2[7], r2[8], r2[9]);
    o[28] = acc9(o[28], a7, b7, c7, k[0], k[4], k[8], k[12], k[16], k[20], k[24], k[28], k[32]);
    o[29] = acc9(o[29], a7, b7, c7, k[1], k[5], k[9], k[13], k[17], k[21], k[25], k[29], k[33]);
    o[30] = acc9(o[30], a7, b7, c7, k[2], k[6], k[10], k[14], k[18], k[22], k[26], k[30], k[34]);
    o[31] = acc9(o[31], a7, b7, c7, k[3], k[7], k[11], k[15], k[19], k[23], k[27], k[31], k[35]);
    return o;
}

// Weights of input channel ci: per tap, channels 0-3, 4-7 from w0 and 8-11, 12-15 from w1.
fn kernel(ci: u32) -> array<vec4<f32>, 36> {
    let b = ci * 18u;
    return array<vec4<f32>, 36>(
        w0[b], w0[b + 1u], w1[b], w1[b + 1u], w0[b + 2u], w0[b + 3u], w1[b + 2u], w1[b + 3u],
        w0[b + 4u], w0[b + 5u], w1[b + 4u], w1[b + 5u], w0[b + 6u], w0[b + 7u], w1[b + 6u], w1[b + 7u],
        w0[b + 8u], w0[b + 9u], w1[b + 8u], w1[b + 9u], w0[b + 10u], w0[b + 11u], w1[b + 10u], w1[b + 11u],
        w0[b + 12u], w0[b + 13u], w1[b + 12u], w1[b + 13u], w0[b + 14u], w0[b + 15u], w1[b + 14u], w1[b + 15u],
        w0[b + 16u], w0[b + 17u], w1[b + 16u], w1[b + 17u]);
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
fn conv2d_3x3_c16x4x8(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= NT) { return; }
    let tx = i % TX;
    let ty = (i / TX) % TY;
    let n = i / (TX * TY);
    let oy0 = ty * 4u;
    let ox0 = tx * 8u;
    let il = i32(ox0) - 1;
    let ir = i32(ox0) + 8;
    let cols = Cols(ox0, u32(src_index(il, IW)), u32(src_index(ir, IW)), inside(il, IW), inside(ir, IW), ox0 + 4u == u32(IW));
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
    for (var ci = 0u; ci < CIN; ci++) {
        let base = (n * CI + CI0 + ci) * plane;
        let k = kernel(ci);
        let r0 = row10(base + ro[0], cols, rm[0]);
        let r1 = row10(base + ro[1], cols, rm[1]);
        let r2 = row10(base + ro[2], cols, rm[2]);
        a0 = taps9(a0, r0, r1, r2, k);
        let r3 = row10(base + ro[3], cols, rm[3]);
        a1 = taps9(a1, r1, r2, r3, k);
        let r4 = row10(base + ro[4], cols, rm[4]);
        a2 = taps9(a2, r2, r3, r4, k);
        let r5 = row10(base + ro[5], cols, rm[5]);
        a3 = taps9(a3, r3, r4, r5, k);
    }
    let co0 = u32(w0[WV - 1u].x);
    store_row(a0, n, co0, oy0, ox0);
    store_row(a1, n, co0, oy0 + 1u, ox0);
    store_row(a2, n, co0, oy0 + 2u, ox0);
    store_row(a3, n, co0, oy0 + 3u, ox0);
}
