// A 3×3 convolution, stride 1, padding 1, of the input upsampled ×2 by nearest neighbour
// (TransformerNet's UpsampleConvLayer), read from the low-resolution input itself. Output
// pixel (2i+a, 2j+b) sees low-resolution rows i-1+a, i+a and columns j-1+b, j+b only: each
// of the four output phases (a, b) is a 2×2 convolution of the input with weights summed
// from the 3×3 ones (conv2d_repack.wgsl, TAP_MODE 1): 4 taps per output pixel instead of 9,
// and no upsampled tensor. Reflect padding of the upsampled image is edge clamping at low
// resolution; zero padding stays zeros. A 4×4 transposed convolution of stride 2 and
// padding 1 is the same four 2×2 convolutions with other taps (TAP_MODE 2, zero padding):
// ConvTranspose2D runs it here too. Variant 13 of dev/conv2d: its variant 11 with half
// the channels and twice the rows per invocation, half the uniform weight loads per FMA
// for 50 % more input loads, 15 % less CPU time on lavapipe.
//
// A register tile of 8 output channels × 8×8 output pixels (4×4 low-resolution pixels,
// all four phases), input width a multiple of 4: a tile reads 6 low-resolution rows of 6
// columns, one aligned vec4 and two scalars each (on lavapipe a storage load is a
// bounds-checked loop over the SIMD group; a vec4 load pays it once for four values).
// Each pixel's 2 accumulators take the 4 taps in turn. Weights come from 2 uniform
// windows of 4 channels (a window of 8 would pass 64 KiB at 128 input channels):
// vec4 [ci·16 + 4·phase + tap], phase 2a+b, tap 2·row+column.
//
// Input channels that do not fit in one window (more than 255) are split into chunks of
// CIN from CI0, one dispatch each, all but the first adding to the output (ACC).
//
// Constants: NT (tiles = BATCH·TY·TX), TX, TY, CI, CI0, CIN, CO, OH, OW (= 2·IH, 2·IW)
// (u32); IH, IW (i32, the input's); PAD_MODE (0 zeros, 1 reflect); ACC; WV (window length
// in vec4).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>; // the same buffer as x
@group(0) @binding(2) var<uniform> w0: array<vec4<f32>, WV>;
@group(0) @binding(3) var<uniform> w1: array<vec4<f32>, WV>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

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

// The 4 taps of one pixel's accumulators s (channels 4q..4q+3 in s[q]) with inputs v (tap
// order) and weights k[2·tap + q].
fn px4(s: array<vec4<f32>, 2>, v: array<f32, 4>, k: array<vec4<f32>, 8>) -> array<vec4<f32>, 2> {
    var o = s;
    o[0] = fma(vec4<f32>(v[0]), k[0], o[0]);
    o[1] = fma(vec4<f32>(v[0]), k[1], o[1]);
    o[0] = fma(vec4<f32>(v[1]), k[2], o[0]);
    o[1] = fma(vec4<f32>(v[1]), k[3], o[1]);
    o[0] = fma(vec4<f32>(v[2]), k[4], o[0]);
    o[1] = fma(vec4<f32>(v[2]), k[5], o[1]);
    o[0] = fma(vec4<f32>(v[3]), k[6], o[0]);
    o[1] = fma(vec4<f32>(v[3]), k[7], o[1]);
    return o;
}

// One output row of 8 pixels from low-resolution rows rt (upper) and rb (lower), with the
// weights k0 of its even columns' phase and k1 of its odd columns'. Output column 2j+b
// reads tile columns j+b and j+b+1 (index 0 is column 4tx-1).
fn taps_row(a: array<vec4<f32>, 16>, rt: array<f32, 6>, rb: array<f32, 6>, k0: array<vec4<f32>, 8>, k1: array<vec4<f32>, 8>) -> array<vec4<f32>, 16> {
    var o = a;
    let s0 = px4(array<vec4<f32>, 2>(o[0], o[1]), array<f32, 4>(rt[0], rt[1], rb[0], rb[1]), k0);
    o[0] = s0[0]; o[1] = s0[1];
    let s1 = px4(array<vec4<f32>, 2>(o[2], o[3]), array<f32, 4>(rt[1], rt[2], rb[1], rb[2]), k1);
    o[2] = s1[0]; o[3] = s1[1];
    let s2 = px4(array<vec4<f32>, 2>(o[4], o[5]), array<f32, 4>(rt[1], rt[2], rb[1], rb[2]), k0);
    o[4] = s2[0]; o[5] = s2[1];
    let s3 = px4(array<vec4<f32>, 2>(o[6], o[7]), array<f32, 4>(rt[2], rt[3], rb[2], rb[3]), k1);
    o[6] = s3[0]; o[7] = s3[1];
    let s4 = px4(array<vec4<f32>, 2>(o[8], o[9]), array<f32, 4>(rt[2], rt[3], rb[2], rb[3]), k0);
    o[8] = s4[0]; o[9] = s4[1];
    let s5 = px4(array<vec4<f32>, 2>(o[10], o[11]), array<f32, 4>(rt[3], rt[4], rb[3], rb[4]), k1);
    o[10] = s5[0]; o[11] = s5[1];
    let s6 = px4(array<vec4<f32>, 2>(o[12], o[13]), array<f32, 4>(rt[3], rt[4], rb[3], rb[4]), k0);
    o[12] = s6[0]; o[13] = s6[1];
    let s7 = px4(array<vec4<f32>, 2>(o[14], o[15]), array<f32, 4>(rt[4], rt[5], rb[4], rb[5]), k1);
    o[14] = s7[0]; o[15] = s7[1];
    return o;
}

// Weights of input channel ci for one phase: k[2·tap + q], channels 4q..4q+3 from window q.
fn kernel(ci: u32, phase: u32) -> array<vec4<f32>, 8> {
    let b = ci * 16u + phase * 4u;
    return array<vec4<f32>, 8>(w0[b], w1[b], w0[b + 1u], w1[b + 1u], w0[b + 2u], w1[b + 2u], w0[b + 3u], w1[b + 3u]);
}

// Stores 8 channels plus bias b at one pixel, skipping channels past CO; with ACC adds
// them (no bias) to what an earlier chunk stored.
fn store_px(v: array<vec4<f32>, 2>, b: array<vec4<f32>, 2>, idx: u32, co0: u32) {
    for (var j = 0u; j < 8u; j++) {
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

// Stores one output row of 8 pixels × 8 channels (the output width is a multiple of 8),
// skipping rows outside the output.
fn store_row(a: array<vec4<f32>, 16>, n: u32, co0: u32, oy: u32, ox0: u32) {
    if (oy >= OH) { return; }
    // Each window holds its 4 channels' bias after the weights, then the header.
    let b = array<vec4<f32>, 2>(w0[WV - 2u], w1[WV - 2u]);
    let idx = ((n * CO + co0) * OH + oy) * OW + ox0;
    store_px(array<vec4<f32>, 2>(a[0], a[1]), b, idx + 0u, co0);
    store_px(array<vec4<f32>, 2>(a[2], a[3]), b, idx + 1u, co0);
    store_px(array<vec4<f32>, 2>(a[4], a[5]), b, idx + 2u, co0);
    store_px(array<vec4<f32>, 2>(a[6], a[7]), b, idx + 3u, co0);
    store_px(array<vec4<f32>, 2>(a[8], a[9]), b, idx + 4u, co0);
    store_px(array<vec4<f32>, 2>(a[10], a[11]), b, idx + 5u, co0);
    store_px(array<vec4<f32>, 2>(a[12], a[13]), b, idx + 6u, co0);
    store_px(array<vec4<f32>, 2>(a[14], a[15]), b, idx + 7u, co0);
}

@compute @workgroup_size(WG)
fn conv2d_up2_c8x8x8(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= NT) { return; }
    let tx = i % TX;
    let ty = (i / TX) % TY;
    let n = i / (TX * TY);
    let c0 = tx * 4u;
    let i0 = i32(ty * 4u);
    let il = i32(c0) - 1;
    let ir = i32(c0) + 4;
    let left = u32(edge_index(il, IW));
    let right = u32(edge_index(ir, IW));
    let lm = inside(il, IW);
    let rm = inside(ir, IW);
    let ro = array<u32, 6>(u32(edge_index(i0 + -1, IH) * IW), u32(edge_index(i0 + 0, IH) * IW), u32(edge_index(i0 + 1, IH) * IW), u32(edge_index(i0 + 2, IH) * IW), u32(edge_index(i0 + 3, IH) * IW), u32(edge_index(i0 + 4, IH) * IW));
    let rmask = array<f32, 6>(inside(i0 + -1, IH), inside(i0 + 0, IH), inside(i0 + 1, IH), inside(i0 + 2, IH), inside(i0 + 3, IH), inside(i0 + 4, IH));
    var a0: array<vec4<f32>, 16>;
    var a1: array<vec4<f32>, 16>;
    var a2: array<vec4<f32>, 16>;
    var a3: array<vec4<f32>, 16>;
    var a4: array<vec4<f32>, 16>;
    var a5: array<vec4<f32>, 16>;
    var a6: array<vec4<f32>, 16>;
    var a7: array<vec4<f32>, 16>;
    let plane = u32(IH * IW);
    for (var ci = 0u; ci < CIN; ci++) {
        let base = (n * CI + CI0 + ci) * plane;
        let k00 = kernel(ci, 0u);
        let k01 = kernel(ci, 1u);
        let k10 = kernel(ci, 2u);
        let k11 = kernel(ci, 3u);
        let r0 = row6(base + ro[0], c0, left, right, lm, rm, rmask[0]);
        let r1 = row6(base + ro[1], c0, left, right, lm, rm, rmask[1]);
        let r2 = row6(base + ro[2], c0, left, right, lm, rm, rmask[2]);
        let r3 = row6(base + ro[3], c0, left, right, lm, rm, rmask[3]);
        let r4 = row6(base + ro[4], c0, left, right, lm, rm, rmask[4]);
        let r5 = row6(base + ro[5], c0, left, right, lm, rm, rmask[5]);
        a0 = taps_row(a0, r0, r1, k00, k01);
        a1 = taps_row(a1, r1, r2, k10, k11);
        a2 = taps_row(a2, r1, r2, k00, k01);
        a3 = taps_row(a3, r2, r3, k10, k11);
        a4 = taps_row(a4, r2, r3, k00, k01);
        a5 = taps_row(a5, r3, r4, k10, k11);
        a6 = taps_row(a6, r3, r4, k00, k01);
        a7 = taps_row(a7, r4, r5, k10, k11);
    }
    let co0 = u32(w0[WV - 1u].x);
    let oy0 = ty * 8u;
    let ox0 = tx * 8u;
    store_row(a0, n, co0, oy0 + 0u, ox0);
    store_row(a1, n, co0, oy0 + 1u, ox0);
    store_row(a2, n, co0, oy0 + 2u, ox0);
    store_row(a3, n, co0, oy0 + 3u, ox0);
    store_row(a4, n, co0, oy0 + 4u, ox0);
    store_row(a5, n, co0, oy0 + 5u, ox0);
    store_row(a6, n, co0, oy0 + 6u, ox0);
    store_row(a7, n, co0, oy0 + 7u, ox0);
}
