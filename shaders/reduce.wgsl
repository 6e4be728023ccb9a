// Reductions of whole tensors to one value, in two stages: P workgroups each reduce a
// strided share of the N inputs to the partial y[w], then one workgroup (P = 1) sums the
// partials. Constants: N (inputs of this stage), P (workgroups), ALPHA (factor on every
// result), GRID_X.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x2: array<f32>;

const WG = 64u;
var<workgroup> partial: array<f32, 64>;

// Sum of v over the workgroup, the same in every invocation. Call from uniform control
// flow only. One barrier, then every invocation adds up the 64 partials itself: lavapipe
// compiles each barrier slowly, and a tree of them would double the compile time.
fn workgroup_sum(lid: u32, v: f32) -> f32 {
    partial[lid] = v;
    workgroupBarrier();
    var total = 0.0;
    for (var k = 0u; k < WG; k = k + 1u) {
        total = total + partial[k];
    }
    return total;
}

// y[w] = ALPHA · Σ x over workgroup w's share.
@compute @workgroup_size(64)
fn partial_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    for (var i = wid.x * WG + lid; i < N; i = i + P * WG) {
        s = s + x[i];
    }
    let total = workgroup_sum(lid, s);
    if (lid == 0u) {
        y[wid.x] = total * ALPHA;
    }
}

// y[w] = ALPHA · Σ (x-x2)² over workgroup w's share.
@compute @workgroup_size(64)
fn partial_sq_diff(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    var s = 0.0;
    for (var i = wid.x * WG + lid; i < N; i = i + P * WG) {
        let d = x[i] - x2[i];
        s = fma(d, d, s);
    }
    let total = workgroup_sum(lid, s);
    if (lid == 0u) {
        y[wid.x] = total * ALPHA;
    }
}
