// Depthwise 2D convolution and its input gradient, the GPU kernel family's (gpu/family.go)
// kernels; depthwise_conv2d.wgsl is the CPU family's. PyTorch's Conv2d with groups =
// channels and one filter per channel (depth multiplier 1), dilation 1, zero padding.
// Workgroups of 256 invocations, one destination pixel per invocation, neighbouring
// invocations on neighbouring pixels of a row: their reads of a source row are adjacent
// (stride 1) or evenly spaced, and each invocation loads its channel's KH×KW taps once,
// into registers.
//
// Bindings: src, weight [C, 1, KH, KW], bias [C] (any buffer when !HAS_BIAS), dst.
// Runtime constants (one pipeline serves every size): u32 N (destination pixels), C, SH,
// SW (src's height and width), DH, DW (dst's), GRID_X; i32 PAD. Baked, for unrolling: KH,
// KW (u32), STRIDE (i32), HAS_BIAS.

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

// A destination pixel: its image plane n·C + c, row and column.
struct Pixel {
    plane: u32,
    row: u32,
    col: u32,
}

fn pixel_of(i: u32) -> Pixel {
    let r = i / DW;
    return Pixel(r / DH, r % DH, i % DW);
}

fn load_taps(c: u32) -> array<f32, KH * KW> {
    var k: array<f32, KH * KW>;
    for (var j = 0u; j < KH * KW; j++) {
        k[j] = weight[c * KH * KW + j];
    }
    return k;
}

// Forward: src is x [N, C, SH, SW], dst y [N, C, DH, DW];
// y[n, c, oy, ox] = bias[c] + Σ x[n, c, oy·STRIDE - PAD + ky, ox·STRIDE - PAD + kx]·w[c, ky, kx].
@compute @workgroup_size(256)
fn depthwise_conv2d_pixel(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let p = pixel_of(i);
    let c = p.plane % C;
    let k = load_taps(c);
    let iy0 = i32(p.row) * STRIDE - PAD;
    let ix0 = i32(p.col) * STRIDE - PAD;
    var acc = 0.0;
    for (var ky = 0u; ky < KH; ky++) {
        let iy = iy0 + i32(ky);
        if (iy < 0 || iy >= i32(SH)) { continue; }
        let base = (p.plane * SH + u32(iy)) * SW;
        for (var kx = 0u; kx < KW; kx++) {
            let ix = ix0 + i32(kx);
            let v = src[base + u32(clamp(ix, 0, i32(SW) - 1))];
            acc = fma(select(0.0, v, ix >= 0 && ix < i32(SW)), k[ky * KW + kx], acc);
        }
    }
    if (HAS_BIAS) {
        acc += bias[c];
    }
    dst[i] = acc;
}

// Input gradient: src is dy [N, C, SH, SW] (the forward's output size), dst dx
// [N, C, DH, DW]; dx[n, c, iy, ix] = Σ dy[n, c, oy, ox]·w[c, ky, kx] over the taps with
// oy·STRIDE - PAD + ky = iy and ox·STRIDE - PAD + kx = ix. Pixels no window reads (stride
// 2 on odd sizes) get 0. HAS_BIAS is false; bias is not read.
@compute @workgroup_size(256)
fn depthwise_conv2d_backward_input_pixel(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let p = pixel_of(i);
    let k = load_taps(p.plane % C);
    let ry0 = i32(p.row) + PAD;
    let rx0 = i32(p.col) + PAD;
    var acc = 0.0;
    for (var ky = 0u; ky < KH; ky++) {
        let ry = ry0 - i32(ky);
        if (ry < 0 || ry % STRIDE != 0 || ry / STRIDE >= i32(SH)) { continue; }
        let base = (p.plane * SH + u32(ry / STRIDE)) * SW;
        for (var kx = 0u; kx < KW; kx++) {
            let rx = rx0 - i32(kx);
            let ox = rx / STRIDE;
            let ok = rx >= 0 && rx % STRIDE == 0 && ox < i32(SW);
            let v = src[base + u32(clamp(ox, 0, i32(SW) - 1))];
            acc = fma(select(0.0, v, ok), k[ky * KW + kx], acc);
        }
    }
    dst[i] = acc;
}
