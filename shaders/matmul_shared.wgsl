// Batched matrix product y[z] = ALPHA · A[z] B[z] (+ bias) through workgroup memory, the
// GPU kernel family's (gpu/family.go) matrix product; matmul.wgsl is the CPU family's.
// Operands as in matmul.wgsl: A[z] M×K, B[z] K×N, y[z] M×N, row-major; TRANS_A (a holds
// Aᵀ, K×M), TRANS_B (b holds Bᵀ, N×K), A_STRIDE and B_STRIDE (elements between the
// matrices of consecutive batch entries; 0 broadcasts one matrix), bias [N] when HAS_BIAS.
//
// A workgroup of 256 invocations computes 64 rows × 64 columns of y[z] (z the grid's z),
// each invocation a 4 × 4 register tile. K streams through workgroup memory 16 at a time;
// the invocations load a tile along whichever dimension is contiguous in memory, then read
// it as vec4 (4 rows, 4 columns).
//
// Constants: TRANS_A, TRANS_B, HAS_BIAS (bool); runtime M, N, K, A_STRIDE, B_STRIDE (u32),
// ALPHA (f32) and GRID_X (unused; common.wgsl's).

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;

const TILE = 64u;   // rows and columns per workgroup
const TILE_K = 16u; // K per step through workgroup memory

// One step's tiles: tile_a[k * 16 + q] holds rows 4q..4q+3 at k, tile_b[k * 16 + q]
// columns 4q..4q+3 at k.
var<workgroup> tile_a: array<vec4<f32>, 256>;
var<workgroup> tile_b: array<vec4<f32>, 256>;

// Element (row, k) of A[z] (0 outside), at offset base of a.
fn a_at(base: u32, row: u32, k: u32) -> f32 {
    if (row >= M || k >= K) { return 0.0; }
    if (TRANS_A) {
        return a[base + k * M + row];
    }
    return a[base + row * K + k];
}

// Element (k, col) of B[z] (0 outside), at offset base of b.
fn b_at(base: u32, k: u32, col: u32) -> f32 {
    if (k >= K || col >= N) { return 0.0; }
    if (TRANS_B) {
        return b[base + col * K + k];
    }
    return b[base + k * N + col];
}

@compute @workgroup_size(256)
fn matmul_shared(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let z = wid.z;
    let r0 = wid.y * TILE;
    let c0 = wid.x * TILE;
    let abase = z * A_STRIDE;
    let bbase = z * B_STRIDE;
    // Loads: 16 neighbouring invocations take 16 neighbouring elements of memory: along K
    // where it is contiguous (A, or Bᵀ), along rows or columns otherwise.
    let a_k = select(t / 16u, t % 16u, !TRANS_A);
    let a_q = select(t % 16u, t / 16u, !TRANS_A);
    let b_k = select(t / 16u, t % 16u, TRANS_B);
    let b_q = select(t % 16u, t / 16u, TRANS_B);
    // This invocation computes rows r0 + 4·tm + i, columns c0 + 4·tn + j: acc[i][j].
    let tm = t / 16u;
    let tn = t % 16u;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);

    for (var k0 = 0u; k0 < K; k0 += TILE_K) {
        let ka = k0 + a_k;
        let ra = r0 + 4u * a_q;
        tile_a[a_k * 16u + a_q] = vec4<f32>(a_at(abase, ra, ka), a_at(abase, ra + 1u, ka),
                                            a_at(abase, ra + 2u, ka), a_at(abase, ra + 3u, ka));
        let kb = k0 + b_k;
        let cb = c0 + 4u * b_q;
        tile_b[b_k * 16u + b_q] = vec4<f32>(b_at(bbase, kb, cb), b_at(bbase, kb, cb + 1u),
                                            b_at(bbase, kb, cb + 2u), b_at(bbase, kb, cb + 3u));
        workgroupBarrier();

        // Each step sums apart before joining the total: shorter float32 sums.
        var p0 = vec4<f32>(0.0);
        var p1 = vec4<f32>(0.0);
        var p2 = vec4<f32>(0.0);
        var p3 = vec4<f32>(0.0);
        for (var kk = 0u; kk < TILE_K; kk++) {
            let av = tile_a[kk * 16u + tm];
            let bv = tile_b[kk * 16u + tn];
            p0 = fma(vec4<f32>(av.x), bv, p0);
            p1 = fma(vec4<f32>(av.y), bv, p1);
            p2 = fma(vec4<f32>(av.z), bv, p2);
            p3 = fma(vec4<f32>(av.w), bv, p3);
        }
        acc0 += p0;
        acc1 += p1;
        acc2 += p2;
        acc3 += p3;
        workgroupBarrier();
    }

    let c = c0 + 4u * tn;
    store_row(z, r0 + 4u * tm, c, acc0);
    store_row(z, r0 + 4u * tm + 1u, c, acc1);
    store_row(z, r0 + 4u * tm + 2u, c, acc2);
    store_row(z, r0 + 4u * tm + 3u, c, acc3);
}

// Stores columns c..c+3 of one row of y[z], times ALPHA, plus the bias; rows past M and
// columns past N are not stored.
fn store_row(z: u32, row: u32, c: u32, v: vec4<f32>) {
    if (row >= M) { return; }
    for (var j = 0u; j < 4u; j++) {
        let col = c + j;
        if (col < N) {
            var s = v[j] * ALPHA;
            if (HAS_BIAS) {
                s += bias[col];
            }
            y[(z * M + row) * N + col] = s;
        }
    }
}
