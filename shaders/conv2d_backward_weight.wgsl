// The weight gradient of a convolution, dw[co, ci, ky, kx] = Σ over n, oy, ox of
// g[n, co, oy, ox] · x[n, ci, oy·STRIDE + ky, ox·STRIDE + kx] (x padded), as a matrix
// product of the output gradient and the input's windows. Both come channels last
// (conv2d_backward_pack.wgsl), the input already padded and the channels padded to
// multiples of 4, so every step of the sum is a vec4 load of 4 input channels and one of
// 4 output channels at one pixel, with no bounds to check. Each invocation keeps a
// register tile of 4·IQ input channels × 4·CQ output channels at one tap (ky, kx): at
// IQ = 2, CQ = 4 six loads serve 32 vec4 FMAs (on lavapipe every storage load is a
// bounds-checked loop over the SIMD group, its main cost). Invocations split the rows
// (n, oy) into SPLITS runs of RPS rows when the tiles alone are too few to fill the
// device; sum_weight_grad adds the runs' partial sums.
//
// Constants (u32): N (invocations = GCO·GCI·KH·KW·SPLITS), GCO, GCI (tiles across the
// output and input channels), CQ (1-4), IQ (1-2), COP4, CIP4 (padded channels / 4), KH,
// KW, OH, OW, PH, PW (padded input size), STRIDE, ROWS (BATCH·OH), RPS.
//
// xp [BATCH, PH, PW, CIP], g [BATCH, OH, OW, COP], part [SPLITS, KH·KW, CIP, COP].

@group(0) @binding(0) var<storage, read> xp: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> g: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> part: array<vec4<f32>>;

// a[c] += xv[c]·d: input channel c of a quad times the 4 output channels of d.
fn outer(a: array<vec4<f32>, 4>, xv: vec4<f32>, d: vec4<f32>) -> array<vec4<f32>, 4> {
    return array<vec4<f32>, 4>(fma(vec4<f32>(xv.x), d, a[0]), fma(vec4<f32>(xv.y), d, a[1]),
                               fma(vec4<f32>(xv.z), d, a[2]), fma(vec4<f32>(xv.w), d, a[3]));
}

// Stores the tile part of input quad iq and output quad q.
fn store(base: u32, iq: u32, q: u32, a: array<vec4<f32>, 4>) {
    let i = (base + iq * 4u) * COP4 + q;
    part[i] = a[0];
    part[i + COP4] = a[1];
    part[i + 2u * COP4] = a[2];
    part[i + 3u * COP4] = a[3];
}

@compute @workgroup_size(64)
fn weight_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let gco = i % GCO;
    let gci = (i / GCO) % GCI;
    let tap = (i / (GCO * GCI)) % (KH * KW);
    let z = i / (GCO * GCI * KH * KW);
    let ky = tap / KW;
    let kx = tap % KW;
    // aIQ: input quad I, output quad Q.
    var a00: array<vec4<f32>, 4>;
    var a01: array<vec4<f32>, 4>;
    var a02: array<vec4<f32>, 4>;
    var a03: array<vec4<f32>, 4>;
    var a10: array<vec4<f32>, 4>;
    var a11: array<vec4<f32>, 4>;
    var a12: array<vec4<f32>, 4>;
    var a13: array<vec4<f32>, 4>;
    let r0 = z * RPS;
    let r1 = min(r0 + RPS, ROWS);
    for (var r = r0; r < r1; r++) {
        let n = r / OH;
        let oy = r % OH;
        var gi = r * OW * COP4 + gco * CQ;
        var xi = ((n * PH + oy * STRIDE + ky) * PW + kx) * CIP4 + gci * IQ;
        for (var ox = 0u; ox < OW; ox++) {
            let x0 = xp[xi];
            let d0 = g[gi];
            a00 = outer(a00, x0, d0);
            var d1 = d0;
            var d2 = d0;
            var d3 = d0;
            if (CQ >= 2u) {
                d1 = g[gi + 1u];
                a01 = outer(a01, x0, d1);
            }
            if (CQ >= 3u) {
                d2 = g[gi + 2u];
                a02 = outer(a02, x0, d2);
            }
            if (CQ >= 4u) {
                d3 = g[gi + 3u];
                a03 = outer(a03, x0, d3);
            }
            if (IQ == 2u) {
                let x1 = xp[xi + 1u];
                a10 = outer(a10, x1, d0);
                if (CQ >= 2u) {
                    a11 = outer(a11, x1, d1);
                }
                if (CQ >= 3u) {
                    a12 = outer(a12, x1, d2);
                }
                if (CQ >= 4u) {
                    a13 = outer(a13, x1, d3);
                }
            }
            gi += COP4;
            xi += STRIDE * CIP4;
        }
    }
    let base = (z * KH * KW + tap) * CIP4 * 4u + gci * IQ * 4u;
    let q = gco * CQ;
    store(base, 0u, q, a00);
    if (CQ >= 2u) { store(base, 0u, q + 1u, a01); }
    if (CQ >= 3u) { store(base, 0u, q + 2u, a02); }
    if (CQ >= 4u) { store(base, 0u, q + 3u, a03); }
    if (IQ == 2u) {
        store(base, 1u, q, a10);
        if (CQ >= 2u) { store(base, 1u, q + 1u, a11); }
        if (CQ >= 3u) { store(base, 1u, q + 2u, a12); }
        if (CQ >= 4u) { store(base, 1u, q + 3u, a13); }
    }
}
