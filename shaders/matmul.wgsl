// Batched matrix product y[z] = ALPHA · A[z] B[z] (+ bias), A[z] M×K, B[z] K×N, y[z] M×N,
// all row-major. Constants: M, N, K, A_STRIDE and B_STRIDE (elements between the matrices
// of consecutive batch entries; 0 broadcasts one matrix), TRANS_A (a holds Aᵀ, K×M),
// TRANS_B (b holds Bᵀ, N×K), ALPHA, GRID_X. One invocation per output element: invocation
// (x, y, z) computes y[z] at row y, column x.
//
// No workgroup tiles: on lavapipe a kernel with workgroup barriers takes seconds to
// compile, and every shape is its own pipeline. Speed is for a later version.

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;

// ALPHA times the dot product of row `row` of A[z] and column `col` of B[z].
fn dot_product(z: u32, row: u32, col: u32) -> f32 {
    var acc = 0.0;
    for (var k = 0u; k < K; k = k + 1u) {
        var av: f32;
        if (TRANS_A) {
            av = a[z * A_STRIDE + k * M + row];
        } else {
            av = a[z * A_STRIDE + row * K + k];
        }
        var bv: f32;
        if (TRANS_B) {
            bv = b[z * B_STRIDE + col * K + k];
        } else {
            bv = b[z * B_STRIDE + k * N + col];
        }
        acc = fma(av, bv, acc);
    }
    return acc * ALPHA;
}

@compute @workgroup_size(8, 8)
fn matmul(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.y >= M || gid.x >= N) { return; }
    y[(gid.z * M + gid.y) * N + gid.x] = dot_product(gid.z, gid.y, gid.x);
}

@compute @workgroup_size(8, 8)
fn matmul_bias(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.y >= M || gid.x >= N) { return; }
    y[(gid.z * M + gid.y) * N + gid.x] = dot_product(gid.z, gid.y, gid.x) + bias[gid.x];
}
