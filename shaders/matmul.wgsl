// Batched matrix product y[z] = ALPHA · A[z] B[z] (+ bias), A[z] M×K, B[z] K×N, y[z] M×N,
// all row-major. Constants: M, N, K, A_STRIDE and B_STRIDE (elements between the matrices
// of consecutive batch entries; 0 broadcasts one matrix), TRANS_A (a holds Aᵀ, K×M),
// TRANS_B (b holds Bᵀ, N×K), ALPHA, GRID_X. One invocation per output element: invocation
// (x, y, z) computes y[z] at row y, column x.
//
// No workgroup tiles: on lavapipe a kernel with workgroup barriers takes seconds to
// compile, and every shape is its own pipeline. matmul_tiled computes a register tile per
// invocation instead.

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> b4: array<vec4<f32>>; // b again, for matmul_tiled

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

// Without TRANS_A, TRANS_B and bias, for N and B_STRIDE multiples of 4. Invocation (x, y, z)
// computes rows 4y..4y+3 and columns 8x..8x+7 of y[z]: at each k, four scalar loads of A
// and two vec4 loads of B serve 32 FMAs (matmul: two loads per FMA; on lavapipe every
// storage load is a loop over the SIMD group). Binds a, b (unread), y, bias (unread), b4.
@compute @workgroup_size(8, 8)
fn matmul_tiled(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r0 = gid.y * 4u;
    let c0 = gid.x * 8u;
    if (r0 >= M || c0 >= N) { return; }
    let z = gid.z;
    // Rows and the second vec4 past the edge read the last ones again and are not stored.
    let ra = vec4<u32>(z * A_STRIDE + r0 * K, z * A_STRIDE + min(r0 + 1u, M - 1u) * K,
                       z * A_STRIDE + min(r0 + 2u, M - 1u) * K, z * A_STRIDE + min(r0 + 3u, M - 1u) * K);
    let cb = (z * B_STRIDE + c0) / 4u;
    let c1 = select(0u, 1u, c0 + 4u < N);
    // Row i, columns c0..c0+3 in li, c0+4..c0+7 in hi.
    var l0 = vec4<f32>(0.0);
    var h0 = vec4<f32>(0.0);
    var l1 = vec4<f32>(0.0);
    var h1 = vec4<f32>(0.0);
    var l2 = vec4<f32>(0.0);
    var h2 = vec4<f32>(0.0);
    var l3 = vec4<f32>(0.0);
    var h3 = vec4<f32>(0.0);
    for (var k = 0u; k < K; k = k + 1u) {
        let bk = cb + k * (N / 4u);
        let b0 = b4[bk];
        let b1 = b4[bk + c1];
        let a0 = vec4<f32>(a[ra.x + k]);
        let a1 = vec4<f32>(a[ra.y + k]);
        let a2 = vec4<f32>(a[ra.z + k]);
        let a3 = vec4<f32>(a[ra.w + k]);
        l0 = fma(a0, b0, l0);
        h0 = fma(a0, b1, h0);
        l1 = fma(a1, b0, l1);
        h1 = fma(a1, b1, h1);
        l2 = fma(a2, b0, l2);
        h2 = fma(a2, b1, h2);
        l3 = fma(a3, b0, l3);
        h3 = fma(a3, b1, h3);
    }
    store_tile_row(z, r0, c0, c1, l0, h0);
    store_tile_row(z, r0 + 1u, c0, c1, l1, h1);
    store_tile_row(z, r0 + 2u, c0, c1, l2, h2);
    store_tile_row(z, r0 + 3u, c0, c1, l3, h3);
}

// Stores columns c0..c0+3 (lo) and, when c1 is 1, c0+4..c0+7 (hi) of one row of
// matmul_tiled's tile, times ALPHA; rows past M are skipped.
fn store_tile_row(z: u32, row: u32, c0: u32, c1: u32, lo: vec4<f32>, hi: vec4<f32>) {
    if (row >= M) { return; }
    let i = (z * M + row) * N + c0;
    let l = lo * ALPHA;
    y[i] = l.x;
    y[i + 1u] = l.y;
    y[i + 2u] = l.z;
    y[i + 3u] = l.w;
    if (c1 == 1u) {
        let h = hi * ALPHA;
        y[i + 4u] = h.x;
        y[i + 5u] = h.y;
        y[i + 6u] = h.z;
        y[i + 7u] = h.w;
    }
}
