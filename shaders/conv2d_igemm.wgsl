// Convolution as an implicit matrix product, the GPU kernel family's (gpu/family.go) one
// kernel for Conv2D, UpsampleConv2D and ConvTranspose2D at any kernel size, stride and
// padding. The product is Y[m, co] = Σ_k X[m, k] · W[k, co] over output pixels
// m = (n, oy, ox) of the whole batch, output channels co and taps k = (ci, ky, kx): X is
// never built, each workgroup gathers the tile of it it needs straight from x.
//
// A workgroup of 256 invocations computes 64 output pixels × 64 output channels; each
// invocation a 4 × 4 register tile of them. The K dimension streams through workgroup
// memory 16 taps at a time: every invocation loads 4 input values and 4 weights of a tile,
// then reads the tile as vec4 (4 pixels, 4 channels) for 16 vec4 FMAs per tap. Weights are
// read from the caller's tensor as they are ([CO, CI, KH, KW], or [CI, CO, KH, KW] when
// TRANSPOSED): nothing is repacked.
//
// Constants: KH, KW (u32); STRIDE, PAD, UP (i32); PAD_MODE (0 zeros, 1 reflect);
// HAS_BIAS, TRANSPOSED (bool); runtime CI, CO, BATCH, OH, OW (u32), IH, IW (i32, x's size)
// and GRID_X (here: workgroups per row of the dispatch grid over pixel tiles; the grid's z
// counts channel tiles).
//   Conv2D:          UP 1, TRANSPOSED false.
//   UpsampleConv2D:  UP the scale: the convolution reads x upsampled UP times (nearest),
//                    padded as that image would be, without the upsampled tensor.
//   ConvTranspose2D: TRANSPOSED: output (oy, ox) takes input (iy, ix) through tap (ky, kx)
//                    when oy = iy·STRIDE - PAD + ky (PyTorch's ConvTranspose2d).
//
// x [BATCH, CI, IH, IW], w as above, bias [CO] (any buffer when !HAS_BIAS),
// y [BATCH, CO, OH, OW].

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

//!include conv_common.wgsl

const TILE_M = 64u; // output pixels per workgroup
const TILE_N = 64u; // output channels per workgroup
const TILE_K = 16u; // taps per step through workgroup memory
const TAPS = KH * KW;

// One step's tiles: tile_x[k * 16 + q] holds pixels 4q..4q+3 of tap k, tile_w[k * 16 + q]
// channels 4q..4q+3 of tap k.
var<workgroup> tile_x: array<vec4<f32>, 256>;
var<workgroup> tile_w: array<vec4<f32>, 256>;

// The value of x that output pixel (oy, ox) of image base (x's offset of the image's
// channel) meets at tap (ky, kx); 0 in zero padding and where a transposed convolution
// has no input.
fn tap(base: u32, oy: i32, ox: i32, ky: i32, kx: i32) -> f32 {
    if (TRANSPOSED) {
        let ty = oy + PAD - ky;
        let tx = ox + PAD - kx;
        let iy = ty / STRIDE;
        let ix = tx / STRIDE;
        let hit = ty >= 0 && tx >= 0 && ty % STRIDE == 0 && tx % STRIDE == 0 && iy < IH && ix < IW;
        let v = x[base + u32(clamp(iy, 0, IH - 1) * IW + clamp(ix, 0, IW - 1))];
        return select(0.0, v, hit);
    }
    // Position in the (upsampled) input, then the pixel of x it repeats.
    let vh = IH * UP;
    let vw = IW * UP;
    let vy = oy * STRIDE - PAD + ky;
    let vx = ox * STRIDE - PAD + kx;
    let hit = PAD_MODE == 1u || (vy >= 0 && vy < vh && vx >= 0 && vx < vw);
    let v = x[base + u32((src_index(vy, vh) / UP) * IW + src_index(vx, vw) / UP)];
    return select(0.0, v, hit);
}

// Index in w of the weight joining input channel ci to output channel co at tap r.
fn weight_index(co: u32, ci: u32, r: u32) -> u32 {
    if (TRANSPOSED) {
        return (ci * CO + co) * TAPS + r;
    }
    return (co * CI + ci) * TAPS + r;
}

@compute @workgroup_size(256)
fn conv2d_igemm(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
    let plane = OH * OW;
    let m_total = BATCH * plane;
    let m0 = (wid.x + wid.y * GRID_X) * TILE_M;
    if (m0 >= m_total) { return; } // the whole workgroup: the grid's last row runs over
    let n0 = wid.z * TILE_N;
    let ihw = u32(IH * IW);
    let k_total = CI * TAPS;

    // This invocation loads pixels m0 + 4·lq + j (j < 4) at tap lk of every step. Pixels
    // past the batch load the last one again and are not stored.
    let lk = t / 16u;
    let lq = t % 16u;
    var org_y = vec4<i32>(0);
    var org_x = vec4<i32>(0);
    var img = vec4<u32>(0u);
    for (var j = 0u; j < 4u; j++) {
        let m = min(m0 + 4u * lq + j, m_total - 1u);
        let p = m % plane;
        org_y[j] = i32(p / OW);
        org_x[j] = i32(p % OW);
        img[j] = (m / plane) * CI * ihw;
    }
    // ... and the weights of channels n0 + 4·wq + j at tap wk.
    let wk = t % 16u;
    let wq = t / 16u;
    // It computes pixels m0 + 4·tm + i and channels n0 + 4·tn + j: acc[j][i].
    let tm = t % 16u;
    let tn = t / 16u;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);

    for (var k0 = 0u; k0 < k_total; k0 += TILE_K) {
        var xv = vec4<f32>(0.0);
        let k = k0 + lk;
        if (k < k_total) {
            let ci = k / TAPS;
            let r = k % TAPS;
            let ky = i32(r / KW);
            let kx = i32(r % KW);
            for (var j = 0u; j < 4u; j++) {
                xv[j] = tap(img[j] + ci * ihw, org_y[j], org_x[j], ky, kx);
            }
        }
        tile_x[lk * 16u + lq] = xv;
        var wv = vec4<f32>(0.0);
        let kw = k0 + wk;
        if (kw < k_total) {
            let ci = kw / TAPS;
            let r = kw % TAPS;
            for (var j = 0u; j < 4u; j++) {
                let co = n0 + 4u * wq + j;
                if (co < CO) {
                    wv[j] = w[weight_index(co, ci, r)];
                }
            }
        }
        tile_w[wk * 16u + wq] = wv;
        workgroupBarrier();

        // Each step sums apart before joining the total: shorter float32 sums.
        var p0 = vec4<f32>(0.0);
        var p1 = vec4<f32>(0.0);
        var p2 = vec4<f32>(0.0);
        var p3 = vec4<f32>(0.0);
        for (var kk = 0u; kk < TILE_K; kk++) {
            let a = tile_x[kk * 16u + tm];
            let b = tile_w[kk * 16u + tn];
            p0 = fma(a, vec4<f32>(b.x), p0);
            p1 = fma(a, vec4<f32>(b.y), p1);
            p2 = fma(a, vec4<f32>(b.z), p2);
            p3 = fma(a, vec4<f32>(b.w), p3);
        }
        acc0 += p0;
        acc1 += p1;
        acc2 += p2;
        acc3 += p3;
        workgroupBarrier();
    }

    store_tile(m0 + 4u * tm, n0 + 4u * tn, acc0, m_total, plane);
    store_tile(m0 + 4u * tm, n0 + 4u * tn + 1u, acc1, m_total, plane);
    store_tile(m0 + 4u * tm, n0 + 4u * tn + 2u, acc2, m_total, plane);
    store_tile(m0 + 4u * tm, n0 + 4u * tn + 3u, acc3, m_total, plane);
}

// Stores pixels m..m+3 of channel co, plus its bias; those past the batch or channels
// past CO are not stored.
fn store_tile(m: u32, co: u32, v: vec4<f32>, m_total: u32, plane: u32) {
    if (co >= CO) { return; }
    var b = 0.0;
    if (HAS_BIAS) {
        b = bias[co];
    }
    for (var i = 0u; i < 4u; i++) {
        let mi = m + i;
        if (mi < m_total) {
            y[((mi / plane) * CO + co) * plane + mi % plane] = v[i] + b;
        }
    }
}
