// Depthwise 2D convolution, PyTorch Conv2d with groups = channels and one filter per
// channel (depth multiplier 1), dilation 1, zero padding, and its input gradient. Each
// invocation computes TX neighbouring pixels of one output row: the channel's KH×KW
// weights sit in registers, and each input row the TX windows cover is read once into a
// register segment instead of once per window.
//
// Bindings: src, weight [C, 1, KH, KW], bias [C] (any buffer when !HAS_BIAS), dst.
// Constants (u32 unless said): N (invocations), C, KH, KW, TX (pixels per invocation),
// SX (invocations per row), SEG (the segment's length), SH, SW (src's height and width),
// DH, DW (dst's); STRIDE, PAD_Y, PAD_X, LO (i32); HAS_BIAS (bool).

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

// The invocation's place: the image plane n·C + c, the row and the first column of its
// TX pixels in dst.
struct Strip {
    plane: u32,
    row: u32,
    col: u32,
}

fn strip_of(i: u32) -> Strip {
    return Strip(i / (SX * DH), (i / SX) % DH, (i % SX) * TX);
}

// The channel's taps, kept in registers for the whole invocation.
fn load_taps(c: u32) -> array<f32, KH * KW> {
    var k: array<f32, KH * KW>;
    for (var j = 0u; j < KH * KW; j++) {
        k[j] = weight[c * KH * KW + j];
    }
    return k;
}

// SEG values of src row r of plane p from column c0 on, 0 outside the row.
fn load_segment(p: u32, r: i32, c0: i32) -> array<f32, SEG> {
    var s: array<f32, SEG>;
    let base = (p * SH + u32(r)) * SW;
    for (var j = 0u; j < SEG; j++) {
        let c = c0 + i32(j);
        let v = src[base + u32(clamp(c, 0, i32(SW) - 1))];
        s[j] = select(0.0, v, c >= 0 && c < i32(SW));
    }
    return s;
}

fn store_strip(s: Strip, acc: array<f32, TX>) {
    let base = (s.plane * DH + s.row) * DW;
    for (var t = 0u; t < TX; t++) {
        if (s.col + t < DW) {
            dst[base + s.col + t] = acc[t];
        }
    }
}

// Forward: src is x [N, C, SH, SW], dst y [N, C, DH, DW];
// y[n, c, oy, ox] = bias[c] + Σ x[n, c, oy·STRIDE - PAD_Y + ky, ox·STRIDE - PAD_X + kx]·w[c, ky, kx].
// SEG = (TX-1)·STRIDE + KW.
@compute @workgroup_size(64)
fn depthwise_conv2d(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let s = strip_of(i);
    let c = s.plane % C;
    let k = load_taps(c);
    let iy0 = i32(s.row) * STRIDE - PAD_Y;
    let ix0 = i32(s.col) * STRIDE - PAD_X;
    var acc = array<f32, TX>();
    for (var ky = 0u; ky < KH; ky++) {
        let iy = iy0 + i32(ky);
        if (iy < 0 || iy >= i32(SH)) { continue; }
        let seg = load_segment(s.plane, iy, ix0);
        for (var kx = 0u; kx < KW; kx++) {
            let wv = k[ky * KW + kx];
            for (var t = 0u; t < TX; t++) {
                acc[t] = fma(seg[t * u32(STRIDE) + kx], wv, acc[t]);
            }
        }
    }
    if (HAS_BIAS) {
        let b = bias[c];
        for (var t = 0u; t < TX; t++) {
            acc[t] += b;
        }
    }
    store_strip(s, acc);
}

// Input gradient: src is dy [N, C, SH, SW] (the forward's output size), dst dx
// [N, C, DH, DW]; dx[n, c, iy, ix] = Σ dy[n, c, oy, ox]·w[c, ky, kx] over the taps with
// oy·STRIDE - PAD_Y + ky = iy and ox·STRIDE - PAD_X + kx = ix. TX is a multiple of STRIDE,
// so pixel t of a strip takes tap kx exactly when (t + PAD_X - kx) is a multiple of STRIDE,
// from dy column col/STRIDE + (t + PAD_X - kx)/STRIDE: fixed per t and kx once the loops
// unroll. The dy columns a strip reads run from col/STRIDE + LO over SEG columns, with
// LO = floor((PAD_X - KW + 1)/STRIDE).
@compute @workgroup_size(64)
fn depthwise_conv2d_backward_input(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let s = strip_of(i);
    let k = load_taps(s.plane % C);
    let q0 = i32(s.col) / STRIDE;
    var acc = array<f32, TX>();
    for (var ky = 0u; ky < KH; ky++) {
        let ry = i32(s.row) + PAD_Y - i32(ky);
        if (ry < 0 || ry % STRIDE != 0 || ry / STRIDE >= i32(SH)) { continue; }
        let seg = load_segment(s.plane, ry / STRIDE, q0 + LO);
        for (var kx = 0u; kx < KW; kx++) {
            let wv = k[ky * KW + kx];
            for (var t = 0u; t < TX; t++) {
                let r = i32(t) + PAD_X - i32(kx);
                if (r % STRIDE == 0) {
                    acc[t] = fma(seg[u32(r / STRIDE - LO)], wv, acc[t]);
                }
            }
        }
    }
    store_strip(s, acc);
}

// Input gradient one pixel per invocation (TX = 1), for strides over 4, where a strip of
// TX pixels (a multiple of the stride) would not fit in registers. LO is unused.
@compute @workgroup_size(64)
fn depthwise_conv2d_backward_input_pixel(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = flat_id(gid);
    if (i >= N) { return; }
    let s = strip_of(i);
    let k = load_taps(s.plane % C);
    var acc = array<f32, TX>();
    for (var ky = 0u; ky < KH; ky++) {
        let ry = i32(s.row) + PAD_Y - i32(ky);
        if (ry < 0 || ry % STRIDE != 0 || ry / STRIDE >= i32(SH)) { continue; }
        let base = (s.plane * SH + u32(ry / STRIDE)) * SW;
        for (var kx = 0u; kx < KW; kx++) {
            let rx = i32(s.col) + PAD_X - i32(kx);
            if (rx < 0 || rx % STRIDE != 0 || rx / STRIDE >= i32(SW)) { continue; }
            acc[0] = fma(src[base + u32(rx / STRIDE)], k[ky * KW + kx], acc[0]);
        }
    }
    store_strip(s, acc);
}
