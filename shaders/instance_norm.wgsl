// Instance norm, and batch norm in eval mode, on planes whose length is a multiple of 4,
// read and written as vec4, with the activation or the residual sum that follows in a
// network fused into the pass that writes the output. On lavapipe every storage load is
// a bounds-checked loop over the invocations of a SIMD group: a vec4 load pays it once
// for four values, and the fused pass saves a whole pass over the activations.
// (norm.wgsl handles every other shape, and batch norm's training mode.)
//
// stats (instance norm) or running (batch norm) writes per plane g the vec4 (mean,
// 1/sqrt(var+eps)·gamma, beta, 0); apply normalises with it.
//
// Constants: G (planes, N·C), C (channels), HW4 (plane length in vec4), INV_COUNT
// (1 / plane length), EPS, AFFINE, ACT (0 none, 1 ReLU, 2 LeakyReLU of slope SLOPE),
// RESIDUAL, VPI (vec4 per invocation of apply), CHUNKS (ceil(HW4 / VPI)), N (invocations),
// GRID_X.

// stats binds 0-3, apply 0-5, running 0-7 (the unread ones too: a binding's number is its
// place in the launch).
@group(0) @binding(0) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> y4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> st4: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> r4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> run_mean: array<f32>;
@group(0) @binding(7) var<storage, read> run_var: array<f32>;

const WG = 64u;
//!include workgroup_reduce.wgsl

// x4: the input; gamma, beta: [C] (unread without AFFINE); y4: per plane g the vec4
// (mean, 1/sqrt(var+eps)·gamma, beta, 0) at g. One workgroup per plane and one pass over
// it (two passes, as norm.wgsl makes, cost 50 % more on lavapipe, where every load is
// expensive): each invocation keeps Welford's running mean and sum of squared deviations
// (M2) per vec4 component, stable whatever the data, of the values minus the plane's
// first value, so that the means stay small and precise when |mean| ≫ std; the partial
// results are merged exactly (Chan et al.).
@compute @workgroup_size(64)
fn stats(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    let g = wid.x + wid.y * (GRID_X / WG);
    // Surplus workgroups of the last grid row compute plane G-1 again and write nothing:
    // no early return, because the barrier below needs every invocation.
    let gs = min(g, G - 1u);
    let base = gs * HW4;
    let shift = x4[base].x;
    var n = 0.0;
    var mean = vec4<f32>(0.0);
    var m2 = vec4<f32>(0.0);
    for (var i = lid; i < HW4; i = i + WG) {
        n = n + 1.0;
        let v = x4[base + i] - vec4<f32>(shift);
        let d = v - mean;
        mean = mean + d / n;
        m2 = m2 + d * (v - mean);
    }
    // The four components have n values each.
    let m = dot(mean, vec4<f32>(0.25));
    let dm = mean - vec4<f32>(m);
    let moments = workgroup_moments(lane, vec3<f32>(4.0 * n, m, dot(m2, vec4<f32>(1.0)) + n * dot(dm, dm)), INV_COUNT);
    if (lid == 0u && g < G) {
        let mu = moments.x;
        let dev = moments.y;
        var scale = 1.0 / sqrt(dev * INV_COUNT + EPS);
        var b = 0.0;
        if (AFFINE) {
            let ch = gs % C;
            scale = scale * gamma[ch];
            b = beta[ch];
        }
        y4[gs] = vec4<f32>(shift + mu, scale, b, 0.0);
    }
}

// x4: the input; st4: the statistics stats wrote; r4: the residual, of x's shape (unread
// without RESIDUAL); y4: y = (x - mean)·scale + beta, then the activation, then y + r
// with RESIDUAL. Invocation i handles up to VPI vec4 of one plane: chunk i % CHUNKS of
// plane i / CHUNKS, the last chunk of a plane cut at its end, so that VPI does not depend
// on the plane's length (one pipeline for every image size).
@compute @workgroup_size(64)
fn apply(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let g = i / CHUNKS;
    let start = (i - g * CHUNKS) * VPI;
    let first = g * HW4 + start;
    let st = st4[g];
    for (var k = 0u; k < VPI; k = k + 1u) {
        if (start + k >= HW4) { break; }
        let j = first + k;
        var v = (x4[j] - vec4<f32>(st.x)) * st.y + vec4<f32>(st.z);
        if (ACT == 1u) {
            v = max(v, vec4<f32>(0.0));
        } else if (ACT == 2u) {
            v = select(v * SLOPE, v, v >= vec4<f32>(0.0));
        }
        if (RESIDUAL) {
            v = v + r4[j];
        }
        y4[j] = v;
    }
}

// gamma, beta: [C] (unread without AFFINE); run_mean, run_var: batch norm's running
// statistics [C]; y4: per plane g < G the vec4 apply reads, for channel g % C.
@compute @workgroup_size(64)
fn running(@builtin(global_invocation_id) gid: vec3<u32>) {
    let g = flat_id(gid);
    if (g >= N) { return; }
    let c = g % C;
    var scale = 1.0 / sqrt(run_var[c] + EPS);
    var b = 0.0;
    if (AFFINE) {
        scale = scale * gamma[c];
        b = beta[c];
    }
    y4[g] = vec4<f32>(run_mean[c], scale, b, 0.0);
}
