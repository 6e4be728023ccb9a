// Small kernels of the convolution gradients (gpu/conv_backward.go), one invocation per
// output element. Every entry point sees the same constants: N (output elements), CO, CI,
// KH, KW (a Conv2D weight [CO, CI, KH, KW]), OH, OW (its output's size), CIP, COP
// (channels padded), SPLITS, BAND (u32); IH, IW (its input's size), STRIDE, PAD, RB, CB
// (i32).

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>; // reflect_border's


// The padded positions that ReflectionPad2d fills from index i of a row or column of n:
// i+PAD, and PAD-i (for 1 ≤ i ≤ PAD) and PAD+2(n-1)-i (for n-1-PAD ≤ i ≤ n-2) where it is
// mirrored there; -1 where not.
fn mirrors(i: i32, n: i32) -> vec3<i32> {
    let lo = select(-1, PAD - i, i >= 1 && i <= PAD);
    let hi = select(-1, PAD + 2 * (n - 1) - i, i >= n - 1 - PAD && i <= n - 2);
    return vec3<i32>(i + PAD, lo, hi);
}

// The gradient of the padded input of Conv2D at padded position (r, c) of channel ci of
// batch entry n: Σ of dy·w over the windows that read it, dy [BATCH, CO, OH, OW] in src.
fn padded_grad(n: u32, ci: u32, r: i32, c: i32) -> f32 {
    var acc = 0.0;
    for (var ky = 0; ky < i32(KH); ky++) {
        let ty = r - ky;
        if (ty < 0) { break; }
        let oy = ty / STRIDE;
        if (ty % STRIDE != 0 || oy >= i32(OH)) { continue; }
        for (var kx = 0; kx < i32(KW); kx++) {
            let tx = c - kx;
            if (tx < 0) { break; }
            let ox = tx / STRIDE;
            if (tx % STRIDE != 0 || ox >= i32(OW)) { continue; }
            for (var co = 0u; co < CO; co++) {
                acc = fma(src[((n * CO + co) * OH + u32(oy)) * OW + u32(ox)], weight[((co * CI + ci) * KH + u32(ky)) * KW + u32(kx)], acc);
            }
        }
    }
    return acc;
}

// Conv2D's input gradient with reflect padding, from the one with zero padding (the
// windows' reads of the input itself) in dst [BATCH, CI, IH, IW] and dy in src: the input
// pixels near the border add the gradients of the padded pixels that mirror them, in
// place. Only the band of the PAD+1 rows and columns along each edge has such pixels: one
// invocation per pixel of the band, its BAND pixels per channel taken row by row (RB rows,
// the first PAD+1 and the last), then column by column (CB columns, the first PAD+1 and
// the last, of the other rows), so that neighbouring invocations mostly do the same work.
@compute @workgroup_size(64)
fn reflect_border(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let j = i32(i % BAND);
    let plane = i / BAND;
    let ci = plane % CI;
    let n = plane / CI;
    var iy: i32;
    var ix: i32;
    if (j < RB * IW) {
        let a = j / IW;
        iy = select(IH - RB + a, a, a <= PAD);
        ix = j % IW;
    } else {
        let rows = max(IH - RB, 1); // RB < IH here
        let e = (j - RB * IW) / rows;
        iy = PAD + 1 + (j - RB * IW) % rows;
        ix = select(IW - CB + e, e, e <= PAD);
    }
    let rows = mirrors(iy, IH);
    let cols = mirrors(ix, IW);
    var acc = 0.0;
    for (var a = 0; a < 3; a++) {
        let r = rows[a];
        if (r < 0) { continue; }
        for (var b = 0; b < 3; b++) {
            let c = cols[b];
            if (c < 0 || (a == 0 && b == 0)) { continue; }
            acc += padded_grad(n, ci, r, c);
        }
    }
    let at = plane * u32(IH * IW) + u32(iy * IW + ix);
    dst[at] += acc;
}

// The gradient of a reflect-padded input: src [BATCH, CI, IH+2·PAD, IW+2·PAD] is the
// gradient of the padded input, and each pixel of dst [BATCH, CI, IH, IW] adds those of
// the padded pixels that hold it.
@compute @workgroup_size(64)
fn reflect_fold(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let ix = i32(i % u32(IW));
    let iy = i32((i / u32(IW)) % u32(IH));
    let plane = i / u32(IW * IH);
    let rows = mirrors(iy, IH);
    let cols = mirrors(ix, IW);
    let pw = IW + 2 * PAD;
    let base = plane * u32((IH + 2 * PAD) * pw);
    var acc = 0.0;
    for (var a = 0; a < 3; a++) {
        let r = rows[a];
        if (r < 0) { continue; }
        for (var b = 0; b < 3; b++) {
            let c = cols[b];
            if (c < 0) { continue; }
            acc += src[base + u32(r * pw + c)];
        }
    }
    dst[i] = acc;
}

// A convolution weight src [CO, CI, KH, KW] as the weight of its adjoint at stride 1:
// dst [CI, CO, KH, KW], each kernel turned by 180°.
@compute @workgroup_size(64)
fn flip_weight(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let kx = i % KW;
    let ky = (i / KW) % KH;
    let co = (i / (KW * KH)) % CO;
    let ci = i / (KW * KH * CO);
    dst[i] = src[((co * CI + ci) * KH + KH - 1u - ky) * KW + KW - 1u - kx];
}

// A weight src [CO, CI, KH, KW] with a last row and column of zeros added:
// dst [CO, CI, KH+1, KW+1].
@compute @workgroup_size(64)
fn pad_weight(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let kx = i % (KW + 1u);
    let ky = (i / (KW + 1u)) % (KH + 1u);
    let k = i / ((KW + 1u) * (KH + 1u));
    var v = 0.0;
    if (ky < KH && kx < KW) {
        v = src[(k * KH + ky) * KW + kx];
    }
    dst[i] = v;
}

// The weight gradient dst [CO, CI, KH, KW] from the partial sums src [SPLITS, KH·KW, CIP,
// COP] of conv2d_backward_weight.wgsl.
@compute @workgroup_size(64)
fn sum_weight_grad(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let tap = i % (KH * KW);
    let ci = (i / (KH * KW)) % CI;
    let co = i / (KH * KW * CI);
    var acc = 0.0;
    for (var z = 0u; z < SPLITS; z++) {
        acc += src[((z * KH * KW + tap) * CIP + ci) * COP + co];
    }
    dst[i] = acc;
}
