// The weight gradient of a convolution, dw[co, ci, ky, kx] = Σ over n, oy, ox of
// g[n, co, oy, ox] · x[n, ci, oy·STRIDE + ky, ox·STRIDE + kx] (x padded): a matrix product
// of the output gradient and the input's windows. Both come channels last
// (conv2d_backward_pack.wgsl), the input already padded and the channels padded to
// multiples of 4, so each load brings 4 channels of one pixel and no bound is checked.
//
// Each invocation keeps a register tile of 4·CQ output channels × 4·IQ input channels ×
// TK taps of one kernel row (kx0 .. kx0+TK-1 at ky) and sums it over the rows (n, oy) of
// its split and every ox. The TK taps read TK neighbouring input pixels at each step, a
// window that moves by STRIDE pixels per step: the window is kept in registers and only
// its NEW = min(STRIDE, TK) new pixels are loaded (KEEP = TK - NEW move over). A step
// thus loads CQ + IQ·NEW vec4 for 16·CQ·IQ·TK FMAs; on lavapipe every storage load is a
// bounds-checked loop over the SIMD group, by far the main cost. Invocations split the
// rows into SPLITS runs of RPS rows when the tiles alone are too few to fill the device;
// each run stores its own sum, and sum_weight_grad (conv2d_backward.wgsl) adds them up in
// the weight's layout. (Its loops unroll fully, which keeps the tile in registers: a loop
// that indexes it at run time would put it in memory, eight times slower.)
//
// Constants (u32): N (invocations = GCO·GCI·GKX·KH·SPLITS), GCO, GCI, GKX (tiles across
// output channels, input channels and kernel columns), CQ, IQ, TK, NEW, KEEP, COP4, CIP4
// (padded channels / 4), KH, KW, OH, OW, PH, PW (padded input size), STRIDE, ROWS
// (BATCH·OH), RPS.
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

// Stores the tile part a of input channels ci .. ci+3 (padded) at tap, output quad q.
fn store(z: u32, tap: u32, ci: u32, q: u32, a: array<vec4<f32>, 4>) {
    let i = ((z * KH * KW + tap) * CIP4 * 4u + ci) * COP4 + q;
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
    let kx0 = (i / (GCO * GCI)) % GKX * TK;
    let ky = (i / (GCO * GCI * GKX)) % KH;
    let z = i / (GCO * GCI * GKX * KH);
    // acc[(t·IQ + a)·CQ + q]: tap t, input quad a, output quad q; win[t·IQ + a]: the input
    // quads at tap t's pixel.
    var acc: array<array<vec4<f32>, 4>, TK * IQ * CQ>;
    var win: array<vec4<f32>, TK * IQ>;
    var d: array<vec4<f32>, CQ>;
    let r0 = z * RPS;
    let r1 = min(r0 + RPS, ROWS);
    for (var r = r0; r < r1; r++) {
        let n = r / OH;
        let oy = r % OH;
        var gi = r * OW * COP4 + gco * CQ;
        var xi = ((n * PH + oy * STRIDE + ky) * PW + kx0) * CIP4 + gci * IQ;
        // The window one step before ox = 0, as far as the first step moves it over.
        for (var t = 0u; t < KEEP; t++) {
            for (var a = 0u; a < IQ; a++) {
                win[(t + NEW) * IQ + a] = xp[xi + t * CIP4 + a];
            }
        }
        for (var ox = 0u; ox < OW; ox++) {
            for (var t = 0u; t < KEEP; t++) {
                for (var a = 0u; a < IQ; a++) {
                    win[t * IQ + a] = win[(t + NEW) * IQ + a];
                }
            }
            for (var t = KEEP; t < TK; t++) {
                for (var a = 0u; a < IQ; a++) {
                    win[t * IQ + a] = xp[xi + t * CIP4 + a];
                }
            }
            for (var q = 0u; q < CQ; q++) {
                d[q] = g[gi + q];
            }
            for (var t = 0u; t < TK; t++) {
                for (var a = 0u; a < IQ; a++) {
                    for (var q = 0u; q < CQ; q++) {
                        let j = (t * IQ + a) * CQ + q;
                        acc[j] = outer(acc[j], win[t * IQ + a], d[q]);
                    }
                }
            }
            gi += COP4;
            xi += STRIDE * CIP4;
        }
    }
    for (var t = 0u; t < TK; t++) {
        for (var a = 0u; a < IQ; a++) {
            for (var q = 0u; q < CQ; q++) {
                store(z, ky * KW + kx0 + t, (gci * IQ + a) * 4u, gco * CQ + q, acc[(t * IQ + a) * CQ + q]);
            }
        }
    }
}
