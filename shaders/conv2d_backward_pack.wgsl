// The layout changes around conv2d_backward_weight.wgsl (gpu/conv_backward.go): one input
// src, one output dst, one invocation per output element. Both entry points see the same
// constants: N (output elements); C, CP, PH, PW (u32), IH, IW, PAD (i32) and PAD_MODE of
// pack_channels_last; CO, CI, KH, KW, CIP, COP, SPLITS (u32) of sum_weight_grad.

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

// PyTorch ReflectionPad2d: -1 maps to 1 and n to n-2; callers keep PAD < n.
fn reflect_index(i: i32, n: i32) -> i32 {
    let r = select(i, -i, i < 0);
    return select(r, 2 * n - 2 - r, r >= n);
}

// src [BATCH, C, IH, IW] padded by PAD (zeros, or reflect for PAD_MODE 1) to PH×PW and laid
// out channels last, the channels padded with zeros to CP: dst [BATCH, PH, PW, CP].
@compute @workgroup_size(64)
fn pack_channels_last(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let c = i % CP;
    let px = i32((i / CP) % PW);
    let py = i32((i / (CP * PW)) % PH);
    let n = i / (CP * PW * PH);
    var sy = py - PAD;
    var sx = px - PAD;
    if (PAD_MODE == 1u) {
        sy = reflect_index(sy, IH);
        sx = reflect_index(sx, IW);
    }
    var v = 0.0;
    if (c < C && sy >= 0 && sy < IH && sx >= 0 && sx < IW) {
        v = src[((n * C + c) * u32(IH) + u32(sy)) * u32(IW) + u32(sx)];
    }
    dst[i] = v;
}

// The weight gradient from conv2d_backward_weight.wgsl's partial sums:
// dst [CO, CI, KH, KW] = Σ over the SPLITS of src [SPLITS, KH·KW, CIP, COP].
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
