// The weight gradient of a convolution as one matrix product per tap, the GPU kernel
// family's (gpu/family.go) kernel for it; conv2d_backward_weight.wgsl is the CPU family's.
// For tap (ky, kx), dW[ci, co] = Σ over output pixels p = (n, oy, ox) of
// xp[n, oy·STRIDE + ky, ox·STRIDE + kx, ci] · g[p, co]: a product [CI × P]·[P × CO] with
// P = BATCH·OH·OW. Both operands come channels last (conv2d_backward_pack.wgsl), the input
// already padded (zeros or reflect) and the channels padded with zeros to multiples of 4,
// so each load brings 4 channels of one pixel.
//
// A workgroup of 256 invocations computes 64 input × 64 output channels of one tap; each
// invocation a 4 × 4 register tile of them. The pixels stream through workgroup memory 16
// at a time: every invocation loads one vec4 of each operand (16 neighbouring invocations
// read 64 neighbouring channels of one pixel), then reads the tiles as vec4 for 16 vec4
// FMAs per pixel step. The sum over P is split across workgroups (split-K): the grid's z
// counts TAPS × splits, split z sums pixels [z·PPS, min((z+1)·PPS, PIXELS)) into its own
// part, and sum_weight_grad (conv2d_backward.wgsl) adds the parts in dw's layout.
//
// Constants, all runtime (one pipeline serves every size, channel count, kernel size and
// stride), u32: OH, OW (the gradient's size), PH, PW (the padded input's), STRIDE, KW,
// TAPS (KH·KW), CIP4, COP4 (padded channels / 4), PIXELS (P), PPS, and GRID_X (unused;
// common.wgsl's). The grid's x counts input channel tiles, y output channel tiles.
//
// xp [BATCH, PH, PW, CIP], g [BATCH, OH, OW, COP], part [splits, TAPS, CIP, COP].

@group(0) @binding(0) var<storage, read> xp: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> g: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> part: array<vec4<f32>>;

const TILE_Q = 16u; // channel quads per tile (64 channels) in each dimension
const TILE_K = 16u; // pixels per step through workgroup memory

// One step's tiles: tile_x[k * 16 + q] holds input channels 4q..4q+3 of the tile at pixel
// k of the step, tile_g[k * 16 + q] output channels 4q..4q+3.
var<workgroup> tile_x: array<vec4<f32>, 256>;
var<workgroup> tile_g: array<vec4<f32>, 256>;

@compute @workgroup_size(256)
fn weight_grad_igemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let tap = wid.z % TAPS;
    let z = wid.z / TAPS;
    let ky = tap / KW;
    let kx = tap % KW;
    let p0 = z * PPS;
    let p1 = min(p0 + PPS, PIXELS);
    // This invocation loads pixel lk of each step, channel quad lq of the tile: input quad
    // xq, output quad gq (zero past the padded channels).
    let lk = t / TILE_Q;
    let lq = t % TILE_Q;
    let xq = wid.x * TILE_Q + lq;
    let gq = wid.y * TILE_Q + lq;
    // It computes input channels 4·tci + i and output channels 4·tco .. 4·tco + 3 of the
    // tile: acc_i.
    let tci = t / TILE_Q;
    let tco = t % TILE_Q;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);

    for (var k0 = p0; k0 < p1; k0 += TILE_K) {
        var xv = vec4<f32>(0.0);
        var gv = vec4<f32>(0.0);
        let p = k0 + lk;
        if (p < p1) {
            let row = p / OW; // n·OH + oy
            let ox = p - row * OW;
            let n = row / OH;
            let oy = row - n * OH;
            if (xq < CIP4) {
                xv = xp[((n * PH + oy * STRIDE + ky) * PW + ox * STRIDE + kx) * CIP4 + xq];
            }
            if (gq < COP4) {
                gv = g[p * COP4 + gq];
            }
        }
        tile_x[lk * TILE_Q + lq] = xv;
        tile_g[lk * TILE_Q + lq] = gv;
        workgroupBarrier();

        // Each step sums apart before joining the total: shorter float32 sums.
        var s0 = vec4<f32>(0.0);
        var s1 = vec4<f32>(0.0);
        var s2 = vec4<f32>(0.0);
        var s3 = vec4<f32>(0.0);
        for (var kk = 0u; kk < TILE_K; kk++) {
            let a = tile_x[kk * TILE_Q + tci];
            let b = tile_g[kk * TILE_Q + tco];
            s0 = fma(vec4<f32>(a.x), b, s0);
            s1 = fma(vec4<f32>(a.y), b, s1);
            s2 = fma(vec4<f32>(a.z), b, s2);
            s3 = fma(vec4<f32>(a.w), b, s3);
        }
        acc0 += s0;
        acc1 += s1;
        acc2 += s2;
        acc3 += s3;
        workgroupBarrier();
    }

    let cq = wid.y * TILE_Q + tco;
    let ciq = wid.x * TILE_Q + tci;
    if (cq >= COP4 || ciq >= CIP4) { return; }
    // part[z, tap, 4·ciq + i, 4·cq .. 4·cq + 3]
    let at = ((z * TAPS + tap) * CIP4 + ciq) * 4u * COP4 + cq;
    part[at] = acc0;
    part[at + COP4] = acc1;
    part[at + 2u * COP4] = acc2;
    part[at + 3u * COP4] = acc3;
}
