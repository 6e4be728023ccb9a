// In-place updates of one tensor. Constants: N (elements), ALPHA, BETA.

@group(0) @binding(0) var<storage, read_write> y: array<f32>;

// y = ALPHA
@compute @workgroup_size(64)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = ALPHA;
}

// y = min(max(y, ALPHA), BETA). Not clamp(): Tint evaluates clamp of constants in every
// entry point of the module, and Fill's constants (ALPHA = v, BETA = 0) need not be ordered.
@compute @workgroup_size(64)
fn clamp_(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = min(max(y[i], ALPHA), BETA);
}
