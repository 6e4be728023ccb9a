// Reductions of whole tensors to one value, in two stages: P workgroups each reduce a
// strided share of the N inputs to the partial y[w], then one workgroup (P = 1) sums the
// partials. Constants: N (inputs of this stage: elements, or rows for cross entropy),
// P (workgroups), ALPHA (factor on every result), GRID_X, and COLS and ROWS (the row length
// and rows per plane of partial_cross_entropy and partial_tv; 1 for the others).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x2: array<f32>;

const WG = 64u;
//!include workgroup_reduce.wgsl

// y[w] = ALPHA · Σ x over workgroup w's share.
@compute @workgroup_size(64)
fn partial_sum(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    var s = 0.0;
    for (var i = wid.x * WG + lid; i < N; i = i + P * WG) {
        s = s + x[i];
    }
    let total = workgroup_sum(lane, s);
    if (lid == 0u) {
        y[wid.x] = total * ALPHA;
    }
}

// y[w] = ALPHA · Σ (x-x2)² over workgroup w's share.
@compute @workgroup_size(64)
fn partial_sq_diff(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    var s = 0.0;
    for (var i = wid.x * WG + lid; i < N; i = i + P * WG) {
        let d = x[i] - x2[i];
        s = fma(d, d, s);
    }
    let total = workgroup_sum(lane, s);
    if (lid == 0u) {
        y[wid.x] = total * ALPHA;
    }
}

// log(v) limited to ≥ -100, as PyTorch's binary_cross_entropy; v ≤ 0 gives -100 without
// calling log(0), which Vulkan leaves undefined.
fn clamped_log(v: f32) -> f32 {
    if (v <= 0.0) { return -100.0; }
    return max(log(v), -100.0);
}

// log(1+v) limited likewise, accurate for small |v| (WGSL has no log1p): the rounding of
// u = 1+v is undone by the factor v/(u-1).
fn clamped_log1p(v: f32) -> f32 {
    let u = 1.0 + v;
    if (u <= 0.0) { return -100.0; }
    if (u == 1.0) { return v; }
    return max(log(u) * (v / (u - 1.0)), -100.0);
}

// y[w] = ALPHA · Σ -(t·log p + (1-t)·log(1-p)) over workgroup w's share, each log clamped
// to ≥ -100 (nn.BCELoss); x holds p, x2 the targets t.
@compute @workgroup_size(64)
fn partial_bce(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    var s = 0.0;
    for (var i = wid.x * WG + lid; i < N; i = i + P * WG) {
        let p = x[i];
        let t = x2[i];
        s = s + ((t - 1.0) * clamped_log1p(-p) - t * clamped_log(p));
    }
    let total = workgroup_sum(lane, s);
    if (lid == 0u) {
        y[wid.x] = total * ALPHA;
    }
}

// y[w] = ALPHA · Σ max(z,0) - z·t + log(1+exp(-|z|)) over workgroup w's share
// (nn.BCEWithLogitsLoss, stable for any z); x holds the logits z, x2 the targets t.
@compute @workgroup_size(64)
fn partial_bce_logits(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    var s = 0.0;
    for (var i = wid.x * WG + lid; i < N; i = i + P * WG) {
        let z = x[i];
        s = s + (fma(-z, x2[i], max(z, 0.0)) + clamped_log1p(exp(-abs(z))));
    }
    let total = workgroup_sum(lane, s);
    if (lid == 0u) {
        y[wid.x] = total * ALPHA;
    }
}

// The class index a label holds, truncated and clamped to [0, COLS): a label out of range
// (or NaN) picks some class but never reads outside its row.
fn class_index(v: f32) -> u32 {
    return min(u32(clamp(v, 0.0, f32(COLS - 1u))), COLS - 1u);
}

// y[w] = ALPHA · Σ logsumexp(row) - row[label] over workgroup w's share of the N rows of
// COLS logits in x (nn.CrossEntropyLoss); x2 holds one label per row.
@compute @workgroup_size(64)
fn partial_cross_entropy(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    var s = 0.0;
    for (var r = wid.x * WG + lid; r < N; r = r + P * WG) {
        let base = r * COLS;
        var m = x[base];
        var k = 0u;
        for (var c = 1u; c < COLS; c = c + 1u) {
            if (x[base + c] > m) {
                m = x[base + c];
                k = c;
            }
        }
        // logsumexp = m + log(1 + e), e summing all but the maximum: accurate when one
        // logit dominates and the loss is small.
        var e = 0.0;
        for (var c = 0u; c < COLS; c = c + 1u) {
            if (c != k) {
                e = e + exp(x[base + c] - m);
            }
        }
        s = s + ((m - x[base + class_index(x2[r])]) + clamped_log1p(e));
    }
    let total = workgroup_sum(lane, s);
    if (lid == 0u) {
        y[wid.x] = total * ALPHA;
    }
}

// y[w] = ALPHA · Σ of the squared differences of each element with its right and lower
// neighbours in planes of ROWS × COLS, over workgroup w's share (the β=2 total variation).
@compute @workgroup_size(64)
fn partial_tv(@builtin(workgroup_id) wid: vec3<u32>, lane: Lane) {
    let lid = lane.index;
    var s = 0.0;
    for (var i = wid.x * WG + lid; i < N; i = i + P * WG) {
        let v = x[i];
        if (i % COLS + 1u < COLS) {
            let d = x[i + 1u] - v;
            s = fma(d, d, s);
        }
        if ((i / COLS) % ROWS + 1u < ROWS) {
            let d = x[i + COLS] - v;
            s = fma(d, d, s);
        }
    }
    let total = workgroup_sum(lane, s);
    if (lid == 0u) {
        y[wid.x] = total * ALPHA;
    }
}
