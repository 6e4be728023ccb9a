// Conv2D variant 11: a 3×3 convolution, stride 1, padding 1, of the input upsampled ×2 by
// nearest neighbour (TransformerNet's UpsampleConvLayer), read from the low-resolution
// input itself. Output pixel (2i+a, 2j+b) sees low-resolution rows i-1+a, i+a and columns
// j-1+b, j+b only: each of the four output phases (a, b) is a 2×2 convolution of the input
// with weights summed from the 3×3 ones (conv2d_repack.wgsl, TAP_MODE 1): 4 taps per
// output pixel instead of 9, and no upsampled tensor. Reflect padding of the upsampled
// image is edge clamping at low resolution; zero padding stays zeros.
//
// A register tile of 16 output channels × 8×4 output pixels (4×2 low-resolution pixels,
// all four phases), input width a multiple of 4: a tile reads 4 low-resolution rows of 6
// columns, one aligned vec4 and two scalars each (on lavapipe a storage load is a
// bounds-checked loop over the SIMD group; a vec4 load pays it once for four values).
// Each pixel's 4 accumulators take the 4 taps in turn (16 independent add chains). Weights
// come from four uniform windows of 4 channels (a window of 8 would pass 64 KiB at 128
// input channels): vec4 [ci·16 + 4·phase + tap], phase 2a+b, tap 2·row+column.
//
// Constants: NT (tiles = BATCH·TY·TX), TX, TY, CI, CO, OH, OW (= 2·IH, 2·IW) (u32); IH, IW
// (i32, the input's); PAD_MODE (0 zeros, 1 reflect); WV (window length in vec4).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>; // the same buffer as x
@group(0) @binding(2) var<uniform> w0: array<vec4<f32>, WV>;
@group(0) @binding(3) var<uniform> w1: array<vec4<f32>, WV>;
@group(0) @binding(4) var<uniform> w2: array<vec4<f32>, WV>;
@group(0) @binding(5) var<uniform> w3: array<vec4<f32>, WV>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

//!include conv_common.wgsl

// Source row or column of low-resolution position i in [-1, n]: the nearest edge (reflect
// padding of the upsampled image reads the edge pixel again; zeros are masked by the
// caller). Rows past the far edge of a partial tile clamp too.
fn edge_index(i: i32, n: i32) -> i32 {
    return clamp(i, 0, n - 1);
}

// The 6 input values of one low-resolution row of the tile: column 4tx-1 from source
// column left (masked by lm), 4tx .. 4tx+3 as one vec4, 4tx+4 from right (masked by rm);
// m zeroes a row in the zero padding.
fn row6(rowbase: u32, c0: u32, left: u32, right: u32, lm: f32, rm: f32, m: f32) -> array<f32, 6> {
    let v = x4[(rowbase + c0) / 4u];
    return array<f32, 6>(x[rowbase + left] * lm * m, v.x * m, v.y * m, v.z * m, v.w * m, x[rowbase + right] * rm * m);
}

// The 4 taps of one pixel's accumulators s (channels 0-3, 4-7, 8-11, 12-15) with inputs
// v (tap order) and weights k[4·tap + q].
fn px4(s: array<vec4<f32>, 4>, v: array<f32, 4>, k: array<vec4<f32>, 16>) -> array<vec4<f32>, 4> {
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
    return o;
}

// One output row of 8 pixels from low-resolution rows rt (upper) and rb (lower), with the
// weights k0 of its even columns' phase and k1 of its odd columns'. Output column 2j+b
// reads tile columns j+b and j+b+1 (index 0 is column 4tx-1).
fn taps_row(a: array<vec4<f32>, 32>, rt: array<f32, 6>, rb: array<f32, 6>, k0: array<vec4<f32>, 16>, k1: array<vec4<f32>, 16>) -> array<vec4<f32>, 32> {
    var o = a;
    let s0 = px4(array<vec4<f32>, 4>(o[0], o[1], o[2], o[3]), array<f32, 4>(rt[0], rt[1], rb[0], rb[1]), k0);
    o[0] = s0[0]; o[1] = s0[1]; o[2] = s0[2]; o[3] = s0[3];
    let s1 = px4(array<vec4<f32>, 4>(o[4], o[5], o[6], o[7]), array<f32, 4>(rt[1], rt[2], rb[1], rb[2]), k1);
    o[4] = s1[0]; o[5] = s1[1]; o[6] = s1[2]; o[7] = s1[3];
    let s2 = px4(array<vec4<f32>, 4>(o[8], o[9], o[10], o[11]), array<f32, 4>(rt[1], rt[2], rb[1], rb[2]), k0);
    o[8] = s2[0]; o[9] = s2[1]; o[10] = s2[2]; o[11] = s2[3];
    let s3 = px4(array<vec4<f32>, 4>(o[12], o[13], o[14], o[15]), array<f32, 4>(rt[2], rt[3], rb[2], rb[3]), k1);
    o[12] = s3[0]; o[13] = s3[1]; o[14] = s3[2]; o[15] = s3[3];
    let s4 = px4(array<vec4<f32>, 4>(o[16], o[17], o[18], o[19]), array<f32, 4>(rt[2], rt[3], rb[2], rb[3]), k0);
    o[16] = s4[0]; o[17] = s4[1]; o[18] = s4[2]; o[19] = s4[3];
    let s5 = px4(array<vec4<f32>, 4>(o[20], o[21], o[22], o[23]), array<f32, 4>(rt[3], rt[4], rb[3], rb[4]), k1);
    o[20] = s5[0]; o[21] = s5[1]; o[22] = s5[2]; o[23] = s5[3];
    let s6 = px4(array<vec4<f32>, 4>(o[24], o[25], o[26], o[27]), array<f32, 4>(rt[3], rt[4], rb[3], rb[4]), k0);
    o[24] = s6[0]; o[25] = s6[1]; o[26] = s6[2]; o[27] = s6[3];
    let s7 = px4(array<vec4<f32>, 4>(o[28], o[29], o[30], o[31]), array<f32, 4>(rt[4], rt[5], rb[4], rb[5]), k1);
    o[28] = s7[0]; o[29] = s7[1]; o[30] = s7[2]; o[31] = s7[3];
    return o;
}

// Weights of input channel ci for one phase: k[4·tap + q], channels 4q..4q+3 from window q.
fn kernel(ci: u32, phase: u32) -> array<vec4<f32>, 16> {
    let b = ci * 16u + phase * 4u;
    return array<vec4<f32>, 16>(
        w0[b], w1[b], w2[b], w3[b], w0[b + 1u], w1[b + 1u], w2[b + 1u], w3[b + 1u],
        w0[b + 2u], w1[b + 2u], w2[b + 2u], w3[b + 2u], w0[b + 3u], w1[b + 3u], w2[b + 3u], w3[b + 3u]);
}

// Stores 16 channels plus bias b at one pixel, skipping channels past CO.
fn store_px(v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>, b: array<vec4<f32>, 4>, idx: u32, co0: u32) {
    let v = array<vec4<f32>, 4>(v0 + b[0], v1 + b[1], v2 + b[2], v3 + b[3]);
    for (var j = 0u; j < 16u; j++) {
        if (co0 + j < CO) { y[idx + j * OH * OW] = v[j / 4u][j % 4u]; }
    }
}

// Stores one output row of 8 pixels × 16 channels (the output width is a multiple of 8),
// skipping rows outside the output.
fn store_row(a: array<vec4<f32>, 32>, n: u32, co0: u32, oy: u32, ox0: u32) {
    if (oy >= OH) { return; }
    // Each window holds its 4 channels' bias after the weights, then the header.
    let b = array<vec4<f32>, 4>(w0[WV - 2u], w1[WV - 2u], w2[WV - 2u], w3[WV - 2u]);
    let idx = ((n * CO + co0) * OH + oy) * OW + ox0;
    store_px(a[0], a[1], a[2], a[3], b, idx + 0u, co0);
    store_px(a[4], a[5], a[6], a[7], b, idx + 1u, co0);
    store_px(a[8], a[9], a[10], a[11], b, idx + 2u, co0);
    store_px(a[12], a[13], a[14], a[15], b, idx + 3u, co0);
    store_px(a[16], a[17], a[18], a[19], b, idx + 4u, co0);
    store_px(a[20], a[21], a[22], a[23], b, idx + 5u, co0);
    store_px(a[24], a[25], a[26], a[27], b, idx + 6u, co0);
    store_px(a[28], a[29], a[30], a[31], b, idx + 7u, co0);
}

@compute @workgroup_size(WG)
fn conv2d_v11(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= NT) { return; }
    let tx = i % TX;
    let ty = (i / TX) % TY;
    let n = i / (TX * TY);
    let c0 = tx * 4u;
    let i0 = i32(ty * 2u);
    let il = i32(c0) - 1;
    let ir = i32(c0) + 4;
    let left = u32(edge_index(il, IW));
    let right = u32(edge_index(ir, IW));
    let lm = inside(il, IW);
    let rm = inside(ir, IW);
    let ro = array<u32, 4>(u32(edge_index(i0 - 1, IH) * IW), u32(edge_index(i0, IH) * IW),
                           u32(edge_index(i0 + 1, IH) * IW), u32(edge_index(i0 + 2, IH) * IW));
    let rmask = array<f32, 4>(inside(i0 - 1, IH), inside(i0, IH), inside(i0 + 1, IH), inside(i0 + 2, IH));
    var a0: array<vec4<f32>, 32>;
    var a1: array<vec4<f32>, 32>;
    var a2: array<vec4<f32>, 32>;
    var a3: array<vec4<f32>, 32>;
    let plane = u32(IH * IW);
    for (var ci = 0u; ci < CI; ci++) {
        let base = (n * CI + ci) * plane;
        let k00 = kernel(ci, 0u);
        let k01 = kernel(ci, 1u);
        let r0 = row6(base + ro[0], c0, left, right, lm, rm, rmask[0]);
        let r1 = row6(base + ro[1], c0, left, right, lm, rm, rmask[1]);
        let r2 = row6(base + ro[2], c0, left, right, lm, rm, rmask[2]);
        a0 = taps_row(a0, r0, r1, k00, k01);
        a2 = taps_row(a2, r1, r2, k00, k01);
        let k10 = kernel(ci, 2u);
        let k11 = kernel(ci, 3u);
        let r3 = row6(base + ro[3], c0, left, right, lm, rm, rmask[3]);
        a1 = taps_row(a1, r1, r2, k10, k11);
        a3 = taps_row(a3, r2, r3, k10, k11);
    }
    let co0 = u32(w0[WV - 1u].x);
    let oy0 = ty * 4u;
    let ox0 = tx * 8u;
    store_row(a0, n, co0, oy0, ox0);
    store_row(a1, n, co0, oy0 + 1u, ox0);
    store_row(a2, n, co0, oy0 + 2u, ox0);
    store_row(a3, n, co0, oy0 + 3u, ox0);
}
