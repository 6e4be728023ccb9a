// Softmax over each sample's elements, and its backward. x holds N samples of M elements
// each; every kernel runs on a grid of P × N workgroups, workgroup (w, n) owning the strided
// share w·WG + lid + k·P·WG of sample n, so that a sample of a million elements keeps
// many workgroups busy. part holds the per-workgroup partials [N, 2, P]: maxima (or dot
// products) in the first P, sums of exponentials in the second. Constants: M, P, GRID_X
// (= P·WG, unused but by common.wgsl).
//
// Forward: softmax_stats, softmax_apply. Backward: softmax_dot, softmax_backward.

@group(0) @binding(0) var<storage, read> x: array<f32>;         // the input; y for the backward
@group(0) @binding(1) var<storage, read_write> y: array<f32>;   // the output
@group(0) @binding(2) var<storage, read_write> part: array<f32>; // partials [N, 2, P]
@group(0) @binding(3) var<storage, read> g: array<f32>;         // the upstream gradient dy

const WG = 64u;
const LOWEST = -3.4028234e38f; // rounds to -FLT_MAX
//!include workgroup_reduce.wgsl

// part[n, 0, w] = the maximum mw of workgroup w's share of sample n, and part[n, 1, w] =
// Σ exp(x - mw) over the share: each invocation keeps a running maximum and rescales its
// sum when the maximum grows (online softmax), so that x is read once.
@compute @workgroup_size(64)
fn softmax_stats(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    let base = wid.y * M;
    var m = LOWEST;
    var s = 0.0;
    for (var i = wid.x * WG + lid; i < M; i = i + P * WG) {
        let v = x[base + i];
        let mn = max(m, v);
        s = fma(s, exp(m - mn), exp(v - mn));
        m = mn;
    }
    let mw = workgroup_max(lane, m, LOWEST);
    let sw = workgroup_sum(lane, s * exp(m - mw));
    if (lid == 0u) {
        part[wid.y * 2u * P + wid.x] = mw;
        part[wid.y * 2u * P + P + wid.x] = sw;
    }
}

// y = exp(x - mx) / sum over the share, the sample's maximum mx and sum of exp(x - mx)
// combined from the P partials of part[n, :, :] (every workgroup of the sample combines
// them alike and gets the same values).
@compute @workgroup_size(64)
fn softmax_apply(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    let base = wid.y * M;
    let row = wid.y * 2u * P;
    var m = LOWEST;
    for (var k = lid; k < P; k = k + WG) {
        m = max(m, part[row + k]);
    }
    let mx = workgroup_max(lane, m, LOWEST);
    var s = 0.0;
    for (var k = lid; k < P; k = k + WG) {
        s = fma(part[row + P + k], exp(part[row + k] - mx), s);
    }
    let inv = 1.0 / workgroup_sum(lane, s);
    for (var i = wid.x * WG + lid; i < M; i = i + P * WG) {
        y[base + i] = exp(x[base + i] - mx) * inv;
    }
}

// part[n, 0, w] = Σ dy·y over workgroup w's share of sample n (x holds y).
@compute @workgroup_size(64)
fn softmax_dot(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    let base = wid.y * M;
    var s = 0.0;
    for (var i = wid.x * WG + lid; i < M; i = i + P * WG) {
        s = fma(g[base + i], x[base + i], s);
    }
    let total = workgroup_sum(lane, s);
    if (lid == 0u) {
        part[wid.y * 2u * P + wid.x] = total;
    }
}

// dx = y·(dy - Σ dy·y) over the share, the sum read from part[n, 0, :]; x holds y and the
// output y receives dx.
@compute @workgroup_size(64)
fn softmax_backward(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    let base = wid.y * M;
    let row = wid.y * 2u * P;
    var s = 0.0;
    for (var k = lid; k < P; k = k + WG) {
        s = s + part[row + k];
    }
    let d = workgroup_sum(lane, s);
    for (var i = wid.x * WG + lid; i < M; i = i + P * WG) {
        y[base + i] = x[base + i] * (g[base + i] - d);
    }
}
