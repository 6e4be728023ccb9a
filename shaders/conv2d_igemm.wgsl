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
// Constants: KH, KW, PSTEP (u32: phases per dimension, STRIDE when TRANSPOSED, else 1);
// STRIDE, PAD, UP (i32); PAD_MODE (0 zeros, 1 reflect);
// HAS_BIAS, TRANSPOSED (bool); runtime CI, CO, BATCH, OH, OW (u32), IH, IW (i32, x's size)
// and GRID_X (here: workgroups per row of the dispatch grid over pixel tiles; the grid's z
// counts channel tiles).
//   Conv2D:          UP 1, TRANSPOSED false.
//   UpsampleConv2D:  UP the scale: the convolution reads x upsampled UP times (nearest),
//                    padded as that image would be, without the upsampled tensor.
//   ConvTranspose2D: TRANSPOSED: output (oy, ox) takes input (iy, ix) through tap (ky, kx)
//                    when oy = iy·STRIDE - PAD + ky (PyTorch's ConvTranspose2d). The
//                    outputs split into STRIDE² phases by (oy + PAD, ox + PAD) mod STRIDE,
//                    each meeting only the taps of its residue: one product per phase
//                    (the grid's z counts phases too), no tap multiplies a zero.
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

// The output pixels and taps of one phase: rows oy0, oy0 + PSTEP, … (ph of them) meeting
// taps ky = ry, ry + PSTEP, … (th of them), and the same for columns. A convolution has
// one phase: every pixel, every tap.
struct Phase {
    ry: u32, rx: u32,
    oy0: u32, ox0: u32,
    ph: u32, pw: u32,
    th: u32, tw: u32,
}

fn phase_of(z: u32) -> Phase {
    var f: Phase;
    let r = z % (PSTEP * PSTEP);
    f.ry = r / PSTEP;
    f.rx = r % PSTEP;
    // Rows with oy + PAD ≡ ry (mod PSTEP).
    let pad = u32(PAD) % PSTEP;
    f.oy0 = (f.ry + PSTEP - pad) % PSTEP;
    f.ox0 = (f.rx + PSTEP - pad) % PSTEP;
    f.ph = select(0u, (OH - f.oy0 + PSTEP - 1u) / PSTEP, f.oy0 < OH);
    f.pw = select(0u, (OW - f.ox0 + PSTEP - 1u) / PSTEP, f.ox0 < OW);
    f.th = (KH - min(f.ry, KH) + PSTEP - 1u) / PSTEP;
    f.tw = (KW - min(f.rx, KW) + PSTEP - 1u) / PSTEP;
    return f;
}

// Output row and column of pixel p of one image's phase f.
fn out_pos(f: Phase, p: u32) -> vec2<u32> {
    return vec2<u32>(f.oy0 + PSTEP * (p / f.pw), f.ox0 + PSTEP * (p % f.pw));
}

// The value of x at offset dy, dx from origin (oy, ox) of image channel base: for a
// convolution the origin is the output pixel's window corner and (dy, dx) the tap, read
// from the padded (and upsampled) input; for a transposed convolution the origin is the
// input pixel tap (ry, rx) meets and (dy, dx) minus the phase's tap index. 0 in zero
// padding and outside a transposed convolution's input.
fn tap(base: u32, oy: i32, ox: i32, dy: i32, dx: i32) -> f32 {
    let vy = oy + dy;
    let vx = ox + dx;
    if (TRANSPOSED) {
        let hit = vy >= 0 && vy < IH && vx >= 0 && vx < IW;
        let v = x[base + u32(clamp(vy, 0, IH - 1) * IW + clamp(vx, 0, IW - 1))];
        return select(0.0, v, hit);
    }
    // The position in the (upsampled) input, then the pixel of x it repeats.
    let vh = IH * UP;
    let vw = IW * UP;
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
    let f = phase_of(wid.z);
    let plane = f.ph * f.pw;
    let m_total = BATCH * plane;
    let m0 = (wid.x + wid.y * GRID_X) * TILE_M;
    // The whole workgroup: the grid's last row runs over, and phases differ in size.
    if (m0 >= m_total) { return; }
    let n0 = (wid.z / (PSTEP * PSTEP)) * TILE_N;
    let ihw = u32(IH * IW);
    let ftaps = f.th * f.tw;
    let k_total = CI * ftaps;

    // This invocation loads pixels m0 + 4·lq + j (j < 4) at tap lk of every step. Pixels
    // past the batch load the last one again and are not stored.
    let lk = t / 16u;
    let lq = t % 16u;
    var org_y = vec4<i32>(0);
    var org_x = vec4<i32>(0);
    var img = vec4<u32>(0u);
    for (var j = 0u; j < 4u; j++) {
        let m = min(m0 + 4u * lq + j, m_total - 1u);
        let o = vec2<i32>(out_pos(f, m % plane));
        if (TRANSPOSED) {
            org_y[j] = (o.x + PAD - i32(f.ry)) / STRIDE; // exact: the phase's rows
            org_x[j] = (o.y + PAD - i32(f.rx)) / STRIDE;
        } else {
            org_y[j] = o.x * STRIDE - PAD;
            org_x[j] = o.y * STRIDE - PAD;
        }
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
            let ci = k / ftaps;
            let r = k % ftaps;
            var dy = i32(r / f.tw);
            var dx = i32(r % f.tw);
            if (TRANSPOSED) {
                dy = -dy;
                dx = -dx;
            }
            for (var j = 0u; j < 4u; j++) {
                xv[j] = tap(img[j] + ci * ihw, org_y[j], org_x[j], dy, dx);
            }
        }
        tile_x[lk * 16u + lq] = xv;
        var wv = vec4<f32>(0.0);
        let kw = k0 + wk;
        if (kw < k_total) {
            let ci = kw / ftaps;
            let r = kw % ftaps;
            let ky = f.ry + PSTEP * (r / f.tw);
            let kx = f.rx + PSTEP * (r % f.tw);
            for (var j = 0u; j < 4u; j++) {
                let co = n0 + 4u * wq + j;
                if (co < CO) {
                    wv[j] = w[weight_index(co, ci, ky * KW + kx)];
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

    store_tile(f, m0 + 4u * tm, n0 + 4u * tn, acc0, m_total);
    store_tile(f, m0 + 4u * tm, n0 + 4u * tn + 1u, acc1, m_total);
    store_tile(f, m0 + 4u * tm, n0 + 4u * tn + 2u, acc2, m_total);
    store_tile(f, m0 + 4u * tm, n0 + 4u * tn + 3u, acc3, m_total);
}

// Stores pixels m..m+3 of phase f in channel co, plus its bias; those past the batch or
// channels past CO are not stored.
fn store_tile(f: Phase, m: u32, co: u32, v: vec4<f32>, m_total: u32) {
    if (co >= CO) { return; }
    var b = 0.0;
    if (HAS_BIAS) {
        b = bias[co];
    }
    let plane = f.ph * f.pw;
    for (var i = 0u; i < 4u; i++) {
        let mi = m + i;
        if (mi < m_total) {
            let o = out_pos(f, mi % plane);
            y[(((mi / plane) * CO + co) * OH + o.x) * OW + o.y] = v[i] + b;
        }
    }
}
