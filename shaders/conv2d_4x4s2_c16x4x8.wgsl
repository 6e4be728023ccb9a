// Conv2D, 4×4, stride 2, padding 1, input width a multiple of 4 (the DCGAN discriminator's
// downsampling layers; variant 14 of dev/conv2d). A register tile of 16 output channels ×
// 8×4 pixels, as conv2d_3x3s2_c16x4x8.wgsl for 3×3: an output row of 8 pixels reads input
// columns 16tx-1 .. 16tx+16, one scalar, four aligned vec4 and one scalar (on lavapipe a
// storage load is a bounds-checked loop over the SIMD group, so a vec4 load pays it once
// for four values); the 4 output rows read 10 input rows, each loaded once per input
// channel. The last output pixel reads the padding column IW; when it falls inside a vec4
// slot (IW not a multiple of 16) that slot is made from the one before. Each pixel's 4
// accumulators take the 16 taps in turn (16 independent add chains). Weights come from four
// uniform windows of 4 channels (conv2d_repack.wgsl, COV 1); input channels that do not fit
// in one window (more than 255) are split into chunks of CIN from CI0, one dispatch each,
// all but the first adding to the output (ACC).
//
// Constants: NT (tiles = BATCH·TY·TX), TX, TY, CI, CI0, CIN, CO, OH, OW, NX4 (input length
// in vec4) (u32); IH, IW (i32); PAD_MODE (0 zeros, 1 reflect); ACC; WV (window length in
// vec4).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>; // the same buffer as x
@group(0) @binding(2) var<uniform> w0: array<vec4<f32>, WV>;
@group(0) @binding(3) var<uniform> w1: array<vec4<f32>, WV>;
@group(0) @binding(4) var<uniform> w2: array<vec4<f32>, WV>;
@group(0) @binding(5) var<uniform> w3: array<vec4<f32>, WV>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

//!include conv_common.wgsl

// Where a tile's columns come from, the same for every row.
struct Cols {
    v0: u32,    // 16tx, the first column of the four vec4
    left: u32,  // source column of 16tx-1, masked by lm
    right: u32, // source column of 16tx+16, masked by rm
    lm: f32,
    rm: f32,
    rp: u32,    // vec4 slot (1-3) that starts at column IW, the right padding; else 0
}

// Column IW from the slot before it (columns IW-4 .. IW-1): IW-2 mirrored, or zero; the
// other three columns of the slot are never used.
fn pad_slot(prev: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(select(0.0, prev.z, PAD_MODE == 1u), 0.0, 0.0, 0.0);
}

// The 18 input values of one row of the tile; m zeroes a row in the zero padding.
fn row18(rowbase: u32, k: Cols, m: f32) -> array<f32, 18> {
    let i = (rowbase + k.v0) / 4u;
    let a = x4[i];
    let b = select(x4[min(i + 1u, NX4 - 1u)], pad_slot(a), k.rp == 1u);
    let c = select(x4[min(i + 2u, NX4 - 1u)], pad_slot(b), k.rp == 2u);
    let d = select(x4[min(i + 3u, NX4 - 1u)], pad_slot(c), k.rp == 3u);
    return array<f32, 18>(x[rowbase + k.left] * k.lm * m, a.x * m, a.y * m, a.z * m, a.w * m, b.x * m, b.y * m, b.z * m, b.w * m,
                          c.x * m, c.y * m, c.z * m, c.w * m, d.x * m, d.y * m, d.z * m, d.w * m, x[rowbase + k.right] * k.rm * m);
}

// The 16 taps of one pixel's accumulators s (channels 0-3, 4-7, 8-11, 12-15) with inputs
// v (tap order) and weights k[4·tap + q].
fn px16(s: array<vec4<f32>, 4>, v: array<f32, 16>, k: array<vec4<f32>, 64>) -> array<vec4<f32>, 4> {
    var o = s;
    o[0] = fma(vec4<f32>(v[0]), k[0], o[0]);
    o[1] = fma(vec4<f32>(v[0]), k[1], o[1]);
    o[2] = fma(vec4<f32>(v[0]), k[2], o[2]);
    o[3] = fma(vec4<f32>(v[0]), k[3], o[3]);
    o[0] = fma(vec4<f32>(v[1]), k[4], o[0]);
    o[1] = fma(vec4<f32>(v[1]), k[5], o[1]);
    o[2] = fma(vec4<f32>(v[1]), k[6], o[2]);
    o[3] = fma(vec4<f32>(v[1]), k[7], o[3]);
    o[0] = fma(vec4<f32>(v[2]), k[8], o[0]);
    o[1] = fma(vec4<f32>(v[2]), k[9], o[1]);
    o[2] = fma(vec4<f32>(v[2]), k[10], o[2]);
    o[3] = fma(vec4<f32>(v[2]), k[11], o[3]);
    o[0] = fma(vec4<f32>(v[3]), k[12], o[0]);
    o[1] = fma(vec4<f32>(v[3]), k[13], o[1]);
    o[2] = fma(vec4<f32>(v[3]), k[14], o[2]);
    o[3] = fma(vec4<f32>(v[3]), k[15], o[3]);
    o[0] = fma(vec4<f32>(v[4]), k[16], o[0]);
    o[1] = fma(vec4<f32>(v[4]), k[17], o[1]);
    o[2] = fma(vec4<f32>(v[4]), k[18], o[2]);
    o[3] = fma(vec4<f32>(v[4]), k[19], o[3]);
    o[0] = fma(vec4<f32>(v[5]), k[20], o[0]);
    o[1] = fma(vec4<f32>(v[5]), k[21], o[1]);
    o[2] = fma(vec4<f32>(v[5]), k[22], o[2]);
    o[3] = fma(vec4<f32>(v[5]), k[23], o[3]);
    o[0] = fma(vec4<f32>(v[6]), k[24], o[0]);
    o[1] = fma(vec4<f32>(v[6]), k[25], o[1]);
    o[2] = fma(vec4<f32>(v[6]), k[26], o[2]);
    o[3] = fma(vec4<f32>(v[6]), k[27], o[3]);
    o[0] = fma(vec4<f32>(v[7]), k[28], o[0]);
    o[1] = fma(vec4<f32>(v[7]), k[29], o[1]);
    o[2] = fma(vec4<f32>(v[7]), k[30], o[2]);
    o[3] = fma(vec4<f32>(v[7]), k[31], o[3]);
    o[0] = fma(vec4<f32>(v[8]), k[32], o[0]);
    o[1] = fma(vec4<f32>(v[8]), k[33], o[1]);
    o[2] = fma(vec4<f32>(v[8]), k[34], o[2]);
    o[3] = fma(vec4<f32>(v[8]), k[35], o[3]);
    o[0] = fma(vec4<f32>(v[9]), k[36], o[0]);
    o[1] = fma(vec4<f32>(v[9]), k[37], o[1]);
    o[2] = fma(vec4<f32>(v[9]), k[38], o[2]);
    o[3] = fma(vec4<f32>(v[9]), k[39], o[3]);
    o[0] = fma(vec4<f32>(v[10]), k[40], o[0]);
    o[1] = fma(vec4<f32>(v[10]), k[41], o[1]);
    o[2] = fma(vec4<f32>(v[10]), k[42], o[2]);
    o[3] = fma(vec4<f32>(v[10]), k[43], o[3]);
    o[0] = fma(vec4<f32>(v[11]), k[44], o[0]);
    o[1] = fma(vec4<f32>(v[11]), k[45], o[1]);
    o[2] = fma(vec4<f32>(v[11]), k[46], o[2]);
    o[3] = fma(vec4<f32>(v[11]), k[47], o[3]);
    o[0] = fma(vec4<f32>(v[12]), k[48], o[0]);
    o[1] = fma(vec4<f32>(v[12]), k[49], o[1]);
    o[2] = fma(vec4<f32>(v[12]), k[50], o[2]);
    o[3] = fma(vec4<f32>(v[12]), k[51], o[3]);
    o[0] = fma(vec4<f32>(v[13]), k[52], o[0]);
    o[1] = fma(vec4<f32>(v[13]), k[53], o[1]);
    o[2] = fma(vec4<f32>(v[13]), k[54], o[2]);
    o[3] = fma(vec4<f32>(v[13]), k[55], o[3]);
    o[0] = fma(vec4<f32>(v[14]), k[56], o[0]);
    o[1] = fma(vec4<f32>(v[14]), k[57], o[1]);
    o[2] = fma(vec4<f32>(v[14]), k[58], o[2]);
    o[3] = fma(vec4<f32>(v[14]), k[59], o[3]);
    o[0] = fma(vec4<f32>(v[15]), k[60], o[0]);
    o[1] = fma(vec4<f32>(v[15]), k[61], o[1]);
    o[2] = fma(vec4<f32>(v[15]), k[62], o[2]);
    o[3] = fma(vec4<f32>(v[15]), k[63], o[3]);
    return o;
}

// The 4×4 kernel applied at stride 2 to one output row of 8 pixels from input rows r0..r3
// (pixel p reads columns 2p .. 2p+3): a[4p + q] holds channels 4q..4q+3 of pixel p.
fn taps16(a: array<vec4<f32>, 32>, r0: array<f32, 18>, r1: array<f32, 18>, r2: array<f32, 18>, r3: array<f32, 18>, k: array<vec4<f32>, 64>) -> array<vec4<f32>, 32> {
    var o = a;
    let s0 = px16(array<vec4<f32>, 4>(o[0], o[1], o[2], o[3]), array<f32, 16>(r0[0], r0[1], r0[2], r0[3], r1[0], r1[1], r1[2], r1[3], r2[0], r2[1], r2[2], r2[3], r3[0], r3[1], r3[2], r3[3]), k);
    o[0] = s0[0]; o[1] = s0[1]; o[2] = s0[2]; o[3] = s0[3];
    let s1 = px16(array<vec4<f32>, 4>(o[4], o[5], o[6], o[7]), array<f32, 16>(r0[2], r0[3], r0[4], r0[5], r1[2], r1[3], r1[4], r1[5], r2[2], r2[3], r2[4], r2[5], r3[2], r3[3], r3[4], r3[5]), k);
    o[4] = s1[0]; o[5] = s1[1]; o[6] = s1[2]; o[7] = s1[3];
    let s2 = px16(array<vec4<f32>, 4>(o[8], o[9], o[10], o[11]), array<f32, 16>(r0[4], r0[5], r0[6], r0[7], r1[4], r1[5], r1[6], r1[7], r2[4], r2[5], r2[6], r2[7], r3[4], r3[5], r3[6], r3[7]), k);
    o[8] = s2[0]; o[9] = s2[1]; o[10] = s2[2]; o[11] = s2[3];
    let s3 = px16(array<vec4<f32>, 4>(o[12], o[13], o[14], o[15]), array<f32, 16>(r0[6], r0[7], r0[8], r0[9], r1[6], r1[7], r1[8], r1[9], r2[6], r2[7], r2[8], r2[9], r3[6], r3[7], r3[8], r3[9]), k);
    o[12] = s3[0]; o[13] = s3[1]; o[14] = s3[2]; o[15] = s3[3];
    let s4 = px16(array<vec4<f32>, 4>(o[16], o[17], o[18], o[19]), array<f32, 16>(r0[8], r0[9], r0[10], r0[11], r1[8], r1[9], r1[10], r1[11], r2[8], r2[9], r2[10], r2[11], r3[8], r3[9], r3[10], r3[11]), k);
    o[16] = s4[0]; o[17] = s4[1]; o[18] = s4[2]; o[19] = s4[3];
    let s5 = px16(array<vec4<f32>, 4>(o[20], o[21], o[22], o[23]), array<f32, 16>(r0[10], r0[11], r0[12], r0[13], r1[10], r1[11], r1[12], r1[13], r2[10], r2[11], r2[12], r2[13], r3[10], r3[11], r3[12], r3[13]), k);
    o[20] = s5[0]; o[21] = s5[1]; o[22] = s5[2]; o[23] = s5[3];
    let s6 = px16(array<vec4<f32>, 4>(o[24], o[25], o[26], o[27]), array<f32, 16>(r0[12], r0[13], r0[14], r0[15], r1[12], r1[13], r1[14], r1[15], r2[12], r2[13], r2[14], r2[15], r3[12], r3[13], r3[14], r3[15]), k);
    o[24] = s6[0]; o[25] = s6[1]; o[26] = s6[2]; o[27] = s6[3];
    let s7 = px16(array<vec4<f32>, 4>(o[28], o[29], o[30], o[31]), array<f32, 16>(r0[14], r0[15], r0[16], r0[17], r1[14], r1[15], r1[16], r1[17], r2[14], r2[15], r2[16], r2[17], r3[14], r3[15], r3[16], r3[17]), k);
    o[28] = s7[0]; o[29] = s7[1]; o[30] = s7[2]; o[31] = s7[3];
    return o;
}

// Weights of input channel ci (of the chunk): k[4·tap + q], channels 4q..4q+3 from window q.
fn kernel(ci: u32) -> array<vec4<f32>, 64> {
    let b = ci * 16u;
    return array<vec4<f32>, 64>(w0[b], w1[b], w2[b], w3[b], w0[b + 1u], w1[b + 1u], w2[b + 1u], w3[b + 1u], w0[b + 2u], w1[b + 2u], w2[b + 2u], w3[b + 2u], w0[b + 3u], w1[b + 3u], w2[b + 3u], w3[b + 3u], w0[b + 4u], w1[b + 4u], w2[b + 4u], w3[b + 4u], w0[b + 5u], w1[b + 5u], w2[b + 5u], w3[b + 5u], w0[b + 6u], w1[b + 6u], w2[b + 6u], w3[b + 6u], w0[b + 7u], w1[b + 7u], w2[b + 7u], w3[b + 7u], w0[b + 8u], w1[b + 8u], w2[b + 8u], w3[b + 8u], w0[b + 9u], w1[b + 9u], w2[b + 9u], w3[b + 9u], w0[b + 10u], w1[b + 10u], w2[b + 10u], w3[b + 10u], w0[b + 11u], w1[b + 11u], w2[b + 11u], w3[b + 11u], w0[b + 12u], w1[b + 12u], w2[b + 12u], w3[b + 12u], w0[b + 13u], w1[b + 13u], w2[b + 13u], w3[b + 13u], w0[b + 14u], w1[b + 14u], w2[b + 14u], w3[b + 14u], w0[b + 15u], w1[b + 15u], w2[b + 15u], w3[b + 15u]);
}

// Stores 16 channels plus bias b at one pixel, skipping channels past CO; with ACC adds
// them (no bias) to what an earlier chunk stored.
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
    let b = array<vec4<f32>, 4>(w0[WV - 2u], w1[WV - 2u], w2[WV - 2u], w3[WV - 2u]);
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
fn conv2d_4x4s2_c16x4x8(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= NT) { return; }
    let tx = i % TX;
    let ty = (i / TX) % TY;
    let n = i / (TX * TY);
    let oy0 = ty * 4u;
    let ox0 = tx * 8u;
    let il = i32(ox0) * 2 - 1;
    let ir = i32(ox0) * 2 + 16;
    let rp = (IW - i32(ox0) * 2) / 4;
    let cols = Cols(ox0 * 2u, u32(src_index(il, IW)), u32(src_index(ir, IW)), inside(il, IW), inside(ir, IW),
                    select(0u, u32(rp), rp >= 1 && rp <= 3));
    let iy0 = i32(oy0) * 2 - 1;
    var ro: array<u32, 10>;
    var rm: array<f32, 10>;
    ro[0] = u32(src_index(iy0 + 0, IH) * IW); rm[0] = inside(iy0 + 0, IH);
    ro[1] = u32(src_index(iy0 + 1, IH) * IW); rm[1] = inside(iy0 + 1, IH);
    ro[2] = u32(src_index(iy0 + 2, IH) * IW); rm[2] = inside(iy0 + 2, IH);
    ro[3] = u32(src_index(iy0 + 3, IH) * IW); rm[3] = inside(iy0 + 3, IH);
    ro[4] = u32(src_index(iy0 + 4, IH) * IW); rm[4] = inside(iy0 + 4, IH);
    ro[5] = u32(src_index(iy0 + 5, IH) * IW); rm[5] = inside(iy0 + 5, IH);
    ro[6] = u32(src_index(iy0 + 6, IH) * IW); rm[6] = inside(iy0 + 6, IH);
    ro[7] = u32(src_index(iy0 + 7, IH) * IW); rm[7] = inside(iy0 + 7, IH);
    ro[8] = u32(src_index(iy0 + 8, IH) * IW); rm[8] = inside(iy0 + 8, IH);
    ro[9] = u32(src_index(iy0 + 9, IH) * IW); rm[9] = inside(iy0 + 9, IH);
    var a0: array<vec4<f32>, 32>;
    var a1: array<vec4<f32>, 32>;
    var a2: array<vec4<f32>, 32>;
    var a3: array<vec4<f32>, 32>;
    let plane = u32(IH * IW);
    for (var ci = 0u; ci < CIN; ci++) {
        let base = (n * CI + CI0 + ci) * plane;
        let k = kernel(ci);
        let r0 = row18(base + ro[0], cols, rm[0]);
        let r1 = row18(base + ro[1], cols, rm[1]);
        let r2 = row18(base + ro[2], cols, rm[2]);
        let r3 = row18(base + ro[3], cols, rm[3]);
        a0 = taps16(a0, r0, r1, r2, r3, k);
        let r4 = row18(base + ro[4], cols, rm[4]);
        let r5 = row18(base + ro[5], cols, rm[5]);
        a1 = taps16(a1, r2, r3, r4, r5, k);
        let r6 = row18(base + ro[6], cols, rm[6]);
        let r7 = row18(base + ro[7], cols, rm[7]);
        a2 = taps16(a2, r4, r5, r6, r7, k);
        let r8 = row18(base + ro[8], cols, rm[8]);
        let r9 = row18(base + ro[9], cols, rm[9]);
        a3 = taps16(a3, r6, r7, r8, r9, k);
    }
    let co0 = u32(w0[WV - 1u].x);
    store_row(a0, n, co0, oy0, ox0);
    store_row(a1, n, co0, oy0 + 1u, ox0);
    store_row(a2, n, co0, oy0 + 2u, ox0);
    store_row(a3, n, co0, oy0 + 3u, ox0);
}
