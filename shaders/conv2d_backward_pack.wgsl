// The operands of conv2d_backward_weight.wgsl in its layout (gpu/conv_backward.go): src
// [BATCH, C, IH, IW] padded by PAD (zeros, or reflect for PAD_MODE 1) to PH×PW and laid
// out channels last, the channels padded with zeros to CP (a multiple of 4):
// dst [BATCH, PH, PW, CP]. One invocation per 4 channels of a pixel, one vec4 store.
//
// Constants: N (invocations, dst's length / 4), C, CP, PH, PW (u32); IH, IW, PAD (i32);
// PAD_MODE.

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;

// PyTorch ReflectionPad2d: -1 maps to 1 and n to n-2; callers keep PAD < n.
fn reflect_index(i: i32, n: i32) -> i32 {
    let r = select(i, -i, i < 0);
    return select(r, 2 * n - 2 - r, r >= n);
}

@compute @workgroup_size(64)
fn pack_channels_last(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let c = i % (CP / 4u) * 4u;
    let px = i32((i / (CP / 4u)) % PW);
    let py = i32((i / (CP / 4u * PW)) % PH);
    let n = i / (CP / 4u * PW * PH);
    var sy = py - PAD;
    var sx = px - PAD;
    if (PAD_MODE == 1u) {
        sy = reflect_index(sy, IH);
        sx = reflect_index(sx, IW);
    }
    var v = vec4<f32>(0.0);
    if (sy >= 0 && sy < IH && sx >= 0 && sx < IW) {
        let plane = u32(IH * IW);
        let at = (n * C + c) * plane + u32(sy * IW + sx);
        v.x = src[at];
        if (c + 1u < C) { v.y = src[at + plane]; }
        if (c + 2u < C) { v.z = src[at + 2u * plane]; }
        if (c + 3u < C) { v.w = src[at + 3u * plane]; }
    }
    dst[i] = v;
}
