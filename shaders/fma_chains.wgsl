// The FP32 peak: long chains of fused multiply-adds with no memory traffic, for
// `easel bench peak`. Each invocation runs 8 independent vec4 chains x ← fma(x, M, C) for
// ITERS steps (32 independent scalar chains: enough to hide the FMA latency), starting
// from 1.5 + ((i mod 32)·32 + 4j + k) / 1024 for chain j, component k of invocation i
// (exact in f32). Each workgroup then writes the sum of its invocations' final values,
// so that no chain can be optimised away and a test can check every step on the CPU.
// Constants: GROUPS (workgroups), GX (workgroups per grid row), ITERS, M, C.

@group(0) @binding(0) var<storage, read_write> y: array<f32>;

var<workgroup> part: array<f32, 256>;

@compute @workgroup_size(256)
fn fma_chains(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let g = wid.x + wid.y * GX;
    let i = g * 256u + lid;
    let s = vec4<f32>(f32((i % 32u) * 32u)) + vec4<f32>(0.0, 1.0, 2.0, 3.0);
    let m = vec4<f32>(M);
    let c = vec4<f32>(C);
    var a0 = (s + 0.0) * 0.0009765625 + 1.5;
    var a1 = (s + 4.0) * 0.0009765625 + 1.5;
    var a2 = (s + 8.0) * 0.0009765625 + 1.5;
    var a3 = (s + 12.0) * 0.0009765625 + 1.5;
    var a4 = (s + 16.0) * 0.0009765625 + 1.5;
    var a5 = (s + 20.0) * 0.0009765625 + 1.5;
    var a6 = (s + 24.0) * 0.0009765625 + 1.5;
    var a7 = (s + 28.0) * 0.0009765625 + 1.5;
    // Four steps per trip through the loop, so that the loop's own work is small next to
    // the FMAs on compilers that do not unroll it (lavapipe); then the remainder.
    for (var t = 0u; t < ITERS / 4u; t++) {
        a0 = fma(a0, m, c);
        a1 = fma(a1, m, c);
        a2 = fma(a2, m, c);
        a3 = fma(a3, m, c);
        a4 = fma(a4, m, c);
        a5 = fma(a5, m, c);
        a6 = fma(a6, m, c);
        a7 = fma(a7, m, c);
        a0 = fma(a0, m, c);
        a1 = fma(a1, m, c);
        a2 = fma(a2, m, c);
        a3 = fma(a3, m, c);
        a4 = fma(a4, m, c);
        a5 = fma(a5, m, c);
        a6 = fma(a6, m, c);
        a7 = fma(a7, m, c);
        a0 = fma(a0, m, c);
        a1 = fma(a1, m, c);
        a2 = fma(a2, m, c);
        a3 = fma(a3, m, c);
        a4 = fma(a4, m, c);
        a5 = fma(a5, m, c);
        a6 = fma(a6, m, c);
        a7 = fma(a7, m, c);
        a0 = fma(a0, m, c);
        a1 = fma(a1, m, c);
        a2 = fma(a2, m, c);
        a3 = fma(a3, m, c);
        a4 = fma(a4, m, c);
        a5 = fma(a5, m, c);
        a6 = fma(a6, m, c);
        a7 = fma(a7, m, c);
    }
    for (var t = 0u; t < ITERS % 4u; t++) {
        a0 = fma(a0, m, c);
        a1 = fma(a1, m, c);
        a2 = fma(a2, m, c);
        a3 = fma(a3, m, c);
        a4 = fma(a4, m, c);
        a5 = fma(a5, m, c);
        a6 = fma(a6, m, c);
        a7 = fma(a7, m, c);
    }
    let total = (a0 + a1) + (a2 + a3) + ((a4 + a5) + (a6 + a7));
    part[lid] = (total.x + total.y) + (total.z + total.w);
    workgroupBarrier();
    for (var h = 128u; h > 0u; h = h >> 1u) {
        if (lid < h) {
            part[lid] = part[lid] + part[lid + h];
        }
        workgroupBarrier();
    }
    // A grid of more groups than GROUPS (no exact 2D split) computes but does not write.
    if (lid == 0u && g < GROUPS) {
        y[g] = part[0];
    }
}
