// y += ALPHA * x, in place (gradient accumulation). Constants: N (elements), ALPHA.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    y[i] = fma(ALPHA, x[i], y[i]);
}
