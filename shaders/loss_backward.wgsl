// Backward of the losses: y = dL/dx for a scalar loss L with upstream gradient g[0].
// Constants: N (elements of x), ALPHA (the loss's normalisation), COLS and ROWS (the row
// length and rows per plane of cross_entropy_backward and tv_backward; 1 for the others).
// Bindings each entry uses: x, y, g, then t (targets or labels), then s (row statistics).

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read> t: array<f32>;
@group(0) @binding(4) var<storage, read> s: array<f32>;

// nn.BCELoss: y = g · (p - t) / max((1-p)·p, 1e-12) · ALPHA, as PyTorch's
// binary_cross_entropy_backward; x holds p.
@compute @workgroup_size(64)
fn bce_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let p = x[i];
    y[i] = g[0] * (p - t[i]) / max((1.0 - p) * p, 1e-12) * ALPHA;
}

// nn.BCEWithLogitsLoss: y = g · (sigmoid(z) - t) · ALPHA; x holds z.
@compute @workgroup_size(64)
fn bce_logits_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let z = x[i];
    let e = exp(-abs(z)); // never overflows
    let sig = select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
    y[i] = g[0] * (sig - t[i]) * ALPHA;
}

// MSE: y = g · (x - t) · ALPHA with ALPHA = 2/n.
@compute @workgroup_size(64)
fn mse_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = g[0] * (x[i] - t[i]) * ALPHA;
}

// y[r] = logsumexp of row r of COLS logits, for N rows (cross_entropy_backward's s).
@compute @workgroup_size(64)
fn row_logsumexp(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = flat_id(gid);
    if (r >= N) { return; }
    let base = r * COLS;
    var m = x[base];
    var k = 0u;
    for (var c = 1u; c < COLS; c = c + 1u) {
        if (x[base + c] > m) {
            m = x[base + c];
            k = c;
        }
    }
    // m + log(1 + e), e summing all but the maximum, as in reduce.wgsl.
    var e = 0.0;
    for (var c = 0u; c < COLS; c = c + 1u) {
        if (c != k) {
            e = e + exp(x[base + c] - m);
        }
    }
    y[r] = m + log1p_(e);
}

// log(1+v) for v ≥ 0, accurate for small v (WGSL has no log1p).
fn log1p_(v: f32) -> f32 {
    let u = 1.0 + v;
    if (u == 1.0) { return v; }
    return log(u) * (v / (u - 1.0));
}

// The class index a label holds, truncated and clamped to [0, COLS) (as in reduce.wgsl).
fn class_index(v: f32) -> u32 {
    return min(u32(clamp(v, 0.0, f32(COLS - 1u))), COLS - 1u);
}

// nn.CrossEntropyLoss: y = g · (softmax(row) - onehot(label)) · ALPHA for logits x of rows
// of COLS, labels t and row logsumexps s.
@compute @workgroup_size(64)
fn cross_entropy_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let r = i / COLS;
    let hot = select(0.0, 1.0, i % COLS == class_index(t[r]));
    y[i] = g[0] * (exp(x[i] - s[r]) - hot) * ALPHA;
}

// Total variation on planes of ROWS × COLS: every difference d with a right or lower
// neighbour adds 2d·g/N to the neighbour and subtracts it here; ALPHA = 2/N.
@compute @workgroup_size(64)
fn tv_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let v = x[i];
    let j = i % COLS;
    let row = (i / COLS) % ROWS;
    var d = 0.0;
    if (j > 0u) { d = d + (v - x[i - 1u]); }
    if (j + 1u < COLS) { d = d - (x[i + 1u] - v); }
    if (row > 0u) { d = d + (v - x[i - COLS]); }
    if (row + 1u < ROWS) { d = d - (x[i + COLS] - v); }
    y[i] = g[0] * d * ALPHA;
}
