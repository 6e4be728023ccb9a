// Helpers of the matrix products' backward (the products themselves are matmul.wgsl).
// Constants: N (output elements), BATCH, C, GRID_X; each launch defines all, unused ones 1.

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

// y[i] = Σ_z x[z·N + i] for z < BATCH: the gradient of an operand broadcast over a batch,
// or a bias's gradient (the column sums of dy [rows, out]).
@compute @workgroup_size(64)
fn sum_batch(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    var s = 0.0;
    for (var z = 0u; z < BATCH; z = z + 1u) {
        s += x[z * N + i];
    }
    y[i] = s;
}

// y = x + xᵀ for each C×C matrix of x: Gram's backward without assuming dy symmetric.
@compute @workgroup_size(64)
fn add_transpose(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let z = i / (C * C);
    let r = (i / C) % C;
    let c = i % C;
    y[i] = x[i] + x[z * C * C + c * C + r];
}
