// Conv2D, 9×9, stride 1, padding 4, at most 4 output channels (TransformerNet's last layer,
// 32→3; variant 12 of dev/conv2d), input width a multiple of 4. With so few channels the
// register tile runs along the pixels instead: each invocation computes NCH (= CO) channels
// × 16×4 pixels as vec4 of 4 neighbouring pixels, each tap one scalar weight times a vec4
// of inputs, so no lane of the FMAs is wasted on a missing channel (conv2d_9x9_c16x4x8.wgsl
// at 4 channels computes a fourth one for nothing) and the vec4 of inputs at every tap
// offset are free: on lavapipe a vec4 is four registers, and a shifted vec4 just picks
// other ones. An output row of 16 pixels reads input columns 16tx-4 .. 16tx+19: six aligned
// vec4 loads (a storage load is a bounds-checked loop over the SIMD group, so a vec4 load
// pays it once for four values); columns in the padding are made from loaded values by
// swizzles. Kernel rows are a run-time loop; each accumulator takes its 9 taps of a row in
// turn. Weights come from one uniform window of 4 channels (conv2d_repack.wgsl, COV 1); the
// output is written as vec4.
//
// Constants: NT (tiles = BATCH·TY·TX), TX, TY, CI, CO, NCH (= CO), OH, OW (u32); IH, IW
// (i32); PAD_MODE (0 zeros, 1 reflect); WV (window length in vec4).

@group(0) @binding(0) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(1) var<uniform> w0: array<vec4<f32>, WV>;
@group(0) @binding(2) var<storage, read_write> y4: array<vec4<f32>>;

//!include conv_common.wgsl

// Columns -4..-1 from columns 0..7 (a, b): mirrored 4, 3, 2, 1, or zeros.
fn pad_left(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
    return select(vec4<f32>(0.0), vec4<f32>(b.x, a.w, a.z, a.y), PAD_MODE == 1u);
}

// Columns IW..IW+3 from columns IW-8..IW-1 (a, b): mirrored IW-2 .. IW-5, or zeros.
fn pad_right(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
    return select(vec4<f32>(0.0), vec4<f32>(b.z, b.y, b.x, a.w), PAD_MODE == 1u);
}

// Where a tile's six vec4 column slots (16tx-4+4j) read, the same for every row: the vec4
// index of each slot within its row, clamped into the row, and which slot is the right
// padding (slot rp reads IW..IW+3; 6 when none is).
struct Cols {
    v: array<u32, 6>,
    left: bool, // slot 0 is the left padding (tx = 0)
    rp: u32,
}

// The 24 input values of one row of the tile, the row starting at vec4 index r4; m
// zeroes a row in the zero padding. Slots past the right padding hold values no stored
// output uses.
fn row24(r4: u32, k: Cols, m: f32) -> array<f32, 24> {
    let l0 = x4[r4 + k.v[0]];
    let l1 = x4[r4 + k.v[1]];
    let l2 = x4[r4 + k.v[2]];
    let l3 = x4[r4 + k.v[3]];
    let l4 = x4[r4 + k.v[4]];
    let l5 = x4[r4 + k.v[5]];
    let s0 = select(l0, pad_left(l1, l2), k.left) * m;
    let s1 = l1 * m;
    let s2 = select(l2, pad_right(l0, l1), k.rp == 2u) * m;
    let s3 = select(l3, pad_right(l1, l2), k.rp == 3u) * m;
    let s4 = select(l4, pad_right(l2, l3), k.rp == 4u) * m;
    let s5 = select(l5, pad_right(l3, l4), k.rp == 5u) * m;
    return array<f32, 24>(s0.x, s0.y, s0.z, s0.w, s1.x, s1.y, s1.z, s1.w, s2.x, s2.y, s2.z, s2.w,
                          s3.x, s3.y, s3.z, s3.w, s4.x, s4.y, s4.z, s4.w, s5.x, s5.y, s5.z, s5.w);
}

// The 9 taps of one kernel row on 4 neighbouring pixels: inputs r (the 12 columns from the
// first pixel's leftmost tap), one channel's weights w[kx].
fn acc9(s: vec4<f32>, r: array<f32, 12>, w: array<f32, 9>) -> vec4<f32> {
    var t = s;
    t = fma(vec4<f32>(r[0], r[1], r[2], r[3]), vec4<f32>(w[0]), t);
    t = fma(vec4<f32>(r[1], r[2], r[3], r[4]), vec4<f32>(w[1]), t);
    t = fma(vec4<f32>(r[2], r[3], r[4], r[5]), vec4<f32>(w[2]), t);
    t = fma(vec4<f32>(r[3], r[4], r[5], r[6]), vec4<f32>(w[3]), t);
    t = fma(vec4<f32>(r[4], r[5], r[6], r[7]), vec4<f32>(w[4]), t);
    t = fma(vec4<f32>(r[5], r[6], r[7], r[8]), vec4<f32>(w[5]), t);
    t = fma(vec4<f32>(r[6], r[7], r[8], r[9]), vec4<f32>(w[6]), t);
    t = fma(vec4<f32>(r[7], r[8], r[9], r[10]), vec4<f32>(w[7]), t);
    t = fma(vec4<f32>(r[8], r[9], r[10], r[11]), vec4<f32>(w[8]), t);
    return t;
}

// One kernel row applied to one output row of 16 pixels from input values r: a[4c + p]
// holds pixels 4p..4p+3 of channel c; k[kx] the weights of tap kx for channels 0-3.
fn taps(a: array<vec4<f32>, 16>, r: array<f32, 24>, k: array<vec4<f32>, 9>) -> array<vec4<f32>, 16> {
    var o = a;
    let r0 = array<f32, 12>(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]);
    let r1 = array<f32, 12>(r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
    let r2 = array<f32, 12>(r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15], r[16], r[17], r[18], r[19]);
    let r3 = array<f32, 12>(r[12], r[13], r[14], r[15], r[16], r[17], r[18], r[19], r[20], r[21], r[22], r[23]);
    {
        let wc0 = array<f32, 9>(k[0].x, k[1].x, k[2].x, k[3].x, k[4].x, k[5].x, k[6].x, k[7].x, k[8].x);
        o[0] = acc9(o[0], r0, wc0);
        o[1] = acc9(o[1], r1, wc0);
        o[2] = acc9(o[2], r2, wc0);
        o[3] = acc9(o[3], r3, wc0);
    }
    if (NCH > 1u) {
        let wc1 = array<f32, 9>(k[0].y, k[1].y, k[2].y, k[3].y, k[4].y, k[5].y, k[6].y, k[7].y, k[8].y);
        o[4] = acc9(o[4], r0, wc1);
        o[5] = acc9(o[5], r1, wc1);
        o[6] = acc9(o[6], r2, wc1);
        o[7] = acc9(o[7], r3, wc1);
    }
    if (NCH > 2u) {
        let wc2 = array<f32, 9>(k[0].z, k[1].z, k[2].z, k[3].z, k[4].z, k[5].z, k[6].z, k[7].z, k[8].z);
        o[8] = acc9(o[8], r0, wc2);
        o[9] = acc9(o[9], r1, wc2);
        o[10] = acc9(o[10], r2, wc2);
        o[11] = acc9(o[11], r3, wc2);
    }
    if (NCH > 3u) {
        let wc3 = array<f32, 9>(k[0].w, k[1].w, k[2].w, k[3].w, k[4].w, k[5].w, k[6].w, k[7].w, k[8].w);
        o[12] = acc9(o[12], r0, wc3);
        o[13] = acc9(o[13], r1, wc3);
        o[14] = acc9(o[14], r2, wc3);
        o[15] = acc9(o[15], r3, wc3);
    }
    return o;
}

// Weights of kernel row ky of input channel ci: k[kx] for channels 0-3.
fn kernel_row(ci: u32, ky: u32) -> array<vec4<f32>, 9> {
    let b = (ci * 9u + ky) * 9u;
    return array<vec4<f32>, 9>(w0[b], w0[b + 1u], w0[b + 2u], w0[b + 3u], w0[b + 4u], w0[b + 5u], w0[b + 6u], w0[b + 7u], w0[b + 8u]);
}

// Stores one output row of 16 pixels × NCH channels plus bias, skipping pixels outside the
// output (OW is a multiple of 4).
fn store_row(a: array<vec4<f32>, 16>, n: u32, oy: u32, ox0: u32) {
    if (oy >= OH) { return; }
    let bias = w0[WV - 2u];
    for (var c = 0u; c < NCH; c++) {
        let idx = (((n * CO + c) * OH + oy) * OW + ox0) / 4u;
        let b = vec4<f32>(bias[c]);
        y4[idx] = a[4u * c] + b;
        if (ox0 + 4u < OW) { y4[idx + 1u] = a[4u * c + 1u] + b; }
        if (ox0 + 8u < OW) { y4[idx + 2u] = a[4u * c + 2u] + b; }
        if (ox0 + 12u < OW) { y4[idx + 3u] = a[4u * c + 3u] + b; }
    }
}

@compute @workgroup_size(WG)
fn conv2d_9x9_c4x4x16(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= NT) { return; }
    let tx = i % TX;
    let ty = (i / TX) % TY;
    let n = i / (TX * TY);
    let oy0 = ty * 4u;
    let ox0 = tx * 16u;
    let c0 = i32(ox0) - 4;
    let last = u32(IW / 4 - 1);
    let rp = (IW - c0) / 4; // slot of column IW
    let cols = Cols(array<u32, 6>(u32(max(c0, 0) / 4), min(u32(c0 + 4) / 4u, last), min(u32(c0 + 8) / 4u, last),
                                  min(u32(c0 + 12) / 4u, last), min(u32(c0 + 16) / 4u, last), min(u32(c0 + 20) / 4u, last)),
                    c0 < 0, u32(clamp(rp, 2, 6)));
    let row4 = u32(IW / 4);
    var a0: array<vec4<f32>, 16>;
    var a1: array<vec4<f32>, 16>;
    var a2: array<vec4<f32>, 16>;
    var a3: array<vec4<f32>, 16>;
    for (var ci = 0u; ci < CI; ci++) {
        let plane4 = (n * CI + ci) * u32(IH) * row4;
        for (var ky = 0; ky < 9; ky++) {
            let k = kernel_row(ci, u32(ky));
            let iy = i32(oy0) + ky - 4;
            a0 = taps(a0, row24(plane4 + u32(src_index(iy, IH)) * row4, cols, inside(iy, IH)), k);
            a1 = taps(a1, row24(plane4 + u32(src_index(iy + 1, IH)) * row4, cols, inside(iy + 1, IH)), k);
            a2 = taps(a2, row24(plane4 + u32(src_index(iy + 2, IH)) * row4, cols, inside(iy + 2, IH)), k);
            a3 = taps(a3, row24(plane4 + u32(src_index(iy + 3, IH)) * row4, cols, inside(iy + 3, IH)), k);
        }
    }
    store_row(a0, n, oy0, ox0);
    store_row(a1, n, oy0 + 1u, ox0);
    store_row(a2, n, oy0 + 2u, ox0);
    store_row(a3, n, oy0 + 3u, ox0);
}
