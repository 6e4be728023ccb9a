// Helpers of Conv2D's input gradient (gpu/conv_backward.go): one input src, one output dst,
// one invocation per output element. Both entry points see the same constants: N (output
// elements), CO, CI, KH, KW (u32); IH, IW (the input's size), PH, PW (its padded size), PAD
// (i32).

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

// The gradient of a reflect-padded input: src [BATCH, C, PH, PW] is the gradient of the
// input padded by PAD, and every padded pixel mirrors one of dst [BATCH, C, IH, IW], as
// ReflectionPad2d reads it. Pixel i of a row takes padded column i+PAD, and PAD-i (for
// 1 ≤ i ≤ PAD) and PAD+2(IW-1)-i (for IW-1-PAD ≤ i ≤ IW-2) when it is mirrored there.
fn mirrors(i: i32, n: i32) -> vec3<i32> {
    let lo = select(-1, PAD - i, i >= 1 && i <= PAD);
    let hi = select(-1, PAD + 2 * (n - 1) - i, i >= n - 1 - PAD && i <= n - 2);
    return vec3<i32>(i + PAD, lo, hi);
}

@compute @workgroup_size(64)
fn reflect_fold(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let ix = i32(i % u32(IW));
    let iy = i32((i / u32(IW)) % u32(IH));
    let plane = i / u32(IW * IH);
    let rows = mirrors(iy, IH);
    let cols = mirrors(ix, IW);
    let base = plane * u32(PH * PW);
    var acc = 0.0;
    for (var a = 0; a < 3; a++) {
        let r = rows[a];
        if (r < 0) { continue; }
        for (var b = 0; b < 3; b++) {
            let c = cols[b];
            if (c < 0) { continue; }
            acc += src[base + u32(r * PW + c)];
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
