// Normalisation: per-group statistics, the elementwise normalisation, and the update of
// batch norm's running statistics.
//
// A group is the set of elements one mean and variance describe: one (n,c) plane for
// instance norm, one channel across all N planes for batch norm.
//
// All entry points share one binding layout (a binding's access mode is per module), each
// using a prefix of it; each entry point says what the bindings hold. Every launch defines
// all the constants below (the module must compile); those an entry point does not use
// have fixed values, so that they never tell two pipelines apart.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<f32>;
@group(0) @binding(5) var<storage, read> beta: array<f32>;

const WG = 64u;
//!include workgroup_reduce.wgsl

// x: the input; y: the statistics [2, G], means then biased variances.
// Constants: G (groups), PLANES, HW, PLANE_STRIDE, COUNT (= PLANES·HW), INV_COUNT, GRID_X.
// Group g covers PLANES planes of HW elements, the first at g·HW and the next PLANE_STRIDE
// further on. One workgroup per group; two passes over the data, the first for the mean,
// the second for the deviations from it (the corrected two-pass algorithm), which stays
// accurate when |mean| ≫ std.
@compute @workgroup_size(64)
fn stats(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    let g = wid.x + wid.y * (GRID_X / WG);
    // Surplus workgroups of the last grid row compute group G-1 again and write nothing:
    // no early return, because the barriers below need every invocation.
    let gs = min(g, G - 1u);
    var s = 0.0;
    for (var i = lid; i < COUNT; i = i + WG) {
        let p = i / HW;
        s = s + x[gs * HW + p * PLANE_STRIDE + (i - p * HW)];
    }
    let m0 = workgroup_sum(lane, s) * INV_COUNT;
    var dev = vec2(0.0); // Σd, Σd² of the deviations d from m0
    for (var i = lid; i < COUNT; i = i + WG) {
        let p = i / HW;
        let d = x[gs * HW + p * PLANE_STRIDE + (i - p * HW)] - m0;
        dev = dev + vec2(d, d * d);
    }
    let dev_total = workgroup_sum2(lane, dev);
    // m0's rounding error is Σd/COUNT; it corrects both the mean and the variance.
    let c = dev_total.x * INV_COUNT;
    let m = m0 + c;
    let v = max(dev_total.y * INV_COUNT - c * c, 0.0);
    if (lid == 0u && g < G) {
        y[gs] = m;
        y[G + gs] = v;
    }
}

// Constants: N (elements), HW, G, C (channels), VAR_OFF, EPS. Element i lies in plane
// i/HW, which belongs to group plane % G and channel plane % C. Group g's variance is
// variance[VAR_OFF+g].
fn normalized(i: u32) -> f32 {
    let g = (i / HW) % G;
    return (x[i] - mean[g]) / sqrt(variance[VAR_OFF + g] + EPS);
}

// x: the input; y: the output; mean and variance: the statistics.
@compute @workgroup_size(64)
fn normalize(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = normalized(i);
}

// As normalize, then scaled by gamma and shifted by beta per channel.
@compute @workgroup_size(64)
fn normalize_affine(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let c = (i / HW) % C;
    y[i] = fma(normalized(i), gamma[c], beta[c]);
}

// x: the batch statistics; y: one running statistic, updated in place.
// Constants: N (channels), VAR_OFF, SCALE, MOMENTUM. y moves towards x[VAR_OFF+i]·SCALE:
// the mean with VAR_OFF 0 and SCALE 1, the variance with VAR_OFF G and SCALE n/(n-1),
// PyTorch's unbiased estimate.
@compute @workgroup_size(64)
fn update_running(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = (1.0 - MOMENTUM) * y[i] + MOMENTUM * (x[VAR_OFF + i] * SCALE);
}
