// Elementwise functions of one tensor: y = f(x). Constants: N (elements), ALPHA, BETA.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn relu(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = max(x[i], 0.0);
}

// ALPHA is the negative slope.
@compute @workgroup_size(64)
fn leaky_relu(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let v = x[i];
    y[i] = select(v * ALPHA, v, v >= 0.0);
}

// ALPHA ≤ BETA are the bounds: PyTorch's Hardtanh, ReLU6 for [0, 6].
@compute @workgroup_size(64)
fn hardtanh(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = min(max(x[i], ALPHA), BETA);
}

@compute @workgroup_size(64)
fn tanh_(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    // Clamped: some drivers build tanh from exp and return NaN once exp overflows;
    // tanh(±15) already rounds to ±1 in f32.
    y[i] = tanh(clamp(x[i], -15.0, 15.0));
}

@compute @workgroup_size(64)
fn sigmoid(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    // Written so that exp never overflows: exp of a non-positive number.
    let v = x[i];
    let e = exp(-abs(v));
    y[i] = select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

// y = x * ALPHA + BETA
@compute @workgroup_size(64)
fn affine(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = fma(x[i], ALPHA, BETA);
}

// y = x[0] * ALPHA for every element: x is a one-element tensor (the backward of Sum and
// Mean spreads the scalar's gradient over the input's shape).
@compute @workgroup_size(64)
fn broadcast(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = x[0] * ALPHA;
}
