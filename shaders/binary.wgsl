// Elementwise functions of two tensors of one shape. Constants: N (elements), ALPHA, BETA.

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// y = ALPHA * a + BETA * b
@compute @workgroup_size(64)
fn add(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = ALPHA * a[i] + BETA * b[i];
}

@compute @workgroup_size(64)
fn mul(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = a[i] * b[i];
}

// y = a * b[0]: b is a one-element tensor, read at run time.
@compute @workgroup_size(64)
fn mul_scalar(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = a[i] * b[0];
}
