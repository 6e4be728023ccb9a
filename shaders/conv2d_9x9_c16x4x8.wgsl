// Conv2D, 9×9, stride 1, padding 4, input width a multiple of 4 (TransformerNet's first
// layer; variant 9 of dev/conv2d). A register tile of 4·NQ output channels × 8×4 pixels.
// With padding 4 an output row of 8 pixels needs input columns 8tx-4 .. 8tx+11: exactly
// four aligned vec4 loads (on lavapipe a storage load is a bounds-checked loop over the
// SIMD group, so a vec4 load pays it once for four values). Columns in the padding are made
// from loaded values by swizzles. Kernel rows are a run-time loop; the 9 taps of a row are
// unrolled, and each pixel's accumulators take all 9 in turn (16 independent add chains at
// NQ = 4). Weights come from uniform windows as in conv2d_3x3_c16x4x4.wgsl: NQ = 4 binds
// two windows of 8 channels (COV = 2), NQ ≤ 2 one window of 4·NQ channels (COV = NQ, w1 =
// w0).
//
// Constants: NT (tiles = BATCH·TY·TX), TX, TY, CI, CO, OH, OW, NQ, COV, NX4 (input length
// in vec4) (u32); IH, IW (i32); PAD_MODE (0 zeros, 1 reflect); WV (window length in vec4).

@group(0) @binding(0) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(1) var<uniform> w0: array<vec4<f32>, WV>;
@group(0) @binding(2) var<uniform> w1: array<vec4<f32>, WV>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

//!include conv_common.wgsl

// Where a tile's four vec4 column slots (8tx-4+4j) read, the same for every row.
struct Cols {
    v: vec4<u32>, // vec4 index of each slot within its row, clamped into the row
    left: bool,   // slot 0 is the left padding (tx = 0); slots 0 and 1 both read 0..3
    right2: bool, // slot 2 is the right padding (IW = 8tx+4)
    right3: bool, // slot 3 is the right padding (IW = 8tx+8)
}

// Columns -4..-1 from columns 0..7 (a, b): mirrored 4, 3, 2, 1, or zeros.
fn pad_left(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
    return select(vec4<f32>(0.0), vec4<f32>(b.x, a.w, a.z, a.y), PAD_MODE == 1u);
}

// Columns IW..IW+3 from columns IW-8..IW-1 (a, b): mirrored IW-2 .. IW-5, or zeros.
fn pad_right(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
    return select(vec4<f32>(0.0), vec4<f32>(b.z, b.y, b.x, a.w), PAD_MODE == 1u);
}

// The 16 input values of one row of the tile, row starting at vec4 index r4; m zeroes a
// row in the zero padding.
fn row16(r4: u32, k: Cols, m: f32) -> array<f32, 16> {
    let l0 = x4[r4 + k.v.x];
    let l1 = x4[r4 + k.v.y];
    let l2 = x4[r4 + k.v.z];
    let l3 = x4[r4 + k.v.w];
    let s0 = select(l0, pad_left(l1, l2), k.left) * m;
    let s1 = l1 * m;
    let s2 = select(l2, pad_right(l0, l1), k.right2) * m;
    let s3 = select(l3, pad_right(l1, l2), k.right3) * m;
    return array<f32, 16>(s0.x, s0.y, s0.z, s0.w, s1.x, s1.y, s1.z, s1.w,
                          s2.x, s2.y, s2.z, s2.w, s3.x, s3.y, s3.z, s3.w);
}

// The 9 taps of one kernel row on one pixel's accumulators s (channels 4q..4q+3 in s[q])
// with inputs v and weights k[4·kx + q].
fn px9(s: array<vec4<f32>, 4>, v: array<f32, 9>, k: array<vec4<f32>, 36>) -> array<vec4<f32>, 4> {
    var o = s;
    o[0] = fma(vec4<f32>(v[0]), k[0], o[0]);
    if (NQ > 1u) { o[1] = fma(vec4<f32>(v[0]), k[1], o[1]); }
    if (NQ > 2u) { o[2] = fma(vec4<f32>(v[0]), k[2], o[2]); o[3] = fma(vec4<f32>(v[0]), k[3], o[3]); }
    o[0] = fma(vec4<f32>(v[1]), k[4], o[0]);
    if (NQ > 1u) { o[1] = fma(vec4<f32>(v[1]), k[5], o[1]); }
    if (NQ > 2u) { o[2] = fma(vec4<f32>(v[1]), k[6], o[2]); o[3] = fma(vec4<f32>(v[1]), k[7], o[3]); }
    o[0] = fma(vec4<f32>(v[2]), k[8], o[0]);
    if (NQ > 1u) { o[1] = fma(vec4<f32>(v[2]), k[9], o[1]); }
    if (NQ > 2u) { o[2] = fma(vec4<f32>(v[2]), k[10], o[2]); o[3] = fma(vec4<f32>(v[2]), k[11], o[3]); }
    o[0] = fma(vec4<f32>(v[3]), k[12], o[0]);
    if (NQ > 1u) { o[1] = fma(vec4<f32>(v[3]), k[13], o[1]); }
    if (NQ > 2u) { o[2] = fma(vec4<f32>(v[3]), k[14], o[2]); o[3] = fma(vec4<f32>(v[3]), k[15], o[3]); }
    o[0] = fma(vec4<f32>(v[4]), k[16], o[0]);
    if (NQ > 1u) { o[1] = fma(vec4<f32>(v[4]), k[17], o[1]); }
    if (NQ > 2u) { o[2] = fma(vec4<f32>(v[4]), k[18], o[2]); o[3] = fma(vec4<f32>(v[4]), k[19], o[3]); }
    o[0] = fma(vec4<f32>(v[5]), k[20], o[0]);
    if (NQ > 1u) { o[1] = fma(vec4<f32>(v[5]), k[21], o[1]); }
    if (NQ > 2u) { o[2] = fma(vec4<f32>(v[5]), k[22], o[2]); o[3] = fma(vec4<f32>(v[5]), k[23], o[3]); }
    o[0] = fma(vec4<f32>(v[6]), k[24], o[0]);
    if (NQ > 1u) { o[1] = fma(vec4<f32>(v[6]), k[25], o[1]); }
    if (NQ > 2u) { o[2] = fma(vec4<f32>(v[6]), k[26], o[2]); o[3] = fma(vec4<f32>(v[6]), k[27], o[3]); }
    o[0] = fma(vec4<f32>(v[7]), k[28], o[0]);
    if (NQ > 1u) { o[1] = fma(vec4<f32>(v[7]), k[29], o[1]); }
    if (NQ > 2u) { o[2] = fma(vec4<f32>(v[7]), k[30], o[2]); o[3] = fma(vec4<f32>(v[7]), k[31], o[3]); }
    o[0] = fma(vec4<f32>(v[8]), k[32], o[0]);
    if (NQ > 1u) { o[1] = fma(vec4<f32>(v[8]), k[33], o[1]); }
    if (NQ > 2u) { o[2] = fma(vec4<f32>(v[8]), k[34], o[2]); o[3] = fma(vec4<f32>(v[8]), k[35], o[3]); }
    return o;
}

// One kernel row applied to one output row of 8 pixels from input values r: a[4p + q]
// holds channels 4q..4q+3 of pixel p.
fn taps9(a: array<vec4<f32>, 32>, r: array<f32, 16>, k: array<vec4<f32>, 36>) -> array<vec4<f32>, 32> {
    var o = a;
    let s0 = px9(array<vec4<f32>, 4>(o[0], o[1], o[2], o[3]), array<f32, 9>(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]), k);
    o[0] = s0[0]; o[1] = s0[1]; o[2] = s0[2]; o[3] = s0[3];
    let s1 = px9(array<vec4<f32>, 4>(o[4], o[5], o[6], o[7]), array<f32, 9>(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]), k);
    o[4] = s1[0]; o[5] = s1[1]; o[6] = s1[2]; o[7] = s1[3];
    let s2 = px9(array<vec4<f32>, 4>(o[8], o[9], o[10], o[11]), array<f32, 9>(r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10]), k);
    o[8] = s2[0]; o[9] = s2[1]; o[10] = s2[2]; o[11] = s2[3];
    let s3 = px9(array<vec4<f32>, 4>(o[12], o[13], o[14], o[15]), array<f32, 9>(r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]), k);
    o[12] = s3[0]; o[13] = s3[1]; o[14] = s3[2]; o[15] = s3[3];
    let s4 = px9(array<vec4<f32>, 4>(o[16], o[17], o[18], o[19]), array<f32, 9>(r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12]), k);
    o[16] = s4[0]; o[17] = s4[1]; o[18] = s4[2]; o[19] = s4[3];
    let s5 = px9(array<vec4<f32>, 4>(o[20], o[21], o[22], o[23]), array<f32, 9>(r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13]), k);
    o[20] = s5[0]; o[21] = s5[1]; o[22] = s5[2]; o[23] = s5[3];
    let s6 = px9(array<vec4<f32>, 4>(o[24], o[25], o[26], o[27]), array<f32, 9>(r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14]), k);
    o[24] = s6[0]; o[25] = s6[1]; o[26] = s6[2]; o[27] = s6[3];
    let s7 = px9(array<vec4<f32>, 4>(o[28], o[29], o[30], o[31]), array<f32, 9>(r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]), k);
    o[28] = s7[0]; o[29] = s7[1]; o[30] = s7[2]; o[31] = s7[3];
    return o;
}

// Weights of channel quad q at tap t of the kernel row starting at vec4 b of each window.
fn wq(b: u32, t: u32, q: u32) -> vec4<f32> {
    let i = b + t * COV + q % COV;
    if (q / COV == 0u) { return w0[i]; }
    return w1[i];
}

// Weights of kernel row ky of input channel ci: k[4·kx + q] for channel quad q (quads past
// NQ repeat quad 0 and go unused).
fn kernel_row(ci: u32, ky: u32) -> array<vec4<f32>, 36> {
    let b = (ci * 9u + ky) * 9u * COV;
    var k: array<vec4<f32>, 36>;
    k[0] = wq(b, 0u, 0u); k[1] = wq(b, 0u, min(1u, NQ - 1u)); k[2] = wq(b, 0u, min(2u, NQ - 1u)); k[3] = wq(b, 0u, min(3u, NQ - 1u));
    k[4] = wq(b, 1u, 0u); k[5] = wq(b, 1u, min(1u, NQ - 1u)); k[6] = wq(b, 1u, min(2u, NQ - 1u)); k[7] = wq(b, 1u, min(3u, NQ - 1u));
    k[8] = wq(b, 2u, 0u); k[9] = wq(b, 2u, min(1u, NQ - 1u)); k[10] = wq(b, 2u, min(2u, NQ - 1u)); k[11] = wq(b, 2u, min(3u, NQ - 1u));
    k[12] = wq(b, 3u, 0u); k[13] = wq(b, 3u, min(1u, NQ - 1u)); k[14] = wq(b, 3u, min(2u, NQ - 1u)); k[15] = wq(b, 3u, min(3u, NQ - 1u));
    k[16] = wq(b, 4u, 0u); k[17] = wq(b, 4u, min(1u, NQ - 1u)); k[18] = wq(b, 4u, min(2u, NQ - 1u)); k[19] = wq(b, 4u, min(3u, NQ - 1u));
    k[20] = wq(b, 5u, 0u); k[21] = wq(b, 5u, min(1u, NQ - 1u)); k[22] = wq(b, 5u, min(2u, NQ - 1u)); k[23] = wq(b, 5u, min(3u, NQ - 1u));
    k[24] = wq(b, 6u, 0u); k[25] = wq(b, 6u, min(1u, NQ - 1u)); k[26] = wq(b, 6u, min(2u, NQ - 1u)); k[27] = wq(b, 6u, min(3u, NQ - 1u));
    k[28] = wq(b, 7u, 0u); k[29] = wq(b, 7u, min(1u, NQ - 1u)); k[30] = wq(b, 7u, min(2u, NQ - 1u)); k[31] = wq(b, 7u, min(3u, NQ - 1u));
    k[32] = wq(b, 8u, 0u); k[33] = wq(b, 8u, min(1u, NQ - 1u)); k[34] = wq(b, 8u, min(2u, NQ - 1u)); k[35] = wq(b, 8u, min(3u, NQ - 1u));
    return k;
}

// Stores 4·NQ channels plus bias b at one pixel, skipping channels past CO.
fn store_px(v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>, b: array<vec4<f32>, 4>, idx: u32, co0: u32) {
    let v = array<vec4<f32>, 4>(v0 + b[0], v1 + b[1], v2 + b[2], v3 + b[3]);
    for (var j = 0u; j < 4u * NQ; j++) {
        if (co0 + j < CO) { y[idx + j * OH * OW] = v[j / 4u][j % 4u]; }
    }
}

// Stores one output row of 8 pixels, skipping pixels outside the output.
fn store_row(a: array<vec4<f32>, 32>, n: u32, co0: u32, oy: u32, ox0: u32) {
    if (oy >= OH) { return; }
    // Bias sits after the weights in each window: COV vec4 from WV - 1 - COV.
    let bb = WV - 1u - COV;
    let b = array<vec4<f32>, 4>(w0[bb], w0[bb + COV - 1u], w1[bb], w1[bb + COV - 1u]);
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
fn conv2d_9x9_c16x4x8(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= NT) { return; }
    let tx = i % TX;
    let ty = (i / TX) % TY;
    let n = i / (TX * TY);
    let oy0 = ty * 4u;
    let ox0 = tx * 8u;
    let c0 = i32(ox0) - 4;
    let last = u32(IW / 4 - 1);
    let cols = Cols(vec4<u32>(u32(max(c0, 0) / 4), min(u32(c0 + 4) / 4u, last), min(u32(c0 + 8) / 4u, last), min(u32(c0 + 12) / 4u, last)),
                    c0 < 0, c0 + 8 == IW, c0 + 12 == IW);
    let row4 = u32(IW / 4);
    var a0: array<vec4<f32>, 32>;
    var a1: array<vec4<f32>, 32>;
    var a2: array<vec4<f32>, 32>;
    var a3: array<vec4<f32>, 32>;
    for (var ci = 0u; ci < CI; ci++) {
        let plane4 = (n * CI + ci) * u32(IH) * row4;
        for (var ky = 0; ky < 9; ky++) {
            let k = kernel_row(ci, u32(ky));
            let iy = i32(oy0) + ky - 4;
            a0 = taps9(a0, row16(plane4 + u32(src_index(iy, IH)) * row4, cols, inside(iy, IH)), k);
            a1 = taps9(a1, row16(plane4 + u32(src_index(iy + 1, IH)) * row4, cols, inside(iy + 1, IH)), k);
            a2 = taps9(a2, row16(plane4 + u32(src_index(iy + 2, IH)) * row4, cols, inside(iy + 2, IH)), k);
            a3 = taps9(a3, row16(plane4 + u32(src_index(iy + 3, IH)) * row4, cols, inside(iy + 3, IH)), k);
        }
    }
    let co0 = u32(w0[WV - 1u].x);
    store_row(a0, n, co0, oy0, ox0);
    store_row(a1, n, co0, oy0 + 1u, ox0);
    store_row(a2, n, co0, oy0 + 2u, ox0);
    store_row(a3, n, co0, oy0 + 3u, ox0);
}
