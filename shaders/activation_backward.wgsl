// Backward of the elementwise activations: dx = dy · f'(x), with PyTorch's conventions.
// Constants: N (elements), ALPHA, BETA. Tanh and Sigmoid take their forward output y in x.

@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

// Gradient 0 at x = 0, as PyTorch's threshold_backward.
@compute @workgroup_size(64)
fn relu_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    dx[i] = select(0.0, dy[i], x[i] > 0.0);
}

// ALPHA is the negative slope; x = 0 takes it, as PyTorch's leaky_relu_backward.
@compute @workgroup_size(64)
fn leaky_relu_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let g = dy[i];
    dx[i] = select(g * ALPHA, g, x[i] > 0.0);
}

// ALPHA and BETA are the bounds: dy strictly inside them, 0 at and beyond them, as
// PyTorch's hardtanh_backward.
@compute @workgroup_size(64)
fn hardtanh_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let v = x[i];
    dx[i] = select(0.0, dy[i], v > ALPHA && v < BETA);
}

// x holds y = tanh(input): dx = dy · (1 - y²), as (1-y)(1+y): exact 1-y near saturation,
// where 1 - y·y would cancel (a driver may split an fma into a rounded product and a sum).
@compute @workgroup_size(64)
fn tanh_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let y = x[i];
    dx[i] = dy[i] * ((1.0 - y) * (1.0 + y));
}

// x holds y = sigmoid(input): dx = dy · (1 - y) · y.
@compute @workgroup_size(64)
fn sigmoid_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let y = x[i];
    dx[i] = dy[i] * (1.0 - y) * y;
}
